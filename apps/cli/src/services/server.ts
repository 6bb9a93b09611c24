import { DEMO_LOGINS, type RunningServer, type ServerConfig } from '@aperture/server';
import type { Output } from '../output.ts';

export interface ServerSummary {
  url: string;
  dataDir: string;
  database: string;
  logins: Array<{ username: string; password: string; role: string }>;
}

/** What the operator needs after start: where it is and, on a first start, how to sign in. */
export function serverSummary(server: RunningServer, config: ServerConfig): ServerSummary {
  const logins: ServerSummary['logins'] = [];
  if (server.bootstrap.adminCreated && server.bootstrap.adminPassword)
    logins.push({ username: config.adminUsername, password: server.bootstrap.adminPassword, role: 'admin' });
  if (server.bootstrap.demoCreated) {
    const { users, password } = DEMO_LOGINS;
    logins.push({ username: users.instructor, password, role: `instructor of ${DEMO_LOGINS.course}` });
    logins.push({ username: users.student, password, role: `student of ${DEMO_LOGINS.course}` });
    logins.push({ username: users.student2, password, role: `student of ${DEMO_LOGINS.course}` });
  }
  return {
    url: server.url,
    dataDir: config.dataDir,
    database: config.databaseUrl ? 'postgres' : 'sqlite',
    logins,
  };
}

export function printServerSummary(summary: ServerSummary, out: Output): void {
  out.result(summary, (s) =>
    [
      `Aperture is running at ${s.url}`,
      `  API docs: ${s.url}/api/docs   data: ${s.dataDir} (${s.database})`,
      ...(s.logins.length ? ['  Logins created on this start:'] : []),
      ...s.logins.map((l) => `    ${l.username.padEnd(12)} ${l.password.padEnd(16)} ${l.role}`),
      `  CLI: aperture login --server ${s.url}`,
    ].join('\n'),
  );
}

/**
 * First SIGINT/SIGTERM: close gracefully (running runs finish or are requeued).
 * A second one: exit at once.
 */
export function closeOnSignals(
  server: Pick<RunningServer, 'close'>,
  out: Output,
  exit: (code: number) => void = process.exit,
  signals: Pick<NodeJS.Process, 'on'> = process,
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      out.info(`${signal} again: exiting now`);
      exit(130);
      return;
    }
    closing = true;
    out.info(`${signal}: shutting down (send it again to exit at once)`);
    server.close().then(
      () => exit(0),
      (error: Error) => {
        out.error(`shutdown failed: ${error.message}`);
        exit(1);
      },
    );
  };
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);
}
