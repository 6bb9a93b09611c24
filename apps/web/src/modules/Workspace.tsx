import { Button, Grid, Group, Paper, Select, Stack, Text, Textarea, Title } from '@mantine/core';
import { useLocalStorage } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSubmit } from '../api/queries/assignments.ts';
import { languagesQuery, useCreateRun, useLiveRun } from '../api/queries/runs.ts';
import type { AnyAssignment, Language } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { type EditorFile, STARTERS, toSourceFiles } from '../utils/files.ts';
import { describePeriod, type Quota } from '../utils/submissions.ts';
import { type Draft, draftKey } from './drafts.ts';
import { FileEditor } from './FileEditor.tsx';
import { RunResult } from './RunResult.tsx';

const starterFiles = (language: Language | undefined): EditorFile[] => [
  { path: language?.defaultMainFile ?? 'main.py', content: STARTERS[language?.id ?? ''] ?? '' },
];

/** Write code, try it with your own input, submit it; the latest run's result updates live. */
export function Workspace({
  assignment,
  quota,
  closed,
}: {
  assignment: AnyAssignment;
  quota: Quota | null;
  closed: boolean;
}) {
  const languages = useQuery(languagesQuery());
  const allowed = (languages.data ?? []).filter((l) => assignment.languages.includes(l.id));
  const [draft, setDraft] = useLocalStorage<Draft | null>({
    key: draftKey(assignment.id),
    defaultValue: null,
    getInitialValueInEffect: false,
  });
  const language = draft?.language ?? assignment.languages[0] ?? 'python';
  const files = draft?.files ?? starterFiles(allowed.find((l) => l.id === language));
  const [stdin, setStdin] = useState('');
  const [runId, setRunId] = useState<string>();
  const live = useLiveRun(runId);
  const adhoc = useCreateRun();
  const submit = useSubmit(assignment.id);

  const chooseLanguage = (id: string | null) => {
    if (!id) return;
    const untouched =
      !draft ||
      draft.files.every((f) => f.content.trim() === '' || Object.values(STARTERS).includes(f.content));
    setDraft({ language: id, files: untouched ? starterFiles(allowed.find((l) => l.id === id)) : files });
  };
  const onRun = () =>
    adhoc.mutate({ language, files: toSourceFiles(files), stdin }, { onSuccess: (run) => setRunId(run.id) });
  const onSubmit = () =>
    submit.mutate({ language, files: toSourceFiles(files) }, { onSuccess: (run) => setRunId(run.id) });
  const outOfQuota = quota !== null && quota.remaining === 0;

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Select
          label="Language"
          data={allowed.map((l) => ({ value: l.id, label: `${l.name} (${l.version})` }))}
          value={language}
          onChange={chooseLanguage}
          allowDeselect={false}
          w={240}
        />
        {quota ? (
          <Text size="sm" c={outOfQuota ? 'red' : 'dimmed'} data-testid="quota">
            {quota.remaining} of {quota.limit} submissions left this {describePeriod(quota.periodSeconds)}
          </Text>
        ) : null}
      </Group>
      <FileEditor files={files} onChange={(next) => setDraft({ language, files: next })} />
      <Grid align="flex-end">
        <Grid.Col span={{ base: 12, sm: 8 }}>
          <Textarea
            label="Custom input (stdin) for Run"
            autosize
            minRows={2}
            maxRows={8}
            value={stdin}
            onChange={(e) => setStdin(e.currentTarget.value)}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 4 }}>
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onRun} loading={adhoc.isPending}>
              Run
            </Button>
            <Button onClick={onSubmit} loading={submit.isPending} disabled={closed || outOfQuota}>
              Submit
            </Button>
          </Group>
        </Grid.Col>
      </Grid>
      <ErrorAlert error={adhoc.error ?? submit.error} />
      {live.data ? (
        <Paper withBorder p="md">
          <Title order={4} mb="xs">
            {live.data.kind === 'submission' ? 'Submission result' : 'Run output'}
          </Title>
          <RunResult run={live.data} />
        </Paper>
      ) : null}
      {live.error ? <ErrorAlert error={live.error} /> : null}
    </Stack>
  );
}
