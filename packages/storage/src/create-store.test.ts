import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore } from './create-store.ts';

describe('createStore', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'aperture-store-'));
    dirs.push(dir);
    return dir;
  };

  it('opens SQLite from a sqlite: URL and logs the migrations it applied', async () => {
    const logged: unknown[] = [];
    const logger = { info: (obj: object) => logged.push(obj), warn() {}, error() {}, debug() {} };
    const store = await createStore({ url: `sqlite:${join(tempDir(), 'x.sqlite')}`, logger });
    expect(store.dialect).toBe('sqlite');
    expect(logged).toEqual([
      {
        dialect: 'sqlite',
        applied: ['0001-initial', '0002-labs', '0003-lab-access-log', '0004-login-failures'],
      },
    ]);
    await store.close();
    await store.close();
  });

  it('opens SQLite from sqlitePath', async () => {
    const store = await createStore({ sqlitePath: join(tempDir(), 'y.sqlite') });
    expect(await store.users.count()).toBe(0);
    await store.close();
  });

  it('refuses a config that names no database', async () => {
    await expect(createStore({})).rejects.toThrow(/postgres:\/\/ URL or a SQLite path/);
  });
});
