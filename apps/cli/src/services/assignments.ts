import { readdir } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { assignmentSchema, type SourceFileBody } from '@aperture/api-contract';
import type { ApiClient, AssignmentInfo, AssignmentRequest } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { type Output, table } from '../output.ts';
import { readLocal, toSourceFile } from './files.ts';

type Json = Record<string, unknown>;

/**
 * An assignment file is the body of POST /courses/{c}/assignments, in JSON or YAML, plus
 * conveniences resolved here, relative to the file: a test's `stdinFile` / `expectedOutputFile`,
 * and `autograderDir` (a Gradescope autograder folder) instead of inline `autograder.files`.
 */
export async function loadAssignmentFile(path: string): Promise<AssignmentRequest> {
  const raw = await parseDocument(path, (await readLocal(path)).toString('utf8'));
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new CliError(`${path}: expected an object with slug, title, languages, tests…`);
  const body = await resolveConveniences(raw as Json, dirname(resolve(path)));
  const parsed = assignmentSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new CliError(`${path} is not a valid assignment: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export async function parseDocument(path: string, text: string): Promise<unknown> {
  const yamlLike = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  if (!yamlLike) {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (extname(path).toLowerCase() === '.json')
        throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`);
    }
  }
  // `yaml` ships with the server's dependencies (swagger); loaded only when a YAML file comes.
  const yaml = await import('yaml').catch(() => undefined);
  if (!yaml) throw new CliError(`${path}: YAML needs the "yaml" package; give the file as JSON`);
  try {
    return yaml.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid YAML: ${(error as Error).message}`);
  }
}

export async function resolveConveniences(body: Json, baseDir: string): Promise<Json> {
  const result: Json = { ...body };
  if (Array.isArray(body['tests'])) {
    result['tests'] = await Promise.all(body['tests'].map((test) => resolveTest(test as Json, baseDir)));
  }
  if (typeof body['autograderDir'] === 'string') {
    if (body['autograder']) throw new CliError('give autograder or autograderDir, not both');
    const { autograderDir, ...rest } = result;
    return { ...rest, autograder: { files: await readTree(resolve(baseDir, autograderDir as string)) } };
  }
  return result;
}

async function resolveTest(test: Json, baseDir: string): Promise<Json> {
  const { stdinFile, expectedOutputFile, ...rest } = test;
  const read = async (file: unknown) => (await readLocal(resolve(baseDir, String(file)))).toString('utf8');
  return {
    ...rest,
    ...(stdinFile !== undefined ? { stdin: await read(stdinFile) } : {}),
    ...(expectedOutputFile !== undefined ? { expectedOutput: await read(expectedOutputFile) } : {}),
  };
}

/** Every file under `dir`, with paths relative to it (forward slashes). */
export async function readTree(dir: string, prefix = ''): Promise<SourceFileBody[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new CliError(`autograderDir ${dir} is not a readable directory`);
  }
  const files: SourceFileBody[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const remote = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await readTree(join(dir, entry.name), remote)));
    else if (entry.isFile()) files.push(toSourceFile(remote, await readLocal(join(dir, entry.name))));
  }
  return files;
}

/** An assignment id, or COURSE/slug. */
export function parseAssignmentRef(ref: string): { id: string } | { course: string; slug: string } {
  const slash = ref.lastIndexOf('/');
  if (slash === -1) return { id: ref };
  const course = ref.slice(0, slash);
  const slug = ref.slice(slash + 1);
  if (!course || !slug) throw new CliError(`"${ref}" is neither an assignment id nor COURSE/slug`);
  return { course, slug };
}

export function resolveAssignment(client: ApiClient, ref: string): Promise<AssignmentInfo> {
  const parsed = parseAssignmentRef(ref);
  return 'id' in parsed
    ? client.getAssignment(parsed.id)
    : client.getAssignmentBySlug(parsed.course, parsed.slug);
}

export function printAssignments(assignments: AssignmentInfo[], out: Output): void {
  out.result(assignments, (list) =>
    table(
      list,
      [
        { header: 'slug', value: (a) => a.slug },
        { header: 'title', value: (a) => a.title },
        { header: 'languages', value: (a) => a.languages.join(',') },
        { header: 'tests', value: (a) => a.tests.length },
        { header: 'deadline', value: (a) => a.deadline ?? 'none' },
        { header: 'id', value: (a) => a.id },
      ],
      'No assignments yet.',
    ),
  );
}

export function printAssignment(assignment: AssignmentInfo, out: Output): void {
  out.result(assignment, (a) =>
    [
      `${a.title} (${a.slug}, ${a.id})`,
      `languages: ${a.languages.join(', ')}`,
      `deadline:  ${a.deadline ?? 'none'}`,
      `tests:     ${a.tests.map((t) => `${t.name} (${t.points})`).join(', ') || 'none visible'}`,
      '',
      a.statement,
    ].join('\n'),
  );
}
