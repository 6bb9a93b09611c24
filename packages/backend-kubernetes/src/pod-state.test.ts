import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podState } from './pod-state.ts';
import { jobVerdict } from './run-tracker.ts';

const pod = (status: NonNullable<V1Pod['status']>, metadata: NonNullable<V1Pod['metadata']> = {}): V1Pod => ({
  metadata,
  status,
});
const sandbox = (state: object) => ({
  containerStatuses: [{ name: 'sandbox', image: 'i', imageID: '', ready: false, restartCount: 0, state }],
});

describe('podState', () => {
  it('follows a pod from pending to its end', () => {
    expect(podState(pod({ phase: 'Pending' })).kind).toBe('waiting');
    expect(
      podState(
        pod({
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', message: '0/3 nodes are available' }],
        }),
      ),
    ).toEqual({ kind: 'waiting', detail: 'not scheduled: 0/3 nodes are available' });
    expect(podState(pod({ phase: 'Running', ...sandbox({ running: {} }) })).kind).toBe('running');
    expect(podState(pod({ phase: 'Succeeded', ...sandbox({ terminated: { exitCode: 0 } }) }))).toEqual({
      kind: 'ended',
      succeeded: true,
      detail: 'container exit 0',
    });
    expect(
      podState(pod({ phase: 'Failed', ...sandbox({ terminated: { exitCode: 137, reason: 'OOMKilled' } }) })),
    ).toEqual({
      kind: 'ended',
      succeeded: false,
      detail: 'container exit 137 (OOMKilled)',
    });
  });

  it('calls an eviction, a lost node, a preemption and a deletion infrastructure', () => {
    expect(podState(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }))).toMatchObject({
      kind: 'lost',
      reason: expect.stringContaining('Evicted'),
    });
    expect(podState(pod({ phase: 'Running', reason: 'NodeLost' })).kind).toBe('running');
    expect(podState(pod({ phase: 'Running' }, { deletionTimestamp: new Date() }))).toMatchObject({
      kind: 'lost',
    });
    expect(
      podState(
        pod({
          phase: 'Failed',
          conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }],
        }),
      ),
    ).toMatchObject({ kind: 'lost', reason: expect.stringContaining('PreemptionByScheduler') });
    expect(podState(pod({ phase: 'Running' }), true)).toMatchObject({ kind: 'lost' });
  });

  it('calls an image that cannot be had stuck', () => {
    expect(
      podState(
        pod({
          phase: 'Pending',
          ...sandbox({ waiting: { reason: 'ErrImageNeverPull', message: 'not present' } }),
        }),
      ),
    ).toMatchObject({ kind: 'stuck', reason: expect.stringContaining('ErrImageNeverPull') });
    expect(
      podState(pod({ phase: 'Pending', ...sandbox({ waiting: { reason: 'ContainerCreating' } }) })).kind,
    ).toBe('waiting');
  });
});

describe('jobVerdict', () => {
  it('leaves completion and the pod failure to the pod, and reports the rest', () => {
    const job = (type: string, reason?: string) => ({
      status: { conditions: [{ type, status: 'True', ...(reason ? { reason } : {}) }] },
    });
    expect(jobVerdict(job('Complete'), false)).toBeUndefined();
    expect(jobVerdict(job('Failed', 'BackoffLimitExceeded'), false)).toBeUndefined();
    expect(jobVerdict(job('Failed', 'DeadlineExceeded'), false)?.gone).toContain('DeadlineExceeded');
    expect(jobVerdict(job('Complete'), true)?.gone).toContain('deleted');
  });
});
