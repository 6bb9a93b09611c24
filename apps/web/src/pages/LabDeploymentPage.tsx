import { Alert, Anchor, Badge, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { labDeploymentQuery, useDestroyLabDeployment } from '../api/queries/labs.ts';
import { ConfirmByName } from '../components/ConfirmByName.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { LabClassGrid } from '../modules/LabClassGrid.tsx';
import { useCourseRole } from '../modules/useCourseRole.ts';
import { shortVersion } from '../utils/labs.ts';

/** One deployment of a lab to the class: the grid of students, and destroying it. */
export function LabDeploymentPage() {
  const { course, lab, deployment } = useParams() as { course: string; lab: string; deployment: string };
  const view = useQuery(labDeploymentQuery(deployment));
  const destroy = useDestroyLabDeployment(deployment);
  const { canEdit } = useCourseRole(course);
  const [confirming, setConfirming] = useState(false);
  if (view.isPending) return <Loading />;
  if (view.isError) return <ErrorAlert error={view.error} />;
  const { deployment: d, labName, counts, statusError } = view.data;
  const live = d.state !== 'destroyed' && d.state !== 'destroying';
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Text size="sm" c="dimmed">
            <Anchor
              component={Link}
              to={`/courses/${encodeURIComponent(course)}/labs/${encodeURIComponent(lab)}`}
            >
              {labName}
            </Anchor>
          </Text>
          <Title order={2}>
            {labName}{' '}
            <Text span c="dimmed" ff="monospace" fz="lg">
              {d.versionId ? shortVersion(d.versionId) : d.kind}
            </Text>
          </Title>
          <Group gap="xs" mt={4}>
            <Badge variant="light" data-testid="deployment-state">
              {d.state}
            </Badge>
            {Object.entries(counts).map(([state, n]) => (
              <Badge key={state} variant="outline" color="gray">
                {n} {state}
              </Badge>
            ))}
          </Group>
        </div>
        {canEdit && live ? (
          <Button color="red" variant="light" onClick={() => setConfirming(true)}>
            Destroy for the whole class
          </Button>
        ) : null}
      </Group>
      {statusError ? (
        <Alert color="yellow" variant="light" title="The engine did not answer">
          {statusError}
        </Alert>
      ) : null}
      {d.teardown ? (
        <Alert color={d.teardown.verified ? 'teal' : 'orange'} variant="light" title="Torn down">
          {d.teardown.deleted} objects deleted
          {d.teardown.verified ? ', verified gone' : `; left: ${d.teardown.remaining.join(', ')}`}.
        </Alert>
      ) : null}
      <ErrorAlert error={destroy.error} />
      <LabClassGrid view={view.data} canEdit={canEdit} />
      <ConfirmByName
        opened={confirming}
        title="Destroy this deployment?"
        name={labName}
        action="Destroy every copy"
        loading={destroy.isPending}
        onClose={() => setConfirming(false)}
        onConfirm={() => destroy.mutate(undefined, { onSettled: () => setConfirming(false) })}
      >
        Every student's copy of {labName} and its volumes are deleted. This cannot be undone.
      </ConfirmByName>
    </Stack>
  );
}
