import type { RunView } from '@aperture/core';

export interface Recorded {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal | undefined;
}

type Responder = (request: Recorded) => Response | Promise<Response>;

/** A fetch that records requests and answers from `respond`; for unit tests of the client and commands. */
export function fakeFetch(respond: Responder) {
  const requests: Recorded[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const raw = init.body;
    const body = typeof raw === 'string' ? JSON.parse(raw) : raw;
    const url = new URL(String(input));
    const request = { method: init.method ?? 'GET', url, headers, body, signal: init.signal ?? undefined };
    requests.push(request);
    return respond(request);
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

export const jsonResponse = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

export function runView(overrides: Partial<RunView> = {}): RunView {
  return {
    id: 'run_1',
    kind: 'adhoc',
    userId: 'usr_1',
    courseId: null,
    assignmentId: null,
    language: 'python',
    status: 'completed',
    verdict: 'accepted',
    score: 0,
    maxScore: 0,
    stdout: 'hello\n',
    stderr: '',
    exitCode: 0,
    timeMs: 12,
    memoryBytes: 2_000_000,
    compile: null,
    tests: [],
    hiddenTests: null,
    message: null,
    files: [{ path: 'hello.py', size: 15 }],
    attempts: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:00.100Z',
    finishedAt: '2026-01-01T00:00:00.200Z',
    ...overrides,
  };
}

export function sseResponse(events: Array<[string, unknown]>): Response {
  const text = events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join('');
  return new Response(text, { headers: { 'content-type': 'text/event-stream' } });
}
