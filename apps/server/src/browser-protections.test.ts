import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COURSE, DEMO_PASSWORD } from './demo-seed.ts';
import { SESSION_COOKIE } from './http/auth.ts';
import { crossSiteRefusal, type OriginFacts, originFacts } from './http/same-origin.ts';
import { webUiCsp } from './http/security-headers.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';

const EVIL = 'http://evil.example';

describe('crossSiteRefusal (pure)', () => {
  const facts = (over: Partial<OriginFacts>): OriginFacts => ({
    method: 'POST',
    path: '/api/v1/runs',
    origin: undefined,
    secFetchSite: undefined,
    host: 'aperture.test:8080',
    hasBearer: false,
    hasSessionCookie: true,
    ...over,
  });

  it.each<[string, Partial<OriginFacts>, boolean]>([
    ['cookie, same-origin fetch', { secFetchSite: 'same-origin' }, false],
    ['cookie, cross-site', { secFetchSite: 'cross-site' }, true],
    ['cookie, same-site subdomain', { secFetchSite: 'same-site' }, true],
    ['cookie, own Origin only (older browser)', { origin: 'http://aperture.test:8080' }, false],
    ['cookie, foreign Origin only', { origin: EVIL }, true],
    ['cookie, opaque Origin (sandboxed page)', { origin: 'null' }, true],
    ['cookie, no browser headers (a script, not a page)', {}, false],
    ['Bearer token from anywhere', { hasBearer: true, secFetchSite: 'cross-site', origin: EVIL }, false],
    ['cookie plus a Basic header (browsers add it)', { hasBearer: false, secFetchSite: 'cross-site' }, true],
    ['a read', { method: 'GET', secFetchSite: 'cross-site' }, false],
    ['no credential at all', { hasSessionCookie: false, origin: EVIL }, false],
    [
      'a sign-in from another site',
      { hasSessionCookie: false, path: '/api/v1/auth/login', origin: EVIL },
      true,
    ],
    [
      'the lab proxy, which forwards as the cookie’s user',
      { path: '/labs/d/u/c/80/x', origin: 'null' },
      true,
    ],
    [
      'a lab page’s own request (signed link, no cookie)',
      { path: '/lab-sessions/x', hasSessionCookie: false, origin: 'null' },
      false,
    ],
  ])('%s', (_name, over, refused) => {
    expect(crossSiteRefusal(facts(over)) !== undefined).toBe(refused);
  });

  it('counts only a Bearer Authorization as a token: a browser adds Basic credentials by itself', () => {
    const bearer = (authorization: string | undefined) =>
      originFacts({
        method: 'POST',
        url: '/api/v1/runs',
        routeOptions: { url: '/api/v1/runs' },
        host: 'aperture.test:8080',
        headers: authorization === undefined ? {} : { authorization },
        cookies: { [SESSION_COOKIE]: 'x' },
      } as unknown as FastifyRequest).hasBearer;
    expect([
      bearer('Bearer apt_x'),
      bearer('bearer\tapt_x'),
      bearer('Basic YTpi'),
      bearer(undefined),
    ]).toEqual([true, true, false, false]);
  });

  it('with a public URL, only its origin is ours', () => {
    const publicUrl = 'https://aperture.example.edu/';
    expect(crossSiteRefusal(facts({ origin: 'https://aperture.example.edu' }), publicUrl)).toBeUndefined();
    expect(crossSiteRefusal(facts({ origin: 'http://aperture.test:8080' }), publicUrl)).toBeDefined();
  });
});

describe('browser protections (real server)', () => {
  let t: TestServer;
  let cookie: string;
  let assignment: string;

  beforeAll(async () => {
    t = await startTestServer(new ScriptedExecutor());
    const login = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'instructor', password: DEMO_PASSWORD }),
    });
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const token = await t.login('instructor', DEMO_PASSWORD);
    assignment = (await t.api(token, 'GET', `/api/v1/courses/${DEMO_COURSE}/assignments/hello`)).body.id;
  });
  afterAll(async () => t?.close());

  const roster = (headers: Record<string, string>) =>
    fetch(`${t.url}/api/v1/courses/${DEMO_COURSE}/roster`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain', ...headers },
      body: 'username,role\nplanted,instructor\n',
    });
  const submission = (headers: Record<string, string>) => {
    const form = new FormData();
    form.set('language', 'python');
    form.set('file', new Blob(['print("hi")']), 'main.py');
    return fetch(`${t.url}/api/v1/assignments/${assignment}/submissions`, {
      method: 'POST',
      headers: { cookie, ...headers },
      body: form,
    });
  };

  it('a roster import (text/plain) from another site is refused, though the cookie is sent', async () => {
    const response = await roster({ origin: EVIL });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /evil\.example/,
    );
    const cross = await roster({ 'sec-fetch-site': 'cross-site', origin: EVIL });
    expect(cross.status).toBe(403);
  });

  it('a multipart submission from another site is refused; from our own pages it is accepted', async () => {
    expect((await submission({ origin: EVIL, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const own = await submission({ origin: t.url, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(202);
  });

  it('a state change through the lab proxy (which forwards as the cookie’s user) from another site is refused', async () => {
    const response = await fetch(`${t.url}/labs/dep/user/shell/8080/run`, {
      method: 'POST',
      headers: {
        cookie,
        'content-type': 'text/plain',
        origin: 'https://student.university.example',
        'sec-fetch-site': 'same-site',
      },
      body: 'rm -rf ~',
    });
    expect(response.status).toBe(403);
  });

  it('a sign-in from another site is refused before the password is checked', async () => {
    const response = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ username: 'instructor', password: DEMO_PASSWORD }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('the web UI and the API carry the security headers; lab pages keep their own', async () => {
    const csp = webUiCsp(new URL(t.url).origin);
    for (const path of ['/', '/courses', '/api/v1/languages', '/api/v1/nothing']) {
      const response = await fetch(`${t.url}${path}`, { headers: { cookie } });
      expect(response.headers.get('content-security-policy'), path).toBe(csp);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('referrer-policy'), path).toBe('same-origin');
      expect(response.headers.get('strict-transport-security'), path).toBeNull(); // plain http
    }
    // The app is never served under the lab proxy's paths (there it would lack these headers).
    for (const path of ['/labs/x', '/labs/a/b/c', '/lab-sessions/x']) {
      const response = await fetch(`${t.url}${path}`, { headers: { cookie }, redirect: 'manual' });
      expect(response.headers.get('content-type') ?? '', path).not.toContain('text/html');
    }
  });
});

describe('the Content-Security-Policy', () => {
  const origin = 'https://aperture.example.edu';
  const directive = (name: string) =>
    webUiCsp(origin)
      .split('; ')
      .find((d) => d.startsWith(`${name} `))!
      .split(' ')
      .slice(1);

  it('runs scripts only from the built bundle: never from the lab proxy, which shares our origin', () => {
    expect(directive('script-src')).toEqual([`${origin}/assets/`, `${origin}/api/docs/`]);
    expect(directive('worker-src')).toEqual([`${origin}/assets/`, 'blob:']);
  });

  it('connects only to the API and /healthz: a page’s data cannot be sent to a student’s lab', () => {
    expect(directive('connect-src')).toEqual([
      `${origin}/api/`,
      `${origin}/healthz`,
      'wss://aperture.example.edu/api/',
    ]);
  });

  it('frames nothing, is framed by nothing, posts no forms', () => {
    expect(directive('frame-ancestors')).toEqual(["'none'"]);
    expect(directive('frame-src')).toEqual(["'none'"]);
    expect(directive('form-action')).toEqual(["'none'"]);
    expect(directive('default-src')).toEqual(["'none'"]);
  });
});

describe('the session cookie is Secure whenever browsers reach us over TLS', () => {
  const secureFlag = async (overrides: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const t = await startTestServer(new ScriptedExecutor(), overrides);
    try {
      // The listening address itself: t.url is the public URL when one is set.
      const { port } = t.server.app.server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ username: 'student', password: DEMO_PASSWORD }),
      });
      expect(response.status).toBe(200);
      return /;\s*Secure/i.test(response.headers.get('set-cookie') ?? '');
    } finally {
      await t.close();
    }
  };

  it('behind a trusted TLS proxy (X-Forwarded-Proto: https), or with an https public URL', async () => {
    expect(await secureFlag({ trustProxy: 'loopback' }, { 'x-forwarded-proto': 'https' })).toBe(true);
    expect(await secureFlag({ publicUrl: 'https://aperture.example.edu' })).toBe(true);
  });

  it('with an https public URL, the headers name that origin and ask for HSTS', async () => {
    const t = await startTestServer(new ScriptedExecutor(), { publicUrl: 'https://aperture.example.edu' });
    try {
      const { port } = t.server.app.server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/courses`);
      expect(response.headers.get('content-security-policy')).toBe(webUiCsp('https://aperture.example.edu'));
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
    } finally {
      await t.close();
    }
  });

  it('not on plain http, and not for a forwarded header from a proxy nobody trusted', async () => {
    expect(await secureFlag({})).toBe(false);
    expect(await secureFlag({}, { 'x-forwarded-proto': 'https' })).toBe(false);
  });
});
