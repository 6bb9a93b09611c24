/**
 * Render options for lab tests and the lab benchmark: pods on the real node (Tier B: taint
 * tolerated, images imported, never pulled) or on kwok's fake nodes (Tier A: Running, but no
 * container really runs).
 */
import { DEFAULT_DNS_PEER } from '../labs/network-policies.ts';
import type { LabRenderOptions } from '../labs/render.ts';

export function testRenderOptions(instanceName: string, tier: 'real' | 'kwok'): LabRenderOptions {
  return {
    namespacePrefix: 'lab',
    instance: instanceName,
    proxy: {
      namespaceLabels: { 'kubernetes.io/metadata.name': 'aperture' },
      podLabels: { 'app.kubernetes.io/name': 'aperture' },
    },
    dns: DEFAULT_DNS_PEER,
    internetEgress: true,
    extraBlockedCidrs: [],
    imagePrefix: 'localhost/',
    // The real node has the images imported and no registry to pull from.
    imagePullPolicy: tier === 'real' ? 'Never' : 'IfNotPresent',
    storageClassName: undefined,
    priorityClassName: undefined,
    runtimeClassName: undefined,
    nodeSelector: tier === 'real' ? { 'aperture.dev/node-kind': 'real' } : { type: 'kwok' },
    tolerations:
      tier === 'real'
        ? [{ key: 'aperture.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]
        : [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
  };
}
