import {
  chmodSync,
  copyFileSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

/**
 * Run `work` with the support files (checkers, reference data) in a fresh directory, removed after.
 * They exist only while no student process is alive: every execution ends by killing whatever the
 * student's program left running. The directory is new and randomly named (mkdtemp, mode 0700)
 * because the student runs as the same uid and may have prepared any fixed path in advance — a
 * symlink to somewhere readable, or a `usercustomize.py` under a fixed HOME.
 */
export async function withSupportFiles<T>(
  parent: string,
  files: readonly SourceFile[],
  work: (dir: string) => Promise<T>,
): Promise<T> {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'aperture-support-'));
  try {
    writeFiles(dir, files, 0o755);
    return await work(dir);
  } finally {
    removeTree(dir);
  }
}

function removeTree(root: string): void {
  try {
    makeWritable(root);
  } catch {
    // Already gone.
  }
  rmSync(root, { recursive: true, force: true });
}

/** A checker may have made its files read-only; the owner can always make them writable again. */
function makeWritable(root: string): void {
  chmodSync(root, 0o755);
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) makeWritable(path);
    else chmodSync(path, 0o644);
  }
}

export function copyExecutable(from: string, to: string): void {
  copyFileSync(from, to);
  chmodSync(to, 0o755);
}

/** chown -R: hand a tree the harness (root, isolated mode) wrote to the programs' uid. */
export function giveTree(root: string, uid: number, gid: number): void {
  lchownSync(root, uid, gid);
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) giveTree(path, uid, gid);
    else lchownSync(path, uid, gid);
  }
}

/** Remove everything below `dir`, keeping `dir` itself (a tmpfs mount point). */
export function emptyDirectory(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
}
