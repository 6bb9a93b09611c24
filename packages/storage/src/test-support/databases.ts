import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@aperture/core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { createStore, type StoreConfig } from '../create-store.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** Every contract test runs once per dialect, like Kysely's own suite. */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

export interface TestDatabases {
  /** A new, empty database (SQLite file, or PostgreSQL schema) to open stores on. */
  fresh(): Promise<StoreConfig>;
  /** createStore, closed again after the test. */
  open(config: StoreConfig): Promise<Store>;
  /** `open(await fresh())`. */
  openFresh(): Promise<Store>;
}

/**
 * Registers the hooks for one dialect in the current describe block: a private SQLite temp dir,
 * or a private PostgreSQL database for this file with one schema per test, so files and tests
 * never see each other's rows.
 */
export function useTestDatabases(dialect: TestDialect): TestDatabases {
  const target = dialect === 'sqlite' ? sqliteTarget() : postgresTarget();
  const opened: Store[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  const open = async (config: StoreConfig) => {
    const store = await createStore(config);
    opened.push(store);
    return store;
  };
  return { fresh: target, open, openFresh: async () => open(await target()) };
}

function sqliteTarget(): () => Promise<StoreConfig> {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aperture-sqlite-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return async () => ({ sqlitePath: join(dir, `${randomName('db')}.sqlite`) });
}

function postgresTarget(): () => Promise<StoreConfig> {
  const database = randomName('t');
  let adminUrl = '';
  let databaseUrl = '';
  beforeAll(async () => {
    adminUrl = postgresUrl();
    databaseUrl = withDatabase(adminUrl, database);
    await execute(adminUrl, `CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    await execute(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });
  return async () => {
    const schema = randomName('s');
    await execute(databaseUrl, `CREATE SCHEMA ${schema}`);
    return { url: withSearchPath(databaseUrl, schema) };
  };
}

function postgresUrl(): string {
  const url = inject('postgresUrl') ?? process.env.APERTURE_TEST_DATABASE_URL;
  if (!url) throw new Error('No PostgreSQL: test/setup/postgres.ts did not run (is it in globalSetup?)');
  return url;
}

async function execute(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** libpq-style startup option: every connection of the store's pool lands in the test's schema. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}
