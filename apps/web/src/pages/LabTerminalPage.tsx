import { Alert, Anchor, Badge, Box, Button, Group, Stack, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { Link, useParams } from 'react-router';
import { TerminalView } from '../modules/TerminalView.tsx';
import type { TerminalStatus } from '../modules/terminal-session.ts';
import { labSocketUrl } from '../utils/labs.ts';

const LABELS: Record<TerminalStatus['kind'], string> = {
  connecting: 'connecting',
  open: 'connected',
  exited: 'ended',
  failed: 'failed',
  closed: 'closed',
};

/** A browser terminal into one component of one lab copy. */
export function LabTerminalPage() {
  const { deployment, user, component } = useParams() as {
    deployment: string;
    user: string;
    component: string;
  };
  const [status, setStatus] = useState<TerminalStatus>({ kind: 'connecting' });
  // A new key mounts a new TerminalView: a fresh socket and a fresh shell.
  const [session, setSession] = useState(0);
  const ended = status.kind === 'exited' || status.kind === 'failed' || status.kind === 'closed';
  const socketUrl = useCallback(
    (size: { cols: number; rows: number }) =>
      labSocketUrl(window.location, deployment, user, component, 'terminal', size),
    [deployment, user, component],
  );
  return (
    <Stack h="calc(100dvh - 56px - 2 * var(--mantine-spacing-md))" gap="xs">
      <Group justify="space-between">
        <Text fw={600}>
          Terminal ·{' '}
          <Text span ff="monospace">
            {component}
          </Text>
        </Text>
        <Group gap="xs">
          <Badge variant="light" data-testid="terminal-status" data-status={status.kind}>
            {LABELS[status.kind]}
          </Badge>
          {ended ? (
            <Button size="xs" variant="default" onClick={() => setSession(session + 1)}>
              Reconnect
            </Button>
          ) : null}
          <Anchor component={Link} to="/my-labs" size="sm">
            My labs
          </Anchor>
        </Group>
      </Group>
      {status.kind === 'failed' ? (
        <Alert color="red" variant="light" title="The terminal could not be opened">
          {status.message}
        </Alert>
      ) : null}
      <Box flex={1} mih={0} bg="#000" p={4} style={{ borderRadius: 4 }}>
        <TerminalView key={session} socketUrl={socketUrl} onStatus={setStatus} />
      </Box>
    </Stack>
  );
}
