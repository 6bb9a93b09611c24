import { isApiError } from './client.ts';

/**
 * The web UI's view of its connection to the server. The server may restart (a crash its
 * supervisor undoes, an upgrade): the UI notices when requests stop reaching it, says so, probes
 * /healthz with back-off, and once the server answers again says that too and refetches
 * everything on screen. Pure: the timers and requests live in ConnectionBanner.
 */
export type ConnectionState = { kind: 'online' } | { kind: 'lost'; attempts: number } | { kind: 'restored' };

export type ConnectionEvent =
  | { type: 'request-failed'; error: unknown }
  | { type: 'probe-failed' }
  | { type: 'probe-succeeded' }
  | { type: 'settled' };

/** No answer at all, or the gateway in front of us answering for a server that is gone. */
export function isConnectionLoss(error: unknown): boolean {
  return isApiError(error) && (error.code === 'network' || error.status === 502 || error.status === 504);
}

export function nextConnectionState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event.type) {
    case 'request-failed':
      return isConnectionLoss(event.error) && state.kind !== 'lost' ? { kind: 'lost', attempts: 0 } : state;
    case 'probe-failed':
      return state.kind === 'lost' ? { kind: 'lost', attempts: state.attempts + 1 } : state;
    case 'probe-succeeded':
      return state.kind === 'lost' ? { kind: 'restored' } : state;
    case 'settled':
      return state.kind === 'restored' ? { kind: 'online' } : state;
  }
}

/** 1 s, 2 s, 4 s, 8 s, then every 10 s: quick after a restart, quiet during a long outage. */
export function probeDelayMs(attempts: number): number {
  return Math.min(10_000, 1_000 * 2 ** attempts);
}
