/**
 * Issue 12's load test: simulated students submit and poll while a fuzzer sends hostile bodies,
 * against a real server process (SQLite, Podman running our images) on loopback. It reports the
 * latency of a normal request idle and under load (p50, p99, and their ratio, measured in the same
 * run), the server's RSS over time, and every crash or 5xx (the target: none).
 *
 *   npm run bench:load [-- --students 200 --seconds 240 --quick]   prints a Markdown section
 *
 * Bounded: loopback only, a fixed number of students, a fixed duration, at most one request in
 * flight per simulated student and a fixed rate for the fuzzer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type HostileRequest, hostileRequests } from '../apps/server/src/testing/hostile-bodies.ts';
import { freePort } from './lib/go-judge.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const QUICK = process.argv.includes('--quick');
const STUDENTS = arg('students', QUICK ? 50 : 200);
const SECONDS = arg('seconds', QUICK ? 60 : 240);
const IDLE_SECONDS = QUICK ? 10 : 30;
/** Hostile requests per second, next to the students. */
const FUZZ_RATE = 20;
const TOKEN = 'bench-load-token-0123456789abcdef';
const PASSWORD = 'load test passphrase 7';
const COURSE = 'DEMO101';
const PROGRAM = 'print("Hello, World!")';

interface Sample {
  at: number;
  ms: number;
}

class Recorder {
  readonly normal: Sample[] = [];
  readonly failures: string[] = [];
  fuzzSent = 0;
  fuzzStatuses = new Map<number, number>();
  submissions = 0;
  refusedByFairShare = 0;
  completedRuns = 0;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aperture-load-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(port, dataDir);
  let crashed = false;
  let stopping = false;
  server.once('exit', (code, signal) => {
    if (stopping) return;
    crashed = true;
    console.error(`THE SERVER EXITED (code ${code}, signal ${signal})`);
  });
  try {
    await healthy(base);
    process.stderr.write(`server up at ${base}; creating ${STUDENTS} students…\n`);
    const tokens = await createStudents(base);
    const assignment = (await api(base, tokens[0]!, 'GET', `/api/v1/courses/${COURSE}/assignments/hello`))
      .body.id as string;

    process.stderr.write(`idle baseline (${IDLE_SECONDS} s)…\n`);
    const idle = new Recorder();
    const finished = await firstGradedRun(base, tokens[0]!, assignment);
    await runFor(IDLE_SECONDS, (stop) => [prober(base, tokens[0]!, finished, idle, stop)]);

    process.stderr.write(`load: ${STUDENTS} students and a fuzzer at ${FUZZ_RATE}/s for ${SECONDS} s…\n`);
    const load = new Recorder();
    const rss: Array<{ at: number; mib: number }> = [];
    const started = Date.now();
    const sampler = setInterval(
      () => rss.push({ at: (Date.now() - started) / 1000, mib: rssMiB(server.pid!) }),
      2_000,
    );
    await runFor(SECONDS, (stop) => [
      ...tokens.map((token, i) => student(base, token, assignment, load, stop, i)),
      fuzzer(base, tokens[1]!, load, stop),
    ]);
    clearInterval(sampler);
    const report = reportOf(idle, load, rss, crashed);
    console.log(report);
  } finally {
    stopping = true;
    server.kill('SIGTERM');
    await new Promise((done) => server.once('exit', done).once('error', done));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function startServer(port: number, dataDir: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/testing/server-process.ts'], {
    env: {
      ...process.env,
      APERTURE_PORT: String(port),
      APERTURE_DATA_DIR: dataDir,
      APERTURE_BOOTSTRAP_TOKEN: TOKEN,
      APERTURE_SEED_DEMO: 'true',
      APERTURE_POOL_SIZE: '2',
      APERTURE_POOL_LANGUAGES: 'python',
      APERTURE_INSTANCE: `load-${process.pid}`,
      APERTURE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Accounts with passwords (admin API), enrolled by a roster import, each signed in for a token. */
async function createStudents(base: string): Promise<string[]> {
  const names = Array.from({ length: STUDENTS }, (_, i) => `load${String(i).padStart(4, '0')}`);
  for (const username of names) {
    const created = await api(base, TOKEN, 'POST', '/api/v1/users', { username, password: PASSWORD });
    if (created.status !== 201)
      throw new Error(`creating ${username}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const roster = await api(base, TOKEN, 'POST', `/api/v1/courses/${COURSE}/roster`, {
    csv: `username\n${names.join('\n')}\n`,
  });
  if (roster.status >= 300) throw new Error(`roster: ${roster.status} ${JSON.stringify(roster.body)}`);
  const tokens: string[] = [];
  for (const username of names) {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const created = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ name: 'load' }),
    });
    tokens.push(((await created.json()) as { token: string }).token);
  }
  return tokens;
}

/** One student: submit, poll every second until graded, read the assignment list, think, again. */
async function student(
  base: string,
  token: string,
  assignment: string,
  recorder: Recorder,
  stop: () => boolean,
  seed: number,
): Promise<void> {
  let random = seed + 1;
  const think = () => {
    random = (random * 48271) % 2147483647;
    return 3_000 + (random % 9_000);
  };
  await sleep(think() % 5_000); // do not all start in the same millisecond
  while (!stop()) {
    recorder.submissions++;
    const created = await api(base, token, 'POST', `/api/v1/assignments/${assignment}/submissions`, {
      language: 'python',
      files: [{ path: 'main.py', content: PROGRAM }],
    });
    if (created.status === 429) recorder.refusedByFairShare++;
    else if (created.status !== 202) recorder.failures.push(`submission → ${created.status}`);
    else {
      for (let polls = 0; polls < 300 && !stop(); polls++) {
        await sleep(1_000);
        const polled = await timedApi(base, token, 'GET', `/api/v1/runs/${created.body.id}`, recorder);
        if (polled?.body?.status === 'completed' || polled?.body?.status === 'failed') {
          recorder.completedRuns++;
          break;
        }
      }
    }
    await timedApi(base, token, 'GET', `/api/v1/courses/${COURSE}/assignments`, recorder);
    await sleep(think());
  }
}

/** One submission, waited for: the run the idle baseline polls. */
async function firstGradedRun(base: string, token: string, assignment: string): Promise<string> {
  const created = await api(base, token, 'POST', `/api/v1/assignments/${assignment}/submissions`, {
    language: 'python',
    files: [{ path: 'main.py', content: PROGRAM }],
  });
  await api(base, token, 'GET', `/api/v1/runs/${created.body.id}?wait=true`);
  return created.body.id as string;
}

/** The idle baseline: the students' two normal requests, one after another, on a quiet server. */
async function prober(base: string, token: string, runId: string, recorder: Recorder, stop: () => boolean) {
  while (!stop()) {
    await timedApi(base, token, 'GET', `/api/v1/runs/${runId}`, recorder);
    await timedApi(base, token, 'GET', `/api/v1/courses/${COURSE}/assignments`, recorder);
    await sleep(50);
  }
}

/** Hostile bodies on the routes a student can reach, at a fixed rate. */
async function fuzzer(base: string, token: string, recorder: Recorder, stop: () => boolean): Promise<void> {
  const targets: Array<[string, string, Record<string, unknown> | undefined]> = [
    ['POST', '/api/v1/labs/validate', { text: 'kind: LabTemplate' }],
    ['POST', '/api/v1/runs', { language: 'python', files: [{ path: 'main.py', content: 'print(1)' }] }],
    ['POST', '/api/v1/runs/batch', undefined],
    ['POST', `/api/v1/courses/${COURSE}/roster`, undefined],
    ['POST', '/api/v1/tokens', { name: 'x' }],
    ['POST', '/api/v1/auth/login', { username: 'load0001', password: 'wrong guess' }],
  ];
  const bodies = fc.sample(hostileRequests(undefined), { numRuns: 400, seed: 1208 });
  let i = 0;
  while (!stop()) {
    const [method, path] = targets[i % targets.length]!;
    const request: HostileRequest = bodies[i % bodies.length]!;
    i++;
    const started = Date.now();
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(request.contentType ? { 'content-type': request.contentType } : {}),
        },
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      recorder.fuzzStatuses.set(response.status, (recorder.fuzzStatuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500 && response.status !== 503)
        recorder.failures.push(`fuzz ${method} ${path} (${request.label}) → ${response.status}`);
    } catch (error) {
      recorder.failures.push(`fuzz ${method} ${path} (${request.label}): ${(error as Error).message}`);
    }
    recorder.fuzzSent++;
    await sleep(Math.max(0, 1_000 / FUZZ_RATE - (Date.now() - started)));
  }
}

async function runFor(seconds: number, workers: (stop: () => boolean) => Promise<void>[]): Promise<void> {
  const until = Date.now() + seconds * 1_000;
  await Promise.all(workers(() => Date.now() >= until));
}

async function timedApi(base: string, token: string, method: string, path: string, recorder: Recorder) {
  const started = performance.now();
  const response = await api(base, token, method, path).catch((error: Error) => {
    recorder.failures.push(`${method} ${path}: ${error.message}`);
    return undefined;
  });
  if (!response) return undefined;
  recorder.normal.push({ at: Date.now(), ms: performance.now() - started });
  if (response.status >= 500) recorder.failures.push(`${method} ${path} → ${response.status}`);
  return response;
}

async function api(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function healthy(base: string): Promise<void> {
  for (let i = 0; i < 360; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(250);
  }
  throw new Error('the server did not start within 90 s');
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function reportOf(
  idle: Recorder,
  load: Recorder,
  rss: Array<{ at: number; mib: number }>,
  crashed: boolean,
): string {
  const ms = (r: Recorder) => r.normal.map((s) => s.ms);
  const row = (name: string, r: Recorder) =>
    `| ${name} | ${r.normal.length} | ${percentile(ms(r), 50).toFixed(1)} | ${percentile(ms(r), 99).toFixed(1)} |`;
  const p50 = percentile(ms(load), 50) / percentile(ms(idle), 50);
  const p99 = percentile(ms(load), 99) / percentile(ms(idle), 99);
  const quarter = Math.max(1, Math.floor(rss.length / 4));
  const rssLine = rss
    .filter((_, i) => i % quarter === 0 || i === rss.length - 1)
    .map((s) => `${s.at.toFixed(0)} s: ${s.mib} MiB`);
  const statuses = [...load.fuzzStatuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(', ');
  return [
    `## Load: ${STUDENTS} students and a fuzzer (${new Date().toISOString().slice(0, 10)}, ${SECONDS} s)`,
    '',
    'A normal request is a student polling their run or reading the assignment list (Bearer token).',
    '',
    '| phase | normal requests | p50 ms | p99 ms |',
    '|---|---|---|---|',
    row('idle (one client, the same two requests)', idle),
    row(`load (${STUDENTS} students + ${FUZZ_RATE}/s hostile)`, load),
    `| load ÷ idle | | ${p50.toFixed(2)}× | ${p99.toFixed(2)}× |`,
    '',
    `- Submissions: ${load.submissions} (${load.completedRuns} graded and read back, ${load.refusedByFairShare} refused by the per-user cap)`,
    `- Hostile requests: ${load.fuzzSent} (${statuses})`,
    `- Server RSS: ${rssLine.join(' → ')}; max ${Math.max(...rss.map((s) => s.mib))} MiB`,
    `- Crashes: ${crashed ? 1 : 0}; 5xx or no answer: ${load.failures.length}${load.failures.length ? ` (${load.failures.slice(0, 5).join('; ')})` : ''}`,
  ].join('\n');
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

await main();
