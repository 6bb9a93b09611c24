import { cpp } from '@codemirror/lang-cpp';
import { java } from '@codemirror/lang-java';
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import { StreamLanguage } from '@codemirror/language';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import type { Extension } from '@codemirror/state';
import { useComputedColorScheme } from '@mantine/core';
import CodeMirror from '@uiw/react-codemirror';
import { useMemo } from 'react';
import { extensionOf } from '../utils/files.ts';

const BY_EXTENSION: Record<string, () => Extension> = {
  py: python,
  c: cpp,
  h: cpp,
  cc: cpp,
  cpp: cpp,
  cxx: cpp,
  hpp: cpp,
  java: java,
  js: javascript,
  mjs: javascript,
  cjs: javascript,
  ts: () => javascript({ typescript: true }),
  sh: () => StreamLanguage.define(shell),
  bash: () => StreamLanguage.define(shell),
};

export const languageFor = (path: string): Extension[] => {
  const make = BY_EXTENSION[extensionOf(path)];
  return make ? [make()] : [];
};

export interface CodeEditorProps {
  path: string;
  value: string;
  onChange?: (value: string) => void;
  readOnly?: boolean;
  height?: string;
  label: string;
}

/** CodeMirror 6, highlighted by the file's extension. */
export function CodeEditor({
  path,
  value,
  onChange,
  readOnly = false,
  height = '22rem',
  label,
}: CodeEditorProps) {
  const scheme = useComputedColorScheme('light');
  const extensions = useMemo(() => languageFor(path), [path]);
  return (
    <CodeMirror
      value={value}
      height={height}
      theme={scheme}
      extensions={extensions}
      readOnly={readOnly}
      editable={!readOnly}
      aria-label={label}
      basicSetup={{ tabSize: 4 }}
      {...(onChange ? { onChange } : {})}
    />
  );
}
