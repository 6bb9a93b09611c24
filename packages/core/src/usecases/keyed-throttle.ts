/**
 * "At most once per key in `intervalMs`", in memory: for writes that need no finer grain (a copy's
 * last use, an access-log row). Bounded: past 10,000 keys, the ones that throttle nothing go.
 */
export class KeyedThrottle {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  /** Whether to act for `key` at `now` (epoch ms); if so, `now` is remembered as its last time. */
  due(key: string, now: number): boolean {
    const last = this.last.get(key);
    // (A clock that went back acts again rather than going quiet.)
    if (last !== undefined && now >= last && now - last < this.intervalMs) return false;
    if (this.last.size >= 10_000) this.forgetOld(now);
    this.last.set(key, now);
    return true;
  }

  /** The action for `key` did not happen after all (it failed): the next call is due again. */
  forget(key: string): void {
    this.last.delete(key);
  }

  private forgetOld(now: number): void {
    for (const [key, at] of this.last) if (now - at >= this.intervalMs) this.last.delete(key);
  }
}
