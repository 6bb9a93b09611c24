import { spawn } from 'node:child_process';

/** Run a command to completion, feeding stdin; resolves with its exit code and stdout. */
export function exec(
  command: string,
  args: string[],
  stdin = '',
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(stdin);
  });
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Run `count` jobs with at most `concurrency` at once; resolves with the wall time. */
export async function saturate(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
  return performance.now() - start;
}

/** The bare engine: the same image and isolation flags as Aperture's sandbox, no Aperture. */
export const BARE_FLAGS = [
  'run',
  '--rm',
  '-i',
  '--pull=never',
  '--network=none',
  '--read-only',
  '--cap-drop=ALL',
  '--security-opt=no-new-privileges',
  '--user=1000:1000',
  '--memory=352m',
  '--memory-swap=352m',
  '--pids-limit=96',
  '--tmpfs=/work:rw,exec,size=64m,mode=1777',
  '--workdir=/work',
  '--log-driver=none',
];
