import { EventEmitter } from 'node:events';
import type { RunningServer, ServerConfig } from '@aperture/server';
import { describe, expect, it } from 'vitest';
import { Output } from '../output.ts';
import { closeOnSignals, serverSummary } from './server.ts';

const silent = () => new Output('text', { write: () => true }, { write: () => true });

describe('serverSummary', () => {
  it('lists the admin and demo logins created on this start', () => {
    const server = {
      url: 'http://127.0.0.1:8080',
      bootstrap: { adminCreated: true, adminPassword: 'pw-admin', demoCreated: true },
    } as RunningServer;
    const summary = serverSummary(server, { adminUsername: 'root', dataDir: '/d' } as ServerConfig);
    expect(summary.logins.map((l) => [l.username, l.password])).toEqual([
      ['root', 'pw-admin'],
      ['instructor', 'aperture-demo'],
      ['student', 'aperture-demo'],
      ['student2', 'aperture-demo'],
    ]);
    expect(summary).toMatchObject({ url: 'http://127.0.0.1:8080', database: 'sqlite' });
  });

  it('lists no logins on a later start', () => {
    const server = { url: 'u', bootstrap: { adminCreated: false, demoCreated: false } } as RunningServer;
    expect(
      serverSummary(server, { dataDir: '/d', databaseUrl: 'postgres://x' } as ServerConfig),
    ).toMatchObject({
      logins: [],
      database: 'postgres',
    });
  });
});

describe('closeOnSignals', () => {
  it('closes gracefully on the first signal and exits at once on the second', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    let closed = 0;
    let finishClose = () => {};
    const server = {
      close: () => {
        closed++;
        return new Promise<void>((resolve) => {
          finishClose = resolve;
        });
      },
    };
    closeOnSignals(server, silent(), (code) => exits.push(code), signals as unknown as NodeJS.Process);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(closed).toBe(1);
    expect(exits).toEqual([]);
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    finishClose();
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([130, 0]);
    expect(closed).toBe(1);
  });
});
