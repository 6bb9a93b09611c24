/**
 * deploy/seccomp/: the Localhost profile of isolated run pods (ADR 0006) is containerd 1.6's
 * RuntimeDefault plus exactly the namespace syscalls, in the OCI form containerd reads.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../../../deploy/seccomp/', import.meta.url));

interface Rule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}
interface Profile {
  defaultAction: string;
  architectures: string[];
  syscalls: Rule[];
}

const PROFILES = {
  amd64: {
    file: 'aperture-runner.json',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  },
  arm64: { file: 'aperture-runner.arm64.json', architectures: ['SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64'] },
};
const ADDED = ['clone', 'mount', 'pivot_root', 'setdomainname', 'sethostname', 'umount2', 'unshare'];
/** What containerd's default gives only with a capability a run pod never has: still denied. */
const STILL_DENIED = [
  'setns',
  'pidfd_getfd',
  'process_vm_readv',
  'process_vm_writev',
  'kcmp',
  'bpf',
  'chroot',
  'umount',
  'mount_setattr',
  'move_mount',
  'open_tree',
  'fsopen',
  'fsmount',
  'fsconfig',
  'fspick',
  'open_by_handle_at',
  'perf_event_open',
  'reboot',
  'init_module',
];

const read = (file: string) => JSON.parse(readFileSync(`${DIR}${file}`, 'utf8')) as Profile;
const allowed = (p: Profile) =>
  new Set(p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names));

describe.each(Object.entries(PROFILES))('deploy/seccomp profile for %s', (_arch, { file, architectures }) => {
  const profile = read(file);

  it('is OCI linux.seccomp JSON: nothing containerd 1.6 would silently drop', () => {
    // Docker's includes/excludes/archMap are not OCI: containerd ignores them, so a rule behind
    // one would vanish without a word.
    expect(Object.keys(profile).sort()).toEqual(['architectures', 'defaultAction', 'syscalls']);
    for (const rule of profile.syscalls)
      for (const key of Object.keys(rule)) expect(['names', 'action', 'errnoRet', 'args']).toContain(key);
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.architectures).toEqual(architectures);
  });

  it('allows the namespace syscalls with no condition, in one rule of its own', () => {
    const rules = profile.syscalls.filter((r) => r.names.some((n) => ADDED.includes(n)));
    expect(rules).toEqual([{ names: ADDED, action: 'SCMP_ACT_ALLOW' }]);
  });

  it('keeps clone3 at ENOSYS (glibc then falls back to clone) and denies the rest', () => {
    expect(profile.syscalls.filter((r) => r.names.includes('clone3'))).toEqual([
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ]);
    const allow = allowed(profile);
    for (const name of STILL_DENIED) expect(allow.has(name), name).toBe(false);
    for (const name of ['read', 'write', 'execve', 'wait4', 'kill', 'prctl', 'ptrace', 'capset'])
      expect(allow.has(name), name).toBe(true);
  });
});

describe('deploy/seccomp profiles of both architectures', () => {
  it('differ only in the architecture-specific syscalls of containerd’s default', () => {
    const amd64 = allowed(read(PROFILES.amd64.file));
    const arm64 = allowed(read(PROFILES.arm64.file));
    expect([...amd64].filter((n) => !arm64.has(n)).sort()).toEqual(['arch_prctl', 'modify_ldt']);
    expect([...arm64].filter((n) => !amd64.has(n)).sort()).toEqual([
      'arm_fadvise64_64',
      'arm_sync_file_range',
      'breakpoint',
      'cacheflush',
      'set_tls',
      'sync_file_range2',
    ]);
  });

  it('are what generate.sh derives from containerd’s own default profile (needs Go)', (context) => {
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.error) return context.skip('Go is not installed');
    const result = spawnSync('bash', [`${DIR}generate.sh`, '--check'], { encoding: 'utf8' });
    if (result.status !== 0 && /proxy\.golang\.org|dial tcp|no such host|GOPROXY/.test(result.stderr))
      return context.skip(`the containerd module could not be downloaded: ${result.stderr.trim()}`);
    expect(result.status, result.stderr).toBe(0);
  }, 300_000);
});
