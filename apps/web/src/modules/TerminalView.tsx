import '@xterm/xterm/css/xterm.css';
import { Box } from '@mantine/core';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef } from 'react';
import { TerminalSession, type TerminalStatus } from './terminal-session.ts';

/**
 * xterm.js over the lab terminal WebSocket. The terminal fills its box and follows its size:
 * every fit sends a resize frame, so the remote shell wraps lines where the browser does.
 */
export function TerminalView({
  socketUrl,
  onStatus,
}: {
  socketUrl: (size: { cols: number; rows: number }) => string;
  onStatus: (status: TerminalStatus) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const statusRef = useRef(onStatus);
  statusRef.current = onStatus;
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    fit.fit();
    const session = new TerminalSession(new WebSocket(socketUrl({ cols: term.cols, rows: term.rows })), {
      output: (bytes) => term.write(bytes),
      status: (status) => {
        if (status.kind === 'exited')
          term.write(`\r\n\x1b[2m[the shell ended with ${status.code ?? 'no code'}]\x1b[0m\r\n`);
        statusRef.current(status);
      },
    });
    const typing = term.onData((data) => session.type(data));
    const resizing = term.onResize(({ cols, rows }) => session.resize(cols, rows));
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(element);
    term.focus();
    return () => {
      observer.disconnect();
      typing.dispose();
      resizing.dispose();
      session.close();
      term.dispose();
    };
  }, [socketUrl]);
  return <Box ref={box} data-testid="terminal" h="100%" w="100%" style={{ minHeight: 300 }} />;
}
