import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { crashAndRecover } from './testing/crash-recovery.ts';

/** Both server processes are one installation: the second must find what the first left. */
const INSTANCE = `test-recovery-${process.pid}`;

const ourContainers = async () =>
  execFileSync(
    'podman',
    ['ps', '--all', '--filter', `label=dev.aperture.instance=${INSTANCE}`, '--format', '{{.Names}}'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);

describe('crash recovery (kill -9, real Podman)', () => {
  it('after kill -9 and a restart, every queued or running run ends with exactly one result, and no container is left', async () => {
    await crashAndRecover({ env: { APERTURE_INSTANCE: INSTANCE }, sandboxes: ourContainers });
  }, 120_000);
});
