import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type SourceFile, safeRelativePath } from '@aperture/core';

/**
 * Write files below `root`. Every path is validated again here (the API validated it already):
 * defence in depth against a path that climbs out of the directory.
 */
export function writeFiles(root: string, files: readonly SourceFile[], mode: number): void {
  mkdirSync(root, { recursive: true });
  for (const file of files) {
    const path = join(root, safeRelativePath(file.path));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(file.contentBase64, 'base64'), { mode });
    chmodSync(path, mode); // the umask may have taken bits away
  }
}

/** Files r-x, directories r-x: support files are read-only for the student's program by convention. */
export function makeReadOnly(root: string): void {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) makeReadOnly(path);
    chmodSync(path, 0o555);
  }
  chmodSync(root, 0o555);
}

export function copyExecutable(from: string, to: string): void {
  copyFileSync(from, to);
  chmodSync(to, 0o755);
}
