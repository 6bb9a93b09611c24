import { Anchor, Button, Group, Select, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Gradebook } from '../api/types.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { type GradebookFilter, type SortKey, type SortState, visibleRows } from '../utils/gradebook.ts';

export interface GradebookTableProps {
  course: string;
  gradebook: Gradebook;
  csvUrl: string;
}

/** Best score per student and assignment: sortable columns, filters, CSV export. */
export function GradebookTable({ course, gradebook, csvUrl }: GradebookTableProps) {
  const [filter, setFilter] = useState<GradebookFilter>({ text: '', missing: null });
  const [sort, setSort] = useState<SortState>({ key: 'username', direction: 'asc' });
  const rows = visibleRows(gradebook, filter, sort);
  const maxTotal = gradebook.assignments.reduce((s, a) => s + a.maxScore, 0);
  const toggle = (key: SortKey) =>
    setSort((s) => ({ key, direction: s.key === key && s.direction === 'asc' ? 'desc' : 'asc' }));
  const header = (key: SortKey, label: string) => (
    <Table.Th
      key={key}
      aria-sort={sort.key === key ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
      style={{ whiteSpace: 'nowrap' }}
    >
      <UnstyledButton onClick={() => toggle(key)} fw={700} fz="sm">
        {label} {sort.key === key ? (sort.direction === 'asc' ? '▲' : '▼') : ''}
      </UnstyledButton>
    </Table.Th>
  );

  return (
    <>
      <Group justify="space-between" align="flex-end" mb="md" wrap="wrap">
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label="Filter students"
            placeholder="name or username"
            value={filter.text}
            onChange={(e) => setFilter({ ...filter, text: e.currentTarget.value })}
          />
          <Select
            label="Show"
            value={filter.missing ?? ''}
            onChange={(v) => setFilter({ ...filter, missing: v ? v : null })}
            allowDeselect={false}
            data={[
              { value: '', label: 'Everyone' },
              ...gradebook.assignments.map((a) => ({ value: a.id, label: `No score on ${a.title}` })),
            ]}
          />
        </Group>
        <Button component="a" href={csvUrl} download="gradebook.csv" variant="default">
          Export CSV
        </Button>
      </Group>
      {gradebook.rows.length === 0 ? (
        <EmptyState title="No students yet">Import a roster to enrol students.</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table striped highlightOnHover withTableBorder aria-label="Gradebook">
            <Table.Thead>
              <Table.Tr>
                {header('username', 'Username')}
                {header('displayName', 'Name')}
                {gradebook.assignments.map((a) => header(`a:${a.id}`, `${a.title} (${a.maxScore})`))}
                {header('total', `Total (${maxTotal})`)}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.userId} data-testid="gradebook-row" data-username={row.username}>
                  <Table.Td ff="monospace">{row.username}</Table.Td>
                  <Table.Td>{row.displayName}</Table.Td>
                  {gradebook.assignments.map((a) => (
                    <Table.Td key={a.id} data-assignment={a.slug}>
                      {(row.submissions[a.id] ?? 0) > 0 ? (
                        <Anchor
                          component={Link}
                          to={`/courses/${encodeURIComponent(course)}/assignments/${encodeURIComponent(a.slug)}?student=${encodeURIComponent(row.userId)}`}
                          title={`${row.submissions[a.id]} submissions`}
                        >
                          {row.scores[a.id] ?? '—'}
                        </Anchor>
                      ) : (
                        <Text span c="dimmed">
                          —
                        </Text>
                      )}
                    </Table.Td>
                  ))}
                  <Table.Td fw={700}>{row.total}</Table.Td>
                </Table.Tr>
              ))}
              {rows.length === 0 ? (
                <Table.Tr>
                  <Table.Td colSpan={gradebook.assignments.length + 3}>
                    <Text c="dimmed">No student matches the filter.</Text>
                  </Table.Td>
                </Table.Tr>
              ) : null}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}
