/**
 * Names and labels of the Podman objects of a student's lab. Names are deterministic (the same
 * deployment and student always give the same network, containers and volumes, so a re-deploy
 * finds what it made instead of duplicating it); labels carry the exact ids, so status and
 * teardown find everything by label alone, with nothing remembered in Aperture's process.
 */
import {
  LABEL_COMPONENT,
  LABEL_DEPLOYMENT,
  LABEL_INSTANCE,
  LABEL_MANAGED,
  LABEL_STUDENT,
  labelValue,
  labNamespaceName,
} from '@aperture/backend-kubernetes';

/** The exact ids (label values elsewhere are cut to 63 characters of a restricted alphabet). */
export const LABEL_DEPLOYMENT_ID = 'dev.aperture.deployment-id';
export const LABEL_STUDENT_ID = 'dev.aperture.student-id';
export const LABEL_LAB_VERSION = 'dev.aperture.lab-version';
/** On containers: all components of the version they were made for (what `status` expects). */
export const LABEL_LAB_COMPONENTS = 'dev.aperture.lab-components';
/** On containers: a hash of their whole `podman run`; a re-deploy leaves an equal one alone. */
export const LABEL_LAB_SPEC = 'dev.aperture.lab-spec';
/** On the one volume that marks a copy stopped on purpose (idle stop), not crashed. */
export const LABEL_LAB_STOPPED = 'dev.aperture.lab-stopped';

export interface LabScope {
  instance: string;
  /** First part of environment names (the Kubernetes namespace prefix), `lab`. */
  prefix: string;
}

/** Where a student's copy lives: also the name of its network, and the prefix of its objects. */
export function environmentName(scope: LabScope, deploymentId: string, studentId: string): string {
  return labNamespaceName(scope.prefix, deploymentId, studentId);
}

export const containerName = (environment: string, component: string) => `${environment}-${component}`;
export const volumeName = (environment: string, claim: string) => `${environment}-${claim}`;
export const stopMarkerName = (environment: string) => `${environment}-stopped`;

/** The labels of every object of one student's copy. */
export function studentLabels(
  scope: LabScope,
  deploymentId: string,
  studentId: string,
  rendered: Record<string, string>,
): Record<string, string> {
  return {
    ...rendered,
    [LABEL_MANAGED]: 'true',
    [LABEL_INSTANCE]: scope.instance,
    [LABEL_COMPONENT]: 'lab',
    [LABEL_DEPLOYMENT]: labelValue(deploymentId),
    [LABEL_STUDENT]: labelValue(studentId),
    [LABEL_DEPLOYMENT_ID]: deploymentId,
    [LABEL_STUDENT_ID]: studentId,
  };
}

/** The one server-side filter of a deployment's objects (Podman ANDs several `label=` filters). */
export function deploymentFilters(scope: LabScope, deploymentId: string): string[] {
  return [
    `label=${LABEL_MANAGED}=true`,
    `label=${LABEL_INSTANCE}=${scope.instance}`,
    `label=${LABEL_DEPLOYMENT_ID}=${deploymentId}`,
  ];
}

/** Checked again on what comes back, so a filter Podman reads differently cannot widen a deletion. */
export function belongsTo(
  labels: Record<string, string> | null | undefined,
  scope: LabScope,
  deploymentId: string,
): boolean {
  return (
    labels?.[LABEL_MANAGED] === 'true' &&
    labels[LABEL_INSTANCE] === scope.instance &&
    labels[LABEL_DEPLOYMENT_ID] === deploymentId
  );
}

export const labelArgs = (labels: Record<string, string>) =>
  Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
