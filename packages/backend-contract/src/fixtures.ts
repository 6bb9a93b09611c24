import {
  buildHarnessJob,
  type ExecutionRequest,
  findLanguage,
  type Limits,
  type Run,
  type RunSpec,
  sandboxFor,
  type TestCase,
} from '@aperture/core';

let counter = 0;

export const file = (path: string, text: string) => ({
  path,
  contentBase64: Buffer.from(text, 'utf8').toString('base64'),
});

export const test = (
  name: string,
  stdin: string,
  expectedOutput: string,
  extra: Partial<TestCase> = {},
): TestCase => ({
  name,
  stdin,
  expectedOutput,
  comparator: { kind: 'exact' },
  points: 1,
  visibility: 'visible',
  ...extra,
});

/** A run as the dispatcher would hand it to a backend, built by the same pure functions. */
export function runOf(
  spec: Partial<RunSpec> & Pick<RunSpec, 'language' | 'files'>,
  id = `run_contract_${Date.now()}_${counter++}`,
): Run {
  const language = findLanguage(spec.language);
  if (!language) throw new Error(`unknown language ${spec.language}`);
  return {
    id,
    kind: 'adhoc',
    userId: 'u',
    courseId: null,
    assignmentId: null,
    status: 'running',
    spec: {
      mainFile: spec.files[0]?.path ?? language.defaultMainFile,
      stdin: '',
      tests: [],
      limits: {},
      supportFiles: [],
      autograder: null,
      ...spec,
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
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
  };
}

export function requestFor(run: Run, signal: AbortSignal = new AbortController().signal): ExecutionRequest {
  const language = findLanguage(run.spec.language)!;
  const job = buildHarnessJob(run, language, `nonce${Math.random().toString(36).slice(2)}`);
  return { runId: run.id, attempt: run.attempts, job, sandbox: sandboxFor(job, language), signal };
}

export const limits = (l: Partial<Limits>) => l;
