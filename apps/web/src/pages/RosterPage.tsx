import {
  Alert,
  Anchor,
  Badge,
  Button,
  FileButton,
  Group,
  Paper,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { enrollmentsQuery, useImportRoster } from '../api/queries/courses.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { Loading } from '../components/Loading.tsx';
import { useCourseRole } from '../modules/useCourseRole.ts';

export function RosterPage() {
  const course = useParams().course!;
  const roster = useQuery(enrollmentsQuery(course));
  const { canEdit } = useCourseRole(course);
  return (
    <Stack>
      <div>
        <Text size="sm" c="dimmed">
          <Anchor component={Link} to={`/courses/${encodeURIComponent(course)}`}>
            {course}
          </Anchor>
        </Text>
        <Title order={2}>Roster</Title>
      </div>
      {canEdit ? <ImportRoster course={course} /> : null}
      {roster.isPending ? <Loading /> : null}
      <ErrorAlert error={roster.error} />
      {roster.data?.length === 0 ? <EmptyState title="Nobody is enrolled yet" /> : null}
      {roster.data && roster.data.length > 0 ? (
        <Table.ScrollContainer minWidth={360}>
          <Table striped aria-label="Roster">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Username</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {roster.data.map((e) => (
                <Table.Tr key={e.userId}>
                  <Table.Td ff="monospace">{e.username}</Table.Td>
                  <Table.Td>{e.displayName}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={e.role === 'student' ? 'blue' : 'grape'}>
                      {e.role}
                    </Badge>
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

function ImportRoster({ course }: { course: string }) {
  const [csv, setCsv] = useState('');
  const importRoster = useImportRoster(course);
  const summary = importRoster.data;
  return (
    <Paper withBorder p="md">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          importRoster.mutate(csv);
        }}
      >
        <Stack gap="sm">
          <Title order={4}>Import a roster</Title>
          <Text size="sm" c="dimmed">
            CSV with a header line: <code>username,name,email,role</code> (name, email and role optional; role
            is student, ta or instructor). All rows are imported, or none.
          </Text>
          <Textarea
            label="Roster CSV"
            autosize
            minRows={3}
            maxRows={12}
            value={csv}
            onChange={(e) => setCsv(e.currentTarget.value)}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          />
          <Group>
            <FileButton accept=".csv,text/csv" onChange={async (file) => file && setCsv(await file.text())}>
              {(props) => (
                <Button variant="default" {...props}>
                  Load a CSV file
                </Button>
              )}
            </FileButton>
            <Button type="submit" loading={importRoster.isPending} disabled={csv.trim() === ''}>
              Import
            </Button>
          </Group>
          <ErrorAlert error={importRoster.error} />
          {summary ? (
            <Alert color="green" variant="light" title="Roster imported">
              {summary.enrolled.length} enrolled ({summary.created.length} new accounts),{' '}
              {summary.updated.length} role changes, {summary.unchanged.length} unchanged.
            </Alert>
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}
