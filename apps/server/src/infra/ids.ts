import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '@aperture/core';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * ULID-style ids (48-bit time + 80 random bits, Crockford base32, lower case) behind a readable
 * prefix: `run_01hx…`. They sort by creation time, which keeps "oldest first" cheap in both stores.
 */
export class RandomIdGenerator implements IdGenerator {
  next(prefix: string): string {
    return `${prefix}_${encodeTime(Date.now())}${encodeRandom(16)}`;
  }

  secret(bytes = 32): string {
    return randomBytes(bytes).toString('base64url');
  }
}

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += CROCKFORD[byte % 32];
  return out;
}
