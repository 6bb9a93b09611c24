import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { backoffMs, isTransient, RetriesExhausted, retrying } from './concurrency.ts';

const apiError = (code: number, message = 'refused') =>
  new ApiException(code, 'failed', JSON.stringify({ kind: 'Status', message }), {});

const noSleep = { sleep: async () => {} };

describe('isTransient', () => {
  it.each([409, 429, 500, 503, 504])('%i is worth another try', (code) => {
    expect(isTransient(apiError(code))).toBe(true);
  });

  it.each([400, 403, 404, 422])('%i is final', (code) => {
    expect(isTransient(apiError(code))).toBe(false);
  });

  it('a write into a namespace still terminating is retried', () => {
    const message =
      'resourcequotas "lab-budget" is forbidden: unable to create new content in namespace lab-x because it is being terminated';
    expect(isTransient(apiError(403, message))).toBe(true);
  });

  it('broken connections and timeouts are transient, programming errors are not', () => {
    expect(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } }))).toBe(true);
    expect(isTransient(new DOMException('timed out', 'TimeoutError'))).toBe(true);
    expect(isTransient(new TypeError('x is undefined'))).toBe(false);
  });
});

describe('retrying', () => {
  it('retries transient errors with the next attempt number, then succeeds', async () => {
    const retries: number[] = [];
    const { value, attempts } = await retrying(
      async (attempt) => {
        if (attempt < 3) throw apiError(429);
        return 'done';
      },
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
      { ...noSleep, onRetry: (attempt) => retries.push(attempt) },
    );
    expect(value).toBe('done');
    expect(attempts).toBe(3);
    expect(retries).toEqual([2, 3]);
  });

  it('gives up at once on a final error, and after the last attempt on transient ones', async () => {
    const final = retrying(
      () => Promise.reject(apiError(422)),
      { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 },
      noSleep,
    );
    await expect(final).rejects.toMatchObject({ attempts: 1 });
    const exhausted = await retrying(
      () => Promise.reject(apiError(503)),
      { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      noSleep,
    ).catch((error: unknown) => error);
    expect(exhausted).toBeInstanceOf(RetriesExhausted);
    expect((exhausted as RetriesExhausted).attempts).toBe(3);
    expect((exhausted as RetriesExhausted).last).toBeInstanceOf(ApiException);
  });
});

describe('backoffMs', () => {
  const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles per attempt within half and all of the ceiling, and stops at the maximum', () => {
    expect(backoffMs(1, policy, () => 0)).toBe(50);
    expect(backoffMs(1, policy, () => 1)).toBe(100);
    expect(backoffMs(3, policy, () => 1)).toBe(400);
    expect(backoffMs(8, policy, () => 1)).toBe(1000);
  });
});
