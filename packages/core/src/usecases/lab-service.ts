/**
 * The lab flow (DESIGN.md "Labs"): an instructor creates a lab (a dev copy of its template runs
 * for them), checkpoints it as an immutable version, publishes the version once its checks pass
 * in a throw-away copy, deploys it to the course, and resets, starts or destroys copies. Each call
 * checks who may do it, records the intent, and queues the slow part on LabWorker; the answer
 * says what was recorded (`deploying`, `checking`, `destroying`), the store says how it ended.
 */
import type { Timestamp } from '../domain/entities.ts';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors.ts';
import type { LabTarget } from '../labs/access.ts';
import { catalogLabTemplate, type LabCatalogOptions } from '../labs/catalog.ts';
import { lifetimeMs } from '../labs/duration.ts';
import {
  type Lab,
  type LabDeployment,
  type LabEnvironment,
  type LabEnvironmentState,
  type LabTeardownSummary,
  type LabVersion,
  LIVE_COPY_STATES,
} from '../labs/lab-entities.ts';
import type { LabTemplate, LabTemplateProblem } from '../labs/lab-template.ts';
import { diffTemplates, imagesToPin, type LabTemplateChange, labVersionId } from '../labs/version.ts';
import type { Actor } from '../policy/authz.ts';
import { type CoreDeps, isoNow } from './deps.ts';
import { LabAccessPolicy, type LabAccessRequest } from './lab-access-policy.ts';
import { deploymentView, labSummary } from './lab-deployment-view.ts';
import { LabLookup } from './lab-lookup.ts';
import { idleStopTime } from './lab-reconciler.ts';

export type { LabAccessRequest } from './lab-access-policy.ts';

import {
  componentAccess,
  countStates,
  type DeploymentSummary,
  type DeploymentView,
  type LabDetail,
  type LabSummary,
  type MyLab,
} from './lab-views.ts';
import { type LabBackend, LabWorker, type LabWorkerOptions, newEnvironment } from './lab-worker.ts';

export type LabServiceOptions = LabWorkerOptions & {
  /** How long opening a stopped copy waits for it to run again (default 60 s). */
  startWaitMs?: number;
  /** How long deleting a lab waits for its dev copy's teardown receipt (default 120 s). */
  deleteWaitMs?: number;
};

/** A template already validated (the server parses YAML with api-contract), or a catalog type. */
export type LabTemplateInput = { template: LabTemplate } | ({ type: string } & LabCatalogOptions);

export class LabService {
  readonly worker: LabWorker;
  private readonly access: LabAccessPolicy;
  private readonly lookup: LabLookup;
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: CoreDeps,
    private readonly backend: LabBackend,
    private readonly options: LabServiceOptions,
  ) {
    this.worker = new LabWorker(deps, backend, options);
    this.lookup = new LabLookup(deps.store);
    this.access = new LabAccessPolicy(deps, this.worker, {
      logger: options.logger,
      startWaitMs: options.startWaitMs ?? 60_000,
    });
  }

  private get store() {
    return this.deps.store;
  }

  private now(): Timestamp {
    return isoNow(this.deps.clock);
  }

  async create(actor: Actor, courseRef: string, input: LabTemplateInput): Promise<LabDetail> {
    const { course } = await this.lookup.course(actor, courseRef, 'change');
    const template = templateOf(input);
    const at = this.now();
    const lab: Lab = {
      id: this.deps.ids.next('lab'),
      courseId: course.id,
      name: template.metadata.name,
      devTemplate: template,
      createdBy: actor.userId,
      createdAt: at,
      updatedAt: at,
    };
    await this.store.labs.insert(lab);
    await this.startDev(lab, actor.userId);
    return this.get(actor, lab.id);
  }

  async list(actor: Actor, courseRef: string): Promise<LabSummary[]> {
    const { course } = await this.lookup.course(actor, courseRef, 'read');
    const labs = await this.store.labs.listByCourse(course.id);
    return Promise.all(labs.map((lab) => labSummary(this.store, lab)));
  }

  async get(actor: Actor, labId: string): Promise<LabDetail> {
    const { lab } = await this.lookup.lab(actor, labId, 'read');
    const deployments = await this.store.labDeployments.listByLab(lab.id);
    const dev = newest(deployments.filter((d) => d.kind === 'dev' && d.state !== 'destroyed'));
    const summaries: DeploymentSummary[] = [];
    for (const deployment of newestFirst(deployments)) {
      const environments = await this.store.labEnvironments.listByDeployment(deployment.id);
      summaries.push({ ...deployment, counts: countStates(environments), students: environments.length });
    }
    return {
      lab,
      dev: dev ? await this.view(dev, lab) : null,
      versions: await this.store.labVersions.listByLab(lab.id),
      deployments: summaries,
    };
  }

  /** A new dev template; the instructor's dev copy is applied again (or made, if it was destroyed). */
  async applyDevTemplate(actor: Actor, labId: string, template: LabTemplate): Promise<LabDetail> {
    const { lab } = await this.lookup.lab(actor, labId, 'change');
    if (template.metadata.name !== lab.name) {
      throw new ValidationError(
        `metadata.name: this lab is ${JSON.stringify(lab.name)}; a template for it keeps that name.`,
        { field: 'metadata.name' },
      );
    }
    await this.store.labs.updateDevTemplate(lab.id, template, this.now());
    const dev = newest(
      (await this.store.labDeployments.listByLab(lab.id)).filter(
        (d) => d.kind === 'dev' && (d.state === 'active' || d.state === 'deploying'),
      ),
    );
    if (!dev) await this.startDev({ ...lab, devTemplate: template }, actor.userId);
    else {
      await this.store.labEnvironments.setStateForDeployment(dev.id, 'pending', this.now());
      await this.store.labDeployments.setState(dev.id, ['active', 'deploying'], {
        state: 'deploying',
        updatedAt: this.now(),
      });
      void this.worker.apply(dev.id);
    }
    return this.get(actor, lab.id);
  }

  /** The dev template with its images pinned as an immutable version; the same content twice is one version. */
  async checkpoint(actor: Actor, labId: string): Promise<{ version: LabVersion; created: boolean }> {
    const { lab } = await this.lookup.lab(actor, labId, 'change');
    const dev = await this.wakeDev(lab);
    const images = await this.backend.resolveImageDigests(imagesToPin(lab.devTemplate));
    const id = labVersionId(lab.devTemplate, images);
    // Snapshots are recorded on the version, not part of its id: the same content again keeps the first.
    const existing = await this.store.labVersions.get(lab.id, id);
    if (existing) return { version: existing, created: false };
    const version: LabVersion = {
      id,
      labId: lab.id,
      template: lab.devTemplate,
      images,
      state: 'draft',
      checkResults: null,
      snapshots: await this.snapshotDev(lab, id, dev),
      createdBy: actor.userId,
      createdAt: this.now(),
      checkedAt: null,
      publishedAt: null,
    };
    const created = await this.store.labVersions.insert(version);
    return { version: created ? version : await this.lookup.mustVersion(lab.id, version.id), created };
  }

  /**
   * Where the backend can (Kubernetes with a VolumeSnapshotClass) and the dev template has volumes:
   * a snapshot of each of the dev copy's claims, claim → reference; null otherwise. A snapshot that
   * fails fails the checkpoint (a version without the volume data it was meant to have is worse).
   */
  private async snapshotDev(
    lab: Lab,
    versionId: string,
    dev: LabDeployment | undefined,
  ): Promise<Record<string, string> | null> {
    const hasVolumes = lab.devTemplate.spec.components.some((c) => (c.volumes ?? []).length > 0);
    if (!this.backend.snapshotVolumes || !hasVolumes || !dev) return null;
    const owner = await this.store.users.get(dev.createdBy);
    try {
      return await this.backend.snapshotVolumes({
        deploymentId: dev.id,
        student: { id: dev.createdBy, username: owner?.username ?? dev.createdBy },
        versionId,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new UnavailableError(`The checkpoint could not snapshot the dev copy's volumes: ${message}`, {
        version: versionId,
      });
    }
  }

  async versions(actor: Actor, labId: string): Promise<LabVersion[]> {
    const { lab } = await this.lookup.lab(actor, labId, 'read');
    return this.store.labVersions.listByLab(lab.id);
  }

  async version(actor: Actor, labId: string, versionRef: string): Promise<LabVersion> {
    const { lab } = await this.lookup.lab(actor, labId, 'read');
    return this.lookup.findVersion(lab.id, versionRef);
  }

  /** What changed from `versionRef` to `against` (another version, or `dev`: the dev template now). */
  async diff(
    actor: Actor,
    labId: string,
    versionRef: string,
    against = 'dev',
  ): Promise<{ from: string; to: string; changes: LabTemplateChange[] }> {
    const { lab } = await this.lookup.lab(actor, labId, 'read');
    const from = await this.lookup.findVersion(lab.id, versionRef);
    const to = against === 'dev' ? null : await this.lookup.findVersion(lab.id, against);
    return {
      from: from.id,
      to: to?.id ?? 'dev',
      changes: diffTemplates(from.template, to?.template ?? lab.devTemplate),
    };
  }

  /** `checking` now; published or check_failed once its checks ran in a throw-away copy. */
  publish(actor: Actor, labId: string, versionRef: string): Promise<LabVersion> {
    // Behind a delete of the lab in progress (which then leaves nothing to publish), like deploys.
    return this.serial(`deploy\n${labId}`, () => this.publishOnce(actor, labId, versionRef));
  }

  private async publishOnce(actor: Actor, labId: string, versionRef: string): Promise<LabVersion> {
    const { lab } = await this.lookup.lab(actor, labId, 'change');
    const version = await this.lookup.findVersion(lab.id, versionRef);
    if (version.state === 'published') return version;
    const started = await this.store.labVersions.setState(lab.id, version.id, ['draft', 'check_failed'], {
      state: 'checking',
      checkResults: null,
    });
    if (!started) {
      throw new ConflictError(`Version ${shortId(version.id)} is already being checked.`, {
        version: version.id,
      });
    }
    // Read before queueing: the answer is the state this call recorded, not a race with the check.
    const checking = await this.lookup.mustVersion(lab.id, version.id);
    void this.worker.check(lab.id, version.id, actor.userId);
    return checking;
  }

  /**
   * A published version to every student of the course (students enrolled later get it from the
   * reconciler). Once per version: while a course deployment of it is deploying or active, another
   * is a ConflictError naming it (a retried POST must not double the class's copies). One being
   * destroyed does not count: the version may be deployed afresh meanwhile.
   */
  deploy(actor: Actor, labId: string, versionRef: string): Promise<DeploymentView> {
    // One at a time per lab in this process, so two racing requests cannot both pass the check.
    return this.serial(`deploy\n${labId}`, () => this.deployOnce(actor, labId, versionRef));
  }

  private async deployOnce(actor: Actor, labId: string, versionRef: string): Promise<DeploymentView> {
    const { lab } = await this.lookup.lab(actor, labId, 'change');
    const version = await this.lookup.findVersion(lab.id, versionRef);
    if (version.state !== 'published') {
      throw new ValidationError(
        `version: ${shortId(version.id)} is ${version.state}; only a published version is deployed (publish it first).`,
        { field: 'version', state: version.state },
      );
    }
    const live = (await this.store.labDeployments.listByLab(lab.id)).find(
      (d) =>
        d.kind === 'course' &&
        d.versionId === version.id &&
        (d.state === 'deploying' || d.state === 'active'),
    );
    if (live)
      throw new ConflictError(
        `Version ${shortId(version.id)} is already deployed to the course as ${live.id}; destroy that deployment to deploy it again.`,
        { deployment: live.id, version: version.id },
      );
    const at = this.now();
    const { expireAfterMs } = lifetimeMs(version.template.spec.lifetime);
    const deployment: LabDeployment = {
      id: this.deps.ids.next('ldp'),
      labId: lab.id,
      courseId: lab.courseId,
      kind: 'course',
      versionId: version.id,
      state: 'deploying',
      createdBy: actor.userId,
      createdAt: at,
      updatedAt: at,
      expiresAt: new Date(this.deps.clock.now().getTime() + expireAfterMs).toISOString(),
      teardown: null,
    };
    await this.store.labDeployments.insert(deployment);
    for (const enrollment of await this.store.enrollments.listByCourse(lab.courseId)) {
      if (enrollment.role === 'student')
        await this.store.labEnvironments.insertIfMissing(
          newEnvironment(deployment.id, enrollment.userId, at),
        );
    }
    void this.worker.apply(deployment.id);
    return this.view(deployment, lab);
  }

  async deployment(actor: Actor, deploymentId: string): Promise<DeploymentView> {
    const { deployment, lab } = await this.lookup.deploymentFor(actor, deploymentId, 'read');
    return this.view(deployment, lab);
  }

  async reset(actor: Actor, deploymentId: string, userId: string): Promise<LabEnvironment> {
    const { deployment } = await this.lookup.deploymentFor(actor, deploymentId, 'change');
    await this.liveEnvironment(deployment, userId);
    // Whatever runs now (a deploy, a stop) writes its result only over the state it set, so the
    // reset recorded here stays and runs after it.
    const patch = { state: 'resetting' as const, error: null, updatedAt: this.now() };
    if (!(await this.store.labEnvironments.update(deployment.id, userId, patch, { from: LIVE_COPY_STATES })))
      throw new NotFoundError('Lab environment', `${deployment.id}/${userId}`);
    const resetting = await this.liveEnvironment(deployment, userId);
    void this.worker.reset(deployment.id, userId);
    return resetting;
  }

  /** Deploy a stopped (or failed) copy again; the instructor, or the student for their own copy. */
  async start(actor: Actor, deploymentId: string, userId: string): Promise<LabEnvironment> {
    const own = userId === actor.userId;
    const { deployment } = await this.lookup.deploymentFor(actor, deploymentId, own ? 'own' : 'change');
    await this.liveEnvironment(deployment, userId);
    await this.access.recordStart(deployment.id, userId);
    // Queued, not awaited: the answer is 202 with the copy as recorded.
    void this.worker.apply(deployment.id);
    return this.liveEnvironment(deployment, userId);
  }

  /** `destroying` now; `destroyed` with the teardown receipt when the engine confirms. */
  async destroy(actor: Actor, deploymentId: string): Promise<LabDeployment> {
    const { deployment } = await this.lookup.deploymentFor(actor, deploymentId, 'change');
    if (deployment.state === 'destroyed') return deployment;
    await this.store.labDeployments.setState(deployment.id, ['deploying', 'active'], {
      state: 'destroying',
      updatedAt: this.now(),
    });
    const destroying = (await this.store.labDeployments.get(deployment.id)) ?? deployment;
    void this.worker.teardown(deployment.id);
    return destroying;
  }

  /**
   * The lab goes, with its versions and the records of its destroyed deployments. A class's copies
   * go only by `destroy` (confirmed by name in the UI), so a course deployment that is not
   * destroyed is a ConflictError naming it, and so is a publish whose checks still run. The dev
   * copy is torn down here, waiting (bounded) for the engine's verified receipt: an unverified one
   * leaves the lab as it was, its dev copy `destroying` (the reconciler retries), and says so.
   */
  deleteLab(actor: Actor, labId: string): Promise<void> {
    // Behind any deploy of this lab in this process, and ahead of the next (which then finds no lab).
    return this.serial(`deploy\n${labId}`, () => this.deleteLabOnce(actor, labId));
  }

  private async deleteLabOnce(actor: Actor, labId: string): Promise<void> {
    const { lab } = await this.lookup.lab(actor, labId, 'change');
    const checking = (await this.store.labVersions.listByLab(lab.id)).find((v) => v.state === 'checking');
    if (checking)
      throw new ConflictError(
        `Version ${shortId(checking.id)} of ${lab.name} is being checked; delete the lab once its checks end.`,
        { version: checking.id },
      );
    const deployments = await this.store.labDeployments.listByLab(lab.id);
    const classCopies = deployments.filter((d) => d.kind === 'course' && d.state !== 'destroyed');
    if (classCopies.length > 0) {
      const listed = classCopies.map((d) => `${d.id} ${d.state}`).join(', ');
      const next = classCopies.every((d) => d.state === 'destroying')
        ? 'delete the lab once its teardown is verified'
        : `destroy ${classCopies.length === 1 ? 'that deployment' : 'those deployments'} first`;
      throw new ConflictError(`${lab.name} is still deployed to the course (${listed}); ${next}.`, {
        deployments: classCopies.map((d) => d.id),
      });
    }
    const own = deployments.filter((d) => d.kind !== 'course' && d.state !== 'destroyed');
    for (const deployment of own) {
      await this.store.labDeployments.setState(deployment.id, ['deploying', 'active'], {
        state: 'destroying',
        updatedAt: this.now(),
      });
    }
    const waitMs = this.options.deleteWaitMs ?? 120_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        Promise.all(own.map((d) => this.worker.teardown(d.id))),
        new Promise((resolve) => {
          timer = setTimeout(resolve, waitMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    for (const deployment of own) {
      const now = await this.store.labDeployments.get(deployment.id);
      if (now && now.state !== 'destroyed')
        throw new UnavailableError(
          `The ${deployment.kind} copy ${deployment.id} of ${lab.name} is not torn down yet (${teardownProblem(now.teardown)}); it stays destroying and is retried in the background: delete the lab again once it is destroyed.`,
          { deployment: deployment.id },
        );
    }
    if (!(await this.store.labs.delete(lab.id)))
      throw new ConflictError(`${lab.name} was deployed or changed while it was being deleted; try again.`);
    this.options.logger.info({ labId: lab.id, name: lab.name, by: actor.userId }, 'lab deleted');
  }

  /** The caller's own copies: a student's course labs; staff also see their dev copies. */
  async listMine(actor: Actor): Promise<MyLab[]> {
    const mine: MyLab[] = [];
    for (const environment of await this.store.labEnvironments.listByUser(actor.userId)) {
      const deployment = await this.store.labDeployments.get(environment.deploymentId);
      if (!deployment || deployment.kind === 'check') continue;
      if (deployment.state === 'destroying' || deployment.state === 'destroyed') continue;
      const lab = await this.store.labs.get(deployment.labId);
      const course = await this.store.courses.get(deployment.courseId);
      if (!lab || !course) continue;
      let template: LabTemplate;
      try {
        template = (await this.worker.versionOf(deployment)).template;
      } catch (error) {
        // One broken row (its version gone) must not hide the student's other labs.
        this.options.logger.warn(
          { err: error, deploymentId: deployment.id, userId: actor.userId },
          'lab deployment skipped in my labs: its version is missing',
        );
        continue;
      }
      mine.push({
        deploymentId: deployment.id,
        labId: lab.id,
        labName: lab.name,
        courseId: course.id,
        courseCode: course.code,
        kind: deployment.kind,
        state: environment.state,
        components: template.spec.components.map(componentAccess),
        ...idleFacts(environment, template),
        expiresAt: deployment.expiresAt,
        openedBy: (await this.store.labAccessLog.listByCopy(deployment.id, actor.userId, 5)).map((view) => ({
          username: view.viewerUsername,
          name: view.viewerName,
          component: view.component,
          kind: view.kind,
          at: view.at,
        })),
      });
    }
    return mine;
  }

  /**
   * May the actor open this component of this copy (terminal, desktop, HTTP port)? See
   * LabAccessPolicy: records the use and starts a stopped copy, waiting (bounded) for it.
   */
  authorizeAccess(actor: Actor, request: LabAccessRequest): Promise<LabTarget> {
    return this.access.authorize(actor, request);
  }

  /**
   * Browser bytes flowed in an open session of that copy (the routes call it): its idle clock
   * starts again, written at most every 30 s per copy. Never throws; errors are logged.
   */
  noteActivity(target: LabTarget): void {
    this.access.noteActivity(target);
  }

  /**
   * An idle-stopped dev copy is started (and waited for) before a checkpoint: on Kubernetes the
   * digests come from the images its pods run. The active dev deployment, for the snapshot too.
   */
  private async wakeDev(lab: Lab): Promise<LabDeployment | undefined> {
    const deployments = await this.store.labDeployments.listByLab(lab.id);
    const dev = newest(deployments.filter((d) => d.kind === 'dev' && d.state === 'active'));
    if (!dev) return undefined;
    const copy = await this.store.labEnvironments.get(dev.id, dev.createdBy);
    if (copy?.state === 'stopped') await this.access.startAndWait(dev.id, dev.createdBy);
    return dev;
  }

  private async startDev(lab: Lab, instructorId: string): Promise<void> {
    const at = this.now();
    const dev: LabDeployment = {
      id: this.deps.ids.next('ldp'),
      labId: lab.id,
      courseId: lab.courseId,
      kind: 'dev',
      versionId: null,
      state: 'deploying',
      createdBy: instructorId,
      createdAt: at,
      updatedAt: at,
      expiresAt: null,
      teardown: null,
    };
    await this.store.labDeployments.insert(dev);
    await this.store.labEnvironments.insertIfMissing(newEnvironment(dev.id, instructorId, at));
    void this.worker.apply(dev.id);
  }

  private serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  private view(deployment: LabDeployment, lab: Lab): Promise<DeploymentView> {
    return deploymentView(this.deps.store, this.backend, this.worker, deployment, lab);
  }

  private async liveEnvironment(deployment: LabDeployment, userId: string) {
    if (deployment.state === 'destroyed' || deployment.state === 'destroying')
      throw new ConflictError(`Lab deployment ${deployment.id} is ${deployment.state}.`);
    const environment = await this.store.labEnvironments.get(deployment.id, userId);
    if (!environment || environment.state === 'removed')
      throw new NotFoundError('Lab environment', `${deployment.id}/${userId}`);
    return environment;
  }
}

function templateOf(input: LabTemplateInput): LabTemplate {
  if ('template' in input) return input.template;
  const { type, ...options } = input;
  const built = catalogLabTemplate(type, options);
  if (!built.ok) throw templateError(built.errors);
  return built.template;
}

/** A ValidationError naming the first bad field, with every problem in `details.errors`. */
export function templateError(problems: readonly LabTemplateProblem[]): ValidationError {
  const first = problems[0];
  const where = first?.path ? `${first.path}: ` : '';
  return new ValidationError(`Invalid lab template: ${where}${first?.message ?? 'malformed'}`, {
    field: first?.path ?? '',
    errors: problems,
  });
}

/** What "My labs" says about the idle stop: the last use, the rule, and when it applies next. */
function idleFacts(environment: LabEnvironment, template: LabTemplate) {
  const { idleStopAfterMs } = lifetimeMs(template.spec.lifetime);
  const at = idleStopTime(environment, idleStopAfterMs);
  return {
    lastAccessAt: environment.lastAccessAt,
    idleStopAfterMs,
    idleStopAt: environment.state === 'ready' ? new Date(at).toISOString() : null,
  };
}

/** Why a teardown is not done, from its last receipt, in a few words. */
function teardownProblem(summary: LabTeardownSummary | null): string {
  if (!summary) return 'its teardown is still running';
  if (summary.errors.length > 0) return summary.errors[0]!;
  if (summary.remaining.length > 0) return `left: ${summary.remaining.slice(0, 3).join(', ')}`;
  return 'its teardown is not verified';
}

export const shortId = (versionId: string): string => versionId.replace(/^sha256:/, '').slice(0, 12);

const newestFirst = (deployments: LabDeployment[]) =>
  [...deployments].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
const newest = (deployments: LabDeployment[]) => newestFirst(deployments)[0];
