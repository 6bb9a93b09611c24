import { describe, expect, it } from 'vitest';
import { fakeFetch } from '../testing/render.tsx';
import { ApiClient, ApiError, isApiError } from './client.ts';

describe('ApiClient', () => {
  it('sends JSON and returns the parsed answer', async () => {
    const fake = fakeFetch({
      'POST /api/v1/auth/login': [200, { user: { username: 'sam' }, expiresAt: 'x' }],
    });
    const client = new ApiClient('', fake.fetch);
    const result = await client.login('sam', 'secret-pw');
    expect(result.user.username).toBe('sam');
    expect(fake.calls[0]).toMatchObject({ method: 'POST', body: { username: 'sam', password: 'secret-pw' } });
  });

  it('turns the error body into an ApiError with the server code', async () => {
    const fake = fakeFetch({
      'GET /api/v1/me': [401, { error: { code: 'unauthenticated', message: 'Sign in first.' } }],
    });
    const error = await new ApiClient('', fake.fetch).me().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(isApiError(error, 'unauthenticated')).toBe(true);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).message).toBe('Sign in first.');
  });

  it('keeps validation details', async () => {
    const fake = fakeFetch({
      'POST /api/v1/courses/C1/assignments': [
        400,
        { error: { code: 'validation_failed', message: 'Bad slug.', details: { field: 'slug' } } },
      ],
    });
    const error = (await new ApiClient('', fake.fetch)
      .createAssignment('C1', {} as never)
      .catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('validation_failed');
    expect(error.details).toEqual({ field: 'slug' });
  });

  it('reports an unreachable server as the `network` code', async () => {
    const failing = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const error = await new ApiClient('', failing).courses().catch((e: unknown) => e);
    expect(isApiError(error, 'network')).toBe(true);
  });

  it('answers undefined for 204 and encodes path and query parts', async () => {
    const fake = fakeFetch({
      'DELETE /api/v1/tokens/a%2Fb': [204, null],
      'GET /api/v1/assignments/a1/submissions': [200, []],
    });
    const client = new ApiClient('', fake.fetch);
    expect(await client.revokeToken('a/b')).toBeUndefined();
    await client.submissions('a1', 'u 1');
    expect(fake.calls[1]!.url).toBe('/api/v1/assignments/a1/submissions?userId=u+1&limit=200');
  });

  it('gives the CSV export and event stream as URLs, not requests', () => {
    const client = new ApiClient('http://x');
    expect(client.gradebookCsvUrl('DEMO101')).toBe('http://x/api/v1/courses/DEMO101/gradebook?format=csv');
    expect(client.runEventsUrl('r1')).toBe('http://x/api/v1/runs/r1/events');
  });
});
