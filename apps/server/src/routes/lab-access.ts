import type { Duplex } from 'node:stream';
import {
  type Actor,
  type AuthService,
  type CoreDeps,
  ForbiddenError,
  type LabAccess,
  type LabAccessRequest,
  type LabTarget,
  type LabTerminal,
  type LabTerminalSize,
  type LabWorker,
  NotFoundError,
  RateLimitedError,
} from '@aperture/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { actorOf, identify } from '../http/auth.ts';
import type { LabLinkSigner } from '../http/lab-link.ts';
import { isOwnOrigin } from '../http/same-origin.ts';
import {
  bindLifetimes,
  closeSocket,
  keepCheckingAccess,
  pipeStreamToSocket,
  toBuffer,
  writeFrameToStream,
} from '../http/ws-bridge.ts';
import { labWebRoutes } from './lab-web.ts';

/**
 * Browser access to a student's lab: the terminal and the desktop (VNC) over WebSockets, and the
 * component's web ports through an HTTP proxy. Every open asks LabService.authorizeAccess first
 * (who may see which copy lives there, not here), then reaches the copy only through LabAccess.
 */

/** What this file needs of LabService (`ctx.labs`). */
export interface LabAccessAuthorizer {
  authorizeAccess(actor: Actor, request: LabAccessRequest): Promise<LabTarget>;
  /** The deployed template (the VNC port is its `components[].vnc.port`). */
  worker: Pick<LabWorker, 'versionOf'>;
  /** The viewer typed or moved the mouse: the copy's idle clock starts again (throttled there). */
  noteActivity(target: LabTarget): void;
}

export interface LabAccessContext {
  labs: LabAccessAuthorizer;
  /** An open session's credential is checked again on every refresh. */
  auth: Pick<AuthService, 'authenticateSession' | 'authenticateSessionId' | 'authenticateToken'>;
  labProvisioner: LabAccess;
  deps: Pick<CoreDeps, 'store' | 'hasher'>;
  /** APERTURE_PUBLIC_URL: when set, the only Origin a cookie-signed WebSocket may come from. */
  publicUrl?: string | undefined;
}

interface ComponentParams {
  deployment: string;
  user: string;
  component: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the WebSocket routes' preHandler once the open was authorized. */
    labTarget: (LabTarget & { vncPort?: number }) | undefined;
  }
}

const WS_BASE = '/api/v1/lab-deployments/:deployment/students/:user/components/:component';

/**
 * An open terminal or desktop is authorized again this often: the viewer's session or token is
 * checked again (a logout, an expired session, a revoked token ends it) and so is their access
 * (unenrolled, deployment destroyed). Either closes the socket with 1008. (Use, for the idle
 * stop, is what the browser sends: LabService.noteActivity on every keystroke or pointer event.)
 */
export const ACCESS_REFRESH_MS = 5 * 60_000;

/**
 * Terminals, desktops and proxied page WebSockets one viewer may have open at once (every one
 * holds an engine stream).
 */
export const MAX_SESSIONS_PER_VIEWER = 8;

export interface LabAccessOptions {
  refreshMs?: number;
  linkSigner?: LabLinkSigner;
  /** Default MAX_SESSIONS_PER_VIEWER. */
  maxSessionsPerViewer?: number;
  /** The HTTP proxy's wait for an answer (default PROXY_UPSTREAM_TIMEOUT_MS). */
  upstreamTimeoutMs?: number;
}

export async function labAccessRoutes(
  app: FastifyInstance,
  ctx: LabAccessContext,
  options: LabAccessOptions = {},
): Promise<void> {
  app.decorateRequest('labTarget', undefined);
  const refreshMs = options.refreshMs ?? ACCESS_REFRESH_MS;
  const maxSessions = options.maxSessionsPerViewer ?? MAX_SESSIONS_PER_VIEWER;
  const open = new Map<string, number>();
  /** Counts the session from its authorization until its connection closes (the upgrade may never happen). */
  const holdSession = (request: FastifyRequest, viewerId: string) => {
    const count = open.get(viewerId) ?? 0;
    if (count >= maxSessions)
      throw new RateLimitedError(
        `You have ${count} lab terminals, desktops and live pages open; close one (at most ${maxSessions} at once).`,
      );
    open.set(viewerId, count + 1);
    request.raw.socket.once('close', () => {
      const left = (open.get(viewerId) ?? 1) - 1;
      if (left > 0) open.set(viewerId, left);
      else open.delete(viewerId);
    });
  };
  const accessOf = (request: FastifyRequest, kind: 'terminal' | 'vnc'): LabAccessRequest => {
    const { deployment, user, component } = request.params as ComponentParams;
    return { deploymentId: deployment, userId: user, component, kind };
  };
  const authorizeSocket = (kind: 'terminal' | 'vnc') => async (request: FastifyRequest) => {
    checkOrigin(request, ctx.publicUrl);
    const actor = actorOf(request);
    const target = await ctx.labs.authorizeAccess(actor, accessOf(request, kind));
    request.labTarget = kind === 'vnc' ? { ...target, vncPort: await vncPort(ctx, target) } : target;
    holdSession(request, actor.userId);
  };
  const keepAuthorized = (socket: WebSocket, request: FastifyRequest, kind: 'terminal' | 'vnc') => {
    const actor = actorOf(request);
    keepCheckingAccess(socket, request.log, refreshMs, {
      // The viewer's own credential first (the upgrade's, read again): a logged-out or expired
      // session, a revoked token end it.
      viewer: async () => {
        const user = await identify(request, ctx).catch(() => undefined);
        return user && user.id === actor.userId ? user : undefined;
      },
      access: (user) =>
        ctx.labs.authorizeAccess(
          { userId: user.id, role: user.role },
          { ...accessOf(request, kind), recheck: true },
        ),
    });
  };
  const schema = { hide: true };

  // Authorized before the upgrade, so a refusal is a plain HTTP 401/403/404 with the API's body.
  app.get(
    `${WS_BASE}/terminal`,
    { websocket: true, schema, preHandler: authorizeSocket('terminal') },
    (socket, request) => {
      const query = request.query as { cols?: string; rows?: string };
      keepAuthorized(socket, request, 'terminal');
      // Binary frames are keystrokes (text frames are resizes): use, for the idle stop.
      socket.on('message', (_data, binary) => {
        if (binary) ctx.labs.noteActivity(request.labTarget!);
      });
      runTerminal(socket, ctx.labProvisioner, request.labTarget!, {
        cols: dimension(query.cols, 80),
        rows: dimension(query.rows, 24),
      });
    },
  );

  app.get(
    `${WS_BASE}/vnc`,
    { websocket: true, schema, preHandler: authorizeSocket('vnc') },
    (socket, request) => {
      const { vncPort: port, ...target } = request.labTarget!;
      keepAuthorized(socket, request, 'vnc');
      socket.on('message', (data) => {
        if (isRfbInput(toBuffer(data))) ctx.labs.noteActivity(target);
      });
      relay(
        socket,
        connectStarting(() => ctx.labProvisioner.connect(target, port!)),
        request,
      );
    },
  );

  await labWebRoutes(app, ctx, {
    signer: options.linkSigner,
    timeoutMs: options.upstreamTimeoutMs,
    refreshMs,
    holdSession,
  });
}

/**
 * Cross-Site WebSocket Hijacking: a browser sends the session cookie with an upgrade from any
 * page, so a cookie-authenticated upgrade must come from Aperture's own origin. A Bearer token is
 * never ambient (pages cannot set it on a WebSocket), so token upgrades need no Origin.
 */
export function checkOrigin(request: FastifyRequest, publicUrl?: string): void {
  if (request.headers.authorization) return;
  const origin = request.headers.origin;
  if (!origin) throw new ForbiddenError('A WebSocket signed in by cookie must send an Origin header.');
  if (!isOwnOrigin(origin, request.host, publicUrl))
    throw new ForbiddenError(`A WebSocket from ${origin} may not use this server's session cookie.`);
}

function dimension(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : fallback;
}

interface ResizeFrame {
  type: 'resize';
  cols: number;
  rows: number;
}

/** A text frame from the browser: `{ type: "resize", cols, rows }`; anything else is ignored. */
export function parseControl(text: string): LabTerminalSize | undefined {
  try {
    const frame = JSON.parse(text) as Partial<ResizeFrame>;
    if (frame?.type !== 'resize') return undefined;
    const cols = dimension(String(frame.cols), 0);
    const rows = dimension(String(frame.rows), 0);
    return cols && rows ? { cols, rows } : undefined;
  } catch {
    return undefined;
  }
}

function runTerminal(socket: WebSocket, access: LabAccess, target: LabTarget, size: LabTerminalSize): void {
  let terminal: LabTerminal | undefined;
  let closed = false;
  // Listeners first (ws drops frames nobody listens to). Until the shell is there the socket is
  // paused, so frames wait in the kernel; `early` holds only those ws had already read.
  const early: Array<{ data: Buffer; binary: boolean }> = [];
  socket.pause();
  const handle = (data: Buffer, binary: boolean) => {
    if (!terminal) return early.push({ data, binary });
    if (binary) writeFrameToStream(terminal.stream, socket, data);
    else {
      const resize = parseControl(data.toString('utf8'));
      if (resize) terminal.resize(resize);
    }
  };
  socket.on('message', (data, binary) => handle(toBuffer(data), binary));
  socket.on('close', () => {
    closed = true;
    terminal?.close();
  });
  access.openTerminal(target, { size }).then(
    (opened) => {
      if (closed) return opened.close();
      terminal = opened;
      let ended = false;
      opened.stream.on('end', () => {
        ended = true;
      });
      opened.stream.on('error', () => undefined);
      pipeStreamToSocket(opened.stream, socket);
      // Resume first: new frames arrive on a later tick, after these; and a write that fills the
      // shell's input may pause the socket again (backpressure), which a resume after would undo.
      socket.resume();
      for (const frame of early.splice(0)) handle(frame.data, frame.binary);
      void opened.exited.then(async (code) => {
        // The last screen bytes may still be on their way: let the stream end first (briefly).
        for (let i = 0; i < 20 && !ended && !closed; i++) await new Promise((r) => setTimeout(r, 50));
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'exit', code }));
        closeSocket(socket, 1000, 'the shell ended');
      });
    },
    (error: Error) => {
      if (socket.readyState === socket.OPEN)
        socket.send(JSON.stringify({ type: 'error', message: error.message }));
      closeSocket(socket, 1011, 'the terminal could not be opened');
    },
  );
}

/** How long a desktop may refuse its VNC port after the copy is ready (its VNC server still starting). */
export const VNC_START_WAIT_MS = 20_000;

/**
 * A copy is `ready` when its containers run, which can be a few seconds before the desktop's VNC
 * server listens: a refused connection is tried again (every 500 ms) for VNC_START_WAIT_MS.
 */
export async function connectStarting(
  connect: () => Promise<Duplex>,
  waitMs = VNC_START_WAIT_MS,
): Promise<Duplex> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await connect();
    } catch (error) {
      const refused = /ECONNREFUSED|does not answer/.test((error as Error).message ?? '');
      if (!refused || Date.now() >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * A key, pointer or clipboard message from the viewer (RFB client message types 4, 5, 6): use.
 * Not every browser frame is: noVNC asks for screen updates on its own (type 3) as long as the
 * screen changes, so a forgotten desktop tab would otherwise keep its copy running forever.
 */
export function isRfbInput(frame: Buffer): boolean {
  const type = frame[0];
  return type === 4 || type === 5 || type === 6;
}

/** Raw RFB both ways, as noVNC's websock expects (binary frames only). */
function relay(socket: WebSocket, opened: Promise<Duplex>, request: FastifyRequest): void {
  const early: Buffer[] = [];
  socket.pause();
  let stream: Duplex | undefined;
  let closed = false;
  socket.on('message', (data) => {
    const buffer = toBuffer(data);
    if (stream) writeFrameToStream(stream, socket, buffer);
    else early.push(buffer);
  });
  socket.on('close', () => {
    closed = true;
    stream?.destroy();
  });
  opened.then(
    (connection) => {
      if (closed) return connection.destroy();
      stream = connection;
      bindLifetimes(connection, socket);
      pipeStreamToSocket(connection, socket);
      socket.resume();
      for (const buffer of early.splice(0)) writeFrameToStream(connection, socket, buffer);
    },
    (error: Error) => {
      request.log.warn({ err: error }, 'lab VNC connection failed');
      closeSocket(socket, 1011, 'the desktop could not be reached');
    },
  );
}

/** The VNC port is the deployed template's (`components[].vnc.port`): the version's, or the lab's dev template. */
async function vncPort(ctx: LabAccessContext, target: LabTarget): Promise<number> {
  const deployment = await ctx.deps.store.labDeployments.get(target.deploymentId);
  if (!deployment) throw new NotFoundError('Lab deployment', target.deploymentId);
  const { template } = await ctx.labs.worker.versionOf(deployment);
  const port = template.spec.components.find((c) => c.name === target.component)?.vnc?.port;
  if (!port) throw new NotFoundError('Lab desktop (vnc) of component', target.component);
  return port;
}
