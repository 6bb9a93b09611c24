import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, relative, sep } from 'node:path';
import type { SourceFileBody } from '@aperture/api-contract';
import { CliError } from '../errors.ts';

/** Text goes as `content` (readable in logs and the API), anything else as base64. */
export function toSourceFile(path: string, bytes: Buffer): SourceFileBody {
  const text = decodeText(bytes);
  return text === undefined ? { path, contentBase64: bytes.toString('base64') } : { path, content: text };
}

export function decodeText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The path the server sees: the base name, or with keepPaths the path relative to `cwd`. */
export function remotePath(localPath: string, keepPaths: boolean, cwd = process.cwd()): string {
  if (!keepPaths) return basename(localPath);
  const rel = relative(cwd, localPath);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new CliError(`--keep-paths: ${localPath} is outside the current directory`);
  return rel.split(sep).join('/');
}

export async function readSourceFiles(
  paths: readonly string[],
  options: { keepPaths?: boolean | undefined; cwd?: string } = {},
): Promise<SourceFileBody[]> {
  const files: SourceFileBody[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    const remote = remotePath(path, options.keepPaths === true, options.cwd);
    const previous = seen.get(remote);
    if (previous)
      throw new CliError(`${previous} and ${path} would both be sent as "${remote}"`, 2, 'use --keep-paths');
    seen.set(remote, path);
    files.push(toSourceFile(remote, await readLocal(path)));
  }
  return files;
}

export async function readLocal(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`no such file: ${path}`);
    if (code === 'EISDIR') throw new CliError(`${path} is a directory; pass the files in it`);
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** A file argument, or `-` for standard input. */
export async function readTextArg(path: string): Promise<string> {
  if (path !== '-') return (await readLocal(path)).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
