import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsFile, credentialsPath } from './credentials.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-creds-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('credentialsPath', () => {
  it('prefers XDG_CONFIG_HOME, then ~/.config', () => {
    expect(credentialsPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/aperture/credentials.json');
    expect(credentialsPath({ HOME: '/h' })).toBe('/h/.config/aperture/credentials.json');
  });
});

describe('CredentialsFile', () => {
  it('writes owner-only (0600), even over a wider file, and reads it back', async () => {
    const file = CredentialsFile.fromEnv({ XDG_CONFIG_HOME: dir });
    await file.write({ server: 'http://a', token: 'apt_1' });
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    await writeFile(file.path, '{}', { mode: 0o644 });
    await file.write({ server: 'http://a', token: 'apt_2' });
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect(await file.read()).toEqual({ server: 'http://a', token: 'apt_2' });
    expect(JSON.parse(await readFile(file.path, 'utf8'))).toEqual({ server: 'http://a', token: 'apt_2' });
  });

  it('reads nothing when there is no file, and removes what there is', async () => {
    const file = new CredentialsFile(join(dir, 'aperture', 'credentials.json'));
    expect(await file.read()).toBeUndefined();
    expect(await file.remove()).toBe(false);
    await file.write({ server: 'http://a', token: 't' });
    expect(await file.remove()).toBe(true);
    expect(await file.read()).toBeUndefined();
  });

  it('rejects a corrupt file with a hint to log in again', async () => {
    const file = new CredentialsFile(join(dir, 'credentials.json'));
    await writeFile(file.path, 'not json');
    await expect(file.read()).rejects.toMatchObject({ hint: 'run `aperture login` again' });
  });
});
