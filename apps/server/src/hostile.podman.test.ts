import { execFileSync } from 'node:child_process';
import { DEFAULT_ID_BASE, PodmanApiRunExecutor } from '@aperture/backend-podman';
import { pino } from 'pino';
import { describeHostileSubmissions } from './testing/hostile-suite.ts';

/** This suite's own instance label: parallel suites must not see (or sweep) each other. */
const INSTANCE = `test-hostile-${process.pid}`;

describeHostileSubmissions('real Podman', {
  // The default backend (Podman's REST API); the CLI backend passes the same contract suite.
  createExecutor: () =>
    PodmanApiRunExecutor.create({
      podmanPath: 'podman',
      imagePrefix: 'localhost/',
      poolSize: 0,
      poolLanguages: [],
      logger: pino({ level: 'silent' }),
      instance: INSTANCE,
    }),
  sandboxes: async () =>
    execFileSync(
      'podman',
      ['ps', '--all', '--filter', `label=dev.aperture.instance=${INSTANCE}`, '--format', '{{.Names}}'],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean),
  // The student's uid 1000 of the sandbox's user namespace, as the host sees it.
  programUids: [DEFAULT_ID_BASE + 1000, DEFAULT_ID_BASE + 1001],
});
