import { describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.ts';
import { ApiError, ConnectionError } from './errors.ts';
import { fakeFetch, jsonResponse, runView, sseResponse } from './testing.ts';

describe('ApiClient', () => {
  it('sends the token as a Bearer header and JSON bodies', async () => {
    const { fetch, requests } = fakeFetch(() => jsonResponse({ id: 'crs_1' }, 201));
    const client = new ApiClient({ server: 'http://h:1/', token: 'apt_x', fetch });
    await client.createCourse({ code: 'CS101', title: 'Intro' });
    expect(requests[0]).toMatchObject({
      method: 'POST',
      body: { code: 'CS101', title: 'Intro' },
      headers: { authorization: 'Bearer apt_x', 'content-type': 'application/json' },
    });
    expect(requests[0]?.url.href).toBe('http://h:1/api/v1/courses');
  });

  it('encodes path segments and query parameters', async () => {
    const { fetch, requests } = fakeFetch(() => jsonResponse([]));
    const client = new ApiClient({ server: 'http://h', fetch });
    await client.getAssignmentBySlug('CS 101', 'a/b');
    await client.listSubmissions('asg_1', { userId: 'usr_2' });
    await client.createRun(
      { language: 'python', files: [{ path: 'a.py', content: '' }] },
      { timeoutMs: 500 },
    );
    expect(requests.map((r) => r.url.pathname + r.url.search)).toEqual([
      '/api/v1/courses/CS%20101/assignments/a%2Fb',
      '/api/v1/assignments/asg_1/submissions?userId=usr_2',
      '/api/v1/runs?wait=true&timeoutMs=500',
    ]);
    expect(requests[0]?.headers['authorization']).toBeUndefined();
  });

  it('maps the error body to an ApiError with code, status and details', async () => {
    const { fetch } = fakeFetch(() =>
      jsonResponse(
        { error: { code: 'validation_failed', message: 'Bad slug.', details: { field: 'slug' } } },
        400,
      ),
    );
    const error = await new ApiClient({ server: 'http://h', fetch }).listCourses().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'Bad slug.',
      details: { field: 'slug' },
    });
  });

  it('turns a body that is not ours into an http_<status> error', async () => {
    const { fetch } = fakeFetch(
      () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    await expect(new ApiClient({ server: 'http://h', fetch }).me()).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
      message: 'HTTP 502 Bad Gateway: <html>Bad Gateway</html>',
    });
  });

  it('reports an unreachable server as a ConnectionError', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as typeof globalThis.fetch;
    const error = await new ApiClient({ server: 'http://h:9', fetch }).languages().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toBe('cannot reach http://h:9: ECONNREFUSED');
  });

  it('logs in with a password and mints a token with the session cookie, not the stored token', async () => {
    const { fetch, requests } = fakeFetch((request) =>
      request.url.pathname === '/api/v1/auth/login'
        ? jsonResponse({ user: { username: 'ada' }, expiresAt: 'x' }, 200, {
            'set-cookie': 'aperture_session=s3cret; Path=/; HttpOnly',
          })
        : jsonResponse({ id: 'tok_1', name: 'cli@h', token: 'apt_new' }, 201),
    );
    const client = new ApiClient({ server: 'http://h', token: 'stale', fetch }).withoutToken();
    const session = await client.login('ada', 'pw');
    expect(session.sessionCookie).toBe('aperture_session=s3cret');
    await client.createToken({ name: 'cli@h' }, session.sessionCookie);
    expect(requests[0]?.headers['authorization']).toBeUndefined();
    expect(requests[1]?.headers).toMatchObject({ cookie: 'aperture_session=s3cret' });
    expect(requests[1]?.headers['authorization']).toBeUndefined();
  });

  it('yields status and result events from the event stream', async () => {
    const view = runView();
    const { fetch } = fakeFetch(() =>
      sseResponse([
        ['status', { status: 'queued', at: 't', verdict: null }],
        ['status', { status: 'running', at: 't', verdict: null }],
        ['result', view],
      ]),
    );
    const events = [];
    for await (const event of new ApiClient({ server: 'http://h', fetch }).runEvents('run_1'))
      events.push(event);
    expect(events).toEqual([
      { type: 'status', status: 'queued', at: 't', verdict: null },
      { type: 'status', status: 'running', at: 't', verdict: null },
      { type: 'result', run: view },
    ]);
  });
});
