import {
  Anchor,
  Badge,
  Button,
  Grid,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { assignmentQuery, submissionsQuery } from '../api/queries/assignments.ts';
import { meQuery } from '../api/queries/auth.ts';
import { enrollmentsQuery } from '../api/queries/courses.ts';
import type { AnyAssignment } from '../api/types.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { Markdown } from '../components/Markdown.tsx';
import { OutputBlock } from '../components/OutputBlock.tsx';
import { SubmissionsTable } from '../modules/SubmissionsTable.tsx';
import { useCourseRole } from '../modules/useCourseRole.ts';
import { Workspace } from '../modules/Workspace.tsx';
import { formatDate, relativeTime } from '../utils/format.ts';
import { deadlinePassed, submissionQuota } from '../utils/submissions.ts';

export function AssignmentPage() {
  const params = useParams();
  const course = params.course!;
  const slug = params.slug!;
  const assignment = useQuery(assignmentQuery(course, slug));
  const { isStaff, canEdit } = useCourseRole(course);
  if (assignment.isPending) return <Loading />;
  if (assignment.isError) return <ErrorAlert error={assignment.error} />;
  const a = assignment.data;
  return (
    <Stack>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <div>
          <Text size="sm" c="dimmed">
            <Anchor component={Link} to={`/courses/${encodeURIComponent(course)}`}>
              {course}
            </Anchor>{' '}
            / assignment
          </Text>
          <Title order={2}>{a.title}</Title>
        </div>
        {canEdit ? (
          <Button component={Link} to="edit" relative="path" variant="default">
            Edit assignment
          </Button>
        ) : null}
      </Group>
      {isStaff ? <StaffSubmissions assignment={a} course={course} /> : null}
      <MySide assignment={a} isStaff={isStaff} />
    </Stack>
  );
}

function MySide({ assignment, isStaff }: { assignment: AnyAssignment; isStaff: boolean }) {
  const me = useQuery(meQuery());
  // Explicitly mine: for course staff the unfiltered list is everyone's.
  const mine = useQuery({ ...submissionsQuery(assignment.id, me.data?.id), enabled: me.data !== undefined });
  const quota = submissionQuota(assignment, mine.data ?? []);
  const closed = deadlinePassed(assignment.deadline);
  const maxScore = assignment.tests.reduce((s, t) => s + t.points, 0);
  return (
    <>
      <Group gap="lg" wrap="wrap" data-testid="assignment-facts">
        <Fact label="Deadline">
          {assignment.deadline ? (
            <Text c={closed ? 'red' : 'inherit'} title={formatDate(assignment.deadline)}>
              {formatDate(assignment.deadline)} ({relativeTime(assignment.deadline)})
            </Text>
          ) : (
            <Text>None</Text>
          )}
        </Fact>
        <Fact label="Points">
          <Text>{'maxScore' in assignment ? assignment.maxScore : maxScore}</Text>
        </Fact>
        <Fact label="Submissions left">
          <Text>{quota ? `${quota.remaining} of ${quota.limit}` : 'Unlimited'}</Text>
        </Fact>
      </Group>
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Paper withBorder p="md">
            <Stack>
              {assignment.statement.trim() ? (
                <Markdown source={assignment.statement} />
              ) : (
                <Text c="dimmed">No statement.</Text>
              )}
              <Examples assignment={assignment} isStaff={isStaff} />
            </Stack>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          {closed ? (
            <Text c="red" mb="xs">
              The deadline has passed: you can still run code, but not submit.
            </Text>
          ) : null}
          <Workspace assignment={assignment} quota={quota} closed={closed} />
        </Grid.Col>
      </Grid>
      <Title order={3}>{isStaff ? 'Your own test submissions' : 'Your submissions'}</Title>
      <ErrorAlert error={mine.error} />
      {mine.data ? <SubmissionsTable runs={mine.data} /> : <Loading />}
    </>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      {children}
    </div>
  );
}

function Examples({ assignment, isStaff }: { assignment: AnyAssignment; isStaff: boolean }) {
  const tests = assignment.tests.filter((t) => t.stdin !== undefined || t.expectedOutput !== undefined);
  if (tests.length === 0) return null;
  return (
    <Stack gap="sm">
      <Title order={4}>{isStaff ? 'Tests' : 'Examples'}</Title>
      {tests.map((t) => (
        <Paper key={t.name} withBorder p="xs">
          <Group gap="xs" mb={4}>
            <Text fw={600} size="sm">
              {t.name}
            </Text>
            <Badge size="xs" variant="light">
              {t.points} pts
            </Badge>
            {t.visibility !== 'visible' ? (
              <Badge size="xs" color="gray">
                {t.visibility === 'hidden' ? 'hidden' : 'after deadline'}
              </Badge>
            ) : null}
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            <OutputBlock label="Input" text={t.stdin ?? ''} />
            <OutputBlock label="Expected output" text={t.expectedOutput ?? ''} />
          </SimpleGrid>
        </Paper>
      ))}
    </Stack>
  );
}

function StaffSubmissions({ assignment, course }: { assignment: AnyAssignment; course: string }) {
  const [params, setParams] = useSearchParams();
  const student = params.get('student') ?? 'all';
  const roster = useQuery(enrollmentsQuery(course));
  const runs = useQuery(submissionsQuery(assignment.id, student));
  const names = new Map((roster.data ?? []).map((e) => [e.userId, `${e.displayName} (${e.username})`]));
  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={3}>Student submissions</Title>
        <Select
          label="Student"
          value={student}
          allowDeselect={false}
          searchable
          onChange={(v) => setParams(v && v !== 'all' ? { student: v } : {})}
          data={[
            { value: 'all', label: 'Everyone' },
            ...(roster.data ?? [])
              .filter((e) => e.role === 'student')
              .map((e) => ({ value: e.userId, label: `${e.displayName} (${e.username})` })),
          ]}
        />
      </Group>
      <ErrorAlert error={runs.error} />
      {runs.data ? (
        <SubmissionsTable runs={runs.data} who={(id) => names.get(id) ?? id} />
      ) : runs.isPending ? (
        <Loading />
      ) : null}
    </Stack>
  );
}
