/**
 * Teardown of a whole deployment, with a receipt: what existed (found by label), the namespaces
 * deleted (their contents go with them), a bounded wait for the namespaces to finish terminating,
 * and a second search by label over every kind we create — cluster-scoped Namespaces included —
 * so the receipt says `verified` only when the cluster itself shows nothing is left.
 */
import { type LabObjectRef, type LabTeardownReceipt, mapLimited } from '@aperture/core';
import type { KubernetesObject } from '@kubernetes/client-node';
import { apiMessage, statusCode } from '../api-errors.ts';
import { RetriesExhausted, type RetryPolicy, retrying, sleep } from './concurrency.ts';
import type { LabKubernetesApi } from './lab-api.ts';
import { LAB_POD, LAB_RESOURCES, type LabResource, SNAPSHOT_RESOURCES } from './lab-permissions.ts';

export interface TeardownOptions {
  concurrency: number;
  retry: RetryPolicy;
  /** How long namespaces may take to terminate before the receipt says what is still there. */
  namespaceGoneTimeoutMs: number;
  pollIntervalMs: number;
}

/** Every kind the renderer writes, plus the pods its Deployments make. */
const VERIFIED_KINDS: readonly LabResource[] = [...LAB_RESOURCES, LAB_POD];
/** Where the snapshot API is served: a student's restored claims' VolumeSnapshot(Content)s too. */
const SNAPSHOT_KINDS: readonly LabResource[] = SNAPSHOT_RESOURCES.filter(
  (resource) => resource.kind !== 'VolumeSnapshotClass',
);
const CONTENT = SNAPSHOT_RESOURCES[0];

export async function teardownDeployment(
  api: LabKubernetesApi,
  deploymentId: string,
  selector: string,
  options: TeardownOptions,
): Promise<LabTeardownReceipt> {
  const started = Date.now();
  const snapshots = (await api.servedGroups()).has(CONTENT.group);
  const kinds = snapshots ? [...VERIFIED_KINDS, ...SNAPSHOT_KINDS] : VERIFIED_KINDS;
  const before = await inventory(api, selector, kinds);
  const namespaces = before.filter((ref) => ref.kind === 'Namespace').map((ref) => ref.name);
  const errors: string[] = [];
  // One namespace that cannot be deleted must not keep the others: the check below reports it.
  await mapLimited(namespaces, options.concurrency, (name) =>
    retrying(() => api.deleteNamespace(name), options.retry).catch((error: unknown) => {
      errors.push(`Namespace ${name}: ${apiMessage(error instanceof RetriesExhausted ? error.last : error)}`);
    }),
  );
  await namespacesGone(api, selector, options);
  // Cluster-scoped, so not deleted with a namespace; Retain, so deleting them keeps the dev data.
  const contents = before.filter((ref) => ref.kind === CONTENT.kind).map((ref) => ref.name);
  await mapLimited(contents, options.concurrency, (name) =>
    retrying(() => api.delete(CONTENT, name), options.retry).catch((error: unknown) => {
      errors.push(
        `VolumeSnapshotContent ${name}: ${apiMessage(error instanceof RetriesExhausted ? error.last : error)}`,
      );
    }),
  );
  const remaining = await inventory(api, selector, kinds);
  const left = new Set(remaining.map(refKey));
  return {
    deploymentId,
    deleted: before.filter((ref) => !left.has(refKey(ref))),
    verified: remaining.length === 0,
    remaining,
    errors,
    durationMs: Date.now() - started,
  };
}

/** Everything labelled with the deployment, one paged list per kind across the cluster. */
export async function inventory(
  api: LabKubernetesApi,
  selector: string,
  kinds: readonly LabResource[] = VERIFIED_KINDS,
): Promise<LabObjectRef[]> {
  const lists = await Promise.all(
    kinds.map((resource) =>
      SNAPSHOT_KINDS.includes(resource)
        ? api.list(resource, selector).catch(noneWhereUnserved)
        : api.list(resource, selector),
    ),
  );
  return lists.flat().map(refOf);
}

/** Until no namespace of the selector is left, or the time is up. */
export async function namespacesGone(
  api: LabKubernetesApi,
  selector: string,
  options: Pick<TeardownOptions, 'namespaceGoneTimeoutMs' | 'pollIntervalMs'>,
  fieldSelector?: string,
): Promise<boolean> {
  const deadline = Date.now() + options.namespaceGoneTimeoutMs;
  for (;;) {
    const left = await api.list(LAB_RESOURCES[0], selector, fieldSelector);
    if (left.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(options.pollIntervalMs);
  }
}

/** The snapshot CRDs were removed since discovery: nothing of them can be left. */
function noneWhereUnserved(error: unknown): KubernetesObject[] {
  if (
    statusCode(error) === 404 ||
    /Unrecognized API version|Failed to fetch resource metadata/.test(apiMessage(error))
  )
    return [];
  throw error;
}

function refOf(object: KubernetesObject): LabObjectRef {
  const namespace = object.metadata?.namespace;
  return {
    kind: object.kind ?? '',
    ...(namespace ? { namespace } : {}),
    name: object.metadata?.name ?? '',
  };
}

const refKey = (ref: LabObjectRef) => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
