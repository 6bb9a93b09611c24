/**
 * Proof that test/cluster runs a real Kubernetes: real authentication and RBAC, real admission
 * (ResourceQuota, PodSecurity), real controllers and scheduler (a Job completes on kwok's fake
 * nodes, observed through a watch) and, with a real node (Tier B), a pod that really runs code.
 */
import { randomBytes } from 'node:crypto';
import {
  ApiException,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1Job,
  type V1Pod,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const kubeconfigPath = inject('k8sKubeconfig');
const realNode = inject('k8sRealNode');

const admin = new KubeConfig();
admin.loadFromFile(kubeconfigPath);
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
const batch = admin.makeApiClient(BatchV1Api);

const suffix = randomBytes(3).toString('hex');
const created: string[] = [];

async function namespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${suffix}`;
  await core.createNamespace({ body: { metadata: { name, labels } } });
  created.push(name);
  return name;
}

/** The HTTP status of a rejected call (fails the test if the call succeeded). */
async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) return { code: error.code, message: statusMessage(error.body) };
    throw error;
  }
  throw new Error('expected the API server to reject the request, but it accepted it');
}

/** The `message` of the Status object the API server sent (client-node hands over the raw body). */
function statusMessage(body: unknown): string {
  let status = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return body;
    }
  }
  const message = (status as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Resolves with the Job once a watch event shows it Complete (rejects on Failed or timeout). */
async function watchJobUntilComplete(ns: string, name: string, timeoutMs = 120_000): Promise<V1Job> {
  const seen: string[] = [];
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<V1Job>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`Job ${ns}/${name} not Complete after ${timeoutMs} ms; events: ${seen.join(', ')}`),
          ),
        timeoutMs,
      );
      new Watch(admin)
        .watch(
          `/apis/batch/v1/namespaces/${ns}/jobs`,
          { fieldSelector: `metadata.name=${name}` },
          (phase, job: V1Job) => {
            const conditions = job.status?.conditions ?? [];
            seen.push(
              `${phase}(${conditions.map((c) => `${c.type}=${c.status}`).join('|') || 'no conditions'})`,
            );
            if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) resolve(job);
            if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) {
              reject(new Error(`Job ${ns}/${name} failed: ${JSON.stringify(job.status)}`));
            }
          },
          (err) => {
            if (err && (err as Error).name !== 'AbortError') reject(err);
          },
        )
        .then((c) => {
          controller = c;
        }, reject);
    });
  } finally {
    clearTimeout(timer);
    controller?.abort();
  }
}

afterAll(async () => {
  // Matters when KUBECONFIG_APERTURE_TEST names a long-lived cluster; a fresh one is thrown away.
  await Promise.all(created.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
});

describe('a real Kubernetes control plane (test/cluster)', () => {
  it('reports a stamped v1.34 API server and Ready fake nodes for both architectures', async () => {
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    const ready = nodes.items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(ready.length).toBeGreaterThanOrEqual(2);
    const arches = new Set(ready.map((n) => n.metadata?.labels?.['kubernetes.io/arch']));
    expect([...arches].sort()).toEqual(['amd64', 'arm64']);
    const version = await admin.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.34\./);
  });

  describe('RBAC with a ServiceAccount token from the TokenRequest API', () => {
    let ns: string;
    let other: string;
    let asStudent: CoreV1Api;

    beforeAll(async () => {
      ns = await namespace('rbac');
      other = await namespace('rbac-other');
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'student' } } });
      await rbac.createNamespacedRole({
        namespace: ns,
        body: {
          metadata: { name: 'configmap-reader' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: 'student-reads-configmaps' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'student', namespace: ns }],
        },
      });
      const request = await core.createNamespacedServiceAccountToken({
        name: 'student',
        namespace: ns,
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      });
      const token = request.status?.token;
      expect(token).toBeTruthy();
      const cluster = admin.getCurrentCluster()!;
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
        users: [{ name: 'student', token }],
        contexts: [{ name: 'student', cluster: 'test', user: 'student' }],
        currentContext: 'student',
      });
      asStudent = kc.makeApiClient(CoreV1Api);
      // The token's ServiceAccount and the RoleBinding reach authentication and the RBAC authorizer
      // through informers: ask as the student (SelfSubjectAccessReview) until both know of them.
      const review = kc.makeApiClient(AuthorizationV1Api);
      await eventually(
        'RBAC to grant the student list configmaps',
        async () => {
          const answer = await review
            .createSelfSubjectAccessReview({
              body: { spec: { resourceAttributes: { namespace: ns, verb: 'list', resource: 'configmaps' } } },
            })
            .catch(() => undefined);
          return answer?.status?.allowed === true ? true : undefined;
        },
        30_000,
      );
    });

    it('allows what the Role grants', async () => {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'settings' }, data: { a: '1' } },
      });
      const list = await asStudent.listNamespacedConfigMap({ namespace: ns });
      expect(list.items.map((c) => c.metadata?.name)).toContain('settings');
    });

    it('denies what the Role does not grant: other verbs, other resources, other namespaces', async () => {
      const write = await rejection(
        asStudent.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'nope' } } }),
      );
      expect(write.code).toBe(403);
      expect(write.message).toContain(`system:serviceaccount:${ns}:student`);
      expect((await rejection(asStudent.listNamespacedSecret({ namespace: ns }))).code).toBe(403);
      expect((await rejection(asStudent.listNamespacedConfigMap({ namespace: other }))).code).toBe(403);
    });

    it('rejects a forged token (authentication, not just authorization)', async () => {
      const cluster = admin.getCurrentCluster()!;
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
        users: [{ name: 'forger', token: 'eyJhbGciOiJSUzI1NiJ9.e30.forged' }],
        contexts: [{ name: 'forger', cluster: 'test', user: 'forger' }],
        currentContext: 'forger',
      });
      const result = await rejection(kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ns }));
      expect(result.code).toBe(401);
    });
  });

  it('a ResourceQuota admits a pod within budget and rejects one over it', async () => {
    const ns = await namespace('quota');
    // Pods need the namespace's default ServiceAccount, which the serviceaccount controller creates.
    await eventually('the default ServiceAccount', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).catch(() => undefined),
    );
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: {
        metadata: { name: 'budget' },
        spec: { hard: { 'requests.cpu': '500m', 'requests.memory': '256Mi', pods: '5' } },
      },
    });
    // Quota admission refuses everything until the quota controller has computed the usage.
    await eventually('the quota controller to fill in the quota status', async () => {
      const quota = await core.readNamespacedResourceQuota({ name: 'budget', namespace: ns });
      return quota.status?.hard ? quota : undefined;
    });
    const pod = (name: string, cpu: string): V1Pod => ({
      metadata: { name },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'localhost/aperture/runner-python',
            resources: { requests: { cpu, memory: '64Mi' } },
          },
        ],
      },
    });
    await core.createNamespacedPod({ namespace: ns, body: pod('small', '200m') });
    const over = await rejection(core.createNamespacedPod({ namespace: ns, body: pod('big', '2') }));
    expect(over.code).toBe(403);
    expect(over.message).toMatch(/exceeded quota: budget/);
  });

  it('PodSecurity "restricted" rejects a privileged pod and admits a compliant one', async () => {
    const ns = await namespace('restricted', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    // Pods need the namespace's default ServiceAccount, which the serviceaccount controller creates.
    await eventually('the default ServiceAccount', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).catch(() => undefined),
    );
    const privileged = await rejection(
      core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'privileged' },
          spec: {
            containers: [
              {
                name: 'main',
                image: 'localhost/aperture/runner-python',
                securityContext: { privileged: true },
              },
            ],
          },
        },
      }),
    );
    expect(privileged.code).toBe(403);
    expect(privileged.message).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(privileged.message).toMatch(/privileged/);

    const ok = await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'compliant' },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'main',
              image: 'localhost/aperture/runner-python',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    });
    expect(ok.metadata?.uid).toBeTruthy();
  });

  it('a Job is scheduled onto fake arm64 nodes, runs and completes (seen through a watch)', async () => {
    const ns = await namespace('jobs');
    // Pods need the namespace's default ServiceAccount, which the serviceaccount controller creates.
    await eventually('the default ServiceAccount', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).catch(() => undefined),
    );
    const done = watchJobUntilComplete(ns, 'grade');
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'grade' },
        spec: {
          completions: 3,
          parallelism: 3,
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              nodeSelector: { 'kubernetes.io/arch': 'arm64', type: 'kwok' },
              containers: [{ name: 'run', image: 'localhost/aperture/runner-python', command: ['true'] }],
            },
          },
        },
      },
    });
    const job = await done;
    expect(job.status?.succeeded).toBe(3);
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=grade' });
    expect(pods.items).toHaveLength(3);
    const nodes = await core.listNode({ labelSelector: 'kubernetes.io/arch=arm64' });
    const arm = new Set(nodes.items.map((n) => n.metadata?.name));
    for (const p of pods.items) {
      expect(p.status?.phase).toBe('Succeeded');
      expect(arm.has(p.spec?.nodeName)).toBe(true);
    }
  });

  it.runIf(realNode)('Tier B: a Job on the real node runs `echo hello` and its log says hello', async () => {
    const ns = await namespace('real');
    await eventually('the default ServiceAccount', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).catch(() => undefined),
    );
    const done = watchJobUntilComplete(ns, 'hello', 170_000);
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'hello' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              nodeSelector: { 'aperture.dev/node-kind': 'real' },
              // The real node is tainted so that the other tests' pods stay on kwok's nodes.
              tolerations: [{ key: 'aperture.dev/real-node', operator: 'Exists', effect: 'NoSchedule' }],
              containers: [
                {
                  name: 'run',
                  image: 'localhost/aperture/runner-python',
                  imagePullPolicy: 'Never',
                  command: ['echo', 'hello'],
                },
              ],
            },
          },
        },
      },
    });
    await done;
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=hello' });
    const name = pods.items[0]?.metadata?.name;
    expect(name).toBeTruthy();
    const log = await core.readNamespacedPodLog({ name: name!, namespace: ns });
    expect(log.trim()).toBe('hello');
  });
});
