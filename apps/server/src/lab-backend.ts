/**
 * Builds the lab backend (LabProvisioner & LabAccess) for the configured execution backend: the
 * same engine runs the runs and the labs. One construction point, so the server, the tests and
 * the doctor agree on how lab settings become provisioner options.
 */
import type { LabBackend, Logger } from '@aperture/core';
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

/** One pod and internal network per student (packages/backend-podman/src/labs); no internet by design. */
async function createPodmanLabBackend(config: ServerConfig, logger: Logger): Promise<LabBackend> {
  const { PodmanLabProvisioner } = await import('@aperture/backend-podman');
  return PodmanLabProvisioner.fromOptions({
    podman: config.podmanPath,
    instance: config.instance,
    imagePrefix: config.imagePrefix,
    ...(config.podmanSocket ? { socketPath: config.podmanSocket } : {}),
    logger,
  });
}

/** What the server calls on shutdown: a backend may own a process (Podman's API service) or sockets. */
export async function closeLabBackend(backend: LabBackend): Promise<void> {
  const closable = backend as LabBackend & { close?: () => Promise<void> };
  await closable.close?.();
}
