/**
 * Each student's state, decided from what the cluster holds (pure: the provisioner lists the
 * deployment's namespaces, Deployments and pods once for the whole class and passes them here).
 * A component that cannot start by itself — image missing, over quota, crash loop — is `failed`
 * with the kubelet's or controller's words, not a number of ready replicas to guess from.
 */
import type { LabComponentStatus, LabStudent, StudentLabState, StudentLabStatus } from '@aperture/core';
import type { V1Deployment, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { UNSTARTABLE_REASONS } from '../pod-state.ts';
import { ANNOTATION_LAB_VERSION, ANNOTATION_STUDENT_ID, LABEL_LAB_COMPONENT } from './lab-labels.ts';

/** A lab container restarts (restartPolicy Always), so a crash loop is stuck too. */
const STUCK_REASONS = new Set([...UNSTARTABLE_REASONS, 'CrashLoopBackOff']);

export interface LabClusterState {
  namespaces: readonly V1Namespace[];
  deployments: readonly V1Deployment[];
  pods: readonly V1Pod[];
}

export function labStatuses(
  state: LabClusterState,
  students: readonly LabStudent[] = [],
): StudentLabStatus[] {
  const found = state.namespaces.map((namespace) => studentStatus(namespace, state));
  const known = new Set(found.map((status) => status.student.id));
  const usernames = new Map(students.map((student) => [student.id, student.username]));
  const withNames = found.map((status) => {
    const username = usernames.get(status.student.id);
    return username === undefined ? status : { ...status, student: { id: status.student.id, username } };
  });
  const missing = students
    .filter((student) => !known.has(student.id))
    .map(
      (student): StudentLabStatus => ({
        student: { id: student.id, username: student.username },
        state: 'missing',
        environment: '',
        components: [],
        message: 'nothing of this student is deployed',
      }),
    );
  // The caller's order (a class list), then anything of the deployment the caller did not name.
  const order = new Map(students.map((student, index) => [student.id, index]));
  const rank = (status: StudentLabStatus) => order.get(status.student.id) ?? students.length;
  return [...withNames, ...missing].sort((a, b) => rank(a) - rank(b));
}

function studentStatus(namespace: V1Namespace, state: LabClusterState): StudentLabStatus {
  const name = namespace.metadata?.name ?? '';
  const annotations = namespace.metadata?.annotations ?? {};
  const versionId = annotations[ANNOTATION_LAB_VERSION];
  const pods = state.pods.filter((pod) => pod.metadata?.namespace === name);
  const components = state.deployments
    .filter((deployment) => deployment.metadata?.namespace === name)
    .map((deployment) => componentStatus(deployment, pods));
  const base = {
    student: { id: annotations[ANNOTATION_STUDENT_ID] ?? name },
    environment: name,
    ...(versionId ? { versionId } : {}),
    components: components.map(({ failed: _, ...component }) => component),
  };
  if (namespace.status?.phase === 'Terminating' || namespace.metadata?.deletionTimestamp)
    return { ...base, state: 'terminating', message: 'being deleted' };
  // Idle stop scales every Deployment to 0 (its pods may still be ending: nothing new starts).
  if (components.length > 0 && components.every((component) => component.desired === 0))
    return { ...base, state: 'stopped', message: 'stopped (idle); volumes kept, a deploy starts it again' };
  const failed = components.filter((component) => component.failed);
  const notReady = components.filter((component) => component.ready < component.desired);
  const stateOf: StudentLabState =
    failed.length > 0 ? 'failed' : components.length > 0 && notReady.length === 0 ? 'ready' : 'starting';
  const message =
    components.length === 0
      ? 'no components yet'
      : [...failed, ...notReady.filter((c) => !c.failed)]
          .map((component) => `${component.name}: ${component.message ?? 'not ready'}`)
          .join('; ');
  return { ...base, state: stateOf, ...(message ? { message } : {}) };
}

function componentStatus(
  deployment: V1Deployment,
  pods: readonly V1Pod[],
): LabComponentStatus & { failed: boolean } {
  const name = deployment.metadata?.name ?? '';
  const desired = deployment.spec?.replicas ?? 1;
  const ready = deployment.status?.readyReplicas ?? 0;
  const available = deployment.status?.availableReplicas ?? 0;
  const counts = { name, desired, ready, available };
  if (ready >= desired) return { ...counts, failed: false };
  // The ReplicaSet could not create the pod at all: over quota, refused by PodSecurity.
  const replicaFailure = deployment.status?.conditions?.find(
    (condition) => condition.type === 'ReplicaFailure' && condition.status === 'True',
  );
  const own = pods.filter((pod) => pod.metadata?.labels?.[LABEL_LAB_COMPONENT] === name);
  // The quota holds one pod per component: right after a stop or a reset, the new pod is refused
  // until the old one has ended (≤ the 5 s grace period). That is starting, not failed.
  if (replicaFailure && own.some((pod) => pod.metadata?.deletionTimestamp))
    return { ...counts, failed: false, message: 'waiting for the previous pod to end' };
  if (replicaFailure)
    return {
      ...counts,
      failed: true,
      message: `${replicaFailure.reason ?? 'ReplicaFailure'}: ${replicaFailure.message ?? ''}`.trim(),
    };
  const reasons = own.map(podProblem).filter((problem) => problem !== undefined);
  const stuck = reasons.find((problem) => problem.stuck);
  const first = stuck ?? reasons[0];
  return {
    ...counts,
    failed: stuck !== undefined,
    message: first?.message ?? (own.length === 0 ? 'no pod yet' : 'starting'),
  };
}

function podProblem(pod: V1Pod): { message: string; stuck: boolean } | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const container of statuses) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing')
      return {
        message: `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
        stuck: STUCK_REASONS.has(waiting.reason),
      };
  }
  const unscheduled = pod.status?.conditions?.find(
    (condition) => condition.type === 'PodScheduled' && condition.status === 'False',
  );
  if (unscheduled)
    return {
      message: `not scheduled: ${unscheduled.message ?? unscheduled.reason ?? ''}`.trim(),
      stuck: false,
    };
  return undefined;
}
