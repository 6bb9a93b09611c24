import { describe, expect, it } from 'vitest';
import { imageRef, sameSandbox, sandboxRunArgs } from './sandbox-args.ts';

const spec = {
  image: 'localhost/aperture/runner-python:latest',
  memoryBytes: 300_000_000,
  pids: 96,
  cpus: 1,
  network: false,
  workDirBytes: 64 << 20,
  deadlineMs: 1,
};

describe('sandbox flags', () => {
  const args = sandboxRunArgs(spec, 'aperture-run-x-1', { 'dev.aperture.run': 'run_x' });

  it.each([
    '--network=none',
    '--read-only',
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    '--user=1000:1000',
    '--memory=300000000',
    '--memory-swap=300000000',
    '--pids-limit=96',
    '--cpus=1',
    '--pull=never',
    '--rm',
    '--label=dev.aperture.managed=true',
    '--label=dev.aperture.run=run_x',
  ])('has %s', (flag) => expect(args).toContain(flag));

  it('mounts only small, size-capped tmpfs dirs as writable', () => {
    const tmpfs = args.filter((a) => a.startsWith('--tmpfs='));
    expect(tmpfs).toHaveLength(3);
    expect(tmpfs.every((a) => /size=\d+/.test(a))).toBe(true);
    expect(tmpfs.every((a) => a.includes('nosuid') && a.includes('nodev'))).toBe(true);
  });

  it('ends with the image and gives network only when asked', () => {
    expect(args.at(-1)).toBe(spec.image);
    expect(sandboxRunArgs({ ...spec, network: true }, 'n', {})).toContain('--network=slirp4netns');
  });

  it('pools only identical sandboxes and qualifies image names', () => {
    expect(sameSandbox(spec, { ...spec, deadlineMs: 99 })).toBe(true);
    expect(sameSandbox(spec, { ...spec, memoryBytes: 1 })).toBe(false);
    expect(imageRef('localhost/', 'aperture/runner-c')).toBe('localhost/aperture/runner-c:latest');
  });
});

describe('isolated sandbox flags (ADR 0006)', () => {
  const cgroups = {
    parent: '/aperture-box-x',
    binds: [{ source: '/sys/fs/cgroup/memory/aperture-box-x', destination: '/aperture/cgroup/memory' }],
  };
  const args = sandboxRunArgs(spec, 'n', {}, { idBase: 1_500_000_000, cgroups });

  it('runs the harness as root of its own user namespace with only its few capabilities', () => {
    expect(args).toEqual(
      expect.arrayContaining([
        '--user=0:0',
        '--uidmap=0:1500000000:65536',
        '--gidmap=0:1500000000:65536',
        '--cap-drop=ALL',
        '--cap-add=CHOWN,DAC_OVERRIDE,FOWNER,KILL,SETUID,SETGID,SETPCAP,SYS_ADMIN',
        '--security-opt=no-new-privileges',
        '--env=APERTURE_ISOLATE=1',
      ]),
    );
    expect(args).not.toContain('--user=1000:1000');
  });

  it('puts the container below its delegated cgroup box and binds the box in', () => {
    expect(args).toContain('--cgroup-parent=/aperture-box-x');
    expect(args).toContain('--volume=/sys/fs/cgroup/memory/aperture-box-x:/aperture/cgroup/memory:rw');
    expect(args).toContain('--env=APERTURE_CGROUP_ROOT=/aperture/cgroup');
  });

  it('without delegated cgroups: isolated, but no cgroup root for runlimit', () => {
    const plain = sandboxRunArgs(spec, 'n', {}, { idBase: 7, cgroups: undefined });
    expect(plain).toContain('--env=APERTURE_ISOLATE=1');
    expect(plain.some((a) => a.startsWith('--cgroup-parent') || a.includes('APERTURE_CGROUP_ROOT'))).toBe(
      false,
    );
  });
});
