/**
 * The lab work that outlasts a request: applying a deployment, resetting or stopping one copy,
 * tearing a deployment down, and publish's check run. LabService queues it after recording the
 * intent; LabReconciler queues the same work for what a crash left half done. Every step writes
 * its outcome to the store, so the store always says where each lab truly is.
 */
import type { LabAccess } from '../labs/access.ts';
import {
  type LabCheckResult,
  type LabDeployment,
  type LabEnvironment,
  type LabEnvironmentPatch,
  type LabEnvironmentState,
  type LabTeardownSummary,
  type LabVersion,
  LIVE_COPY_STATES,
} from '../labs/lab-entities.ts';
import type { LabCheck } from '../labs/lab-template.ts';
import type {
  LabProgressEvent,
  LabProvisioner,
  LabStudent,
  LabTeardownReceipt,
  LabVersionRef,
  StudentLabState,
} from '../labs/provisioner.ts';
import { kindOf, runLabChecks } from '../labs/run-checks.ts';
import { labVersionId } from '../labs/version.ts';
import type { Logger } from '../ports.ts';
import { type CoreDeps, isoNow } from './deps.ts';
import { LabWorkQueue } from './lab-work-queue.ts';

export type LabBackend = LabProvisioner & LabAccess;

export interface LabWorkerOptions {
  logger: Logger;
  /** How long publish waits for the check copy to be ready (default 3 min). */
  checkReadyTimeoutMs?: number;
  /** How long each check is retried before it counts as failed (default 60 s). */
  checkTimeoutMs?: number;
  /** Between status polls while waiting for a copy (default 2 s). */
  pollIntervalMs?: number;
  /** How long a copy must stay `failed` before a wait gives up on it (default 20 s). */
  failedGraceMs?: number;
  /**
   * Teardowns of one deployment that may end unverified before the reconciler stops retrying it
   * (default 8): it stays `destroying` with the last receipt's errors; DELETE tries again.
   */
  teardownMaxAttempts?: number;
  /** Injected by unit tests; the real one runs the checks through LabAccess. */
  runChecks?: typeof runLabChecks;
}

const STATES_TO_APPLY: readonly LabEnvironmentState[] = ['pending', 'deploying'];
/** What the engine may report of a copy recorded `ready` that means it no longer runs. */
const LOST_STATES: readonly StudentLabState[] = ['missing', 'stopped', 'failed'];
/** What a deploy writes over: the `deploying` it set, and the `ready`/`failed` its own progress set. */
const DEPLOY_SET: readonly LabEnvironmentState[] = ['deploying', 'ready', 'failed'];

export class LabWorker {
  readonly queue: LabWorkQueue;
  readonly teardownMaxAttempts: number;
  private readonly checking = new Set<string>();
  private readonly checkRuns = new Set<Promise<void>>();
  private readonly readyTimeoutMs: number;
  private readonly checkTimeoutMs: number;
  private readonly pollMs: number;
  private readonly failedGraceMs: number;
  private readonly runChecks: typeof runLabChecks;

  constructor(
    private readonly deps: CoreDeps,
    private readonly backend: LabBackend,
    private readonly options: LabWorkerOptions,
  ) {
    this.queue = new LabWorkQueue(options.logger);
    this.readyTimeoutMs = options.checkReadyTimeoutMs ?? 180_000;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 60_000;
    this.pollMs = options.pollIntervalMs ?? 2000;
    this.failedGraceMs = options.failedGraceMs ?? 20_000;
    this.runChecks = options.runChecks ?? runLabChecks;
    this.teardownMaxAttempts = options.teardownMaxAttempts ?? 8;
  }

  private get store() {
    return this.deps.store;
  }

  private now(): string {
    return isoNow(this.deps.clock);
  }

  /** Deploy every copy of the deployment that is `pending` (or left `deploying`); then it is `active`. */
  apply(deploymentId: string): Promise<void> {
    return this.queue.run(deploymentId, () => this.applyNow(deploymentId), 'apply');
  }

  reset(deploymentId: string, userId: string): Promise<void> {
    return this.queue.run(deploymentId, () => this.resetNow(deploymentId, userId));
  }

  /**
   * Idle stop (`stopped`) or an unenrolled student's copy (`removed`): processes end, volumes stay.
   * `idleSince` is the `lastAccessAt` the idle decision saw: an idle stop is dropped when the copy
   * was opened (or changed state) since, so nobody's open terminal is stopped under them.
   */
  stop(
    deploymentId: string,
    userId: string,
    state: 'stopped' | 'removed',
    idleSince?: string | null,
  ): Promise<void> {
    return this.queue.run(deploymentId, () => this.stopNow(deploymentId, userId, state, idleSince));
  }

  teardown(deploymentId: string): Promise<void> {
    return this.queue.run(deploymentId, () => this.teardownNow(deploymentId), 'teardown');
  }

  /** Publish's check run for a version in `checking`; at most one per version in this process. */
  check(labId: string, versionId: string, studentId: string): Promise<void> {
    const key = `${labId}\n${versionId}`;
    if (this.checking.has(key)) return Promise.resolve();
    this.checking.add(key);
    const run = this.checkNow(labId, versionId, studentId)
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, labId, versionId }, 'lab check failed'),
      )
      .finally(() => {
        this.checking.delete(key);
        this.checkRuns.delete(run);
      });
    this.checkRuns.add(run);
    return run;
  }

  isChecking(labId: string, versionId: string): boolean {
    return this.checking.has(`${labId}\n${versionId}`);
  }

  /** Nothing queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    do {
      await Promise.all([...this.checkRuns]);
      await this.queue.idle();
    } while (this.checkRuns.size > 0);
  }

  /** What a deployment runs: its version, or for `dev` the lab's dev template as it is now. */
  async versionOf(deployment: LabDeployment): Promise<LabVersionRef> {
    if (deployment.versionId === null) {
      const lab = await this.store.labs.get(deployment.labId);
      if (!lab) throw new Error(`lab ${deployment.labId} of deployment ${deployment.id} is gone`);
      return { id: labVersionId(lab.devTemplate, {}), template: lab.devTemplate, images: {} };
    }
    const version = await this.store.labVersions.get(deployment.labId, deployment.versionId);
    if (!version) throw new Error(`version ${deployment.versionId} of deployment ${deployment.id} is gone`);
    return {
      id: version.id,
      template: version.template,
      images: version.images,
      snapshots: version.snapshots,
    };
  }

  /**
   * Copies recorded `ready` that the engine reports `missing`, `stopped` or `failed` (a host
   * reboot, a deleted namespace, a crash) become `pending`, to be deployed again; one status call
   * for the deployment. Returns whose. A status the engine cannot give changes nothing.
   */
  async markLost(
    deployment: LabDeployment,
    environments: ReadonlyArray<LabEnvironment & { username: string }>,
  ): Promise<string[]> {
    const ready = environments.filter((environment) => environment.state === 'ready');
    if (ready.length === 0) return [];
    let report: Awaited<ReturnType<LabBackend['status']>>;
    try {
      report = await this.backend.status(
        deployment.id,
        ready.map((environment) => ({ id: environment.userId, username: environment.username })),
      );
    } catch (error) {
      this.options.logger.warn(
        { err: error, deploymentId: deployment.id },
        'lab status failed; not compared',
      );
      return [];
    }
    const lost: string[] = [];
    for (const status of report.students) {
      if (!LOST_STATES.includes(status.state)) continue;
      if (!ready.some((environment) => environment.userId === status.student.id)) continue;
      const error = `the engine reported it ${status.state}${status.message ? ` (${status.message})` : ''}; deployed again`;
      if (await this.setEnvironment(deployment.id, status.student.id, { state: 'pending', error }, ['ready']))
        lost.push(status.student.id);
    }
    if (lost.length > 0)
      this.options.logger.warn(
        { deploymentId: deployment.id, students: lost },
        'lab copies lost by the engine',
      );
    return lost;
  }

  private async applyNow(deploymentId: string): Promise<void> {
    const deployment = await this.store.labDeployments.get(deploymentId);
    if (!deployment || deployment.state === 'destroying' || deployment.state === 'destroyed') return;
    const environments = await this.store.labEnvironments.listByDeployment(deploymentId);
    const todo = environments.filter((environment) => STATES_TO_APPLY.includes(environment.state));
    if (todo.length > 0) await this.deployStudents(deployment, todo);
    await this.store.labDeployments.setState(deploymentId, ['deploying'], {
      state: 'active',
      updatedAt: this.now(),
    });
  }

  private async deployStudents(
    deployment: LabDeployment,
    todo: Array<LabEnvironment & { username: string }>,
  ): Promise<void> {
    // Only the copies still waiting for it: one reset, stopped or removed since the read is left alone.
    const students: LabStudent[] = [];
    for (const environment of todo) {
      if (
        await this.setEnvironment(deployment.id, environment.userId, { state: 'deploying' }, STATES_TO_APPLY)
      )
        students.push({ id: environment.userId, username: environment.username });
    }
    if (students.length === 0) return;
    // Progress arrives synchronously and fast; the writes go one after another, in order.
    let writes = Promise.resolve();
    const onProgress = (event: LabProgressEvent) => {
      writes = writes.then(() => this.recordProgress(deployment.id, event)).catch(() => undefined);
    };
    try {
      const labVersion = await this.versionOf(deployment);
      const report = await this.backend.deploy({
        deploymentId: deployment.id,
        labVersion,
        students,
        onProgress,
      });
      await writes;
      for (const result of report.students) {
        // A reset or start recorded while the deploy ran wins: its work is queued behind this one.
        await this.setEnvironment(
          deployment.id,
          result.student.id,
          {
            state: result.ok ? 'ready' : 'failed',
            environment: result.environment,
            attempts: result.attempts,
            error: result.ok ? null : result.error,
          },
          DEPLOY_SET,
        );
      }
    } catch (error) {
      // The request itself was refused (a template the engine cannot run, the engine unreachable):
      // every copy in it failed with that reason; `start` or the next deploy tries again.
      await writes;
      const message = (error as Error).message;
      for (const student of students)
        await this.setEnvironment(deployment.id, student.id, { state: 'failed', error: message }, DEPLOY_SET);
      this.options.logger.warn({ err: error, deploymentId: deployment.id }, 'lab deploy refused');
    }
  }

  private async recordProgress(deploymentId: string, event: LabProgressEvent): Promise<void> {
    await this.setEnvironment(
      deploymentId,
      event.student.id,
      {
        state: event.phase === 'applying' ? 'deploying' : event.phase === 'ready' ? 'ready' : 'failed',
        attempts: event.attempt,
        error: event.error ?? null,
      },
      DEPLOY_SET,
    );
  }

  private async resetNow(deploymentId: string, userId: string): Promise<void> {
    const deployment = await this.store.labDeployments.get(deploymentId);
    const environment = await this.store.labEnvironments.get(deploymentId, userId);
    if (!deployment || !environment || environment.state !== 'resetting') return;
    const user = await this.store.users.get(userId);
    try {
      const result = await this.backend.reset({
        deploymentId,
        labVersion: await this.versionOf(deployment),
        student: { id: userId, username: user?.username ?? userId },
      });
      await this.setEnvironment(
        deploymentId,
        userId,
        {
          state: result.ok ? 'ready' : 'failed',
          environment: result.environment,
          attempts: result.attempts,
          error: result.ok ? null : result.error,
          // A reset copy is fresh: its idle clock starts again.
          lastAccessAt: this.now(),
        },
        ['resetting'],
      );
    } catch (error) {
      const patch = { state: 'failed' as const, error: (error as Error).message };
      await this.setEnvironment(deploymentId, userId, patch, ['resetting']);
    }
  }

  private async stopNow(
    deploymentId: string,
    userId: string,
    state: 'stopped' | 'removed',
    idleSince: string | null | undefined,
  ): Promise<void> {
    // The state is recorded first, conditionally: an idle stop only of a copy still ready and not
    // used since the decision. A start or an open during the stop then sees `stopped` and queues
    // a deploy behind it (the copy ends running, not stopped).
    const from: readonly LabEnvironmentState[] = state === 'stopped' ? ['ready'] : LIVE_COPY_STATES;
    const when = idleSince === undefined ? { from } : { from, lastAccessAt: idleSince };
    const before = await this.store.labEnvironments.get(deploymentId, userId);
    if (!before) return;
    if (
      !(await this.store.labEnvironments.update(deploymentId, userId, { state, updatedAt: this.now() }, when))
    )
      return;
    const user = await this.store.users.get(userId);
    try {
      await this.backend.stop({ deploymentId, student: { id: userId, username: user?.username ?? userId } });
    } catch (error) {
      // Still running: back to what it was (unless something else was recorded since), so it is tried again.
      await this.setEnvironment(deploymentId, userId, { state: before.state }, [state]);
      throw error;
    }
  }

  /**
   * `destroying` → teardown → `destroyed` with the receipt, once the engine verified nothing is
   * left. An unverified (or failed) teardown stays `destroying` with its receipt recorded; the
   * reconciler retries it with a backoff, up to `teardownMaxAttempts`.
   */
  private async teardownNow(deploymentId: string): Promise<void> {
    const deployment = await this.store.labDeployments.get(deploymentId);
    if (!deployment || deployment.state === 'destroyed') return;
    await this.store.labDeployments.setState(deploymentId, ['deploying', 'active'], {
      state: 'destroying',
      updatedAt: this.now(),
    });
    const earlier = deployment.teardown;
    const attempts = (earlier?.attempts ?? (earlier ? 1 : 0)) + 1;
    let summary: LabTeardownSummary;
    try {
      const receipt = await this.backend.teardown(deploymentId);
      summary = { ...teardownSummary(receipt), attempts };
    } catch (error) {
      const message = (error as Error).message;
      summary = { deleted: 0, verified: false, remaining: [], errors: [message], durationMs: 0, attempts };
    }
    if (earlier && !earlier.verified) summary.deleted += earlier.deleted;
    const at = this.now();
    if (!summary.verified) {
      await this.store.labDeployments.setState(deploymentId, ['destroying'], {
        state: 'destroying',
        updatedAt: at,
        teardown: summary,
      });
      const gaveUp = attempts >= this.teardownMaxAttempts;
      const fields = { deploymentId, attempts, remaining: summary.remaining, errors: summary.errors };
      if (gaveUp)
        this.options.logger.error(
          fields,
          'lab teardown not verified; giving up: the deployment stays destroying (DELETE it again to retry)',
        );
      else this.options.logger.warn(fields, 'lab teardown not verified; the reconciler retries it');
      return;
    }
    await this.store.labDeployments.setState(deploymentId, ['destroying'], {
      state: 'destroyed',
      updatedAt: at,
      teardown: summary,
    });
    await this.store.labEnvironments.setStateForDeployment(deploymentId, 'removed', at);
    this.options.logger.info(
      { deploymentId, deleted: summary.deleted, verified: summary.verified, attempts },
      'lab deployment destroyed',
    );
  }

  private async checkNow(labId: string, versionId: string, studentId: string): Promise<void> {
    const version = await this.store.labVersions.get(labId, versionId);
    if (version?.state !== 'checking') return;
    const lab = await this.store.labs.get(labId);
    if (!lab) return;
    // A crash may have left the copy of an earlier attempt: never two check copies of one version.
    for (const old of await this.store.labDeployments.listByLab(labId)) {
      if (old.kind === 'check' && old.versionId === versionId && old.state !== 'destroyed')
        await this.teardown(old.id);
    }
    const deployment = await this.startCheckCopy(lab.courseId, version, studentId);
    let results: LabCheckResult[];
    try {
      results = await this.checkCopy(deployment.id, version, studentId);
    } finally {
      await this.teardown(deployment.id);
    }
    const ok = results.every((result) => result.ok);
    const at = this.now();
    await this.store.labVersions.setState(labId, versionId, ['checking'], {
      state: ok ? 'published' : 'check_failed',
      checkResults: results,
      checkedAt: at,
      ...(ok ? { publishedAt: at } : {}),
    });
    this.options.logger.info({ labId, versionId, ok }, 'lab version checked');
  }

  private async startCheckCopy(courseId: string, version: LabVersion, studentId: string) {
    const at = this.now();
    const deployment: LabDeployment = {
      id: this.deps.ids.next('ldp'),
      labId: version.labId,
      courseId,
      kind: 'check',
      versionId: version.id,
      state: 'deploying',
      createdBy: studentId,
      createdAt: at,
      updatedAt: at,
      expiresAt: null,
      teardown: null,
    };
    await this.store.labDeployments.insert(deployment);
    await this.store.labEnvironments.insertIfMissing(newEnvironment(deployment.id, studentId, at));
    await this.apply(deployment.id);
    return deployment;
  }

  /** The checks' results; when the copy never got ready, every check failed with the reason. */
  private async checkCopy(deploymentId: string, version: LabVersion, studentId: string) {
    const checks = version.template.spec.checks;
    const environment = await this.store.labEnvironments.get(deploymentId, studentId);
    const ready =
      environment?.state === 'ready'
        ? await this.waitReady(deploymentId, studentId, this.readyTimeoutMs)
        : { ok: false as const, message: environment?.error ?? 'the copy was not deployed' };
    if (!ready.ok) return notRun(checks, `the check copy did not become ready: ${ready.message}`);
    try {
      return await this.runChecks(this.backend, { deploymentId, studentId }, version.template, {
        timeoutMs: this.checkTimeoutMs,
      });
    } catch (error) {
      return notRun(checks, `the checks could not run: ${(error as Error).message}`);
    }
  }

  /**
   * Polls the engine until every component of that copy is ready, it stays failed, or time runs
   * out. `failed` must last `failedGraceMs`: on Kubernetes a copy started again right after a stop
   * or reset fails to create its pod (the quota holds one per component) until the old one is gone.
   */
  async waitReady(
    deploymentId: string,
    studentId: string,
    timeoutMs: number,
  ): Promise<{ ok: true } | { ok: false; message: string }> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no status yet';
    let failingSince: number | undefined;
    for (;;) {
      const report = await this.backend.status(deploymentId, [{ id: studentId, username: studentId }]);
      const status = report.students.find((student) => student.student.id === studentId);
      if (status?.state === 'ready') return { ok: true };
      last = status ? `${status.state}${status.message ? `: ${status.message}` : ''}` : 'not reported';
      failingSince = status?.state === 'failed' ? (failingSince ?? Date.now()) : undefined;
      if (failingSince !== undefined && Date.now() - failingSince >= this.failedGraceMs)
        return { ok: false, message: last };
      if (Date.now() + this.pollMs > deadline)
        return { ok: false, message: `not ready after ${Math.round(timeoutMs / 1000)} s (${last})` };
      await new Promise((done) => setTimeout(done, this.pollMs));
    }
  }

  /** Only over one of `from` (the states this step set itself); returns whether it applied. */
  private setEnvironment(
    deploymentId: string,
    userId: string,
    patch: Omit<LabEnvironmentPatch, 'updatedAt'>,
    from: readonly LabEnvironmentState[],
  ): Promise<boolean> {
    return this.store.labEnvironments.update(
      deploymentId,
      userId,
      { ...patch, updatedAt: this.now() },
      { from },
    );
  }
}

export function newEnvironment(deploymentId: string, userId: string, at: string): LabEnvironment {
  return {
    deploymentId,
    userId,
    state: 'pending',
    environment: '',
    attempts: 0,
    error: null,
    lastAccessAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

export function teardownSummary(receipt: LabTeardownReceipt): LabTeardownSummary {
  const name = (ref: { kind: string; namespace?: string; name: string }) =>
    `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  return {
    deleted: receipt.deleted.length,
    verified: receipt.verified,
    remaining: receipt.remaining.map(name),
    errors: receipt.errors,
    durationMs: receipt.durationMs,
  };
}

/** Every check failed with one reason; a lab without checks gets one line saying why it failed. */
function notRun(checks: readonly LabCheck[], message: string): LabCheckResult[] {
  if (checks.length === 0)
    return [{ index: -1, component: '', kind: 'exec', ok: false, message, durationMs: 0 }];
  return checks.map((check, index) => ({
    index,
    component: check.component,
    kind: kindOf(check),
    ok: false,
    message: `not run: ${message}`,
    durationMs: 0,
  }));
}
