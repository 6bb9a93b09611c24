/**
 * The whole lab flow over HTTP on the test cluster's real node (Tier B: kubelet and containerd,
 * lab images imported): the server builds KubernetesLabProvisioner from its ordinary settings
 * (kubeconfig, placement, pull policy), and the same steps as on Podman run against it
 * (testing/lab-flow.ts). No volumes (storage 0): the test cluster has no storage provisioner.
 * kwok nodes run no containers, so there the checks and digests cannot be real: real node only.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEMO_COURSE, DEMO_PASSWORD } from './demo-seed.ts';
import { runLabFlow } from './testing/lab-flow.ts';
import { liveLabTemplate } from './testing/live-page-lab.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { type ApiResponse, startTestServer, type TestServer } from './testing/test-server.ts';

const kubeconfig = inject('k8sKubeconfig');
const INSTANCE = `labflow-k8s-${randomBytes(3).toString('hex')}`;

async function labNamespaces(): Promise<string[]> {
  const admin = new KubeConfig();
  admin.loadFromFile(kubeconfig);
  const list = await admin
    .makeApiClient(CoreV1Api)
    .listNamespace({ labelSelector: `dev.aperture.instance=${INSTANCE}` });
  return list.items.map((namespace) => namespace.metadata?.name ?? '');
}

describe.runIf(inject('k8sRealNode'))('the lab flow on Kubernetes (real node)', { timeout: 600_000 }, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(new ScriptedExecutor(), {
      backend: 'kubernetes',
      kubeconfig,
      instance: INSTANCE,
      imagePrefix: 'localhost/',
      k8sImagePullPolicy: 'Never',
      k8sNodeSelector: 'aperture.dev/node-kind=real',
      k8sTolerations: 'aperture.dev/real-node=true:NoSchedule',
      labReconcileSeconds: 3600,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('create → checkpoint → publish → deploy → reset → stop and open → destroy', async () => {
    // Small: the real node is this 2-core machine, and the dev copy and two students' copies run at once.
    const times = await runLabFlow(t, { cpu: '300m', memory: '384Mi', storage: '0', stepSeconds: 240 });
    expect(await labNamespaces()).toEqual([]);
    console.info('lab flow on Kubernetes (ms):', JSON.stringify(times));
  });

  it('a lab page’s own WebSocket through the proxy and a port-forward; then the lab is deleted', async () => {
    const token = await t.login('instructor', DEMO_PASSWORD);
    const until = async (path: string, done: (body: ApiResponse['body']) => boolean) => {
      const deadline = Date.now() + 240_000;
      for (;;) {
        const { body } = await t.api(token, 'GET', path);
        if (done(body)) return body;
        if (Date.now() > deadline) throw new Error(`${path} not done: ${JSON.stringify(body)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    const created = await t.api(token, 'POST', `/api/v1/courses/${DEMO_COURSE}/labs`, {
      text: liveLabTemplate({ cpu: '300m', memory: '256Mi' }),
    });
    expect(created.status).toBe(201);
    const labId: string = created.body.lab.id;
    const lab = await until(`/api/v1/labs/${labId}`, (l) => l.dev?.students[0]?.live === 'ready');
    const dev = lab.dev.deployment.id as string;
    const me = lab.dev.students[0].userId as string;

    // What a browser does: the navigation with the session cookie gets the page's own link.
    const login = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'instructor', password: DEMO_PASSWORD }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const navigation = await fetch(`${t.url}/labs/${dev}/${me}/live/8080/`, {
      headers: { cookie },
      redirect: 'manual',
    });
    expect(navigation.status).toBe(303);
    const link = navigation.headers.get('location')!;
    // The copy is ready when its container runs, a moment before Python listens: try again briefly.
    let answer: string | Error = new Error('not tried');
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      answer = await echoOnce(`${t.url.replace('http', 'ws')}${link}echo`).catch((error: Error) => error);
      if (typeof answer === 'string') break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(answer).toBe('echo:ping');

    const deleted = await t.api(token, 'DELETE', `/api/v1/labs/${labId}`);
    expect(deleted.status).toBe(204);
    expect((await t.api(token, 'GET', `/api/v1/labs/${labId}`)).status).toBe(404);
    expect(await labNamespaces()).toEqual([]);
  });
});

/** Opens the page's WebSocket (no cookie, like a sandboxed page), sends "ping", resolves with the answer. */
function echoOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no answer in 15 s'));
    }, 15_000);
    socket.once('open', () => socket.send('ping'));
    socket.once('message', (data) => {
      clearTimeout(timer);
      socket.close();
      resolve(data.toString());
    });
    socket.once('unexpected-response', (_req, response) => {
      clearTimeout(timer);
      reject(new Error(`refused: ${response.statusCode}`));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
