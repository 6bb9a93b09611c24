import { Badge, Button, Card, Code, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { systemQuery } from '../../api/queries/admin.ts';
import { ErrorAlert } from '../../components/ErrorAlert.tsx';
import { Loading } from '../../components/Loading.tsx';

export function SystemPage() {
  const system = useQuery(systemQuery());
  const data = system.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>System</Title>
        <Button variant="default" onClick={() => system.refetch()} loading={system.isRefetching}>
          Refresh
        </Button>
      </Group>
      {system.isPending ? <Loading /> : null}
      <ErrorAlert error={system.error} />
      {data ? (
        <>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Stat label="Queued" value={data.runs.queued ?? 0} testId="stat-queued" />
            <Stat label="Running" value={data.dispatcher.running} testId="stat-running" />
            <Stat label="Completed" value={data.runs.completed ?? 0} />
            <Stat label="Failed" value={data.runs.failed ?? 0} />
          </SimpleGrid>
          <Card withBorder>
            <Group justify="space-between">
              <Text fw={700}>Execution backend: {data.backend.backend}</Text>
              <Badge color={data.backend.ok ? 'green' : 'red'} data-testid="backend-health">
                {data.backend.ok ? 'healthy' : 'unhealthy'}
              </Badge>
            </Group>
            {data.backend.details ? (
              <Code block mt="sm">
                {JSON.stringify(data.backend.details, null, 2)}
              </Code>
            ) : null}
          </Card>
          <Text size="sm" c="dimmed">
            Aperture {data.version} · database {data.database}
          </Text>
        </>
      ) : null}
    </Stack>
  );
}

function Stat({ label, value, testId }: { label: string; value: number; testId?: string }) {
  return (
    <Card withBorder data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
    </Card>
  );
}
