import type { BackendHealth, ExecutionRequest, ExecutionResult, RunExecutor } from '@aperture/core';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { freshPostgresDatabase, startTestServer, type TestServer } from './testing/test-server.ts';

/**
 * Fair share of execution, end to end: the real dispatcher and store, an executor whose runs end
 * only when the test says so. Time is counted in runs that had to finish, never in seconds, so a
 * loaded machine can make these tests slower but not wrong.
 */
class GatedExecutor implements RunExecutor {
  readonly name = 'gated';
  /** Run ids in the order the dispatcher started them. */
  readonly started: string[] = [];
  private readonly gates = new Map<string, () => void>();
  private readonly results = new ScriptedExecutor();

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    this.started.push(request.runId);
    await new Promise<void>((resolve) => {
      this.gates.set(request.runId, resolve);
      request.signal.addEventListener('abort', () => resolve());
    });
    this.gates.delete(request.runId);
    return this.results.execute(request);
  }

  /** Let one held run finish. */
  finish(runId: string): void {
    const open = this.gates.get(runId);
    if (!open) throw new Error(`run ${runId} is not executing`);
    open();
  }

  async sweep(): Promise<{ removed: number }> {
    return { removed: 0 };
  }

  async health(): Promise<BackendHealth> {
    return { ok: true, backend: this.name, details: {} };
  }

  async close(): Promise<void> {}
}

/** Poll until `condition` holds; generous, as only a broken scheduler makes it time out. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const program = (text: string) => ({ language: 'python', files: [{ path: 'main.py', content: text }] });

describe('fair share of execution', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(concurrency: number, databaseUrl?: string) {
    const executor = new GatedExecutor();
    t = await startTestServer(executor, { concurrency, ...(databaseUrl ? { databaseUrl } : {}) });
    const student = await t.login('student', DEMO_PASSWORD);
    const student2 = await t.login('student2', DEMO_PASSWORD);
    const instructor = await t.login('instructor', DEMO_PASSWORD);
    return { t, executor, student, student2, instructor };
  }

  async function flood(server: TestServer, token: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const created = await server.api(token, 'POST', '/api/v1/runs', program(`flood ${i}`));
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      ids.push(created.body.id);
    }
    return ids;
  }

  it('2 slots: a flooding student holds one; another student’s run starts with none of the flood finished', async () => {
    const { t, executor, student, student2 } = await start(2);
    const flooded = await flood(t, student, 20);
    await eventually(() => executor.started.length === 1, 'the flood holds a slot');

    const other = await t.api(student2, 'POST', '/api/v1/runs', program('quick'));
    expect(other.status).toBe(202);
    // The bound: 0 of the flood's runs have to end. Had the flood taken the second slot, this would
    // wait for a release that never comes, and time out.
    await eventually(() => executor.started.includes(other.body.id), 'the other student’s run starts');
    expect(executor.started).toEqual([flooded[0], other.body.id]);

    executor.finish(other.body.id);
    const done = await t.api(student2, 'GET', `/api/v1/runs/${other.body.id}?wait=true&timeoutMs=10000`);
    expect(done.body.status).toBe('completed');
    // The freed slot is the reserve again: the flood (at its share of 1) may not borrow it.
    expect(executor.started).toHaveLength(2);
    expect((await t.server.ctx.deps.store.runs.countByStatus()).running).toBe(1);
  });

  it('1 slot: the newcomer starts as soon as the one flood run executing ends (round robin)', async () => {
    const { t, executor, student, student2 } = await start(1);
    const flooded = await flood(t, student, 20);
    await eventually(() => executor.started.length === 1, 'the flood holds the slot');
    const other = await t.api(student2, 'POST', '/api/v1/runs', program('quick'));
    expect(other.status).toBe(202);

    // The bound: exactly one of the flood's runs ends first, so the wait is at most one run's
    // booked time (a student's ad-hoc run: at most the 60 s ceiling, plus sandbox start-up).
    executor.finish(flooded[0]!);
    await eventually(() => executor.started.length === 2, 'the next run starts');
    expect(executor.started[1]).toBe(other.body.id);

    // Then the flood goes on, one at a time.
    executor.finish(other.body.id);
    await eventually(() => executor.started.length === 3, 'the flood resumes');
    expect(executor.started[2]).toBe(flooded[1]);
  });

  it('refuses a student’s ad-hoc run over a ceiling with a 400 naming the limit; staff may book more', async () => {
    const { t, student, instructor } = await start(2);
    const tests = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `t${i}` }));

    const longTest = await t.api(student, 'POST', '/api/v1/runs', {
      ...program('x'),
      limits: { wallMs: 120_000 },
    });
    expect(longTest.status).toBe(400);
    expect(longTest.body.error).toMatchObject({
      code: 'validation_failed',
      details: { limit: 'testWallMs', ceiling: 10_000, requested: 120_000, field: 'limits.wallMs' },
    });
    expect(longTest.body.error.message).toContain('at most 10 s');

    const manyTests = await t.api(student, 'POST', '/api/v1/runs', { ...program('x'), tests: tests(21) });
    expect(manyTests.status).toBe(400);
    expect(manyTests.body.error.details).toMatchObject({ limit: 'tests', ceiling: 20, requested: 21 });

    // 7 tests at the default 10 s book 70 s, over the 60 s total; 6 fit exactly.
    const tooMuch = await t.api(student, 'POST', '/api/v1/runs', { ...program('x'), tests: tests(7) });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details).toMatchObject({
      limit: 'bookedMs',
      ceiling: 60_000,
      requested: 70_000,
    });
    expect((await t.api(student, 'POST', '/api/v1/runs', { ...program('x'), tests: tests(6) })).status).toBe(
      202,
    );
    // 20 short tests fit too: the ceiling is on booked time, not on the shape of the run.
    const short = { ...program('x'), tests: tests(20), limits: { wallMs: 2_000 } };
    expect((await t.api(student, 'POST', '/api/v1/runs', short)).status).toBe(202);

    expect(
      (await t.api(instructor, 'POST', '/api/v1/runs', { ...program('x'), tests: tests(7) })).status,
    ).toBe(202);
    const overStaff = await t.api(instructor, 'POST', '/api/v1/runs', {
      ...program('x'),
      tests: tests(11),
      limits: { wallMs: 60_000 },
    });
    expect(overStaff.status).toBe(400);
    expect(overStaff.body.error.details).toMatchObject({
      limit: 'bookedMs',
      ceiling: 600_000,
      runner: 'staff',
    });
  });

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`${dialect}: concurrent requests never exceed the unfinished cap (429) or the submission quota`, async () => {
      const databaseUrl =
        dialect === 'postgres' ? await freshPostgresDatabase(inject('postgresUrl')) : undefined;
      const { t, student, student2, instructor } = await start(2, databaseUrl);

      const burst = await Promise.all(
        Array.from({ length: 30 }, (_, i) => t.api(student, 'POST', '/api/v1/runs', program(`burst ${i}`))),
      );
      const statuses = burst.map((r) => r.status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(20);
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
      const refused = burst.find((r) => r.status === 429)!;
      expect(refused.body.error).toMatchObject({
        code: 'rate_limited',
        details: { limit: 'maxUnfinished', ceiling: 20, used: 20 },
      });
      expect(refused.body.error.message).toContain('20 runs queued or running');

      const assignment = await t.api(instructor, 'POST', '/api/v1/courses/DEMO101/assignments', {
        slug: 'quota-race',
        title: 'Quota race',
        languages: ['python'],
        tests: [{ name: 'a', expectedOutput: 'a' }],
        submissionLimit: { count: 3, periodSeconds: 3600 },
      });
      expect(assignment.status).toBe(201);
      const submissions = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.api(student2, 'POST', `/api/v1/assignments/${assignment.body.id}/submissions`, program('a')),
        ),
      );
      expect(submissions.filter((r) => r.status === 202)).toHaveLength(3);
      const over = submissions.find((r) => r.status === 429)!;
      expect(over.body.error.message).toContain('all 3 submissions');
    });
  }
});
