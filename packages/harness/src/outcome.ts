import type { ExecutionOutcome } from '@aperture/core';
import type { ExecuteResult } from './execute.ts';
import { signalName } from './verdict.ts';

/** The protocol's view of one execution. */
export function toOutcome(result: ExecuteResult): ExecutionOutcome {
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    exitCode: result.report.exitCode,
    signal: result.report.signal === null ? null : signalName(result.report.signal),
    timeMs: result.report.cpuMs,
    wallMs: result.report.wallMs,
    memoryBytes: result.report.maxRssKb * 1024,
    truncated: result.truncated,
  };
}

export function emptyOutcome(): ExecutionOutcome {
  return {
    stdout: '',
    stderr: '',
    exitCode: null,
    signal: null,
    timeMs: 0,
    wallMs: 0,
    memoryBytes: 0,
    truncated: false,
  };
}
