/**
 * One student's rendered lab on a real API server: applied with server-side apply as Aperture
 * will apply it, it is accepted as a whole, a second apply changes nothing, and the API server
 * itself — not our code — refuses a pod over the budget and a privileged pod. The pods stay
 * Pending (no node takes them), which is enough: admission, quota and PodSecurity happen at create.
 */
import { randomBytes } from 'node:crypto';
import { catalogLabTemplate } from '@aperture/core';
import {
  ApiException,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type V1NetworkPolicy,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1ResourceQuota,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMessage } from '../api-errors.ts';
import { appliedState, controllersCaughtUp } from '../testing/applied-state.ts';
import { adminKubeConfig } from '../testing/cluster.ts';
import { LABEL_LAB_COMPONENT } from './lab-labels.ts';
import { DEFAULT_DNS_PEER } from './network-policies.ts';
import { type LabObject, type RenderedStudentLab, renderStudentLab } from './render.ts';

const kc = adminKubeConfig();
const objectsApi = KubernetesObjectApi.makeApiClient(kc);
const core = kc.makeApiClient(CoreV1Api);
const FIELD_MANAGER = 'aperture';

const template = (() => {
  const result = catalogLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '1Gi' });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
})();

let lab: RenderedStudentLab;
let firstApply: LabObject[];

function apply(object: LabObject): Promise<LabObject> {
  return objectsApi.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

async function applyAll(objects: LabObject[]): Promise<LabObject[]> {
  const applied: LabObject[] = [];
  // In order and one at a time: the quota and policies must exist before anything runs.
  for (const object of objects) applied.push(await apply(object));
  return applied;
}

const key = (object: LabObject) => `${object.kind}/${object.metadata?.name}`;

/**
 * What of each object an apply could change (testing/applied-state.ts: not the status, which the
 * controllers keep writing), and whether the controllers have caught up with every object.
 */
async function appliedStates(
  objects: LabObject[],
): Promise<{ states: Record<string, unknown>; caughtUp: boolean }> {
  let caughtUp = true;
  const entries = await Promise.all(
    objects.map(async (object) => {
      const current = await objectsApi.read({
        apiVersion: object.apiVersion!,
        kind: object.kind!,
        metadata: {
          name: object.metadata!.name!,
          ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        },
      });
      if (!controllersCaughtUp(object.kind!, current)) caughtUp = false;
      return [key(object), appliedState(current, FIELD_MANAGER)] as const;
    }),
  );
  return { states: Object.fromEntries(entries), caughtUp };
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Until the controllers are done reacting (Deployments synced, the quota's usage computed) and
 * nothing but status changed for a second.
 */
async function settled(objects: LabObject[]): Promise<Record<string, unknown>> {
  let previous = await appliedStates(objects);
  return eventually('the lab objects to stop changing', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await appliedStates(objects);
    const same = now.caughtUp && JSON.stringify(now.states) === JSON.stringify(previous.states);
    previous = now;
    return same ? now.states : undefined;
  });
}

function statesOf(objects: LabObject[]): Record<string, unknown> {
  return Object.fromEntries(objects.map((object) => [key(object), appliedState(object, FIELD_MANAGER)]));
}

function omit<T>(record: Record<string, T>, keys: readonly string[]): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => !keys.includes(name)));
}

/** The HTTP status and message of a refused call (fails the test if the call succeeded). */
async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) return { code: error.code, message: apiMessage(error) };
    throw error;
  }
  throw new Error('expected the API server to refuse the request, but it accepted it');
}

function hardenedPod(name: string, cpu: string, memory: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: lab.namespace },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'intruder',
          image: 'aperture/lab-shell',
          resources: { requests: { cpu, memory }, limits: { cpu, memory } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

beforeAll(async () => {
  lab = renderStudentLab(
    { deploymentId: `t-${randomBytes(3).toString('hex')}`, studentId: 'alice@example.edu', template },
    {
      namespacePrefix: 'lab',
      instance: 'k8s-test',
      proxy: {
        namespaceLabels: { 'kubernetes.io/metadata.name': 'aperture' },
        podLabels: { 'app.kubernetes.io/name': 'aperture' },
      },
      dns: DEFAULT_DNS_PEER,
      internetEgress: true,
      extraBlockedCidrs: [],
      imagePrefix: 'localhost/',
      imagePullPolicy: 'Never',
      storageClassName: undefined,
      priorityClassName: undefined,
      runtimeClassName: undefined,
      nodeSelector: {},
      tolerations: [],
    },
  );
  firstApply = await applyAll(lab.objects);
});

afterAll(async () => {
  if (!lab) return;
  await core.deleteNamespace({ name: lab.namespace }).catch(() => undefined);
});

describe("one student's lab on a real API server", () => {
  it('is accepted as rendered, and PodSecurity restricted admits its pods', async () => {
    for (const deployment of lab.objects.filter((object) => object.kind === 'Deployment')) {
      const component = deployment.metadata!.name!;
      await eventually(`a pod of ${component}`, async () => {
        const pods = await core.listNamespacedPod({
          namespace: lab.namespace,
          labelSelector: `${LABEL_LAB_COMPONENT}=${component}`,
        });
        return pods.items.length === 1 ? pods.items[0] : undefined;
      });
    }
    const policy = (await objectsApi.read({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'lab-isolation', namespace: lab.namespace },
    })) as V1NetworkPolicy;
    // client-node's `_from` reached the server as `from`: an unknown field would have been dropped.
    expect(policy.spec?.ingress?.[0]?._from?.[1]?.podSelector?.matchLabels).toEqual({
      'app.kubernetes.io/name': 'aperture',
    });
    // The one policy is the default deny too: both types, every pod, the server kept all rules.
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec?.podSelector).toEqual({});
    expect(policy.spec?.egress).toHaveLength(3);
  });

  it('a second apply changes nothing', async () => {
    const before = await settled(lab.objects);
    const secondApply = await applyAll(lab.objects);
    // Compared: what an apply owns, not resourceVersions, which the controllers' status writes
    // move at any time. A write by the apply would show (its field manager's entry records it).
    const second = statesOf(secondApply);
    // Seen on 1.34: the first apply *after* a PersistentVolumeClaim was created by apply rewrites
    // it once (new resourceVersion, same content); from then on it is as still as the rest.
    const claims = Object.keys(before).filter((name) => name.startsWith('PersistentVolumeClaim/'));
    expect(omit(second, claims)).toEqual(omit(before, claims));
    const claimSpecs = (objects: LabObject[]) =>
      objects
        .filter((object) => object.kind === 'PersistentVolumeClaim')
        .map((object) => (object as V1PersistentVolumeClaim).spec);
    expect(claimSpecs(secondApply)).toEqual(claimSpecs(firstApply));
    const third = statesOf(await applyAll(lab.objects));
    expect(third).toEqual(second);
  });

  it('the quota refuses a pod beyond the budget', async () => {
    await eventually('the quota to count the lab pods', async () => {
      const quota = (await objectsApi.read({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'lab-budget', namespace: lab.namespace },
      })) as V1ResourceQuota;
      return quota.status?.used?.['pods'] === '2' ? quota : undefined;
    });
    // Within the LimitRange (≤ the budget per container), but the lab's pods already hold the budget.
    const refused = await refusal(
      core.createNamespacedPod({ namespace: lab.namespace, body: hardenedPod('greedy', '1', '512Mi') }),
    );
    expect(refused.code).toBe(403);
    expect(refused.message).toMatch(/exceeded quota: lab-budget/);
  });

  it('the LimitRange refuses a container bigger than the whole budget', async () => {
    const refused = await refusal(
      core.createNamespacedPod({ namespace: lab.namespace, body: hardenedPod('huge', '2', '64Mi') }),
    );
    expect(refused.code).toBe(403);
    expect(refused.message).toMatch(/maximum cpu usage per Container is 1/);
  });

  it('PodSecurity refuses a privileged pod', async () => {
    const pod = hardenedPod('privileged', '10m', '16Mi');
    pod.spec!.containers[0]!.securityContext = { privileged: true };
    const refused = await refusal(core.createNamespacedPod({ namespace: lab.namespace, body: pod }));
    expect(refused.code).toBe(403);
    expect(refused.message).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(refused.message).toMatch(/privileged/);
  });

  it('teardown is deleting the namespace', async () => {
    await core.deleteNamespace({ name: lab.namespace });
    const namespace = await core.readNamespace({ name: lab.namespace }).catch((error: unknown) => {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    });
    expect(namespace === undefined || namespace.status?.phase === 'Terminating').toBe(true);
  });
});
