import { Anchor, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { RunView } from '../api/types.ts';
import { StatusBadge, VerdictBadge } from '../components/Badges.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { formatDate, formatScore } from '../utils/format.ts';

/** Submissions, newest first, each linking to its page. `who` names the student for staff. */
export function SubmissionsTable({ runs, who }: { runs: RunView[]; who?: (userId: string) => string }) {
  if (runs.length === 0) return <EmptyState title="No submissions yet" />;
  return (
    <Table.ScrollContainer minWidth={420}>
      <Table striped highlightOnHover aria-label="Submissions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            {who ? <Table.Th>Student</Table.Th> : null}
            <Table.Th>Submitted</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th>Score</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runs.map((run, index) => (
            <Table.Tr key={run.id} data-testid="submission-row">
              <Table.Td>
                <Anchor component={Link} to={`/runs/${run.id}`}>
                  {runs.length - index}
                </Anchor>
              </Table.Td>
              {who ? <Table.Td>{who(run.userId)}</Table.Td> : null}
              <Table.Td>
                <Anchor component={Link} to={`/runs/${run.id}`}>
                  <Text span size="sm">
                    {formatDate(run.createdAt)}
                  </Text>
                </Anchor>
              </Table.Td>
              <Table.Td>
                {run.status === 'completed' ? (
                  <VerdictBadge verdict={run.verdict} size="sm" />
                ) : (
                  <StatusBadge status={run.status} />
                )}
              </Table.Td>
              <Table.Td>{formatScore(run.score, run.maxScore)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
