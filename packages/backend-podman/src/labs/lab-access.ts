/**
 * LabAccess on Podman: exec and terminals through the libpod API's exec sessions, TCP to the
 * component's address on the student's network. The host reaches that address directly (with
 * root Podman and netavark the internal network's bridge carries its gateway address on the
 * host), while containers of another student's network have no route to it: an internal network
 * has no default route, only its own subnet.
 */
import { type Socket, connect as tcpConnect } from 'node:net';
import {
  DEFAULT_LAB_EXEC_TIMEOUT_MS,
  LAB_LOGIN_SHELL,
  type LabExecOptions,
  type LabExecResult,
  type LabTerminal,
  type LabTerminalOptions,
  NotFoundError,
  UnavailableError,
} from '@aperture/core';
import { FrameDemuxer, type PodmanApiClient, PodmanApiError } from '../podman-api-client.ts';
import { createExec, exitCodeOf, killExec, resizeExec, startExec } from './api-exec.ts';

/** Output kept per stream; more is cut (a check needs the start, a runaway loop must not fill memory). */
const MAX_OUTPUT = 1024 * 1024;

interface RunningContainer {
  ip: string | undefined;
}

/** The container, known to run: NotFound when it does not exist, Unavailable when it is not up. */
export async function runningContainer(
  client: PodmanApiClient,
  name: string,
  network: string,
): Promise<RunningContainer> {
  let inspect: Record<string, unknown>;
  try {
    inspect = await client.inspectContainer(name);
  } catch (error) {
    if (error instanceof PodmanApiError && error.status === 404)
      throw new NotFoundError('lab component', name);
    throw error;
  }
  const state = inspect.State as { Running?: boolean; Status?: string } | undefined;
  if (!state?.Running)
    throw new UnavailableError(`lab component ${name} is not running (${state?.Status ?? 'unknown'})`, {
      container: name,
    });
  const networks = (inspect.NetworkSettings as { Networks?: Record<string, { IPAddress?: string }> })
    ?.Networks;
  return { ip: networks?.[network]?.IPAddress || undefined };
}

export async function execIn(
  client: PodmanApiClient,
  container: string,
  command: readonly string[],
  options: LabExecOptions = {},
): Promise<LabExecResult> {
  const id = await createExec(client, container, { command, tty: false, stdin: false });
  const { socket, head } = await startExec(client, id, { tty: false });
  // Bytes until the end: a UTF-8 character may be split across frames.
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const size = { stdout: 0, stderr: 0 };
  const demux = new FrameDemuxer((stream, payload) => {
    const key = stream === 2 ? 'stderr' : 'stdout';
    if (size[key] >= MAX_OUTPUT) return;
    out[key].push(Buffer.from(payload));
    size[key] += payload.length;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void killExec(client, id).finally(() => socket.destroy());
  }, options.timeoutMs ?? DEFAULT_LAB_EXEC_TIMEOUT_MS);
  try {
    if (head.length > 0) demux.push(head);
    socket.on('data', (chunk: Buffer) => demux.push(chunk));
    await new Promise<void>((resolve) => {
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
  } finally {
    clearTimeout(timer);
  }
  const exitCode = timedOut ? null : await exitCodeOf(client, id);
  const text = (parts: Buffer[]) => Buffer.concat(parts).subarray(0, MAX_OUTPUT).toString('utf8');
  return { exitCode, stdout: text(out.stdout), stderr: text(out.stderr), timedOut };
}

export async function terminalIn(
  client: PodmanApiClient,
  container: string,
  options: LabTerminalOptions,
): Promise<LabTerminal> {
  const id = await createExec(client, container, {
    command: options.command ?? LAB_LOGIN_SHELL,
    tty: true,
    stdin: true,
    env: { TERM: 'xterm-256color' },
  });
  const { socket, head } = await startExec(client, id, { tty: true, size: options.size });
  if (head.length > 0) socket.unshift(head);
  // The size given at start is applied when the TTY is made; resize once more so a shell that
  // read its size before that (a race inside Podman) sees the right one.
  void resizeExec(client, id, options.size).catch(() => {});
  let closed = false;
  const exited = new Promise<number | null>((resolve) => {
    socket.once('close', () => resolve(closed ? null : exitCodeOf(client, id)));
  });
  socket.on('error', () => {});
  return {
    stream: socket,
    resize: (size) => {
      if (!closed) void resizeExec(client, id, size).catch(() => {});
    },
    exited,
    close: () => {
      if (closed) return;
      closed = true;
      // Closing the connection hangs up the TTY; a shell that ignores that is killed.
      socket.end();
      setTimeout(() => {
        socket.destroy();
        void killExec(client, id);
      }, 1_000).unref();
    },
  };
}

/** A TCP connection to the component's port on its network; rejects when nothing listens. */
export function connectTo(ip: string, port: number, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: ip, port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no answer from ${ip}:${port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const failed = (error: Error) => {
      clearTimeout(timer);
      reject(new UnavailableError(`port ${port} of the lab component does not answer: ${error.message}`));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', failed);
      resolve(socket);
    });
  });
}
