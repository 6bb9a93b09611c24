/**
 * Keeps labs away from the host. An internal network has no route out, but its bridge carries the
 * gateway address on the host, so every host service listening on all addresses (a database, an
 * agent) would be one `curl` away from every student. Per lab network: in a chain of our own,
 * jumped to first from INPUT, replies to connections the host opened (LabAccess.connect) and DNS
 * to aardvark on the gateway address (only there) are accepted, everything else from the bridge is
 * dropped. Rules carry
 * the network's name in a comment, so teardown removes exactly its own and a sweep finds strays.
 *
 * Both families: the lab networks are IPv4-only, but the kernel still gives the bridge and every
 * container a link-local IPv6 address, and a service on `::` answered a lab at
 * `fe80::…%eth0` (measured on Podman 4.3 / netavark). ip6tables gets the same chain, with only
 * replies accepted (aardvark listens on the IPv4 gateway alone).
 *
 * Nothing is remembered: every isolate() checks the jump and the network's rules again and puts
 * back what is missing (a `iptables -F`, a firewalld reload, another tool's restore), and
 * verify() does it for every lab network. Every call waits for the xtables lock (`-w`), and a
 * failure that another writer can cause (the lock, a rule deleted meanwhile) is retried.
 */
import { spawn } from 'node:child_process';
import { podman as runCommand } from '../podman-cli.ts';
import { PodmanLabError } from './lab-cli.ts';

export const LAB_CHAIN = 'APERTURE-LABS';
const COMMENT_PREFIX = 'aperture-lab:';
/** Seconds an iptables call waits for the xtables lock before it fails (and is retried). */
const LOCK_WAIT_S = '10';
const TIMEOUT_MS = 30_000;
/** What may appear in a rule we write: network and bridge names, addresses. */
const PLAIN = /^[A-Za-z0-9_.:-]+$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
/** Failures another writer can cause: worth reading the rules again and retrying. */
const TRANSIENT =
  /xtables lock|holding the lock|resource temporarily unavailable|resource busy|try again|does a matching rule exist|no chain\/target\/match|chain already exists|interrupted/i;

interface Rule {
  network: string;
  /** As `iptables -S` prints it (the line iptables-restore reads to add it). */
  line: string;
  /** The iptables-restore line that deletes it. */
  delete: string;
}

interface Family {
  /** `iptables` or `ip6tables`. */
  tool: string;
  ipv6: boolean;
}

export interface LabHostFirewallOptions {
  iptables?: string;
  /** `false`: IPv4 only (a host without IPv6). Default: `ip6tables` next to `iptables`. */
  ip6tables?: string | false;
  /** Tries of an operation that failed on the lock or a concurrent change, default 5. */
  attempts?: number;
}

/** One firewall change at a time in this process: two isolates of one network must not both add. */
let serial: Promise<unknown> = Promise.resolve();
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const next = serial.then(work, work);
  serial = next.catch(() => undefined);
  return next;
}

/** One lab network as the firewall needs it. */
export interface LabNetworkAddress {
  network: string;
  bridge: string;
  gateway: string | undefined;
}

/** Every name goes into iptables arguments: plain words and an IPv4 address only. */
function checkNames({ network, bridge, gateway }: LabNetworkAddress): void {
  for (const word of [network, bridge])
    if (!PLAIN.test(word)) throw new Error(`lab firewall: ${JSON.stringify(word)} is not a plain name`);
  if (gateway !== undefined && !IPV4.test(gateway))
    throw new Error(`lab firewall: ${JSON.stringify(gateway)} is not an IPv4 address`);
}

export class LabHostFirewall {
  private readonly families: Family[];
  private readonly attempts: number;

  constructor(options: LabHostFirewallOptions = {}) {
    const iptables = options.iptables ?? 'iptables';
    const ip6tables = options.ip6tables ?? iptables.replace(/iptables([^/]*)$/, 'ip6tables$1');
    this.families = [
      { tool: iptables, ipv6: false },
      ...(ip6tables === false ? [] : [{ tool: ip6tables, ipv6: true }]),
    ];
    this.attempts = Math.max(1, options.attempts ?? 5);
  }

  /**
   * Drops what comes from `bridge` to the host, but DNS and replies. Idempotent, and repairing:
   * a missing jump or a missing or changed rule of this network is put back. True when it changed
   * anything.
   */
  isolate(network: string, bridge: string, gateway: string | undefined): Promise<boolean> {
    checkNames({ network, bridge, gateway });
    return this.retrying(async () => (await this.repair([{ network, bridge, gateway }])).changed);
  }

  /**
   * Puts back the jump and the rules of every network given (what exists of the labs); names the
   * networks whose rules had to be repaired. Strays are sweep()'s: it needs every network there is.
   */
  async verify(networks: readonly LabNetworkAddress[]): Promise<string[]> {
    for (const network of networks) checkNames(network);
    return this.retrying(async () => [...(await this.repair(networks)).repaired]);
  }

  /**
   * Per family: the jump checked once and the chain listed once (not once per network: the
   * periodic check covers every lab network), then each network's rules put back where they
   * differ, out of order, partial or for another bridge, replaced as a whole in one atomic commit.
   */
  private async repair(
    networks: readonly LabNetworkAddress[],
  ): Promise<{ changed: boolean; repaired: Set<string> }> {
    let changed = false;
    const repaired = new Set<string>();
    for (const family of this.families) {
      changed = (await this.ensureChain(family)) || changed;
      const rules = await this.rules(family);
      for (const { network, bridge, gateway } of networks) {
        const wanted = this.wanted(family, network, bridge, gateway);
        const current = rules.filter((rule) => rule.network === network);
        if (
          sameLines(
            current.map((rule) => rule.line),
            wanted,
          )
        )
          continue;
        await this.restore(family, [...current.map((rule) => rule.delete), ...wanted]);
        changed = true;
        repaired.add(network);
      }
    }
    return { changed, repaired };
  }

  /** Removes the rules of these networks (before the networks go, so a reused bridge is never caught). */
  release(networks: readonly string[]): Promise<void> {
    const gone = new Set(networks);
    return this.retrying(async () => {
      for (const family of this.families)
        await this.restore(
          family,
          (await this.rules(family)).filter((rule) => gone.has(rule.network)).map((rule) => rule.delete),
        );
    });
  }

  /**
   * Removes rules of networks that no longer exist (removed by hand, or a crash between a network's
   * removal and its rules'): Podman reuses bridge names, and a stray DROP would catch the next one.
   */
  sweep(existingNetworks: () => Promise<ReadonlySet<string>>): Promise<void> {
    return this.retrying(async () => {
      for (const family of this.families) {
        // Rules first, networks after: a network made meanwhile has its rules appended after it
        // exists, so any rule seen here belongs to a network the later listing still shows.
        const rules = await this.rules(family);
        if (rules.length === 0) continue;
        const existing = await existingNetworks();
        await this.restore(
          family,
          rules.filter((rule) => !existing.has(rule.network)).map((rule) => rule.delete),
        );
      }
    });
  }

  /** Networks that have rules here (in either family): what teardown must verify is gone. */
  async networks(): Promise<string[]> {
    const all: string[] = [];
    for (const family of this.families) all.push(...(await this.rules(family)).map((rule) => rule.network));
    return [...new Set(all)];
  }

  /**
   * The rules of one network, as `iptables -S` prints them, so a listing compares as text. DNS
   * only to the gateway, where aardvark-dns listens: not to any host address that answers on 53
   * (no gateway known: no DNS, rather than DNS to everything).
   */
  private wanted(family: Family, network: string, bridge: string, gateway: string | undefined): string[] {
    const comment = `-m comment --comment "${COMMENT_PREFIX}${network}"`;
    const head = `-A ${LAB_CHAIN} -i ${bridge}`;
    return [
      `${head} -m conntrack --ctstate RELATED,ESTABLISHED ${comment} -j ACCEPT`,
      ...(family.ipv6 || gateway === undefined
        ? []
        : [
            `-A ${LAB_CHAIN} -d ${gateway}/32 -i ${bridge} -p udp -m udp --dport 53 ${comment} -j ACCEPT`,
            `-A ${LAB_CHAIN} -d ${gateway}/32 -i ${bridge} -p tcp -m tcp --dport 53 ${comment} -j ACCEPT`,
          ]),
      `${head} ${comment} -j DROP`,
    ];
  }

  /** The chain exists and INPUT jumps to it; checked on every call (rules can be flushed). */
  private async ensureChain(family: Family): Promise<boolean> {
    let changed = false;
    const exists = await runCommand(family.tool, ['-w', LOCK_WAIT_S, '-S', LAB_CHAIN], TIMEOUT_MS);
    if (exists.code !== 0) {
      await this.run(family, ['-N', LAB_CHAIN]);
      changed = true;
    }
    const jumps = await runCommand(
      family.tool,
      ['-w', LOCK_WAIT_S, '-C', 'INPUT', '-j', LAB_CHAIN],
      TIMEOUT_MS,
    );
    if (jumps.code !== 0) {
      await this.run(family, ['-I', 'INPUT', '1', '-j', LAB_CHAIN]);
      changed = true;
    }
    return changed;
  }

  /** Our chain's rules that carry a lab network's name; none when the chain does not exist. */
  private async rules(family: Family): Promise<Rule[]> {
    const listed = await runCommand(family.tool, ['-w', LOCK_WAIT_S, '-S', LAB_CHAIN], TIMEOUT_MS);
    if (listed.code !== 0) return [];
    return listed.stdout.split('\n').flatMap((raw) => {
      const line = raw.trim();
      const words = line.split(/\s+/).map((word) => word.replace(/^"|"$/g, ''));
      const comment = words[words.indexOf('--comment') + 1];
      if (words[0] !== '-A' || !comment?.startsWith(COMMENT_PREFIX)) return [];
      // `-S` prints a rule as iptables-restore reads it: the same line with -D deletes it.
      return [{ network: comment.slice(COMMENT_PREFIX.length), line, delete: `-D${line.slice(2)}` }];
    });
  }

  /**
   * Rule changes in one `iptables-restore --noflush` (one process, one atomic commit) rather than
   * one `iptables` per rule: a class's teardown removes four rules per student.
   */
  private restore(family: Family, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const script = `*filter\n${lines.join('\n')}\nCOMMIT\n`;
    const tool = `${family.tool}-restore`;
    return new Promise((resolve, reject) => {
      const child = spawn(tool, ['-w', LOCK_WAIT_S, '--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(this.refused(tool, error.message, null));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        code === 0 ? resolve() : reject(this.refused(tool, stderr, code));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(script);
    });
  }

  private async run(family: Family, args: string[]): Promise<void> {
    const result = await runCommand(family.tool, ['-w', LOCK_WAIT_S, ...args], TIMEOUT_MS);
    if (result.code !== 0)
      throw this.refused(`${family.tool} ${args.slice(0, 2).join(' ')}`, result.stderr, result.code);
  }

  /** One operation, read to write, under the process's firewall turn; again on a transient failure. */
  private async retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await serialized(operation);
      } catch (error) {
        if (attempt >= this.attempts || !(error instanceof PodmanLabError && error.transient)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  private refused(what: string, said: string, code: number | null): PodmanLabError {
    // Exit 4 is iptables' "resource problem" (the lock among them); null: killed by our timeout.
    // A missing binary (ENOENT) is not.
    const transient = !/ENOENT|EACCES/.test(said) && (code === 4 || code === null || TRANSIENT.test(said));
    return new PodmanLabError(
      `${what}: ${said.trim() || `exit ${code}`} (the lab host firewall needs root and iptables; hostFirewall: false turns it off)`,
      transient ? 'podman_unavailable' : 'podman_refused',
      code,
    );
  }
}

function sameLines(current: readonly string[], wanted: readonly string[]): boolean {
  return current.length === wanted.length && current.every((line, index) => line === wanted[index]);
}
