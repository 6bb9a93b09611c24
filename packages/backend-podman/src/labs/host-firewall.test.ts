/**
 * The host firewall's calls, against a stand-in `iptables` (a shell script that logs its argv and
 * holds "the xtables lock" for its first calls): every call waits for the lock (`-w`), and a call
 * refused on the lock is retried. The rules themselves are tested on the real kernel in
 * podman-lab-provisioner.podman.test.ts.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabHostFirewall } from './host-firewall.ts';

let dir: string;

/** `iptables`, `ip6tables` and their `-restore`: log, fail `busy` times with exit 4, then succeed. */
async function fakeTools(busy: number): Promise<string> {
  const script = `#!/bin/sh
log="${dir}/log"
count="${dir}/count"
n=$(cat "$count" 2>/dev/null || echo 0); echo $((n + 1)) > "$count"
case "$0" in *-restore) echo "$(basename "$0") $* <<$(cat | tr '\\n' '|')" >> "$log" ;; *) echo "$(basename "$0") $*" >> "$log" ;; esac
if [ "$n" -lt ${busy} ]; then echo "Another app is currently holding the xtables lock. Stopped waiting after 10s." >&2; exit 4; fi
case "$*" in *"-S APERTURE-LABS"*) echo "-N APERTURE-LABS" ;; esac
exit 0
`;
  for (const name of ['iptables', 'iptables-restore', 'ip6tables', 'ip6tables-restore']) {
    await writeFile(join(dir, name), script);
    await chmod(join(dir, name), 0o755);
  }
  return join(dir, 'iptables');
}

const log = async () => (await readFile(join(dir, 'log'), 'utf8')).trim().split('\n');

describe('LabHostFirewall calls', () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lab-fw-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for the xtables lock on every call, iptables-restore included, in both families', async () => {
    const firewall = new LabHostFirewall({ iptables: await fakeTools(0) });
    expect(await firewall.isolate('lab-x', 'podman7', '10.89.7.1')).toBe(true);
    const calls = await log();
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call).toMatch(/^ip6?tables(-restore)? -w 10 /);
    expect(calls.filter((call) => call.startsWith('iptables-restore'))).toHaveLength(1);
    expect(calls.filter((call) => call.startsWith('ip6tables-restore'))).toHaveLength(1);
    // DNS only to the gateway (aardvark), and only over IPv4.
    const [v4] = calls.filter((call) => call.startsWith('iptables-restore'));
    expect(v4?.match(/--dport 53/g)).toHaveLength(2);
    expect(v4?.match(/-d 10\.89\.7\.1\/32 -i podman7 -p (udp|tcp)/g)).toHaveLength(2);
    expect(calls.find((call) => call.startsWith('ip6tables-restore'))).not.toContain('--dport 53');
    // The jump is checked (and here put back) on each isolate, not once per process.
    expect(calls).toContain('iptables -w 10 -C INPUT -j APERTURE-LABS');
    expect(calls).toContain('ip6tables -w 10 -C INPUT -j APERTURE-LABS');
    await firewall.isolate('lab-x', 'podman7', '10.89.7.1');
    expect((await log()).filter((call) => call.includes('-C INPUT'))).toHaveLength(4);
  });

  it('retries an operation refused on the lock', async () => {
    const firewall = new LabHostFirewall({ iptables: await fakeTools(3), ip6tables: false });
    await firewall.isolate('lab-y', 'podman8', '10.89.8.1');
    const restores = (await log()).filter((call) => call.startsWith('iptables-restore'));
    expect(restores.length).toBeGreaterThanOrEqual(1);
    expect(restores.at(-1)).toContain('aperture-lab:lab-y');
  });

  it('gives up after its attempts, quoting iptables', async () => {
    const firewall = new LabHostFirewall({ iptables: await fakeTools(1000), attempts: 2 });
    await expect(firewall.isolate('lab-z', 'podman9', '10.89.9.1')).rejects.toThrow(/xtables lock/);
  });

  it('refuses names that could smuggle rules into iptables-restore', () => {
    const firewall = new LabHostFirewall({ iptables: join(tmpdir(), 'none') });
    expect(() => firewall.isolate('lab-x\n-F INPUT', 'podman1', '10.89.1.1')).toThrow(/plain name/);
    expect(() => firewall.isolate('lab-x', 'podman1', '10.89.1.1 -j ACCEPT')).toThrow(/IPv4/);
  });
});
