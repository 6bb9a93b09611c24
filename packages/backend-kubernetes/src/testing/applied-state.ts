/**
 * For the "a second apply changes nothing" tests. Controllers go on writing an applied object's
 * status and their own managedFields entries (the Deployment controller, the quota controller, the
 * namespace's phase) whenever they get to it, each write a new resourceVersion, so comparing
 * resourceVersions races them. What an apply owns is compared instead: the object without its
 * status, its resourceVersion and other managers' managedFields entries. That still shows any
 * write of the apply: a change to spec or metadata (generation included), and the field manager's
 * own entry, whose fields and time move whenever that manager's apply adds, changes or removes a
 * field (a no-op apply writes nothing at all).
 */
import type { KubernetesObject } from '@kubernetes/client-node';

type WithStatus = KubernetesObject & {
  status?: { observedGeneration?: number; used?: Record<string, string> };
};

/** The part of `object` only an apply by `fieldManager` changes, as plain JSON with sorted keys. */
export function appliedState(object: KubernetesObject, fieldManager: string): unknown {
  const { status: _status, metadata = {}, ...rest } = object as WithStatus;
  const { resourceVersion: _resourceVersion, managedFields = [], ...meta } = metadata;
  return canonical({
    ...rest,
    metadata: { ...meta, managedFields: managedFields.filter((entry) => entry.manager === fieldManager) },
  });
}

/**
 * The controllers have caught up with the object: a Deployment's has synced its generation (and
 * so written its revision annotation), a ResourceQuota's has computed the usage.
 */
export function controllersCaughtUp(kind: string, object: KubernetesObject): boolean {
  const { status, metadata } = object as WithStatus;
  if (kind === 'Deployment') return status?.observedGeneration === metadata?.generation;
  if (kind === 'ResourceQuota') return status?.used !== undefined;
  return true;
}

/** Plain JSON with sorted keys (dates as text, no undefined): comparable as text and with toEqual. */
export function canonical(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, field: unknown) =>
      field && typeof field === 'object' && !Array.isArray(field)
        ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : field,
    ),
  );
}
