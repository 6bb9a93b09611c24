import { Alert, Box } from '@mantine/core';
import { useState } from 'react';
import { useParams } from 'react-router';
import { LabSessionFrame } from '../components/LabSessionFrame.tsx';
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
    <LabSessionFrame
      title="Desktop"
      component={component}
      statusTestId="desktop-status"
      statusKind={status.kind}
      statusLabel={status.kind}
      ended={ended}
      onReconnect={() => setSession(session + 1)}
      failure={
        status.kind === 'failed'
          ? { title: 'The desktop could not be opened', message: status.message }
          : undefined
      }
      notices={
        status.kind === 'disconnected' && !status.clean ? (
          <Alert color="orange" variant="light" title="Disconnected">
            The connection to the desktop was lost or refused (is the lab running?).
          </Alert>
        ) : null
      }
    >
      <Box flex={1} mih={0}>
        <DesktopView key={session} url={url} onStatus={setStatus} />
      </Box>
    </LabSessionFrame>
  );
}
