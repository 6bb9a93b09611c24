import type { LabRenderOptions } from '@aperture/backend-kubernetes';

/**
 * The rendering options for Podman. The Kubernetes-only parts (network policies, scheduling,
 * StorageClass) are unused here: the internal network is the isolation, and it has no way out
 * to the internet, so internet egress is off whatever a template would like.
 */
export function podmanRenderOptions(options: {
  instance: string;
  prefix: string;
  imagePrefix: string;
  imagePullPolicy: LabRenderOptions['imagePullPolicy'];
}): LabRenderOptions {
  return {
    namespacePrefix: options.prefix,
    instance: options.instance,
    imagePrefix: options.imagePrefix,
    imagePullPolicy: options.imagePullPolicy,
    proxy: { namespaceLabels: {}, podLabels: {} },
    dns: { namespaceLabels: {}, podLabels: {} },
    internetEgress: false,
    extraBlockedCidrs: [],
    storageClassName: undefined,
    priorityClassName: undefined,
    runtimeClassName: undefined,
    nodeSelector: {},
    tolerations: [],
  };
}
