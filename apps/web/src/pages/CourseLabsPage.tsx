import { Anchor, Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { labsQuery } from '../api/queries/labs.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { NewLabForm } from '../modules/NewLabForm.tsx';
import { useCourseRole } from '../modules/useCourseRole.ts';
import { relativeTime } from '../utils/format.ts';

/** A course's labs (staff): what exists, and "New lab". */
export function CourseLabsPage() {
  const course = useParams().course!;
  const labs = useQuery(labsQuery(course));
  const { canEdit } = useCourseRole(course);
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const base = `/courses/${encodeURIComponent(course)}`;
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Text size="sm" c="dimmed">
            <Anchor component={Link} to={base}>
              {course}
            </Anchor>
          </Text>
          <Title order={2}>Labs</Title>
        </div>
        {canEdit && !creating ? <Button onClick={() => setCreating(true)}>New lab</Button> : null}
      </Group>
      {creating ? (
        <NewLabForm
          course={course}
          onCreated={(detail) => navigate(`${base}/labs/${encodeURIComponent(detail.lab.id)}`)}
        />
      ) : null}
      {labs.isPending ? <Loading /> : null}
      <ErrorAlert error={labs.error} />
      {labs.data?.length === 0 ? (
        <EmptyState title="No labs yet">{canEdit ? 'Create one with “New lab”.' : undefined}</EmptyState>
      ) : null}
      {labs.data && labs.data.length > 0 ? (
        <Table.ScrollContainer minWidth={480}>
          <Table highlightOnHover aria-label="Labs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Lab</Table.Th>
                <Table.Th>Versions</Table.Th>
                <Table.Th>Deployments</Table.Th>
                <Table.Th>Changed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {labs.data.map((lab) => (
                <Table.Tr key={lab.id} data-testid="lab-row">
                  <Table.Td>
                    <Anchor component={Link} to={`${base}/labs/${encodeURIComponent(lab.id)}`} fw={600}>
                      {lab.name}
                    </Anchor>
                    {lab.description ? (
                      <Text size="xs" c="dimmed">
                        {lab.description}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    {lab.versions}{' '}
                    {lab.published > 0 ? (
                      <Badge size="sm" variant="light" color="teal">
                        {lab.published} published
                      </Badge>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{lab.deployments}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{relativeTime(lab.updatedAt)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}
