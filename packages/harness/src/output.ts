import { TRUNCATION_MARKER } from '@aperture/core';

export type StreamName = 'stdout' | 'stderr';

/**
 * Keeps at most `capBytes` of stdout + stderr together. Data past the cap is dropped and the
 * stream that lost data gets TRUNCATION_MARKER appended. Decoding waits until the end so a
 * multi-byte character split across chunks survives.
 */
export class CappedOutput {
  private readonly chunks: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  private readonly lost: Record<StreamName, boolean> = { stdout: false, stderr: false };
  private kept = 0;

  constructor(private readonly capBytes: number) {}

  /** Add a chunk; returns true when this chunk crossed the cap. */
  add(stream: StreamName, chunk: Buffer): boolean {
    const room = this.capBytes - this.kept;
    if (chunk.length <= room) {
      this.chunks[stream].push(chunk);
      this.kept += chunk.length;
      return false;
    }
    if (room > 0) this.chunks[stream].push(chunk.subarray(0, room));
    this.kept = this.capBytes;
    this.lost[stream] = true;
    return true;
  }

  get exceeded(): boolean {
    return this.lost.stdout || this.lost.stderr;
  }

  /** Raw stdout bytes kept (for a checker's actual-output file). */
  stdoutBytes(): Buffer {
    return Buffer.concat(this.chunks.stdout);
  }

  text(stream: StreamName): string {
    const text = Buffer.concat(this.chunks[stream]).toString('utf8');
    return this.lost[stream] ? text + TRUNCATION_MARKER : text;
  }
}
