import { DEFAULT_LIMITS, type Limits } from '@aperture/core';
import { describe, expect, it } from 'vitest';
import {
  type ExecutionFacts,
  effectiveSignal,
  judgeExecution,
  type RunReport,
  signalName,
} from './verdict.ts';

const MiB = 1024 * 1024;
const limits: Limits = { ...DEFAULT_LIMITS, cpuMs: 1000, wallMs: 2000, memoryBytes: 100 * MiB };

function facts(report: Partial<RunReport>, extra: Partial<ExecutionFacts> = {}): ExecutionFacts {
  return {
    report: {
      exitCode: 0,
      signal: null,
      cpuMs: 10,
      wallMs: 20,
      maxRssKb: 10_000,
      wallTimedOut: false,
      ...report,
    },
    outputLimitHit: false,
    oomKills: 0,
    ...extra,
  };
}

const verdictOf = (f: ExecutionFacts) => judgeExecution(f, limits).verdict;

describe('judgeExecution', () => {
  it('a clean exit within limits goes on to comparison', () => {
    expect(judgeExecution(facts({}), limits)).toEqual({ verdict: 'ok' });
  });

  it('CPU: SIGXCPU, the shell reporting it (128+24), or CPU time over the limit', () => {
    expect(verdictOf(facts({ exitCode: null, signal: 24 }))).toBe('time_limit_exceeded');
    expect(verdictOf(facts({ exitCode: 152 }))).toBe('time_limit_exceeded');
    expect(verdictOf(facts({ cpuMs: 1001 }))).toBe('time_limit_exceeded');
    expect(judgeExecution(facts({ cpuMs: 1500 }), limits).message).toContain('1 s');
  });

  it('wall: runlimit timed out', () => {
    expect(verdictOf(facts({ exitCode: null, signal: 9, wallTimedOut: true }))).toBe(
      'wall_time_limit_exceeded',
    );
  });

  it('output: the harness stopped the program; its SIGKILL or SIGPIPE is not memory', () => {
    expect(
      verdictOf(facts({ exitCode: null, signal: 9, maxRssKb: 99 * 1024 }, { outputLimitHit: true })),
    ).toBe('output_limit_exceeded');
    expect(verdictOf(facts({ exitCode: 141 }, { outputLimitHit: true }))).toBe('output_limit_exceeded');
  });

  it('memory: SIGKILL with an OOM kill counted', () => {
    expect(verdictOf(facts({ exitCode: null, signal: 9, maxRssKb: 5_000 }, { oomKills: 1 }))).toBe(
      'memory_limit_exceeded',
    );
    // through the shell: exit 137
    expect(verdictOf(facts({ exitCode: 137 }, { oomKills: 1 }))).toBe('memory_limit_exceeded');
  });

  it('memory: SIGKILL with peak RSS at 90% of the limit, even without the counter', () => {
    expect(verdictOf(facts({ exitCode: null, signal: 9, maxRssKb: 91 * 1024 }))).toBe(
      'memory_limit_exceeded',
    );
    expect(verdictOf(facts({ exitCode: null, signal: 9, maxRssKb: 50 * 1024 }))).toBe('runtime_error');
  });

  it('memory: peak RSS over the limit, whatever the exit', () => {
    expect(verdictOf(facts({ maxRssKb: 101 * 1024 }))).toBe('memory_limit_exceeded');
  });

  it('memory: an OOM kill in the program’s tree that made it fail', () => {
    expect(verdictOf(facts({ exitCode: 1 }, { oomKills: 1 }))).toBe('memory_limit_exceeded');
    expect(verdictOf(facts({ exitCode: 0 }, { oomKills: 1 }))).toBe('ok');
  });

  it('file size: SIGXFSZ directly or through the shell', () => {
    expect(verdictOf(facts({ exitCode: null, signal: 25 }))).toBe('output_limit_exceeded');
    const judged = judgeExecution(facts({ exitCode: 153 }), limits);
    expect(judged.verdict).toBe('output_limit_exceeded');
    expect(judged.message).toContain('file');
  });

  it('file size: a program that ignores SIGXFSZ and dies of EFBIG', () => {
    const stderr = 'OSError: [Errno 27] File too large\n';
    expect(verdictOf(facts({ exitCode: 1 }, { stderr }))).toBe('output_limit_exceeded');
    expect(verdictOf(facts({ exitCode: 0 }, { stderr }))).toBe('ok');
  });

  it('runtime errors name the exit code or the signal', () => {
    expect(judgeExecution(facts({ exitCode: 3 }), limits)).toEqual({
      verdict: 'runtime_error',
      message: 'The program ended with exit code 3.',
    });
    expect(judgeExecution(facts({ exitCode: null, signal: 11 }), limits).message).toContain('SIGSEGV');
    expect(judgeExecution(facts({ exitCode: 139 }), limits).message).toMatch(/exit code 139.*SIGSEGV/);
    expect(judgeExecution(facts({ exitCode: null, signal: 6 }), limits).message).toContain('SIGABRT');
  });

  it('CPU limit wins over everything else', () => {
    expect(
      verdictOf(facts({ exitCode: null, signal: 9, cpuMs: 5000, wallTimedOut: true }, { oomKills: 1 })),
    ).toBe('time_limit_exceeded');
  });
});

describe('signals', () => {
  it('names signals and reads the shell’s 128+n convention', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(11)).toBe('SIGSEGV');
    expect(effectiveSignal(facts({ exitCode: 137 }).report)).toEqual({ signal: 9, viaShell: true });
    expect(effectiveSignal(facts({ exitCode: 128 }).report)).toBeNull();
    expect(effectiveSignal(facts({ exitCode: null, signal: 15 }).report)).toEqual({
      signal: 15,
      viaShell: false,
    });
  });
});
