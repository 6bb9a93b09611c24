import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER, normalizeServer, resolveConnection } from './context.ts';
import { CredentialsFile } from './credentials.ts';

async function stored(server?: string) {
  const file = new CredentialsFile(join(await mkdtemp(join(tmpdir(), 'aperture-ctx-')), 'credentials.json'));
  if (server) await file.write({ server, token: 'stored-token' });
  return file;
}

describe('resolveConnection', () => {
  it('defaults to the local server without a token', async () => {
    expect(await resolveConnection({}, await stored())).toEqual({ server: DEFAULT_SERVER, token: undefined });
  });

  it('uses the stored login', async () => {
    expect(await resolveConnection({}, await stored('http://a:1'))).toEqual({
      server: 'http://a:1',
      token: 'stored-token',
    });
  });

  it('lets flags (or their env vars) win', async () => {
    const file = await stored('http://a:1');
    expect(await resolveConnection({ server: 'http://a:1/', token: 'flag' }, file)).toEqual({
      server: 'http://a:1',
      token: 'flag',
    });
  });

  it('never sends the stored token to another server', async () => {
    expect(await resolveConnection({ server: 'http://b:2' }, await stored('http://a:1'))).toEqual({
      server: 'http://b:2',
      token: undefined,
    });
  });

  it('adds a missing scheme', () => {
    expect(normalizeServer('localhost:8080/')).toBe('http://localhost:8080');
  });
});
