/**
 * Labels and annotations on everything the Kubernetes backend creates. The keys are the same as
 * the Podman backend's, so an operator finds Aperture's objects the same way on both engines.
 */
export const LABEL_MANAGED = 'dev.aperture.managed';
export const LABEL_RUN = 'dev.aperture.run';
export const LABEL_ATTEMPT = 'dev.aperture.attempt';
/** Which Aperture installation owns an object: sweeping after a crash touches only its own. */
export const LABEL_INSTANCE = 'dev.aperture.instance';
/** Runs allowed to use the network carry this; the runs namespace's NetworkPolicy lets only them out. */
export const LABEL_NETWORK = 'dev.aperture.network';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** When the run must be over (ISO time): the sweeper removes anything of ours past it. */
export const ANNOTATION_DEADLINE = 'dev.aperture.deadline';

/** The label selector of one installation's run objects. */
export function instanceSelector(instance: string): string {
  return `${LABEL_MANAGED}=true,${LABEL_INSTANCE}=${instance},${LABEL_COMPONENT}=run`;
}
