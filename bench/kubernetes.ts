/**
 * Benchmarks of the Kubernetes backend, each against a bare client-node loop doing the same work on
 * the same cluster in the same run (docs/benchmarks.md, section "Kubernetes").
 *
 *   npm run bench:k8s [-- --runs 1000 --rss-runs 10000 --nodes 50 --concurrency 100 --warmup 20
 *                         --samples 10 --tier-a 1 --tier-b auto]
 *
 * Tier A (kwok): a cluster of test/cluster/ with fake nodes (or KUBECONFIG_APERTURE_BENCH, used as
 * is); the pods' logs come from bench/lib/k8s-fake-kubelet.ts. Tier B (a real kubelet node): a
 * second cluster with `up --real-node`, started after the first is gone (one real node per
 * machine), or KUBECONFIG_APERTURE_BENCH_REAL. Every flag is also APERTURE_BENCH_<FLAG>
 * (APERTURE_BENCH_RSS_RUNS, …). The table goes to stdout, progress to stderr.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { RunPodOptions } from '@aperture/backend-kubernetes';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  type Aperture,
  apertureHello,
  type Placement,
  startAperture,
  submitAndAwait,
} from './lib/k8s-aperture.ts';
import { bareHello, bareThroughput, Completions, type DoneWhen, startBareClient } from './lib/k8s-bare.ts';
import {
  benchNamespace,
  type ControllerManagerLoad,
  controllerManagerLoad,
  createFakeNodes,
  hasRealNode,
  openCluster,
  settle,
} from './lib/k8s-cluster.ts';
import { type FakeKubeletStats, spawnFakeKubelet } from './lib/k8s-fake-kubelet.ts';
import {
  type Counts,
  log,
  mb,
  minus,
  perRun,
  RequestCounts,
  rssAfterGc,
  summarise,
  table,
  totals,
  withProgress,
} from './lib/k8s-report.ts';
import { median } from './measure.ts';

const FLAGS = {
  runs: { type: 'string', default: '1000' },
  'rss-runs': { type: 'string', default: '10000' },
  nodes: { type: 'string', default: '50' },
  concurrency: { type: 'string', default: '100' },
  samples: { type: 'string', default: '10' },
  'tier-a': { type: 'string', default: '1' },
  'tier-b': { type: 'string', default: 'auto' },
  warmup: { type: 'string', default: '20' },
} as const;

function settings() {
  const { values } = parseArgs({ options: FLAGS, strict: true });
  const value = (name: keyof typeof FLAGS) =>
    process.env[`APERTURE_BENCH_${name.toUpperCase().replace('-', '_')}`] ?? values[name];
  const int = (name: keyof typeof FLAGS, min: number) => {
    const n = Number(value(name));
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be an integer ≥ ${min}, got ${value(name)}`);
    return n;
  };
  const tierB = value('tier-b');
  if (!['auto', '0', '1'].includes(tierB)) throw new Error(`--tier-b must be auto, 0 or 1, got ${tierB}`);
  const runs = int('runs', 1);
  const warmup = int('warmup', 0);
  return {
    runs,
    rssRuns: int('rss-runs', 0),
    nodes: int('nodes', 1),
    concurrency: int('concurrency', 1),
    samples: int('samples', 1),
    warmup,
    tierA: value('tier-a') !== '0',
    tierB: tierB as 'auto' | '0' | '1',
  };
}
type Settings = ReturnType<typeof settings>;

/** The executor's defaults for everything the bench does not set, so both sides render the same. */
function podOptions(namespace: string, instance: string, placement: Placement): RunPodOptions {
  return {
    namespace,
    instance,
    imagePrefix: 'localhost/',
    imagePullPolicy: 'Never',
    priorityClassName: undefined,
    runtimeClassName: undefined,
    imageArchitectures: {},
    defaultArchitectures: placement.defaultArchitectures,
    nodeSelector: placement.nodeSelector,
    tolerations: placement.tolerations,
    ttlSecondsAfterFinished: 300,
  };
}

interface BarePhase {
  ms: number;
  counts: Counts;
  /** Requests since the client started, warm-up included. */
  total: Counts;
  kcm: ControllerManagerLoad | undefined;
}

interface TierA {
  bare: Record<'jobComplete' | 'podSucceeded', BarePhase>;
  aperture: {
    ms: number;
    counts: Counts;
    total: Counts;
    notAccepted: number;
    rateLimited: number;
    kcm: ControllerManagerLoad | undefined;
  };
  rss: {
    start: number;
    afterRuns: number;
    afterRssRuns: number | undefined;
    heapAfter: number;
    totalRuns: number;
  };
  countsAfterRssRuns: Counts | undefined;
  kubelet: FakeKubeletStats;
}

async function completeRuns(aperture: Aperture, label: string, count: number, s: Settings) {
  let done = 0;
  const result = await withProgress(
    label,
    count,
    () => done,
    () =>
      submitAndAwait(aperture, {
        count,
        submitters: 4,
        waiters: s.concurrency,
        onDone: () => {
          done += 1;
        },
      }),
  );
  if (result.notAccepted.length > 0)
    log(
      `${label}: ${result.notAccepted.length} runs not accepted, e.g. ${JSON.stringify(result.notAccepted[0])}`,
    );
  return result;
}

function loadBetween(
  before: ControllerManagerLoad | undefined,
  after: ControllerManagerLoad | undefined,
): ControllerManagerLoad | undefined {
  if (!before || !after) return undefined;
  return {
    requests: after.requests - before.requests,
    rateLimitedSeconds: after.rateLimitedSeconds - before.rateLimitedSeconds,
  };
}

/** Warm-up, then `s.runs` bare Jobs; the namespace is empty again when it returns. */
async function bareRuns(
  kubeconfig: string,
  kc: KubeConfig,
  pod: RunPodOptions,
  doneWhen: DoneWhen,
  s: Settings,
): Promise<BarePhase> {
  const client = await startBareClient(kc, pod, doneWhen);
  try {
    await bareThroughput(client, s.warmup, s.concurrency, () => {});
    const before = client.counts.snapshot();
    const kcmBefore = await controllerManagerLoad(kubeconfig);
    let done = 0;
    const ms = await withProgress(
      `bare (${doneWhen})`,
      s.runs,
      () => done,
      () =>
        bareThroughput(client, s.runs, s.concurrency, () => {
          done += 1;
        }),
    );
    log(
      `bare (${doneWhen}): ${s.runs} Jobs in ${(ms / 1000).toFixed(1)} s; waiting for the garbage collector…`,
    );
    return {
      ms,
      counts: minus(client.counts.snapshot(), before),
      total: client.counts.snapshot(),
      kcm: loadBetween(kcmBefore, await controllerManagerLoad(kubeconfig)),
    };
  } finally {
    client.stop();
    await settle(kc, pod.namespace);
  }
}

async function tierA(s: Settings): Promise<TierA> {
  const existing = process.env['KUBECONFIG_APERTURE_BENCH'] || undefined;
  log(existing ? `Tier A on ${existing}` : 'Tier A: starting a cluster (test/cluster/up --nodes 0)…');
  const cluster = await openCluster(existing, ['--nodes', '0', '--real-node=0']);
  const cleanup: Array<() => Promise<void>> = [cluster.stop];
  try {
    const kc = cluster.kc;
    const ns = await benchNamespace(kc);
    cleanup.unshift(ns.remove);
    const kubelet = await spawnFakeKubelet(cluster.kubeconfig, ns.name);
    cleanup.unshift(kubelet.stop);
    const group = `bench-${randomBytes(3).toString('hex')}`;
    const nodes = await createFakeNodes(kc, group, s.nodes, kubelet.port);
    cleanup.unshift(nodes.remove);
    log(`${s.nodes} fake nodes Ready (kubelet endpoint 127.0.0.1:${kubelet.port}), namespace ${ns.name}`);
    const placement: Placement = {
      nodeSelector: nodes.selector,
      tolerations: [],
      defaultArchitectures: ['amd64'],
    };

    const bare = {
      jobComplete: await bareRuns(
        cluster.kubeconfig,
        kc,
        podOptions(ns.name, `${group}-bj`, placement),
        'job-complete',
        s,
      ),
      podSucceeded: await bareRuns(
        cluster.kubeconfig,
        kc,
        podOptions(ns.name, `${group}-bp`, placement),
        'pod-succeeded',
        s,
      ),
    };

    const aperture = await startAperture(kc, ns.name, group, placement, s.concurrency);
    cleanup.unshift(aperture.close);
    const rssStart = rssAfterGc();
    if (s.warmup > 0) await completeRuns(aperture, 'aperture warm-up', s.warmup, s);
    const before = aperture.executor.requests.snapshot();
    const kcmBefore = await controllerManagerLoad(cluster.kubeconfig);
    const measured = await completeRuns(aperture, 'aperture', s.runs, s);
    const counts = minus(aperture.executor.requests.snapshot(), before);
    const kcm = loadBetween(kcmBefore, await controllerManagerLoad(cluster.kubeconfig));
    const afterRuns = rssAfterGc();
    const heapAfter = process.memoryUsage().heapUsed;
    log(`aperture: ${s.runs} runs in ${(measured.ms / 1000).toFixed(1)} s, rss ${mb(afterRuns)}`);
    const rest = s.rssRuns - s.warmup - s.runs;
    let afterRssRuns: number | undefined;
    let countsAfterRssRuns: Counts | undefined;
    if (rest > 0) {
      await completeRuns(aperture, `aperture (to ${s.rssRuns})`, rest, s);
      afterRssRuns = rssAfterGc();
      countsAfterRssRuns = aperture.executor.requests.snapshot();
      log(`aperture: ${s.rssRuns} runs completed, rss ${mb(afterRssRuns)}`);
    }
    return {
      bare,
      aperture: {
        ms: measured.ms,
        counts,
        total: aperture.executor.requests.snapshot(),
        kcm,
        notAccepted: measured.notAccepted.length,
        rateLimited: measured.rateLimited,
      },
      rss: {
        start: rssStart,
        afterRuns,
        afterRssRuns,
        heapAfter,
        totalRuns: s.warmup + s.runs + Math.max(rest, 0),
      },
      countsAfterRssRuns,
      kubelet: await kubelet.stats(),
    };
  } finally {
    for (const step of cleanup) await step().catch((error) => log(`cleanup: ${(error as Error).message}`));
  }
}

interface TierB {
  /** Medians, ms. */
  bareJobComplete: number;
  barePodSucceeded: number;
  aperture: number;
  samples: number;
}

const REAL_PLACEMENT: Placement = {
  nodeSelector: { 'aperture.dev/node-kind': 'real' },
  tolerations: [{ key: 'aperture.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
  defaultArchitectures: [],
};

async function helloSamples(kc: KubeConfig, namespace: string, s: Settings): Promise<TierB> {
  const instance = `bench-${randomBytes(3).toString('hex')}`;
  const bare = (suffix: string, doneWhen: DoneWhen) => ({
    options: podOptions(namespace, `${instance}-${suffix}`, REAL_PLACEMENT),
    completions: new Completions(
      kc,
      namespace,
      `dev.aperture.instance=${instance}-${suffix}`,
      doneWhen,
      new RequestCounts(),
    ),
  });
  const jobComplete = bare('bj', 'job-complete');
  const podSucceeded = bare('bp', 'pod-succeeded');
  await Promise.all([jobComplete.completions.start(), podSucceeded.completions.start()]);
  const aperture = await startAperture(kc, namespace, instance, REAL_PLACEMENT, s.concurrency);
  try {
    const samples = { bj: [] as number[], bp: [] as number[], api: [] as number[] };
    // Interleaved, after one warm-up of each, so drift on this shared machine hits all alike.
    for (let i = 0; i <= s.samples; i++) {
      const bj = await bareHello(kc, jobComplete.options, jobComplete.completions);
      const bp = await bareHello(kc, podSucceeded.options, podSucceeded.completions);
      const api = await apertureHello(aperture);
      log(
        `Tier B sample ${i}${i === 0 ? ' (warm-up)' : ''}: bare (Job Complete) ${bj.toFixed(0)} ms, ` +
          `bare (pod Succeeded) ${bp.toFixed(0)} ms, Aperture ${api.toFixed(0)} ms`,
      );
      if (i === 0) continue;
      samples.bj.push(bj);
      samples.bp.push(bp);
      samples.api.push(api);
    }
    return {
      bareJobComplete: median(samples.bj),
      barePodSucceeded: median(samples.bp),
      aperture: median(samples.api),
      samples: s.samples,
    };
  } finally {
    jobComplete.completions.stop();
    podSucceeded.completions.stop();
    await aperture.close();
  }
}

async function tierB(s: Settings): Promise<TierB | string> {
  const existing = process.env['KUBECONFIG_APERTURE_BENCH_REAL'] || undefined;
  log(
    existing
      ? `Tier B on ${existing}`
      : `Tier B: starting a cluster (test/cluster/up --real-node=${s.tierB})…`,
  );
  let cluster: Awaited<ReturnType<typeof openCluster>>;
  try {
    cluster = await openCluster(existing, ['--nodes', '0', `--real-node=${s.tierB}`]);
  } catch (error) {
    return `no cluster with a real node: ${(error as Error).message}`;
  }
  try {
    if (!(await hasRealNode(cluster.kc)))
      return 'no real node (this machine cannot host one now; see the `up` message above)';
    const ns = await benchNamespace(cluster.kc);
    try {
      return await helloSamples(cluster.kc, ns.name, s);
    } finally {
      await ns.remove();
    }
  } finally {
    await cluster.stop();
  }
}

const f = (n: number, digits = 0) => n.toFixed(digits);

function tierARows(s: Settings, a: TierA): { rows: string[][]; notes: string[] } {
  const rate = (ms: number) => s.runs / (ms / 1000);
  const mine = summarise(a.aperture.counts);
  const bare = summarise(a.bare.podSucceeded.counts);
  const throughput = (phase: BarePhase, what: string) => [
    `(c) ${s.runs} hello runs, ${s.nodes} kwok nodes, ${s.concurrency} in flight: completions/s vs bare ${what}`,
    `${f(rate(phase.ms), 2)} /s (${f(phase.ms / 1000, 1)} s)`,
    `${f(rate(a.aperture.ms), 2)} /s (${f(a.aperture.ms / 1000, 1)} s)`,
    f(rate(a.aperture.ms) / rate(phase.ms), 2),
    '≥ 0.8',
  ];
  const listWatch = (during: Counts, total: Counts) =>
    `${summarise(during).listWatch} (since start: ${summarise(total).listWatch})`;
  const rows = [
    throughput(a.bare.jobComplete, 'waiting for Job Complete'),
    throughput(a.bare.podSucceeded, 'waiting for pod Succeeded'),
    [
      '(d) API writes per run (create/update/patch/delete)',
      f(bare.writes / s.runs, 2),
      f(mine.writes / s.runs, 2),
      '—',
      '≤ 5',
    ],
    ['(d) `get pods/log` per run', '0', f(mine.logReads / s.runs, 2), '—', '1'],
    [
      `(d) list + watch requests during the ${s.runs} runs`,
      listWatch(a.bare.podSucceeded.counts, a.bare.podSucceeded.total),
      listWatch(a.aperture.counts, a.aperture.total),
      '—',
      'no polling reads',
    ],
    [
      `(e) server RSS after ${a.rss.totalRuns} completed runs (bench process)`,
      '—',
      `${mb(a.rss.afterRssRuns ?? a.rss.afterRuns)} (at start ${mb(a.rss.start)}, after ${s.warmup + s.runs}: ${mb(a.rss.afterRuns)})`,
      '—',
      '—',
    ],
  ];
  const notes = [
    `- Aperture's requests in (c), per run: ${perRun(a.aperture.counts, s.runs)}.`,
    `- Bare client's requests in (c), per run: ${perRun(a.bare.podSucceeded.counts, s.runs)} (the same with Job Complete: ${perRun(a.bare.jobComplete.counts, s.runs)}).`,
    a.countsAfterRssRuns
      ? `- Aperture's requests since the server started (${a.rss.totalRuns} runs), totals: ${totals(a.countsAfterRssRuns)}.`
      : '',
    `- Runs not accepted: ${a.aperture.notAccepted}; 429s while submitting (500 queued per user): ${a.aperture.rateLimited}; heap used after (c): ${mb(a.rss.heapAfter)}.`,
    kcmNote(s, a),
    `- Fake kubelet: ${a.kubelet.logsServed} logs served, ${a.kubelet.logsFailed} failed, ${a.kubelet.fallbackGets} reads outside its informers, ${a.kubelet.informerConnects} watch connects.`,
  ];
  return { rows, notes };
}

function kcmNote(s: Settings, a: TierA): string {
  const one = (what: string, load: ControllerManagerLoad | undefined) =>
    load
      ? `${what} ${f(load.requests / s.runs, 1)} requests per run, ${f(load.rateLimitedSeconds, 0)} s waited in its client rate limiter`
      : '';
  const parts = [
    one('bare (Job Complete)', a.bare.jobComplete.kcm),
    one('bare (pod Succeeded)', a.bare.podSucceeded.kcm),
    one('Aperture', a.aperture.kcm),
  ].filter(Boolean);
  return parts.length > 0 ? `- kube-controller-manager during (c): ${parts.join('; ')}.` : '';
}

function tierBRows(b: TierB): string[][] {
  const latency = (bareMs: number, what: string) => [
    `(f) Tier B: hello-world Python on the real node, median of ${b.samples}, vs bare ${what}`,
    `${f(bareMs)} ms`,
    `${f(b.aperture)} ms`,
    f(b.aperture / bareMs, 2),
    '—',
  ];
  return [
    latency(b.bareJobComplete, 'Job Complete + log'),
    latency(b.barePodSucceeded, 'pod Succeeded + log'),
  ];
}

function report(s: Settings, a: TierA | undefined, b: TierB | string | undefined): string {
  const partA = a ? tierARows(s, a) : { rows: [], notes: [] };
  const rows = [...partA.rows, ...(b && typeof b !== 'string' ? tierBRows(b) : [])];
  const lines = [
    table(['benchmark', 'bare client-node', 'Aperture', 'ratio', 'goal'], rows),
    '',
    ...partA.notes,
    typeof b === 'string' ? `- Tier B not measured: ${b}.` : '',
    `- ${cpus().length} cores (availableParallelism ${availableParallelism()}), load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ${new Date().toISOString().slice(0, 10)}.`,
  ];
  return lines.filter(Boolean).join('\n');
}

async function main() {
  const s = settings();
  log(`settings: ${JSON.stringify(s)}`);
  const a = s.tierA ? await tierA(s) : undefined;
  const b = s.tierB === '0' ? undefined : await tierB(s);
  process.stdout.write(`${report(s, a, b)}\n`);
}

await main();
