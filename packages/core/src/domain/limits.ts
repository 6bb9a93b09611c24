/**
 * Resource limits of one execution (a compile step or one test). Defaults follow Judge0 and
 * PrairieLearn (research/runners.md): generous enough for Java, small enough that a class of
 * hostile submissions cannot starve the machine. Maxima cap what an assignment or API caller may ask.
 */
export interface Limits {
  /** CPU time of the student's process tree, milliseconds. */
  cpuMs: number;
  /** Wall-clock time, milliseconds. */
  wallMs: number;
  /** Memory (RAM, no swap), bytes. */
  memoryBytes: number;
  /** Processes and threads. */
  pids: number;
  /** Bytes of stdout + stderr kept; more ends the test with output limit exceeded. */
  outputBytes: number;
  /** Largest file the program may write, bytes. */
  fileSizeBytes: number;
  /** Outbound network. Off unless an assignment explicitly allows it. */
  network: boolean;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  cpuMs: 5_000,
  wallMs: 10_000,
  memoryBytes: 256 * MiB,
  pids: 64,
  outputBytes: 1 * MiB,
  fileSizeBytes: 16 * MiB,
  network: false,
});

export const DEFAULT_COMPILE_LIMITS: Readonly<Limits> = Object.freeze({
  cpuMs: 20_000,
  wallMs: 30_000,
  memoryBytes: 512 * MiB,
  pids: 128,
  outputBytes: 256 * 1024,
  fileSizeBytes: 64 * MiB,
  network: false,
});

export const MAX_LIMITS: Readonly<Limits> = Object.freeze({
  cpuMs: 60_000,
  wallMs: 120_000,
  memoryBytes: 2048 * MiB,
  pids: 512,
  outputBytes: 16 * MiB,
  fileSizeBytes: 256 * MiB,
  network: true,
});

export const MIN_LIMITS: Readonly<Limits> = Object.freeze({
  cpuMs: 100,
  wallMs: 100,
  memoryBytes: 16 * MiB,
  pids: 8,
  outputBytes: 1024,
  fileSizeBytes: 1024,
  network: false,
});

/** Layer partial limits over a base, later layers winning, then clamp into [MIN, MAX]. */
export function resolveLimits(
  base: Readonly<Limits>,
  ...layers: ReadonlyArray<Partial<Limits> | undefined>
): Limits {
  const merged: Limits = { ...base };
  for (const layer of layers) {
    if (layer) Object.assign(merged, definedOnly(layer));
  }
  return clampLimits(merged);
}

export function clampLimits(limits: Limits): Limits {
  return {
    cpuMs: clamp(limits.cpuMs, MIN_LIMITS.cpuMs, MAX_LIMITS.cpuMs),
    wallMs: clamp(limits.wallMs, MIN_LIMITS.wallMs, MAX_LIMITS.wallMs),
    memoryBytes: clamp(limits.memoryBytes, MIN_LIMITS.memoryBytes, MAX_LIMITS.memoryBytes),
    pids: clamp(limits.pids, MIN_LIMITS.pids, MAX_LIMITS.pids),
    outputBytes: clamp(limits.outputBytes, MIN_LIMITS.outputBytes, MAX_LIMITS.outputBytes),
    fileSizeBytes: clamp(limits.fileSizeBytes, MIN_LIMITS.fileSizeBytes, MAX_LIMITS.fileSizeBytes),
    network: limits.network,
  };
}

/** The sandbox must fit the largest of the steps it will run. */
export function envelopeOf(all: ReadonlyArray<Limits>): Limits {
  const first = all[0] ?? DEFAULT_LIMITS;
  return all.reduce<Limits>(
    (acc, l) => ({
      cpuMs: Math.max(acc.cpuMs, l.cpuMs),
      wallMs: Math.max(acc.wallMs, l.wallMs),
      memoryBytes: Math.max(acc.memoryBytes, l.memoryBytes),
      pids: Math.max(acc.pids, l.pids),
      outputBytes: Math.max(acc.outputBytes, l.outputBytes),
      fileSizeBytes: Math.max(acc.fileSizeBytes, l.fileSizeBytes),
      network: acc.network || l.network,
    }),
    { ...first },
  );
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
