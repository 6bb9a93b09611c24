/**
 * The LabProvisioner (and LabAccess) on Podman. Per (deployment, student): one internal network
 * named like the Kubernetes namespace (`lab-<deployment>-<student>-<hash>`), a named volume per
 * claim, and per component one container run from the Kubernetes rendering of the same version
 * (container-args.ts says why not `podman kube play`). Everything is labelled with the exact
 * deployment and student ids, so status and teardown read the engine, not a memory of it.
 *
 * A re-deploy leaves a container whose `podman run` hashes the same alone (starting it if it was
 * stopped) and replaces one that differs (another version); students go through a bounded pool,
 * and one student's failure is that student's result.
 */

import type { Duplex } from 'node:stream';
import { LABEL_LAB_COMPONENT, type LabRenderOptions, renderStudentLab } from '@aperture/backend-kubernetes';
import {
  type ImageDigests,
  type LabAccess,
  type LabDeployReport,
  type LabDeployRequest,
  type LabExecOptions,
  type LabExecResult,
  type LabObjectRef,
  type LabProgressEvent,
  type LabProvisioner,
  type LabResetRequest,
  type LabStatusReport,
  type LabStopRequest,
  type LabStudent,
  type LabTarget,
  type LabTeardownReceipt,
  type LabTerminal,
  type LabTerminalOptions,
  type LabVersionRef,
  type Logger,
  mapLimited,
  type StudentDeployResult,
  ValidationError,
} from '@aperture/core';
import type { V1Deployment, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { PodmanApiClient, PodmanService } from '../podman-api-client.ts';
import { type ContainerRun, containerRun, LAB_HOST_ID_BASE } from './container-args.ts';
import { LabHostFirewall } from './host-firewall.ts';
import { connectTo, execIn, runningContainer, terminalIn } from './lab-access.ts';
import { LabCli, PodmanLabError } from './lab-cli.ts';
import { addressOf, LabInventory, type Snapshot } from './lab-inventory.ts';
import {
  containerName,
  environmentName,
  LABEL_LAB_SPEC,
  LABEL_LAB_STOPPED,
  LABEL_STUDENT_ID,
  type LabScope,
  labelArgs,
  stopMarkerName,
  studentLabels,
  volumeName,
} from './lab-objects.ts';
import { studentStates } from './lab-state.ts';
import { podmanRenderOptions } from './render-options.ts';

export interface PodmanLabProvisionerOptions {
  /** The podman binary (default `podman`). */
  podman?: string;
  logger?: Logger;
  /** Students provisioned at the same time (default 4: each is a handful of Podman processes). */
  concurrency?: number;
  /** Which Aperture installation owns the objects (dev.aperture.instance), default `default`. */
  instance?: string;
  /** Prepended to Aperture's own images (`aperture/…`), default `localhost/`: built by scripts/build-images.sh. */
  imagePrefix?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** First part of environment (network) names, default `lab`. */
  prefix?: string;
  /** A libpod API socket; without one, `podman system service` is started when first needed. */
  socketPath?: string;
  /** Tries per student for Podman's transient failures (a lock, a timeout), default 3. */
  attempts?: number;
  /**
   * Drop what labs send to the host itself (host-firewall.ts), default true. Needs root and
   * iptables; without it every host service on 0.0.0.0 is reachable from every lab.
   */
  hostFirewall?: boolean;
  iptables?: string;
  /**
   * Run lab containers in a user namespace (`--uidmap 0:<base>:65536`): `true` for base
   * LAB_HOST_ID_BASE (1e9, lab uid 1000 = host uid 1 000 001 000), or a base of your own. Default
   * off: a process in it cannot open `/dev/stdout` by path, which the catalog's nginx does
   * (docs/labs.md). Rootful Podman only.
   */
  userNamespace?: boolean | number;
  /** `false`: no IPv6 rules (a host without IPv6). Default `ip6tables` next to `iptables`. */
  ip6tables?: string | false;
  /**
   * How often the host firewall's rules of every lab network are checked and put back
   * (verifyFirewall), default 60 000 ms once this provisioner has deployed; 0 turns it off.
   */
  firewallCheckMs?: number;
}

export interface FirewallVerification {
  /** Lab networks of this instance whose rules were checked. */
  checked: number;
  /** Those whose rules (or the chain's jump) were missing or changed, and were put back. */
  repaired: string[];
}

const SILENT: Logger = { info() {}, warn() {}, error() {}, debug() {} };

interface StudentPlan {
  environment: string;
  labels: Record<string, string>;
  volumes: string[];
  runs: ContainerRun[];
}

export class PodmanLabProvisioner implements LabProvisioner, LabAccess {
  readonly name = 'podman';
  private readonly cli: LabCli;
  private readonly scope: LabScope;
  private readonly logger: Logger;
  private readonly concurrency: number;
  private readonly attempts: number;
  private readonly render: LabRenderOptions;
  private readonly firewall: LabHostFirewall | undefined;
  private readonly found: LabInventory;
  private firewallTimer: NodeJS.Timeout | undefined;
  private apiClient: Promise<{ client: PodmanApiClient; service: PodmanService | undefined }> | undefined;

  private constructor(private readonly options: PodmanLabProvisionerOptions) {
    this.cli = new LabCli(options.podman ?? 'podman');
    this.scope = { instance: options.instance ?? 'default', prefix: options.prefix ?? 'lab' };
    this.logger = options.logger ?? SILENT;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.found = new LabInventory(this.cli, this.scope);
    this.firewall =
      options.hostFirewall === false
        ? undefined
        : new LabHostFirewall({
            ...(options.iptables ? { iptables: options.iptables } : {}),
            ...(options.ip6tables !== undefined ? { ip6tables: options.ip6tables } : {}),
          });
    this.render = podmanRenderOptions({
      ...this.scope,
      imagePrefix: options.imagePrefix ?? 'localhost/',
      imagePullPolicy: options.imagePullPolicy ?? 'IfNotPresent',
    });
  }

  static fromOptions(options: PodmanLabProvisionerOptions = {}): PodmanLabProvisioner {
    return new PodmanLabProvisioner(options);
  }

  async deploy(request: LabDeployRequest): Promise<LabDeployReport> {
    const started = Date.now();
    checkStudents(request.students);
    // Up front: a template that cannot be rendered is the request's fault, not a student's.
    const plans = request.students.map((student) =>
      this.plan(request.deploymentId, request.labVersion, student),
    );
    const found = await this.found.snapshot(request.deploymentId);
    // Housekeeping, not this deploy's work: a failure is logged, and isolate() still runs per student.
    await this.firewall
      ?.sweep(() => this.allNetworks())
      .catch((error) => this.logger.warn({ error: messageOf(error) }, 'stale lab firewall rules stay'));
    this.watchFirewall();
    const results = await mapLimited(request.students, this.concurrency, (student, index) =>
      this.applyStudent(request.deploymentId, student, plans[index] as StudentPlan, request, found),
    );
    const succeeded = results.filter((result) => result.ok).length;
    const report = {
      deploymentId: request.deploymentId,
      versionId: request.labVersion.id,
      students: results,
      succeeded,
      failed: results.length - succeeded,
      durationMs: Date.now() - started,
    };
    this.logger.info(
      { deploymentId: request.deploymentId, succeeded, failed: report.failed, durationMs: report.durationMs },
      'lab deployed',
    );
    return report;
  }

  async status(deploymentId: string, students?: readonly LabStudent[]): Promise<LabStatusReport> {
    const [containers, networks, markers] = await Promise.all([
      this.found.listContainers(deploymentId),
      this.found.listNetworks(deploymentId),
      this.found.listVolumes(deploymentId, [`label=${LABEL_LAB_STOPPED}=true`]),
    ]);
    return {
      deploymentId,
      students: studentStates({
        containers,
        networks,
        markers,
        ...(students ? { students } : {}),
        environmentOf: (studentId) => environmentName(this.scope, deploymentId, studentId),
        now: Date.now(),
      }),
    };
  }

  /** The student's containers and volumes go (their files with them); the version is run again. */
  async reset(request: LabResetRequest): Promise<StudentDeployResult> {
    const plan = this.plan(request.deploymentId, request.labVersion, request.student);
    try {
      await this.removeStudent(request.deploymentId, request.student.id, { removeNetwork: false });
    } catch (error) {
      const message = messageOf(error);
      this.emitter(request.onProgress)({
        student: request.student,
        phase: 'failed',
        attempt: 1,
        error: message,
      });
      return {
        student: request.student,
        ok: false,
        environment: plan.environment,
        attempts: 1,
        error: message,
        code: codeOf(error),
      };
    }
    return this.applyStudent(request.deploymentId, request.student, plan, request);
  }

  /** Marks the copy stopped (so status says `stopped`, not `failed`), then stops its containers. */
  async stop(request: LabStopRequest): Promise<void> {
    const environment = environmentName(this.scope, request.deploymentId, request.student.id);
    const containers = (await this.found.listContainers(request.deploymentId)).filter(
      (container) => container.Labels?.[LABEL_STUDENT_ID] === request.student.id,
    );
    if (containers.length === 0) return;
    const labels = studentLabels(this.scope, request.deploymentId, request.student.id, {});
    const marker = stopMarkerName(environment);
    if (!(await this.cli.exists(['volume', 'exists', marker])))
      await this.ignoringExisting([
        'volume',
        'create',
        ...labelArgs({ ...labels, [LABEL_LAB_STOPPED]: 'true' }),
        marker,
      ]);
    await this.cli.run(['stop', '--ignore', ...containers.map((container) => container.Id)]);
  }

  async teardown(deploymentId: string): Promise<LabTeardownReceipt> {
    const started = Date.now();
    const found = await this.found.inventory(deploymentId);
    const networks = names(found, 'Network');
    // The host firewall's rules of those networks (they carry no labels, only the network's name).
    const firewalled = async () =>
      ((await this.firewall?.networks()) ?? [])
        .filter((network) => networks.includes(network))
        .map((network) => ({ kind: 'FirewallRules', name: network }));
    found.push(...(await firewalled()));
    const errors: string[] = [];
    const remove = async (args: string[], names: string[]) => {
      if (names.length === 0) return;
      try {
        await this.cli.run([...args, ...names]);
      } catch (error) {
        errors.push(messageOf(error));
      }
    };
    // Containers first: a network or volume in use cannot go.
    await this.removeContainers(names(found, 'Container')).catch((error) => errors.push(messageOf(error)));
    await remove(['pod', 'rm', '--force', '--ignore'], names(found, 'Pod'));
    // Firewall rules before their networks, so a bridge name reused later is never caught by them.
    await this.firewall?.release(networks).catch((error) => errors.push(messageOf(error)));
    await Promise.all([
      remove(['volume', 'rm', '--force'], names(found, 'Volume')),
      remove(['network', 'rm', '--force'], networks),
    ]);
    const remaining = [...(await this.found.inventory(deploymentId)), ...(await firewalled())];
    const left = new Set(remaining.map(refKey));
    const receipt = {
      deploymentId,
      deleted: found.filter((ref) => !left.has(refKey(ref))),
      verified: remaining.length === 0,
      remaining,
      errors,
      durationMs: Date.now() - started,
    };
    this.logger.info(
      {
        deploymentId,
        deleted: receipt.deleted.length,
        verified: receipt.verified,
        durationMs: receipt.durationMs,
      },
      'lab deployment torn down',
    );
    return receipt;
  }

  async resolveImageDigests(images: readonly string[]): Promise<ImageDigests> {
    const digests: Record<string, string> = {};
    for (const image of images) {
      const pinned = /@(sha256:[0-9a-f]{64})$/.exec(image);
      if (pinned) {
        digests[image] = pinned[1]!;
        continue;
      }
      const reference = image.startsWith('aperture/') ? `${this.render.imagePrefix}${image}` : image;
      try {
        const digest = (
          await this.cli.run(['image', 'inspect', '--format', '{{.Digest}}', reference])
        ).trim();
        if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`no digest (${digest})`);
        digests[image] = digest;
      } catch (error) {
        throw new ValidationError(`image ${image} is not in Podman's image store (${reference})`, {
          errors: [{ path: image, message: messageOf(error) }],
        });
      }
    }
    return digests;
  }

  async exec(
    target: LabTarget,
    command: readonly string[],
    options?: LabExecOptions,
  ): Promise<LabExecResult> {
    const { client, name } = await this.reach(target);
    return execIn(client, name, command, options);
  }

  async openTerminal(target: LabTarget, options: LabTerminalOptions): Promise<LabTerminal> {
    const { client, name } = await this.reach(target);
    return terminalIn(client, name, options);
  }

  async connect(target: LabTarget, port: number): Promise<Duplex> {
    const { ip, name } = await this.reach(target);
    if (!ip) throw new ValidationError(`lab component ${name} has no address on its network`);
    return connectTo(ip, port);
  }

  /**
   * Checks the host firewall of every lab network of this instance and puts back what is missing
   * (the INPUT jump, a network's rules: after an `iptables -F`, a firewalld reload, a host
   * reboot), then drops rules of networks that are gone. Runs every `firewallCheckMs` on its own;
   * a reconciler may call it too.
   */
  async verifyFirewall(): Promise<FirewallVerification> {
    if (!this.firewall) return { checked: 0, repaired: [] };
    const networks = (await this.found.listLabNetworks()).filter((network) => network.network_interface);
    const repaired = await this.firewall.verify(
      networks.map((network) => ({ network: network.name, ...addressOf(network) })),
    );
    await this.firewall.sweep(() => this.allNetworks());
    if (repaired.length > 0) this.logger.warn({ repaired }, 'lab firewall rules were missing and are back');
    return { checked: networks.length, repaired };
  }

  /** Stops the API service this provisioner started, if it did. */
  async close(): Promise<void> {
    clearInterval(this.firewallTimer);
    this.firewallTimer = undefined;
    const api = await this.apiClient?.catch(() => undefined);
    this.apiClient = undefined;
    api?.client.close();
    await api?.service?.stop();
  }

  /** Every network Podman has (any instance's): a firewall rule of one of them is not stray. */
  private async allNetworks(): Promise<ReadonlySet<string>> {
    const all = await this.cli.run(['network', 'ls', '--format', '{{.Name}}']);
    return new Set(all.split('\n').filter(Boolean));
  }

  /** From the first deploy on, verifyFirewall every firewallCheckMs (not keeping the process up). */
  private watchFirewall(): void {
    const every = this.options.firewallCheckMs ?? 60_000;
    if (!this.firewall || every <= 0 || this.firewallTimer) return;
    let running = false;
    this.firewallTimer = setInterval(() => {
      if (running) return;
      running = true;
      this.verifyFirewall()
        .catch((error) => this.logger.warn({ error: messageOf(error) }, 'lab firewall check failed'))
        .finally(() => (running = false));
    }, every);
    this.firewallTimer.unref();
  }

  private async reach(target: LabTarget) {
    const environment = environmentName(this.scope, target.deploymentId, target.studentId);
    const name = containerName(environment, target.component);
    const client = await this.api();
    const { ip } = await runningContainer(client, name, environment);
    return { client, name, ip };
  }

  private api(): Promise<PodmanApiClient> {
    this.apiClient ??= (async () => {
      if (this.options.socketPath)
        return { client: new PodmanApiClient(this.options.socketPath), service: undefined };
      const service = await PodmanService.start(this.options.podman ?? 'podman');
      return { client: new PodmanApiClient(service.socketPath), service };
    })();
    const pending = this.apiClient;
    // A failed start is not cached: the next call tries again.
    pending.catch(() => {
      if (this.apiClient === pending) this.apiClient = undefined;
    });
    // The service this provisioner started may have died (killed, crashed): start it again.
    return pending.then(async (api) => {
      await api.service?.ensureRunning();
      return api.client;
    });
  }

  private plan(deploymentId: string, version: LabVersionRef, student: LabStudent): StudentPlan {
    const rendered = renderStudentLab(
      {
        deploymentId,
        studentId: student.id,
        template: version.template,
        images: version.images,
        versionId: version.id,
      },
      this.render,
    );
    const environment = environmentName(this.scope, deploymentId, student.id);
    // The namespace's labels (lab name and all) without its PodSecurity ones, on network and volumes.
    const namespaceLabels = Object.fromEntries(
      Object.entries(rendered.objects[0]?.metadata?.labels ?? {}).filter(
        ([key]) => !key.startsWith('pod-security.'),
      ),
    );
    const labels = studentLabels(this.scope, deploymentId, student.id, namespaceLabels);
    const claims = rendered.objects.filter(
      (o) => o.kind === 'PersistentVolumeClaim',
    ) as V1PersistentVolumeClaim[];
    const volumes = new Map(
      claims.map((claim) => [claim.metadata!.name!, volumeName(environment, claim.metadata!.name!)]),
    );
    const deployments = rendered.objects.filter((o) => o.kind === 'Deployment') as V1Deployment[];
    const components = deployments.map((deployment) => deployment.metadata!.name!);
    const runs = deployments.map((deployment) =>
      containerRun(deployment, {
        name: containerName(environment, deployment.metadata!.name!),
        network: environment,
        labels: studentLabels(this.scope, deploymentId, student.id, deployment.metadata?.labels ?? {}),
        versionId: version.id,
        components,
        volumes,
        ...(this.options.userNamespace === true
          ? { hostIdBase: LAB_HOST_ID_BASE }
          : typeof this.options.userNamespace === 'number'
            ? { hostIdBase: this.options.userNamespace }
            : {}),
      }),
    );
    return { environment, labels, volumes: [...volumes.values()], runs };
  }

  private async applyStudent(
    deploymentId: string,
    student: LabStudent,
    plan: StudentPlan,
    request: Pick<LabDeployRequest, 'onProgress' | 'signal'>,
    /** What a deploy found of the whole class; unset: read this student's. */
    known?: Snapshot,
  ): Promise<StudentDeployResult> {
    const { environment } = plan;
    const emit = this.emitter(request.onProgress);
    if (request.signal?.aborted)
      return {
        student,
        ok: false,
        environment,
        attempts: 0,
        error: 'the deploy was cancelled',
        code: 'cancelled',
      };
    for (let attempt = 1; ; attempt++) {
      emit({ student, phase: 'applying', attempt });
      try {
        const found = attempt === 1 && known ? known : await this.found.snapshot(deploymentId, student.id);
        await this.converge(student, plan, found);
        emit({ student, phase: 'ready', attempt });
        return {
          student,
          ok: true,
          environment,
          attempts: attempt,
          objects: 1 + plan.volumes.length + plan.runs.length,
        };
      } catch (error) {
        const message = messageOf(error);
        // A name in use may be a concurrent deploy of the same student that got there first: the
        // next attempt reads again and finds that container ours (and equal) — or fails again.
        const retry =
          error instanceof PodmanLabError && (error.transient || error.code === 'podman_name_in_use');
        if (attempt < this.attempts && retry) {
          this.logger.debug({ studentId: student.id, attempt, error: message }, 'lab environment retried');
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          continue;
        }
        emit({ student, phase: 'failed', attempt, error: message });
        this.logger.warn(
          { studentId: student.id, environment, attempt, error: message },
          'lab environment failed',
        );
        return { student, ok: false, environment, attempts: attempt, error: message, code: codeOf(error) };
      }
    }
  }

  /** Every step looks before it acts, so a retry or a re-deploy resumes where things stand. */
  private async converge(student: LabStudent, plan: StudentPlan, found: Snapshot): Promise<void> {
    const { environment, labels } = plan;
    let address = found.networks.get(environment);
    if (address === undefined) {
      await this.ignoringExisting(['network', 'create', '--internal', ...labelArgs(labels), environment]);
      const [bridge = '', ...gateways] = (
        await this.cli.run([
          'network',
          'inspect',
          '--format',
          '{{.NetworkInterface}} {{range .Subnets}}{{.Gateway}} {{end}}',
          environment,
        ])
      )
        .trim()
        .split(/\s+/);
      address = { bridge, gateway: gateways.find((gateway) => !gateway.includes(':')) };
    }
    // Before any container exists on it: no moment in which a lab can reach the host.
    if (this.firewall) await this.firewall.isolate(environment, address.bridge, address.gateway);
    for (const volume of plan.volumes)
      if (!found.volumes.has(volume))
        await this.ignoringExisting(['volume', 'create', ...labelArgs(labels), volume]);
    const marker = stopMarkerName(environment);
    if (found.volumes.has(marker)) await this.cli.run(['volume', 'rm', '--force', marker]);
    const existing = found.containers.filter(
      (container) => container.Labels?.[LABEL_STUDENT_ID] === student.id,
    );
    const wanted = new Set(plan.runs.map((run) => run.component));
    const strays = existing.filter((container) => !wanted.has(container.Labels?.[LABEL_LAB_COMPONENT] ?? ''));
    await this.removeContainers(strays.map((c) => c.Id));
    for (const run of plan.runs) {
      const current = existing.find((container) => container.Labels?.[LABEL_LAB_COMPONENT] === run.component);
      if (current?.Labels?.[LABEL_LAB_SPEC] === run.specHash) {
        if (current.State !== 'running') await this.cli.run(['start', current.Id]);
        continue;
      }
      if (current) await this.removeContainers([current.Id]);
      await this.cli.run(run.args);
    }
  }

  /** Containers, then volumes (and the stop marker); the network too unless a reset keeps it. */
  private async removeStudent(deploymentId: string, studentId: string, what: { removeNetwork: boolean }) {
    const filter = [`label=${LABEL_STUDENT_ID}=${studentId}`];
    const mine = <T extends { Labels?: Record<string, string> | null }>(list: T[]) =>
      list.filter((item) => item.Labels?.[LABEL_STUDENT_ID] === studentId);
    const containers = mine(await this.found.listContainers(deploymentId, filter));
    await this.removeContainers(containers.map((c) => c.Id));
    const volumes = mine(await this.found.listVolumes(deploymentId, filter));
    if (volumes.length > 0) await this.cli.run(['volume', 'rm', '--force', ...volumes.map((v) => v.Name)]);
    if (what.removeNetwork)
      await this.cli.run(['network', 'rm', '--force', environmentName(this.scope, deploymentId, studentId)]);
  }

  /**
   * `podman rm --force --ignore`, again on a transient failure: in a user namespace Podman 4.3
   * sometimes reports "device or resource busy" for the container's shm after removing it.
   */
  private async removeContainers(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.cli.run(['rm', '--force', '--ignore', '--time', '0', ...ids]);
        return;
      } catch (error) {
        if (attempt >= 3 || !(error instanceof PodmanLabError && error.transient)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  /** A create that lost a race with another create of the same object has what it wanted. */
  private async ignoringExisting(args: string[]): Promise<void> {
    try {
      await this.cli.run(args);
    } catch (error) {
      if (!(error instanceof PodmanLabError && error.code === 'podman_name_in_use')) throw error;
    }
  }

  /** Progress goes to the caller's callback; a callback that throws must not fail the student. */
  private emitter(onProgress: ((event: LabProgressEvent) => void) | undefined) {
    return (event: LabProgressEvent) => {
      try {
        onProgress?.(event);
      } catch (error) {
        this.logger.warn({ error: messageOf(error) }, 'a lab progress listener threw');
      }
    };
  }
}

const names = (refs: LabObjectRef[], kind: string) =>
  refs.filter((ref) => ref.kind === kind).map((ref) => ref.name);
const refKey = (ref: LabObjectRef) => `${ref.kind}/${ref.name}`;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown) => (error instanceof PodmanLabError ? error.code : 'podman_refused');

function checkStudents(students: readonly LabStudent[]): void {
  const seen = new Set<string>();
  students.forEach((student, index) => {
    if (seen.has(student.id))
      throw new ValidationError(`student ${student.id} is listed twice`, {
        errors: [{ path: `students[${index}].id`, message: 'listed twice' }],
      });
    seen.add(student.id);
  });
}
