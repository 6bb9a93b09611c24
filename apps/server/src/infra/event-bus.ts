import type { EventBus, RunEvent } from '@aperture/core';

/** In-process pub/sub. One server process owns its runs' events; SSE clients subscribe here. */
export class InProcessEventBus implements EventBus {
  private readonly byRun = new Map<string, Set<(event: RunEvent) => void>>();
  private readonly all = new Set<(event: RunEvent) => void>();

  publish(event: RunEvent): void {
    for (const listener of [...(this.byRun.get(event.runId) ?? []), ...this.all]) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (a closed SSE stream) must not stop the others.
      }
    }
  }

  subscribe(runId: string, listener: (event: RunEvent) => void): () => void {
    const set = this.byRun.get(runId) ?? new Set();
    set.add(listener);
    this.byRun.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byRun.delete(runId);
    };
  }

  subscribeAll(listener: (event: RunEvent) => void): () => void {
    this.all.add(listener);
    return () => this.all.delete(listener);
  }
}
