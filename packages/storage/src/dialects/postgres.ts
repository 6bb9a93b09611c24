import { type Dialect, PostgresDialect } from 'kysely';
import pg from 'pg';

export interface PostgresOptions {
  url: string;
  /** Connections in the pool; claims and completions of parallel runs each hold one briefly. */
  maxConnections?: number;
}

export function postgresDialect(options: PostgresOptions): Dialect {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
  return new PostgresDialect({ pool });
}

export function isPostgresUrl(url: string | undefined): boolean {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}
