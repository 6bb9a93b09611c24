import { Anchor, Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { assignmentsQuery } from '../api/queries/assignments.ts';
import { courseQuery } from '../api/queries/courses.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { useCourseRole } from '../modules/useCourseRole.ts';
import { formatDate, relativeTime } from '../utils/format.ts';
import { deadlinePassed } from '../utils/submissions.ts';

export function CoursePage() {
  const code = useParams().course!;
  const course = useQuery(courseQuery(code));
  const assignments = useQuery(assignmentsQuery(code));
  const { isStaff, canEdit } = useCourseRole(code);
  const base = `/courses/${encodeURIComponent(code)}`;
  if (course.isPending) return <Loading />;
  if (course.isError) return <ErrorAlert error={course.error} />;
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Title order={2}>{course.data.code}</Title>
          <Text c="dimmed">{course.data.title}</Text>
        </div>
        {isStaff ? (
          <Group gap="xs">
            {canEdit ? (
              <Button component={Link} to={`${base}/assignments/new`}>
                New assignment
              </Button>
            ) : null}
            <Button component={Link} to={`${base}/gradebook`} variant="default">
              Gradebook
            </Button>
            <Button component={Link} to={`${base}/roster`} variant="default">
              Roster
            </Button>
            <Button component={Link} to={`${base}/labs`} variant="default">
              Labs
            </Button>
          </Group>
        ) : null}
      </Group>
      <Title order={3}>Assignments</Title>
      {assignments.isPending ? <Loading /> : null}
      <ErrorAlert error={assignments.error} />
      {assignments.data?.length === 0 ? (
        <EmptyState title="No assignments yet">
          {canEdit
            ? 'Create one with “New assignment”.'
            : 'Assignments appear here when your instructor publishes them.'}
        </EmptyState>
      ) : null}
      {assignments.data && assignments.data.length > 0 ? (
        <Table.ScrollContainer minWidth={420}>
          <Table highlightOnHover aria-label="Assignments">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Assignment</Table.Th>
                <Table.Th>Points</Table.Th>
                <Table.Th>Deadline</Table.Th>
                <Table.Th>Languages</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {assignments.data.map((a) => (
                <Table.Tr key={a.id} data-testid="assignment-row">
                  <Table.Td>
                    <Anchor
                      component={Link}
                      to={`${base}/assignments/${encodeURIComponent(a.slug)}`}
                      fw={600}
                    >
                      {a.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {'maxScore' in a ? a.maxScore : a.tests.reduce((sum, t) => sum + t.points, 0)}
                  </Table.Td>
                  <Table.Td>
                    {a.deadline ? (
                      <Text
                        size="sm"
                        c={deadlinePassed(a.deadline) ? 'red' : 'inherit'}
                        title={formatDate(a.deadline)}
                      >
                        {relativeTime(a.deadline)}
                      </Text>
                    ) : (
                      <Text size="sm" c="dimmed">
                        none
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {a.languages.map((l) => (
                        <Badge key={l} variant="outline" size="sm">
                          {l}
                        </Badge>
                      ))}
                    </Group>
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
