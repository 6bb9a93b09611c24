import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { SecretHasher } from '@aperture/core';

// OWASP's scrypt floor (N=2^17, r=8, p=1) needs 128 MiB per hash; N=2^15 keeps logins of a whole
// class at once within memory while staying far above brute-force range for a password.
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, PARAMS, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Passwords: scrypt with a per-user salt. Tokens and session ids: sha256 (they are random). */
export class ScryptSecretHasher implements SecretHasher {
  async hashPassword(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(password, salt);
    return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verifyPassword(password: string, hash: string): Promise<boolean> {
    const [scheme, , , , salt, key] = hash.split('$');
    if (scheme !== 'scrypt' || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const actual = await scryptAsync(password, Buffer.from(salt, 'base64'));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  digest(secret: string): string {
    return createHash('sha256').update(secret).digest('hex');
  }
}
