/**
 * The lab provisioner as the ServiceAccount deploy/rbac/ creates, bound to ClusterRole
 * aperture-labs and nothing more: deploy, status, stop, teardown (and, with Tier B, exec) work;
 * each permission taken away fails exactly the call that needs it, naming the permission.
 */
import { randomBytes } from 'node:crypto';
import {
  catalogLabTemplate,
  type LabStudent,
  type LabTarget,
  type LabVersionRef,
  labVersionId,
} from '@aperture/core';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesPermissionError } from '../api-errors.ts';
import { adminKubeConfig, eventually, hasRealNode, logger } from '../testing/cluster.ts';
import { testRenderOptions } from '../testing/labs.ts';
import { applyRbac, type RbacFixture } from '../testing/rbac-fixture.ts';
import { KubernetesLabProvisioner } from './kubernetes-lab-provisioner.ts';
import { labDeploymentSelector } from './lab-labels.ts';
import { LAB_PERMISSIONS } from './lab-permissions.ts';

const admin = adminKubeConfig();
const run = randomBytes(3).toString('hex');
const instance = `k8s-lab-rbac-${run}`;
const deploymentId = `rbac-${run}`;
const student: LabStudent = { id: `u_sa_${run}`, username: 'sa' };
const shell: LabTarget = { deploymentId, studentId: student.id, component: 'shell' };
const tier = hasRealNode() ? 'real' : 'kwok';

const template = (() => {
  const result = catalogLabTemplate('webserver', { cpu: '500m', memory: '512Mi', storage: '0' });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
})();
const version: LabVersionRef = { id: labVersionId(template, {}), template, images: {} };

const permission = (verb: string, resource: string, subresource?: string) =>
  LAB_PERMISSIONS.find((p) => p.verb === verb && p.resource === resource && p.subresource === subresource)!;

let rbac: RbacFixture;
let labs: KubernetesLabProvisioner;

beforeAll(async () => {
  rbac = await applyRbac(admin, run, { labs: true });
  labs = KubernetesLabProvisioner.fromOptions({
    kubeConfig: await rbac.tokenKubeConfig(),
    render: testRenderOptions(instance, tier),
    logger,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 500 },
    pollIntervalMs: 250,
  });
});

afterAll(async () => {
  const core = admin.makeApiClient(CoreV1Api);
  const left = await core.listNamespace({ labelSelector: labDeploymentSelector(instance, deploymentId) });
  for (const ns of left.items) await core.deleteNamespace({ name: ns.metadata!.name! }).catch(() => {});
  await rbac?.cleanup();
});

async function untilState(state: string) {
  return eventually(
    state,
    async () => {
      const mine = (await labs.status(deploymentId, [student])).students[0];
      return mine?.state === state ? mine : undefined;
    },
    120_000,
  );
}

describe(`the lab provisioner as ServiceAccount aperture with ClusterRole aperture-labs (${tier} node)`, () => {
  it('deploys, reports status, stops and starts a copy again', async () => {
    const report = await labs.deploy({ deploymentId, labVersion: version, students: [student] });
    expect(report.students[0]).toMatchObject({ ok: true });
    await untilState('ready');
    await labs.stop({ deploymentId, student });
    await untilState('stopped');
    expect((await labs.deploy({ deploymentId, labVersion: version, students: [student] })).failed).toBe(0);
    await untilState('ready');
  }, 150_000);

  it.runIf(tier === 'real')('exec works; without get pods/exec it fails naming that permission', async () => {
    expect((await labs.exec(shell, ['true'])).exitCode).toBe(0);
    // The WebSocket upgrade is a GET; clusters with AuthorizePodWebsocketUpgradeCreatePermission
    // demand create as well (this one, v1.34 as built here, does not).
    await rbac.removeLabRule(permission('get', 'pods', 'exec'));
    const failure = await labs.exec(shell, ['true']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KubernetesPermissionError);
    expect((failure as Error).message).toMatch(/may not get pods\/exec/);
  });

  it('without patch deployments.apps, stop and deploy fail naming it; status still works', async () => {
    await rbac.removeLabRule(permission('patch', 'deployments'));
    const stop = await labs.stop({ deploymentId, student }).catch((error: unknown) => error);
    expect(stop).toBeInstanceOf(KubernetesPermissionError);
    expect((stop as Error).message).toMatch(/may not patch deployments\.apps/);
    const other = { id: `u_other_${run}`, username: 'other' };
    const report = await labs.deploy({ deploymentId, labVersion: version, students: [other] });
    expect(report.students[0]).toMatchObject({
      ok: false,
      code: 'kubernetes_forbidden',
      error: expect.stringMatching(/^Deployment (web|shell): .*patch deployments\.apps/),
    });
    expect((await labs.status(deploymentId, [student])).students[0]?.state).toBe('ready');
  });

  it('teardown as the ServiceAccount is verified', async () => {
    const receipt = await labs.teardown(deploymentId);
    expect(receipt.errors).toEqual([]);
    expect(receipt.verified).toBe(true);
  });
});
