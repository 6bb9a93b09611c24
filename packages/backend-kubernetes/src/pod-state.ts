import type { V1Pod } from '@kubernetes/client-node';
import { SANDBOX_CONTAINER } from './job-manifest.ts';

/**
 * What a run's pod says about the run, decided from the pod object alone (pure; the informer
 * feeds it every version it sees).
 * - `ended`: the container exited; its log holds the harness's result, if there is one.
 * - `lost`: the pod went away or was stopped by the cluster (eviction, node lost, preemption,
 *   deadline): an infrastructure failure, retried, never the student's verdict.
 * - `stuck`: the pod cannot start (image missing, bad config): infrastructure too.
 */
export type PodState =
  | { kind: 'waiting'; detail: string }
  | { kind: 'running' }
  | { kind: 'ended'; succeeded: boolean; detail: string }
  | { kind: 'lost'; reason: string }
  | { kind: 'stuck'; reason: string };

/**
 * Waiting reasons of a container that cannot start and will not fix itself (image missing, bad
 * config): shared by run pods and lab pods.
 */
export const UNSTARTABLE_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** Pod reasons the kubelet or the control plane give when they, not the program, ended a pod. */
const LOST_REASONS = new Set([
  'Evicted',
  'NodeLost',
  'DeadlineExceeded',
  'Shutdown',
  'Terminated',
  'NodeShutdown',
  'UnexpectedAdmissionError',
  'OutOfcpu',
  'OutOfmemory',
  'OutOfpods',
]);

export function podState(pod: V1Pod, deleted = false): PodState {
  const status = pod.status ?? {};
  const disruption = status.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  const container = status.containerStatuses?.find((c) => c.name === SANDBOX_CONTAINER);
  const terminated = container?.state?.terminated;

  if (status.phase === 'Succeeded' || status.phase === 'Failed') {
    if (status.reason && LOST_REASONS.has(status.reason))
      return {
        kind: 'lost',
        reason: `the cluster stopped the pod (${status.reason}: ${status.message ?? 'no message'})`,
      };
    if (disruption && !terminated)
      return {
        kind: 'lost',
        reason: `the pod was disrupted (${disruption.reason ?? 'DisruptionTarget'}: ${disruption.message ?? ''})`,
      };
    const detail = terminated
      ? `container exit ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`
      : `pod ${status.phase}`;
    return { kind: 'ended', succeeded: status.phase === 'Succeeded', detail };
  }
  if (deleted || pod.metadata?.deletionTimestamp) {
    const why = disruption
      ? `${disruption.reason ?? 'disrupted'}: ${disruption.message ?? ''}`
      : 'deleted before it finished';
    return { kind: 'lost', reason: `the pod was removed by the cluster (${why.trim()})` };
  }
  const waiting = container?.state?.waiting;
  if (waiting?.reason && UNSTARTABLE_REASONS.has(waiting.reason))
    return {
      kind: 'stuck',
      reason: `the sandbox cannot start: ${waiting.reason}: ${waiting.message ?? ''}`.trim(),
    };
  if (container?.state?.running || status.phase === 'Running') return { kind: 'running' };
  const unschedulable = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable)
    return {
      kind: 'waiting',
      detail: `not scheduled: ${unschedulable.message ?? unschedulable.reason ?? ''}`,
    };
  return {
    kind: 'waiting',
    detail: waiting?.reason ? `starting: ${waiting.reason}` : `phase ${status.phase ?? 'unknown'}`,
  };
}
