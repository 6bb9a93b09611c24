import { Box, Table, Text } from '@mantine/core';
import { useMemo } from 'react';
import { type DiffRow, diffLines } from '../utils/diff.ts';
import styles from './DiffView.module.css';

// CSS module keys are known to exist; the index signature would make each `string | undefined`.
const classes = styles as Record<
  'wrap' | 'table' | 'number' | 'code' | 'removed' | 'added' | 'empty' | 'marker',
  string
>;

/** Expected and actual output side by side, differing lines marked. */
export function DiffView({ expected, actual }: { expected: string; actual: string }) {
  const rows = useMemo(() => diffLines(expected, actual), [expected, actual]);
  return (
    <Box className={classes.wrap}>
      <Table className={classes.table} withColumnBorders aria-label="Expected and actual output">
        <colgroup>
          <col className={classes.number} />
          <col />
          <col className={classes.number} />
          <col />
        </colgroup>
        <Table.Thead>
          <Table.Tr>
            <Table.Th colSpan={2}>Expected</Table.Th>
            <Table.Th colSpan={2}>Actual output</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.length === 0 ? (
            <Table.Tr>
              <Table.Td colSpan={4}>
                <Text size="sm" c="dimmed">
                  Both are empty.
                </Text>
              </Table.Td>
            </Table.Tr>
          ) : (
            rows.map((row) => (
              <Row key={`${row.left?.number ?? '-'}:${row.right?.number ?? '-'}`} row={row} />
            ))
          )}
        </Table.Tbody>
      </Table>
    </Box>
  );
}

function Row({ row }: { row: DiffRow }) {
  const leftClass = row.kind === 'same' ? undefined : classes.removed;
  const rightClass = row.kind === 'same' ? undefined : classes.added;
  return (
    <Table.Tr data-kind={row.kind}>
      <Table.Td className={classes.number}>{row.left?.number ?? ''}</Table.Td>
      <Table.Td className={`${classes.code} ${row.left ? (leftClass ?? '') : classes.empty}`}>
        {row.left ? visible(row.left.text) : ''}
      </Table.Td>
      <Table.Td className={classes.number}>{row.right?.number ?? ''}</Table.Td>
      <Table.Td className={`${classes.code} ${row.right ? (rightClass ?? '') : classes.empty}`}>
        {row.right ? visible(row.right.text) : ''}
      </Table.Td>
    </Table.Tr>
  );
}

/** Trailing spaces and empty lines matter in output: make them visible. */
function visible(text: string) {
  if (text === '') return <span className={classes.marker}>⏎</span>;
  const trailing = /\s+$/.exec(text)?.[0] ?? '';
  if (trailing === '') return text;
  return (
    <>
      {text.slice(0, text.length - trailing.length)}
      <span className={classes.marker}>{trailing.replace(/ /g, '·').replace(/\t/g, '→')}</span>
    </>
  );
}
