import { Alert, Loader } from '@mantine/core';
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect, useReducer } from 'react';
import { type ConnectionEvent, nextConnectionState, probeDelayMs } from '../api/connection.ts';

/** How long "Reconnected" stays on screen. */
const RESTORED_NOTICE_MS = 4_000;

/**
 * Says when the server cannot be reached and when it is back, and refetches what is on screen
 * once it is: a restart (a crash the supervisor undid, an upgrade) costs the user a banner, not a
 * page of "Cannot reach the server" and a manual reload.
 */
export function ConnectionBanner({ healthUrl = '/healthz' }: { healthUrl?: string }) {
  const queryClient = useQueryClient();
  const [state, dispatch] = useReducer(nextConnectionState, { kind: 'online' });

  useEffect(() => watchFailures(queryClient, dispatch), [queryClient]);

  useEffect(() => {
    if (state.kind === 'restored') {
      void queryClient.invalidateQueries();
      const timer = setTimeout(() => dispatch({ type: 'settled' }), RESTORED_NOTICE_MS);
      return () => clearTimeout(timer);
    }
    if (state.kind !== 'lost') return;
    let cancelled = false;
    const probe = async () => {
      const ok = await fetch(healthUrl, { cache: 'no-store' }).then(
        (response) => response.ok,
        () => false,
      );
      if (!cancelled) dispatch({ type: ok ? 'probe-succeeded' : 'probe-failed' });
    };
    const timer = setTimeout(probe, probeDelayMs(state.attempts));
    // The browser says the network is back: try now rather than at the next tick.
    const onOnline = () => {
      clearTimeout(timer);
      void probe();
    };
    window.addEventListener('online', onOnline);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      window.removeEventListener('online', onOnline);
    };
  }, [state, healthUrl, queryClient]);

  if (state.kind === 'online') return null;
  const lost = state.kind === 'lost';
  return (
    <Alert
      role="status"
      aria-live="polite"
      data-testid="connection-banner"
      data-state={state.kind}
      color={lost ? 'yellow' : 'green'}
      icon={lost ? <Loader size="xs" color="yellow" /> : undefined}
      title={lost ? 'Connection to the server lost' : 'Reconnected'}
      style={{
        position: 'fixed',
        bottom: 16,
        left: '50%',
        transform: 'translateX(-50%)',
        width: 'min(34rem, calc(100% - 2rem))',
        zIndex: 1000,
        boxShadow: 'var(--mantine-shadow-md)',
      }}
    >
      {lost
        ? 'Reconnecting… This page updates by itself once the server answers again.'
        : 'The server is back; what this page shows is being fetched again.'}
    </Alert>
  );
}

/** Every failed query or mutation is looked at: a lost connection starts the probing. */
function watchFailures(queryClient: QueryClient, dispatch: (event: ConnectionEvent) => void): () => void {
  const stopQueries = queryClient.getQueryCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'error')
      dispatch({ type: 'request-failed', error: event.action.error });
  });
  const stopMutations = queryClient.getMutationCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'error')
      dispatch({ type: 'request-failed', error: event.action.error });
  });
  return () => {
    stopQueries();
    stopMutations();
  };
}
