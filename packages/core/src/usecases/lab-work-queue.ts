/**
 * One queue per lab deployment: its deploy, resets, stops and teardown run one after another, so a
 * teardown never races a deploy that would re-create what it deletes, and the reconciler can tell
 * which deployments this process is already working on (those it must leave alone).
 */
import type { Logger } from '../ports.ts';

export class LabWorkQueue {
  private readonly tails = new Map<string, Promise<void>>();
  /** Keys of tasks queued but not started: a second "apply X" while one waits adds nothing. */
  private readonly waiting = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** Whether anything of `key` is queued or running in this process. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /**
   * Queue `task` behind everything else of `key`; `dedupe` names a task that is pointless to queue
   * twice before it starts. The promise settles when the task does; its errors are also logged.
   */
  run(key: string, task: () => Promise<void>, dedupe?: string): Promise<void> {
    if (dedupe !== undefined) {
      const mark = `${key}\n${dedupe}`;
      if (this.waiting.has(mark)) return this.tails.get(key) ?? Promise.resolve();
      this.waiting.add(mark);
      const inner = task;
      task = () => {
        this.waiting.delete(mark);
        return inner();
      };
    }
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => {
      this.logger.error({ err: error, key }, 'lab task failed');
    });
    this.tails.set(key, next);
    void next.finally(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves once nothing is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
