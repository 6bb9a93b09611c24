/**
 * "Lab CI": runs a template's `spec.checks` against one student's copy, through LabAccess only,
 * so the same code checks a copy on Kubernetes and on Podman. A component may still be starting
 * when the copy is reported ready (nginx binds a moment after its container runs), so each check
 * is retried until it passes or its time runs out; a failing check does not stop the others, so
 * the instructor sees everything that is wrong at once.
 */
// Type-only: the byte stream LabAccess.connect hands back.
import type { Duplex } from 'node:stream';
import type { LabAccess, LabTarget } from './access.ts';
import type { LabCheckResult } from './lab-entities.ts';
import type { LabCheck, LabTemplate } from './lab-template.ts';

export interface RunLabChecksOptions {
  /** How long one check is retried before it counts as failed (default 60 s). */
  timeoutMs?: number;
  /** The pause between two attempts of a check (default 1 s). */
  intervalMs?: number;
  /** The bound of one attempt: connect and status line, or the command (default 10 s). */
  attemptTimeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What an http check reads at most while looking for the status line. */
export const LAB_CHECK_MAX_RESPONSE_BYTES = 64 * 1024;

interface Settings {
  timeoutMs: number;
  intervalMs: number;
  attemptTimeoutMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

interface Attempt {
  ok: boolean;
  message: string;
}

/** Every check of the template, in order, each with its own time budget. */
export async function runLabChecks(
  access: LabAccess,
  copy: { deploymentId: string; studentId: string },
  template: LabTemplate,
  options: RunLabChecksOptions = {},
): Promise<LabCheckResult[]> {
  const settings: Settings = {
    timeoutMs: options.timeoutMs ?? 60_000,
    intervalMs: options.intervalMs ?? 1_000,
    attemptTimeoutMs: options.attemptTimeoutMs ?? 10_000,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  const results: LabCheckResult[] = [];
  for (const [index, check] of template.spec.checks.entries()) {
    const target = { ...copy, component: check.component };
    results.push(await runCheck(access, target, check, index, settings));
  }
  return results;
}

async function runCheck(
  access: LabAccess,
  target: LabTarget,
  check: LabCheck,
  index: number,
  settings: Settings,
): Promise<LabCheckResult> {
  const started = settings.now();
  const deadline = started + settings.timeoutMs;
  for (let attempts = 1; ; attempts++) {
    const boundMs = Math.max(1, Math.min(settings.attemptTimeoutMs, deadline - settings.now()));
    const attempt = await attemptCheck(access, target, check, boundMs);
    if (attempt.ok || settings.now() + settings.intervalMs >= deadline) {
      const message =
        attempt.ok || attempts === 1 ? attempt.message : `${attempt.message} (${attempts} attempts)`;
      const result = { index, component: check.component, kind: kindOf(check), ok: attempt.ok, message };
      return { ...result, durationMs: settings.now() - started };
    }
    await settings.sleep(settings.intervalMs);
  }
}

/** What a check probes: `http`, `tcp`, or `exec` (a command in the component). */
export function kindOf(check: LabCheck): LabCheckResult['kind'] {
  if (check.http) return 'http';
  return check.tcp ? 'tcp' : 'exec';
}

/** One try; never throws, so a refused connection is a failed attempt like a wrong status. */
async function attemptCheck(access: LabAccess, target: LabTarget, check: LabCheck, boundMs: number) {
  try {
    if (check.http) return await httpAttempt(access, target, check.http, boundMs);
    if (check.tcp) return await tcpAttempt(access, target, check.tcp.port, boundMs);
    return await execAttempt(access, target, check.exec.command, boundMs);
  } catch (error) {
    return { ok: false, message: `${describe(target, check)} → ${errorText(error)}` };
  }
}

async function httpAttempt(
  access: LabAccess,
  target: LabTarget,
  http: { port: number; path: string; status: number },
  boundMs: number,
): Promise<Attempt> {
  const request = `GET ${target.component}:${http.port}${http.path}`;
  // The path goes into the request line verbatim: a space or CR/LF would forge another request.
  if (/[\s\p{Cc}]/u.test(http.path)) {
    return { ok: false, message: `${request} → the path has a space or control character` };
  }
  // Real time, like the timers that enforce it; the injected clock only paces the retries.
  const deadline = Date.now() + boundMs;
  const stream = await connectWithin(access, target, http.port, boundMs);
  stream.write(`GET ${http.path} HTTP/1.1\r\nHost: ${target.component}\r\nConnection: close\r\n\r\n`);
  const status = await readStatus(stream, Math.max(1, deadline - Date.now()), boundMs);
  if (status === http.status) return { ok: true, message: `${request} → ${status}` };
  return { ok: false, message: `${request} → ${status}, expected ${http.status}` };
}

async function tcpAttempt(access: LabAccess, target: LabTarget, port: number, boundMs: number) {
  discard(await connectWithin(access, target, port, boundMs));
  return { ok: true, message: `TCP ${target.component}:${port} → open` };
}

async function execAttempt(
  access: LabAccess,
  target: LabTarget,
  command: readonly string[],
  boundMs: number,
): Promise<Attempt> {
  // The backend kills the command at boundMs; the extra second only guards against a hung backend.
  const result = await within(access.exec(target, command, { timeoutMs: boundMs }), boundMs + 1_000);
  if (result.exitCode === 0) return { ok: true, message: 'exit 0' };
  const stderr = lastLine(result.stderr);
  const what = result.timedOut
    ? `timed out after ${seconds(boundMs)}`
    : result.exitCode === null
      ? 'killed'
      : `exit ${result.exitCode}`;
  return { ok: false, message: stderr ? `${what}: ${stderr}` : what };
}

/** A connection that arrives after the bound is closed at once rather than leaked. */
async function connectWithin(access: LabAccess, target: LabTarget, port: number, boundMs: number) {
  const connecting = access.connect(target, port);
  return within(connecting, boundMs, discard);
}

/**
 * The status code of the first line, reading at most 64 KiB and for at most `remainingMs`.
 * The error names the whole attempt's bound (`attemptBoundMs`), the figure the instructor set,
 * not what was left of it after connecting.
 */
function readStatus(stream: Duplex, remainingMs: number, attemptBoundMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const decoder = new TextDecoder('latin1');
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      stream.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError);
      discard(stream);
      outcome();
    };
    const onData = (chunk: Uint8Array | string) => {
      text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      const end = text.indexOf('\r\n');
      if (end >= 0) finish(() => parseStatus(text.slice(0, end), resolve, reject));
      else if (text.length >= LAB_CHECK_MAX_RESPONSE_BYTES) {
        finish(() => reject(new Error('no status line in the first 64 KiB')));
      }
    };
    const onEnd = () => finish(() => reject(new Error('connection closed before a status line')));
    const onError = (error: Error) => finish(() => reject(error));
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no answer in ${seconds(attemptBoundMs)}`))),
      remainingMs,
    );
    stream.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError);
  });
}

function parseStatus(line: string, resolve: (status: number) => void, reject: (error: Error) => void): void {
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |$)/.exec(line);
  if (match) resolve(Number(match[1]));
  else reject(new Error(`not an HTTP status line: ${JSON.stringify(line.slice(0, 80))}`));
}

/** Rejects after `ms`; `onLate` receives a value that arrives after that. */
function within<T>(work: Promise<T>, ms: number, onLate?: (value: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(new Error(`no answer in ${seconds(ms)}`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (expired) onLate?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Closes a stream we are done with; an error it reports afterwards (a reset) must not crash us. */
function discard(stream: Duplex): void {
  stream.on('error', () => undefined);
  stream.destroy();
}

function describe(target: LabTarget, check: LabCheck): string {
  if (check.http) return `GET ${target.component}:${check.http.port}${check.http.path}`;
  if (check.tcp) return `TCP ${target.component}:${check.tcp.port}`;
  return `exec in ${target.component}`;
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim());
  return lines.filter(Boolean).at(-1)?.slice(0, 500) ?? '';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function seconds(ms: number): string {
  return ms >= 1_000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
