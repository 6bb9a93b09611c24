import { DEFAULT_LIMITS } from '@aperture/core';
import { describe, expect, it } from 'vitest';
import { type IsolationConfig, isolationArgs } from './isolation.ts';

const config: IsolationConfig = {
  userns: false,
  programUid: 1000,
  programGid: 1000,
  checkerUid: 1001,
  checkerGid: 1001,
  cgroupRoot: '/aperture/cgroup',
  scratchBytes: 1024,
  workCopyBytes: 4096,
  hidden: ['/dev/mqueue'],
};
const dirs = { workDir: '/work', autograderDir: '/autograder' };
const limits = { ...DEFAULT_LIMITS, memoryBytes: 5000, pids: 7, network: false };

/** The values of every occurrence of one flag. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1] ?? ''] : []));
}

describe('isolationArgs', () => {
  it('runs a test as the program uid, in its own cgroups, on a fresh copy of the work dir', () => {
    const args = isolationArgs(config, dirs, { kind: 'program' }, limits);
    expect(args.slice(0, 5)).toEqual(['--isolate', '--uid', '1000', '--gid', '1000']);
    expect(values(args, '--cgroup-root')).toEqual(['/aperture/cgroup']);
    expect(values(args, '--memory')).toEqual(['5000']);
    expect(values(args, '--pids')).toEqual(['7']);
    expect(values(args, '--fresh')).toEqual(['/tmp:1024', '/dev/shm:1024']);
    expect(values(args, '--copy')).toEqual(['/work:4096']);
    expect(values(args, '--hide')).toEqual(['/dev/mqueue', '/aperture/cgroup', '/autograder']);
    expect(args).not.toContain('--share-net');
  });

  it('lets the compiler write into the work dir itself', () => {
    const args = isolationArgs(config, dirs, { kind: 'compile' }, limits);
    expect(values(args, '--copy')).toEqual([]);
    expect(values(args, '--hide')).not.toContain('/work');
  });

  it('runs the checker as its own uid on copies of its dirs, the student work dir hidden', () => {
    const args = isolationArgs(config, dirs, { kind: 'checker', dirs: ['/tmp/s', '/tmp/c'] }, limits);
    expect(args.slice(0, 5)).toEqual(['--isolate', '--uid', '1001', '--gid', '1001']);
    expect(values(args, '--copy')).toEqual(['/tmp/s:1024', '/tmp/c:1024']);
    expect(values(args, '--hide')).toEqual(expect.arrayContaining(['/work', '/autograder']));
    // The copies are mounted after the fresh /tmp they live in.
    expect(args.indexOf('--copy')).toBeGreaterThan(args.lastIndexOf('--fresh'));
  });

  it('shares the network only when the limits allow it, and needs no cgroup root', () => {
    const args = isolationArgs(
      { ...config, cgroupRoot: undefined },
      dirs,
      { kind: 'autograder' },
      {
        ...limits,
        network: true,
      },
    );
    expect(args).toContain('--share-net');
    expect(args).not.toContain('--cgroup-root');
    expect(values(args, '--hide')).toEqual(['/dev/mqueue']);
  });
});

describe('isolationArgs without privileges (--userns)', () => {
  it('asks runlimit for a user namespace of the execution, with no cgroups', () => {
    const args = isolationArgs(
      {
        ...config,
        userns: true,
        cgroupRoot: undefined,
        programUid: 1000,
        checkerUid: 1000,
        checkerGid: 1000,
      },
      dirs,
      { kind: 'checker', dirs: ['/tmp/s'] },
      limits,
    );
    expect(args.slice(0, 6)).toEqual(['--isolate', '--userns', '--uid', '1000', '--gid', '1000']);
    expect(args).not.toContain('--cgroup-root');
  });
});
