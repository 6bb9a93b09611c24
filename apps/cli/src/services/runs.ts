import type { RunView } from '@aperture/core';
import type { ApiClient, CreateRunRequest } from '../api-client.ts';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import { formatBytes, formatScore, type Output, table } from '../output.ts';
import { readSourceFiles, readTextArg } from './files.ts';
import { Progress } from './progress.ts';

export const DEFAULT_TIMEOUT_SECONDS = 300;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export const isTerminalStatus = (status: string) => TERMINAL.has(status);

export interface RunOptions {
  language: string;
  stdin?: string | undefined;
  main?: string | undefined;
  keepPaths?: boolean | undefined;
}

/** `aperture run FILE... --language L` → the body of POST /api/v1/runs. */
export async function buildRunRequest(
  paths: readonly string[],
  options: RunOptions,
): Promise<CreateRunRequest> {
  if (paths.length === 0) throw new CliError('give at least one file to run');
  const files = await readSourceFiles(paths, { keepPaths: options.keepPaths });
  return {
    language: options.language,
    files,
    ...(options.main ? { mainFile: options.main } : {}),
    ...(options.stdin !== undefined ? { stdin: await readTextArg(options.stdin) } : {}),
  };
}

/** 0 accepted; 1 judged but not accepted; 3 Aperture failed, the run was cancelled, or is unfinished. */
export function exitCodeFor(view: Pick<RunView, 'status' | 'verdict'>): ExitCode {
  if (view.status === 'completed') return view.verdict === 'accepted' ? EXIT.ok : EXIT.rejected;
  return EXIT.failed;
}

export interface FollowOptions {
  timeoutSeconds: number;
  label?: string;
}

/**
 * Wait for a run to finish: its event stream with progress on stderr, or, should the stream break
 * (a proxy that buffers SSE, say), long-polling GET ?wait=true. Returns the last view seen, which is
 * not terminal when the timeout ran out.
 */
export async function followRun(
  client: ApiClient,
  initial: RunView,
  out: Output,
  options: FollowOptions,
): Promise<RunView> {
  if (isTerminalStatus(initial.status)) return initial;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const progress = new Progress(out, options.label ?? initial.id);
  progress.update(initial.status);
  try {
    const streamed = await followEvents(client, initial.id, deadline, progress);
    if (streamed) return streamed;
    return await poll(client, initial.id, deadline, progress);
  } finally {
    progress.stop();
  }
}

async function followEvents(
  client: ApiClient,
  id: string,
  deadline: number,
  progress: Progress,
): Promise<RunView | undefined> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
  try {
    for await (const event of client.runEvents(id, abort.signal)) {
      if (event.type === 'result') return event.run;
      progress.update(event.status);
    }
  } catch (error) {
    if (process.env['APERTURE_DEBUG']) process.stderr.write(`debug: event stream: ${String(error)}\n`);
    if (!abort.signal.aborted && !isAbort(error) && isFatal(error)) throw error;
  } finally {
    clearTimeout(timer);
  }
  return undefined;
}

/** API errors (401, 404) are the answer; anything else about the stream means "poll instead". */
function isFatal(error: unknown): boolean {
  return (error as { name?: string }).name === 'ApiError';
}

const isAbort = (error: unknown) => (error as { name?: string }).name === 'AbortError';

async function poll(client: ApiClient, id: string, deadline: number, progress: Progress): Promise<RunView> {
  let view = await client.getRun(id);
  while (!isTerminalStatus(view.status) && Date.now() < deadline) {
    progress.update(view.status);
    const timeoutMs = Math.max(1, Math.min(30_000, deadline - Date.now()));
    view = await client.getRun(id, { timeoutMs });
  }
  return view;
}

/** Text mode: the program's output verbatim, then one verdict line on stderr. */
export function printRun(view: RunView, out: Output): void {
  if (out.json) {
    out.result(view, () => '');
    return;
  }
  if (view.compile?.verdict === 'compile_error' && view.compile.output) out.stderr.write(view.compile.output);
  const showTests = view.kind === 'submission' || view.tests.length > 1;
  if (showTests) out.raw(testTable(view));
  else {
    out.raw(view.stdout);
    if (view.stderr) out.stderr.write(view.stderr);
  }
  out.info(verdictLine(view));
}

export function testTable(view: RunView): string {
  const rows = table(view.tests, [
    { header: 'test', value: (t) => t.name },
    { header: 'verdict', value: (t) => t.verdict },
    { header: 'points', value: (t) => formatScore(t.points, t.maxPoints) },
    { header: 'time', value: (t) => `${t.timeMs} ms` },
  ]);
  const hidden = view.hiddenTests
    ? `+ ${view.hiddenTests.count} hidden test(s), not shown until they are released\n`
    : '';
  return rows + hidden;
}

export function verdictLine(view: RunView): string {
  if (!isTerminalStatus(view.status)) return `${view.id}: still ${view.status}`;
  if (view.status !== 'completed')
    return `${view.id}: ${view.status}${view.message ? ` — ${view.message}` : ''}`;
  const parts = [
    view.verdict ?? 'no verdict',
    view.maxScore ? `score ${formatScore(view.score, view.maxScore)}` : undefined,
    view.timeMs !== null ? `${view.timeMs} ms` : undefined,
    view.memoryBytes !== null ? formatBytes(view.memoryBytes) : undefined,
    view.id,
  ];
  const message = view.message ? `\n${view.message}` : '';
  return parts.filter(Boolean).join(' · ') + message;
}

/** After printing: the exit code, with a line saying how to pick up a run we stopped waiting for. */
export function finish(view: RunView, out: Output): ExitCode {
  if (!isTerminalStatus(view.status))
    out.info(`gave up waiting; follow it with: aperture submissions get ${view.id} --watch`);
  return exitCodeFor(view);
}
