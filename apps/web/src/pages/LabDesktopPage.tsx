import { Alert, Anchor, Badge, Box, Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { type DesktopStatus, DesktopView } from '../modules/DesktopView.tsx';
import { labSocketUrl } from '../utils/labs.ts';

/** A lab component's desktop (VNC) in the browser, scaled to the window. */
export function LabDesktopPage() {
  const { deployment, user, component } = useParams() as {
    deployment: string;
    user: string;
    component: string;
  };
  const [status, setStatus] = useState<DesktopStatus>({ kind: 'connecting' });
  const url = labSocketUrl(window.location, deployment, user, component, 'vnc');
  const [session, setSession] = useState(0);
  const ended = status.kind === 'disconnected' || status.kind === 'failed';
  return (
    <Stack h="calc(100dvh - 56px - 2 * var(--mantine-spacing-md))" gap="xs">
      <Group justify="space-between">
        <Text fw={600}>
          Desktop ·{' '}
          <Text span ff="monospace">
            {component}
          </Text>
        </Text>
        <Group gap="xs">
          <Badge variant="light" data-testid="desktop-status" data-status={status.kind}>
            {status.kind}
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
        <Alert color="red" variant="light" title="The desktop could not be opened">
          {status.message}
        </Alert>
      ) : null}
      {status.kind === 'disconnected' && !status.clean ? (
        <Alert color="orange" variant="light" title="Disconnected">
          The connection to the desktop was lost or refused (is the lab running?).
        </Alert>
      ) : null}
      <Box flex={1} mih={0}>
        <DesktopView key={session} url={url} onStatus={setStatus} />
      </Box>
    </Stack>
  );
}
