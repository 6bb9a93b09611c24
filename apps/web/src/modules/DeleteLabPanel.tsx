import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useDeleteLab } from '../api/queries/labs.ts';
import type { LabDetail } from '../api/types.ts';
import { ConfirmByName } from '../components/ConfirmByName.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';

/**
 * Deleting the lab: offered once no course deployment lives (a class's copies go by Destroy on
 * the deployment's page); the server says why when it still refuses (a publish checking).
 */
export function DeleteLabPanel({ course, detail }: { course: string; detail: LabDetail }) {
  const navigate = useNavigate();
  const remove = useDeleteLab(course, detail.lab.id);
  const [confirming, setConfirming] = useState(false);
  const live = detail.deployments.filter((d) => d.kind === 'course' && d.state !== 'destroyed');
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <div>
          <Title order={3}>Delete this lab</Title>
          <Text size="sm" c="dimmed">
            {live.length > 0
              ? `Destroy its course ${live.length === 1 ? 'deployment' : 'deployments'} first (${live.map((d) => d.id).join(', ')}).`
              : 'The lab, its versions and your dev copy go; its name is free again.'}
          </Text>
        </div>
        <Button color="red" variant="light" disabled={live.length > 0} onClick={() => setConfirming(true)}>
          Delete lab
        </Button>
      </Group>
      <ErrorAlert error={remove.error} />
      <ConfirmByName
        opened={confirming}
        title="Delete this lab?"
        name={detail.lab.name}
        action="Delete the lab"
        loading={remove.isPending}
        onClose={() => setConfirming(false)}
        onConfirm={() =>
          remove.mutate(undefined, {
            onSuccess: () => navigate(`/courses/${encodeURIComponent(course)}/labs`),
            onSettled: () => setConfirming(false),
          })
        }
      >
        {detail.lab.name}, its {detail.versions.length} version(s) and your dev copy are deleted. This cannot
        be undone.
      </ConfirmByName>
    </Stack>
  );
}
