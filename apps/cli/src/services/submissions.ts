import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RunView } from '@aperture/core';
import type { ApiClient, AssignmentInfo, SubmissionRequest } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { formatScore, type Output, table } from '../output.ts';
import { readSourceFiles } from './files.ts';

export interface SubmitOptions {
  language: string;
  main?: string | undefined;
  zip?: string | undefined;
  keepPaths?: boolean | undefined;
}

/** JSON when there are only files; multipart when a zip comes along (the server unpacks it). */
export async function buildSubmission(
  paths: readonly string[],
  options: SubmitOptions,
): Promise<SubmissionRequest | FormData> {
  if (paths.length === 0 && !options.zip) throw new CliError('give at least one file, or --zip ARCHIVE');
  const files = await readSourceFiles(paths, { keepPaths: options.keepPaths });
  if (!options.zip) {
    return { language: options.language, files, ...(options.main ? { mainFile: options.main } : {}) };
  }
  const form = new FormData();
  form.set('language', options.language);
  if (options.main) form.set('mainFile', options.main);
  for (const file of files) {
    const bytes =
      file.content !== undefined
        ? Buffer.from(file.content)
        : Buffer.from(file.contentBase64 ?? '', 'base64');
    form.append('files', new Blob([bytes]), file.path);
  }
  const archive = await readFile(options.zip).catch(() => {
    throw new CliError(`cannot read ${options.zip}`);
  });
  form.append('archive', new Blob([archive], { type: 'application/zip' }), basename(options.zip));
  return form;
}

export function printSubmissions(runs: RunView[], out: Output): void {
  out.result(runs, (list) =>
    table(
      list,
      [
        { header: 'id', value: (r) => r.id },
        { header: 'user', value: (r) => r.userId },
        { header: 'status', value: (r) => r.status },
        { header: 'verdict', value: (r) => r.verdict },
        { header: 'score', value: (r) => formatScore(r.score, r.maxScore) },
        { header: 'language', value: (r) => r.language },
        { header: 'created', value: (r) => r.createdAt },
      ],
      'No submissions.',
    ),
  );
}

/** `--user` takes an id (usr_…) or a username, looked up in the assignment's course roster. */
export async function resolveUserId(
  client: ApiClient,
  assignment: AssignmentInfo,
  user: string,
): Promise<string> {
  if (user.startsWith('usr_')) return user;
  const roster = await client.listEnrollments(assignment.courseId);
  const found = roster.find((e) => e.username === user);
  if (!found) throw new CliError(`${user} is not enrolled in the course of ${assignment.slug}`);
  return found.userId;
}
