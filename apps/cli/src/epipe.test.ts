import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'aperture.js');

describe('output piped into a reader that stops early (`aperture … | head`)', () => {
  it('ends quietly with the exit code it would have had, no EPIPE stack trace', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the first byte: every write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => child.once('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
