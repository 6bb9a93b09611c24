import {
  Alert,
  Button,
  Checkbox,
  Code,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { labCapabilitiesQuery, useUpdateLabTemplate } from '../api/queries/labs.ts';
import type { LabDetail, LabTemplateBody } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { LabOpenButtons } from '../components/LabOpenButtons.tsx';
import { LabStateBadge } from '../components/LabStateBadge.tsx';
import { componentAccess, labProblemsOf, withContainer, withVm } from '../utils/labs.ts';

/**
 * The lab builder's dev environment: the dev template's resources and components, the
 * instructor's own copy of it (open it like a student would), and the ways to change it.
 */
export function LabDevPanel({ detail, canEdit }: { detail: LabDetail; canEdit: boolean }) {
  const template = detail.lab.devTemplate;
  const copy = detail.dev?.students[0];
  const ready = copy?.state === 'ready';
  const { resources } = template.spec;
  return (
    <Stack>
      <Group gap="sm">
        <Title order={3}>Dev environment</Title>
        {copy ? (
          <LabStateBadge state={copy.state} testId="dev-state" />
        ) : (
          <Text c="dimmed">not deployed</Text>
        )}
      </Group>
      {copy?.error ? (
        <Alert color="red" variant="light" title="The dev environment failed">
          {copy.error}
        </Alert>
      ) : null}
      <Text size="sm" data-testid="lab-resources">
        Resources per student: CPU <Code>{resources.cpu}</Code>, memory <Code>{resources.memory}</Code>,
        storage <Code>{resources.storage}</Code>
      </Text>
      <Table.ScrollContainer minWidth={560}>
        <Table aria-label="Components">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Component</Table.Th>
              <Table.Th>Image</Table.Th>
              <Table.Th>Ports</Table.Th>
              <Table.Th>Open</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {template.spec.components.map((c) => (
              <Table.Tr key={c.name} data-testid="lab-component">
                <Table.Td fw={600}>{c.name}</Table.Td>
                <Table.Td ff="monospace" fz="sm">
                  {c.image}
                </Table.Td>
                <Table.Td fz="sm">
                  {[
                    ...(c.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`),
                    ...(c.vnc ? [`vnc ${c.vnc.port}`] : []),
                  ].join(', ')}
                </Table.Td>
                <Table.Td>
                  {detail.dev && copy ? (
                    <LabOpenButtons
                      deploymentId={detail.dev.deployment.id}
                      userId={copy.userId}
                      component={componentAccess(c)}
                      disabled={!ready}
                    />
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {canEdit ? <ChangeTemplate detail={detail} /> : null}
    </Stack>
  );
}

function ChangeTemplate({ detail }: { detail: LabDetail }) {
  const [open, setOpen] = useState<'none' | 'container' | 'vm' | 'yaml'>('none');
  const capabilities = useQuery(labCapabilitiesQuery());
  const update = useUpdateLabTemplate(detail.lab.id);
  const problems = labProblemsOf(update.error);
  /** Saved: the form closes (on a problem it stays open, the problems listed below it). */
  const save = (body: LabTemplateBody) => update.mutate(body, { onSuccess: () => setOpen('none') });
  return (
    <Stack gap="sm">
      <Group gap="xs">
        <Button variant="default" onClick={() => setOpen(open === 'container' ? 'none' : 'container')}>
          Create container
        </Button>
        {/* Only where the cluster has KubeVirt (GET /api/v1/labs/capabilities). */}
        {capabilities.data?.kubevirt ? (
          <Button variant="default" onClick={() => setOpen(open === 'vm' ? 'none' : 'vm')}>
            Create VM
          </Button>
        ) : null}
        <Button variant="default" onClick={() => setOpen(open === 'yaml' ? 'none' : 'yaml')}>
          Edit template
        </Button>
      </Group>
      {open === 'container' ? (
        <NewContainer
          loading={update.isPending}
          onSave={(container) => save({ template: withContainer(detail.lab.devTemplate, container) })}
        />
      ) : null}
      {open === 'vm' ? (
        <NewVm
          loading={update.isPending}
          onSave={(vm) => save({ template: withVm(detail.lab.devTemplate, vm) })}
        />
      ) : null}
      {open === 'yaml' ? (
        <TemplateText
          initial={JSON.stringify(detail.lab.devTemplate, null, 2)}
          loading={update.isPending}
          onSave={(text) => save({ text })}
        />
      ) : null}
      {problems.length > 0 ? (
        <Alert color="red" variant="light" title="The template has problems" role="alert">
          {problems.map((p) => (
            <Text size="sm" key={`${p.path}:${p.message}`}>
              <code>{p.path}</code>: {p.message}
            </Text>
          ))}
        </Alert>
      ) : (
        <ErrorAlert error={update.error} />
      )}
    </Stack>
  );
}

function NewContainer({
  loading,
  onSave,
}: {
  loading: boolean;
  onSave: (c: { name: string; image: string; port: number | null; terminal: boolean }) => void;
}) {
  const [name, setName] = useState('');
  const [image, setImage] = useState('aperture/lab-shell');
  const [port, setPort] = useState('');
  const [terminal, setTerminal] = useState(true);
  return (
    <Paper withBorder p="md">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSave({ name: name.trim(), image: image.trim(), port: port ? Number(port) : null, terminal });
        }}
      >
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <TextInput
              label="Image"
              required
              value={image}
              onChange={(e) => setImage(e.currentTarget.value)}
            />
            <TextInput
              label="HTTP port (optional)"
              value={port}
              onChange={(e) => setPort(e.currentTarget.value)}
            />
          </SimpleGrid>
          <Checkbox
            label="Browser terminal"
            checked={terminal}
            onChange={(e) => setTerminal(e.currentTarget.checked)}
          />
          <Group>
            <Button type="submit" loading={loading}>
              Add container
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function NewVm({
  loading,
  onSave,
}: {
  loading: boolean;
  onSave: (vm: { name: string; image: string }) => void;
}) {
  const [name, setName] = useState('');
  const [image, setImage] = useState('');
  return (
    <Paper withBorder p="md">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onSave({ name: name.trim(), image: image.trim() });
        }}
      >
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <TextInput
              label="Disk image (containerDisk)"
              required
              value={image}
              onChange={(e) => setImage(e.currentTarget.value)}
            />
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={loading}>
              Add VM
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function TemplateText({
  initial,
  loading,
  onSave,
}: {
  initial: string;
  loading: boolean;
  onSave: (text: string) => void;
}) {
  const [text, setText] = useState(initial);
  return (
    <Stack gap="sm">
      <Textarea
        label="Dev template (YAML or JSON)"
        autosize
        minRows={10}
        maxRows={30}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      <Group>
        <Button loading={loading} onClick={() => onSave(text)}>
          Apply to the dev environment
        </Button>
      </Group>
    </Stack>
  );
}
