/**
 * Labels and annotations of lab objects. Every object of a student's lab carries all of them, so
 * a teardown can verify by label selector that nothing of a deployment is left, and an operator
 * can find one student's objects with kubectl.
 */
import { labelValue } from '../job-manifest.ts';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED, LABEL_MANAGED_BY } from '../labels.ts';

export const LABEL_LAB = 'dev.aperture.lab';
export const LABEL_STUDENT = 'dev.aperture.student';
export const LABEL_DEPLOYMENT = 'dev.aperture.deployment';
/** On pods: which component of the lab they run (the Deployment's and Service's selector). */
export const LABEL_LAB_COMPONENT = 'dev.aperture.lab-component';
/** Label values are cut to 63 characters of a restricted alphabet; the exact ids are here. */
export const ANNOTATION_STUDENT_ID = 'dev.aperture.student-id';
export const ANNOTATION_DEPLOYMENT_ID = 'dev.aperture.deployment-id';
export const ANNOTATION_LAB_VERSION = 'dev.aperture.lab-version';

export interface LabIdentity {
  instance: string;
  deploymentId: string;
  studentId: string;
  labName: string;
}

export function labLabels(identity: LabIdentity): Record<string, string> {
  return {
    [LABEL_MANAGED]: 'true',
    [LABEL_MANAGED_BY]: 'aperture',
    [LABEL_COMPONENT]: 'lab',
    [LABEL_INSTANCE]: identity.instance,
    [LABEL_LAB]: labelValue(identity.labName),
    [LABEL_DEPLOYMENT]: labelValue(identity.deploymentId),
    [LABEL_STUDENT]: labelValue(identity.studentId),
  };
}

/** Everything one deployment of a lab created, across all its students' namespaces. */
export function labDeploymentSelector(instance: string, deploymentId: string): string {
  return [
    `${LABEL_MANAGED}=true`,
    `${LABEL_INSTANCE}=${instance}`,
    `${LABEL_COMPONENT}=lab`,
    `${LABEL_DEPLOYMENT}=${labelValue(deploymentId)}`,
  ].join(',');
}

/** Everything of every lab deployment of one Aperture installation. */
export function labInstanceSelector(instance: string): string {
  return [`${LABEL_MANAGED}=true`, `${LABEL_INSTANCE}=${instance}`, `${LABEL_COMPONENT}=lab`].join(',');
}
