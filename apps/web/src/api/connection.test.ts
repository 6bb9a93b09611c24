import { describe, expect, it } from 'vitest';
import { ApiError } from './client.ts';
import { type ConnectionState, isConnectionLoss, nextConnectionState, probeDelayMs } from './connection.ts';

const network = new ApiError(0, 'network', 'The server could not be reached.');

describe('connection state', () => {
  it('only a lost connection counts, not an answer the server gave', () => {
    expect(isConnectionLoss(network)).toBe(true);
    expect(isConnectionLoss(new ApiError(502, 'internal', 'Bad gateway'))).toBe(true);
    expect(isConnectionLoss(new ApiError(404, 'not_found', 'x'))).toBe(false);
    expect(isConnectionLoss(new ApiError(503, 'unavailable', 'x'))).toBe(false);
    expect(isConnectionLoss(new Error('x'))).toBe(false);
  });

  it('goes lost → probing with back-off → restored → online', () => {
    let state: ConnectionState = { kind: 'online' };
    state = nextConnectionState(state, {
      type: 'request-failed',
      error: new ApiError(400, 'validation_failed', 'x'),
    });
    expect(state).toEqual({ kind: 'online' });
    state = nextConnectionState(state, { type: 'request-failed', error: network });
    expect(state).toEqual({ kind: 'lost', attempts: 0 });
    state = nextConnectionState(state, { type: 'request-failed', error: network }); // more failures: same outage
    state = nextConnectionState(state, { type: 'probe-failed' });
    state = nextConnectionState(state, { type: 'probe-failed' });
    expect(state).toEqual({ kind: 'lost', attempts: 2 });
    state = nextConnectionState(state, { type: 'probe-succeeded' });
    expect(state).toEqual({ kind: 'restored' });
    expect(nextConnectionState(state, { type: 'settled' })).toEqual({ kind: 'online' });
  });

  it('probes quickly at first, then every 10 s', () => {
    expect([0, 1, 2, 3, 4, 10].map(probeDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});
