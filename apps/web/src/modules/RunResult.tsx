import { Accordion, Alert, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { isFinished } from '../api/queries/runs.ts';
import type { RunView, TestView } from '../api/types.ts';
import { StatusBadge, VerdictBadge } from '../components/Badges.tsx';
import { DiffView } from '../components/DiffView.tsx';
import { OutputBlock } from '../components/OutputBlock.tsx';
import { formatBytes, formatMs, formatScore } from '../utils/format.ts';

/** A run's outcome: status while it waits, then verdict, score and each test. */
export function RunResult({ run }: { run: RunView }) {
  const finished = isFinished(run);
  return (
    <Stack gap="sm" data-testid="run-result" data-status={run.status}>
      <Group gap="sm" wrap="wrap">
        <StatusBadge status={run.status} />
        {finished ? <VerdictBadge verdict={run.verdict} size="lg" /> : null}
        {finished && run.maxScore !== null && run.kind === 'submission' ? (
          <Text fw={700} data-testid="run-score">
            Score {formatScore(run.score, run.maxScore)}
          </Text>
        ) : null}
      </Group>
      {!finished ? (
        <Text size="sm" c="dimmed">
          {run.status === 'queued' ? 'Waiting for a free sandbox…' : 'Running your code…'}
        </Text>
      ) : null}
      {run.message ? (
        <Alert color={run.status === 'failed' ? 'orange' : 'blue'} variant="light">
          {run.message}
        </Alert>
      ) : null}
      {run.compile && run.compile.verdict === 'compile_error' ? (
        <OutputBlock label="Compiler output" text={run.compile.output} />
      ) : null}
      {finished && run.tests.length === 0 && run.kind === 'adhoc' ? <AdhocOutput run={run} /> : null}
      {run.tests.length > 0 ? <TestList tests={run.tests} /> : null}
      {run.hiddenTests ? (
        <Paper withBorder p="sm" data-testid="hidden-tests">
          <Text size="sm">{hiddenSummary(run.hiddenTests)}</Text>
        </Paper>
      ) : null}
    </Stack>
  );
}

/** Honest about what the score covers, without revealing the hidden tests' outcome. */
export function hiddenSummary({ count, maxScore }: { count: number; maxScore: number }): string {
  const tests = count === 1 ? '1 hidden test' : `${count} hidden tests`;
  const points = maxScore === 1 ? '1 point' : `${maxScore} points`;
  return `${tests} worth ${points} also graded this submission; ${count === 1 ? 'its result is' : 'their results are'} not shown to you.`;
}

function AdhocOutput({ run }: { run: RunView }) {
  return (
    <Stack gap="xs">
      <SimpleGrid cols={{ base: 2, sm: 3 }}>
        <Metric label="Exit code" value={run.exitCode === null ? '—' : String(run.exitCode)} />
        <Metric label="Time" value={formatMs(run.timeMs)} />
        <Metric label="Memory" value={formatBytes(run.memoryBytes)} />
      </SimpleGrid>
      <OutputBlock label="Output" text={run.stdout} />
      {run.stderr ? <OutputBlock label="Errors (stderr)" text={run.stderr} /> : null}
    </Stack>
  );
}

function Metric({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text ff="monospace">{value}</Text>
    </div>
  );
}

function TestList({ tests }: { tests: TestView[] }) {
  const failing = tests.filter((t) => t.verdict !== 'accepted').map((t) => t.name);
  return (
    <Stack gap={4}>
      <Title order={4}>Tests</Title>
      <Accordion multiple variant="separated" defaultValue={failing}>
        {tests.map((test) => (
          <Accordion.Item
            key={test.name}
            value={test.name}
            data-testid="test-result"
            data-verdict={test.verdict}
          >
            <Accordion.Control>
              <Group justify="space-between" wrap="wrap" gap="xs">
                <Group gap="xs">
                  <Text fw={600}>{test.name}</Text>
                  <VerdictBadge verdict={test.verdict} size="sm" />
                </Group>
                <Group gap="md">
                  <Text size="sm">
                    {test.points} / {test.maxPoints} pts
                  </Text>
                  <Text size="sm" c="dimmed" visibleFrom="xs">
                    {formatMs(test.timeMs)} · {formatBytes(test.memoryBytes)}
                  </Text>
                </Group>
              </Group>
            </Accordion.Control>
            <Accordion.Panel>
              <TestDetails test={test} />
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </Stack>
  );
}

function TestDetails({ test }: { test: TestView }) {
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        Time {formatMs(test.timeMs)} (wall {formatMs(test.wallMs)}) · memory {formatBytes(test.memoryBytes)}
        {test.exitCode !== null ? ` · exit code ${test.exitCode}` : ''}
        {test.signal ? ` · signal ${test.signal}` : ''}
        {test.truncated ? ' · output truncated' : ''}
      </Text>
      {test.message ? <Alert variant="light">{test.message}</Alert> : null}
      {test.stdin ? <OutputBlock label="Input" text={test.stdin} /> : null}
      {test.expectedOutput !== null ? (
        test.verdict === 'accepted' ? (
          <OutputBlock label="Output" text={test.stdout} />
        ) : (
          <DiffView expected={test.expectedOutput} actual={test.stdout} />
        )
      ) : (
        <OutputBlock label="Output" text={test.stdout} />
      )}
      {test.stderr ? <OutputBlock label="Errors (stderr)" text={test.stderr} /> : null}
    </Stack>
  );
}
