import { Alert, Anchor, Badge, Button, Group, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

export interface LabSessionFrameProps {
  /** `Terminal`, `Desktop`. */
  title: string;
  component: string;
  /** `data-testid` of the status badge (the e2e tests read it). */
  statusTestId: string;
  statusKind: string;
  statusLabel: string;
  /** The session is over: offer Reconnect. */
  ended: boolean;
  onReconnect: () => void;
  /** Shown as a red alert when set. */
  failure?: { title: string; message: string } | undefined;
  /** Further alerts between the header and the session. */
  notices?: ReactNode;
  children: ReactNode;
}

/** The page around one live lab session (terminal or desktop): title, state, Reconnect, errors. */
export function LabSessionFrame(props: LabSessionFrameProps) {
  return (
    <Stack h="calc(100dvh - 56px - 2 * var(--mantine-spacing-md))" gap="xs">
      <Group justify="space-between">
        <Text fw={600}>
          {props.title} ·{' '}
          <Text span ff="monospace">
            {props.component}
          </Text>
        </Text>
        <Group gap="xs">
          <Badge variant="light" data-testid={props.statusTestId} data-status={props.statusKind}>
            {props.statusLabel}
          </Badge>
          {props.ended ? (
            <Button size="xs" variant="default" onClick={props.onReconnect}>
              Reconnect
            </Button>
          ) : null}
          <Anchor component={Link} to="/my-labs" size="sm">
            My labs
          </Anchor>
        </Group>
      </Group>
      {props.failure ? (
        <Alert color="red" variant="light" title={props.failure.title}>
          {props.failure.message}
        </Alert>
      ) : null}
      {props.notices}
      {props.children}
    </Stack>
  );
}
