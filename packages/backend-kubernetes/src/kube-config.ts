import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigSource {
  /** A kubeconfig file (out of cluster, e.g. a server outside the cluster reaching the API on 6443). */
  kubeconfig?: string | undefined;
  /** A context of that kubeconfig other than its current one. */
  context?: string | undefined;
  /**
   * Prefix of the pod's service-account files (/var/run/secrets/kubernetes.io/serviceaccount/…);
   * tests point it at a directory of their own.
   */
  serviceAccountRoot?: string;
}

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
  readonly code = 'kubeconfig_invalid';
}

/**
 * Where the cluster credentials come from: the given kubeconfig file; else, inside a pod, the
 * service account (KUBERNETES_SERVICE_HOST); else $KUBECONFIG or ~/.kube/config, as kubectl does.
 */
export function loadKubeConfig(
  source: KubeConfigSource = {},
  env: NodeJS.ProcessEnv = process.env,
): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.kubeconfig) {
      if (!existsSync(source.kubeconfig))
        throw new KubeConfigError(`The kubeconfig ${source.kubeconfig} does not exist.`);
      kc.loadFromFile(source.kubeconfig);
    } else if (env['KUBERNETES_SERVICE_HOST']) {
      kc.loadFromCluster(source.serviceAccountRoot);
    } else {
      kc.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof KubeConfigError) throw error;
    throw new KubeConfigError(`Could not load Kubernetes credentials: ${(error as Error).message}`);
  }
  if (source.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(source.context))
      throw new KubeConfigError(
        `The kubeconfig has no context "${source.context}" (it has: ${names.join(', ') || 'none'}).`,
      );
    kc.setCurrentContext(source.context);
  }
  if (!kc.getCurrentCluster())
    throw new KubeConfigError(
      'No Kubernetes cluster is configured: pass --kubeconfig, set KUBECONFIG, or run inside a pod with a service account.',
    );
  return kc;
}
