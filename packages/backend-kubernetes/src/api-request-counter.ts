/**
 * Every request this backend sends to the API server, by verb and resource (`create jobs`,
 * `watch pods`). Shown by health() and read by the benchmarks: the goal is a few writes per run
 * and no polling reads.
 */
export class ApiRequestCounter {
  private readonly counts = new Map<string, number>();

  count(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
  }
}
