import { ValidationError } from '../errors.ts';

/** One source file of a run. Content is base64 so binary files survive JSON. */
export interface SourceFile {
  path: string;
  contentBase64: string;
}

export const MAX_FILES = 100;
export const MAX_TOTAL_FILE_BYTES = 2 * 1024 * 1024;
const MAX_PATH_LENGTH = 200;
const SEGMENT = /^[A-Za-z0-9._+@=-][A-Za-z0-9 ._+@=-]*$/;

/**
 * A file path a student may name: relative, forward slashes, no `..`, no hidden tricks.
 * Returns the normalised path or throws a ValidationError naming the path.
 */
export function safeRelativePath(path: string): string {
  const fail = (why: string): never => {
    throw new ValidationError(`File name "${path.slice(0, MAX_PATH_LENGTH)}" is not allowed: ${why}.`, {
      path,
    });
  };
  if (path.length === 0) fail('it is empty');
  if (path.length > MAX_PATH_LENGTH) fail(`it is longer than ${MAX_PATH_LENGTH} characters`);
  if (path.includes('\\')) fail('use forward slashes');
  if (path.includes('\0')) fail('it contains a NUL byte');
  if (path.startsWith('/')) fail('it must be relative');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) fail('it names no file');
  for (const segment of segments) {
    if (segment === '..') fail('it climbs out of the submission with ".."');
    if (!SEGMENT.test(segment)) fail(`"${segment}" has characters outside letters, digits, space and ._+@=-`);
  }
  return segments.join('/');
}

export function decodedSize(file: SourceFile): number {
  const b64 = file.contentBase64.replace(/\s/g, '');
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - padding;
}

/** Validate a whole file set: safe unique paths, count and total size within bounds. */
export function validateFiles(
  files: ReadonlyArray<SourceFile>,
  maxTotalBytes = MAX_TOTAL_FILE_BYTES,
): SourceFile[] {
  if (files.length === 0) throw new ValidationError('At least one file is required.');
  if (files.length > MAX_FILES)
    throw new ValidationError(`At most ${MAX_FILES} files are allowed, got ${files.length}.`);
  const seen = new Set<string>();
  let total = 0;
  const result: SourceFile[] = [];
  for (const file of files) {
    const path = safeRelativePath(file.path);
    if (seen.has(path)) throw new ValidationError(`File "${path}" appears twice.`, { path });
    if (!/^[A-Za-z0-9+/=\s]*$/.test(file.contentBase64)) {
      throw new ValidationError(`File "${path}" is not valid base64.`, { path });
    }
    seen.add(path);
    total += decodedSize(file);
    result.push({ path, contentBase64: file.contentBase64 });
  }
  if (total > maxTotalBytes) {
    throw new ValidationError(`Files total ${total} bytes; the limit is ${maxTotalBytes}.`, {
      total,
      maxTotalBytes,
    });
  }
  return result;
}
