import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { theme } from '../App.tsx';

// findBy… and waitFor give up after 1 s by default: too short on a loaded CI machine.
configure({ asyncUtilTimeout: 5_000 });

/** Render inside the app's providers, with a fresh query cache and no retries. */
export function renderWithProviders(ui: ReactElement, { route = '/' }: { route?: string } = {}) {
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return {
    client,
    ...render(
      <MantineProvider theme={theme}>
        <QueryClientProvider client={client}>
          <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
        </QueryClientProvider>
      </MantineProvider>,
    ),
  };
}

/** A fetch that answers from a table of `METHOD path` → [status, body]. Records the calls. */
export function fakeFetch(table: Record<string, [number, unknown]>) {
  const calls: Array<{ method: string; url: string; body: unknown }> = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    calls.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0];
    const answer = table[`${method} ${path}`];
    if (!answer)
      return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no route' } }), {
        status: 404,
      });
    const [status, body] = answer;
    return new Response(status === 204 ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch: fn as typeof fetch, calls };
}
