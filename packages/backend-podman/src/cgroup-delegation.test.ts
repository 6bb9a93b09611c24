import { describe, expect, it } from 'vitest';
import { allHierarchies, findV1Hierarchies } from './cgroup-delegation.ts';

const line = (id: number, mountPoint: string, type: string, options: string) =>
  `${id} 20 0:${id} / ${mountPoint} rw,nosuid,nodev,noexec,relatime shared:${id} - ${type} ${type} rw,${options}`;

describe('findV1Hierarchies', () => {
  it('finds each controller on its own mount (this machine: cpu and cpuacct apart)', () => {
    const mountinfo = [
      line(30, '/sys/fs/cgroup/cpu', 'cgroup', 'cpu'),
      line(31, '/sys/fs/cgroup/cpuacct', 'cgroup', 'cpuacct'),
      line(32, '/sys/fs/cgroup/memory', 'cgroup', 'memory'),
      line(33, '/sys/fs/cgroup/pids', 'cgroup', 'pids'),
      line(34, '/sys/fs/cgroup/unified', 'cgroup2', 'nsdelegate'),
    ].join('\n');
    expect(findV1Hierarchies(mountinfo)).toEqual({
      memory: '/sys/fs/cgroup/memory',
      pids: '/sys/fs/cgroup/pids',
      cpuacct: '/sys/fs/cgroup/cpuacct',
    });
  });

  it('finds cpuacct mounted together with cpu (systemd hosts on v1)', () => {
    const mountinfo = [
      line(30, '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'cpu,cpuacct'),
      line(32, '/sys/fs/cgroup/memory', 'cgroup', 'memory'),
    ].join('\n');
    expect(findV1Hierarchies(mountinfo)).toEqual({
      memory: '/sys/fs/cgroup/memory',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
    });
  });

  it('finds nothing on a cgroup v2 host', () => {
    expect(
      findV1Hierarchies(line(30, '/sys/fs/cgroup', 'cgroup2', 'nsdelegate,memory_recursiveprot')),
    ).toEqual({});
  });
});

describe('allHierarchies', () => {
  it('lists every cgroup mount, v1, named and unified: Podman leaves the box in each', () => {
    const mountinfo = [
      line(29, '/sys/fs/cgroup', 'tmpfs', 'mode=755'),
      line(30, '/sys/fs/cgroup/cpu', 'cgroup', 'cpu'),
      line(31, '/sys/fs/cgroup/systemd', 'cgroup', 'xattr,name=systemd'),
      line(34, '/sys/fs/cgroup/unified', 'cgroup2', 'nsdelegate'),
    ].join('\n');
    expect(allHierarchies(mountinfo)).toEqual([
      '/sys/fs/cgroup/cpu',
      '/sys/fs/cgroup/systemd',
      '/sys/fs/cgroup/unified',
    ]);
  });
});
