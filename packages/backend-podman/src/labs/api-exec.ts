/**
 * `exec` sessions over Podman's libpod REST API: create, start hijacked (the raw connection is the
 * session's stdio), resize, inspect. The API rather than `podman exec`, because only it gives a
 * TTY without a local pty (the server has none to lend), resizes it (`/exec/{id}/resize`), and
 * names the session's host pid, so a timed-out command can be killed instead of left running.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { type PodmanApiClient, PodmanApiError } from '../podman-api-client.ts';

const API_PREFIX = '/v4.0.0/libpod';

export interface ExecSessionSpec {
  command: readonly string[];
  tty: boolean;
  stdin: boolean;
  env?: Record<string, string>;
}

export interface ExecInspect {
  running: boolean;
  exitCode: number | null;
  pid: number;
}

export async function createExec(client: PodmanApiClient, container: string, spec: ExecSessionSpec) {
  const body = {
    AttachStdin: spec.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: spec.tty,
    Cmd: [...spec.command],
    ...(spec.env ? { Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`) } : {}),
  };
  const created = JSON.parse(
    await client.call('POST', `/containers/${encodeURIComponent(container)}/exec`, body),
  ) as { Id: string };
  return created.Id;
}

/**
 * Starts the session and hands over its connection. With a TTY the bytes are the terminal's, both
 * ways; without, reads are multiplexed frames (FrameDemuxer). Podman closes the connection when
 * the command ends.
 */
export function startExec(
  client: PodmanApiClient,
  id: string,
  options: { tty: boolean; size?: { cols: number; rows: number } },
  timeoutMs = 30_000,
): Promise<{ socket: Socket; head: Buffer }> {
  const body = Buffer.from(
    JSON.stringify({
      Detach: false,
      Tty: options.tty,
      ...(options.size ? { h: options.size.rows, w: options.size.cols } : {}),
    }),
  );
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath: client.socketPath,
      // A hijacked connection must never go back to a keep-alive pool.
      agent: false,
      method: 'POST',
      path: `${API_PREFIX}/exec/${encodeURIComponent(id)}/start`,
      headers: {
        connection: 'Upgrade',
        upgrade: 'tcp',
        'content-type': 'application/json',
        'content-length': String(body.length),
      },
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
          new PodmanApiError(res.statusCode ?? 0, `exec start ${id}`, Buffer.concat(chunks).toString('utf8')),
        ),
      );
    });
    req.on('timeout', () =>
      req.destroy(new Error(`podman API exec start ${id}: no answer in ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function resizeExec(client: PodmanApiClient, id: string, size: { cols: number; rows: number }) {
  await client.call('POST', `/exec/${encodeURIComponent(id)}/resize?h=${size.rows}&w=${size.cols}`);
}

export async function inspectExec(client: PodmanApiClient, id: string): Promise<ExecInspect> {
  const body = JSON.parse(await client.call('GET', `/exec/${encodeURIComponent(id)}/json`)) as {
    Running?: boolean;
    ExitCode?: number;
    Pid?: number;
  };
  return { running: body.Running === true, exitCode: body.ExitCode ?? null, pid: body.Pid ?? 0 };
}

/**
 * The exit code once the session has ended. The connection closes a moment before Podman records
 * the code, so this asks a few times; null when it never does (the container went away).
 */
export async function exitCodeOf(
  client: PodmanApiClient,
  id: string,
  waitMs = 3_000,
): Promise<number | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const state = await inspectExec(client, id);
      if (!state.running) return state.exitCode;
    } catch {
      return null;
    }
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Ends a session's process from the host (root or the same user as Podman): no API call does. */
export async function killExec(client: PodmanApiClient, id: string): Promise<void> {
  try {
    const state = await inspectExec(client, id);
    if (state.running && state.pid > 0) process.kill(state.pid, 'SIGKILL');
  } catch {
    // Gone already: what we wanted.
  }
}
