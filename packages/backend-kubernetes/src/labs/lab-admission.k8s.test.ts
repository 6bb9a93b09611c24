/**
 * deploy/rbac/admissionpolicy-labs.yaml on the test cluster (v1.34, ValidatingAdmissionPolicy GA):
 * installed under names of its own for this run's ServiceAccount (applyRbac, labs ClusterRole),
 * it holds what aperture-labs grants cluster-wide to namespaces labelled dev.aperture.managed=true.
 * The CONNECT checks use a plain POST to the exec / portforward endpoints: admission runs before
 * the API server dials the kubelet, so a refusal is a 403 Status naming the policy, and a request
 * admission lets through ends later (400: no upgrade), which tells the two apart without a node.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { catalogLabTemplate, type LabStudent, type LabVersionRef, labVersionId } from '@aperture/core';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  Exec,
  type KubeConfig,
  type KubernetesObject,
  loadAllYaml,
  type V1ValidatingAdmissionPolicy,
  type V1ValidatingAdmissionPolicyBinding,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, eventually, logger } from '../testing/cluster.ts';
import { testRenderOptions } from '../testing/labs.ts';
import { ADMISSION_FILE, applyRbac, RBAC_DIR, type RbacFixture } from '../testing/rbac-fixture.ts';
import { KubernetesLabProvisioner } from './kubernetes-lab-provisioner.ts';
import { labDeploymentSelector } from './lab-labels.ts';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const admission = admin.makeApiClient(AdmissionregistrationV1Api);
const run = randomBytes(3).toString('hex');
const instance = `k8s-lab-vap-${run}`;
const policyName = `aperture-labs-managed-namespaces-${run}`;
const unmanaged = `vap-other-${run}`;
const managed = `vap-lab-${run}`;

let rbac: RbacFixture;
let sa: KubeConfig;
let saCore: CoreV1Api;

/** The manifests, for this run's ServiceAccount and under this run's names. */
function policyObjects(platformNamespace: string) {
  const [policy, binding] = (
    loadAllYaml(readFileSync(join(RBAC_DIR, ADMISSION_FILE), 'utf8')) as KubernetesObject[]
  ).filter(Boolean) as [V1ValidatingAdmissionPolicy, V1ValidatingAdmissionPolicyBinding];
  policy.metadata!.name = policyName;
  const condition = policy.spec!.matchConditions![0]!;
  expect(condition.expression).toContain("'system:serviceaccount:aperture:aperture'");
  condition.expression = condition.expression.replace(
    'system:serviceaccount:aperture:aperture',
    `system:serviceaccount:${platformNamespace}:aperture`,
  );
  binding.metadata!.name = policyName;
  binding.spec!.policyName = policyName;
  return { policy, binding };
}

/** A POST to a pod's exec or portforward endpoint as the ServiceAccount: [status, message]. */
async function connectAs(kc: KubeConfig, namespace: string, path: string): Promise<[number, string]> {
  const server = kc.getCurrentCluster()!.server;
  const options: Record<string, unknown> & { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(options as never);
  const url = new URL(`${server}/api/v1/namespaces/${namespace}/pods/${path}`);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...options, method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        let message = body;
        try {
          message = JSON.parse(body).message ?? body;
        } catch {}
        resolve([res.statusCode ?? 0, message]);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const refusal = (error: unknown) => {
  const e = error as { code?: number; body?: string };
  return { code: e.code, body: String(e.body ?? error) };
};

beforeAll(async () => {
  rbac = await applyRbac(admin, run, { labs: true });
  const { policy, binding } = policyObjects(rbac.platformNamespace);
  await admission.createValidatingAdmissionPolicy({ body: policy });
  await admission.createValidatingAdmissionPolicyBinding({ body: binding });
  sa = await rbac.tokenKubeConfig();
  saCore = sa.makeApiClient(CoreV1Api);
  // Two namespaces made by the administrator, one labelled, each with a pod (never scheduled:
  // admission is all that is asked of it).
  for (const [name, labels] of [
    [unmanaged, {}],
    [managed, { 'dev.aperture.managed': 'true' }],
  ] as const) {
    await core.createNamespace({ body: { metadata: { name, labels } } });
    // Pods need the namespace's default ServiceAccount, which the serviceaccount controller creates.
    await eventually('the default ServiceAccount', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: name }).catch(() => undefined),
    );
    await core.createNamespacedPod({
      namespace: name,
      body: {
        metadata: { name: 'p' },
        spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'aperture/lab-shell' }] },
      },
    });
  }
  // The policy reaches admission through an informer: wait until it refuses.
  await eventually(
    'the policy in force',
    async () => {
      const [status] = await connectAs(sa, unmanaged, 'p/exec?command=true&stdout=true');
      return status === 403 ? true : undefined;
    },
    30_000,
  );
}, 60_000);

afterAll(async () => {
  await admission.deleteValidatingAdmissionPolicyBinding({ name: policyName }).catch(() => {});
  await admission.deleteValidatingAdmissionPolicy({ name: policyName }).catch(() => {});
  for (const name of [unmanaged, managed, `vap-new-${run}`, `vap-new-lab-${run}`])
    await core.deleteNamespace({ name }).catch(() => {});
  const left = await core.listNamespace({ labelSelector: labDeploymentSelector(instance, `vap-${run}`) });
  for (const ns of left.items) await core.deleteNamespace({ name: ns.metadata!.name! }).catch(() => {});
  await rbac?.cleanup();
});

describe('the labs admission policy (deploy/rbac/admissionpolicy-labs.yaml)', () => {
  it('exec and port-forward (CONNECT): refused outside labelled namespaces, admitted inside', async () => {
    const [execOut, execMessage] = await connectAs(sa, unmanaged, 'p/exec?command=true&stdout=true');
    expect(execOut).toBe(403);
    expect(execMessage).toMatch(
      /ValidatingAdmissionPolicy .*denied request: Aperture may write lab objects, exec and port-forward only in namespaces labelled dev\.aperture\.managed=true/,
    );
    const [forwardOut, forwardMessage] = await connectAs(sa, unmanaged, 'p/portforward?ports=80');
    expect(forwardOut).toBe(403);
    expect(forwardMessage).toMatch(
      /ValidatingAdmissionPolicy .*denied request: Aperture may write lab objects, exec and port-forward only/,
    );
    // Admitted: the request gets as far as the pod (which runs nowhere), no 403.
    const [execIn, inMessage] = await connectAs(sa, managed, 'p/exec?command=true&stdout=true');
    expect(execIn, inMessage).not.toBe(403);
    const [forwardIn] = await connectAs(sa, managed, 'p/portforward?ports=80');
    expect(forwardIn).not.toBe(403);
    // The WebSocket upgrade client-node sends (a GET) is the same CONNECT: refused outside.
    const ws = new Exec(sa);
    const upgrade = (namespace: string) =>
      ws
        .exec(namespace, 'p', 'c', ['true'], null, null, null, false)
        .then((socket) => {
          socket.close();
          return 'open';
        })
        .catch((error: Error) => error.message ?? String(error));
    expect(await upgrade(unmanaged)).toMatch(/\b403\b/);
    expect(await upgrade(managed)).not.toMatch(/\b403\b/);
    // The administrator is not held to it.
    const [adminOut] = await connectAs(admin, unmanaged, 'p/exec?command=true&stdout=true');
    expect(adminOut).not.toBe(403);
  });

  it('namespaces: create only labelled; no relabelling, no unlabelling; delete only labelled', async () => {
    const plain = await saCore
      .createNamespace({ body: { metadata: { name: `vap-new-${run}` } } })
      .catch(refusal);
    expect(plain, JSON.stringify(plain)).toMatchObject({ code: 403 });
    expect((plain as { body: string }).body).toMatch(/may create only namespaces labelled/);
    await saCore.createNamespace({
      body: { metadata: { name: `vap-new-lab-${run}`, labels: { 'dev.aperture.managed': 'true' } } },
    });
    // Labelling someone else's namespace managed (then exec'ing into it) is refused. (client-node
    // patches with JSON Patch.)
    const relabel = await saCore
      .patchNamespace({
        name: unmanaged,
        body: [{ op: 'add', path: '/metadata/labels/dev.aperture.managed', value: 'true' }],
      })
      .catch(refusal);
    expect(relabel).toMatchObject({ code: 403 });
    const unlabel = await saCore
      .patchNamespace({
        name: managed,
        body: [{ op: 'remove', path: '/metadata/labels/dev.aperture.managed' }],
      })
      .catch(refusal);
    expect(unlabel).toMatchObject({ code: 403 });
    expect((unlabel as { body: string }).body).toMatch(/may not remove the label/);
    const deleteOther = await saCore.deleteNamespace({ name: unmanaged }).catch(refusal);
    expect(deleteOther).toMatchObject({ code: 403 });
    expect((deleteOther as { body: string }).body).toMatch(/may delete only namespaces labelled/);
    await saCore.deleteNamespace({ name: `vap-new-lab-${run}` });
  });

  it('objects: a Service in an unlabelled namespace is refused', async () => {
    const service = await saCore
      .createNamespacedService({
        namespace: unmanaged,
        body: { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } },
      })
      .catch(refusal);
    expect(service).toMatchObject({ code: 403 });
    expect((service as { body: string }).body).toMatch(
      /services \\"s\\" is forbidden: ValidatingAdmissionPolicy .*denied request: Aperture may write lab objects/,
    );
  });

  it('the provisioner as the ServiceAccount still deploys, stops and tears down a lab', async () => {
    const result = catalogLabTemplate('webserver', { cpu: '500m', memory: '512Mi', storage: '0' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const version: LabVersionRef = {
      id: labVersionId(result.template, {}),
      template: result.template,
      images: {},
    };
    const labs = KubernetesLabProvisioner.fromOptions({
      kubeConfig: sa,
      render: testRenderOptions(instance, 'kwok'),
      logger,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 500 },
      pollIntervalMs: 250,
    });
    const student: LabStudent = { id: `u_vap_${run}`, username: 'vap' };
    const deploymentId = `vap-${run}`;
    const report = await labs.deploy({ deploymentId, labVersion: version, students: [student] });
    expect(report.students[0], JSON.stringify(report.students[0])).toMatchObject({ ok: true });
    await labs.stop({ deploymentId, student });
    expect((await labs.teardown(deploymentId)).verified).toBe(true);
  }, 120_000);
});
