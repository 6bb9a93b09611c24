/**
 * The budget of a student's lab as the API server enforces it: a ResourceQuota equal to the
 * template's budget (the components' requests = limits add up to at most that, allocation.ts),
 * and a LimitRange so that no single container or claim can be bigger than the whole budget and
 * a container without resources (none of ours) gets small defaults instead of being refused.
 */
import { formatByteQuantity, formatCpu, type LabTemplate, MiB, parseBytes, parseCpu } from '@aperture/core';
import type { V1LimitRange, V1ResourceQuota } from '@kubernetes/client-node';

export const QUOTA_NAME = 'lab-budget';
export const LIMIT_RANGE_NAME = 'lab-limits';

const DEFAULT_CONTAINER_CPU_MILLICORES = 100;
const DEFAULT_CONTAINER_MEMORY_BYTES = 128 * MiB;

export function renderResourceQuota(
  namespace: string,
  labels: Record<string, string>,
  template: LabTemplate,
): V1ResourceQuota {
  const { cpu, memory, storage } = template.spec.resources;
  const components = template.spec.components;
  const claims = components.reduce((count, component) => count + (component.volumes?.length ?? 0), 0);
  const services = components.filter(
    (component) => (component.ports?.length ?? 0) > 0 || component.vnc,
  ).length;
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: QUOTA_NAME, namespace, labels },
    spec: {
      hard: {
        'requests.cpu': cpu,
        'limits.cpu': cpu,
        'requests.memory': memory,
        'limits.memory': memory,
        'requests.storage': storage,
        persistentvolumeclaims: String(claims),
        // One pod per component: Deployments use Recreate, so a rollout never needs a second.
        pods: String(components.length),
        services: String(services),
        // Students reach their lab through Aperture's proxy only, never a port on the nodes.
        'services.nodeports': '0',
        'services.loadbalancers': '0',
      },
    },
  };
}

export function renderLimitRange(
  namespace: string,
  labels: Record<string, string>,
  template: LabTemplate,
): V1LimitRange {
  const { cpu, memory, storage } = template.spec.resources;
  const defaults = {
    cpu: formatCpu(Math.min(DEFAULT_CONTAINER_CPU_MILLICORES, parseCpu(cpu) ?? 0)),
    memory: formatByteQuantity(Math.min(DEFAULT_CONTAINER_MEMORY_BYTES, parseBytes(memory) ?? 0)),
  };
  const hasStorage = (parseBytes(storage) ?? 0) > 0;
  return {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: LIMIT_RANGE_NAME, namespace, labels },
    spec: {
      limits: [
        { type: 'Container', max: { cpu, memory }, _default: defaults, defaultRequest: defaults },
        ...(hasStorage ? [{ type: 'PersistentVolumeClaim', max: { storage } }] : []),
      ],
    },
  };
}
