/**
 * Benchmarks of the Podman path, each a ratio against bare `podman run` of the same image doing
 * the same work, measured in the same run (these machines are noisy; only ratios mean anything).
 *
 *   npm run bench [-- --quick]      writes docs/benchmarks.md and prints the table
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodmanApiRunExecutor } from '@aperture/backend-podman';
import { loadServerConfig, startServer } from '@aperture/server';
import { pino } from 'pino';
import { BARE_FLAGS, exec, median, saturate, timed } from './measure.ts';

const QUICK = process.argv.includes('--quick');
const TOKEN = 'bench-token-0123456789abcdef';
const IMAGE = 'localhost/aperture/runner-python:latest';
const HELLO = 'print("hello")';
const SAMPLES = QUICK ? 5 : 15;
const SUBMISSIONS = QUICK ? 40 : 200;
const TESTS = 10;
const CONCURRENCY = availableParallelism();
const SOLUTION = 'a, b = map(int, input().split())\nprint(a + b)';

function bareHello() {
  return exec('podman', [...BARE_FLAGS, '--entrypoint', 'python3', IMAGE, '-c', HELLO]);
}

/** Same work as one submission: write the solution, run it on 10 inputs, compare outputs. */
function bareSubmission() {
  const script = [
    `cat > main.py <<'PY'\n${SOLUTION}\nPY`,
    `for i in $(seq 1 ${TESTS}); do out=$(echo "$i $i" | python3 main.py); [ "$out" = "$((i + i))" ] || exit 1; done`,
    'echo ok',
  ].join('\n');
  return exec('podman', [...BARE_FLAGS, '--entrypoint', 'sh', IMAGE, '-c', script]);
}

async function startAperture(poolSize: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'aperture-bench-'));
  const logger = pino({ level: 'silent' });
  const executor = await PodmanApiRunExecutor.create({
    podmanPath: 'podman',
    imagePrefix: 'localhost/',
    poolSize,
    poolLanguages: ['python'],
    logger,
    instance: `bench-${process.pid}`,
  });
  const server = await startServer(
    loadServerConfig(
      {
        port: 0,
        dataDir,
        logLevel: 'silent',
        bootstrapToken: TOKEN,
        concurrency: CONCURRENCY,
        poolSize,
        // One user sends every run here: no slot kept for a newcomer, so it may use all of them
        // and the bench measures the machine, as bare Podman does, not the fair share.
        reservedSlots: 0,
      },
      {},
    ),
    { executor, logger: false },
  );
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { verdict?: string; status?: string; id: string };
    return json;
  };
  const get = async (path: string) =>
    (await (
      await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { verdict: string; status: string };
  return {
    post,
    get,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function helloLatency(poolSize: number): Promise<number> {
  const aperture = await startAperture(poolSize);
  try {
    if (poolSize > 0) await new Promise((resolve) => setTimeout(resolve, 4000)); // let the pool fill
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES + 1; i++) {
      const { ms, value } = await timed(() =>
        aperture.post('/api/v1/runs?wait=true', {
          language: 'python',
          files: [{ path: 'main.py', content: HELLO }],
        }),
      );
      if (value.verdict !== 'accepted') throw new Error(`hello run ended ${JSON.stringify(value)}`);
      if (i > 0) samples.push(ms); // the first run warms caches on both sides
      if (poolSize > 0) await new Promise((resolve) => setTimeout(resolve, 600)); // pool refill, as between real clicks
    }
    return median(samples);
  } finally {
    await aperture.close();
  }
}

async function bareHelloLatency(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES + 1; i++) {
    const { ms, value } = await timed(bareHello);
    if (value.stdout !== 'hello\n') throw new Error('bare podman run failed');
    if (i > 0) samples.push(ms);
  }
  return median(samples);
}

async function submissionThroughput(poolSize: number): Promise<{ perSecond: number; ms: number }> {
  const aperture = await startAperture(poolSize);
  try {
    const course = await aperture.post('/api/v1/courses', { code: 'BENCH', title: 'Bench' });
    const assignment = await aperture.post(`/api/v1/courses/${course.id}/assignments`, {
      slug: 'sum',
      title: 'Sum',
      languages: ['python'],
      tests: Array.from({ length: TESTS }, (_, k) => ({
        name: `t${k + 1}`,
        stdin: `${k + 1} ${k + 1}\n`,
        expectedOutput: `${2 * (k + 1)}\n`,
      })),
    });
    const { ms } = await timed(async () => {
      const ids: string[] = [];
      for (let i = 0; i < SUBMISSIONS; i++) {
        const run = await aperture.post(`/api/v1/assignments/${assignment.id}/submissions`, {
          language: 'python',
          files: [{ path: 'main.py', content: SOLUTION }],
        });
        ids.push(run.id);
      }
      for (const id of ids) {
        const run = await aperture.get(`/api/v1/runs/${id}?wait=true`);
        if (run.verdict !== 'accepted')
          throw new Error(`submission ${id} ended ${run.status} ${run.verdict}`);
      }
    });
    return { perSecond: SUBMISSIONS / (ms / 1000), ms };
  } finally {
    await aperture.close();
  }
}

async function bareThroughput(): Promise<{ perSecond: number; ms: number }> {
  const ms = await saturate(SUBMISSIONS, CONCURRENCY, async () => {
    const { stdout } = await bareSubmission();
    if (stdout !== 'ok\n') throw new Error('bare submission failed');
  });
  return { perSecond: SUBMISSIONS / (ms / 1000), ms };
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main() {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`bench: ${SAMPLES} samples, ${SUBMISSIONS} submissions × ${TESTS} tests, concurrency ${CONCURRENCY}`);
  log('bench: bare podman run (hello)…');
  const bare = await bareHelloLatency();
  log('bench: Aperture cold (hello)…');
  const cold = await helloLatency(0);
  log('bench: Aperture warm pool (hello)…');
  const warm = await helloLatency(2);
  log('bench: bare podman throughput…');
  const bareRate = await bareThroughput();
  log('bench: Aperture throughput (cold)…');
  const rate = await submissionThroughput(0);
  log('bench: Aperture throughput (warm pool, as scripts/start.sh runs it)…');
  const ratePool = await submissionThroughput(2);

  const rows = [
    [
      '(a) hello-world Python, median latency',
      `${fmt(bare)} ms`,
      `${fmt(cold)} ms (cold)`,
      fmt(cold / bare, 2),
      '≤ 1.1',
    ],
    ['(a) same, warm pool', `${fmt(bare)} ms`, `${fmt(warm)} ms (pool)`, fmt(warm / bare, 2), '≤ 0.5'],
    [
      `(b) ${SUBMISSIONS} submissions × ${TESTS} tests, completions/s`,
      `${fmt(bareRate.perSecond, 2)} /s`,
      `${fmt(rate.perSecond, 2)} /s (cold)`,
      fmt(rate.perSecond / bareRate.perSecond, 2),
      '≥ 1.0',
    ],
    [
      '(b) same, warm pool of 2 (as scripts/start.sh runs)',
      `${fmt(bareRate.perSecond, 2)} /s`,
      `${fmt(ratePool.perSecond, 2)} /s (pool)`,
      fmt(ratePool.perSecond / bareRate.perSecond, 2),
      '≥ 1.0',
    ],
  ];
  const table = [
    '| benchmark | bare podman | Aperture | ratio | goal |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const doc = `# Benchmarks

Measured by \`npm run bench\` (\`bench/run.ts\`, the default backend: Podman's REST API) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores,
${CONCURRENCY} runs at once, ${QUICK ? 'quick mode' : 'full mode'}. Ratios compare Aperture with a bare \`podman run\` of the
same image, with the same isolation flags, doing the same work, in the same run. Times alone mean little on
these shared machines; the ratios are the result.

${table}

- (a) One \`POST /api/v1/runs?wait=true\` of \`print("hello")\` — HTTP, database, queue, sandbox start, harness,
  result parsing — against \`podman run --rm … --entrypoint python3 runner-python -c 'print("hello")'\`.
  Median of ${SAMPLES} after one warm-up each. With the warm pool, the sandbox was started before the request.
- (b) ${SUBMISSIONS} submissions of a correct solution to a ${TESTS}-test assignment, all posted, then awaited; against
  ${SUBMISSIONS} bare \`podman run\`s of a shell script running the same solution on the same ${TESTS} inputs and comparing,
  ${CONCURRENCY} at a time.

## Where the time goes (2026-12-07, ADR 0006: the isolated engine)

- **Warm pool = reuse.** In the isolated mode a pool sandbox serves many runs (up to 100), so with a
  pool as large as the concurrency no container is created or removed on a run's path: (a) with the
  pool and (b) with the pool pay only the API, the queue, the harness and one \`runlimit --isolate\`
  per execution (fresh namespaces, cgroups and tmpfs: ≈ 15–20 ms, measured in
  \`../shared/research/sandbox.md\` §7). \`npm run bench:peer\` compares this path with go-judge.
- **Cold** (no pool) is a container per run, and the isolated container costs more to start than
  bare podman's: its own user namespace (\`--uidmap\`, ≈ +80–100 ms per \`podman run\` here), the
  delegated cgroup box made before and removed after it, and Node starting the harness. Only runs
  whose limits differ from the language's defaults, or runs beyond the pool's size, take this path.
`;
  const path = new URL('../docs/benchmarks.md', import.meta.url);
  // The Kubernetes section is written by bench/kubernetes.ts (npm run bench:k8s): keep it.
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const kubernetes = previous.indexOf('\n## Kubernetes');
  writeFileSync(path, kubernetes >= 0 ? `${doc}${previous.slice(kubernetes)}` : doc);
  process.stdout.write(`${table}\n`);
}

await main();
