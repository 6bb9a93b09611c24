import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from './sqlite.ts';

describe('openSqliteDatabase', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates missing directories and turns on WAL, a busy timeout and foreign keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aperture-sqlite-'));
    dirs.push(dir);
    const database = openSqliteDatabase({ path: join(dir, 'nested', 'a.sqlite'), busyTimeoutMs: 1234 });
    try {
      expect(database.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(database.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(database.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      database.close();
    }
  });
});
