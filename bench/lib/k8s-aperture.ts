/**
 * Aperture on Kubernetes for the benchmarks: the server in this process with a
 * KubernetesRunExecutor, and a client of its HTTP API (bootstrap token) that submits runs and
 * waits until their results are recorded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesRunExecutor } from '@aperture/backend-kubernetes';
import { isTerminal, type RunStatus } from '@aperture/core';
import { loadServerConfig, type RunningServer, startServer } from '@aperture/server';
import type { KubeConfig, V1Toleration } from '@kubernetes/client-node';
import { pino } from 'pino';
import { HELLO } from './k8s-bare.ts';

const TOKEN = 'bench-token-0123456789abcdef';

export interface Placement {
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
  defaultArchitectures: string[];
}

export interface Aperture {
  executor: KubernetesRunExecutor;
  server: RunningServer;
  post(path: string, body: unknown): Promise<{ status: number; body: RunView }>;
  get(path: string): Promise<{ status: number; body: RunView }>;
  close(): Promise<void>;
}

interface RunView {
  id: string;
  status: RunStatus;
  verdict?: string | null;
  error?: unknown;
}

export async function startAperture(
  kubeConfig: KubeConfig,
  namespace: string,
  instance: string,
  placement: Placement,
  concurrency: number,
): Promise<Aperture> {
  const logger = pino({ level: process.env['APERTURE_BENCH_LOG'] ?? 'warn' }, pino.destination(2));
  const executor = await KubernetesRunExecutor.create({
    kubeConfig,
    namespace,
    instance,
    imagePrefix: 'localhost/',
    logger,
    imagePullPolicy: 'Never',
    priorityClassName: undefined,
    ...placement,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'aperture-bench-k8s-'));
  const server = await startServer(
    loadServerConfig(
      { port: 0, dataDir, logLevel: 'silent', bootstrapToken: TOKEN, concurrency, instance },
      {},
    ),
    { executor, logger: false },
  );
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as RunView };
  };
  return {
    executor,
    server,
    post: (path, body) => call('POST', path, body),
    get: (path) => call('GET', path),
    close: async () => {
      await server.close(5000); // closes the executor too
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const HELLO_RUN = { language: 'python', files: [{ path: 'main.py', content: HELLO }] };

/** POST one hello run; a 429 (one user may have 500 runs queued) is retried after a pause. */
async function submit(aperture: Aperture, onRateLimited: () => void): Promise<string> {
  for (;;) {
    const { status, body } = await aperture.post('/api/v1/runs', HELLO_RUN);
    if (status === 202) return body.id;
    if (status !== 429) throw new Error(`POST /api/v1/runs: ${status} ${JSON.stringify(body)}`);
    onRateLimited();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Long-polls one run until it is terminal; returns its verdict. */
async function awaitRun(aperture: Aperture, id: string): Promise<RunView> {
  for (;;) {
    const { body } = await aperture.get(`/api/v1/runs/${id}?wait=true`);
    if (isTerminal(body.status)) return body;
  }
}

export interface SubmitOptions {
  count: number;
  /** HTTP clients posting at once. */
  submitters: number;
  /** Long-polls open at once, taking runs in submission order. */
  waiters: number;
  onDone: () => void;
}

/**
 * `count` runs posted through the API until all results are recorded. Waiting starts with the
 * first id, so the clock stops when the last result is in, not after a pass over all of them.
 */
export async function submitAndAwait(
  aperture: Aperture,
  options: SubmitOptions,
): Promise<{ ms: number; notAccepted: RunView[]; rateLimited: number }> {
  const ids: string[] = [];
  const arrived: Array<() => void> = [];
  const idAt = async (i: number) => {
    while (ids[i] === undefined) await new Promise<void>((resolve) => arrived.push(resolve));
    return ids[i];
  };
  let rateLimited = 0;
  let submitted = 0;
  let waited = 0;
  const notAccepted: RunView[] = [];
  const start = performance.now();
  const posting = Promise.all(
    Array.from({ length: options.submitters }, async () => {
      while (submitted < options.count) {
        submitted += 1;
        ids.push(
          await submit(aperture, () => {
            rateLimited += 1;
          }),
        );
        for (const wake of arrived.splice(0)) wake();
      }
    }),
  );
  const waiting = Promise.all(
    Array.from({ length: options.waiters }, async () => {
      while (waited < options.count) {
        const run = await awaitRun(aperture, await idAt(waited++));
        if (run.verdict !== 'accepted') notAccepted.push(run);
        options.onDone();
      }
    }),
  );
  await Promise.all([posting, waiting]);
  return { ms: performance.now() - start, notAccepted, rateLimited };
}

/** One `POST /api/v1/runs?wait=true` of print("hello"); resolves with its latency. */
export async function apertureHello(aperture: Aperture): Promise<number> {
  const start = performance.now();
  const { body } = await aperture.post('/api/v1/runs?wait=true', HELLO_RUN);
  const ms = performance.now() - start;
  if (body.verdict !== 'accepted') throw new Error(`hello run ended ${JSON.stringify(body)}`);
  return ms;
}
