import type { Logger } from '@aperture/core';
import {
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { ApiRequestCounter } from './api-request-counter.ts';

export interface WatchedKind<T extends KubernetesObject> {
  /** `pods`, `jobs`: for the request counter and logs. */
  resource: string;
  /** The collection's URL path in the namespace, e.g. /api/v1/namespaces/ns/pods. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** Which run Job an object belongs to (the Job's own name, or its pod's job-name label). */
  jobNameOf: (object: T) => string | undefined;
}

const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/**
 * One informer (a LIST, then one WATCH) over every run object of one kind of this installation,
 * never a poll per run. Objects are handed to `onEvent` with the Job they belong to. The informer
 * is restarted with backoff when the watch fails; its re-list replays what was missed
 * (client-node reports objects gone meanwhile as deleted).
 */
export class RunObjectWatcher<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  /** Listed and watching: false from a failure until a restart went through without a new one. */
  private healthy = false;
  private stopped = false;
  /** Failures in a row; the restart backoff grows with them. */
  private failures = 0;
  private lastError: string | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private starting = false;
  private startError: unknown;

  constructor(
    kubeConfig: KubeConfig,
    private readonly kind: WatchedKind<T>,
    labelSelector: string,
    onEvent: (jobName: string, object: T, deleted: boolean) => void,
    private readonly logger: Logger,
    counter: ApiRequestCounter,
  ) {
    const list = () => {
      counter.count('list', kind.resource);
      return kind.list();
    };
    this.informer = makeInformer(kubeConfig, kind.path, list, labelSelector);
    const dispatch = (deleted: boolean) => (object: T) => {
      const job = kind.jobNameOf(object);
      if (job) onEvent(job, object, deleted);
    };
    // `connect` comes before each list-and-watch and each re-watch after the server closed one.
    this.informer.on('connect', () => counter.count('watch', kind.resource));
    this.informer.on('add', dispatch(false));
    this.informer.on('update', dispatch(false));
    this.informer.on('delete', dispatch(true));
    this.informer.on('error', (error) => {
      if (this.starting) this.startError = error;
      else this.restartLater(error);
    });
  }

  /** The first list and watch; rejects when the API server refuses them (e.g. RBAC). */
  async start(): Promise<void> {
    this.starting = true;
    this.startError = undefined;
    try {
      await this.informer.start();
    } finally {
      this.starting = false;
    }
    if (this.startError !== undefined) {
      await this.informer.stop();
      throw this.startError;
    }
    this.healthy = true;
  }

  get status(): { connected: boolean; failures: number; lastError: string | undefined } {
    return {
      connected: this.healthy,
      failures: this.failures,
      lastError: this.lastError,
    };
  }

  cached(): readonly T[] {
    return this.informer.list();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private restartLater(error: unknown): void {
    if (this.stopped) return;
    this.healthy = false;
    this.failures += 1;
    this.lastError = (error as Error)?.message ?? String(error);
    const delay = RESTART_DELAYS_MS[Math.min(this.failures - 1, RESTART_DELAYS_MS.length - 1)]!;
    this.logger.warn(
      { resource: this.kind.resource, error: this.lastError, retryInMs: delay },
      'a run watch failed; restarting it',
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      const failuresBefore = this.failures;
      // start() resolves even when its list failed (that comes as an error event, which scheduled
      // the next try): only a start without a new failure counts as recovered.
      this.informer.start().then(
        () => {
          if (!this.stopped && this.failures === failuresBefore) {
            this.healthy = true;
            this.failures = 0;
          }
        },
        (startError: unknown) => this.restartLater(startError),
      );
    }, delay);
  }
}
