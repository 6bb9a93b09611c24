import { describe, expect, it } from 'vitest';
import { isSealed, openSealedJob, sealJob } from './sealed-job.ts';

describe('sealed job', () => {
  it('opens with its key and hides the text', () => {
    const job = JSON.stringify({ nonce: 'n1', tests: [{ expectedOutput: 'the hidden answer' }] });
    const { sealed, key } = sealJob(job);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('hidden');
    expect(openSealedJob(sealed, key)).toBe(job);
  });

  it('compresses, so a large submission of source code fits a Secret', () => {
    const source = Buffer.from('int main(void) { return 0; }\n'.repeat(40_000)).toString('base64');
    const job = JSON.stringify({ files: [{ path: 'main.c', contentBase64: source }] });
    const { sealed, key } = sealJob(job);
    expect(sealed.length).toBeLessThan(job.length / 10);
    expect(openSealedJob(sealed, key)).toBe(job);
  });

  it('refuses another key, an altered file and garbage', () => {
    const { sealed } = sealJob('{"a":1}');
    const other = sealJob('{"a":1}').key;
    expect(() => openSealedJob(sealed, other)).toThrow(/does not open/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => openSealedJob(parts.join('.'), sealJob('x').key)).toThrow(/does not open/);
    expect(() => openSealedJob('{"plain":true}', other)).toThrow(/not a sealed job/);
    expect(() => openSealedJob(sealed, 'short')).toThrow(/malformed/);
  });
});
