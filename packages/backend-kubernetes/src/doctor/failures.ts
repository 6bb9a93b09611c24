import { AbortError, FetchError } from '@kubernetes/client-node';
import { apiMessage, statusCode } from '../api-errors.ts';

/** Why a question to the API server got no answer: a closed set, decided by status or error code. */
export type FailureReason =
  | 'forbidden'
  | 'not-found'
  | 'unauthorized'
  | 'unreachable'
  | 'tls'
  | 'timeout'
  | 'error';

export interface ProbeFailure {
  reason: FailureReason;
  message: string;
  status?: number;
}

/** What one question to the cluster returned: the answer, or why there is none. */
export type Probe<T> = { ok: true; value: T } | { ok: false; failure: ProbeFailure };

export async function probe<T>(call: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, failure: classify(error) };
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

const TLS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

const BY_STATUS: Record<number, FailureReason> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not-found' };

export function classify(error: unknown): ProbeFailure {
  const status = statusCode(error);
  if (status !== undefined)
    return { reason: BY_STATUS[status] ?? 'error', status, message: apiMessage(error) };
  if (error instanceof AbortError) return { reason: 'timeout', message: 'no answer in time' };
  if (error instanceof FetchError) {
    const code = error.code ?? '';
    const reason = UNREACHABLE.has(code) ? 'unreachable' : TLS.has(code) ? 'tls' : 'error';
    // node-fetch says `request to URL failed, reason: …`; the URL is in the report already.
    return { reason, message: error.message.replace(/^request to \S+ failed, reason: /, '') };
  }
  return { reason: 'error', message: (error as Error)?.message ?? String(error) };
}
