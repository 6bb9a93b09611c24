import { Button, Group, Modal, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useResetLabCopy, useStartLabCopy } from '../api/queries/labs.ts';
import type { DeploymentView } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { LabOpenButtons } from '../components/LabOpenButtons.tsx';
import { LabStateBadge } from '../components/LabStateBadge.tsx';
import { relativeTime } from '../utils/format.ts';
import { componentAccess } from '../utils/labs.ts';

/** Every student's copy of one deployment: its state, and per-student reset / start / open. */
export function LabClassGrid({ view, canEdit }: { view: DeploymentView; canEdit: boolean }) {
  const reset = useResetLabCopy(view.deployment.id);
  const start = useStartLabCopy(view.deployment.id);
  const [resetting, setResetting] = useState<{ userId: string; username: string } | null>(null);
  const live = view.deployment.state !== 'destroyed' && view.deployment.state !== 'destroying';
  const components = view.template.spec.components.map(componentAccess);
  return (
    <Stack>
      <ErrorAlert error={reset.error ?? start.error} />
      <Table.ScrollContainer minWidth={640}>
        <Table striped aria-label="Class">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Student</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Open</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {view.students.map((s) => (
              <Table.Tr key={s.userId} data-testid="lab-student" data-state={s.state}>
                <Table.Td ff="monospace">{s.username}</Table.Td>
                <Table.Td>
                  <LabStateBadge state={s.state} />
                  {s.error ? (
                    <Text size="xs" c="red">
                      {s.error}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td fz="sm">{s.lastAccessAt ? relativeTime(s.lastAccessAt) : 'never'}</Table.Td>
                <Table.Td>
                  <Stack gap={4}>
                    {components
                      .filter((c) => c.terminal || c.vnc || c.httpPorts.length > 0)
                      .map((c) => (
                        <LabOpenButtons
                          key={c.name}
                          deploymentId={view.deployment.id}
                          userId={s.userId}
                          component={c}
                          disabled={!live || s.state !== 'ready'}
                        />
                      ))}
                  </Stack>
                </Table.Td>
                <Table.Td>
                  {canEdit && live ? (
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      {s.state === 'stopped' ? (
                        <Button size="xs" variant="default" onClick={() => start.mutate(s.userId)}>
                          Start
                        </Button>
                      ) : null}
                      <Button size="xs" variant="light" color="orange" onClick={() => setResetting(s)}>
                        Reset
                      </Button>
                    </Group>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal opened={resetting !== null} onClose={() => setResetting(null)} title="Reset this student's lab?">
        <Stack>
          <Text size="sm">
            {resetting?.username}'s copy goes back to the deployed version: their files in it are lost.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setResetting(null)}>
              Cancel
            </Button>
            <Button
              color="orange"
              loading={reset.isPending}
              onClick={() =>
                resetting && reset.mutate(resetting.userId, { onSettled: () => setResetting(null) })
              }
            >
              Reset
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
