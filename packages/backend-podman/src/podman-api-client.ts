import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The libpod API version we speak; Podman 4.x serves it (4.3.1 on our machines). */
const API_PREFIX = '/v4.0.0/libpod';
/** Control-plane calls (create, start, remove, list) that take longer than this are broken. */
const DEFAULT_TIMEOUT_MS = 60_000;
const SETPRIV = '/usr/bin/setpriv';

export interface ApiResponse {
  status: number;
  body: string;
}

/** An HTTP error from the libpod API, with Podman's own message (`{"cause","message","response"}`). */
export class PodmanApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    body: string,
  ) {
    super(`podman API ${path}: ${status} ${messageOf(body)}`);
  }
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: string };
    return parsed.message ?? body.trim();
  } catch {
    return body.trim();
  }
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string> | null;
}

/**
 * A minimal client of Podman's libpod REST API on a unix socket (node:http, no dependency): the few
 * calls the executor needs, plus the hijacked attach stream. One keep-alive agent, so control calls
 * reuse connections instead of paying a connect each.
 */
export class PodmanApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  constructor(readonly socketPath: string) {}

  async request(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<ApiResponse>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path: `${API_PREFIX}${path}`,
          headers: data
            ? { 'content-type': 'application/json', 'content-length': String(data.length) }
            : { 'content-length': '0' },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`podman API ${method} ${path}: no answer in ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  /** A call that must answer 2xx; anything else throws PodmanApiError. */
  async call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<string> {
    const response = await this.request(method, path, body, timeoutMs);
    if (response.status < 200 || response.status >= 300)
      throw new PodmanApiError(response.status, `${method} ${path}`, response.body);
    return response.body;
  }

  async ping(timeoutMs = 5_000): Promise<boolean> {
    try {
      return (await this.request('GET', '/_ping', undefined, timeoutMs)).status === 200;
    } catch {
      return false;
    }
  }

  async version(): Promise<string> {
    const body = JSON.parse(await this.call('GET', '/version', undefined, 10_000)) as { Version?: string };
    return body.Version ?? 'unknown';
  }

  /** Create a container from a SpecGenerator; resolves with its id. */
  async createContainer(spec: object): Promise<string> {
    return (JSON.parse(await this.call('POST', '/containers/create', spec)) as { Id: string }).Id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/start`);
  }

  /** Remove now, whatever its state: `timeout=0` so a PID 1 ignoring SIGTERM costs nothing. */
  async removeContainer(nameOrId: string): Promise<void> {
    const response = await this.request(
      'DELETE',
      `/containers/${encodeURIComponent(nameOrId)}?force=true&timeout=0&ignore=true`,
    );
    // 404: already gone (`remove` after exit, or never created) — the outcome we want.
    if (response.status >= 300 && response.status !== 404)
      throw new PodmanApiError(response.status, `DELETE ${nameOrId}`, response.body);
  }

  /** Exit code of a container that has stopped, or null (gone, or no answer). */
  async exitCode(id: string, timeoutMs = 2_000): Promise<number | null> {
    try {
      const response = await this.request(
        'POST',
        `/containers/${encodeURIComponent(id)}/wait?condition=exited&condition=stopped`,
        undefined,
        timeoutMs,
      );
      return response.status === 200 ? Number(response.body.trim()) : null;
    } catch {
      return null;
    }
  }

  async inspectContainer(nameOrId: string): Promise<Record<string, unknown>> {
    return JSON.parse(await this.call('GET', `/containers/${encodeURIComponent(nameOrId)}/json`)) as Record<
      string,
      unknown
    >;
  }

  async listContainers(labelFilter: string): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [labelFilter] }));
    return JSON.parse(
      await this.call('GET', `/containers/json?all=true&filters=${filters}`),
    ) as ContainerSummary[];
  }

  /**
   * Attach stdin, stdout and stderr of a created container. Asking for the upgrade makes Podman
   * answer `101 UPGRADED` and hand over the raw connection: what we write goes to the container's
   * stdin, and our half-close (FIN) ends it (Podman's HTTPAttach then CloseWrite()s conmon's attach
   * socket; conmon, started with `-i` and without `--leave-stdin-open`, closes the container's
   * stdin). Reads are the multiplexed stream (8-byte headers, see FrameDemuxer) until the container
   * exits. Attaching to a container that is only created also initialises it (conmon + `runc
   * create`), so no output can be missed before start. `detachKeys=` (empty) turns off the
   * ctrl-p,ctrl-q detach sequence, so no byte of the job can end the session early.
   */
  attach(id: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ socket: Socket; head: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        // A hijacked connection must never go back to the keep-alive pool.
        agent: false,
        method: 'POST',
        path: `${API_PREFIX}/containers/${encodeURIComponent(id)}/attach?detachKeys=&stream=true&stdin=true&stdout=true&stderr=true`,
        headers: { connection: 'Upgrade', upgrade: 'tcp', 'content-length': '0' },
        timeout: timeoutMs,
      });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        socket.setTimeout(0);
        resolve({ socket, head });
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          reject(
            new PodmanApiError(res.statusCode ?? 0, `attach ${id}`, Buffer.concat(chunks).toString('utf8')),
          ),
        );
      });
      req.on('timeout', () =>
        req.destroy(new Error(`podman API attach ${id}: no answer in ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Splits Podman's non-TTY attach stream into stdout and stderr: each frame is an 8-byte header
 * (byte 0 the stream: 1 stdout, 2 stderr; bytes 4–7 the big-endian payload length) and the
 * payload. Frames arrive split and merged arbitrarily across reads.
 */
export class FrameDemuxer {
  private pending = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buffer = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buffer.length >= 8) {
      const length = buffer.readUInt32BE(4);
      if (buffer.length < 8 + length) break;
      this.onFrame(buffer[0]!, buffer.subarray(8, 8 + length));
      buffer = buffer.subarray(8 + length);
    }
    this.pending = Buffer.from(buffer);
  }
}

/**
 * `podman system service --time=0` on a private socket, owned by this process: started when no
 * socket is configured, started again on the same socket if it dies, stopped by `stop()`.
 */
export class PodmanService {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private restarting: Promise<void> | undefined;
  private stopped = false;
  private stderr = '';

  private constructor(
    private readonly podmanPath: string,
    private readonly dir: string,
    readonly socketPath: string,
    private readonly readyTimeoutMs: number,
  ) {}

  static async start(podmanPath: string, readyTimeoutMs = 20_000): Promise<PodmanService> {
    const dir = mkdtempSync(join(tmpdir(), 'aperture-podman-api-'));
    const service = new PodmanService(podmanPath, dir, join(dir, 'podman.sock'), readyTimeoutMs);
    try {
      await service.launch();
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Start it again if it died (crashed, killed); concurrent callers share one restart. */
  async ensureRunning(): Promise<void> {
    if (this.stopped || this.alive) return;
    this.restarting ??= this.launch().finally(() => {
      this.restarting = undefined;
    });
    await this.restarting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting?.catch(() => {});
    const child = this.child;
    if (child && this.alive) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = ['system', 'service', '--time=0', `unix://${this.socketPath}`];
    // With --time=0 the service never exits by itself: where util-linux's setpriv is there, ask the
    // kernel to stop it if we die without close() (SIGKILL, crash). Running sandboxes are not its
    // children (conmon's), and the next start sweeps them.
    const child = existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', this.podmanPath, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(this.podmanPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-4096);
    });
    this.exited = new Promise<void>((resolve) => {
      child.on('error', (error) => {
        this.stderr += error.message;
        resolve();
      });
      child.on('exit', () => resolve());
    });
    const client = new PodmanApiClient(this.socketPath);
    const started = Date.now();
    try {
      while (Date.now() - started < this.readyTimeoutMs) {
        if (!this.alive) throw new Error(`podman system service exited: ${this.stderr.trim()}`);
        if (await client.ping(1_000)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill('SIGKILL');
      throw new Error(
        `podman system service did not answer in ${this.readyTimeoutMs} ms: ${this.stderr.trim()}`,
      );
    } finally {
      client.close();
    }
  }
}
