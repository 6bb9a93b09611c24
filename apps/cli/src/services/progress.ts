import type { Output } from '../output.ts';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Where a run is, on stderr. On a terminal: one line redrawn with a spinner and elapsed seconds.
 * Elsewhere (CI logs, pipes): one plain line per status change, and nothing in JSON mode.
 */
export class Progress {
  private status = '';
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly out: Output,
    private readonly label: string,
  ) {}

  update(status: string): void {
    if (status === this.status) return;
    this.status = status;
    if (this.out.interactive) {
      this.timer ??= setInterval(() => this.draw(), 100);
      this.timer.unref();
      this.draw();
    } else if (!this.out.json && !TERMINAL.has(status)) {
      // The verdict line that follows says how it ended.
      this.out.info(`${this.label}: ${status}`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.out.interactive && this.status) this.out.stderr.write('\r\x1b[2K');
  }

  private draw(): void {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    const spinner = FRAMES[this.frame++ % FRAMES.length];
    this.out.stderr.write(`\r\x1b[2K${spinner} ${this.label}: ${this.status} ${seconds}s`);
  }
}
