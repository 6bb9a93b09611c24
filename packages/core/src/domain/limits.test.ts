import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, envelopeOf, MAX_LIMITS, MIN_LIMITS, resolveLimits } from './limits.ts';

describe('limits', () => {
  it('layers later values over earlier ones and ignores undefined', () => {
    const limits = resolveLimits(DEFAULT_LIMITS, { cpuMs: 1000 }, {
      cpuMs: undefined,
      wallMs: 2000,
    } as never);
    expect(limits).toMatchObject({ cpuMs: 1000, wallMs: 2000, memoryBytes: DEFAULT_LIMITS.memoryBytes });
  });

  it('clamps to the maxima and minima', () => {
    const limits = resolveLimits(DEFAULT_LIMITS, { cpuMs: 10 ** 9, memoryBytes: 1, pids: 0 });
    expect(limits.cpuMs).toBe(MAX_LIMITS.cpuMs);
    expect(limits.memoryBytes).toBe(MIN_LIMITS.memoryBytes);
    expect(limits.pids).toBe(MIN_LIMITS.pids);
  });

  it('the envelope is the largest of each limit', () => {
    const envelope = envelopeOf([
      { ...DEFAULT_LIMITS, memoryBytes: 1 },
      { ...DEFAULT_LIMITS, cpuMs: 99_999, network: true },
    ]);
    expect(envelope.memoryBytes).toBe(DEFAULT_LIMITS.memoryBytes);
    expect(envelope.cpuMs).toBe(99_999);
    expect(envelope.network).toBe(true);
  });
});
