/**
 * Bounded fan-out and retries for provisioning a class: a few hundred students must not become a
 * few hundred parallel streams of writes (the API server's priority and fairness would throttle
 * us with 429s), and a transient refusal must not fail a student.
 */
import { apiMessage, statusCode } from '../api-errors.ts';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Node's codes for a connection that failed or timed out, as fetch reports them in `cause`. */
const TRANSIENT_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * Worth another try: a conflict (another writer), throttling, the server's own failures,
 * connections that broke or timed out, and writes into a namespace that is still terminating
 * (a re-deploy right after a teardown or reset: it ends by itself). Any other 4xx (a 403 of RBAC
 * or quota, a 404, a 422) is about the request and final.
 */
export function isTransient(error: unknown): boolean {
  const code = statusCode(error);
  if (code === 403) return /because it is being terminated/.test(apiMessage(error));
  if (code !== undefined) return code === 409 || code === 429 || code >= 500;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError' || name === 'FetchError') return true;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const errno = (error as { code?: unknown } | null)?.code ?? cause?.code;
  return typeof errno === 'string' && TRANSIENT_NETWORK.has(errno);
}

/** Exponential with full jitter, so students retrying together do not retry in step. */
export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RetryHooks {
  /** Before attempt `attempt` (≥ 2), with the error that ended the one before. */
  onRetry?: (attempt: number, error: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `work(attempt)` until it succeeds, fails for good, or the attempts are used up. */
export async function retrying<T>(
  work: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<{ value: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await work(attempt), attempts: attempt };
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw new RetriesExhausted(error, attempt);
      hooks.onRetry?.(attempt + 1, error);
      await (hooks.sleep ?? sleep)(backoffMs(attempt, policy, hooks.random));
    }
  }
}

/** Carries how many attempts were made alongside the last error. */
export class RetriesExhausted extends Error {
  override name = 'RetriesExhausted';
  constructor(
    readonly last: unknown,
    readonly attempts: number,
  ) {
    super((last as Error)?.message ?? String(last));
  }
}
