/**
 * The Kubernetes lab provisioner at class scale against bare client-node, in one run: a
 * three-component lab (nginx, PostgreSQL, a shell; no volumes, the test cluster has no storage)
 * to STUDENTS students on kwok nodes. Per side: wall time until every object is applied, until
 * every Deployment has its pod ready (kwok marks pods Running at once, so this is the control
 * plane's pace), requests per student, and the teardown until no namespace is left. The bare
 * side applies the very same objects (renderStudentLab, same options, its own deployment id)
 * with KubernetesObjectApi server-side apply at the same concurrency, and deletes the namespaces
 * by label. Sides alternate with --rounds so a load change on this shared machine hits both.
 *
 *   node --import tsx bench/labs-kubernetes.ts [--students 300] [--nodes 15] [--concurrency 10] [--rounds 1]
 *
 * KUBECONFIG_APERTURE_BENCH names a cluster to use as is; otherwise test/cluster/up starts one
 * (kwok only) and it is stopped at the end. The table goes to stdout, progress to stderr.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  DEFAULT_DNS_PEER,
  KubernetesLabProvisioner,
  type LabRenderOptions,
  labDeploymentSelector,
  renderStudentLab,
} from '@aperture/backend-kubernetes';
import {
  catalogLabTemplate,
  type LabStudent,
  type LabTemplate,
  type LabVersionRef,
  labVersionId,
} from '@aperture/core';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { pino } from 'pino';
import { BENCH_NODE_LABEL, createFakeNodes, openCluster } from './lib/k8s-cluster.ts';
import { saturate } from './measure.ts';

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  const value = index > 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
};
const STUDENTS = arg('students', 300);
const NODES = arg('nodes', 15);
const CONCURRENCY = arg('concurrency', 10);
const ROUNDS = arg('rounds', 1);
const run = randomBytes(3).toString('hex');
const instance = `bench-labs-${run}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) =>
  process.stderr.write(`[bench:labs-k8s ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function template(): LabTemplate {
  const budget = { cpu: '1', memory: '1536Mi', storage: '0' };
  const web = catalogLabTemplate('webserver', budget);
  const db = catalogLabTemplate('database', budget);
  if (!web.ok || !db.ok) throw new Error('catalog templates did not build');
  const postgres = db.template.spec.components.find((c) => c.name === 'db');
  if (!postgres) throw new Error('the database type has no db component');
  return {
    ...web.template,
    metadata: { name: 'three-tier', description: 'nginx, PostgreSQL and a shell' },
    spec: {
      ...web.template.spec,
      components: [...web.template.spec.components, postgres],
      checks: [],
    },
  };
}

function renderOptions(group: string): LabRenderOptions {
  return {
    namespacePrefix: 'lab',
    instance,
    proxy: {
      namespaceLabels: { 'kubernetes.io/metadata.name': 'aperture' },
      podLabels: { 'app.kubernetes.io/name': 'aperture' },
    },
    dns: DEFAULT_DNS_PEER,
    internetEgress: true,
    extraBlockedCidrs: [],
    imagePrefix: 'localhost/',
    imagePullPolicy: 'IfNotPresent',
    storageClassName: undefined,
    priorityClassName: undefined,
    runtimeClassName: undefined,
    nodeSelector: { [BENCH_NODE_LABEL]: group },
    tolerations: [],
  };
}

const students: LabStudent[] = Array.from({ length: STUDENTS }, (_, i) => ({
  id: `s${String(i).padStart(4, '0')}`,
  username: `s${i}`,
}));

/** Until every Deployment of the deployment has its one replica ready; one list per 2 s. */
async function untilReady(kc: KubeConfig, deploymentId: string, expected: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const labelSelector = labDeploymentSelector(instance, deploymentId);
  for (;;) {
    const list = await apps.listDeploymentForAllNamespaces({ labelSelector, limit: 5000 });
    const ready = list.items.filter((d) => (d.status?.readyReplicas ?? 0) >= 1).length;
    if (ready >= expected) return;
    await sleep(2_000);
  }
}

/** Until no namespace of the deployment is left (the namespace controller empties each first). */
async function untilGone(kc: KubeConfig, deploymentId: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const labelSelector = labDeploymentSelector(instance, deploymentId);
  for (;;) {
    if ((await core.listNamespace({ labelSelector, limit: 1 })).items.length === 0) return;
    await sleep(2_000);
  }
}

interface Side {
  applied: number;
  ready: number;
  /** From the start of teardown until no namespace of the deployment is left. */
  gone: number;
  /** Until teardown returned (Aperture: with its verified receipt). */
  teardown: number;
  requestsPerStudent: number;
  requests: Record<string, number>;
  verified?: boolean;
}

async function aperture(kc: KubeConfig, group: string, version: LabVersionRef, round: number): Promise<Side> {
  const deploymentId = `ap-${run}-${round}`;
  const labs = KubernetesLabProvisioner.fromOptions({
    kubeConfig: kc,
    render: renderOptions(group),
    logger: pino({ level: 'warn' }),
    concurrency: CONCURRENCY,
    namespaceGoneTimeoutMs: 1_800_000,
    pollIntervalMs: 2_000,
  });
  const start = performance.now();
  const report = await labs.deploy({ deploymentId, labVersion: version, students });
  const applied = performance.now() - start;
  if (report.failed > 0)
    throw new Error(
      `${report.failed} students failed: ${JSON.stringify(report.students.find((s) => !s.ok))}`,
    );
  const requests = labs.requests.snapshot();
  log(`aperture: applied in ${(applied / 1000).toFixed(1)} s; waiting for pods`);
  // Aperture's own status (3 lists for the class), as the lab page would poll it.
  for (;;) {
    const status = await labs.status(deploymentId);
    if (status.students.length === STUDENTS && status.students.every((s) => s.state === 'ready')) break;
    await sleep(2_000);
  }
  const ready = performance.now() - start;
  log(`aperture: ready in ${(ready / 1000).toFixed(1)} s; tearing down`);
  const torn = performance.now();
  // The same clock as the bare side's (no namespace left), beside the receipt's (which also lists
  // everything before and after, to verify).
  const gone = untilGone(kc, deploymentId).then(() => performance.now() - torn);
  const receipt = await labs.teardown(deploymentId);
  const teardown = performance.now() - torn;
  const total = Object.values(requests).reduce((sum, n) => sum + n, 0);
  return {
    applied,
    ready,
    gone: await gone,
    teardown,
    requestsPerStudent: total / STUDENTS,
    requests,
    verified: receipt.verified,
  };
}

async function bare(kc: KubeConfig, group: string, version: LabVersionRef, round: number): Promise<Side> {
  const deploymentId = `bare-${run}-${round}`;
  const api = KubernetesObjectApi.makeApiClient(kc);
  const requests: Record<string, number> = {};
  const count = (key: string) => {
    requests[key] = (requests[key] ?? 0) + 1;
  };
  const labs = students.map(
    (student) =>
      renderStudentLab(
        {
          deploymentId,
          studentId: student.id,
          template: version.template,
          images: version.images,
          versionId: version.id,
        },
        renderOptions(group),
      ).objects as KubernetesObject[],
  );
  const start = performance.now();
  await saturate(STUDENTS, CONCURRENCY, async (i) => {
    for (const object of labs[i] ?? []) {
      count(`patch ${object.kind}`);
      await api.patch(object, undefined, undefined, 'bench', true, PatchStrategy.ServerSideApply);
    }
  });
  const applied = performance.now() - start;
  log(`bare: applied in ${(applied / 1000).toFixed(1)} s; waiting for pods`);
  await untilReady(kc, deploymentId, STUDENTS * version.template.spec.components.length);
  const ready = performance.now() - start;
  log(`bare: ready in ${(ready / 1000).toFixed(1)} s; tearing down`);
  const torn = performance.now();
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = await core.listNamespace({
    labelSelector: labDeploymentSelector(instance, deploymentId),
  });
  await saturate(namespaces.items.length, CONCURRENCY, async (i) => {
    await core.deleteNamespace({ name: namespaces.items[i]?.metadata?.name ?? '' });
  });
  await untilGone(kc, deploymentId);
  const teardown = performance.now() - torn;
  const total = Object.values(requests).reduce((sum, n) => sum + n, 0);
  return { applied, ready, gone: teardown, teardown, requestsPerStudent: total / STUDENTS, requests };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

function table(apertures: Side[], bares: Side[]): string {
  const row = (what: string, pick: (side: Side) => number, goal: string, format = s) => {
    const a = median(apertures.map(pick));
    const b = median(bares.map(pick));
    return `| ${what} | ${format(b)} | ${format(a)} | ${(a / b).toFixed(2)} | ${goal} |`;
  };
  const perStudent = (n: number) => n.toFixed(1);
  return [
    '| benchmark | bare client-node | Aperture | ratio | goal |',
    '|---|---|---|---|---|',
    row(`${STUDENTS} students × 3 components: every object applied`, (x) => x.applied, '—'),
    row(`${STUDENTS} students: every pod ready (from the start)`, (x) => x.ready, '≤ 60 s'),
    row('API requests per student (deploy)', (x) => x.requestsPerStudent, '≤ 15', perStudent),
    row('teardown: until no namespace is left', (x) => x.gone, '—'),
    row('teardown: until it returned (Aperture: verified receipt)', (x) => x.teardown, '—'),
  ].join('\n');
}

async function main() {
  const cluster = await openCluster(process.env['KUBECONFIG_APERTURE_BENCH'], [
    '--nodes',
    '0',
    '--real-node=0',
  ]);
  const group = `labs-${run}`;
  let nodes: { remove: () => Promise<void> } | undefined;
  try {
    log(`cluster ${cluster.kubeconfig}; ${NODES} kwok nodes`);
    nodes = await createFakeNodes(cluster.kc, group, NODES, 10250);
    const tpl = template();
    const version: LabVersionRef = { id: labVersionId(tpl, {}), template: tpl, images: {} };
    const apertures: Side[] = [];
    const bares: Side[] = [];
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first.
      if (round % 2 === 0) {
        bares.push(await bare(cluster.kc, group, version, round));
        apertures.push(await aperture(cluster.kc, group, version, round));
      } else {
        apertures.push(await aperture(cluster.kc, group, version, round));
        bares.push(await bare(cluster.kc, group, version, round));
      }
    }
    const out = [
      table(apertures, bares),
      '',
      `- Aperture's requests (round 1): ${JSON.stringify(apertures[0]?.requests)}; teardown verified: ${apertures.map((a) => a.verified).join(', ')}`,
      `- Bare requests (round 1): ${JSON.stringify(bares[0]?.requests)}`,
      `- Per round: ${apertures.map((a, i) => `Aperture applied ${s(a.applied)} ready ${s(a.ready)} teardown ${s(a.gone)} (receipt ${s(a.teardown)}); bare applied ${s(bares[i]?.applied ?? 0)} ready ${s(bares[i]?.ready ?? 0)} teardown ${s(bares[i]?.teardown ?? 0)}`).join(' | ')}`,
      `- ${STUDENTS} students, ${NODES} kwok nodes, concurrency ${CONCURRENCY}, ${ROUNDS} round(s), kube-controller-manager QPS ${process.env['APERTURE_K8S_KCM_QPS'] ?? '20 (default)'}, whole run ${s(performance.now() - started)}, load average at the end ${loadavg()[0]?.toFixed(1)}`,
    ].join('\n');
    process.stdout.write(`${out}\n`);
  } finally {
    await nodes?.remove();
    await cluster.stop();
  }
}

await main();
