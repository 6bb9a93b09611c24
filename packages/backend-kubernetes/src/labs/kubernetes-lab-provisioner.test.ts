/**
 * The provisioner's own logic against a scripted HTTP API server: a transient refusal is retried
 * from the object that failed (not from the start), an RBAC 403 fails only that student with the
 * permission named, and the requests are counted. The real API server is in the .k8s.test.ts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { catalogLabTemplate, type LabProgressEvent, labVersionId } from '@aperture/core';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesLabProvisioner } from './kubernetes-lab-provisioner.ts';
import { labNamespaceName } from './names.ts';
import { DEFAULT_DNS_PEER } from './network-policies.ts';

const RESOURCES: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
  '/api/v1': [
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
    { name: 'resourcequotas', kind: 'ResourceQuota', namespaced: true },
    { name: 'limitranges', kind: 'LimitRange', namespaced: true },
    { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
    { name: 'services', kind: 'Service', namespaced: true },
  ],
  '/apis/networking.k8s.io/v1': [{ name: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true }],
  '/apis/apps/v1': [{ name: 'deployments', kind: 'Deployment', namespaced: true }],
};

const bobNs = labNamespaceName('lab', 'd1', 'bob');
const malloryNs = labNamespaceName('lab', 'd1', 'mallory');
const patches: string[] = [];
let bobThrottled = false;

/** The scripted answer to one request: [status, body]. */
function answer(req: IncomingMessage, body: string): [number, unknown] {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const resources = RESOURCES[path];
  if (req.method === 'GET' && resources) return [200, { kind: 'APIResourceList', resources }];
  if (req.method !== 'PATCH') return [404, { kind: 'Status', message: 'not here' }];
  patches.push(path);
  if (
    path === `/apis/networking.k8s.io/v1/namespaces/${bobNs}/networkpolicies/lab-isolation` &&
    !bobThrottled
  ) {
    bobThrottled = true;
    return [429, { kind: 'Status', code: 429, message: 'too many requests' }];
  }
  if (path === `/api/v1/namespaces/${malloryNs}/services/web`)
    return [
      403,
      {
        kind: 'Status',
        code: 403,
        reason: 'Forbidden',
        message: `services "web" is forbidden: User "aperture" cannot patch resource "services" in API group "" in the namespace "${malloryNs}"`,
      },
    ];
  return [200, JSON.parse(body)];
}

let server: Server;
let kubeConfig: KubeConfig;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req
      .on('data', (chunk) => {
        body += chunk;
      })
      .on('end', () => {
        const [code, json] = answer(req, body);
        res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'fake',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('KubernetesLabProvisioner.deploy', () => {
  it('retries a throttled object, fails only the student RBAC refuses, and counts every request', async () => {
    const built = catalogLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '0' });
    if (!built.ok) throw new Error('catalog');
    const provisioner = KubernetesLabProvisioner.fromOptions({
      kubeConfig,
      logger: pino({ level: 'silent' }),
      concurrency: 3,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      render: {
        namespacePrefix: 'lab',
        instance: 'unit',
        proxy: { namespaceLabels: { a: 'b' }, podLabels: { c: 'd' } },
        dns: DEFAULT_DNS_PEER,
        internetEgress: true,
        extraBlockedCidrs: [],
        imagePrefix: '',
        imagePullPolicy: 'IfNotPresent',
        storageClassName: undefined,
        priorityClassName: undefined,
        runtimeClassName: undefined,
        nodeSelector: {},
        tolerations: [],
      },
    });
    const events: LabProgressEvent[] = [];
    const report = await provisioner.deploy({
      deploymentId: 'd1',
      labVersion: { id: labVersionId(built.template, {}), template: built.template, images: {} },
      students: ['alice', 'bob', 'mallory'].map((id) => ({ id, username: id })),
      onProgress: (event) => events.push(event),
    });
    const [alice, bob, mallory] = report.students;
    expect([alice?.ok, bob?.ok, mallory?.ok]).toEqual([true, true, false]);
    expect(alice).toMatchObject({ attempts: 1, objects: 7 });
    expect(bob).toMatchObject({ attempts: 2, objects: 7 });
    const of = (id: string) => events.filter((e) => e.student.id === id).map((e) => [e.phase, e.attempt]);
    expect(of('bob')).toEqual([
      ['applying', 1],
      ['applying', 2],
      ['ready', 2],
    ]);
    expect(events.find((e) => e.student.id === 'bob' && e.attempt === 2)?.error).toBe(
      'NetworkPolicy lab-isolation: too many requests',
    );
    // Resumed at the throttled object: bob's namespace was applied once.
    expect(patches.filter((p) => p === `/api/v1/namespaces/${bobNs}`)).toHaveLength(1);
    expect(mallory).toMatchObject({ attempts: 1, code: 'kubernetes_forbidden' });
    expect(mallory?.ok === false && mallory.error).toMatch(
      /^Service web: .*may not patch services in namespace/,
    );
    const requests = provisioner.requests.snapshot();
    // 7 objects each; mallory stops at her 5th (the Service); bob's throttled one twice; 3 lookups.
    expect(Object.values(requests).reduce((a, b) => a + b, 0)).toBe(7 + 8 + 5 + 3);
    expect(requests['get discovery']).toBe(3);
  });
});
