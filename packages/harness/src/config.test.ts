import { describe, expect, it } from 'vitest';
import { checkIsolation, configFromEnv } from './config.ts';

describe('the harness config of the isolated modes (ADR 0006)', () => {
  it('is the plain mode unless APERTURE_ISOLATE says otherwise', () => {
    expect(configFromEnv({}).isolation).toBeUndefined();
    expect(configFromEnv({ APERTURE_ISOLATE: 'yes' }).isolation).toBeUndefined();
    expect(checkIsolation(undefined, 1000, 'yes')).toMatch(/not a mode this harness knows/);
    expect(checkIsolation(undefined, 1000, undefined)).toBeUndefined();
  });

  it('on Podman: programs as 1000, the checker as 1001, with the delegated cgroups', () => {
    const { isolation } = configFromEnv({ APERTURE_ISOLATE: '1', APERTURE_CGROUP_ROOT: '/aperture/cgroup' });
    expect(isolation).toMatchObject({
      userns: false,
      programUid: 1000,
      checkerUid: 1001,
      cgroupRoot: '/aperture/cgroup',
    });
    expect(checkIsolation(isolation, 0)).toBeUndefined();
    expect(checkIsolation(isolation, 1000)).toMatch(/needs the harness to run as root/);
  });

  it('without privileges: our own uid for every execution, no cgroups, the job file hidden', () => {
    const { isolation } = configFromEnv({
      APERTURE_ISOLATE: 'userns',
      APERTURE_CGROUP_ROOT: '/ignored',
      APERTURE_JOB_FILE: '/var/run/aperture-job/job',
    });
    expect(isolation).toMatchObject({ userns: true, cgroupRoot: undefined });
    expect(isolation?.programUid).toBe(process.getuid?.());
    expect(isolation?.checkerUid).toBe(isolation?.programUid);
    expect(isolation?.hidden).toEqual(['/dev/mqueue', '/var/run/aperture-job']);
    expect(checkIsolation(isolation, 1000)).toBeUndefined();
    expect(checkIsolation(isolation, 0)).toMatch(/other than 0/);
  });
});
