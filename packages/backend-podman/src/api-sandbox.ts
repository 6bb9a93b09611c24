import type { Socket } from 'node:net';
import { HARNESS_READY_LINE } from '@aperture/core';
import { FrameDemuxer, type PodmanApiClient } from './podman-api-client.ts';

/** More stdout than any honest harness result; beyond it the sandbox is killed (as SandboxProcess). */
const MAX_STDOUT_BYTES = 256 * 1024 * 1024;
const STDERR_TAIL_BYTES = 16 * 1024;

export interface ApiSandboxExit {
  stdout: string;
  stderrTail: string;
  overflow: boolean;
  /** Why the sandbox could not be created, attached or started, if it could not. */
  failure: string | null;
}

/**
 * One sandbox through the libpod API, the twin of SandboxProcess without a CLI process: create
 * (SpecGenerator), attach stdin/stdout/stderr (which also initialises it), start. The job goes in
 * on the attach connection, ended by a half-close; the harness's frame comes out on the stream.
 * Pre-started (pool) or started for one run (cold), it is used exactly once.
 */
export class ApiSandbox {
  readonly ready: Promise<boolean>;
  readonly exited: Promise<ApiSandboxExit>;
  private readonly booted: Promise<void>;
  private socket: Socket | undefined;
  private containerId: string | undefined;
  private started = false;
  private done = false;
  private used = false;
  private killing: Promise<void> | undefined;
  private pendingJob: string | undefined;
  private resolveReady: (ready: boolean) => void = () => {};
  private resolveExit: (exit: ApiSandboxExit) => void = () => {};
  private readonly stdout: Buffer[] = [];
  private stdoutBytes = 0;
  private overflow = false;
  private stderr = '';
  private failure: string | null = null;
  /** Serve mode: the job in progress waits for the end of its frame. */
  private waiter: { marker: string; resolve: (output: string | undefined) => void } | undefined;
  private served = 0;
  private frameTail = Buffer.alloc(0);

  constructor(
    private readonly client: PodmanApiClient,
    readonly name: string,
    spec: Record<string, unknown>,
    /** Host-side cleanup once the container is gone (its delegated cgroups). */
    private readonly onRemoved: () => void = () => {},
  ) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.booted = this.boot(spec);
  }

  get isAlive(): boolean {
    return !this.done;
  }

  /** Hand the job over; the harness starts as soon as its stdin ends. */
  send(job: unknown): void {
    if (this.used) throw new Error(`sandbox ${this.name} was already used`);
    this.used = true;
    const text = JSON.stringify(job);
    if (this.started && this.socket) this.socket.end(text);
    else this.pendingJob = text;
  }

  /** Jobs handed over in the serve mode. */
  get jobsServed(): number {
    return this.served;
  }

  /**
   * The serve mode (APERTURE_SERVE=1, ADR 0006): hand over one job as one line, stdin kept open for
   * the next. Resolves with the job's stdout, its frame included, once the frame is complete;
   * undefined when the sandbox ended first (then `exited` tells why).
   */
  serve(job: { nonce: string }): Promise<string | undefined> {
    if (this.waiter) throw new Error(`sandbox ${this.name} is still serving a job`);
    this.used = true;
    this.served++;
    const output = new Promise<string | undefined>((resolve) => {
      this.waiter = { marker: `@@END ${job.nonce}@@\n`, resolve };
    });
    if (this.done || !this.started || !this.socket) this.settleWaiter(undefined);
    else this.socket.write(`${JSON.stringify(job)}\n`);
    return output;
  }

  private settleWaiter(output: string | undefined): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(output);
  }

  /**
   * Once the frame of the job in progress is complete, give its output away and start afresh. Only
   * the newest chunk and the bytes just before it (`frameTail`) can complete the end marker, so a
   * large result is not joined again for every chunk that arrives.
   */
  private checkFrame(chunk: Buffer): void {
    if (!this.waiter) return;
    const marker = this.waiter.marker;
    const window = Buffer.concat([this.frameTail, chunk]);
    this.frameTail = window.subarray(-marker.length);
    if (!window.includes(marker)) return;
    const text = Buffer.concat(this.stdout).toString('utf8');
    this.stdout.length = 0;
    this.stdoutBytes = 0;
    this.frameTail = Buffer.alloc(0);
    this.settleWaiter(text);
  }

  /** The container's exit code, when Podman still knows it (best effort, for diagnostics). */
  async exitCode(): Promise<number | null> {
    await this.booted;
    return this.containerId ? this.client.exitCode(this.containerId) : null;
  }

  /**
   * Drop the stream, then remove the container (force, no stop timeout) in whatever state it
   * reached; a create still in flight is waited for first so nothing is left behind.
   */
  kill(): Promise<void> {
    this.killing ??= (async () => {
      this.socket?.destroy();
      await this.booted;
      try {
        await this.client.removeContainer(this.containerId ?? this.name);
      } catch (error) {
        this.failure ??= `remove: ${(error as Error).message}`;
      }
      this.onRemoved();
      this.finish();
    })();
    return this.killing;
  }

  private async boot(spec: Record<string, unknown>): Promise<void> {
    try {
      this.containerId = await this.client.createContainer(spec);
      if (this.killing) return;
      const { socket, head } = await this.client.attach(this.containerId);
      if (this.killing) {
        socket.destroy();
        return;
      }
      this.wire(socket, head);
      await this.client.startContainer(this.containerId);
      this.started = true;
      if (this.pendingJob !== undefined && !this.killing) socket.end(this.pendingJob);
    } catch (error) {
      this.failure = (error as Error).message;
      this.socket?.destroy();
      this.finish();
    }
  }

  private wire(socket: Socket, head: Buffer): void {
    this.socket = socket;
    const demux = new FrameDemuxer((stream, payload) => {
      if (stream === 1) {
        this.stdoutBytes += payload.length;
        if (this.stdoutBytes > MAX_STDOUT_BYTES) {
          this.overflow = true;
          void this.kill();
        } else {
          const chunk = Buffer.from(payload);
          this.stdout.push(chunk);
          this.checkFrame(chunk);
        }
      } else if (stream === 2) {
        this.stderr = (this.stderr + payload.toString('utf8')).slice(-STDERR_TAIL_BYTES);
        if (this.stderr.includes(HARNESS_READY_LINE)) this.resolveReady(true);
      }
    });
    socket.on('data', (chunk: Buffer) => demux.push(chunk));
    socket.on('error', (error) => {
      // A reset after a kill is expected; otherwise it explains a missing result.
      if (!this.killing) this.failure ??= `attach stream: ${error.message}`;
    });
    socket.on('close', () => this.finish());
    if (head.length) demux.push(head);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.settleWaiter(undefined);
    this.resolveReady(false);
    this.resolveExit({
      stdout: Buffer.concat(this.stdout).toString('utf8'),
      stderrTail: this.stderr.replace(`${HARNESS_READY_LINE}\n`, ''),
      overflow: this.overflow,
      failure: this.failure,
    });
  }
}
