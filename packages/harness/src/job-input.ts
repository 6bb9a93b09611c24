import { readFileSync } from 'node:fs';
import { HARNESS_PROTOCOL_VERSION, HARNESS_READY_LINE, type HarnessJob } from '@aperture/core';
import { openSealedJob } from './sealed-job.ts';

export type ParsedJob =
  | { ok: true; job: HarnessJob }
  | { ok: false; nonce: string | undefined; message: string };

/**
 * The job arrives on stdin (Podman) or in the file named by APERTURE_JOB_FILE (Kubernetes), sealed
 * with the key in APERTURE_JOB_KEY when one is given (sealed-job.ts).
 */
export async function readJobText(jobFile: string | undefined, jobKey?: string): Promise<string> {
  if (jobFile) {
    const text = readFileSync(jobFile, 'utf8');
    return jobKey ? openSealedJob(text, jobKey) : text;
  }
  // Tell a pre-starting backend that this sandbox is warm and waiting.
  process.stderr.write(`${HARNESS_READY_LINE}\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The serve mode: one job per line of stdin (JSON has no raw newline), until stdin ends. The ready
 * line goes out once, before the first job.
 */
export async function* readJobLines(input: NodeJS.ReadableStream = process.stdin): AsyncGenerator<string> {
  process.stderr.write(`${HARNESS_READY_LINE}\n`);
  let pending = '';
  for await (const chunk of input) {
    pending += chunk.toString();
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim()) yield line;
      newline = pending.indexOf('\n');
    }
  }
  if (pending.trim()) yield pending;
}

/**
 * Parse and check the job's shape. Pure. The nonce is recovered whenever possible so even a
 * refusal reaches the backend as a proper frame.
 */
export function parseJob(text: string): ParsedJob {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, nonce: undefined, message: `The job is not valid JSON: ${(error as Error).message}` };
  }
  if (!isRecord(value)) return { ok: false, nonce: undefined, message: 'The job is not a JSON object.' };
  const nonce =
    typeof value['nonce'] === 'string' && /^[^\s@]{1,200}$/.test(value['nonce']) ? value['nonce'] : undefined;
  const refuse = (message: string): ParsedJob => ({ ok: false, nonce, message });
  if (value['version'] !== HARNESS_PROTOCOL_VERSION) {
    return refuse(
      `Unknown job version ${JSON.stringify(value['version'])}; this harness speaks version ${HARNESS_PROTOCOL_VERSION}.`,
    );
  }
  if (nonce === undefined) return refuse('The job has no valid nonce.');
  const language = value['language'];
  if (
    !isRecord(language) ||
    typeof language['run'] !== 'string' ||
    typeof language['mainFile'] !== 'string'
  ) {
    return refuse('The job has no valid language (run command and main file).');
  }
  if (language['compile'] !== undefined && typeof language['compile'] !== 'string') {
    return refuse('The job has an invalid compile command.');
  }
  for (const key of ['files', 'supportFiles', 'tests'] as const) {
    if (!Array.isArray(value[key])) return refuse(`The job has no "${key}" list.`);
  }
  for (const key of ['files', 'supportFiles'] as const) {
    if (!(value[key] as unknown[]).every(isSourceFile))
      return refuse(`The job's "${key}" has an invalid entry.`);
  }
  if (!isLimits(value['runLimits']) || !isLimits(value['compileLimits'])) {
    return refuse('The job has invalid run or compile limits.');
  }
  if (typeof value['stdin'] !== 'string') return refuse('The job has no stdin string.');
  for (const [index, test] of (value['tests'] as unknown[]).entries()) {
    if (!isTest(test)) return refuse(`Test ${index + 1} of the job is invalid.`);
  }
  const autograder = value['autograder'];
  if (autograder !== undefined) {
    if (
      !isRecord(autograder) ||
      !Array.isArray(autograder['files']) ||
      !autograder['files'].every(isSourceFile)
    ) {
      return refuse('The job has an invalid autograder.');
    }
    if (!isLimits(autograder['limits'])) return refuse('The job has invalid autograder limits.');
  }
  return { ok: true, job: value as unknown as HarnessJob };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSourceFile(value: unknown): boolean {
  return isRecord(value) && typeof value['path'] === 'string' && typeof value['contentBase64'] === 'string';
}

const LIMIT_KEYS = ['cpuMs', 'wallMs', 'memoryBytes', 'pids', 'outputBytes', 'fileSizeBytes'] as const;

function isLimits(value: unknown): boolean {
  return (
    isRecord(value) && LIMIT_KEYS.every((key) => typeof value[key] === 'number' && (value[key] as number) > 0)
  );
}

function isTest(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const comparator = value['comparator'];
  return (
    typeof value['name'] === 'string' &&
    typeof value['stdin'] === 'string' &&
    typeof value['expectedOutput'] === 'string' &&
    typeof value['points'] === 'number' &&
    Array.isArray(value['args']) &&
    value['args'].every((arg) => typeof arg === 'string') &&
    isLimits(value['limits']) &&
    isRecord(comparator) &&
    ['exact', 'whitespace', 'regex', 'checker'].includes(comparator['kind'] as string) &&
    (comparator['kind'] !== 'regex' || typeof comparator['pattern'] === 'string') &&
    (comparator['kind'] !== 'checker' || typeof comparator['command'] === 'string')
  );
}
