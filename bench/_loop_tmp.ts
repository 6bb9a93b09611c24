import { PodmanApiRunExecutor } from '@aperture/backend-podman';
import { pino } from 'pino';
import { file, requestFor, runOf } from '../packages/backend-contract/src/fixtures.ts';

const ex = await PodmanApiRunExecutor.create({
  podmanPath: 'podman',
  imagePrefix: 'localhost/',
  instance: 'loopdbg',
  poolSize: 0,
  poolLanguages: [],
  logger: pino({ level: 'warn' }),
});
let bad = 0;
for (let i = 0; i < 40; i++) {
  const t = performance.now();
  const r = await ex.execute(
    requestFor(runOf({ language: 'python', files: [file('main.py', 'print("hello")')] })),
  );
  if (r.kind !== 'result') {
    bad++;
    console.log(new Date().toISOString(), i, (performance.now() - t).toFixed(0), JSON.stringify(r));
  }
}
console.log('bad', bad);
await ex.close();
