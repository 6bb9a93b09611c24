import {
  Alert,
  Button,
  Group,
  List,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { labTypesQuery, useCreateLab, useValidateLab } from '../api/queries/labs.ts';
import type { LabDetail, LabTemplateProblem } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { labProblemsOf, problemsByField } from '../utils/labs.ts';

const EXAMPLE = `apiVersion: aperture.dev/v1alpha1
kind: LabTemplate
metadata:
  name: my-lab
spec:
  resources: { cpu: "1", memory: 1Gi, storage: 1Gi }
  components:
    - name: shell
      image: aperture/lab-shell
      terminal: true
`;

/** "New lab": a built-in type with a budget, or a pasted template (checked field by field). */
export function NewLabForm({
  course,
  onCreated,
}: {
  course: string;
  onCreated: (detail: LabDetail) => void;
}) {
  const [mode, setMode] = useState<'type' | 'yaml'>('type');
  const [type, setType] = useState<string | null>('webserver');
  const [budget, setBudget] = useState({ cpu: '1', memory: '1Gi', storage: '1Gi', name: '' });
  const [text, setText] = useState(EXAMPLE);
  const types = useQuery(labTypesQuery());
  const create = useCreateLab(course);
  const validate = useValidateLab();
  const problems: LabTemplateProblem[] =
    validate.data && !validate.data.valid ? validate.data.errors : labProblemsOf(create.error);
  const byField = problemsByField(problems);
  const fieldError = (field: 'cpu' | 'memory' | 'storage') =>
    (byField.get(`spec.resources.${field}`) ?? byField.get(field))?.join('; ');

  const submit = () => {
    validate.reset();
    const onSuccess = (detail: LabDetail) => onCreated(detail);
    if (mode === 'yaml') create.mutate({ text }, { onSuccess });
    else if (type)
      create.mutate(
        {
          type,
          cpu: budget.cpu,
          memory: budget.memory,
          storage: budget.storage,
          ...(budget.name ? { name: budget.name } : {}),
        },
        { onSuccess },
      );
  };
  const set = (key: keyof typeof budget) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setBudget({ ...budget, [key]: e.currentTarget.value });

  return (
    <Paper withBorder p="md">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Stack gap="sm">
          <Title order={4}>New lab</Title>
          <SegmentedControl
            value={mode}
            onChange={(value) => setMode(value as 'type' | 'yaml')}
            data={[
              { value: 'type', label: 'Built-in type' },
              { value: 'yaml', label: 'Paste YAML' },
            ]}
            w="fit-content"
          />
          {mode === 'type' ? (
            <>
              <Select
                label="Type"
                value={type}
                onChange={setType}
                data={(types.data ?? []).map((t) => ({
                  value: t.type,
                  label: `${t.type} — ${t.description}`,
                }))}
                allowDeselect={false}
              />
              <SimpleGrid cols={{ base: 1, sm: 4 }}>
                <TextInput label="CPU" value={budget.cpu} onChange={set('cpu')} error={fieldError('cpu')} />
                <TextInput
                  label="Memory"
                  value={budget.memory}
                  onChange={set('memory')}
                  error={fieldError('memory')}
                />
                <TextInput
                  label="Storage"
                  value={budget.storage}
                  onChange={set('storage')}
                  error={fieldError('storage')}
                />
                <TextInput
                  label="Name (optional)"
                  value={budget.name}
                  onChange={set('name')}
                  placeholder={type ?? ''}
                />
              </SimpleGrid>
            </>
          ) : (
            <Textarea
              label="Lab template (YAML or JSON)"
              autosize
              minRows={10}
              maxRows={30}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
          )}
          {problems.length > 0 ? (
            <Alert color="red" variant="light" title="The template has problems" role="alert">
              <List size="sm" data-testid="lab-problems">
                {problems.map((p) => (
                  <List.Item key={`${p.path}:${p.message}`}>
                    <code>{p.path || '(template)'}</code>: {p.message}
                  </List.Item>
                ))}
              </List>
            </Alert>
          ) : (
            <ErrorAlert error={create.error} />
          )}
          {validate.data?.valid ? (
            <Text size="sm" c="teal">
              The template is valid.
            </Text>
          ) : null}
          <ErrorAlert error={validate.error} />
          <Group>
            {mode === 'yaml' ? (
              <Button
                variant="default"
                loading={validate.isPending}
                onClick={() => {
                  create.reset();
                  validate.mutate({ text });
                }}
              >
                Validate
              </Button>
            ) : null}
            <Button type="submit" loading={create.isPending}>
              Create lab
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
