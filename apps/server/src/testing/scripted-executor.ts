import type {
  BackendHealth,
  ExecutionRequest,
  ExecutionResult,
  HarnessResult,
  RunExecutor,
  TestResult,
} from '@aperture/core';

/**
 * An executor for API tests, where the subject is the HTTP layer and core, not the sandbox.
 * The "program" is its main file's text: what it prints whatever the input, or, when it is a JSON
 * object, a table from stdin to output. Real execution is covered by the Podman suites.
 */
export class ScriptedExecutor implements RunExecutor {
  readonly name = 'scripted';
  executed = 0;
  delayMs = 0;
  /** Force the next N executions to fail as infrastructure. */
  failNext = 0;

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    this.executed++;
    if (this.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.delayMs);
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (request.signal.aborted) return { kind: 'cancelled' };
    if (this.failNext > 0) {
      this.failNext--;
      return { kind: 'infrastructure', reason: 'scripted failure', retryable: true };
    }
    const job = request.job;
    const main = job.files.find((f) => f.path === job.language.mainFile) ?? job.files[0];
    const program = Buffer.from(main?.contentBase64 ?? '', 'base64').toString('utf8');
    const output = (stdin: string): string => {
      try {
        const table = JSON.parse(program) as Record<string, string>;
        if (table && typeof table === 'object') return table[stdin] ?? '';
      } catch {
        // Not a table: the text itself is the output.
      }
      return program;
    };
    const outcome = (stdout: string) => ({
      stdout,
      stderr: '',
      exitCode: 0,
      signal: null,
      timeMs: 5,
      wallMs: 7,
      memoryBytes: 1_000_000,
      truncated: false,
    });
    const tests: TestResult[] = job.tests.map((test) => {
      const stdout = output(test.stdin);
      const ok = stdout.trim().split(/\s+/).join(' ') === test.expectedOutput.trim().split(/\s+/).join(' ');
      return {
        ...outcome(stdout),
        name: test.name,
        verdict: ok ? 'accepted' : 'wrong_answer',
        points: ok ? test.points : 0,
        maxPoints: test.points,
      };
    });
    const result: HarnessResult = {
      version: 1,
      status: 'ok',
      tests,
      score: tests.reduce((s, t) => s + t.points, 0),
      maxScore: tests.reduce((s, t) => s + t.maxPoints, 0),
      ...(job.tests.length === 0
        ? { execution: { ...outcome(output(job.stdin)), verdict: 'accepted' as const } }
        : {}),
    };
    return { kind: 'result', result, raw: { stdoutBytes: 0 } };
  }

  async sweep(): Promise<{ removed: number }> {
    return { removed: 0 };
  }

  async health(): Promise<BackendHealth> {
    return { ok: true, backend: this.name, details: {} };
  }

  async close(): Promise<void> {}
}
