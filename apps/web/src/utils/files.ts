import { strFromU8, unzipSync } from 'fflate';
import type { SourceFileBody } from '../api/types.ts';

export interface EditorFile {
  path: string;
  content: string;
}

export const toSourceFiles = (files: EditorFile[]): SourceFileBody[] =>
  files.map((f) => ({ path: f.path, content: f.content }));

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk)
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/**
 * The files of a Gradescope-format autograder zip, base64. A zip made by zipping the folder
 * (one top folder holding run_autograder) is unwrapped, as Gradescope does.
 */
export function unzipAutograder(zip: Uint8Array): SourceFileBody[] {
  const entries = Object.entries(unzipSync(zip)).filter(
    ([path]) => !path.endsWith('/') && !path.startsWith('__MACOSX/'),
  );
  const prefix = commonTopFolder(entries.map(([path]) => path));
  return entries.map(([path, data]) => ({
    path: path.slice(prefix.length),
    contentBase64: bytesToBase64(data),
  }));
}

function commonTopFolder(paths: string[]): string {
  if (paths.some((p) => p === 'run_autograder')) return '';
  const first = paths[0]?.split('/')[0];
  if (!first || paths.some((p) => !p.startsWith(`${first}/`))) return '';
  return `${first}/`;
}

export const decodeText = (bytes: Uint8Array) => strFromU8(bytes);

/** The extension of a path, lower case, without the dot. */
export const extensionOf = (path: string) => {
  const dot = path.lastIndexOf('.');
  return dot <= path.lastIndexOf('/') ? '' : path.slice(dot + 1).toLowerCase();
};

export const STARTERS: Record<string, string> = {
  python: '',
  c: '#include <stdio.h>\n\nint main(void) {\n    \n    return 0;\n}\n',
  cpp: '#include <iostream>\n\nint main() {\n    \n    return 0;\n}\n',
  java: 'public class Main {\n    public static void main(String[] args) {\n        \n    }\n}\n',
  javascript: '',
  bash: '#!/usr/bin/env bash\n',
};
