import { Box } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useParams } from 'react-router';
import { LabSessionFrame } from '../components/LabSessionFrame.tsx';
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
    <LabSessionFrame
      title="Terminal"
      component={component}
      statusTestId="terminal-status"
      statusKind={status.kind}
      statusLabel={LABELS[status.kind]}
      ended={ended}
      onReconnect={() => setSession(session + 1)}
      failure={
        status.kind === 'failed'
          ? { title: 'The terminal could not be opened', message: status.message }
          : undefined
      }
    >
      <Box flex={1} mih={0} bg="#000" p={4} style={{ borderRadius: 4 }}>
        <TerminalView key={session} socketUrl={socketUrl} onStatus={setStatus} />
      </Box>
    </LabSessionFrame>
  );
}
