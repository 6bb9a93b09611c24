import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { removeContainers } from './podman-cli.ts';

export { READY_LINE };

import { HARNESS_READY_LINE as READY_LINE } from '@aperture/core';

/** More stdout than any honest harness result; beyond it the sandbox is killed. */
const MAX_STDOUT_BYTES = 256 * 1024 * 1024;
const STDERR_TAIL_BYTES = 16 * 1024;

export interface SandboxExit {
  code: number | null;
  stdout: string;
  stderrTail: string;
  overflow: boolean;
}

/**
 * One `podman run -i` of a sandbox, attached. The job goes in on stdin; the harness's frame comes
 * out on stdout. Pre-started (pool) or started for one run (cold), it is used exactly once.
 */
export class SandboxProcess {
  readonly ready: Promise<boolean>;
  readonly exited: Promise<SandboxExit>;
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private used = false;
  private killing: Promise<void> | undefined;

  constructor(
    private readonly podmanPath: string,
    readonly name: string,
    args: string[],
    /** Host-side cleanup once the container is gone (its delegated cgroups). */
    private readonly onRemoved: () => void = () => {},
  ) {
    this.child = spawn(podmanPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => {
      // The sandbox may die before reading its job (killed, image missing): the exit tells why.
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    let stderr = '';
    let resolveReady: (ready: boolean) => void = () => {};
    this.ready = new Promise((resolve) => (resolveReady = resolve));
    this.child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STDOUT_BYTES) {
        overflow = true;
        void this.kill();
      } else chunks.push(chunk);
    });
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL_BYTES);
      if (stderr.includes(READY_LINE)) resolveReady(true);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        stderr += error.message;
      });
      this.child.on('close', (code) => {
        resolveReady(false);
        resolve({
          code,
          stdout: Buffer.concat(chunks).toString('utf8'),
          stderrTail: stderr.replace(`${READY_LINE}\n`, ''),
          overflow,
        });
      });
    });
  }

  /** Hand the job over; the harness starts as soon as stdin closes. */
  send(job: unknown): void {
    if (this.used) throw new Error(`sandbox ${this.name} was already used`);
    this.used = true;
    this.child.stdin.end(JSON.stringify(job));
  }

  get isAlive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Stop the CLI first, then remove the container by name: once the CLI is dead nothing can still
   * create the container behind our back, and `rm` catches it in whatever state it reached.
   */
  kill(): Promise<void> {
    this.killing ??= (async () => {
      if (this.isAlive) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
      await removeContainers(this.podmanPath, [this.name]);
      this.onRemoved();
    })();
    return this.killing;
  }
}
