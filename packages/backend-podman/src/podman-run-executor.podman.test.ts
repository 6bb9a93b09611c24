import { describeRunExecutorContract, file, requestFor, runOf } from '@aperture/backend-contract';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { podman } from './podman-cli.ts';
import { PodmanRunExecutor } from './podman-run-executor.ts';

const logger = pino({ level: 'silent' });

/** Each executor gets its own instance label, so parallel suites never see or sweep each other. */
const instances = {
  cold: `test-cold-${process.pid}`,
  pool: `test-pool-${process.pid}`,
  lone: `test-lone-${process.pid}`,
};

async function containersOf(instance: string, extraFilter?: string): Promise<string[]> {
  const filters = ['--filter', `label=dev.aperture.instance=${instance}`];
  if (extraFilter) filters.push('--filter', extraFilter);
  const listed = await podman('podman', ['ps', '--all', ...filters, '--format', '{{.Names}}']);
  return listed.stdout.split('\n').filter(Boolean);
}

/** Run sandboxes only: a warm pool's idle sandboxes are expected to stay. */
const leftoversOf = (instance: string) => () => containersOf(instance, 'label=dev.aperture.run');

const create = (instance: string, poolSize = 0) =>
  PodmanRunExecutor.create({
    podmanPath: 'podman',
    imagePrefix: 'localhost/',
    poolSize,
    poolLanguages: ['python'],
    logger,
    instance,
  });

describeRunExecutorContract('podman (cold)', () => create(instances.cold, 0), {
  leftovers: leftoversOf(instances.cold),
});
describeRunExecutorContract('podman (warm pool)', () => create(instances.pool, 2), {
  leftovers: leftoversOf(instances.pool),
});

describe('podman warm pool', () => {
  it('serves a default-limits run from a pre-started sandbox and replaces it', async () => {
    const executor = await create(instances.lone, 1);
    try {
      for (let i = 0; i < 100; i++) {
        const pool = (await executor.health()).details['pool'] as Array<{ idle: number }>;
        if (pool[0]?.idle === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const health = await executor.health();
      expect(health.details['pool']).toEqual([
        { image: 'localhost/aperture/runner-python:latest', idle: 1, busy: 0, size: 1 },
      ]);
      const outcome = await executor.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', 'print(6*7)')] })),
      );
      expect(outcome.kind === 'result' && outcome.result.execution?.stdout).toBe('42\n');
      expect((await containersOf(instances.lone, 'label=dev.aperture.pool')).length).toBeGreaterThanOrEqual(
        1,
      );
    } finally {
      await executor.close();
    }
    expect(await containersOf(instances.lone)).toEqual([]);
  }, 60_000);

  it('sweeps only its own instance', async () => {
    const mine = await create(instances.lone, 0);
    const other = await create(`${instances.lone}-other`, 0);
    try {
      const controller = new AbortController();
      const running = other.execute(
        requestFor(
          runOf({ language: 'python', files: [file('main.py', 'import time\ntime.sleep(3)\nprint("ok")')] }),
          controller.signal,
        ),
      );
      for (let i = 0; i < 50 && (await containersOf(`${instances.lone}-other`)).length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await mine.sweep(new Set())).removed).toBe(0);
      const outcome = await running;
      expect(outcome.kind === 'result' && outcome.result.execution?.stdout).toBe('ok\n');
    } finally {
      await mine.close();
      await other.close();
    }
  }, 60_000);
});
