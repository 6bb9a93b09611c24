import { Code, Table, Text } from '@mantine/core';
import type { LabTemplateChange } from '../api/types.ts';
import { showValue } from '../utils/labs.ts';

const COLORS: Record<LabTemplateChange['change'], string> = {
  added: 'green',
  removed: 'red',
  changed: 'orange',
  reordered: 'gray',
};

/** What differs between two lab templates, one field per row (a structural diff, not lines). */
export function LabChangesTable({ changes }: { changes: readonly LabTemplateChange[] }) {
  if (changes.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No differences.
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table aria-label="Template changes" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Field</Table.Th>
            <Table.Th>Change</Table.Th>
            <Table.Th>Before</Table.Th>
            <Table.Th>After</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {changes.map((c) => (
            <Table.Tr key={`${c.path}:${c.change}`} data-change={c.change}>
              <Table.Td>
                <Code>{c.path}</Code>
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={COLORS[c.change]} fw={600}>
                  {c.change}
                </Text>
              </Table.Td>
              <Table.Td ff="monospace" fz="sm">
                {showValue(c.before)}
              </Table.Td>
              <Table.Td ff="monospace" fz="sm">
                {showValue(c.after)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
