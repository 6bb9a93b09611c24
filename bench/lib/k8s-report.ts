/** Counting API requests by verb, progress lines, and the markdown table of bench/kubernetes.ts. */

export type Counts = Record<string, number>;

/** Requests by `verb resource`, like the backend's ApiRequestCounter, for the bare client. */
export class RequestCounts {
  private readonly counts = new Map<string, number>();

  count(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Counts {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

export function minus(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [key, n] of Object.entries(after))
    if (n - (before[key] ?? 0) !== 0) out[key] = n - (before[key] ?? 0);
  return out;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export interface VerbSummary {
  writes: number;
  /** get/list/watch, all resources (pods/log included). */
  reads: number;
  logReads: number;
  listWatch: number;
}

export function summarise(counts: Counts): VerbSummary {
  const summary = { writes: 0, reads: 0, logReads: 0, listWatch: 0 };
  for (const [key, n] of Object.entries(counts)) {
    const [verb, resource] = key.split(' ') as [string, string];
    if (WRITE_VERBS.has(verb)) summary.writes += n;
    else summary.reads += n;
    if (verb === 'get' && resource === 'pods/log') summary.logReads += n;
    if (verb === 'list' || verb === 'watch') summary.listWatch += n;
  }
  return summary;
}

/** `create jobs 1.00, create secrets 1.00, …` per run (list/watch as absolute counts). */
export function perRun(counts: Counts, runs: number): string {
  return Object.entries(counts)
    .map(([key, n]) =>
      key.startsWith('list ') || key.startsWith('watch ')
        ? `${key} ${n} (total)`
        : `${key} ${(n / runs).toFixed(2)}`,
    )
    .join(', ');
}

/** `create jobs 10000, …`. */
export function totals(counts: Counts): string {
  return Object.entries(counts)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export function log(line: string): void {
  process.stderr.write(`[bench:k8s ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** A line every 10 s while `work` runs, so a long phase shows it is alive. */
export async function withProgress<T>(
  label: string,
  total: number,
  done: () => number,
  work: () => Promise<T>,
): Promise<T> {
  const start = performance.now();
  const timer = setInterval(() => {
    const n = done();
    const seconds = (performance.now() - start) / 1000;
    log(
      `${label}: ${n}/${total} done in ${seconds.toFixed(0)} s (${(n / seconds).toFixed(2)}/s), rss ${mb(process.memoryUsage().rss)}`,
    );
  }, 10_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function rssAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}
