import { constants } from 'node:os';
import type { Limits, Verdict } from '@aperture/core';

/** What runlimit reports about one execution (one JSON line on its report fd). */
export interface RunReport {
  exitCode: number | null;
  /** Number of the signal that ended the process, if one did. */
  signal: number | null;
  cpuMs: number;
  wallMs: number;
  maxRssKb: number;
  wallTimedOut: boolean;
  /** OOM kills in the execution's own memory cgroup (isolated mode only). */
  oomKills?: number;
}

/** Everything the verdict depends on, gathered by the executor. */
export interface ExecutionFacts {
  report: RunReport;
  /** The harness stopped the program because its output crossed `outputBytes`. */
  outputLimitHit: boolean;
  /** How much the container's OOM kill counter rose during the execution. */
  oomKills: number;
  /** The program's stderr, for the one failure it alone tells (see EFBIG below). */
  stderr?: string;
}

/** `ok` means the program ran cleanly within its limits: compare its output next. */
export interface Judgement {
  verdict: Verdict | 'ok';
  message?: string;
}

/** Number → name; the first name wins over later aliases (SIGABRT before SIGIOT). */
const SIGNAL_NAMES: ReadonlyMap<number, string> = (() => {
  const names = new Map<number, string>();
  for (const [name, number] of Object.entries(constants.signals))
    if (!names.has(number)) names.set(number, name);
  return names;
})();
const SIGKILL = constants.signals.SIGKILL;
const SIGXCPU = constants.signals.SIGXCPU;
const SIGXFSZ = constants.signals.SIGXFSZ;

const SIGNAL_MEANINGS: Readonly<Record<string, string>> = {
  SIGSEGV: 'segmentation fault: invalid memory access',
  SIGABRT: 'aborted',
  SIGFPE: 'arithmetic error such as division by zero',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGKILL: 'killed',
  SIGPIPE: 'broken pipe',
  SIGTERM: 'terminated',
};

export function signalName(signal: number): string {
  return SIGNAL_NAMES.get(signal) ?? `signal ${signal}`;
}

/**
 * The signal that ended the program. `/bin/sh -c` (dash) does not exec its last command, so a
 * program killed by a signal usually shows up as the shell exiting with 128 + signal.
 */
export function effectiveSignal(report: RunReport): { signal: number; viaShell: boolean } | null {
  if (report.signal !== null) return { signal: report.signal, viaShell: false };
  if (report.exitCode !== null && report.exitCode > 128 && report.exitCode <= 128 + 64) {
    return { signal: report.exitCode - 128, viaShell: true };
  }
  return null;
}

/** Memory is decided to be over the limit once peak RSS reaches this share of it and the kernel killed. */
export const MEMORY_NEAR_LIMIT = 0.9;

/**
 * Turn what happened into a verdict. Pure. Order matters: a CPU or wall limit explains a
 * SIGKILL better than memory does, and a kill the harness caused (output limit) is not memory.
 */
export function judgeExecution(facts: ExecutionFacts, limits: Limits): Judgement {
  const { report } = facts;
  const ended = effectiveSignal(report);
  const signal = ended?.signal ?? null;
  const rssBytes = report.maxRssKb * 1024;

  if (signal === SIGXCPU || report.cpuMs > limits.cpuMs) {
    return {
      verdict: 'time_limit_exceeded',
      message: `CPU time limit of ${seconds(limits.cpuMs)} exceeded.`,
    };
  }
  if (report.wallTimedOut) {
    return {
      verdict: 'wall_time_limit_exceeded',
      message: `Wall-clock time limit of ${seconds(limits.wallMs)} exceeded (the program may be waiting for input or sleeping).`,
    };
  }
  if (facts.outputLimitHit) {
    return {
      verdict: 'output_limit_exceeded',
      message: `Output exceeded the limit of ${bytes(limits.outputBytes)}; the program was stopped.`,
    };
  }
  const cleanExit = signal === null && report.exitCode === 0;
  const killed = signal === SIGKILL;
  if (
    rssBytes > limits.memoryBytes ||
    (facts.oomKills > 0 && !cleanExit) ||
    (killed && rssBytes >= MEMORY_NEAR_LIMIT * limits.memoryBytes)
  ) {
    return {
      verdict: 'memory_limit_exceeded',
      message: `Memory limit of ${bytes(limits.memoryBytes)} exceeded.`,
    };
  }
  // Python (and anything ignoring SIGXFSZ) sees EFBIG instead of the signal and usually dies of it.
  const efbig = !cleanExit && /File too large/.test(facts.stderr ?? '');
  if (signal === SIGXFSZ || efbig) {
    return {
      verdict: 'output_limit_exceeded',
      message: `The program tried to write a file larger than the limit of ${bytes(limits.fileSizeBytes)}.`,
    };
  }
  if (ended) {
    const name = signalName(ended.signal);
    const meaning = SIGNAL_MEANINGS[name];
    const what = meaning ? `${name} (${meaning})` : name;
    return {
      verdict: 'runtime_error',
      message: ended.viaShell
        ? `The program ended with exit code ${report.exitCode}: killed by ${what}.`
        : `The program was killed by ${what}.`,
    };
  }
  if (report.exitCode !== 0) {
    return { verdict: 'runtime_error', message: `The program ended with exit code ${report.exitCode}.` };
  }
  return { verdict: 'ok' };
}

/** Verdicts that mean a limit stopped the program (as opposed to it failing by itself). */
export type LimitVerdict =
  | 'time_limit_exceeded'
  | 'wall_time_limit_exceeded'
  | 'memory_limit_exceeded'
  | 'output_limit_exceeded';

export function isLimitVerdict(verdict: Verdict | 'ok'): verdict is LimitVerdict {
  return (
    verdict === 'time_limit_exceeded' ||
    verdict === 'wall_time_limit_exceeded' ||
    verdict === 'memory_limit_exceeded' ||
    verdict === 'output_limit_exceeded'
  );
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function bytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
