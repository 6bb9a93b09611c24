import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { file, runOf } from '@aperture/backend-contract';
import { type CoreDeps, Dispatcher, type Run } from '@aperture/core';
import { createStore } from '@aperture/storage';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { InProcessEventBus } from './infra/event-bus.ts';
import { ScryptSecretHasher } from './infra/hasher.ts';
import { RandomIdGenerator } from './infra/ids.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';

const dir = mkdtempSync(join(tmpdir(), 'aperture-dispatch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run a crashed server left `running`, at the given attempt. */
const runLeftRunning = (id: string, attempts: number): Run => ({
  ...runOf({ language: 'python', files: [file('main.py', 'ok')] }, id),
  userId: 'usr_1',
  attempts,
});

describe('dispatcher recovery (real SQLite store)', () => {
  it('re-queues runs interrupted by a crash, but fails one interrupted on its last attempt', async () => {
    const store = await createStore({ sqlitePath: join(dir, 'a.sqlite') });
    await store.users.insert({
      id: 'usr_1',
      username: 'u',
      displayName: 'u',
      email: null,
      role: 'user',
      passwordHash: null,
      createdAt: '',
    });
    await store.runs.insert(runLeftRunning('run_again', 1));
    await store.runs.insert(runLeftRunning('run_poison', 3));
    const deps: CoreDeps = {
      store,
      clock: { now: () => new Date() },
      ids: new RandomIdGenerator(),
      hasher: new ScryptSecretHasher(),
      events: new InProcessEventBus(),
    };
    const dispatcher = new Dispatcher(deps, new ScriptedExecutor(), pino({ level: 'silent' }), {
      concurrency: 1,
      maxAttempts: 3,
    });
    await dispatcher.start();
    for (let i = 0; i < 50 && (await store.runs.get('run_again'))?.status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await store.runs.get('run_again')).toMatchObject({ status: 'completed', attempts: 2 });
    expect(await store.runs.get('run_poison')).toMatchObject({ status: 'failed', verdict: 'internal_error' });
    await dispatcher.stop(100);
    await store.close();
  });
});
