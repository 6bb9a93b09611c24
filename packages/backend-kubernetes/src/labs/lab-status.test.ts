import type { V1Deployment, V1Namespace, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_LAB_VERSION, ANNOTATION_STUDENT_ID, LABEL_LAB_COMPONENT } from './lab-labels.ts';
import { labStatuses } from './lab-status.ts';

const namespace = (student: string, extra: Partial<V1Namespace> = {}): V1Namespace => ({
  metadata: {
    name: `lab-${student}`,
    annotations: { [ANNOTATION_STUDENT_ID]: student, [ANNOTATION_LAB_VERSION]: 'sha256:v1' },
  },
  ...extra,
});

const deployment = (
  student: string,
  name: string,
  ready: number,
  extra: NonNullable<V1Deployment['status']> = {},
) => ({
  metadata: { name, namespace: `lab-${student}` },
  spec: { replicas: 1, selector: {}, template: {} },
  status: { readyReplicas: ready, availableReplicas: ready, ...extra },
});

const pod = (student: string, component: string, status: V1PodStatus): V1Pod => ({
  metadata: {
    name: `${component}-abc`,
    namespace: `lab-${student}`,
    labels: { [LABEL_LAB_COMPONENT]: component },
  },
  status,
});

describe('labStatuses', () => {
  it('a student whose components all have their replicas ready is ready', () => {
    const [alice] = labStatuses(
      {
        namespaces: [namespace('alice')],
        deployments: [deployment('alice', 'web', 1), deployment('alice', 'shell', 1)],
        pods: [],
      },
      [{ id: 'alice', username: 'Alice' }],
    );
    expect(alice).toEqual({
      student: { id: 'alice', username: 'Alice' },
      state: 'ready',
      environment: 'lab-alice',
      versionId: 'sha256:v1',
      components: [
        { name: 'web', desired: 1, ready: 1, available: 1 },
        { name: 'shell', desired: 1, ready: 1, available: 1 },
      ],
    });
  });

  it('an image that cannot be pulled fails the student, in the kubelet words', () => {
    const [bob] = labStatuses({
      namespaces: [namespace('bob')],
      deployments: [deployment('bob', 'web', 0), deployment('bob', 'shell', 1)],
      pods: [
        pod('bob', 'web', {
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'web',
              image: 'x',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } },
            },
          ],
        }),
      ],
    });
    expect(bob?.state).toBe('failed');
    expect(bob?.message).toBe('web: ImagePullBackOff: Back-off pulling image "x"');
    expect(bob?.components[0]?.message).toBe('ImagePullBackOff: Back-off pulling image "x"');
  });

  it('a pod the ReplicaSet could not create (quota) fails the student', () => {
    const [carol] = labStatuses({
      namespaces: [namespace('carol')],
      deployments: [
        deployment('carol', 'web', 0, {
          conditions: [
            {
              type: 'ReplicaFailure',
              status: 'True',
              reason: 'FailedCreate',
              message: 'exceeded quota: lab-budget',
            },
          ],
        }),
      ],
      pods: [],
    });
    expect(carol?.state).toBe('failed');
    expect(carol?.message).toBe('web: FailedCreate: exceeded quota: lab-budget');
  });

  it('a pod not yet scheduled is starting, with the scheduler reason', () => {
    const [dave] = labStatuses({
      namespaces: [namespace('dave')],
      deployments: [deployment('dave', 'web', 0)],
      pods: [
        pod('dave', 'web', {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', message: '0/2 nodes are available' }],
        }),
      ],
    });
    expect(dave?.state).toBe('starting');
    expect(dave?.message).toBe('web: not scheduled: 0/2 nodes are available');
  });

  it("keeps the caller's order, with students it did not name last", () => {
    const statuses = labStatuses(
      { namespaces: [namespace('a'), namespace('b'), namespace('z')], deployments: [], pods: [] },
      [
        { id: 'z', username: 'z' },
        { id: 'm', username: 'm' },
        { id: 'a', username: 'a' },
      ],
    );
    expect(statuses.map((s) => s.student.id)).toEqual(['z', 'm', 'a', 'b']);
  });

  it('terminating, half-applied and missing students are told apart', () => {
    const statuses = labStatuses(
      {
        namespaces: [namespace('erin', { status: { phase: 'Terminating' } }), namespace('frank')],
        deployments: [],
        pods: [],
      },
      [
        { id: 'frank', username: 'frank' },
        { id: 'gina', username: 'gina' },
      ],
    );
    expect(statuses.map((s) => [s.student.id, s.state, s.message])).toEqual([
      ['frank', 'starting', 'no components yet'],
      ['gina', 'missing', 'nothing of this student is deployed'],
      ['erin', 'terminating', 'being deleted'],
    ]);
  });

  it('a copy whose Deployments all have 0 replicas is stopped; one still at 1 is not', () => {
    const stopped = (student: string, name: string, replicas: number) => ({
      ...deployment(student, name, 0),
      spec: { replicas, selector: {}, template: {} },
    });
    const statuses = labStatuses({
      namespaces: [namespace('hal'), namespace('ivy')],
      deployments: [
        stopped('hal', 'web', 0),
        stopped('hal', 'shell', 0),
        stopped('ivy', 'web', 0),
        stopped('ivy', 'shell', 1),
      ],
      pods: [],
    });
    expect(statuses.map((s) => [s.student.id, s.state])).toEqual([
      ['hal', 'stopped'],
      ['ivy', 'starting'],
    ]);
    expect(statuses[0]?.components.map((c) => c.desired)).toEqual([0, 0]);
  });

  it('a quota refusal while the previous pod still ends is starting, not failed', () => {
    const refused = {
      conditions: [
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message: 'exceeded quota: lab-budget',
        },
      ],
    };
    const ending = pod('jo', 'web', { phase: 'Running' });
    ending.metadata = { ...ending.metadata, deletionTimestamp: new Date() };
    const [waiting] = labStatuses({
      namespaces: [namespace('jo')],
      deployments: [deployment('jo', 'web', 0, refused)],
      pods: [ending],
    });
    expect([waiting?.state, waiting?.message]).toEqual([
      'starting',
      'web: waiting for the previous pod to end',
    ]);
    const [stuck] = labStatuses({
      namespaces: [namespace('jo')],
      deployments: [deployment('jo', 'web', 0, refused)],
      pods: [],
    });
    expect(stuck?.state).toBe('failed');
  });
});
