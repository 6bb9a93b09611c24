import type { V1SecurityContext } from '@kubernetes/client-node';

/**
 * The container security context of everything Aperture starts for students, runs and labs alike:
 * what PodSecurity `restricted` requires, plus a read-only root filesystem. One definition, so the
 * two can never drift apart.
 */
export function hardenedContainerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
