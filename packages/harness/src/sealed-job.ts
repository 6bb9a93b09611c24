import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * On Kubernetes the job reaches the sandbox as a file in a Secret volume, which the student's
 * program (same uid) could read: the file holds the job sealed with AES-256-GCM, and the key comes
 * in the harness's environment (APERTURE_JOB_KEY). The harness and its init are execute-only
 * binaries, hence non-dumpable, so their /proc/<pid>/environ is closed to the student's program,
 * and children never inherit APERTURE_* variables (config.ts). See docs/adr/0005.
 *
 * Format: `aperture-sealed-v1.<iv>.<tag>.<ciphertext>`, each part base64url; the plaintext is the
 * gzipped job (a Secret holds at most 1 MiB, and source code with base64 files shrinks a lot).
 */
const PREFIX = 'aperture-sealed-v1';

export interface SealedJob {
  sealed: string;
  /** 32 random bytes, base64url. */
  key: string;
}

export function sealJob(jobText: string): SealedJob {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(gzipSync(Buffer.from(jobText, 'utf8'))), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
  return { sealed: [PREFIX, ...parts].join('.'), key: key.toString('base64url') };
}

export function isSealed(text: string): boolean {
  return text.startsWith(`${PREFIX}.`);
}

/** The job's text; throws with a plain message when the key does not fit or the file was altered. */
export function openSealedJob(sealed: string, key: string): string {
  const parts = sealed.trim().split('.');
  if (parts.length !== 4 || parts[0] !== PREFIX) throw new Error('The job file is not a sealed job.');
  const [iv, tag, ciphertext] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [
    Buffer,
    Buffer,
    Buffer,
  ];
  const keyBytes = Buffer.from(key, 'base64url');
  if (keyBytes.length !== 32 || iv.length !== 12 || tag.length !== 16)
    throw new Error('The job key or the sealed job is malformed.');
  const decipher = createDecipheriv('aes-256-gcm', keyBytes, iv);
  decipher.setAuthTag(tag);
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new Error('The sealed job does not open with its key (altered, or the wrong key).');
  }
  return gunzipSync(plain).toString('utf8');
}
