import { Alert, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { meQuery } from '../api/queries/auth.ts';
import { myLabsQuery } from '../api/queries/labs.ts';
import type { MyLab } from '../api/types.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { LabOpenButtons } from '../components/LabOpenButtons.tsx';
import { LabStateBadge } from '../components/LabStateBadge.tsx';
import { Loading } from '../components/Loading.tsx';
import { formatDate, relativeTime } from '../utils/format.ts';
import { idleExplanation } from '../utils/labs.ts';

/** The signed-in user's own lab copies, each component with what it offers. */
export function MyLabsPage() {
  const labs = useQuery(myLabsQuery());
  const me = useQuery(meQuery());
  return (
    <Stack>
      <Title order={2}>My labs</Title>
      {labs.isPending || me.isPending ? <Loading /> : null}
      <ErrorAlert error={labs.error} />
      {labs.data?.length === 0 ? (
        <EmptyState title="No labs yet">
          Labs appear here when your instructor deploys one to your course.
        </EmptyState>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {me.data &&
          (labs.data ?? []).map((lab) => (
            <Card key={lab.deploymentId} withBorder data-testid="my-lab" data-state={lab.state}>
              <Stack gap="sm">
                <Group justify="space-between">
                  <div>
                    <Title order={4}>{lab.labName}</Title>
                    <Text size="sm" c="dimmed">
                      {lab.courseCode}
                      {lab.kind === 'dev' ? ' · your dev environment' : ''}
                    </Text>
                  </div>
                  <LabStateBadge state={lab.state} />
                </Group>
                <IdleNote lab={lab} />
                <OpenedBy lab={lab} />
                {lab.expiresAt ? (
                  <Text size="xs" c="dimmed" data-testid="lab-expiry">
                    This lab ends {relativeTime(lab.expiresAt)} ({formatDate(lab.expiresAt)}): keep a copy of
                    work you want after that.
                  </Text>
                ) : null}
                {lab.components.map((c) => (
                  <Group key={c.name} justify="space-between" wrap="nowrap">
                    <Text ff="monospace" size="sm">
                      {c.name}
                    </Text>
                    <LabOpenButtons
                      deploymentId={lab.deploymentId}
                      userId={me.data.id}
                      component={c}
                      disabled={lab.state !== 'ready' && lab.state !== 'stopped'}
                    />
                  </Group>
                ))}
              </Stack>
            </Card>
          ))}
      </SimpleGrid>
    </Stack>
  );
}

/** Why the copy is stopped, or when it will be: the idle rule in words (utils/labs.ts). */
function IdleNote({ lab }: { lab: MyLab }) {
  const text = idleExplanation(lab);
  if (!text) return null;
  if (lab.state === 'stopped')
    return (
      <Alert variant="light" color="yellow" data-testid="lab-idle">
        {text}
      </Alert>
    );
  return (
    <Text size="sm" c="dimmed" data-testid="lab-idle">
      {text}
    </Text>
  );
}

const KIND_WORDS = { terminal: 'a terminal', vnc: 'the desktop', http: 'a web page' } as const;

/** Who else looked in (staff watching and helping): the owner always sees it. */
function OpenedBy({ lab }: { lab: MyLab }) {
  if (lab.openedBy.length === 0) return null;
  return (
    <Stack gap={2} data-testid="lab-opened-by">
      {lab.openedBy.map((view) => (
        <Text key={`${view.username}-${view.kind}-${view.component}-${view.at}`} size="xs" c="dimmed">
          {view.name} ({view.username}) opened {KIND_WORDS[view.kind]} of {view.component}{' '}
          {relativeTime(view.at)}
        </Text>
      ))}
    </Stack>
  );
}
