import { randomBytes } from 'node:crypto';
import type {
  BatchV1Api,
  CoreV1Api,
  V1ContainerStateWaiting,
  V1Job,
  V1Pod,
  V1PodSpec,
  V1Toleration,
} from '@kubernetes/client-node';
import { architecturePlacement, imageRef, runSeccompProfile } from '../job-manifest.ts';
import { LABEL_COMPONENT, LABEL_MANAGED } from '../labels.ts';
import { hardenedContainerSecurityContext } from '../pod-hardening.ts';
import type { IsolationProbeResult } from './facts.ts';

/**
 * The opt-in active check of run isolation (ADR 0006): one short-lived Job in the runs namespace,
 * shaped like a run pod (uid 1000, no capabilities, read-only root, the Localhost profile), whose
 * container runs the runner image's own `runlimit --isolate --userns` once. It passes only if the
 * node has the profile and the profile lets runlimit make its namespaces and tmpfs. It needs only
 * what the server already may do there (create/delete Jobs, list pods, read their logs); the
 * server's sweeper never touches it (no instance, component `doctor`). Deleted when done.
 */
export interface IsolationProbeOptions {
  /** The Localhost profile, e.g. `aperture/runner.json`. */
  profile: string;
  /** As the server's (`--image-prefix`): the probe runs `<prefix>aperture/runner-python`. */
  imagePrefix: string;
  /** The run pods' placement (the server's --k8s-node-selector, tolerations, architectures). */
  nodeSelector: Readonly<Record<string, string>>;
  tolerations: readonly V1Toleration[];
  architectures: readonly string[];
  /** How long the pod may take to be scheduled, pull its image and run (default 180 s). */
  timeoutMs?: number;
  /** Between looks at the pod (default 1 s). */
  pollMs?: number;
}

export const PROBE_IMAGE = 'aperture/runner-python';
export const LABEL_PROBE = 'dev.aperture.doctor-probe';
const PROBE_UID = 1000;
const MARK = 'aperture-isolation-probe';
/**
 * What the container runs: runlimit as the harness calls it (report on fd 3), in a fresh user, PID,
 * mount, network, IPC and UTS namespace with a fresh tmpfs /tmp; the program writes and reads a
 * file there and prints the execution's own hostname (`sandbox`, set by runlimit).
 */
export const PROBE_SCRIPT = [
  'exec /usr/local/bin/runlimit --report-fd 3 --cpu-ms 5000 --wall-ms 20000',
  `--isolate --userns --uid ${PROBE_UID} --gid ${PROBE_UID} --fresh /tmp:1048576`,
  `-- /bin/sh -c 'echo ${MARK} >/tmp/probe && cat /tmp/probe && hostname' 3>&1`,
].join(' ');

/** Waiting reasons after which the container will not start by itself. */
const STUCK = new Set([
  'CreateContainerError',
  'CreateContainerConfigError',
  'RunContainerError',
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
]);

/** The probe's Job: a run pod's hardening and placement, the Localhost profile, one container. */
export function isolationProbeJob(options: IsolationProbeOptions, id: string): V1Job {
  const labels = { [LABEL_MANAGED]: 'true', [LABEL_COMPONENT]: 'doctor', [LABEL_PROBE]: id };
  const seccompProfile = runSeccompProfile(options.profile);
  const timeoutS = Math.ceil((options.timeoutMs ?? 180_000) / 1000);
  const resources = { cpu: '250m', memory: '64Mi' };
  const spec: V1PodSpec = {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 1,
    ...architecturePlacement(options.architectures, options.nodeSelector),
    ...(options.tolerations.length > 0 ? { tolerations: [...options.tolerations] } : {}),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: PROBE_UID,
      runAsGroup: PROBE_UID,
      seccompProfile,
    },
    containers: [
      {
        name: 'probe',
        image: imageRef(options.imagePrefix, PROBE_IMAGE),
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/sh', '-c', PROBE_SCRIPT],
        resources: { requests: resources, limits: resources },
        securityContext: { ...hardenedContainerSecurityContext(), seccompProfile },
      },
    ],
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { generateName: 'aperture-doctor-isolation-', labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: timeoutS + 30,
      // A backstop for a doctor that dies before it deletes the Job.
      ttlSecondsAfterFinished: 60,
      template: { metadata: { labels }, spec },
    },
  };
}

/** A pod like the probe's, for the server-side dry run of admission (never stored). */
export function isolationAdmissionPod(profile: string): V1Pod {
  const job = isolationProbeJob(
    { profile, imagePrefix: '', nodeSelector: {}, tolerations: [], architectures: [] },
    'dry-run',
  );
  return {
    metadata: { generateName: 'aperture-doctor-isolation-', labels: job.metadata?.labels ?? {} },
    spec: job.spec!.template.spec!,
  };
}

/**
 * What the probe's log says. runlimit's report lines are JSON (`{"pid":…}`, then `{"exitCode":…}`
 * or `{"error":…}`); everything else is the program's output.
 */
export function judgeProbeLog(log: string): { ok: true } | { ok: false; message: string } {
  const reports: Record<string, unknown>[] = [];
  const output: string[] = [];
  for (const line of log.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === 'object') {
        reports.push(parsed as Record<string, unknown>);
        continue;
      }
    } catch {}
    output.push(line);
  }
  const error = reports.find((r) => typeof r['error'] === 'string');
  if (error) return { ok: false, message: `runlimit: ${error['error']}` };
  const final = reports.find((r) => 'exitCode' in r);
  if (!final)
    return {
      ok: false,
      message: `no runlimit report in the probe’s output: ${clip(output.join(' | ') || '(empty)')}`,
    };
  if (final['exitCode'] !== 0 || output[0] !== MARK || output[1] !== 'sandbox')
    return {
      ok: false,
      message:
        `the program in the isolated execution did not do its part (exit ${final['exitCode']}, ` +
        `signal ${final['signal']}): ${clip(output.join(' | ') || '(no output)')}`,
    };
  return { ok: true };
}

/** Where a look at the probe pod leaves it: still on its way, or a result. */
export function judgeProbePod(
  pod: V1Pod | undefined,
):
  | { kind: 'waiting'; why: string }
  | { kind: 'terminated'; node: string; exitCode: number }
  | { kind: 'failed'; result: IsolationProbeResult } {
  if (!pod) return { kind: 'waiting', why: 'no pod yet (its Job creates it)' };
  const node = pod.spec?.nodeName;
  const state = pod.status?.containerStatuses?.[0]?.state;
  if (state?.terminated)
    return { kind: 'terminated', node: node ?? '?', exitCode: state.terminated.exitCode };
  const waiting: V1ContainerStateWaiting | undefined = state?.waiting;
  if (waiting?.reason && STUCK.has(waiting.reason))
    return {
      kind: 'failed',
      result: {
        ok: false,
        stage: 'started',
        reason: waiting.reason,
        message: `${waiting.reason}: ${waiting.message ?? '(no message)'}`,
        ...(node ? { node } : {}),
      },
    };
  if (!node) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return {
      kind: 'waiting',
      why: `not scheduled${scheduled?.message ? `: ${scheduled.message}` : ''}`,
    };
  }
  return { kind: 'waiting', why: `on ${node}, ${waiting?.reason ?? pod.status?.phase ?? 'starting'}` };
}

/** Runs the probe; API errors (a 403 on create jobs, …) are thrown for the caller's probe(). */
export async function runIsolationProbe(
  api: { batch: BatchV1Api; core: CoreV1Api },
  namespace: string,
  options: IsolationProbeOptions,
): Promise<IsolationProbeResult> {
  const id = randomBytes(6).toString('hex');
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 180_000;
  const created = await api.batch.createNamespacedJob({ namespace, body: isolationProbeJob(options, id) });
  const name = created.metadata?.name ?? '';
  try {
    let last: ReturnType<typeof judgeProbePod> = judgeProbePod(undefined);
    let podName: string | undefined;
    while (Date.now() - started < timeoutMs) {
      const pods = await api.core.listNamespacedPod({ namespace, labelSelector: `${LABEL_PROBE}=${id}` });
      const pod = pods.items[0];
      podName = pod?.metadata?.name;
      last = judgeProbePod(pod);
      if (last.kind === 'failed') return last.result;
      if (last.kind === 'terminated' && podName) {
        const log = await api.core.readNamespacedPodLog({ name: podName, namespace, container: 'probe' });
        const verdict = judgeProbeLog(log);
        const seconds = Math.round((Date.now() - started) / 100) / 10;
        return verdict.ok
          ? { ok: true, node: last.node, seconds }
          : { ok: false, stage: 'ran', node: last.node, message: verdict.message };
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
    const why = last.kind === 'waiting' ? last.why : 'no result';
    const stage = !podName ? 'created' : why.startsWith('not scheduled') ? 'scheduled' : 'started';
    return {
      ok: false,
      stage,
      message: `no result after ${Math.round(timeoutMs / 1000)} s: ${why}`,
    };
  } finally {
    // Background: the garbage collector removes its pod right after the Job.
    await api.batch
      .deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' })
      .catch(() => undefined);
  }
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
