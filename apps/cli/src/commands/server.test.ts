import { describe, expect, it } from 'vitest';
import { buildProgram } from '../program.ts';
import { camel, configFlags, type ServerFlags } from './server.ts';

function parseServerFlags(args: string[]): ServerFlags {
  const program = buildProgram();
  const server = program.commands.find((c) => c.name() === 'server')!;
  server.action(() => {});
  program.parse(['node', 'aperture', 'server', ...args]);
  return server.opts() as ServerFlags;
}

describe('aperture server flags', () => {
  it('maps every flag to its config field, leaving the rest to env and file', () => {
    const flags = configFlags(
      parseServerFlags([
        '--port',
        '0',
        '--data-dir',
        '/tmp/d',
        '--database-url',
        'postgres://db/a',
        '--concurrency',
        '4',
        '--pool-size',
        '2',
        '--pool-languages',
        'python,c',
        '--demo',
        '--log-level',
        'warn',
        '--bootstrap-token',
        'x'.repeat(20),
        '--podman',
        '/usr/bin/podman',
      ]),
    );
    expect(Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))).toEqual({
      port: '0',
      dataDir: '/tmp/d',
      databaseUrl: 'postgres://db/a',
      concurrency: '4',
      poolSize: '2',
      poolLanguages: 'python,c',
      seedDemo: true,
      logLevel: 'warn',
      bootstrapToken: 'x'.repeat(20),
      podmanPath: '/usr/bin/podman',
    });
    expect(flags['host']).toBeUndefined();
  });

  it('names options as commander does', () => {
    expect(camel('--data-dir <dir>')).toBe('dataDir');
    expect(camel('--host <host>')).toBe('host');
  });
});
