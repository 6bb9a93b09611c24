/**
 * Brings every live lab deployment to what the store says it should be, on a timer: work a crash
 * left half done (a deployment still `deploying` or `destroying`, a copy still `resetting`, a
 * version still `checking`), students enrolled after the deploy, students who left, idle copies
 * (stopped, volumes kept) and expired deployments (destroyed). Each tick only queues work on the
 * LabWorker, and skips deployments this process is already working on, so ticks never pile up.
 */

import { lifetimeMs } from '../labs/duration.ts';
import type { LabDeployment, LabEnvironment } from '../labs/lab-entities.ts';
import type { Logger } from '../ports.ts';
import { type CoreDeps, isoNow } from './deps.ts';
import { type LabWorker, newEnvironment } from './lab-worker.ts';

export interface LabReconcilerOptions {
  logger: Logger;
  /** Between ticks (default 15 s). */
  intervalMs?: number;
  /**
   * After a teardown that was not verified, the wait before the next try (default 30 s), doubled
   * after each (at most 30 min); after `LabWorker.teardownMaxAttempts` tries it is not retried.
   */
  teardownRetryMs?: number;
}

const MAX_TEARDOWN_BACKOFF_MS = 30 * 60_000;

/** What one tick queued, for logs and tests. */
export interface LabTickSummary {
  checks: number;
  applies: number;
  resets: number;
  enrolled: number;
  removed: number;
  idleStopped: number;
  teardowns: number;
  /** Copies recorded ready that the engine no longer runs, made `pending` (deployed again). */
  lost: number;
}

export class LabReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<LabTickSummary> | undefined;
  private again = false;

  constructor(
    private readonly deps: CoreDeps,
    private readonly worker: LabWorker,
    private readonly options: LabReconcilerOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poke(), this.options.intervalMs ?? 15_000);
    this.timer.unref();
    this.poke();
  }

  /** Stops the timer and waits for the tick in progress; queued lab work goes on (see LabWorker.idle). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** A tick soon (after an enrollment, say); one that arrives during a tick runs right after it. */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    void this.tick().catch((error: unknown) => this.options.logger.error({ err: error }, 'lab tick failed'));
  }

  tick(): Promise<LabTickSummary> {
    if (this.running) return this.running;
    this.running = this.tickOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
    return this.running;
  }

  private async tickOnce(): Promise<LabTickSummary> {
    const summary: LabTickSummary = {
      checks: 0,
      applies: 0,
      resets: 0,
      enrolled: 0,
      removed: 0,
      idleStopped: 0,
      teardowns: 0,
      lost: 0,
    };
    await this.resumeChecks(summary);
    for (const deployment of await this.deps.store.labDeployments.listLive()) {
      if (this.worker.queue.busy(deployment.id)) continue;
      try {
        await this.reconcile(deployment, summary);
      } catch (error) {
        // One deployment's trouble (a lab deleted under it, say) must not stall the others.
        this.options.logger.error({ err: error, deploymentId: deployment.id }, 'lab reconcile failed');
      }
    }
    if (Object.values(summary).some((n) => n > 0)) this.options.logger.info(summary, 'lab tick');
    return summary;
  }

  private async resumeChecks(summary: LabTickSummary): Promise<void> {
    for (const version of await this.deps.store.labVersions.listChecking()) {
      if (this.worker.isChecking(version.labId, version.id)) continue;
      const earlier = (await this.deps.store.labDeployments.listByLab(version.labId)).find(
        (d) => d.kind === 'check' && d.versionId === version.id,
      );
      void this.worker.check(version.labId, version.id, earlier?.createdBy ?? version.createdBy);
      summary.checks++;
    }
  }

  private async reconcile(deployment: LabDeployment, summary: LabTickSummary): Promise<void> {
    const now = this.deps.clock.now();
    if (deployment.state === 'destroying') return this.queueTeardown(deployment, summary);
    if (deployment.kind === 'check') {
      // A check copy lives only while its check runs in this process; any other is left over.
      if (!deployment.versionId || !this.worker.isChecking(deployment.labId, deployment.versionId))
        await this.queueTeardown(deployment, summary);
      return;
    }
    if (deployment.expiresAt !== null && deployment.expiresAt <= now.toISOString())
      return this.queueTeardown(deployment, summary);
    if (deployment.kind === 'course') await this.syncEnrollments(deployment, summary);
    let environments = await this.deps.store.labEnvironments.listByDeployment(deployment.id);
    // Recorded ready is not proof it runs (a host reboot): one status call, and the lost are redeployed.
    const lost = new Set(await this.worker.markLost(deployment, environments));
    if (lost.size > 0) {
      summary.lost += lost.size;
      environments = environments.map((e) => (lost.has(e.userId) ? { ...e, state: 'pending' as const } : e));
    }
    if (
      deployment.state === 'deploying' ||
      environments.some((e) => e.state === 'pending' || e.state === 'deploying')
    ) {
      void this.worker.apply(deployment.id);
      summary.applies++;
    }
    for (const environment of environments.filter((e) => e.state === 'resetting')) {
      void this.worker.reset(deployment.id, environment.userId);
      summary.resets++;
    }
    const { idleStopAfterMs } = lifetimeMs((await this.worker.versionOf(deployment)).template.spec.lifetime);
    for (const environment of environments) {
      if (environment.state === 'ready' && idleDue(environment, idleStopAfterMs, now)) {
        void this.worker.stop(deployment.id, environment.userId, 'stopped', environment.lastAccessAt);
        summary.idleStopped++;
      }
    }
  }

  /** Students enrolled since get a `pending` copy; those no longer enrolled have theirs stopped and `removed`. */
  private async syncEnrollments(deployment: LabDeployment, summary: LabTickSummary): Promise<void> {
    const enrollments = await this.deps.store.enrollments.listByCourse(deployment.courseId);
    const students = enrollments.filter((e) => e.role === 'student').map((e) => e.userId);
    const environments = await this.deps.store.labEnvironments.listByDeployment(deployment.id);
    const changes = enrollmentChanges(students, environments);
    const at = isoNow(this.deps.clock);
    for (const userId of changes.add) {
      if (await this.deps.store.labEnvironments.insertIfMissing(newEnvironment(deployment.id, userId, at)))
        summary.enrolled++;
    }
    for (const userId of changes.revive) {
      const patch = { state: 'pending' as const, error: null, updatedAt: at };
      if (await this.deps.store.labEnvironments.update(deployment.id, userId, patch, { from: ['removed'] }))
        summary.enrolled++;
    }
    for (const userId of changes.remove) {
      void this.worker.stop(deployment.id, userId, 'removed');
      summary.removed++;
    }
  }

  private async queueTeardown(deployment: LabDeployment, summary: LabTickSummary): Promise<void> {
    if (!teardownDue(deployment, this.deps.clock.now(), this.options.teardownRetryMs ?? 30_000, this.worker))
      return;
    if (deployment.state !== 'destroying') {
      await this.deps.store.labDeployments.setState(deployment.id, ['deploying', 'active'], {
        state: 'destroying',
        updatedAt: isoNow(this.deps.clock),
      });
    }
    void this.worker.teardown(deployment.id);
    summary.teardowns++;
  }
}

/**
 * Whether to (re)try a teardown now: always when none was tried; after an unverified one, once its
 * backoff passed, and never after `teardownMaxAttempts` (the worker logged that it gave up).
 */
export function teardownDue(
  deployment: Pick<LabDeployment, 'teardown' | 'updatedAt'>,
  now: Date,
  retryMs: number,
  limits: { teardownMaxAttempts: number },
): boolean {
  const last = deployment.teardown;
  if (!last || last.verified) return true;
  const attempts = last.attempts ?? 1;
  if (attempts >= limits.teardownMaxAttempts) return false;
  const wait = Math.min(retryMs * 2 ** (attempts - 1), MAX_TEARDOWN_BACKOFF_MS);
  return now.getTime() - Date.parse(deployment.updatedAt) >= wait;
}

/** A ready copy nobody opened for `idleMs` (counted from its creation if it was never opened). */
export function idleDue(
  environment: Pick<LabEnvironment, 'lastAccessAt' | 'createdAt'>,
  idleMs: number,
  now: Date,
): boolean {
  return now.getTime() >= idleStopTime(environment, idleMs);
}

/** When an unused ready copy becomes due for the idle stop (epoch ms): what "My labs" tells its owner. */
export function idleStopTime(
  environment: Pick<LabEnvironment, 'lastAccessAt' | 'createdAt'>,
  idleMs: number,
): number {
  return Date.parse(environment.lastAccessAt ?? environment.createdAt) + idleMs;
}

/**
 * Who needs a copy (enrolled, none yet), whose removed copy comes back (enrolled again), and whose
 * copy goes (no longer enrolled, not yet removed).
 */
export function enrollmentChanges(
  studentIds: readonly string[],
  environments: readonly Pick<LabEnvironment, 'userId' | 'state'>[],
): { add: string[]; revive: string[]; remove: string[] } {
  const enrolled = new Set(studentIds);
  const state = new Map(environments.map((e) => [e.userId, e.state]));
  return {
    add: studentIds.filter((id) => !state.has(id)),
    revive: studentIds.filter((id) => state.get(id) === 'removed'),
    remove: environments.filter((e) => !enrolled.has(e.userId) && e.state !== 'removed').map((e) => e.userId),
  };
}
