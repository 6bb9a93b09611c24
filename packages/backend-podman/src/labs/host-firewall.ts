/**
 * Keeps labs away from the host. An internal network has no route out, but its bridge carries the
 * gateway address on the host, so every host service listening on all addresses (a database, an
 * agent) would be one `curl` away from every student. Per lab network: in a chain of our own,
 * jumped to first from INPUT, replies to connections the host opened (LabAccess.connect) and DNS
 * to aardvark on the gateway are accepted, everything else from the bridge is dropped. Rules carry
 * the network's name in a comment, so teardown removes exactly its own and a sweep finds strays.
 */
import { spawn } from 'node:child_process';
import { podman as runCommand } from '../podman-cli.ts';
import { PodmanLabError } from './lab-cli.ts';

export const LAB_CHAIN = 'APERTURE-LABS';
const COMMENT_PREFIX = 'aperture-lab:';

interface Rule {
  network: string;
  /** The iptables-restore line that deletes it. */
  delete: string;
}

export class LabHostFirewall {
  private chainReady: Promise<void> | undefined;

  constructor(private readonly iptables = 'iptables') {}

  /** Drops what comes from `bridge` to the host, but DNS and replies; idempotent. */
  async isolate(network: string, bridge: string): Promise<void> {
    await this.ensureChain();
    if ((await this.rules()).some((rule) => rule.network === network)) return;
    const rule = (match: string) =>
      `-A ${LAB_CHAIN} -i ${bridge} ${match} -m comment --comment "${COMMENT_PREFIX}${network}"`;
    await this.restore([
      rule('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
      rule('-p udp --dport 53 -j ACCEPT'),
      rule('-p tcp --dport 53 -j ACCEPT'),
      rule('-j DROP'),
    ]);
  }

  /** Removes the rules of these networks (before the networks go, so a reused bridge is never caught). */
  async release(networks: readonly string[]): Promise<void> {
    const gone = new Set(networks);
    await this.restore(
      (await this.rules()).filter((rule) => gone.has(rule.network)).map((rule) => rule.delete),
    );
  }

  /**
   * Removes rules of networks that no longer exist (removed by hand, or a crash between a network's
   * removal and its rules'): Podman reuses bridge names, and a stray DROP would catch the next one.
   */
  async sweep(existingNetworks: () => Promise<ReadonlySet<string>>): Promise<void> {
    // Rules first, networks after: a network made meanwhile has its rules appended after it
    // exists, so any rule seen here belongs to a network the later listing still shows.
    const rules = await this.rules();
    if (rules.length === 0) return;
    const existing = await existingNetworks();
    await this.restore(rules.filter((rule) => !existing.has(rule.network)).map((rule) => rule.delete));
  }

  /** Networks that have rules here: what teardown must verify is gone. */
  async networks(): Promise<string[]> {
    return [...new Set((await this.rules()).map((rule) => rule.network))];
  }

  private ensureChain(): Promise<void> {
    this.chainReady ??= (async () => {
      const exists = await runCommand(this.iptables, ['-w', '-S', LAB_CHAIN], 30_000);
      if (exists.code !== 0) await this.run(['-N', LAB_CHAIN]).catch(() => undefined);
      const jumps = await runCommand(this.iptables, ['-w', '-C', 'INPUT', '-j', LAB_CHAIN], 30_000);
      if (jumps.code !== 0) await this.run(['-I', 'INPUT', '1', '-j', LAB_CHAIN]);
    })();
    const pending = this.chainReady;
    pending.catch(() => {
      if (this.chainReady === pending) this.chainReady = undefined;
    });
    return pending;
  }

  /** Our chain's rules that carry a lab network's name; none when the chain does not exist. */
  private async rules(): Promise<Rule[]> {
    const listed = await runCommand(this.iptables, ['-w', '-S', LAB_CHAIN], 30_000);
    if (listed.code !== 0) return [];
    return listed.stdout.split('\n').flatMap((line) => {
      const words = line
        .trim()
        .split(/\s+/)
        .map((word) => word.replace(/^"|"$/g, ''));
      const comment = words[words.indexOf('--comment') + 1];
      if (words[0] !== '-A' || !comment?.startsWith(COMMENT_PREFIX)) return [];
      // `-S` prints a rule as iptables-restore reads it: the same line with -D deletes it.
      return [{ network: comment.slice(COMMENT_PREFIX.length), delete: `-D${line.trim().slice(2)}` }];
    });
  }

  /**
   * Rule changes in one `iptables-restore --noflush` (one process, one atomic commit) rather than
   * one `iptables` per rule: a class's teardown removes four rules per student.
   */
  private restore(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const script = `*filter\n${lines.join('\n')}\nCOMMIT\n`;
    return new Promise((resolve, reject) => {
      const child = spawn(`${this.iptables}-restore`, ['--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', (error) => reject(this.refused('iptables-restore', error.message, null)));
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(this.refused('iptables-restore', stderr, code)),
      );
      child.stdin.end(script);
    });
  }

  private async run(args: string[]): Promise<void> {
    const result = await runCommand(this.iptables, ['-w', ...args], 30_000);
    if (result.code !== 0)
      throw this.refused(`${this.iptables} ${args.slice(0, 2).join(' ')}`, result.stderr, result.code);
  }

  private refused(what: string, said: string, code: number | null): PodmanLabError {
    return new PodmanLabError(
      `${what}: ${said.trim() || `exit ${code}`} (the lab host firewall needs root and iptables; hostFirewall: false turns it off)`,
      'podman_refused',
      code,
    );
  }
}
