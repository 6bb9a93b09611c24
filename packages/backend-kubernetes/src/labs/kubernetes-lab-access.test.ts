import { describe, expect, it } from 'vitest';
import { exitCodeOf } from './kubernetes-lab-access.ts';
import { labPermissionOf } from './lab-permissions.ts';

describe('exitCodeOf (the exec status channel)', () => {
  it('Success is 0; NonZeroExitCode carries the code; a command that never ran is null', () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(
      exitCodeOf({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      }),
    ).toBe(3);
    expect(
      exitCodeOf({ status: 'Failure', message: 'exec: "nope": executable file not found in $PATH' }),
    ).toBeNull();
  });
});

describe('labPermissionOf with subresources', () => {
  it('finds pods/exec and pods/portforward apart from pods', () => {
    expect(labPermissionOf('create', 'pods/exec')?.subresource).toBe('exec');
    expect(labPermissionOf('create', 'pods/portforward')?.subresource).toBe('portforward');
    expect(labPermissionOf('list', 'pods')?.subresource).toBeUndefined();
    expect(labPermissionOf('create', 'pods')).toBeUndefined();
  });
});
