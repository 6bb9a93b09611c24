import { Badge, Button, Card, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { meQuery } from '../api/queries/auth.ts';
import { coursesQuery, useCreateCourse } from '../api/queries/courses.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';

export function CoursesPage() {
  const courses = useQuery(coursesQuery());
  const me = useQuery(meQuery());
  const canCreate = me.data?.role === 'admin' || me.data?.role === 'staff';
  return (
    <Stack>
      <Title order={2}>Courses</Title>
      {courses.isPending ? <Loading /> : null}
      <ErrorAlert error={courses.error} />
      {courses.data?.length === 0 ? (
        <EmptyState title="No courses yet">
          {canCreate ? 'Create your first course below.' : 'Your instructor will enrol you in a course.'}
        </EmptyState>
      ) : null}
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
        {courses.data?.map((course) => (
          <Card
            key={course.id}
            withBorder
            component={Link}
            to={`/courses/${encodeURIComponent(course.code)}`}
            data-testid="course-card"
          >
            <Group justify="space-between" wrap="nowrap">
              <Text fw={700}>{course.code}</Text>
              {course.role ? <Badge variant="light">{course.role}</Badge> : null}
            </Group>
            <Text size="sm" c="dimmed" mt={4}>
              {course.title}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      {canCreate ? <NewCourse /> : null}
    </Stack>
  );
}

function NewCourse() {
  const [code, setCode] = useState('');
  const [title, setTitle] = useState('');
  const create = useCreateCourse();
  return (
    <Card withBorder mt="lg" maw={640}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { code, title },
            {
              onSuccess: () => {
                setCode('');
                setTitle('');
              },
            },
          );
        }}
      >
        <Stack gap="sm">
          <Title order={4}>New course</Title>
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Code"
              placeholder="CS101"
              required
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
            />
            <TextInput
              label="Title"
              placeholder="Introduction to Programming"
              required
              style={{ flex: 1, minWidth: 200 }}
              value={title}
              onChange={(e) => setTitle(e.currentTarget.value)}
            />
            <Button type="submit" loading={create.isPending}>
              Create
            </Button>
          </Group>
          <ErrorAlert error={create.error} />
        </Stack>
      </form>
    </Card>
  );
}
