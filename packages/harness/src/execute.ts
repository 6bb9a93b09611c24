import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Limits } from '@aperture/core';
import { killLeftovers } from './cleanup.ts';
import { type ExecutionPlaces, type HarnessDirs, type IsolationConfig, isolationArgs } from './isolation.ts';
import { oomKillsBetween, readOomKillCount } from './memory.ts';
import { CappedOutput } from './output.ts';
import type { RunReport } from './verdict.ts';

export interface ExecuteRequest {
  /** Run through `/bin/sh -c`. */
  command: string;
  cwd: string;
  stdin: string;
  limits: Limits;
  env: NodeJS.ProcessEnv;
  /** What the execution may see and write (isolated mode; ignored otherwise). */
  places: ExecutionPlaces;
  /**
   * Stop the program as soon as its output crosses `limits.outputBytes` (tests and runs).
   * Off for compiles and autograders, whose chatter is only kept up to the cap.
   */
  killOnOutputLimit: boolean;
}

export interface ExecuteResult {
  stdout: string;
  stderr: string;
  /** Raw stdout bytes as kept (a checker compares these). */
  stdoutBytes: Buffer;
  truncated: boolean;
  /** The harness stopped the program because of its output. */
  outputLimitHit: boolean;
  report: RunReport;
  oomKills: number;
}

export interface ExecutorOptions {
  runlimit: string;
  sandbox: boolean;
  /** Isolated mode (ADR 0006): every execution in fresh namespaces and cgroups, as another uid. */
  isolation?: IsolationConfig | undefined;
  dirs: HarnessDirs;
}

export type Executor = (request: ExecuteRequest) => Promise<ExecuteResult>;

/** Open files per process: enough for a JVM, few enough to stop a descriptor-exhaustion loop. */
const NOFILE = 512;
/**
 * After the main process ended and leftovers were killed, how long to wait for pipes a process
 * that escaped may still hold. Normally every pipe ends at once and this is never waited out.
 */
const DRAIN_GRACE_MS = 1_000;
/** How long past the wall limit runlimit itself may take before the harness gives up on it. */
const RUNLIMIT_BACKSTOP_MS = 5_000;

export class HarnessFailure extends Error {
  override readonly name = 'HarnessFailure';
}

/** Run one command under runlimit: limits, capped output, measurements, cleanup afterwards. */
export function createExecutor(options: ExecutorOptions): Executor {
  return (request) => executeOnce(request, options);
}

function executeOnce(request: ExecuteRequest, options: ExecutorOptions): Promise<ExecuteResult> {
  const { runlimit, isolation } = options;
  // In the isolated mode the kernel removes every leftover with the execution's PID namespace.
  const sandbox = options.sandbox && !isolation;
  const { limits } = request;
  const oomBefore = isolation ? undefined : readOomKillCount();
  const args = [
    ...(isolation ? isolationArgs(isolation, options.dirs, request.places, limits) : []),
    '--cpu-ms',
    String(limits.cpuMs),
    '--wall-ms',
    String(limits.wallMs),
    '--fsize',
    String(limits.fileSizeBytes),
    '--nofile',
    String(NOFILE),
    '--report-fd',
    '3',
    '--',
    '/bin/sh',
    '-c',
    request.command,
  ];

  return new Promise<ExecuteResult>((resolve, reject) => {
    // detached: runlimit leads its own process group, away from the harness's.
    const child = spawn(runlimit, args, {
      cwd: request.cwd,
      env: request.env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout = child.stdout as Readable;
    const stderr = child.stderr as Readable;
    const reportStream = child.stdio[3] as Readable;
    const output = new CappedOutput(limits.outputBytes);
    let reportText = '';
    let processGroup: number | undefined;
    let outputLimitHit = false;
    let backstopFired = false;
    let settled = false;

    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(backstop);
      reject(error);
    };

    /** Ask runlimit to kill the program's group (it still reports), and kill it ourselves too. */
    const stopProgram = (): void => {
      child.kill('SIGTERM');
      if (processGroup !== undefined) void killLeftovers({ sandbox: false, processGroup, budgetMs: 0 });
    };

    const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (outputLimitHit) return;
      if (output.add(stream, chunk) && request.killOnOutputLimit) {
        // Do not read a gigabyte to throw it away: stop reading and stop the program now.
        outputLimitHit = true;
        stopProgram();
        stdout.destroy();
        stderr.destroy();
      }
    };
    stdout.on('data', onData('stdout'));
    stderr.on('data', onData('stderr'));
    for (const stream of [stdout, stderr, reportStream]) stream.on('error', () => {});
    reportStream.setEncoding('utf8');
    reportStream.on('data', (text: string) => {
      reportText += text;
      // Isolated, the pid is the namespace's init, no process group: runlimit kills it, and with
      // it everything in the namespace (also when runlimit itself dies: the init's parent-death signal).
      if (!isolation) processGroup ??= parseReportLines(reportText).pid;
    });

    // The program may never read its stdin, or exit before reading all of it.
    child.stdin.on('error', () => {});
    child.stdin.end(request.stdin);

    const backstop = setTimeout(() => {
      backstopFired = true;
      child.kill('SIGKILL');
      if (processGroup !== undefined) void killLeftovers({ sandbox: false, processGroup, budgetMs: 0 });
    }, limits.wallMs + RUNLIMIT_BACKSTOP_MS);

    child.on('error', (error) =>
      fail(new HarnessFailure(`Cannot start runlimit (${runlimit}): ${error.message}`)),
    );

    // The execution ends when runlimit (the main process) ends, not at EOF on the pipes:
    // a background process may hold them open.
    child.on('exit', (code, signal) => {
      clearTimeout(backstop);
      void killLeftovers({ sandbox, processGroup })
        .then(() => drain([stdout, stderr, reportStream], DRAIN_GRACE_MS))
        .then(() => {
          if (settled) return;
          const parsed = parseReportLines(reportText);
          if (backstopFired || !parsed.report) {
            const why = backstopFired
              ? 'runlimit did not stop at the wall-clock limit'
              : (parsed.error ?? `runlimit gave no report (exit ${code ?? signal})`);
            fail(new HarnessFailure(`${why}. ${tail(output.text('stderr'))}`.trim()));
            return;
          }
          settled = true;
          resolve({
            stdout: output.text('stdout'),
            stderr: output.text('stderr'),
            stdoutBytes: output.stdoutBytes(),
            truncated: output.exceeded,
            outputLimitHit,
            report: parsed.report,
            // Isolated: the execution's own memory cgroup; else the container's counter.
            oomKills: parsed.report.oomKills ?? oomKillsBetween(oomBefore, readOomKillCount()),
          });
        });
    });
  });
}

/** Wait until every stream closed, or the grace period ran out; then let go of them. */
function drain(streams: Readable[], graceMs: number): Promise<void> {
  const closed = streams.map(
    (stream) =>
      new Promise<void>((resolve) => {
        if (stream.destroyed || stream.readableEnded) return resolve();
        stream.once('close', () => resolve());
        stream.once('end', () => resolve());
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    // After a stall (a loaded machine), timers run before pending reads: give those one more
    // turn of the loop (setImmediate runs after I/O), so bytes already in a pipe, the report's
    // last line among them, are read before the streams are let go.
    timer = setTimeout(() => setImmediate(resolve), graceMs);
  });
  return Promise.race([Promise.all(closed).then(() => undefined), grace]).then(() => {
    clearTimeout(timer);
    for (const stream of streams) stream.destroy();
  });
}

export interface ParsedReport {
  pid?: number;
  report?: RunReport;
  error?: string;
}

/** runlimit's report fd: `{"pid":N}` first, then one final line. Pure. */
export function parseReportLines(text: string): ParsedReport {
  const parsed: ParsedReport = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // a half-received line
    }
    if (typeof value !== 'object' || value === null) continue;
    const record = value as Record<string, unknown>;
    if (typeof record['pid'] === 'number') parsed.pid = record['pid'];
    if (typeof record['error'] === 'string') parsed.error = `runlimit: ${record['error']}`;
    if ('exitCode' in record && typeof record['cpuMs'] === 'number') {
      parsed.report = {
        exitCode: typeof record['exitCode'] === 'number' ? record['exitCode'] : null,
        signal: typeof record['signal'] === 'number' ? record['signal'] : null,
        cpuMs: Number(record['cpuMs']),
        wallMs: Number(record['wallMs']),
        maxRssKb: Number(record['maxRssKb']),
        wallTimedOut: record['wallTimedOut'] === true,
      };
      if (typeof record['oomKills'] === 'number') parsed.report.oomKills = record['oomKills'];
    }
  }
  return parsed;
}

function tail(text: string, max = 500): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}
