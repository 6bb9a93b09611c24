import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

export interface ThrowAwayNamespace {
  name: string;
  create(): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A throw-away namespace labelled like deploy/rbac/'s runs namespace (PodSecurity `restricted`
 * enforced), named up front so a suite can configure an executor before its hooks run. No Vitest
 * import: the benchmarks use it too.
 */
export function throwAwayRunsNamespace(admin: KubeConfig, prefix: string): ThrowAwayNamespace {
  const core = admin.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  return {
    name,
    create: async () =>
      void (await core.createNamespace({
        body: {
          metadata: {
            name,
            labels: {
              'pod-security.kubernetes.io/enforce': 'restricted',
              'pod-security.kubernetes.io/enforce-version': 'latest',
            },
          },
        },
      })),
    remove: async () => void (await core.deleteNamespace({ name }).catch(() => undefined)),
  };
}

/** The same, created at once. */
export async function createRunsNamespace(admin: KubeConfig, prefix: string): Promise<ThrowAwayNamespace> {
  const namespace = throwAwayRunsNamespace(admin, prefix);
  await namespace.create();
  return namespace;
}
