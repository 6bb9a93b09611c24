import { Anchor, Divider, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { labQuery } from '../api/queries/labs.ts';
import type { LabDetail } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { DeleteLabPanel } from '../modules/DeleteLabPanel.tsx';
import { LabDevPanel } from '../modules/LabDevPanel.tsx';
import { LabVersions } from '../modules/LabVersions.tsx';
import { useCourseRole } from '../modules/useCourseRole.ts';
import { formatDate } from '../utils/format.ts';
import { shortVersion } from '../utils/labs.ts';

/** The lab builder: the dev environment, its versions, and where they are deployed. */
export function LabBuilderPage() {
  const { course, lab: labId } = useParams() as { course: string; lab: string };
  const lab = useQuery(labQuery(labId));
  const { canEdit } = useCourseRole(course);
  if (lab.isPending) return <Loading />;
  if (lab.isError) return <ErrorAlert error={lab.error} />;
  const detail = lab.data;
  return (
    <Stack>
      <div>
        <Text size="sm" c="dimmed">
          <Anchor component={Link} to={`/courses/${encodeURIComponent(course)}`}>
            {course}
          </Anchor>{' '}
          /{' '}
          <Anchor component={Link} to={`/courses/${encodeURIComponent(course)}/labs`}>
            Labs
          </Anchor>
        </Text>
        <Title order={2}>{detail.lab.name}</Title>
        {detail.lab.devTemplate.metadata.description ? (
          <Text c="dimmed">{detail.lab.devTemplate.metadata.description}</Text>
        ) : null}
      </div>
      <LabDevPanel detail={detail} canEdit={canEdit} />
      <Divider />
      <LabVersions detail={detail} canEdit={canEdit} />
      <Divider />
      <Deployments course={course} detail={detail} />
      {canEdit ? (
        <>
          <Divider />
          <DeleteLabPanel course={course} detail={detail} />
        </>
      ) : null}
    </Stack>
  );
}

function Deployments({ course, detail }: { course: string; detail: LabDetail }) {
  const courseDeployments = detail.deployments.filter((d) => d.kind === 'course');
  return (
    <Stack>
      <Title order={3}>Deployments</Title>
      {courseDeployments.length === 0 ? (
        <Text size="sm" c="dimmed">
          Not deployed to the course yet: publish a version, then “Deploy to course”.
        </Text>
      ) : (
        <Table aria-label="Deployments">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Deployment</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Students</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {courseDeployments.map((d) => (
              <Table.Tr key={d.id} data-testid="lab-deployment">
                <Table.Td>
                  <Anchor
                    component={Link}
                    to={`/courses/${encodeURIComponent(course)}/labs/${encodeURIComponent(detail.lab.id)}/deployments/${encodeURIComponent(d.id)}`}
                    ff="monospace"
                  >
                    {d.id}
                  </Anchor>
                </Table.Td>
                <Table.Td ff="monospace">{d.versionId ? shortVersion(d.versionId) : 'dev'}</Table.Td>
                <Table.Td>{d.state}</Table.Td>
                <Table.Td>
                  {d.students} (
                  {Object.entries(d.counts)
                    .map(([state, n]) => `${n} ${state}`)
                    .join(', ') || 'none'}
                  )
                </Table.Td>
                <Table.Td fz="sm">{formatDate(d.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
