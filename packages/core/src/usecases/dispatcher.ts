import type { Run } from '../domain/entities.ts';
import type { HarnessResult } from '../domain/harness-protocol.ts';
import { buildHarnessJob, sandboxFor } from '../domain/job-builder.ts';
import { findLanguage } from '../domain/languages.ts';
import { overallVerdict, type Verdict } from '../domain/verdicts.ts';
import type { ExecutionResult, Logger, QueuedRunRef, RunCompletion, RunExecutor } from '../ports.ts';
import {
  defaultFairShare,
  type FairShareCaps,
  pickNext,
  RunningLoadCounter,
} from '../scheduling/fair-queue.ts';
import type { CoreDeps } from './deps.ts';
import { isoNow } from './deps.ts';
import type { RunScheduler } from './run-service.ts';

export interface DispatcherOptions {
  /** Runs executing at once. Default: the number of cores. */
  concurrency: number;
  /** Attempts before an infrastructure failure becomes a failed run. */
  maxAttempts: number;
  /** How many queued runs to consider per pick; fairness is exact within this window. */
  window?: number;
  /** Fair share of the slots (scheduling/fair-queue.ts); unset fields follow `defaultFairShare`. */
  fairShare?: Partial<Omit<FairShareCaps, 'concurrency'>>;
}

/**
 * The window holds at most WINDOW_PER_USER runs of each user (the oldest), so a flood cannot
 * push anyone else out of it: 2000 / 4 = 500 users with work are all seen on every pick.
 */
const DEFAULT_WINDOW = 2000;
const WINDOW_PER_USER = 4;

interface InFlight {
  run: Run;
  controller: AbortController;
}

/**
 * Starts queued runs on the executor, at most `concurrency` at once, fairly across courses and
 * users. Every run ends in exactly one terminal state: results are written with the attempt
 * number, so a late answer from an abandoned attempt can never overwrite the retry's.
 */
export class Dispatcher implements RunScheduler {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly load = new RunningLoadCounter();
  private readonly caps: FairShareCaps;
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deps: CoreDeps,
    private readonly executor: RunExecutor,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
  ) {
    this.caps = defaultFairShare(options.concurrency, options.fairShare);
  }

  /**
   * Crash recovery, then start. Runs left `running` by a dead process go back to the queue (their
   * attempt counted) and every sandbox of ours is removed before anything new starts.
   */
  async start(): Promise<{ requeued: number; removedSandboxes: number }> {
    const requeued = await this.deps.store.runs.requeueRunning();
    await this.failExhausted(requeued);
    const { removed } = await this.executor.sweep(new Set());
    if (requeued.length > 0 || removed > 0) {
      this.logger.warn(
        { requeued: requeued.length, removedSandboxes: removed },
        'recovered runs from an earlier crash',
      );
    }
    this.wake();
    return { requeued: requeued.length, removedSandboxes: removed };
  }

  /**
   * A run that was mid-flight at every one of its attempts' crashes may be what crashes the server
   * (a result too big to handle, say): fail it instead of running it into the next crash.
   */
  private async failExhausted(ids: string[]): Promise<void> {
    for (const id of ids) {
      const run = await this.deps.store.runs.get(id);
      if (!run || run.attempts < this.options.maxAttempts) continue;
      const claimed = await this.deps.store.runs.claim(id, isoNow(this.deps.clock));
      if (!claimed) continue;
      const reason = `the server stopped during each of its ${run.attempts} attempts`;
      this.logger.error(
        { runId: id, attempts: run.attempts },
        'run failed: interrupted by a crash on every attempt',
      );
      await this.finish(claimed, failed(reason, isoNow(this.deps.clock)));
    }
  }

  get running(): number {
    return this.inFlight.size;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    void this.pump();
  }

  cancel(runId: string): void {
    this.inFlight.get(runId)?.controller.abort();
  }

  /**
   * Stop taking runs. Running ones get `graceMs` to finish; the rest are aborted and put back in
   * the queue for the next start, so a restart never loses or duplicates a run.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    await Promise.race([this.whenIdle(), sleep(graceMs)]);
    for (const { controller } of this.inFlight.values()) controller.abort('shutdown');
    await this.whenIdle();
  }

  /** Resolves when nothing is running (tests and shutdown). */
  whenIdle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.fill();
      } while (this.pumpAgain && !this.stopped);
    } catch (error) {
      this.logger.error({ err: error }, 'dispatcher could not read the queue; retrying in 1 s');
      setTimeout(() => this.wake(), 1000).unref();
    } finally {
      this.pumping = false;
    }
  }

  /** One read of the queue per round; a new read only when a round started something and slots are left. */
  private async fill(): Promise<void> {
    while (!this.stopped && this.inFlight.size < this.options.concurrency) {
      const window = this.options.window ?? DEFAULT_WINDOW;
      const queued = (await this.deps.store.runs.listQueued(window, WINDOW_PER_USER)).filter(
        (r) => !this.inFlight.has(r.id),
      );
      if ((await this.startFrom(queued)) === 0) return;
    }
  }

  /**
   * Start runs from one read of the queue until the slots are full or every run left must wait
   * for its user's or course's share. Each pick is one pass over the window, so a queue full of
   * capped users' runs costs one scan per start, never a scan per skipped run.
   */
  private async startFrom(queued: QueuedRunRef[]): Promise<number> {
    let started = 0;
    while (!this.stopped && this.inFlight.size < this.options.concurrency) {
      const next = pickNext(queued, this.load, this.caps);
      if (!next) break;
      queued.splice(queued.indexOf(next), 1);
      // Conditional write: another dispatcher or a cancel may have taken it since the read.
      const run = await this.deps.store.runs.claim(next.id, isoNow(this.deps.clock));
      if (run) {
        this.launch(run);
        started++;
      }
    }
    return started;
  }

  private launch(run: Run): void {
    const controller = new AbortController();
    this.inFlight.set(run.id, { run, controller });
    this.load.add(run);
    this.deps.events.publish({
      type: 'run.status',
      runId: run.id,
      status: 'running',
      at: run.startedAt ?? isoNow(this.deps.clock),
    });
    void this.execute(run, controller)
      .catch((error) => this.logger.error({ err: error, runId: run.id }, 'run handling failed'))
      .finally(() => {
        this.inFlight.delete(run.id);
        this.load.remove(run);
        if (this.inFlight.size === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
        this.wake();
      });
  }

  private async execute(run: Run, controller: AbortController): Promise<void> {
    const language = findLanguage(run.spec.language);
    if (!language) {
      await this.finish(
        run,
        failed(`language ${run.spec.language} is no longer available`, isoNow(this.deps.clock)),
      );
      return;
    }
    // Read the flag again now that the run is in flight: a cancel that landed between the claim
    // and this point found nothing to abort and would otherwise be lost.
    const latest = await this.deps.store.runs.get(run.id);
    if (run.cancelRequested || latest?.cancelRequested) {
      await this.markCancelled(run);
      return;
    }
    const job = buildHarnessJob(run, language, this.deps.ids.secret(16));
    const started = Date.now();
    let outcome: ExecutionResult;
    try {
      outcome = await this.executor.execute({
        runId: run.id,
        attempt: run.attempts,
        job,
        sandbox: sandboxFor(job, language),
        signal: controller.signal,
      });
    } catch (error) {
      outcome = { kind: 'infrastructure', reason: (error as Error).message, retryable: true };
    }
    const log = { runId: run.id, attempt: run.attempts, ms: Date.now() - started };
    if (outcome.kind === 'cancelled' || controller.signal.aborted) {
      if (controller.signal.reason === 'shutdown') {
        await this.deps.store.runs.release(run.id, run.attempts);
        this.logger.info(log, 'run returned to the queue at shutdown');
      } else {
        await this.markCancelled(run);
      }
      return;
    }
    if (outcome.kind === 'result' && outcome.result.status === 'ok') {
      this.logger.info({ ...log, verdict: runVerdict(outcome.result) }, 'run completed');
      await this.finish(run, completed(outcome.result, isoNow(this.deps.clock)));
      return;
    }
    const reason =
      outcome.kind === 'result'
        ? `harness internal error: ${outcome.result.message ?? 'no message'}`
        : outcome.reason;
    const retryable = outcome.kind === 'result' || outcome.retryable;
    if (retryable && run.attempts < this.options.maxAttempts && !this.stopped) {
      this.logger.warn({ ...log, reason }, 'infrastructure failure; run goes back to the queue');
      await this.deps.store.runs.release(run.id, run.attempts);
      this.deps.events.publish({
        type: 'run.status',
        runId: run.id,
        status: 'queued',
        at: isoNow(this.deps.clock),
      });
      return;
    }
    this.logger.error({ ...log, reason }, 'run failed for an infrastructure reason');
    await this.finish(run, failed(reason, isoNow(this.deps.clock)));
  }

  private async finish(run: Run, completion: RunCompletion): Promise<void> {
    const applied = await this.deps.store.runs.complete(run.id, run.attempts, completion);
    if (!applied) return;
    await this.announceTerminal(run.id, completion.status, completion.verdict);
  }

  private async markCancelled(run: Run): Promise<void> {
    if (await this.deps.store.runs.markCancelled(run.id, run.attempts, isoNow(this.deps.clock))) {
      await this.announceTerminal(run.id, 'cancelled', null);
    }
  }

  private async announceTerminal(
    runId: string,
    status: Run['status'],
    verdict: Verdict | null,
  ): Promise<void> {
    this.deps.events.publish({ type: 'run.status', runId, status, at: isoNow(this.deps.clock), verdict });
    const stored = await this.deps.store.runs.get(runId);
    if (stored) this.deps.events.publish({ type: 'run.completed', runId, run: stored });
  }
}

export function runVerdict(result: HarnessResult): Verdict {
  if (result.execution) {
    return result.compile?.verdict === 'compile_error' ? 'compile_error' : result.execution.verdict;
  }
  return overallVerdict(result.compile?.verdict, result.tests);
}

function completed(result: HarnessResult, finishedAt: string): RunCompletion {
  return {
    status: 'completed',
    result,
    verdict: runVerdict(result),
    score: result.score,
    maxScore: result.maxScore,
    error: null,
    finishedAt,
  };
}

function failed(reason: string, finishedAt: string): RunCompletion {
  return {
    status: 'failed',
    result: null,
    verdict: 'internal_error',
    score: null,
    maxScore: null,
    error: reason,
    finishedAt,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
