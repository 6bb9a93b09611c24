/**
 * Who may open which copy of a lab, and what opening one does: a student only their own copy of a
 * course deployment; course staff (instructors and TAs) any student's copy; the dev and check
 * copies only the instructors (and admins). An open records the use (the idle clock) and, when
 * the viewer is someone else, an access-log row the owner sees; it starts a stopped copy,
 * waiting a bounded time for it.
 */
import type { CourseRole, Timestamp } from '../domain/entities.ts';
import { ForbiddenError, NotFoundError, UnavailableError, ValidationError } from '../errors.ts';
import type { LabTarget } from '../labs/access.ts';
import type { LabTemplate } from '../labs/lab-template.ts';
import { type Actor, canEditCourse, isAdmin, isCourseStaff } from '../policy/authz.ts';
import type { Logger } from '../ports.ts';
import { type CoreDeps, isoNow } from './deps.ts';
import { KeyedThrottle } from './keyed-throttle.ts';
import { componentAccess } from './lab-views.ts';
import type { LabWorker } from './lab-worker.ts';

export interface LabAccessRequest {
  deploymentId: string;
  userId: string;
  component: string;
  kind: 'terminal' | 'vnc' | 'http';
  port?: number;
  /**
   * The periodic check of a session already open: still allowed? It records no use (only bytes
   * from the browser do, via noteActivity), so a forgotten tab does not hold off the idle stop,
   * and it starts nothing: a copy stopped meanwhile ends the session.
   */
  recheck?: boolean;
}

export interface LabAccessPolicyOptions {
  logger: Logger;
  /** How long opening a stopped copy waits for it to run again. */
  startWaitMs: number;
}

/** At most one `lastAccessAt` write per copy in this long (the idle clock needs no finer grain). */
export const LAB_USE_WRITE_INTERVAL_MS = 30_000;

/** One access-log row per viewer, copy, component and kind in this long. */
export const LAB_VIEW_LOG_INTERVAL_MS = 10 * 60_000;

export class LabAccessPolicy {
  /** Per copy (`deployment\nuser`): this process's last `lastAccessAt` write. */
  private readonly useWrites = new KeyedThrottle(LAB_USE_WRITE_INTERVAL_MS);
  /** Per viewer, copy, component and kind: this process's last access-log row. */
  private readonly viewWrites = new KeyedThrottle(LAB_VIEW_LOG_INTERVAL_MS);

  constructor(
    private readonly deps: CoreDeps,
    private readonly worker: LabWorker,
    private readonly options: LabAccessPolicyOptions,
  ) {}

  private get store() {
    return this.deps.store;
  }

  private now(): Timestamp {
    return isoNow(this.deps.clock);
  }

  /** The target to open, or Forbidden/NotFound/Validation/Unavailable. */
  async authorize(actor: Actor, request: LabAccessRequest): Promise<LabTarget> {
    const deployment = await this.store.labDeployments.get(request.deploymentId);
    if (!deployment || deployment.state === 'destroyed' || deployment.state === 'destroying')
      throw new NotFoundError('Lab deployment', request.deploymentId);
    const role = await this.roleIn(actor, deployment.courseId);
    const staff = isAdmin(actor) || isCourseStaff(role);
    const ownCourseCopy =
      role === 'student' && deployment.kind === 'course' && request.userId === actor.userId;
    if (!staff && !ownCourseCopy) {
      // Outsiders learn nothing; a student of the course is told it is not theirs.
      if (role === undefined) throw new NotFoundError('Lab deployment', request.deploymentId);
      throw new ForbiddenError('You may open only your own copy of a lab.');
    }
    // A lab's dev and check copies are the instructors' workbench (unpublished work, their shell):
    // TAs watch and help in the students' copies, not there.
    if (deployment.kind !== 'course' && !canEditCourse(actor, role))
      throw new ForbiddenError(
        "Only the course's instructors can open a lab's dev copy; TAs open the students' copies.",
      );
    const environment = await this.store.labEnvironments.get(deployment.id, request.userId);
    if (!environment || environment.state === 'removed')
      throw new NotFoundError('Lab environment', `${request.deploymentId}/${request.userId}`);
    const { template } = await this.worker.versionOf(deployment);
    checkComponentAccess(template, request);
    const target = { deploymentId: deployment.id, studentId: request.userId, component: request.component };
    if (request.recheck) {
      if (environment.state === 'stopped')
        throw new UnavailableError('This lab copy was stopped while idle; open it again to start it.');
      return target;
    }
    // Every proxied asset comes through here: the use is written at most every 30 s per copy.
    await this.recordUse(deployment.id, request.userId);
    await this.recordView(actor, request, deployment.id);
    if (environment.state === 'stopped') await this.startAndWait(deployment.id, request.userId);
    return target;
  }

  /**
   * Bytes flowed from the browser in an open terminal, desktop or HTTP session: the copy is in use,
   * so its idle clock starts again (throttled like an open). Fire and forget: errors are logged.
   */
  noteActivity(target: LabTarget): void {
    this.recordUse(target.deploymentId, target.studentId).catch((error: unknown) =>
      this.options.logger.warn({ err: error, ...target }, 'lab activity not recorded'),
    );
  }

  /** `lastAccessAt` = now, unless this process wrote it for that copy less than 30 s ago. */
  private async recordUse(deploymentId: string, userId: string): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if (!this.useWrites.due(`${deploymentId}\n${userId}`, now)) return;
    const at = new Date(now).toISOString();
    await this.store.labEnvironments.update(deploymentId, userId, { lastAccessAt: at, updatedAt: at });
  }

  /**
   * Someone opened another person's copy: recorded for its owner to see (My labs), once per
   * viewer, copy, component and kind in LAB_VIEW_LOG_INTERVAL_MS (a page's assets are one open).
   * Awaited: an open that cannot be recorded is refused, not left unseen.
   */
  private async recordView(actor: Actor, request: LabAccessRequest, deploymentId: string): Promise<void> {
    if (actor.userId === request.userId) return;
    const now = this.deps.clock.now().getTime();
    const key = [actor.userId, deploymentId, request.userId, request.component, request.kind].join('\n');
    if (!this.viewWrites.due(key, now)) return;
    try {
      await this.store.labAccessLog.insert({
        id: this.deps.ids.next('lav'),
        deploymentId,
        userId: request.userId,
        viewerId: actor.userId,
        component: request.component,
        kind: request.kind,
        at: new Date(now).toISOString(),
      });
    } catch (error) {
      // Not recorded, so not throttled: the next open tries again (and is refused if it fails too).
      this.viewWrites.forget(key);
      throw error;
    }
  }

  /**
   * A stopped or failed copy becomes `pending` (the caller queues the deploy); any other state is
   * left as it is (ready, or already on its way). Returns whether it changed.
   */
  recordStart(deploymentId: string, userId: string): Promise<boolean> {
    // Started on purpose: its idle clock starts again, or the next tick would stop it at once.
    const at = this.now();
    const patch = { state: 'pending' as const, error: null, lastAccessAt: at, updatedAt: at };
    return this.store.labEnvironments.update(deploymentId, userId, patch, { from: ['stopped', 'failed'] });
  }

  /**
   * Starts a stopped copy and waits, at most `startWaitMs` in all, until the engine says it runs;
   * an UnavailableError with the reason when it did not (the deploy is still queued or failed, or
   * the copy never became ready). The deploy goes on after a timeout: a later open may find it ready.
   */
  async startAndWait(deploymentId: string, userId: string): Promise<void> {
    const waitMs = this.options.startWaitMs;
    const deadline = Date.now() + waitMs;
    await this.recordStart(deploymentId, userId);
    const deployed = this.worker.apply(deploymentId);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((done) => {
      timer = setTimeout(() => done('timeout'), waitMs);
    });
    const outcome = await Promise.race([deployed.then(() => 'deployed' as const), timedOut]).finally(() =>
      clearTimeout(timer),
    );
    const seconds = Math.round(waitMs / 1000);
    if (outcome === 'timeout')
      throw new UnavailableError(
        `The lab copy is starting but was not deployed within ${seconds} s; try again.`,
        {
          deploymentId,
          userId,
        },
      );
    const copy = await this.store.labEnvironments.get(deploymentId, userId);
    if (copy?.state !== 'ready')
      throw new UnavailableError(
        `The lab copy did not start: ${copy?.error ?? `it is ${copy?.state ?? 'gone'}`}.`,
        { deploymentId, userId, state: copy?.state ?? null },
      );
    const ready = await this.worker.waitReady(deploymentId, userId, Math.max(0, deadline - Date.now()));
    if (!ready.ok)
      throw new UnavailableError(`The lab copy did not start: ${ready.message}.`, { deploymentId, userId });
  }

  private async roleIn(actor: Actor, courseId: string): Promise<CourseRole | undefined> {
    return (await this.store.enrollments.get(courseId, actor.userId))?.role;
  }
}

function checkComponentAccess(template: LabTemplate, request: LabAccessRequest): void {
  const component = template.spec.components.find((c) => c.name === request.component);
  if (!component) throw new NotFoundError('Lab component', request.component);
  const access = componentAccess(component);
  if (request.kind === 'terminal' && !access.terminal)
    throw new ValidationError(`component: ${component.name} has no terminal.`, { field: 'component' });
  if (request.kind === 'vnc' && !access.vnc)
    throw new ValidationError(`component: ${component.name} has no desktop (vnc).`, { field: 'component' });
  if (request.kind === 'http' && (request.port === undefined || !access.httpPorts.includes(request.port))) {
    throw new ValidationError(
      `port: ${component.name} exposes TCP ports ${access.httpPorts.join(', ') || '(none)'}, not ${request.port ?? '(none)'}.`,
      { field: 'port' },
    );
  }
}
