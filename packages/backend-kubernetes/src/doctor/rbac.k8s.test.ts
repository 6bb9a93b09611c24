/**
 * deploy/rbac/ on a real API server: the ServiceAccount it creates, with a token from the
 * TokenRequest API, may do exactly what RUN_PERMISSIONS lists in the runs namespace and nothing
 * that would let a compromised server escape it. Shown with SelfSubjectAccessReviews (what the
 * authorizer says about the token's own identity) and one real call of each kind.
 */
import { randomBytes } from 'node:crypto';
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_PERMISSIONS, describePermission, RUN_PERMISSIONS } from '../permissions.ts';
import { adminKubeConfig } from '../testing/cluster.ts';
import { applyRbac, type RbacFixture } from '../testing/rbac-fixture.ts';
import { accessAttributes } from './facts.ts';

const admin = adminKubeConfig();
const suffix = randomBytes(3).toString('hex');
let rbac: RbacFixture;
let asAperture: KubeConfig;

beforeAll(async () => {
  rbac = await applyRbac(admin, suffix);
  asAperture = await rbac.tokenKubeConfig();
});

afterAll(async () => {
  await rbac?.cleanup();
});

async function allowed(kc: KubeConfig, attributes: V1ResourceAttributes): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: attributes } },
  });
  return review.status?.allowed === true;
}

/** The HTTP status of a rejected call (fails the test if the call succeeded). */
async function rejection(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
  throw new Error('expected the API server to reject the request, but it accepted it');
}

describe('deploy/rbac/ on the test cluster', () => {
  it('the token authenticates as the ServiceAccount', async () => {
    const core = asAperture.makeApiClient(CoreV1Api);
    const status = await rejection(core.listNamespacedSecret({ namespace: rbac.runsNamespace }));
    expect(status).toBe(403);
    const review = await asAperture.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(
      `system:serviceaccount:${rbac.platformNamespace}:${rbac.serviceAccount}`,
    );
  });

  it('allows every RUN_PERMISSION and every DOCTOR_PERMISSION', async () => {
    for (const p of [...RUN_PERMISSIONS, ...DOCTOR_PERMISSIONS])
      expect(await allowed(asAperture, accessAttributes(p, rbac.runsNamespace)), describePermission(p)).toBe(
        true,
      );
  });

  // `runs` and `platform` stand for this run's namespaces; '' is a cluster-wide question.
  it.each([
    ['create pods', 'runs', { verb: 'create', resource: 'pods' }],
    ['get secrets', 'runs', { verb: 'get', resource: 'secrets' }],
    ['list secrets', 'runs', { verb: 'list', resource: 'secrets' }],
    ['create pods/exec', 'runs', { verb: 'create', resource: 'pods', subresource: 'exec' }],
    ['update jobs', 'runs', { verb: 'update', group: 'batch', resource: 'jobs' }],
    ['create roles', 'runs', { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'roles' }],
    ['list jobs', 'platform', { verb: 'list', group: 'batch', resource: 'jobs' }],
    ['list jobs', 'default', { verb: 'list', group: 'batch', resource: 'jobs' }],
    ['create pods', 'kube-system', { verb: 'create', resource: 'pods' }],
    [
      'create clusterroles',
      '',
      { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
    ],
    ['list secrets', '', { verb: 'list', resource: 'secrets' }],
    ['delete nodes', '', { verb: 'delete', resource: 'nodes' }],
  ])('denies %s in namespace "%s"', async (_, where, attributes: V1ResourceAttributes) => {
    const namespace =
      where === 'runs' ? rbac.runsNamespace : where === 'platform' ? rbac.platformNamespace : where;
    expect(await allowed(asAperture, { group: '', ...attributes, namespace })).toBe(false);
  });

  it('real calls agree with the reviews: list pods works, the same in another namespace is 403', async () => {
    const core = asAperture.makeApiClient(CoreV1Api);
    const batch = asAperture.makeApiClient(BatchV1Api);
    expect((await core.listNamespacedPod({ namespace: rbac.runsNamespace })).items).toEqual([]);
    expect((await batch.listNamespacedJob({ namespace: rbac.runsNamespace })).items).toEqual([]);
    expect(await rejection(batch.listNamespacedJob({ namespace: rbac.platformNamespace }))).toBe(403);
    expect(await rejection(core.listNamespacedPod({ namespace: 'kube-system' }))).toBe(403);
  });

  it('removing one rule from the Role takes exactly that permission away', async () => {
    const createJobs = RUN_PERMISSIONS.find((p) => describePermission(p) === 'create jobs.batch')!;
    await rbac.removeRule(createJobs);
    expect(await allowed(asAperture, accessAttributes(createJobs, rbac.runsNamespace))).toBe(false);
    for (const p of RUN_PERMISSIONS.filter((p) => p !== createJobs))
      expect(await allowed(asAperture, accessAttributes(p, rbac.runsNamespace)), describePermission(p)).toBe(
        true,
      );
    const status = await rejection(
      asAperture.makeApiClient(BatchV1Api).createNamespacedJob({
        namespace: rbac.runsNamespace,
        body: {
          metadata: { name: 'denied' },
          spec: { template: { spec: { containers: [], restartPolicy: 'Never' } } },
        },
      }),
    );
    expect(status).toBe(403);
  });
});
