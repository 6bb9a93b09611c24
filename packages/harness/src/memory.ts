import { readFileSync } from 'node:fs';

/**
 * Where the container's memory cgroup counts OOM kills: cgroup v2 `memory.events`, or
 * cgroup v1 `memory.oom_control` (kernel 4.13+). Whichever exists is read.
 */
export const OOM_COUNTER_FILES: readonly string[] = [
  '/sys/fs/cgroup/memory.events',
  '/sys/fs/cgroup/memory/memory.oom_control',
];

/** The `oom_kill N` line of either file. Pure. */
export function parseOomKillCount(text: string): number | undefined {
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

export function readOomKillCount(files: readonly string[] = OOM_COUNTER_FILES): number | undefined {
  for (const file of files) {
    try {
      const count = parseOomKillCount(readFileSync(file, 'utf8'));
      if (count !== undefined) return count;
    } catch {
      // Not this cgroup version, or not visible here: try the next file.
    }
  }
  return undefined;
}

/** Rise of the counter between two readings; 0 when it cannot be read. */
export function oomKillsBetween(before: number | undefined, after: number | undefined): number {
  return before === undefined || after === undefined ? 0 : Math.max(0, after - before);
}
