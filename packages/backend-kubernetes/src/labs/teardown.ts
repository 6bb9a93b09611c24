/**
 * Teardown of a whole deployment, with a receipt: what existed (found by label), the namespaces
 * deleted (their contents go with them), a bounded wait for the namespaces to finish terminating,
 * and a second search by label over every kind we create — cluster-scoped Namespaces included —
 * so the receipt says `verified` only when the cluster itself shows nothing is left.
 */
import type { LabObjectRef, LabTeardownReceipt } from '@aperture/core';
import type { KubernetesObject } from '@kubernetes/client-node';
import { apiMessage } from '../api-errors.ts';
import { mapLimited, RetriesExhausted, type RetryPolicy, retrying, sleep } from './concurrency.ts';
import type { LabKubernetesApi } from './lab-api.ts';
import { LAB_POD, LAB_RESOURCES } from './lab-permissions.ts';

export interface TeardownOptions {
  concurrency: number;
  retry: RetryPolicy;
  /** How long namespaces may take to terminate before the receipt says what is still there. */
  namespaceGoneTimeoutMs: number;
  pollIntervalMs: number;
}

/** Every kind the renderer writes, plus the pods its Deployments make. */
const VERIFIED_KINDS = [...LAB_RESOURCES, LAB_POD];

export async function teardownDeployment(
  api: LabKubernetesApi,
  deploymentId: string,
  selector: string,
  options: TeardownOptions,
): Promise<LabTeardownReceipt> {
  const started = Date.now();
  const before = await inventory(api, selector);
  const namespaces = before.filter((ref) => ref.kind === 'Namespace').map((ref) => ref.name);
  const errors: string[] = [];
  // One namespace that cannot be deleted must not keep the others: the check below reports it.
  await mapLimited(namespaces, options.concurrency, (name) =>
    retrying(() => api.deleteNamespace(name), options.retry).catch((error: unknown) => {
      errors.push(`Namespace ${name}: ${apiMessage(error instanceof RetriesExhausted ? error.last : error)}`);
    }),
  );
  await namespacesGone(api, selector, options);
  const remaining = await inventory(api, selector);
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
export async function inventory(api: LabKubernetesApi, selector: string): Promise<LabObjectRef[]> {
  const lists = await Promise.all(VERIFIED_KINDS.map((resource) => api.list(resource, selector)));
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

function refOf(object: KubernetesObject): LabObjectRef {
  const namespace = object.metadata?.namespace;
  return {
    kind: object.kind ?? '',
    ...(namespace ? { namespace } : {}),
    name: object.metadata?.name ?? '',
  };
}

const refKey = (ref: LabObjectRef) => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
