/**
 * The Podman REST API executor against the CLI executor and bare `podman run`, in one run (these
 * machines are noisy; compare ratios, not times).
 *
 *   node --import tsx bench/api-vs-cli.ts [--pool]
 *
 * Latency: a Python hello world, one warm-up then SAMPLES each, sequential; the variants take turns
 * sample by sample so a load change on the machine hits all of them alike. Throughput: SUBMISSIONS
 * ten-test jobs at concurrency 2, in blocks of 10 with CLI and API taking turns, with the CPU the
 * Podman control plane spends per submission. `--pool` adds both executors with a warm pool.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PodmanApiRunExecutor, PodmanRunExecutor } from '@aperture/backend-podman';
import type { ExecutionResult, RunExecutor } from '@aperture/core';
import { pino } from 'pino';
import { file, requestFor, runOf, test } from '../packages/backend-contract/src/fixtures.ts';
import { BARE_FLAGS, exec, median, saturate, timed } from './measure.ts';

const IMAGE = 'localhost/aperture/runner-python:latest';
const HELLO = 'print("hello")';
const SAMPLES = 15;
const SUBMISSIONS = 40;
const CONCURRENCY = 2;
const TESTS = 10;
const SOLUTION = 'a, b = map(int, input().split())\nprint(a + b)';
const POOL = process.argv.includes('--pool');

const logger = pino({ level: 'silent' });
// Our own instance label: sweeps by other servers or test suites on this machine leave us alone.
const instance = `bench-${randomBytes(4).toString('hex')}`;
const options = (poolSize: number) => ({
  podmanPath: 'podman',
  instance,
  imagePrefix: 'localhost/',
  poolSize,
  poolLanguages: ['python'],
  logger,
});

async function bareHello(): Promise<void> {
  const { stdout } = await exec('podman', [...BARE_FLAGS, '--entrypoint', 'python3', IMAGE, '-c', HELLO]);
  if (stdout !== 'hello\n') throw new Error(`bare podman run printed ${JSON.stringify(stdout)}`);
}

/**
 * Infrastructure failures (a sandbox killed from outside: other suites share this machine's Podman)
 * are retried as the dispatcher would, within the same timed sample, and counted.
 */
const retries = new Map<string, number>();
async function withRetry(
  executor: RunExecutor,
  run: () => Promise<ExecutionResult>,
): Promise<ExecutionResult> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await run();
    if (outcome.kind !== 'infrastructure' || attempt === 3) return outcome;
    retries.set(executor.name, (retries.get(executor.name) ?? 0) + 1);
  }
}

async function executorHello(executor: RunExecutor): Promise<void> {
  const outcome = await withRetry(executor, () =>
    executor.execute(requestFor(runOf({ language: 'python', files: [file('main.py', HELLO)] }))),
  );
  if (outcome.kind !== 'result' || outcome.result.execution?.stdout !== 'hello\n')
    throw new Error(`${executor.name}: ${JSON.stringify(outcome).slice(0, 500)}`);
}

async function submission(executor: RunExecutor): Promise<void> {
  const run = runOf({
    language: 'python',
    files: [file('main.py', SOLUTION)],
    tests: Array.from({ length: TESTS }, (_, k) =>
      test(`t${k + 1}`, `${k + 1} ${k + 1}\n`, `${2 * (k + 1)}\n`),
    ),
  });
  const outcome = await withRetry(executor, () => executor.execute(requestFor(run)));
  if (outcome.kind !== 'result' || outcome.result.score !== TESTS)
    throw new Error(`${executor.name}: ${JSON.stringify(outcome).slice(0, 500)}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** utime + stime (+ cutime + cstime when `children`) of a process from /proc/<pid>/stat, in ms. */
function statCpuMs(pid: number | 'self', fields: number[]): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // rest[0] is field 3 (state)
  return fields.reduce((sum, field) => sum + Number(rest[field - 3]), 0) * TICK_MS;
}
const reapedChildrenCpuMs = () => statCpuMs('self', [16, 17]);
const processCpuMs = (pid: number) => statCpuMs(pid, [14, 15]);

/** The `podman system service` serving a socket (the API executor's own child). */
function servicePid(socketPath: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('system\0service') && cmdline.includes(socketPath)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no podman service for ${socketPath}`);
}

async function main(): Promise<void> {
  const cli = await PodmanRunExecutor.create(options(0));
  const api = await PodmanApiRunExecutor.create(options(0));
  const cliPool = POOL ? await PodmanRunExecutor.create(options(2)) : undefined;
  const apiPool = POOL ? await PodmanApiRunExecutor.create(options(2)) : undefined;
  const variants: Array<{ name: string; run: () => Promise<void>; pooled: boolean }> = [
    { name: '(a) bare podman run', run: bareHello, pooled: false },
    { name: '(b) PodmanRunExecutor (CLI)', run: () => executorHello(cli), pooled: false },
    { name: '(c) PodmanApiRunExecutor (API)', run: () => executorHello(api), pooled: false },
  ];
  if (cliPool && apiPool) {
    variants.push({ name: '(d) CLI + warm pool 2', run: () => executorHello(cliPool), pooled: true });
    variants.push({ name: '(e) API + warm pool 2', run: () => executorHello(apiPool), pooled: true });
    await sleep(5000); // let the pools fill
  }
  try {
    const samples = new Map(variants.map((v) => [v.name, [] as number[]]));
    for (let i = 0; i < SAMPLES + 1; i++) {
      for (const variant of variants) {
        const { ms } = await timed(variant.run);
        if (i > 0) samples.get(variant.name)!.push(ms); // the first run warms caches
        // A pool refills in the background; give it the time a real user's clicks would.
        if (variant.pooled) await sleep(800);
      }
    }
    const bare = median(samples.get(variants[0]!.name)!);
    const rows = variants.map((v) => {
      const values = samples.get(v.name)!;
      const m = median(values);
      return `| ${v.name} | ${m.toFixed(0)} | ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} | ${(m / bare).toFixed(2)}× |`;
    });

    const header = `Podman API vs CLI — ${new Date().toISOString()}, ${availableParallelism()} cores, ${SAMPLES} samples after 1 warm-up`;
    const latency = ['| Python hello world | median ms | range ms | × bare |', '|---|---|---|---|', ...rows];
    process.stdout.write(`${header}\n\n${latency.join('\n')}\n\n`);

    // Throughput: blocks of 10 submissions, CLI and API taking turns, so drifting load from other
    // work on the machine hits both alike. Also the CPU the Podman control plane spends per
    // submission: the `podman run` CLI processes (reaped children: our cutime + cstime) against
    // the API service process.
    const service = servicePid(api.socketPath);
    const wall = new Map<RunExecutor, number>([
      [cli, 0],
      [api, 0],
    ]);
    const cpu = new Map<RunExecutor, number>([
      [cli, 0],
      [api, 0],
    ]);
    await submission(cli); // warm-up
    await submission(api);
    const BLOCK = 10;
    for (let done = 0; done < SUBMISSIONS; done += BLOCK) {
      for (const executor of [cli, api]) {
        const before = executor === cli ? reapedChildrenCpuMs() : processCpuMs(service);
        const ms = await saturate(BLOCK, CONCURRENCY, () => submission(executor));
        const after = executor === cli ? reapedChildrenCpuMs() : processCpuMs(service);
        wall.set(executor, wall.get(executor)! + ms);
        cpu.set(executor, cpu.get(executor)! + after - before);
      }
    }
    const perSecond = [cli, api].map((e) => (SUBMISSIONS * 1000) / wall.get(e)!);
    const throughput = [cli, api].map(
      (e, i) =>
        `| ${e.name} | ${SUBMISSIONS} × ${TESTS} tests, concurrency ${CONCURRENCY} | ${(wall.get(e)! / 1000).toFixed(1)} s | ${perSecond[i]!.toFixed(2)} /s | ${(cpu.get(e)! / SUBMISSIONS).toFixed(0)} ms |`,
    );
    const lines = [
      '| executor | work | wall | submissions/s | Podman CLI / service CPU per submission |',
      '|---|---|---|---|---|',
      ...throughput,
      `| API / CLI | | | ${(perSecond[1]! / perSecond[0]!).toFixed(2)}× | |`,
      '',
      `infrastructure retries: ${JSON.stringify(Object.fromEntries(retries))}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.all([cli.close(), api.close(), cliPool?.close(), apiPool?.close()]);
  }
}

await main();
