import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

/**
 * A throw-away namespace like deploy/rbac/'s runs namespace (PodSecurity `restricted` enforced),
 * named up front so a suite can configure an executor before its hooks run.
 */
export function throwAwayRunsNamespace(admin: KubeConfig, prefix: string) {
  const core = admin.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  return {
    name,
    create: async () =>
      void (await core.createNamespace({
        body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
      })),
    remove: async () => void (await core.deleteNamespace({ name }).catch(() => undefined)),
  };
}
