import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunExecutor } from '@aperture/core';
import { loadServerConfig, type ServerConfig } from '../config.ts';
import { type RunningServer, type ServerOverrides, startServer } from '../server.ts';

export const BOOTSTRAP_TOKEN = 'test-bootstrap-token-0123456789';

export interface TestServer {
  server: RunningServer;
  url: string;
  /** fetch against the server with a token (or none), JSON in and out. */
  api(
    token: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  login(username: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  body: any; // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  headers: Headers;
}

export async function startTestServer(
  executor: RunExecutor,
  overrides: Partial<ServerConfig> = {},
  serverOverrides: Omit<ServerOverrides, 'executor' | 'logger'> = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aperture-test-'));
  const config = loadServerConfig(
    {
      port: 0,
      dataDir,
      seedDemo: true,
      logLevel: 'silent',
      bootstrapToken: BOOTSTRAP_TOKEN,
      concurrency: 2,
      ...overrides,
    },
    {},
  );
  const server = await startServer(config, { ...serverOverrides, executor, logger: false });
  const api: TestServer['api'] = async (token, method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (token) (init.headers as Record<string, string>)['authorization'] = `Bearer ${token}`;
    if (body !== undefined) {
      if (typeof body === 'string' || body instanceof FormData) init.body = body as never;
      else {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
    }
    const response = await fetch(`${server.url}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (CSV, HTML): keep the text.
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  const login = async (username: string, password: string) => {
    const response = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (response.status !== 200) throw new Error(`login of ${username} failed: ${response.status}`);
    const cookie = response.headers.get('set-cookie') ?? '';
    const created = await fetch(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie.split(';')[0]! },
      body: JSON.stringify({ name: 'test' }),
    });
    return ((await created.json()) as { token: string }).token;
  };
  return {
    server,
    url: server.url,
    api,
    login,
    close: async () => {
      await server.close(1000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A new, empty PostgreSQL database on the test cluster (see test/setup/postgres.ts). */
export async function freshPostgresDatabase(adminUrl: string): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `api_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
