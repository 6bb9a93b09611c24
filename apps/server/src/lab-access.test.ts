import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import {
  type AddressInfo,
  createServer as createTcpServer,
  connect as netConnect,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import {
  type Actor,
  AuthService,
  type CoreDeps,
  ForbiddenError,
  type LabAccess,
  type LabAccessRequest,
  type LabTarget,
  type LabTerminalSize,
  NotFoundError,
  type Store,
} from '@aperture/core';
import { createStore } from '@aperture/storage';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ServerContext } from './context.ts';
import { registerAuth, SESSION_COOKIE } from './http/auth.ts';
import { handleError } from './http/errors.ts';
import { LabLinkSigner } from './http/lab-link.ts';
import { labLocation, PROXY_CSP } from './http/lab-proxy.ts';
import { chooseProtocol } from './http/lab-ws-proxy.ts';
import { InProcessEventBus } from './infra/event-bus.ts';
import { ScryptSecretHasher } from './infra/hasher.ts';
import { RandomIdGenerator } from './infra/ids.ts';
import { isRfbInput, labAccessRoutes } from './routes/lab-access.ts';

/**
 * The browser-access protocol against real sockets: a real `sh` (no TTY) stands in for the
 * lab's shell, a real HTTP server for its web port, a real TCP echo server for its VNC port.
 * Authentication is the real AuthService (sessions, tokens) on SQLite; who may open which copy
 * is LabService's (tested there): here one rule, "a student opens only their own copy".
 */
const PASSWORD = 'correct-horse-battery';
let dir: string;
let store: Store;
let app: FastifyInstance;
let base: string;
let alice: { id: string; cookie: string; token: string };
let bob: { id: string; cookie: string };
let carol: { id: string; cookie: string };
let auth: AuthService;
const resizes: LabTerminalSize[] = [];
const shells: ChildProcess[] = [];
let web: Server;
let echo: ReturnType<typeof createTcpServer>;
let pageSockets: WebSocketServer;
/** Accepts connections and never answers; `silentOpen` counts the ones still open. */
let silent: ReturnType<typeof createTcpServer>;
let silentOpen = 0;
/** Every WebSocket upgrade the lab's web server accepted. */
const upgrades: Array<{ url: string; headers: Record<string, unknown> }> = [];
const connected: number[] = [];
/** Every request line the lab's web server parsed. */
const seenUrls: string[] = [];
const signer = new LabLinkSigner();

/** `sh` on pipes, as a LabTerminal: what the browser types goes to its stdin. */
function shellTerminal(size: LabTerminalSize) {
  resizes.push(size);
  const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'] });
  shells.push(child);
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    stream,
    resize: (s: LabTerminalSize) => resizes.push(s),
    exited,
    close: () => child.kill('SIGHUP'),
  };
}

const access: LabAccess = {
  exec: async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false }),
  // Slow on purpose: the browser's first frames arrive before the shell and must not be lost.
  openTerminal: async (_target, options) => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return shellTerminal(options.size);
  },
  connect: async (_target, port) => {
    connected.push(port);
    const local = port === 5901 ? echo.address() : port === 5999 ? silent.address() : web.address();
    const socket = netConnect((local as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return socket;
  },
};

const revoked = new Set<string>();
let authorizations = 0;
/** What noteActivity was told: one entry per browser frame of input. */
const activity: LabTarget[] = [];
const authorizer = {
  async authorizeAccess(actor: Actor, request: LabAccessRequest): Promise<LabTarget> {
    authorizations++;
    if (revoked.has(actor.userId)) throw new ForbiddenError('Access withdrawn.');
    if (request.deploymentId !== 'ldp_1') throw new NotFoundError('Lab deployment', request.deploymentId);
    if (request.userId !== actor.userId) throw new ForbiddenError('Only your own copy of a lab.');
    return { deploymentId: request.deploymentId, studentId: request.userId, component: request.component };
  },
  noteActivity(target: LabTarget) {
    activity.push(target);
  },
  // No deployment is stored here (the desktop's port comes from its template): lab-access-flow.test.ts opens one.
  worker: {
    versionOf: async (deployment: { id: string }) => {
      throw new NotFoundError('Lab deployment', deployment.id);
    },
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aperture-lab-access-'));
  store = await createStore({ sqlitePath: join(dir, 'aperture.sqlite') });
  const deps: CoreDeps = {
    store,
    clock: { now: () => new Date() },
    ids: new RandomIdGenerator(),
    hasher: new ScryptSecretHasher(),
    events: new InProcessEventBus(),
  };
  auth = new AuthService(deps);
  const signIn = async (username: string) => {
    const user = await auth.createUser('system', { username, password: PASSWORD, role: 'user' });
    const { sessionSecret } = await auth.login(username, PASSWORD);
    return { id: user.id, cookie: `${SESSION_COOKIE}=${sessionSecret}` };
  };
  const a = await signIn('alice');
  const token = await auth.createToken({ userId: a.id, role: 'user' }, 't');
  alice = { ...a, token: token.token };
  bob = await signIn('bob');
  carol = await signIn('carol');

  web = createServer((request, response) => {
    seenUrls.push(request.url ?? '');
    const url = new URL(request.url ?? '/', 'http://web');
    if (url.pathname === '/headers') {
      // Everything a hostile page could say about Aperture's origin, and what a page needs.
      response.setHeader('clear-site-data', '"*"');
      response.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
      response.setHeader('nel', '{"report_to":"x","max_age":86400}');
      response.setHeader(
        'report-to',
        '{"group":"x","max_age":86400,"endpoints":[{"url":"https://evil.example/r"}]}',
      );
      response.setHeader('reporting-endpoints', 'x="https://evil.example/r"');
      response.setHeader('alt-svc', 'h3=":443"; ma=86400');
      response.setHeader('www-authenticate', 'Basic realm="aperture"');
      response.setHeader('set-cookie', ['aperture_session=planted; Path=/', 'other=1']);
      response.setHeader('x-powered-by', 'lab');
      response.setHeader('etag', '"v1"');
      response.setHeader('cache-control', 'no-store');
      response.setHeader('content-type', 'text/plain');
      response.end('headers');
      return;
    }
    if (url.pathname === '/never') return; // accepts the request, never answers
    if (url.pathname === '/redirect') {
      response.writeHead(302, { location: url.searchParams.get('to') ?? '' });
      response.end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      response.setHeader('set-cookie', 'aperture_session=planted; Path=/');
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          url: request.url,
          method: request.method,
          headers: request.headers,
          bytes: Buffer.concat(chunks).length,
        }),
      );
    });
  });
  // The lab page's own WebSockets: a greeting at once, then an echo; `/ws/bye` closes with 4001.
  pageSockets = new WebSocketServer({
    server: web,
    verifyClient: (info: { req: IncomingMessage }) => !info.req.url?.startsWith('/ws/refuse'),
    handleProtocols: (offered) => (offered.has('v2.chat') ? 'v2.chat' : false),
  });
  pageSockets.on('connection', (socket, request) => {
    upgrades.push({ url: request.url ?? '', headers: request.headers });
    socket.send('hello');
    socket.on('message', (data, binary) => {
      if (request.url === '/ws/bye') return socket.close(4001, 'bye');
      socket.send(binary ? data : `echo:${data.toString()}`, { binary });
    });
  });
  echo = createTcpServer((socket) => socket.pipe(socket));
  silent = createTcpServer((socket) => {
    silentOpen++;
    socket.on('error', () => undefined);
    // Reads (and drops) what arrives, so it notices when the other side hangs up.
    socket.resume();
    socket.once('close', () => silentOpen--);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));

  app = await buildLabApp();
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

/** The lab routes on a bare Fastify with the real auth hook (the server's own app.ts adds the rest). */
async function buildLabApp(
  fastify: { trustProxy?: boolean } = {},
  extra: { publicUrl?: string } = {},
  // Generous: a loaded machine must not turn a slow answer into a 504 (one test sets it short).
  upstreamTimeoutMs = 10_000,
): Promise<FastifyInstance> {
  const instance = Fastify({ logger: false, ...fastify });
  instance.setErrorHandler(handleError);
  await instance.register(cookie);
  await instance.register(websocket, { options: { handleProtocols: chooseProtocol } });
  registerAuth(instance, { auth } as unknown as ServerContext);
  await labAccessRoutes(
    instance,
    {
      labs: authorizer,
      auth,
      labProvisioner: access,
      deps: { store, hasher: new ScryptSecretHasher() },
      ...extra,
    },
    { refreshMs: 100, linkSigner: signer, maxSessionsPerViewer: 3, upstreamTimeoutMs },
  );
  return instance;
}

afterAll(async () => {
  for (const child of shells) child.kill('SIGKILL');
  await app?.close();
  pageSockets?.close();
  silent?.close();
  web?.close();
  echo?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const wsUrl = (user: string, kind = 'terminal', query = '?cols=100&rows=30') =>
  `${base.replace('http', 'ws')}/api/v1/lab-deployments/ldp_1/students/${user}/components/shell/${kind}${query}`;

/** Opens a WebSocket; resolves with it once open, or with the HTTP status that refused the upgrade. */
function open(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
  });
}

/** Collects the socket's binary output as text and its text frames as JSON. */
function record(socket: WebSocket) {
  const seen = { text: '', control: [] as Array<Record<string, unknown>>, closed: false };
  socket.on('message', (data, binary) => {
    if (binary) seen.text += data.toString();
    else seen.control.push(JSON.parse(data.toString()));
  });
  socket.on('close', () => {
    seen.closed = true;
  });
  return seen;
}

const ownOrigin = () => ({ origin: base });

/** A session's store key (what a lab link names), from its cookie. */
const sessionIdOf = (cookie: string) => new ScryptSecretHasher().digest(cookie.split('=')[1]!);

describe('lab terminal WebSocket', () => {
  it('types into the shell, resizes it, and ends with an exit frame', async () => {
    const socket = await open(wsUrl(alice.id), { cookie: alice.cookie, ...ownOrigin() });
    if (typeof socket === 'number') throw new Error(`refused: ${socket}`);
    const seen = record(socket);
    socket.send(Buffer.from('echo hello-$((6*7))\n'));
    await expect.poll(() => seen.text, { timeout: 5000 }).toContain('hello-42');
    socket.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    socket.send(JSON.stringify({ type: 'resize', cols: 'x', rows: 40 }));
    socket.send('not json');
    await expect.poll(() => resizes.at(-1), { timeout: 5000 }).toEqual({ cols: 120, rows: 40 });
    expect(resizes).toContainEqual({ cols: 100, rows: 30 });
    socket.send(Buffer.from('exit 3\n'));
    await expect.poll(() => seen.closed, { timeout: 5000 }).toBe(true);
    expect(seen.control).toEqual([{ type: 'exit', code: 3 }]);
  });

  it('records use whenever the viewer types (not on resizes)', async () => {
    const socket = await open(wsUrl(alice.id), { cookie: alice.cookie, ...ownOrigin() });
    if (typeof socket === 'number') throw new Error(`refused: ${socket}`);
    const seen = record(socket);
    const before = activity.length;
    socket.send(JSON.stringify({ type: 'resize', cols: 90, rows: 20 }));
    await expect.poll(() => resizes.at(-1), { timeout: 5000 }).toEqual({ cols: 90, rows: 20 });
    expect(activity.length).toBe(before);
    socket.send(Buffer.from('echo typed\n'));
    await expect.poll(() => seen.text, { timeout: 5000 }).toContain('typed');
    expect(activity.slice(before)).toEqual([
      { deploymentId: 'ldp_1', studentId: alice.id, component: 'shell' },
    ]);
    socket.close();
  });

  it('counts a desktop’s key, pointer and clipboard messages as use, not its update requests', () => {
    expect(isRfbInput(Buffer.from([5, 0, 0, 10, 0, 20]))).toBe(true); // PointerEvent
    expect(isRfbInput(Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]))).toBe(true); // KeyEvent
    expect(isRfbInput(Buffer.from([6, 0, 0, 0, 0, 0, 0, 1, 0x61]))).toBe(true); // ClientCutText
    expect(isRfbInput(Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]))).toBe(false); // FramebufferUpdateRequest
    expect(isRfbInput(Buffer.from('RFB 003.008\n'))).toBe(false);
    expect(isRfbInput(Buffer.alloc(0))).toBe(false);
  });

  it('hangs up the shell when the browser goes away', async () => {
    const before = shells.length;
    const socket = await open(wsUrl(alice.id), { cookie: alice.cookie, ...ownOrigin() });
    if (typeof socket === 'number') throw new Error(`refused: ${socket}`);
    await expect.poll(() => shells.length, { timeout: 5000 }).toBe(before + 1);
    const child = shells.at(-1)!;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    socket.close();
    await expect(gone).resolves.toBeDefined();
  });

  it('authorizes an open session again and again, closing it once access is withdrawn', async () => {
    const socket = await open(wsUrl(bob.id), { cookie: bob.cookie, ...ownOrigin() });
    if (typeof socket === 'number') throw new Error(`refused: ${socket}`);
    const before = authorizations;
    await expect.poll(() => authorizations, { timeout: 5000 }).toBeGreaterThan(before + 1);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    revoked.add(bob.id);
    expect(await closed).toBe(1008);
    revoked.delete(bob.id);
  });

  it('closes an open session (1008) once the viewer logs out, their session expires, or their token is revoked', async () => {
    const closedOn = async (headers: Record<string, string>, end: () => Promise<void>) => {
      const socket = await open(wsUrl(alice.id), headers);
      if (typeof socket === 'number') throw new Error(`refused: ${socket}`);
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      // Still open after a few refreshes while signed in.
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(socket.readyState).toBe(WebSocket.OPEN);
      await end();
      return closed;
    };
    const { sessionSecret } = await auth.login('alice', PASSWORD);
    const session = `${SESSION_COOKIE}=${sessionSecret}`;
    expect(await closedOn({ cookie: session, ...ownOrigin() }, () => auth.logout(sessionSecret))).toBe(1008);
    const second = await auth.login('alice', PASSWORD);
    expect(
      await closedOn({ cookie: `${SESSION_COOKIE}=${second.sessionSecret}`, ...ownOrigin() }, async () => {
        const hash = new ScryptSecretHasher().digest(second.sessionSecret);
        const stored = await store.sessions.get(hash);
        await store.sessions.delete(hash);
        await store.sessions.insert({ ...stored!, expiresAt: new Date(Date.now() - 1000).toISOString() });
      }),
    ).toBe(1008);
    const token = await auth.createToken({ userId: alice.id, role: 'user' }, 'revoked-later');
    expect(
      await closedOn({ authorization: `Bearer ${token.token}` }, () =>
        auth.deleteToken({ userId: alice.id, role: 'user' }, token.record.id),
      ),
    ).toBe(1008);
  });

  it('trusts X-Forwarded-Host only behind trustProxy, and only the public URL when one is set', async () => {
    const spoofed = {
      cookie: alice.cookie,
      origin: 'https://evil.example',
      'x-forwarded-host': 'evil.example',
    };
    expect(await open(wsUrl(alice.id), spoofed)).toBe(403);
    const started: FastifyInstance[] = [];
    const urlOf = async (fastify: { trustProxy?: boolean }, extra: { publicUrl?: string } = {}) => {
      const instance = await buildLabApp(fastify, extra);
      started.push(instance);
      const at = await instance.listen({ host: '127.0.0.1', port: 0 });
      return wsUrl(alice.id).replace(base.replace('http', 'ws'), at.replace('http', 'ws'));
    };
    try {
      // Behind a proxy that sets it (trustProxy on), the forwarded host is the server's.
      const proxied = await urlOf({ trustProxy: true });
      const behind = await open(proxied, {
        cookie: alice.cookie,
        origin: 'https://aperture.example',
        'x-forwarded-host': 'aperture.example',
      });
      expect(behind).toBeInstanceOf(WebSocket);
      (behind as WebSocket).close();
      // With a public URL, that origin and no other (not even one matching Host).
      const pub = await urlOf({}, { publicUrl: 'https://aperture.example/' });
      const ok = await open(pub, { cookie: alice.cookie, origin: 'https://aperture.example' });
      expect(ok).toBeInstanceOf(WebSocket);
      (ok as WebSocket).close();
      expect(await open(pub, { cookie: alice.cookie, origin: `http://${new URL(pub).host}` })).toBe(403);
      expect(await open(pub, { cookie: alice.cookie, origin: 'http://aperture.example' })).toBe(403);
    } finally {
      for (const instance of started) await instance.close();
    }
  });

  it('caps the terminals and desktops one viewer has open at once (429), freeing a place on close', async () => {
    const headers = { cookie: carol.cookie, ...ownOrigin() };
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = await open(wsUrl(carol.id), headers);
      if (typeof socket === 'number') throw new Error(`refused: ${socket}`);
      sockets.push(socket);
    }
    expect(await open(wsUrl(carol.id), headers)).toBe(429);
    // Another viewer is not held back by carol's.
    const other = await open(wsUrl(alice.id), { cookie: alice.cookie, ...ownOrigin() });
    expect(other).toBeInstanceOf(WebSocket);
    (other as WebSocket).close();
    sockets.pop()!.close();
    await expect
      .poll(
        async () => {
          const again = await open(wsUrl(carol.id), headers);
          if (typeof again === 'number') return again;
          sockets.push(again);
          return 'open';
        },
        { timeout: 5000 },
      )
      .toBe('open');
    for (const socket of sockets) socket.close();
  });

  it('refuses without a session (401), for another student (403), an unknown deployment (404)', async () => {
    expect(await open(wsUrl(alice.id), ownOrigin())).toBe(401);
    expect(await open(wsUrl(alice.id), { cookie: bob.cookie, ...ownOrigin() })).toBe(403);
    const unknown = wsUrl(alice.id).replace('ldp_1', 'ldp_2');
    expect(await open(unknown, { cookie: alice.cookie, ...ownOrigin() })).toBe(404);
  });

  it('refuses a cookie upgrade from another origin or none (cross-site WebSocket hijacking)', async () => {
    expect(await open(wsUrl(alice.id), { cookie: alice.cookie, origin: 'https://evil.example' })).toBe(403);
    expect(await open(wsUrl(alice.id), { cookie: alice.cookie })).toBe(403);
    // A token is never sent by a browser on its own: no Origin needed.
    const socket = await open(wsUrl(alice.id), { authorization: `Bearer ${alice.token}` });
    expect(socket).toBeInstanceOf(WebSocket);
    (socket as WebSocket).close();
  });
});

describe('lab HTTP proxy', () => {
  const proxied = (user: string, path = '/') => `${base}/labs/ldp_1/${user}/web/8080${path}`;

  it('forwards path, query and body; strips the viewer’s credentials and the lab’s cookies; sandboxes', async () => {
    const response = await fetch(proxied(alice.id, '/a%20b/c?x=1&y=2'), {
      method: 'POST',
      headers: { cookie: alice.cookie, 'x-custom': 'kept', 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(PROXY_CSP);
    expect(response.headers.get('set-cookie')).toBeNull();
    const seen = (await response.json()) as {
      url: string;
      method: string;
      headers: Record<string, string>;
      bytes: number;
    };
    expect(seen).toMatchObject({ url: '/a%20b/c?x=1&y=2', method: 'POST', bytes: 17 });
    expect(seen.headers['cookie']).toBeUndefined();
    expect(seen.headers['authorization']).toBeUndefined();
    expect(seen.headers['host']).toBe('web:8080');
    expect(seen.headers['x-custom']).toBe('kept');
    expect(connected.at(-1)).toBe(8080);
  });

  it('lets through only the allowlisted response headers (nothing that acts on Aperture’s origin)', async () => {
    const response = await fetch(proxied(alice.id, '/headers'), {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(response.status).toBe(200);
    for (const name of [
      'clear-site-data',
      'strict-transport-security',
      'nel',
      'report-to',
      'reporting-endpoints',
      'alt-svc',
      'www-authenticate',
      'set-cookie',
      'x-powered-by',
    ])
      expect(response.headers.get(name), name).toBeNull();
    expect(response.headers.get('etag')).toBe('"v1"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toBe(PROXY_CSP);
    expect(await response.text()).toBe('headers');
  });

  it('keeps a redirect inside the lab; a cross-origin Location never reaches the browser', async () => {
    const prefix = `/labs/ldp_1/${alice.id}/web/8080`;
    const locationOf = async (to: string) => {
      const response = await fetch(proxied(alice.id, `/redirect?to=${encodeURIComponent(to)}`), {
        headers: { authorization: `Bearer ${alice.token}` },
        redirect: 'manual',
      });
      expect(response.status).toBe(302);
      return response.headers.get('location');
    };
    expect(await locationOf('next/page?a=1')).toBe('next/page?a=1');
    expect(await locationOf('/abs/path')).toBe('/abs/path');
    // What a server builds from the Host it was sent: the lab's own address, moved under the prefix.
    expect(await locationOf('http://web:8080/login?next=%2F')).toBe(`${prefix}/login?next=%2F`);
    // Port 80 is the lab's own too, though a URL leaves it out.
    expect(labLocation('http://web:80/x', { prefix: '/p', host: 'web:80' })).toBe('/p/x');
    expect(labLocation('http://web/x', { prefix: '/p', host: 'web:80' })).toBe('/p/x');
    expect(labLocation('http://web/x', { prefix: '/p', host: 'web:8080' })).toBeUndefined();
    for (const away of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example/x',
      'http://web:8081/',
      'https://web:8080/',
      'javascript:alert(1)',
    ])
      expect(await locationOf(away), away).toBeNull();
  });

  it('strips a Bearer token too, and redirects the bare prefix to its directory', async () => {
    const response = await fetch(proxied(alice.id, '/'), {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    const seen = (await response.json()) as { headers: Record<string, string> };
    expect(seen.headers['authorization']).toBeUndefined();
    const bare = await fetch(proxied(alice.id, '?q=1'), {
      headers: { cookie: alice.cookie },
      redirect: 'manual',
    });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe(`/labs/ldp_1/${alice.id}/web/8080/?q=1`);
  });

  it('moves a browser navigation to the page’s own link, which then works without any cookie', async () => {
    const navigation = await fetch(proxied(alice.id, '/docs/index.html?v=2'), {
      headers: { cookie: alice.cookie },
      redirect: 'manual',
    });
    expect(navigation.status).toBe(303);
    expect(navigation.headers.get('referrer-policy')).toBe('no-referrer');
    const location = navigation.headers.get('location')!;
    expect(location).toMatch(/^\/lab-sessions\/[\w-]+\.[\w-]+\/docs\/index\.html\?v=2$/);
    // What a sandboxed page's stylesheet, image or fetch sends: no cookie at all.
    const page = await fetch(`${base}${location}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(PROXY_CSP);
    expect(((await page.json()) as { url: string }).url).toBe('/docs/index.html?v=2');
    const sibling = location.replace(/\/docs\/index\.html\?v=2$/, '/docs/style.css');
    expect(((await (await fetch(`${base}${sibling}`)).json()) as { url: string }).url).toBe(
      '/docs/style.css',
    );
  });

  it('refuses a forged or expired link; an expired one opened again with the session is renewed', async () => {
    const link = {
      deploymentId: 'ldp_1',
      userId: alice.id,
      component: 'web',
      port: 8080,
      viewerId: alice.id,
      sessionId: sessionIdOf(alice.cookie),
    };
    const good = signer.sign(link);
    expect((await fetch(`${base}/lab-sessions/${good}/`)).status).toBe(200);
    const forged = `${good.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await fetch(`${base}/lab-sessions/${forged}/`)).status).toBe(401);
    // Exactly two parts: nothing may ride along after the signature.
    expect(signer.verify(`${good}.anything`)).toBeUndefined();
    expect((await fetch(`${base}/lab-sessions/${good}.anything/`)).status).toBe(401);
    const expired = signer.sign(link, Date.now() - 2 * 60 * 60_000);
    expect((await fetch(`${base}/lab-sessions/${expired}/`)).status).toBe(401);
    const renewed = await fetch(`${base}/lab-sessions/${expired}/x`, {
      headers: { cookie: alice.cookie },
      redirect: 'manual',
    });
    expect(renewed.status).toBe(303);
    expect(renewed.headers.get('location')).not.toContain(expired);
    // A link is only as good as its viewer's access: bob's link to alice's copy is refused.
    const stolen = signer.sign({ ...link, viewerId: bob.id, sessionId: sessionIdOf(bob.cookie) });
    expect((await fetch(`${base}/lab-sessions/${stolen}/`)).status).toBe(403);
    expect(
      (await fetch(proxied(alice.id), { headers: { cookie: bob.cookie }, redirect: 'manual' })).status,
    ).toBe(403);
  });

  it('a lab link lives only as long as the session that opened it (a logout ends it)', async () => {
    const { sessionSecret } = await auth.login('alice', PASSWORD);
    const cookie = `${SESSION_COOKIE}=${sessionSecret}`;
    const navigation = await fetch(proxied(alice.id, '/page'), { headers: { cookie }, redirect: 'manual' });
    const location = navigation.headers.get('location')!;
    expect((await fetch(`${base}${location}`)).status).toBe(200);
    await auth.logout(sessionSecret);
    const after = await fetch(`${base}${location}`);
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { message: string } }).error.message).toMatch(/session .*ended/);
    // Opened again with a live session, the same link is renewed for that session.
    const renewed = await fetch(`${base}${location}`, {
      headers: { cookie: alice.cookie },
      redirect: 'manual',
    });
    expect(renewed.status).toBe(303);
    expect((await fetch(`${base}${renewed.headers.get('location')!}`)).status).toBe(200);
    // A link naming another user's session is refused too.
    const token = location.split('/')[2]!;
    const mixed = signer.sign({ ...signer.verify(token)!, sessionId: sessionIdOf(bob.cookie) });
    expect((await fetch(`${base}/lab-sessions/${mixed}/`)).status).toBe(401);
  });

  it('refuses without a session, for another student, and a body over 10 MiB (413)', async () => {
    expect((await fetch(proxied(alice.id))).status).toBe(401);
    const other = await fetch(proxied(alice.id), { headers: { cookie: bob.cookie } });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const big = await fetch(proxied(alice.id), {
      method: 'PUT',
      headers: { cookie: alice.cookie, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(10 * 1024 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('frames a chunked body on a GET, so it cannot smuggle a second request to the lab', async () => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: web\r\n\r\n';
    const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    const address = new URL(base);
    const socket = netConnect(Number(address.port), address.hostname);
    let answer = '';
    socket.on('data', (data: Buffer) => {
      answer += data.toString();
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write(
      `GET /labs/ldp_1/${alice.id}/web/8080/first HTTP/1.1\r\nHost: ${address.host}\r\n` +
        `Authorization: Bearer ${alice.token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        `${chunk(smuggled)}0\r\n\r\n`,
    );
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { url: string; bytes: number };
    // The lab's server read the bytes as the GET's body, not as a request of their own.
    expect(body).toMatchObject({ url: '/first', bytes: Buffer.byteLength(smuggled) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seenUrls).not.toContain('/smuggled');
  });

  it('answers 504 when the lab’s server does not start answering in time', async () => {
    const impatient = await buildLabApp({}, {}, 500);
    try {
      const at = await impatient.listen({ host: '127.0.0.1', port: 0 });
      const started = Date.now();
      const response = await fetch(proxied(alice.id, '/never').replace(base, at), {
        headers: { authorization: `Bearer ${alice.token}` },
      });
      expect(response.status).toBe(504);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    } finally {
      await impatient.close();
    }
  });

  it('counts a streamed body without a length too (413 once it passes 10 MiB)', async () => {
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 11) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(proxied(alice.id, '/upload'), {
      method: 'POST',
      headers: { cookie: alice.cookie },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });
});

describe('lab page WebSockets (through the page’s link)', () => {
  /** The page's link, as a navigation with alice's cookie gets it. */
  const linkFor = async (cookie: string, user = alice.id) => {
    const navigation = await fetch(`${base}/labs/ldp_1/${user}/web/8080/`, {
      headers: { cookie },
      redirect: 'manual',
    });
    expect(navigation.status).toBe(303);
    return navigation.headers.get('location')!.replace(/\/$/, '');
  };
  const socketUrl = (link: string, path: string) => `${base.replace('http', 'ws')}${link}${path}`;
  /** What a page's socket received, recorded from the start (a greeting may come with the 101). */
  const received = new WeakMap<WebSocket, Array<{ data: string; binary: boolean }>>();
  /** Opens like a page would: with an offered subprotocol list; resolves open, or the refusing status. */
  const openPage = (url: string, headers: Record<string, string> = {}, protocols = ['v2.chat', 'v1']) =>
    new Promise<WebSocket | { status: number; body: string }>((resolve, reject) => {
      const socket = new WebSocket(url, protocols, { headers });
      const seen: Array<{ data: string; binary: boolean }> = [];
      socket.on('message', (data: Buffer, binary) => seen.push({ data: data.toString('hex'), binary }));
      received.set(socket, seen);
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, response) => {
        let body = '';
        response.on('data', (c: Buffer) => (body += c.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      socket.once('error', reject);
    });
  const closed = (socket: WebSocket) =>
    new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );

  it('relays text and binary both ways, keeps the greeting sent at once, and strips the viewer’s credentials', async () => {
    const link = await linkFor(alice.cookie);
    const before = activity.length;
    const socket = await openPage(socketUrl(link, '/ws/echo?x=1'), { cookie: alice.cookie, origin: 'null' });
    if (!(socket instanceof WebSocket)) throw new Error(`refused: ${socket.status} ${socket.body}`);
    // The subprotocol is the one the student's server chose, not just the first offered.
    expect(socket.protocol).toBe('v2.chat');
    const seen = received.get(socket)!;
    socket.send('ping');
    socket.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(3);
    expect(seen).toEqual([
      { data: Buffer.from('hello').toString('hex'), binary: false },
      { data: Buffer.from('echo:ping').toString('hex'), binary: false },
      { data: '000102ff', binary: true },
    ]);
    const upgrade = upgrades.at(-1)!;
    expect(upgrade.url).toBe('/ws/echo?x=1');
    expect(upgrade.headers.host).toBe('web:8080');
    expect(upgrade.headers.origin).toBe('null');
    expect(upgrade.headers.cookie).toBeUndefined();
    expect(upgrade.headers['sec-websocket-protocol']).toBe('v2.chat,v1');
    // Each message from the browser is use, for the idle stop.
    expect(activity.length - before).toBe(2);
    const ended = closed(socket);
    socket.close(1000, 'done');
    expect((await ended).code).toBe(1000);
  });

  it('passes the lab server’s close code and reason on to the page', async () => {
    const link = await linkFor(alice.cookie);
    const socket = await openPage(socketUrl(link, '/ws/bye'));
    if (!(socket instanceof WebSocket)) throw new Error(`refused: ${socket.status}`);
    const ended = closed(socket);
    socket.send('anything');
    expect(await ended).toEqual({ code: 4001, reason: 'bye' });
  });

  it('refuses before the upgrade: a forged link (401), another viewer’s copy (403), a lab server that will not upgrade (502)', async () => {
    const link = await linkFor(alice.cookie);
    const forged = link.replace(/\.[\w-]+$/, `.${'A'.repeat(43)}`);
    expect(await openPage(socketUrl(forged, '/ws/echo'))).toMatchObject({ status: 401 });
    const stolen = signer.sign({
      deploymentId: 'ldp_1',
      userId: alice.id,
      component: 'web',
      port: 8080,
      viewerId: bob.id,
      sessionId: sessionIdOf(bob.cookie),
    });
    expect(await openPage(socketUrl(`/lab-sessions/${stolen}`, '/ws/echo'))).toMatchObject({ status: 403 });
    const refused = await openPage(socketUrl(link, '/ws/refuse'));
    expect(refused).toMatchObject({ status: 502 });
    expect(JSON.parse((refused as { body: string }).body).error.message).toMatch(
      /web:8080 answered the WebSocket with HTTP 401/,
    );
  });

  /** A handwritten upgrade (what a client that breaks the rules sends); resolves with the status line's code. */
  const rawUpgrade = (at: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
      const { port } = new URL(at);
      const socket = netConnect(Number(port), '127.0.0.1');
      const lines = [
        `GET ${path} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      socket.once('data', (chunk: Buffer) =>
        resolve({ status: Number(chunk.toString().split(' ')[1]), socket }),
      );
      socket.once('error', reject);
    });
  const silentLink = () =>
    `/lab-sessions/${signer.sign({
      deploymentId: 'ldp_1',
      userId: alice.id,
      component: 'web',
      port: 5999,
      viewerId: alice.id,
      sessionId: sessionIdOf(alice.cookie),
    })}`;

  it('refuses a malformed upgrade (bad subprotocols, a fragment) with a 400, connecting nothing', async () => {
    const link = await linkFor(alice.cookie);
    const before = connected.length;
    for (const [path, headers] of [
      [`${link}/ws/echo`, { 'Sec-WebSocket-Protocol': 'a b' }],
      [`${link}/ws/echo`, { 'Sec-WebSocket-Protocol': 'v1, v1' }],
      [`${link}/ws/echo#top`, {}],
    ] as const) {
      const answer = await rawUpgrade(base, path, headers);
      expect(answer.status).toBe(400);
      answer.socket.destroy();
    }
    expect(connected.length).toBe(before);
  });

  it('answers 504 when the lab’s server never answers the upgrade, and leaves no connection open', async () => {
    const impatient = await buildLabApp({}, {}, 500);
    try {
      const at = await impatient.listen({ host: '127.0.0.1', port: 0 });
      const started = Date.now();
      const refused = await openPage(`${at.replace('http', 'ws')}${silentLink()}/ws`);
      expect(refused).toMatchObject({ status: 504 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      await expect.poll(() => silentOpen, { timeout: 5_000 }).toBe(0);
    } finally {
      await impatient.close();
    }
  });

  it('closes its connection to the lab when the browser leaves before the upgrade is answered', async () => {
    // Until the upgrade is answered nobody reads the browser's socket (its bytes belong to the
    // WebSocket), so a browser that leaves is noticed at the latest when the handshake bound passes.
    const impatient = await buildLabApp({}, {}, 500);
    try {
      const at = await impatient.listen({ host: '127.0.0.1', port: 0 });
      const socket = netConnect(Number(new URL(at).port), '127.0.0.1');
      socket.write(
        `GET ${silentLink()}/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      );
      await expect.poll(() => silentOpen, { timeout: 5_000 }).toBe(1);
      socket.destroy();
      await expect.poll(() => silentOpen, { timeout: 5_000 }).toBe(0);
    } finally {
      await impatient.close();
    }
  });

  it('closes an open page socket (1008) once the session that opened its link logs out', async () => {
    const { sessionSecret } = await auth.login('alice', PASSWORD);
    const link = await linkFor(`${SESSION_COOKIE}=${sessionSecret}`);
    const socket = await openPage(socketUrl(link, '/ws/echo'));
    if (!(socket instanceof WebSocket)) throw new Error(`refused: ${socket.status}`);
    const ended = closed(socket);
    await auth.logout(sessionSecret);
    expect(await ended).toMatchObject({ code: 1008 });
  });
});
