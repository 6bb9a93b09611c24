import { describeRunExecutorContract, file, requestFor, runOf } from '@aperture/backend-contract';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { podman } from './podman-cli.ts';
import { PodmanRunExecutor } from './podman-run-executor.ts';

const logger = pino({ level: 'silent' });

async function leftovers(): Promise<string[]> {
  const listed = await podman('podman', [
    'ps',
    '--all',
    '--filter',
    'label=dev.aperture.run',
    '--format',
    '{{.Names}}',
  ]);
  return listed.stdout.split('\n').filter(Boolean);
}

const create = (poolSize = 0) =>
  PodmanRunExecutor.create({
    podmanPath: 'podman',
    imagePrefix: 'localhost/',
    poolSize,
    poolLanguages: ['python'],
    logger,
  });

describeRunExecutorContract('podman (cold)', () => create(0), { leftovers });
describeRunExecutorContract('podman (warm pool)', () => create(2), { leftovers });

describe('podman warm pool', () => {
  it('serves a default-limits run from a pre-started sandbox and replaces it', async () => {
    const executor = await create(1);
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const health = await executor.health();
      expect(health.details['pool']).toEqual([
        { image: 'localhost/aperture/runner-python:latest', idle: 1, size: 1 },
      ]);
      const outcome = await executor.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', 'print(6*7)')] })),
      );
      expect(outcome.kind === 'result' && outcome.result.execution?.stdout).toBe('42\n');
      const pooled = await podman('podman', [
        'ps',
        '--filter',
        'label=dev.aperture.pool',
        '--format',
        '{{.Names}}',
      ]);
      expect(pooled.stdout.trim().split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(1);
    } finally {
      await executor.close();
    }
    const after = await podman('podman', [
      'ps',
      '--all',
      '--filter',
      'label=dev.aperture.pool',
      '--format',
      '{{.Names}}',
    ]);
    expect(after.stdout.trim()).toBe('');
  }, 60_000);
});
