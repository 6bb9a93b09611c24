import type { Refusal } from './address-policy.ts';

/** The closed set of ways an outbound request ends without an answer. Match on `code`. */
export type OutboundErrorCode = 'outbound_refused' | 'outbound_timeout' | 'outbound_network';

export abstract class OutboundError extends Error {
  abstract readonly code: OutboundErrorCode;
}

/** The policy said no: nothing was sent, and trying again will not change that. */
export class OutboundRefusedError extends OutboundError {
  readonly code = 'outbound_refused';
  override name = 'OutboundRefusedError';

  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

export class OutboundTimeoutError extends OutboundError {
  readonly code = 'outbound_timeout';
  override name = 'OutboundTimeoutError';

  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}

/** DNS said no such name, the connection was refused or reset, TLS failed… */
export class OutboundNetworkError extends OutboundError {
  readonly code = 'outbound_network';
  override name = 'OutboundNetworkError';
}
