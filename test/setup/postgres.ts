/**
 * Vitest globalSetup: a real, throw-away PostgreSQL for the storage contract suite.
 *
 * With APERTURE_TEST_DATABASE_URL set, that server is used as is. Otherwise we start a private
 * cluster from Debian's binaries in a temp dir (installing the `postgresql` package when missing
 * and we are root), listening on 127.0.0.1 on a free port, and stop it after the run. A failure
 * to start throws: the suites that need PostgreSQL fail, they are never silently skipped.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const run = promisify(execFile);
const DATABASE = 'aperture_test';

interface Cluster {
  url: string;
  stop(): Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.APERTURE_TEST_DATABASE_URL;
  if (existing) {
    await ping(existing).catch((error: Error) => {
      throw new Error(`APERTURE_TEST_DATABASE_URL=${redact(existing)} is not reachable: ${error.message}`);
    });
    project.provide('postgresUrl', existing);
    return async () => {};
  }
  const started = Date.now();
  const cluster = await startCluster().catch((error: Error) => {
    throw new Error(`PostgreSQL for the tests could not be started: ${error.message}`, { cause: error });
  });
  console.log(`[postgres] throw-away cluster ready at ${redact(cluster.url)} in ${Date.now() - started} ms`);
  process.env.APERTURE_TEST_DATABASE_URL = cluster.url;
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}

async function startCluster(): Promise<Cluster> {
  const bin = await findBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'aperture-pg-'));
  const owner = serverOwner();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const asOwner = (file: string, args: string[]) => runAs(owner?.name, join(bin, file), args, dir);
  const data = join(dir, 'data');
  const stop = async () => {
    await asOwner('pg_ctl', ['stop', '-D', data, '-m', 'immediate']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await asOwner('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    const port = await freePort();
    await asOwner('pg_ctl', [
      'start',
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      serverFlags(dir, port),
    ]);
    const url = `postgres://postgres@127.0.0.1:${port}/${DATABASE}`;
    await createDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, DATABASE);
    return { url, stop };
  } catch (error) {
    const log = tail(join(dir, 'server.log'));
    await stop();
    throw new Error(`${(error as Error).message}${log ? `\nserver log:\n${log}` : ''}`, { cause: error });
  }
}

/** Durability is pointless for a cluster that lives for one test run; speed is not. */
function serverFlags(dir: string, port: number): string {
  return [
    `-p ${port}`,
    '-h 127.0.0.1',
    `-k ${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
}

async function findBinaries(): Promise<string> {
  const found = locateBinaries();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('initdb/pg_ctl not found (PATH, /usr/lib/postgresql/*/bin) and not root to install them');
  }
  console.log('[postgres] installing the Debian package postgresql…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env });
  const installed = locateBinaries();
  if (!installed) throw new Error('installed postgresql but found no initdb under /usr/lib/postgresql/*/bin');
  return installed;
}

/** The directory holding both initdb and pg_ctl; Debian keeps them off PATH, by version. */
function locateBinaries(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(':').filter(Boolean);
  const debian = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`)
    : [];
  return [...debian, ...onPath].find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  );
}

/** PostgreSQL refuses to run as root, so as root we hand the cluster to the `postgres` user. */
function serverOwner(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no "postgres" user to run the server as');
  const [, , uid, gid] = line.split(':');
  return { name: 'postgres', uid: Number(uid), gid: Number(gid) };
}

async function runAs(user: string | undefined, file: string, args: string[], cwd: string): Promise<void> {
  const [command, argv] = user ? ['runuser', ['-u', user, '--', file, ...args]] : [file, args];
  try {
    await run(command, argv, { cwd, timeout: 90_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${file.split('/').pop()} failed: ${(stderr || stdout || String(error)).trim()}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await query(adminUrl, `CREATE DATABASE ${name}`);
}

function ping(url: string): Promise<void> {
  return query(url, 'SELECT 1');
}

async function query(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '';
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
