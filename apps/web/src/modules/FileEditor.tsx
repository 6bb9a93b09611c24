import { ActionIcon, Button, Group, Modal, Stack, Tabs, Text, TextInput, Tooltip } from '@mantine/core';
import { useState } from 'react';
import type { EditorFile } from '../utils/files.ts';
import { CodeEditor } from './CodeEditor.tsx';

export interface FileEditorProps {
  files: EditorFile[];
  onChange: (files: EditorFile[]) => void;
  readOnly?: boolean;
}

type Dialog = { mode: 'add' } | { mode: 'rename'; path: string } | null;

/** Several files in tabs: edit, add, rename, delete. Paths are relative (a/b.py). */
export function FileEditor({ files, onChange, readOnly = false }: FileEditorProps) {
  const [active, setActive] = useState<string | null>(files[0]?.path ?? null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const current = files.find((f) => f.path === active) ?? files[0];

  const update = (path: string, content: string) =>
    onChange(files.map((f) => (f.path === path ? { ...f, content } : f)));
  const remove = (path: string) => {
    const rest = files.filter((f) => f.path !== path);
    onChange(rest);
    setActive(rest[0]?.path ?? null);
  };
  const submitName = (name: string) => {
    if (dialog?.mode === 'add') onChange([...files, { path: name, content: '' }]);
    else if (dialog?.mode === 'rename')
      onChange(files.map((f) => (f.path === dialog.path ? { ...f, path: name } : f)));
    setActive(name);
    setDialog(null);
  };

  return (
    <Stack gap="xs">
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Tabs value={current?.path ?? null} onChange={setActive} style={{ flex: 1, minWidth: 0 }}>
          <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto' }}>
            {files.map((f) => (
              <Tabs.Tab key={f.path} value={f.path} ff="monospace">
                {f.path}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </Tabs>
        {readOnly ? null : (
          <Group gap={4} wrap="nowrap">
            <Tooltip label="Add a file">
              <ActionIcon
                variant="default"
                aria-label="Add a file"
                onClick={() => setDialog({ mode: 'add' })}
              >
                +
              </ActionIcon>
            </Tooltip>
            {current ? (
              <>
                <Tooltip label="Rename this file">
                  <ActionIcon
                    variant="default"
                    aria-label={`Rename ${current.path}`}
                    onClick={() => setDialog({ mode: 'rename', path: current.path })}
                  >
                    ✎
                  </ActionIcon>
                </Tooltip>
                <Tooltip label="Delete this file">
                  <ActionIcon
                    variant="default"
                    color="red"
                    aria-label={`Delete ${current.path}`}
                    disabled={files.length <= 1}
                    onClick={() => remove(current.path)}
                  >
                    ✕
                  </ActionIcon>
                </Tooltip>
              </>
            ) : null}
          </Group>
        )}
      </Group>
      {current ? (
        <CodeEditor
          key={current.path}
          path={current.path}
          value={current.content}
          readOnly={readOnly}
          label={`Code editor: ${current.path}`}
          onChange={(content) => update(current.path, content)}
        />
      ) : (
        <Text c="dimmed">No files.</Text>
      )}
      <FileNameDialog
        dialog={dialog}
        existing={files.map((f) => f.path)}
        onClose={() => setDialog(null)}
        onSubmit={submitName}
      />
    </Stack>
  );
}

export function validateFileName(name: string, existing: string[], current?: string): string | null {
  const path = name.trim();
  if (path === '') return 'Give the file a name.';
  if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === ''))
    return 'Use a relative path such as src/util.py.';
  if (path !== current && existing.includes(path)) return 'A file with that name exists.';
  return null;
}

function FileNameDialog({
  dialog,
  existing,
  onClose,
  onSubmit,
}: {
  dialog: Dialog;
  existing: string[];
  onClose: () => void;
  onSubmit: (name: string) => void;
}) {
  const current = dialog?.mode === 'rename' ? dialog.path : undefined;
  return (
    <Modal
      opened={dialog !== null}
      onClose={onClose}
      title={dialog?.mode === 'rename' ? `Rename ${dialog.path}` : 'New file'}
    >
      <FileNameForm
        key={current ?? 'new'}
        initial={current ?? ''}
        existing={existing}
        onCancel={onClose}
        onSubmit={onSubmit}
        action={current ? 'Rename' : 'Add'}
      />
    </Modal>
  );
}

function FileNameForm(props: {
  initial: string;
  existing: string[];
  action: string;
  onCancel: () => void;
  onSubmit: (name: string) => void;
}) {
  const [name, setName] = useState(props.initial);
  const current = props.initial === '' ? undefined : props.initial;
  const error = name === '' ? null : validateFileName(name, props.existing, current);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (validateFileName(name, props.existing, current) === null) props.onSubmit(name.trim());
      }}
    >
      <Stack>
        <TextInput
          label="File name"
          placeholder="util.py"
          data-autofocus
          value={name}
          error={error}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            Cancel
          </Button>
          <Button type="submit">{props.action}</Button>
        </Group>
      </Stack>
    </form>
  );
}
