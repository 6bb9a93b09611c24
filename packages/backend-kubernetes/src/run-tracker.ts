import type { V1Job, V1Pod } from '@kubernetes/client-node';

export type RunObjectEvent =
  | { kind: 'pod'; pod: V1Pod; deleted: boolean }
  | { kind: 'job'; job: V1Job; deleted: boolean };

/** The events of one run Job (its own and its pod's), and a promise for the next one. */
export class RunTracker {
  latestPod: { pod: V1Pod; deleted: boolean } | undefined;
  /** Set once the executor deleted the Job while following (cancel, deadline, loss): not deleted twice. */
  jobDeleted = false;
  private readonly queue: RunObjectEvent[] = [];
  private wake: (() => void) | undefined;

  push(event: RunObjectEvent): void {
    if (event.kind === 'pod') this.latestPod = event;
    this.queue.push(event);
    this.wake?.();
  }

  async next(): Promise<RunObjectEvent> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    return this.queue.shift()!;
  }
}

const JOB_NAME_LABELS = ['batch.kubernetes.io/job-name', 'job-name'];

export function podJobName(pod: V1Pod): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  for (const key of JOB_NAME_LABELS) if (labels[key]) return labels[key];
  return undefined;
}

/**
 * What a Job event says about its run, beside its pod: `gone` when the Job was deleted or failed
 * before its pod ended (swept, removed by an operator, activeDeadlineSeconds). Completion and
 * BackoffLimitExceeded are left to the pod, whose log holds the result.
 */
export function jobVerdict(job: V1Job, deleted: boolean): { gone: string } | undefined {
  if (deleted)
    return { gone: 'the run Job was deleted before its pod finished (swept, or removed by an operator)' };
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed && failed.reason !== 'BackoffLimitExceeded')
    return { gone: `the run Job failed (${failed.reason ?? 'Failed'}: ${failed.message ?? 'no message'})` };
  return undefined;
}
