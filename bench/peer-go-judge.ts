/**
 * Aperture side by side with go-judge v1.8.5 (a peer judge sandbox: Go, namespaces + cgroups, no
 * container images) and bare `podman run`, in one run: samples alternate between the three, the
 * order rotating each round, and the table has medians and ratios to go-judge. Times alone mean
 * little on these shared machines; the ratios are the result.
 *
 *   npm run bench:peer [-- --quick]    writes its section of docs/benchmarks.md and prints the table
 *
 * go-judge is built from its Go module by bench/lib/build-go-judge.sh (cached in
 * ~/.cache/aperture/go-judge/v1.8.5/), started on 127.0.0.1 and stopped at the end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodmanApiRunExecutor } from '@aperture/backend-podman';
import { loadServerConfig, startServer } from '@aperture/server';
import { pino } from 'pino';
import {
  buildGoJudge,
  COMPILE_LIMITS,
  cmd,
  GO_JUDGE_VERSION,
  GoJudge,
  type GoJudgeResult,
} from './lib/go-judge.ts';
import { BARE_FLAGS, exec, median, saturate, timed } from './measure.ts';

const QUICK = process.argv.includes('--quick');
const TOKEN = 'bench-token-0123456789abcdef';
const INSTANCE = `bench-peer-${process.pid}`;
const PYTHON_IMAGE = 'localhost/aperture/runner-python:latest';
const C_IMAGE = 'localhost/aperture/runner-c:latest';
const CONCURRENCY = availableParallelism();
const POOL_SIZE = 2;
const HELLO = 'print("hello")';
const LOOP = 'i = 0\nwhile i < 5_000_000:\n    i += 1\nprint(i)';
const LOOP_OUT = '5000000\n';
const C_SOURCE = [
  '#include <stdio.h>',
  'int main(void) {',
  '  long a, b;',
  '  if (scanf("%ld %ld", &a, &b) != 2) return 1;',
  '  printf("%ld\\n", a + b);',
  '  return 0;',
  '}',
  '',
].join('\n');
/** Aperture's C compile command (core/domain/languages.ts), used by all three sides. */
const GCC = ['gcc', '-O2', '-std=gnu17', '-pipe', '-o', 'main', 'main.c', '-lm'];
const TESTS = Array.from({ length: 10 }, (_, k) => ({ stdin: `${k + 1} ${k + 2}\n`, out: `${2 * k + 3}\n` }));

const HELLO_SAMPLES = QUICK ? 5 : 15;
const THROUGHPUT_RUNS = 40;
const THROUGHPUT_IN_FLIGHT = 2;
const THROUGHPUT_ROUNDS = QUICK ? 1 : 3;
const C_SAMPLES = QUICK ? 3 : 9;
const LOOP_SAMPLES = QUICK ? 3 : 9;

const SIDES = ['go-judge', 'aperture', 'podman'] as const;
type Side = (typeof SIDES)[number];
/** One run, end to end; resolves with the program's CPU time in ms where the sandbox reports one. */
type Job = () => Promise<number | undefined>;

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- go-judge side

function expectAccepted(results: GoJudgeResult[], stdout: string, what: string): GoJudgeResult {
  const result = results[0];
  if (result?.status !== 'Accepted' || result.files?.['stdout'] !== stdout)
    throw new Error(`go-judge ${what}: ${JSON.stringify(results).slice(0, 500)}`);
  return result;
}

function goJudgeJobs(judge: GoJudge) {
  const python = (source: string, stdout: string, what: string) => async () => {
    const result = expectAccepted(
      await judge.run([
        cmd(['/usr/bin/python3', '-u', 'main.py'], '', { copyIn: { 'main.py': { content: source } } }),
      ]),
      stdout,
      what,
    );
    return result.time / 1e6; // CPU time, ns
  };
  return {
    hello: python(HELLO, 'hello\n', 'hello'),
    loop: python(LOOP, LOOP_OUT, 'loop'),
    /** One /run compiling with the binary kept in go-judge's file store, then one /run per test. */
    c: async () => {
      const [compiled] = await judge.run([
        cmd(
          GCC.map((a, i) => (i === 0 ? `/usr/bin/${a}` : a)),
          '',
          {
            ...COMPILE_LIMITS,
            copyIn: { 'main.c': { content: C_SOURCE } },
            copyOutCached: ['main'],
          },
        ),
      ]);
      const fileId = compiled?.fileIds?.['main'];
      if (compiled?.status !== 'Accepted' || !fileId)
        throw new Error(`go-judge compile: ${JSON.stringify(compiled).slice(0, 500)}`);
      try {
        for (const test of TESTS) {
          const results = await judge.run([cmd(['main'], test.stdin, { copyIn: { main: { fileId } } })]);
          expectAccepted(results, test.out, 'C test');
        }
      } finally {
        await judge.deleteFile(fileId);
      }
      return undefined;
    },
  };
}

// ---------------------------------------------------------------- Aperture side

interface RunAnswer {
  id?: string;
  /** The program's CPU time, ms (runs without tests). */
  timeMs?: number;
  status?: string;
  verdict?: string;
  stdout?: string;
}

async function startAperture() {
  const dataDir = mkdtempSync(join(tmpdir(), 'aperture-bench-peer-'));
  const logger = pino({ level: 'silent' });
  let executor: PodmanApiRunExecutor | undefined;
  try {
    executor = await PodmanApiRunExecutor.create({
      podmanPath: 'podman',
      imagePrefix: 'localhost/',
      poolSize: POOL_SIZE,
      poolLanguages: ['python', 'c'],
      logger,
      instance: INSTANCE,
    });
    const server = await startServer(
      loadServerConfig(
        {
          host: '127.0.0.1',
          port: 0,
          dataDir,
          logLevel: 'silent',
          bootstrapToken: TOKEN,
          concurrency: CONCURRENCY,
          poolSize: POOL_SIZE,
          // One user sends every run: let it use every slot, as go-judge does (no fair-share reserve).
          reservedSlots: 0,
        },
        {},
      ),
      { executor, logger: false },
    );
    const ownExecutor = executor;
    const run = async (body: unknown): Promise<RunAnswer> => {
      const response = await fetch(`${server.url}/api/v1/runs?wait=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as RunAnswer;
    };
    /** Resolves when every pool lane is full again (a taken sandbox is replaced in the background). */
    const poolFull = async (timeoutMs = 20_000): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const health = await ownExecutor.health();
        const pool = (health.details as { pool?: Array<{ idle: number; size: number }> } | undefined)?.pool;
        if (pool?.every((lane) => lane.idle >= lane.size)) return true;
        await sleep(100);
      }
      return false;
    };
    return {
      run,
      poolFull,
      executor: ownExecutor,
      close: async () => {
        await server.close(); // closes the executor too
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await executor?.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
type Aperture = Awaited<ReturnType<typeof startAperture>>;

/** Every run Aperture answered in this bench, warm-ups included: to count the containers it started. */
const apertureRuns = new Set<string>();

function apertureJobs(aperture: Aperture) {
  // Like the other two sides: a run counts only when it printed what it should.
  const accepted = (answer: RunAnswer, what: string, stdout?: string) => {
    if (answer.id) apertureRuns.add(answer.id);
    if (answer.verdict !== 'accepted' || (stdout !== undefined && answer.stdout !== stdout))
      throw new Error(`Aperture ${what}: ${JSON.stringify(answer).slice(0, 500)}`);
    return answer.timeMs;
  };
  const python = (source: string, stdout: string, what: string) => async () =>
    accepted(
      await aperture.run({ language: 'python', files: [{ path: 'main.py', content: source }] }),
      what,
      stdout,
    );
  return {
    hello: python(HELLO, 'hello\n', 'hello'),
    loop: python(LOOP, LOOP_OUT, 'loop'),
    c: async () =>
      accepted(
        await aperture.run({
          language: 'c',
          files: [{ path: 'main.c', content: C_SOURCE }],
          tests: TESTS.map((t, k) => ({ name: `t${k + 1}`, stdin: t.stdin, expectedOutput: t.out })),
        }),
        'C compile + tests',
      ),
  };
}

// ---------------------------------------------------------------- bare podman side

const C_SCRIPT = [
  `cat > main.c <<'EOF'\n${C_SOURCE}EOF`,
  GCC.join(' ') + ' || exit 1',
  ...TESTS.map((t) => `[ "$(printf '${t.stdin.trim()}\\n' | ./main)" = "${t.out.trim()}" ] || exit 1`),
  'echo ok',
].join('\n');

const BARE_COMMANDS = {
  hello: [...BARE_FLAGS, '--entrypoint', 'python3', PYTHON_IMAGE, '-c', HELLO],
  loop: [...BARE_FLAGS, '--entrypoint', 'python3', PYTHON_IMAGE, '-c', LOOP],
  c: [...BARE_FLAGS, '--entrypoint', 'sh', C_IMAGE, '-c', C_SCRIPT],
};

function podmanJobs() {
  const bare = (args: string[], stdout: string, what: string) => async () => {
    const result = await exec('podman', args);
    if (result.code !== 0 || result.stdout !== stdout)
      throw new Error(`bare podman ${what}: exit ${result.code}, stdout ${JSON.stringify(result.stdout)}`);
    return undefined;
  };
  return {
    hello: bare(BARE_COMMANDS.hello, 'hello\n', 'hello'),
    loop: bare(BARE_COMMANDS.loop, LOOP_OUT, 'loop'),
    c: bare(BARE_COMMANDS.c, 'ok\n', 'C compile + tests'),
  };
}

// ---------------------------------------------------------------- alternation

type Sides = Partial<Record<Side, { hello: Job; loop: Job; c: Job }>>;
interface Outcome {
  samples: number[];
  error?: string;
}
type Outcomes = Record<Side, Outcome>;

/**
 * `rounds` samples per side after one warm-up each, the order rotating each round (go-judge,
 * Aperture, podman; then Aperture, podman, go-judge; …) so that no side always follows another.
 * A side that fails is reported and left out of the rest of this benchmark; the others go on.
 */
async function alternate(
  name: string,
  sides: Sides,
  rounds: number,
  sample: (side: Side, job: { hello: Job; loop: Job; c: Job }, counted: boolean) => Promise<number>,
  settle: () => Promise<void>,
): Promise<Outcomes> {
  const outcomes = Object.fromEntries(SIDES.map((s) => [s, { samples: [] }])) as unknown as Outcomes;
  for (let round = -1; round < rounds; round++) {
    const order = SIDES.map((_, i) => SIDES[(i + Math.max(round, 0)) % SIDES.length]!);
    for (const side of order) {
      const jobs = sides[side];
      if (!jobs || outcomes[side].error) continue;
      try {
        const value = await sample(side, jobs, round >= 0);
        if (round >= 0) outcomes[side].samples.push(value); // round -1 warms caches on every side
      } catch (error) {
        outcomes[side].error = (error as Error).message;
        log(`bench:peer: ${name}: ${side} failed: ${outcomes[side].error}`);
      }
      await settle();
    }
    if (round >= 0) log(`bench:peer: ${name}: round ${round + 1}/${rounds}`);
  }
  return outcomes;
}

// ---------------------------------------------------------------- memory

function podman(args: string[]): string {
  return execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function parseBytes(text: string): number {
  const match = /([\d.]+)\s*([kKMGT]?i?B)/.exec(text);
  if (!match) return Number.NaN;
  const unit = match[2]!.toLowerCase();
  const power = { b: 0, kb: 1, kib: 1, mb: 2, mib: 2, gb: 3, gib: 3, tb: 4, tib: 4 }[unit] ?? 0;
  const base = unit.includes('i') ? 1024 : 1000;
  return Number(match[1]) * base ** power;
}

function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** conmon (Podman's per-container monitor) of each container id, by its command line. */
function conmonRss(ids: string[]): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'conmon') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ids.some((id) => cmdline.includes(id))) total += rssOf(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

interface PoolMemory {
  sandboxes: Array<{ name: string; image: string; bytes: number }>;
  conmonBytes: number;
  serviceBytes: number;
  error?: string;
}

function poolMemory(aperture: Aperture): PoolMemory {
  const serviceBytes = aperture.executor.ownService?.pid ? rssOf(aperture.executor.ownService.pid) : 0;
  try {
    const listed = JSON.parse(
      podman(['ps', '--format', 'json', '--filter', `label=dev.aperture.instance=${INSTANCE}`]),
    ) as Array<{ Id: string; Names: string[]; Image: string }>;
    if (listed.length === 0)
      return { sandboxes: [], conmonBytes: 0, serviceBytes, error: 'no pool container' };
    const stats = JSON.parse(
      podman(['stats', '--no-stream', '--format', 'json', ...listed.map((c) => c.Id)]),
    ) as Array<{ id: string; name: string; mem_usage: string }>;
    const sandboxes = stats.map((s) => ({
      name: s.name,
      image: listed.find((c) => c.Id.startsWith(s.id))?.Image ?? '?',
      bytes: parseBytes(s.mem_usage.split('/')[0] ?? ''),
    }));
    return {
      sandboxes,
      conmonBytes: conmonRss(listed.map((c) => c.Id)),
      serviceBytes,
    };
  } catch (error) {
    return {
      sandboxes: [],
      conmonBytes: 0,
      serviceBytes,
      error: (error as Error).message.split('\n')[0] ?? 'podman failed',
    };
  }
}

/** Ids of the running containers of this bench's Aperture instance (at rest: its warm pool). */
function instanceContainers(): string[] {
  try {
    const listed = JSON.parse(
      podman(['ps', '--format', 'json', '--filter', `label=dev.aperture.instance=${INSTANCE}`]),
    ) as Array<{ Id: string }>;
    return listed.map((c) => c.Id);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- report

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;

function cell(outcome: Outcome, unit: string, digits = 0): string {
  if (outcome.samples.length === 0)
    return outcome.error ? `failed (${outcome.error.slice(0, 80)})` : 'not run';
  return `${fmt(median(outcome.samples), digits)} ${unit}`;
}

function spread(outcome: Outcome, unit: string, digits = 0): string {
  if (outcome.samples.length === 0) return '—';
  return `${fmt(Math.min(...outcome.samples), digits)}–${fmt(Math.max(...outcome.samples), digits)} ${unit}`;
}

/** How this machine mounts cgroups. */
function cgroupLayout(): string {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'unified v2';
  if (existsSync('/sys/fs/cgroup/unified/cgroup.controllers'))
    return 'hybrid (the controllers on v1, a cgroup2 mount at /sys/fs/cgroup/unified)';
  return 'v1';
}

function ratio(a: Outcome, b: Outcome): string {
  if (a.samples.length === 0 || b.samples.length === 0) return '—';
  return fmt(median(a.samples) / median(b.samples), 2);
}

function machineFacts(judge: GoJudge, cgroupType: number | undefined) {
  const podmanVersion = (() => {
    try {
      return podman(['--version']).trim();
    } catch {
      return 'podman: not available';
    }
  })();
  const pythonVersion = (() => {
    try {
      return execFileSync('/usr/bin/python3', ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  })();
  return {
    nproc: availableParallelism(),
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? '?',
    kernel: release(),
    commit: (() => {
      try {
        const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
        const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
        return `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' with uncommitted changes' : ''}`;
      } catch {
        return 'unknown';
      }
    })(),
    podmanVersion,
    pythonVersion,
    cgroup: `${cgroupLayout()}; go-judge used cgroup ${cgroupType === 1 ? 'v1' : cgroupType === 2 ? 'v2' : `type ${cgroupType ?? '?'}`}`,
    // The temp dir, the free port and the pid change every run.
    goJudgeArgs: judge.args
      .map((a) =>
        a.includes('/')
          ? a.replace(/^.*\//, '<tmp>/')
          : a.replace(/^127\.0\.0\.1:\d+$/, '127.0.0.1:<free port>').replace(/-\d+$/, '-<pid>'),
      )
      .join(' '),
  };
}

async function main() {
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const cleanup: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch((e) => log(`bench:peer: stop: ${e}`));
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    await bench(cleanup, started, loadAtStart);
  } finally {
    await stopAll();
  }
}

async function bench(cleanup: Array<() => Promise<void>>, started: number, loadAtStart: number) {
  log(
    `bench:peer: ${QUICK ? 'quick' : 'full'} mode, ${CONCURRENCY} cores; building go-judge ${GO_JUDGE_VERSION}…`,
  );
  const binary = await buildGoJudge();
  const judge = await GoJudge.start(binary, CONCURRENCY);
  cleanup.push(() => judge.stop());
  const judgeVersion = await judge.version();
  const cgroupType = (await judge.config()).runnerConfig?.cgroupType;
  log(
    `bench:peer: go-judge ${judgeVersion.buildVersion} (${judgeVersion.goVersion}) on ${judge.url}, cgroup type ${cgroupType}`,
  );

  let aperture: Aperture | undefined;
  let apertureError: string | undefined;
  let poolAtStart: string[] = [];
  try {
    aperture = await startAperture();
    cleanup.push(() => aperture!.close());
    log('bench:peer: Aperture up; letting the warm pool fill…');
    if (!(await aperture.poolFull(60_000))) log('bench:peer: the warm pool did not fill within 60 s');
    poolAtStart = instanceContainers();
  } catch (error) {
    apertureError = (error as Error).message;
    log(`bench:peer: Aperture did not start: ${apertureError} (go-judge and bare podman go on)`);
  }

  {
    const sides: Sides = {
      'go-judge': goJudgeJobs(judge),
      podman: podmanJobs(),
      ...(aperture ? { aperture: apertureJobs(aperture) } : {}),
    };
    let poolRefills = true;
    const settle = async () => {
      // A pool that did not refill once (sandboxes dying at start) is not waited for again.
      if (aperture && poolRefills && !(await aperture.poolFull())) {
        poolRefills = false;
        log('bench:peer: the warm pool did not refill within 20 s; not waiting for it any more');
      }
      await sleep(100);
    };
    const ms = async (job: Job) => (await timed(job)).ms;

    log(`bench:peer: (a) hello-world Python, one at a time, ${HELLO_SAMPLES} samples each…`);
    const hello = await alternate('hello', sides, HELLO_SAMPLES, (_, j) => ms(j.hello), settle);
    log(
      `bench:peer: (b) ${THROUGHPUT_RUNS} hello runs, ${THROUGHPUT_IN_FLIGHT} in flight, ${THROUGHPUT_ROUNDS} round(s)…`,
    );
    const throughput = await alternate(
      'throughput',
      sides,
      THROUGHPUT_ROUNDS,
      async (_, j) =>
        THROUGHPUT_RUNS /
        ((await saturate(THROUGHPUT_RUNS, THROUGHPUT_IN_FLIGHT, async () => void (await j.hello()))) / 1000),
      settle,
    );
    log(`bench:peer: (c) C: gcc -O2 + 10 tests, ${C_SAMPLES} samples each…`);
    const c = await alternate('C', sides, C_SAMPLES, (_, j) => ms(j.c), settle);
    log(`bench:peer: (d) Python loop to 5 M, ${LOOP_SAMPLES} samples each…`);
    const loopCpu: Outcomes = Object.fromEntries(
      SIDES.map((s) => [s, { samples: [] }]),
    ) as unknown as Outcomes;
    const loop = await alternate(
      'loop',
      sides,
      LOOP_SAMPLES,
      async (side, j, counted) => {
        const { ms, value } = await timed(j.loop);
        if (counted && value !== undefined) loopCpu[side].samples.push(value);
        return ms;
      },
      settle,
    );

    // Memory, with everything idle: the pool full again, no run in flight.
    if (poolRefills) await aperture?.poolFull();
    const benchRss = process.memoryUsage().rss;
    const pool = aperture ? poolMemory(aperture) : undefined;
    const runs = apertureRuns.size;
    const poolAtEnd = aperture ? instanceContainers() : [];
    const kept = poolAtEnd.filter((id) => poolAtStart.includes(id)).length;
    // A pool whose sandboxes serve one run each has none of its first sandboxes left after these runs.
    const reused = kept > 0;
    const containerCount = `here ${kept} of the ${poolAtStart.length} pool containers running before the first run were still the pool after all ${runs} runs (warm-ups included)`;
    const apertureModel = reused
      ? `- Aperture keeps its warm-pool sandboxes and gives each many jobs (ADR 0006) — ${containerCount}.
  A job goes in on the container's stdin; the harness (Node, already started) writes the files, compiles and runs
  each test through \`runlimit --isolate\` — fresh PID/mount/net/IPC/UTS namespaces and its own cgroups per
  execution — wipes its places and waits for the next. What a run still costs beyond go-judge's is Aperture's
  HTTP API, database and queue, the harness's work per test, and the job and framed result through Podman's
  attach stream.`
      : `- Aperture gives every run a fresh Podman container from the runner image (conmon, runc, a new cgroup, the
  read-only root, the tmpfs) — ${containerCount} — with Node starting the harness inside, which writes the files,
  compiles and runs each test through runlimit. The warm pool starts that container before the run arrives,
  which takes it out of the latency (a), not out of the machine's work: under load (b) each run still costs a
  container start on the same two cores, so its throughput is bound by container starts, as bare Podman's is.`;
    const judgeMemory = judge.memory();

    const facts = machineFacts(judge, cgroupType);
    const rows = [
      [
        '(a) hello-world Python, one at a time: median latency',
        cell(hello['go-judge'], 'ms'),
        cell(hello.aperture, 'ms'),
        cell(hello.podman, 'ms'),
        ratio(hello.aperture, hello['go-judge']),
        ratio(hello.podman, hello['go-judge']),
        '≤ 2',
      ],
      [
        `(b) ${THROUGHPUT_RUNS} hello runs, ${THROUGHPUT_IN_FLIGHT} in flight: runs/s`,
        cell(throughput['go-judge'], '/s', 1),
        cell(throughput.aperture, '/s', 1),
        cell(throughput.podman, '/s', 1),
        ratio(throughput.aperture, throughput['go-judge']),
        ratio(throughput.podman, throughput['go-judge']),
        '≥ 0.5',
      ],
      [
        '(c) C: gcc -O2 + 10 tests of a+b: median',
        cell(c['go-judge'], 'ms'),
        cell(c.aperture, 'ms'),
        cell(c.podman, 'ms'),
        ratio(c.aperture, c['go-judge']),
        ratio(c.podman, c['go-judge']),
        '≤ 1.5',
      ],
      [
        '(d) Python loop to 5 M: median',
        cell(loop['go-judge'], 'ms'),
        cell(loop.aperture, 'ms'),
        cell(loop.podman, 'ms'),
        ratio(loop.aperture, loop['go-judge']),
        ratio(loop.podman, loop['go-judge']),
        '—',
      ],
      [
        "(d) same, the program's CPU time as the sandbox measured it: median",
        cell(loopCpu['go-judge'], 'ms'),
        cell(loopCpu.aperture, 'ms'),
        'not measured',
        ratio(loopCpu.aperture, loopCpu['go-judge']),
        '—',
        '—',
      ],
    ];
    const table = [
      '| benchmark | go-judge | Aperture | bare podman | Aperture ÷ go-judge | bare podman ÷ go-judge | target (Aperture ÷ go-judge) |',
      '|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');

    const sandboxLines = pool?.sandboxes.length
      ? pool.sandboxes.map((s) => `${s.image.replace(/^.*\//, '')} ${mb(s.bytes)}`).join(', ')
      : `— (${pool?.error ?? apertureError ?? 'no Aperture'})`;
    const memoryTable = [
      '| memory, idle after the runs | go-judge | Aperture |',
      '|---|---|---|',
      `| server process (RSS) | ${mb(judgeMemory.server)} (go-judge) | ${aperture ? `${mb(benchRss)} (the bench process: server, SQLite, executor — and the bench's own client code)` : '—'} |`,
      `| idle sandboxes | ${mb(judgeMemory.children)} (RSS of the ${judgeMemory.processes} container processes under it) | ${sandboxLines} (cgroup memory of each warm-pool container, \`podman stats\`) |`,
      `| per-sandbox helpers | — | ${pool ? mb(pool.conmonBytes) : '—'} (conmon RSS, all ${pool?.sandboxes.length ?? 0} pool containers) |`,
      `| container engine | — | ${pool ? mb(pool.serviceBytes) : '—'} (\`podman system service\` started by the executor, RSS) |`,
    ].join('\n');

    const spreads = (
      [
        ['(a)', hello, 'ms', 0],
        ['(b)', throughput, '/s', 1],
        ['(c)', c, 'ms', 0],
        ['(d)', loop, 'ms', 0],
      ] as const
    )
      .map(
        ([name, o, unit, digits]) =>
          `${name} ${SIDES.map((side) => `${side} ${spread(o[side], unit, digits)}`).join(', ')}`,
      )
      .join('; ');
    const failures = [
      ...(apertureError ? [`Aperture did not start: ${apertureError}`] : []),
      ...(
        [
          ['(a)', hello],
          ['(b)', throughput],
          ['(c)', c],
          ['(d)', loop],
        ] as const
      ).flatMap(([name, o]) => SIDES.filter((s) => o[s].error).map((s) => `${name} ${s}: ${o[s].error}`)),
    ];
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const section = `## Side by side with go-judge ${GO_JUDGE_VERSION}

Measured by \`npm run bench:peer${QUICK ? ' -- --quick' : ''}\` (\`bench/peer-go-judge.ts\`) on ${new Date().toISOString().slice(0, 10)}: nproc ${facts.nproc}
(${facts.cpu}), kernel ${facts.kernel}, cgroups ${facts.cgroup},
${facts.podmanVersion}, Aperture at commit ${facts.commit}, load average ${fmt(loadAtStart, 1)} at the start and ${fmt(loadavg()[0]!, 1)} at the end,
${QUICK ? 'quick mode' : 'full mode'}, ${minutes} min in all. go-judge (the Go module github.com/criyle/go-judge) is a judge
sandbox in Go (Linux namespaces, cgroups, a pre-forked container, the host's own toolchain mounted read-only;
no images); it was built from its Go module by \`bench/lib/build-go-judge.sh\` (Go modules, \`CGO_ENABLED=0\`)
and ran on 127.0.0.1 as root. Samples alternate between the three sides, the order rotating each round, after
one warm-up each; medians. The targets are the issue's.

${table}

Spread of the counted samples (min–max): ${spreads}.

${memoryTable}
${failures.length ? `\nFailures in this run:\n\n${failures.map((f) => `- ${f}`).join('\n')}\n` : ''}
What the two sandboxes do per run, which the ratios mostly reflect:

- go-judge keeps its containers (namespaces, the mount tree, an init process) and reuses them: a run is a
  fork and exec inside one, in a cgroup made for that run, and \`/w\` and \`/tmp\` are emptied after it (go-sandbox's
  \`Reset\`). Its per-run cost is a few milliseconds of CPU.
${apertureModel}
- Bare podman creates, starts and removes a container for every run, through the CLI.

How each side was run:

- **go-judge**: \`go-judge ${facts.goJudgeArgs}\` (cwd a temp dir holding the mount.yaml: \`/bin\`, \`/lib\`,
  \`/lib64\`, \`/usr\`, \`/etc/ld.so.cache\`, \`/etc/alternatives\` bound read-only, \`/dev/null\`, \`/dev/urandom\`,
  \`/dev/zero\`, a 64 MiB tmpfs \`/w\` as work dir and \`/tmp\`, \`/proc\`, uid 1536; no seccomp filter, as go-judge
  runs by default). Its parallelism is ${CONCURRENCY}, like Aperture's \`concurrency\`. Its files live in memory
  (the default, no \`-dir\`). Each run is \`POST /run\` with one command, stdin given, stdout and stderr collected
  (10 KiB each), and the limits a judge would set — Aperture's defaults: 5 s CPU, 10 s wall, 256 MiB, 64
  processes per run; 20 s, 30 s, 512 MiB, 128 for the compile. Python: \`/usr/bin/python3 -u main.py\` with
  main.py as a \`copyIn\` (the host's ${facts.pythonVersion}; runner-python has Debian's same 3.11). C: one
  \`/run\` of \`${GCC.join(' ')}\` with \`copyOutCached: ["main"]\`, then 10 \`/run\`s one after the other, each
  with the cached \`fileId\` as \`copyIn\` and one test's stdin, the output compared by the bench; then
  \`DELETE /file/:id\`. No CPU quota (\`-enable-cpu-rate\` is off by default; Aperture's sandbox has one CPU).
  cgroup v1 needed no flag: go-judge finds the v1 hierarchies (cpu, cpuset, cpuacct, memory, pids) and makes
  \`<prefix>/api\` (itself) and \`<prefix>/containers\` (a cgroup per run) in each; it leaves them behind when it
  exits, so the bench gives it its own \`-cgroup-prefix\` and removes them afterwards. \`go install
  …/cmd/go-judge@v1.8.5\` fails here (it reads the module's version list, which a module proxy that
  serves only v1.8.5 refuses), hence \`go mod download\` of v1.8.5, a copy and \`go build\`.
- **Aperture**: in-process as \`bench/run.ts\` starts it — \`PodmanApiRunExecutor\` (Podman's REST API) with a warm
  pool of ${POOL_SIZE} per language for python and c, \`startServer\` on 127.0.0.1 with \`concurrency: ${CONCURRENCY}\` — and
  \`POST /api/v1/runs?wait=true\`: \`{language: "python", files: [main.py]}\`; for C \`{language: "c", files:
  [main.c], tests: [10 × {name, stdin, expectedOutput}]}\` (compile in the sandbox, then the 10 tests, compared
  by the harness). A run counts when its verdict is \`accepted\`. Between samples the bench waits until every pool
  lane has its idle sandboxes again (executor \`health()\`: a sandbox given back, or a new one started) and 100 ms
  on every side, so no pool work runs during another side's sample; within (b) it is part of the load.
- **bare podman**: \`podman ${BARE_FLAGS.join(' ')} --entrypoint python3 localhost/aperture/runner-python:latest
  -c '<program>'\` (\`bench/measure.ts\`'s flags, the sandbox's isolation); for C one \`podman run\` of
  runner-c with \`--entrypoint sh … -c '<script>'\`, the script writing main.c, compiling with the same gcc
  command and running the 10 tests in a shell loop, comparing with \`[ … = … ]\`.
- (a) \`print("hello")\`, end to end over HTTP (go-judge, Aperture) or the CLI (podman); ${HELLO_SAMPLES} samples.
  (b) ${THROUGHPUT_RUNS} of the same runs with ${THROUGHPUT_IN_FLIGHT} in flight (\`saturate\` of \`bench/measure.ts\`), runs/s of the
  whole batch; ${THROUGHPUT_ROUNDS} round(s). (c) ${C_SAMPLES} samples. (d) \`i = 0; while i < 5_000_000: i += 1;
  print(i)\`, ${LOOP_SAMPLES} samples: the program's own time dominates, so this row shows what each sandbox adds to
  a CPU-bound run (Aperture and podman run the image's python3, go-judge the host's).
- Memory is read once all runs are done and the pool is full again: the bench process's
  \`process.memoryUsage().rss\` (it hosts Aperture's server, SQLite and executor, and also the bench's
  clients; no forced GC), and \`podman stats --no-stream --format json\` of the containers labelled
  \`dev.aperture.instance=<the bench's instance>\` (the idle warm pool). For go-judge, \`VmRSS\` of its process
  and of the processes under it (its containers' init processes, kept for reuse, up to its parallelism).
`;
    process.stdout.write(`${table}\n\n${memoryTable}\n`);
    if (failures.length) process.stdout.write(`\n${failures.map((f) => `- ${f}`).join('\n')}\n`);
    writeSection(section);
    log(`bench:peer: wrote the section to docs/benchmarks.md (${minutes} min)`);
  }
}

/** Replaces this bench's section of docs/benchmarks.md (or appends it), keeping every other section. */
function writeSection(section: string): void {
  const path = new URL('../docs/benchmarks.md', import.meta.url);
  const previous = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const heading = '\n## Side by side with go-judge';
  const start = previous.indexOf(heading);
  if (start < 0) {
    writeFileSync(path, `${previous.trimEnd()}\n\n${section}`);
    return;
  }
  const next = previous.indexOf('\n## ', start + heading.length);
  const after = next >= 0 ? previous.slice(next) : '\n';
  writeFileSync(path, `${previous.slice(0, start)}\n${section}${after}`);
}

await main();
