import {
  Alert,
  Button,
  Checkbox,
  FileButton,
  Grid,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import type { Language } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Markdown } from '../components/Markdown.tsx';
import { unzipAutograder } from '../utils/files.ts';
import { type AssignmentDraft, emptyTest, slugify, type TestDraft } from './assignment-form-model.ts';

export interface AssignmentFormProps {
  initial: AssignmentDraft;
  languages: Language[];
  isNew: boolean;
  saving: boolean;
  error: unknown;
  onSave: (draft: AssignmentDraft) => void;
  onCancel: () => void;
}

const num = (value: string | number): number | '' => (value === '' ? '' : Number(value));

/** Everything an assignment has: statement (with preview), languages, limits, tests, autograder. */
export function AssignmentForm({
  initial,
  languages,
  isNew,
  saving,
  error,
  onSave,
  onCancel,
}: AssignmentFormProps) {
  const [draft, setDraft] = useState(initial);
  const [zipError, setZipError] = useState<string | null>(null);
  const set = <K extends keyof AssignmentDraft>(key: K, value: AssignmentDraft[K]) =>
    setDraft((d) => ({ ...d, [key]: value }));
  const setTest = (key: string, patch: Partial<TestDraft>) =>
    setDraft((d) => ({ ...d, tests: d.tests.map((t) => (t.key === key ? { ...t, ...patch } : t)) }));

  const onZip = async (file: File | null) => {
    if (!file) return;
    try {
      const files = unzipAutograder(new Uint8Array(await file.arrayBuffer()));
      if (!files.some((f) => f.path === 'run_autograder'))
        throw new Error('The zip has no run_autograder at its top (Gradescope format).');
      set('autograder', files);
      setZipError(null);
    } catch (err) {
      setZipError((err as Error).message);
    }
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onSave(draft);
      }}
    >
      <Stack gap="lg">
        <Paper withBorder p="md">
          <Stack>
            <Grid>
              <Grid.Col span={{ base: 12, sm: 7 }}>
                <TextInput
                  label="Title"
                  required
                  value={draft.title}
                  onChange={(e) => {
                    const title = e.currentTarget.value;
                    setDraft((d) => ({
                      ...d,
                      title,
                      slug: isNew && (d.slug === '' || d.slug === slugify(d.title)) ? slugify(title) : d.slug,
                    }));
                  }}
                />
              </Grid.Col>
              <Grid.Col span={{ base: 12, sm: 5 }}>
                <TextInput
                  label="URL name (slug)"
                  description="Lowercase letters, digits and dashes"
                  required
                  value={draft.slug}
                  onChange={(e) => set('slug', e.currentTarget.value)}
                />
              </Grid.Col>
            </Grid>
            <Tabs defaultValue="write">
              <Tabs.List>
                <Tabs.Tab value="write">Statement</Tabs.Tab>
                <Tabs.Tab value="preview">Preview</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="write" pt="xs">
                <Textarea
                  label="Statement (Markdown)"
                  autosize
                  minRows={6}
                  maxRows={24}
                  value={draft.statement}
                  onChange={(e) => set('statement', e.currentTarget.value)}
                  styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                />
              </Tabs.Panel>
              <Tabs.Panel value="preview" pt="xs">
                <Paper withBorder p="md" mih={120}>
                  {draft.statement.trim() ? (
                    <Markdown source={draft.statement} />
                  ) : (
                    <Text c="dimmed">Nothing to preview.</Text>
                  )}
                </Paper>
              </Tabs.Panel>
            </Tabs>
            <Checkbox.Group
              label="Languages students may use"
              value={draft.languages}
              onChange={(value) => set('languages', value)}
              required
            >
              <Group mt="xs">
                {languages.map((l) => (
                  <Checkbox key={l.id} value={l.id} label={l.name} />
                ))}
              </Group>
            </Checkbox.Group>
          </Stack>
        </Paper>

        <Paper withBorder p="md">
          <Title order={4} mb="sm">
            Limits and rules
          </Title>
          <Grid>
            <Grid.Col span={{ base: 6, sm: 4 }}>
              <NumberInput
                label="CPU time per test (ms)"
                min={1}
                value={draft.cpuMs}
                onChange={(v) => set('cpuMs', num(v))}
                placeholder="server default"
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 4 }}>
              <NumberInput
                label="Wall time per test (ms)"
                min={1}
                value={draft.wallMs}
                onChange={(v) => set('wallMs', num(v))}
                placeholder="server default"
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 4 }}>
              <NumberInput
                label="Memory (MiB)"
                min={1}
                value={draft.memoryMb}
                onChange={(v) => set('memoryMb', num(v))}
                placeholder="server default"
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, sm: 4 }}>
              <TextInput
                type="datetime-local"
                label="Deadline (your time zone)"
                value={draft.deadline}
                onChange={(e) => set('deadline', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 4 }}>
              <NumberInput
                label="Submissions allowed"
                min={1}
                value={draft.limitCount}
                onChange={(v) => set('limitCount', num(v))}
                placeholder="unlimited"
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 4 }}>
              <NumberInput
                label="…per hours"
                min={1}
                value={draft.limitHours}
                onChange={(v) => set('limitHours', num(v))}
                placeholder="e.g. 24"
              />
            </Grid.Col>
          </Grid>
        </Paper>

        <Paper withBorder p="md">
          <Group justify="space-between" mb="sm">
            <Title order={4}>Tests</Title>
            <Text size="sm" c="dimmed">
              Total {draft.tests.reduce((s, t) => s + t.points, 0)} points
            </Text>
          </Group>
          <Stack>
            {draft.tests.map((test, index) => (
              <TestEditor
                key={test.key}
                test={test}
                index={index}
                onChange={(patch) => setTest(test.key, patch)}
                onRemove={() => setDraft((d) => ({ ...d, tests: d.tests.filter((t) => t.key !== test.key) }))}
              />
            ))}
            <Group>
              <Button
                variant="light"
                onClick={() =>
                  setDraft((d) => ({ ...d, tests: [...d.tests, emptyTest(d.tests.length + 1)] }))
                }
              >
                Add a test
              </Button>
            </Group>
          </Stack>
        </Paper>

        <Paper withBorder p="md">
          <Title order={4} mb="xs">
            Autograder (optional)
          </Title>
          <Text size="sm" c="dimmed" mb="sm">
            A Gradescope-format zip with <code>run_autograder</code> at its top. When set, it grades instead
            of the tests above.
          </Text>
          <Group>
            <FileButton onChange={onZip} accept=".zip,application/zip">
              {(props) => (
                <Button variant="default" {...props}>
                  Upload autograder zip
                </Button>
              )}
            </FileButton>
            {draft.autograder ? (
              <>
                <Text size="sm" data-testid="autograder-files">
                  {draft.autograder.length} files
                </Text>
                <Button variant="subtle" color="red" onClick={() => set('autograder', null)}>
                  Remove autograder
                </Button>
              </>
            ) : null}
          </Group>
          {zipError ? (
            <Alert color="red" mt="sm" role="alert">
              {zipError}
            </Alert>
          ) : null}
        </Paper>

        <ErrorAlert error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={saving}>
            {isNew ? 'Create assignment' : 'Save changes'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function TestEditor({
  test,
  index,
  onChange,
  onRemove,
}: {
  test: TestDraft;
  index: number;
  onChange: (patch: Partial<TestDraft>) => void;
  onRemove: () => void;
}) {
  const mono = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };
  return (
    <Paper withBorder p="sm" bg="var(--mantine-color-default-hover)" data-testid="test-editor">
      <Grid>
        <Grid.Col span={{ base: 12, sm: 4 }}>
          <TextInput
            label={`Test ${index + 1} name`}
            required
            value={test.name}
            onChange={(e) => onChange({ name: e.currentTarget.value })}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 4, sm: 2 }}>
          <NumberInput
            label="Points"
            min={0}
            value={test.points}
            onChange={(v) => onChange({ points: Number(v) || 0 })}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 8, sm: 3 }}>
          <Select
            label="Visibility"
            allowDeselect={false}
            value={test.visibility}
            onChange={(v) => v && onChange({ visibility: v as TestDraft['visibility'] })}
            data={[
              { value: 'visible', label: 'Visible' },
              { value: 'hidden', label: 'Hidden' },
              { value: 'after_due_date', label: 'After the deadline' },
            ]}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 3 }}>
          <Select
            label="Compare output"
            allowDeselect={false}
            value={test.comparator}
            onChange={(v) => v && onChange({ comparator: v as TestDraft['comparator'] })}
            data={[
              { value: 'whitespace', label: 'Ignore whitespace' },
              { value: 'exact', label: 'Exactly' },
            ]}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Textarea
            label={`Test ${index + 1} input`}
            autosize
            minRows={2}
            styles={mono}
            value={test.stdin}
            onChange={(e) => onChange({ stdin: e.currentTarget.value })}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Textarea
            label={`Test ${index + 1} expected output`}
            autosize
            minRows={2}
            styles={mono}
            value={test.expectedOutput}
            onChange={(e) => onChange({ expectedOutput: e.currentTarget.value })}
          />
        </Grid.Col>
      </Grid>
      <Group justify="flex-end" mt="xs">
        <Button variant="subtle" color="red" size="xs" onClick={onRemove}>
          Remove test {index + 1}
        </Button>
      </Group>
    </Paper>
  );
}
