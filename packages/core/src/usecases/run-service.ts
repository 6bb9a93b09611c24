import type { Assignment, Run, RunSpec } from '../domain/entities.ts';
import { isTerminal } from '../domain/entities.ts';
import { type SourceFile, validateFiles } from '../domain/files.ts';
import { findLanguage, type Language } from '../domain/languages.ts';
import type { Limits } from '../domain/limits.ts';
import type { TestCase } from '../domain/tests.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from '../errors.ts';
import { type Actor, canCancelRun, canSubmit, canViewRun, isAdmin, isCourseStaff } from '../policy/authz.ts';
import {
  type AdmissionPolicy,
  bookingOf,
  checkAdhocCeilings,
  DEFAULT_ADMISSION_POLICY,
  type RunnerClass,
  runnerClass,
} from '../policy/run-admission.ts';
import type { AdmissionLimits, AdmissionOutcome, RunListFilter } from '../ports.ts';
import { type RunView, viewRun } from '../views/run-view.ts';
import type { AssignmentService } from './assignment-service.ts';
import type { CourseService } from './course-service.ts';
import { type CoreDeps, isoNow } from './deps.ts';

export interface AdhocRunInput {
  language: string;
  files: SourceFile[];
  mainFile?: string | undefined;
  stdin?: string | undefined;
  tests?: TestCase[] | undefined;
  limits?: Partial<Limits> | undefined;
  webhookUrl?: string | undefined;
}

export interface SubmissionInput {
  language: string;
  files: SourceFile[];
  mainFile?: string | undefined;
}

export const MAX_BATCH = 20;
export const MAX_WAIT_MS = 60_000;
const MAX_STDIN_BYTES = 1024 * 1024;

/** Something that starts queued runs; the dispatcher. Kept as a port so services stay testable. */
export interface RunScheduler {
  wake(): void;
  cancel(runId: string): void;
}

/**
 * Where the server lets webhooks go; the server's outbound policy. Asked when a run is created,
 * from the URL alone (no DNS): delivery checks the resolved addresses again, and that is the check
 * that counts. Only a first answer here, so nobody waits for a run to learn their URL is refused.
 */
export interface WebhookTargetPolicy {
  /** Why the server will not call this URL (a message that says how an admin allows it), or undefined. */
  refusal(url: URL): { reason: string; message: string } | undefined;
}

export interface RunServiceOptions {
  webhookTargets?: WebhookTargetPolicy | undefined;
  /** Ceilings of ad-hoc runs and the cap on unfinished runs per user; default DEFAULT_ADMISSION_POLICY. */
  admission?: AdmissionPolicy | undefined;
}

export class RunService {
  private scheduler: RunScheduler | undefined;

  constructor(
    private readonly deps: CoreDeps,
    private readonly courses: CourseService,
    private readonly assignments: AssignmentService,
    private readonly options: RunServiceOptions = {},
  ) {}

  attachScheduler(scheduler: RunScheduler): void {
    this.scheduler = scheduler;
  }

  async createAdhoc(actor: Actor, input: AdhocRunInput): Promise<Run> {
    const language = requireLanguage(input.language);
    const wantsNetwork = input.limits?.network || (input.tests ?? []).some((t) => t.limits?.network);
    if (wantsNetwork && !isAdmin(actor)) {
      throw new ForbiddenError('Only admins may give an ad-hoc run network access.');
    }
    if (input.webhookUrl !== undefined) validateWebhookUrl(input.webhookUrl, this.options.webhookTargets);
    if ((input.stdin?.length ?? 0) > MAX_STDIN_BYTES)
      throw new ValidationError('stdin is larger than 1 MiB.');
    const files = validateFiles(input.files);
    const spec: RunSpec = {
      language: language.id,
      files,
      mainFile: chooseMainFile(files, language, input.mainFile),
      stdin: input.stdin ?? '',
      tests: input.tests ?? [],
      limits: input.limits ?? {},
      supportFiles: [],
      autograder: null,
    };
    const runner = await this.adhocRunnerClass(actor);
    checkAdhocCeilings(bookingOf(spec, language), runner, this.admission);
    return this.enqueue(
      actor,
      spec,
      { kind: 'adhoc', courseId: null, assignmentId: null, webhookUrl: input.webhookUrl ?? null },
      { maxUnfinished: this.admission.maxUnfinished[runner] },
      (refused) => tooManyUnfinished(refused.used, runner, this.admission),
    );
  }

  async submit(actor: Actor, assignmentRef: string, input: SubmissionInput): Promise<Run> {
    const { assignment } = await this.assignments.resolve(actor, assignmentRef);
    const role = await this.courses.roleOf(actor, assignment.courseId);
    if (!canSubmit(role)) throw new ForbiddenError('Only people enrolled in the course can submit.');
    const language = requireLanguage(input.language);
    if (!assignment.languages.includes(language.id)) {
      throw new ValidationError(
        `This assignment accepts ${assignment.languages.join(', ')}, not ${language.id}.`,
        {
          field: 'language',
        },
      );
    }
    const staff = isCourseStaff(role);
    if (!staff) this.checkDeadline(assignment);
    const runner: RunnerClass = isAdmin(actor) ? 'admin' : staff ? 'staff' : 'student';
    const quota = staff ? undefined : assignment.submissionLimit;
    const files = validateFiles(input.files);
    const spec: RunSpec = {
      language: language.id,
      files,
      mainFile: chooseMainFile(files, language, input.mainFile),
      stdin: '',
      tests: assignment.tests,
      limits: assignment.limits,
      supportFiles: assignment.supportFiles,
      autograder: assignment.autograder,
    };
    const since = quota && new Date(this.deps.clock.now().getTime() - quota.periodSeconds * 1000);
    return this.enqueue(
      actor,
      spec,
      { kind: 'submission', courseId: assignment.courseId, assignmentId: assignment.id, webhookUrl: null },
      {
        maxUnfinished: this.admission.maxUnfinished[runner],
        submissions: quota && since ? { max: quota.count, since: since.toISOString() } : undefined,
      },
      (refused) =>
        refused.limit === 'submissions' && quota
          ? new RateLimitedError(
              `You have used all ${quota.count} submissions allowed per ${describePeriod(quota.periodSeconds)}.`,
              { limit: quota.count, periodSeconds: quota.periodSeconds, used: refused.used },
            )
          : tooManyUnfinished(refused.used, runner, this.admission),
    );
  }

  /** Re-run a submission with the assignment's current tests (staff, after fixing a test). */
  async rerun(actor: Actor, runId: string): Promise<Run> {
    const { run } = await this.get(actor, runId);
    if (!run.assignmentId)
      throw new ValidationError('Only submissions can be re-run; submit an ad-hoc run again.');
    const { assignment, isStaff } = await this.assignments.get(actor, run.assignmentId);
    if (!isStaff) throw new ForbiddenError('Only course staff can re-run a submission.');
    const spec: RunSpec = {
      ...run.spec,
      tests: assignment.tests,
      limits: assignment.limits,
      supportFiles: assignment.supportFiles,
      autograder: assignment.autograder,
    };
    const owner = { userId: run.userId, role: 'user' as const };
    // No admission limits: staff re-run on a student's behalf, and a student's full queue must not
    // refuse the staff member. The scheduler's per-user share still bounds what it takes.
    return this.enqueue(owner, spec, {
      kind: 'submission',
      courseId: run.courseId,
      assignmentId: run.assignmentId,
      webhookUrl: null,
    });
  }

  async get(
    actor: Actor,
    id: string,
  ): Promise<{ run: Run; assignment: Assignment | undefined; isStaff: boolean }> {
    const run = await this.deps.store.runs.get(id);
    if (!run) throw new NotFoundError('Run', id);
    const role = run.courseId ? await this.courses.roleOf(actor, run.courseId) : undefined;
    // Someone else's run is "not found", not "forbidden": ids must not be probeable.
    if (!canViewRun(actor, run, role)) throw new NotFoundError('Run', id);
    const assignment = run.assignmentId ? await this.deps.store.assignments.get(run.assignmentId) : undefined;
    return { run, assignment, isStaff: isAdmin(actor) || isCourseStaff(role) };
  }

  async view(actor: Actor, id: string): Promise<RunView> {
    const { run, assignment, isStaff } = await this.get(actor, id);
    return viewRun(run, assignment, { isStaff, now: this.deps.clock.now() });
  }

  /**
   * Runs the actor may see, newest first: by assignment or by course (everyone's for its staff,
   * one's own otherwise), or with neither, one's own (all runs for admins).
   */
  async list(actor: Actor, filter: RunListFilter & { assignmentRef?: string }): Promise<RunView[]> {
    const query: RunListFilter = { limit: Math.min(filter.limit ?? 100, 500) };
    if (filter.kind) query.kind = filter.kind;
    let isStaff = isAdmin(actor);
    if (filter.assignmentRef) {
      const resolved = await this.assignments.resolve(actor, filter.assignmentRef);
      query.assignmentId = resolved.assignment.id;
      isStaff = resolved.isStaff;
    } else if (filter.courseId) {
      const { course, role } = await this.courses.get(actor, filter.courseId);
      query.courseId = course.id;
      isStaff = isAdmin(actor) || isCourseStaff(role);
    }
    if (!isStaff) query.userId = actor.userId;
    else if (filter.userId) query.userId = filter.userId;
    const runs = await this.deps.store.runs.list(query);
    const now = this.deps.clock.now();
    const cache = new Map<string, Assignment | undefined>();
    const views: RunView[] = [];
    for (const run of runs) {
      const a = run.assignmentId ? await this.cachedAssignment(cache, run.assignmentId) : undefined;
      views.push(viewRun(run, a, { isStaff, now }));
    }
    return views;
  }

  async cancel(actor: Actor, id: string): Promise<Run> {
    const { run, isStaff } = await this.get(actor, id);
    if (!canCancelRun(actor, run, isStaff ? 'ta' : undefined)) throw new NotFoundError('Run', id);
    if (isTerminal(run.status))
      throw new ConflictError(`Run ${id} has already ${run.status}.`, { status: run.status });
    const status = await this.deps.store.runs.requestCancel(id, isoNow(this.deps.clock));
    if (status === 'cancelled') {
      this.deps.events.publish({
        type: 'run.status',
        runId: id,
        status: 'cancelled',
        at: isoNow(this.deps.clock),
      });
      const cancelled = await this.deps.store.runs.get(id);
      if (cancelled) this.deps.events.publish({ type: 'run.completed', runId: id, run: cancelled });
    } else {
      this.scheduler?.cancel(id);
    }
    return (await this.deps.store.runs.get(id)) ?? run;
  }

  /** Resolve when the run reaches a terminal state, or after `timeoutMs` with its state then. */
  async waitFor(id: string, timeoutMs: number): Promise<Run> {
    const budget = Math.min(Math.max(timeoutMs, 0), MAX_WAIT_MS);
    return new Promise<Run>((resolve, reject) => {
      let settled = false;
      const finish = (run: Run | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        if (run) resolve(run);
        else reject(new NotFoundError('Run', id));
      };
      const unsubscribe = this.deps.events.subscribe(id, (event) => {
        if (event.type === 'run.completed') finish(event.run);
      });
      const timer = setTimeout(() => void this.deps.store.runs.get(id).then(finish, reject), budget);
      // Subscribe first, then look: a run that finished in between is still seen.
      void this.deps.store.runs.get(id).then((run) => {
        if (!run || isTerminal(run.status)) finish(run);
      }, reject);
    });
  }

  private async enqueue(
    actor: Actor,
    spec: RunSpec,
    where: Pick<Run, 'kind' | 'courseId' | 'assignmentId' | 'webhookUrl'>,
    limits: AdmissionLimits = {},
    explain: (refused: Extract<AdmissionOutcome, { admitted: false }>) => Error = () =>
      new RateLimitedError('Too many runs; wait for some to finish.'),
  ): Promise<Run> {
    const now = isoNow(this.deps.clock);
    const run: Run = {
      id: this.deps.ids.next('run'),
      ...where,
      userId: actor.userId,
      status: 'queued',
      spec,
      result: null,
      verdict: null,
      score: null,
      maxScore: null,
      error: null,
      attempts: 0,
      cancelRequested: false,
      webhookStatus: where.webhookUrl ? 'pending' : null,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
    };
    // Check and insert in one step: two concurrent requests cannot both take the last place.
    const outcome = await this.deps.store.runs.admit(run, limits);
    if (!outcome.admitted) throw explain(outcome);
    this.deps.events.publish({ type: 'run.status', runId: run.id, status: 'queued', at: now });
    this.scheduler?.wake();
    return run;
  }

  private checkDeadline(assignment: Assignment): void {
    const now = this.deps.clock.now();
    if (assignment.deadline && now > new Date(assignment.deadline)) {
      throw new ConflictError(`The deadline of "${assignment.title}" passed at ${assignment.deadline}.`, {
        deadline: assignment.deadline,
      });
    }
  }

  private get admission(): AdmissionPolicy {
    return this.options.admission ?? DEFAULT_ADMISSION_POLICY;
  }

  /** An ad-hoc run has no course: staff of any course (or of the instance) get staff ceilings. */
  private async adhocRunnerClass(actor: Actor): Promise<RunnerClass> {
    if (isAdmin(actor) || actor.role === 'staff') return runnerClass(actor, []);
    const courses = await this.deps.store.courses.listForUser(actor.userId);
    return runnerClass(
      actor,
      courses.map((course) => course.role),
    );
  }

  private async cachedAssignment(cache: Map<string, Assignment | undefined>, id: string) {
    if (!cache.has(id)) cache.set(id, await this.deps.store.assignments.get(id));
    return cache.get(id);
  }
}

function requireLanguage(id: string): Language {
  const language = findLanguage(id);
  if (!language)
    throw new ValidationError(`Unknown language "${id}". See GET /api/v1/languages.`, { field: 'language' });
  return language;
}

/** The named file, else the language's usual entry file, else the first file of its language. */
export function chooseMainFile(
  files: SourceFile[],
  language: Language,
  requested: string | undefined,
): string {
  if (requested !== undefined) {
    if (!files.some((f) => f.path === requested)) {
      throw new ValidationError(`The main file "${requested}" is not among the files sent.`, {
        field: 'mainFile',
      });
    }
    return requested;
  }
  if (files.some((f) => f.path === language.defaultMainFile)) return language.defaultMainFile;
  const ofLanguage = files.find((f) => language.extensions.some((ext) => f.path.endsWith(ext)));
  return (ofLanguage ?? files[0])!.path;
}

function validateWebhookUrl(url: string, targets: WebhookTargetPolicy | undefined): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError('webhookUrl is not a URL.', { field: 'webhookUrl' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError('webhookUrl must be http or https.', { field: 'webhookUrl' });
  }
  const refusal = targets?.refusal(parsed);
  if (refusal) {
    throw new ValidationError(`webhookUrl: ${refusal.message}`, {
      field: 'webhookUrl',
      reason: refusal.reason,
    });
  }
}

function tooManyUnfinished(used: number, runner: RunnerClass, policy: AdmissionPolicy): RateLimitedError {
  const max = policy.maxUnfinished[runner];
  const who = runner === 'student' ? 'a student' : runner === 'staff' ? 'staff' : 'an admin';
  return new RateLimitedError(
    `You already have ${used} runs queued or running, the most ${who} may have (${max}); wait for some to finish.`,
    { limit: 'maxUnfinished', ceiling: max, used, runner },
  );
}

function describePeriod(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  return `${seconds} seconds`;
}
