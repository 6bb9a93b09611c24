import { pino } from 'pino';
import { PodmanApiRunExecutor } from '@aperture/backend-podman';
import { file, requestFor, runOf } from '../packages/backend-contract/src/fixtures.ts';
const ex = await PodmanApiRunExecutor.create({ podmanPath: 'podman', imagePrefix: 'localhost/', poolSize: 0, poolLanguages: [], logger: pino({ level: 'silent' }), socketPath: '/tmp/apitest/podman.sock' });
console.log(await ex.health());
for (let i = 0; i < 4; i++) {
  const t = performance.now();
  const r = await ex.execute(requestFor(runOf({ language: 'python', files: [file('main.py', 'print("hello")')] })));
  console.log((performance.now() - t).toFixed(0), JSON.stringify(r).slice(0, 300));
}
await ex.close();
