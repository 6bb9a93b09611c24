import { describe, expect, it } from 'vitest';
import type { Run } from './entities.ts';
import { buildHarnessJob, defaultSandboxFor, HARNESS_MEMORY_OVERHEAD, sandboxFor } from './job-builder.ts';
import { findLanguage } from './languages.ts';
import { DEFAULT_LIMITS } from './limits.ts';

const base: Run = {
  id: 'r',
  kind: 'submission',
  userId: 'u',
  courseId: null,
  assignmentId: null,
  status: 'running',
  spec: {
    language: 'c',
    files: [{ path: 'main.c', contentBase64: '' }],
    mainFile: 'main.c',
    stdin: '',
    tests: [
      {
        name: 't1',
        stdin: '',
        expectedOutput: '',
        comparator: { kind: 'exact' },
        points: 1,
        visibility: 'visible',
      },
      {
        name: 't2',
        stdin: '',
        expectedOutput: '',
        comparator: { kind: 'exact' },
        points: 1,
        visibility: 'hidden',
        limits: { memoryBytes: 512 * 1024 * 1024, wallMs: 2000 },
      },
    ],
    limits: { cpuMs: 1000 },
    supportFiles: [],
    autograder: null,
  },
  result: null,
  verdict: null,
  score: null,
  maxScore: null,
  error: null,
  attempts: 1,
  cancelRequested: false,
  webhookUrl: null,
  webhookStatus: null,
  createdAt: '',
  startedAt: null,
  finishedAt: null,
};

describe('job builder', () => {
  const language = findLanguage('c')!;
  const job = buildHarnessJob(base, language, 'nonce');

  it('gives each test its own limits, assignment limits under test limits', () => {
    expect(job.tests[0]?.limits).toMatchObject({ cpuMs: 1000, memoryBytes: DEFAULT_LIMITS.memoryBytes });
    expect(job.tests[1]?.limits).toMatchObject({ cpuMs: 1000, memoryBytes: 512 * 1024 * 1024, wallMs: 2000 });
    expect(job.language.compile).toContain('gcc');
  });

  it('sizes the sandbox for its largest step plus the harness, with no network', () => {
    const sandbox = sandboxFor(job, language);
    expect(sandbox.memoryBytes).toBe(
      Math.max(512 * 1024 * 1024, job.compileLimits.memoryBytes) + HARNESS_MEMORY_OVERHEAD,
    );
    expect(sandbox.network).toBe(false);
    expect(sandbox.deadlineMs).toBeGreaterThan(job.compileLimits.wallMs + DEFAULT_LIMITS.wallMs + 2000);
    expect(sandbox.image).toBe('aperture/runner-c');
  });

  it('the warm-pool sandbox is exactly what a default run gets, so default runs hit the pool', () => {
    for (const id of ['python', 'c', 'java']) {
      const lang = findLanguage(id)!;
      const plain: Run = {
        ...base,
        spec: { ...base.spec, language: id, tests: [], limits: {}, mainFile: lang.defaultMainFile },
      };
      const { deadlineMs: _d, ...expected } = sandboxFor(buildHarnessJob(plain, lang, 'n'), lang);
      const { deadlineMs: _p, ...pooled } = defaultSandboxFor(lang);
      expect(pooled).toEqual(expected);
    }
  });
});
