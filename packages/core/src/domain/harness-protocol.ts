import type { SourceFile } from './files.ts';
import type { Limits } from './limits.ts';
import type { Comparator } from './tests.ts';
import type { Verdict } from './verdicts.ts';

/**
 * The contract between a backend and the harness inside the sandbox. Versioned: a harness
 * refuses a job version it does not know, and the backend refuses a result version it does not know.
 *
 * The job reaches the harness on stdin (Podman, warm pool) or as a file named by APERTURE_JOB_FILE
 * (Kubernetes Secret). The result is one frame on the harness's stdout:
 *
 *   \n@@APERTURE-RESULT v1 <nonce> <byteLength>@@\n<json>\n@@END <nonce>@@\n
 *
 * The nonce comes with the job, so output a student's program manages to write to the
 * container's stdout cannot pass for a result.
 */
export const HARNESS_PROTOCOL_VERSION = 1;

/**
 * The harness prints this line on stderr when it starts waiting for its job on stdin, so a backend
 * that pre-starts sandboxes (the Podman warm pool) knows which ones are warm.
 */
export const HARNESS_READY_LINE = '@@APERTURE-READY@@';

export interface HarnessTest {
  name: string;
  stdin: string;
  expectedOutput: string;
  comparator: Comparator;
  points: number;
  limits: Limits;
  args: string[];
}

export interface HarnessJob {
  version: typeof HARNESS_PROTOCOL_VERSION;
  runId: string;
  nonce: string;
  language: { id: string; compile?: string; run: string; mainFile: string };
  files: SourceFile[];
  /** Files of the assignment (checkers, data) placed in a separate read-only-by-convention dir. */
  supportFiles: SourceFile[];
  compileLimits: Limits;
  /**
   * With no tests the harness runs the program once with `stdin` and judges by exit status
   * (ad-hoc "Run" button); with tests it runs each test.
   */
  stdin: string;
  runLimits: Limits;
  tests: HarnessTest[];
  /** Gradescope mode: these files become /autograder/source and `run_autograder` grades. */
  autograder?: { files: SourceFile[]; limits: Limits };
}

export interface ExecutionOutcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  /** CPU time, ms. */
  timeMs: number;
  wallMs: number;
  /** Peak resident memory, bytes. */
  memoryBytes: number;
  /** True when stdout or stderr were cut at the limit (a visible marker is appended). */
  truncated: boolean;
}

export interface CompileResult extends ExecutionOutcome {
  verdict: 'ok' | 'compile_error';
  message?: string;
}

export type ResultVisibility = 'visible' | 'hidden' | 'after_due_date' | 'after_published';

export interface TestResult extends ExecutionOutcome {
  name: string;
  verdict: Verdict;
  points: number;
  maxPoints: number;
  message?: string;
  /** Set for Gradescope tests; tests from the assignment carry the assignment's visibility. */
  visibility?: ResultVisibility;
}

export interface HarnessResult {
  version: typeof HARNESS_PROTOCOL_VERSION;
  /** `internal_error` means the harness itself failed: never the student's fault. */
  status: 'ok' | 'internal_error';
  message?: string;
  compile?: CompileResult;
  /** The single execution of an ad-hoc run without tests. */
  execution?: ExecutionOutcome & { verdict: Verdict };
  tests: TestResult[];
  score: number;
  maxScore: number;
  /** Gradescope top-level fields, passed through for export. */
  gradescope?: {
    output?: string;
    visibility?: ResultVisibility;
    stdoutVisibility?: ResultVisibility;
    executionTime?: number;
    extraData?: unknown;
  };
}

export const TRUNCATION_MARKER = '\n…[output truncated by Aperture at the limit]\n';

export function frameResult(result: HarnessResult, nonce: string): string {
  const json = JSON.stringify(result);
  const length = Buffer.byteLength(json, 'utf8');
  return `\n@@APERTURE-RESULT v${HARNESS_PROTOCOL_VERSION} ${nonce} ${length}@@\n${json}\n@@END ${nonce}@@\n`;
}

export type ParsedFrame = { ok: true; result: HarnessResult } | { ok: false; reason: string };

/** Find the frame with our nonce in the sandbox's stdout. The last matching frame wins. */
export function parseFramedResult(output: string, nonce: string): ParsedFrame {
  const header = new RegExp(`@@APERTURE-RESULT v(\\d+) ${escapeRegex(nonce)} (\\d+)@@\\n`, 'g');
  let match: RegExpExecArray | null;
  let last: RegExpExecArray | undefined;
  // biome-ignore lint/suspicious/noAssignInExpressions: the idiomatic regex scan loop
  while ((match = header.exec(output)) !== null) last = match;
  if (!last) return { ok: false, reason: 'the sandbox printed no result frame' };
  const version = Number(last[1]);
  if (version !== HARNESS_PROTOCOL_VERSION) return { ok: false, reason: `unknown result version ${version}` };
  const start = last.index + last[0].length;
  const bytes = Buffer.from(output.slice(start), 'utf8');
  const length = Number(last[2]);
  if (bytes.length < length) return { ok: false, reason: 'the result frame is cut short' };
  const json = bytes.subarray(0, length).toString('utf8');
  if (!output.slice(start).startsWith(`${json}\n@@END ${nonce}@@`)) {
    return { ok: false, reason: 'the result frame has no matching end marker' };
  }
  try {
    const result = JSON.parse(json) as HarnessResult;
    if (result.version !== HARNESS_PROTOCOL_VERSION || !Array.isArray(result.tests)) {
      return { ok: false, reason: 'the result JSON is not a v1 result' };
    }
    return { ok: true, result };
  } catch (error) {
    return { ok: false, reason: `the result JSON does not parse: ${(error as Error).message}` };
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
