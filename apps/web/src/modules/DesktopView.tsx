import { Box } from '@mantine/core';
import RFB from '@novnc/novnc';
import { useEffect, useRef } from 'react';

export type DesktopStatus =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'disconnected'; clean: boolean }
  | { kind: 'failed'; message: string };

/** noVNC's RFB over the lab VNC WebSocket, scaled to fit its box (the box follows the window). */
export function DesktopView({ url, onStatus }: { url: string; onStatus: (status: DesktopStatus) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const statusRef = useRef(onStatus);
  statusRef.current = onStatus;
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    statusRef.current({ kind: 'connecting' });
    const rfb = new RFB(element, url, { shared: true });
    rfb.scaleViewport = true;
    rfb.background = '#1a1b1e';
    rfb.addEventListener('connect', () => {
      statusRef.current({ kind: 'connected' });
      rfb.focus();
    });
    rfb.addEventListener('disconnect', (event) =>
      statusRef.current({
        kind: 'disconnected',
        clean: (event as CustomEvent<{ clean: boolean }>).detail.clean,
      }),
    );
    rfb.addEventListener('credentialsrequired', () =>
      statusRef.current({
        kind: 'failed',
        message: 'The desktop asks for a VNC password, which Aperture does not have.',
      }),
    );
    rfb.addEventListener('securityfailure', (event) =>
      statusRef.current({
        kind: 'failed',
        message: `The desktop refused the connection: ${(event as CustomEvent<{ reason?: string }>).detail.reason ?? 'security failure'}.`,
      }),
    );
    return () => rfb.disconnect();
  }, [url]);
  return (
    <Box ref={box} data-testid="desktop" h="100%" w="100%" style={{ minHeight: 300, overflow: 'hidden' }} />
  );
}
