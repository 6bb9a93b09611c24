import { Anchor, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { gradebookCsvUrl, gradebookQuery } from '../api/queries/courses.ts';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { GradebookTable } from '../modules/GradebookTable.tsx';

export function GradebookPage() {
  const course = useParams().course!;
  const gradebook = useQuery(gradebookQuery(course));
  return (
    <Stack>
      <div>
        <Text size="sm" c="dimmed">
          <Anchor component={Link} to={`/courses/${encodeURIComponent(course)}`}>
            {course}
          </Anchor>
        </Text>
        <Title order={2}>Gradebook</Title>
        <Text size="sm" c="dimmed">
          Best graded score of each student on each assignment. Click a score to see the submissions.
        </Text>
      </div>
      {gradebook.isPending ? <Loading /> : null}
      <ErrorAlert error={gradebook.error} />
      {gradebook.data ? (
        <GradebookTable course={course} gradebook={gradebook.data} csvUrl={gradebookCsvUrl(course)} />
      ) : null}
    </Stack>
  );
}
