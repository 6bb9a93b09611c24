/**
 * Builds the lab backend (LabProvisioner & LabAccess) for the configured execution backend: the
 * same engine runs the runs and the labs. One construction point, so the server, the tests and
 * the doctor agree on how lab settings become provisioner options.
 */
import { type LabBackend, type Logger, UnavailableError } from '@aperture/core';
import { ConfigError, type ServerConfig } from './config.ts';

export async function createLabBackend(config: ServerConfig, logger: Logger): Promise<LabBackend> {
  if (config.backend === 'kubernetes') return createKubernetesLabBackend(config, logger);
  return createPodmanLabBackend(config, logger);
}

async function createKubernetesLabBackend(config: ServerConfig, logger: Logger): Promise<LabBackend> {
  const k8s = await import('@aperture/backend-kubernetes');
  let placement: { nodeSelector: Record<string, string>; proxyLabels: Record<string, string> };
  try {
    placement = {
      nodeSelector: k8s.parseNodeSelector(config.k8sNodeSelector),
      proxyLabels: k8s.parseNodeSelector(config.labProxyPodLabels),
    };
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${(error as Error).message}`);
  }
  return k8s.KubernetesLabProvisioner.fromOptions({
    kubeConfig: k8s.loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.kubeContext }),
    render: {
      namespacePrefix: 'lab',
      instance: config.instance,
      proxy: {
        namespaceLabels: { 'kubernetes.io/metadata.name': config.labProxyNamespace },
        podLabels: placement.proxyLabels,
      },
      dns: k8s.DEFAULT_DNS_PEER,
      internetEgress: config.labInternetEgress,
      extraBlockedCidrs: [],
      imagePrefix: config.imagePrefix,
      imagePullPolicy: config.k8sImagePullPolicy,
      storageClassName: config.labStorageClass,
      priorityClassName: undefined,
      runtimeClassName: config.labRuntimeClass,
      nodeSelector: placement.nodeSelector,
      tolerations: k8s.parseTolerations(config.k8sTolerations),
    },
    logger,
  });
}

/**
 * The Podman lab provisioner (packages/backend-podman/src/labs). Looked up by name so the server
 * starts (with labs answering 503) on a build that does not have it.
 */
async function createPodmanLabBackend(config: ServerConfig, logger: Logger): Promise<LabBackend> {
  const podman = (await import('@aperture/backend-podman')) as Record<string, unknown>;
  const provisioner = podman['PodmanLabProvisioner'] as
    | { fromOptions(options: Record<string, unknown>): LabBackend }
    | undefined;
  if (!provisioner) return unavailableLabBackend('this build has no Podman lab provisioner');
  return provisioner.fromOptions({
    podmanPath: config.podmanPath,
    instance: config.instance,
    imagePrefix: config.imagePrefix,
    internetEgress: config.labInternetEgress,
    logger,
  });
}

/** Every call refuses with the reason: lab routes answer 503, everything else keeps working. */
export function unavailableLabBackend(reason: string): LabBackend {
  const refuse = async (): Promise<never> => {
    throw new UnavailableError(`Labs are not available: ${reason}.`);
  };
  return {
    name: 'unavailable',
    deploy: refuse,
    status: refuse,
    reset: refuse,
    teardown: refuse,
    stop: refuse,
    resolveImageDigests: refuse,
    exec: refuse,
    openTerminal: refuse,
    connect: refuse,
  };
}
