import { Button, Group, Paper, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { labDiffQuery, useCheckpointLab, useDeployLab, usePublishLabVersion } from '../api/queries/labs.ts';
import type { LabCheckResult, LabDetail, LabVersion } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { LabChangesTable } from '../components/LabChangesTable.tsx';
import { LabStateBadge } from '../components/LabStateBadge.tsx';
import { Loading } from '../components/Loading.tsx';
import { formatDate } from '../utils/format.ts';
import { shortVersion } from '../utils/labs.ts';

/** Checkpoints of the dev template: diff, publish (the checks must pass), deploy to the course. */
export function LabVersions({ detail, canEdit }: { detail: LabDetail; canEdit: boolean }) {
  const labId = detail.lab.id;
  const checkpoint = useCheckpointLab(labId);
  const publish = usePublishLabVersion(labId);
  const deploy = useDeployLab(labId);
  const [diffOf, setDiffOf] = useState<string | null>(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>Versions</Title>
        {canEdit ? (
          <Button
            variant="default"
            loading={checkpoint.isPending}
            onClick={() => checkpoint.mutate(undefined)}
          >
            Checkpoint
          </Button>
        ) : null}
      </Group>
      <ErrorAlert error={checkpoint.error ?? publish.error ?? deploy.error} />
      {detail.versions.length === 0 ? (
        <Text size="sm" c="dimmed">
          No versions yet: “Checkpoint” freezes the dev template and its image digests.
        </Text>
      ) : (
        <Table aria-label="Versions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {detail.versions.map((v) => (
              <VersionRow
                key={v.id}
                version={v}
                canEdit={canEdit}
                onDiff={() => setDiffOf(diffOf === v.id ? null : v.id)}
                onPublish={() => publish.mutate(v.id)}
                onDeploy={() => deploy.mutate(v.id)}
                busy={publish.isPending || deploy.isPending}
              />
            ))}
          </Table.Tbody>
        </Table>
      )}
      {diffOf ? <VersionDiff detail={detail} version={diffOf} /> : null}
    </Stack>
  );
}

function VersionRow({
  version,
  canEdit,
  busy,
  onDiff,
  onPublish,
  onDeploy,
}: {
  version: LabVersion;
  canEdit: boolean;
  busy: boolean;
  onDiff: () => void;
  onPublish: () => void;
  onDeploy: () => void;
}) {
  const publishable = version.state === 'draft' || version.state === 'check_failed';
  return (
    <>
      <Table.Tr data-testid="lab-version" data-state={version.state}>
        <Table.Td ff="monospace">{shortVersion(version.id)}</Table.Td>
        <Table.Td>
          <LabStateBadge state={version.state} />
        </Table.Td>
        <Table.Td fz="sm">{formatDate(version.createdAt)}</Table.Td>
        <Table.Td>
          <Group gap="xs" justify="flex-end">
            <Button size="xs" variant="subtle" onClick={onDiff}>
              Diff
            </Button>
            {canEdit && publishable ? (
              <Button size="xs" onClick={onPublish} loading={busy}>
                Publish
              </Button>
            ) : null}
            {canEdit && version.state === 'published' ? (
              <Button size="xs" color="teal" onClick={onDeploy} loading={busy}>
                Deploy to course
              </Button>
            ) : null}
          </Group>
        </Table.Td>
      </Table.Tr>
      {version.checkResults && version.checkResults.length > 0 ? (
        <Table.Tr>
          <Table.Td colSpan={4}>
            <CheckResults results={version.checkResults} />
          </Table.Td>
        </Table.Tr>
      ) : null}
    </>
  );
}

/** The checks a publish ran, each with its verdict and what it saw. */
export function CheckResults({ results }: { results: readonly LabCheckResult[] }) {
  return (
    <Stack gap={2} data-testid="check-results">
      {results.map((r) => (
        <Text key={r.index} size="sm" c={r.ok ? 'teal' : 'red'} data-ok={r.ok}>
          {r.ok ? '✓' : '✗'} {r.kind} on {r.component}: {r.message} ({Math.round(r.durationMs)} ms)
        </Text>
      ))}
    </Stack>
  );
}

function VersionDiff({ detail, version }: { detail: LabDetail; version: string }) {
  const older = detail.versions.filter((v) => v.id !== version).map((v) => v.id);
  const [against, setAgainst] = useState<string>('dev');
  const diff = useQuery(labDiffQuery(detail.lab.id, version, against));
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group>
          <Text fw={600}>Changes between {shortVersion(version)} and</Text>
          <Select
            aria-label="Compare with"
            value={against}
            onChange={(value) => setAgainst(value ?? 'dev')}
            data={[
              { value: 'dev', label: 'the dev template' },
              ...older.map((id) => ({ value: id, label: shortVersion(id) })),
            ]}
            allowDeselect={false}
            w={220}
          />
        </Group>
        {diff.isPending ? <Loading /> : null}
        <ErrorAlert error={diff.error} />
        {diff.data ? <LabChangesTable changes={diff.data.changes} /> : null}
      </Stack>
    </Paper>
  );
}
