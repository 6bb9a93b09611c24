import { AbortError, ApiException, FetchError } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { classify, probe } from './failures.ts';

const status = (code: number, message: string) =>
  new ApiException(code, 'HTTP', JSON.stringify({ kind: 'Status', message }), {});

const system = (code: string) =>
  new FetchError(`request to https://10.0.0.1:6443/version failed, reason: ${code}`, 'system', {
    code,
  } as unknown as NodeJS.ErrnoException);

describe('classify', () => {
  it('maps HTTP statuses to reasons and keeps the Status message', () => {
    expect(classify(status(403, 'nodes is forbidden: User "x" cannot list resource "nodes"'))).toEqual({
      reason: 'forbidden',
      status: 403,
      message: 'nodes is forbidden: User "x" cannot list resource "nodes"',
    });
    expect(classify(status(404, 'the server could not find the requested resource')).reason).toBe(
      'not-found',
    );
    expect(classify(status(401, 'Unauthorized')).reason).toBe('unauthorized');
    expect(classify(status(500, 'etcdserver: request timed out')).reason).toBe('error');
  });

  it('maps network and TLS error codes, and aborts (our deadline)', () => {
    expect(classify(system('ECONNREFUSED')).reason).toBe('unreachable');
    expect(classify(system('ENOTFOUND')).reason).toBe('unreachable');
    expect(classify(system('SELF_SIGNED_CERT_IN_CHAIN')).reason).toBe('tls');
    expect(classify(system('ERR_TLS_CERT_ALTNAME_INVALID')).reason).toBe('tls');
    expect(classify(new AbortError('The user aborted a request.')).reason).toBe('timeout');
    expect(classify(new Error('No active cluster!'))).toEqual({
      reason: 'error',
      message: 'No active cluster!',
    });
  });

  it('probe turns a rejection into a failure and an answer into a value', async () => {
    expect(await probe(async () => 42)).toEqual({ ok: true, value: 42 });
    expect(await probe(() => Promise.reject(status(404, 'gone')))).toEqual({
      ok: false,
      failure: { reason: 'not-found', status: 404, message: 'gone' },
    });
  });
});
