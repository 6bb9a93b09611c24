import { PodmanApiClient } from '../packages/backend-podman/src/podman-api-client.ts';
import { sandboxSpecGenerator } from '../packages/backend-podman/src/api-sandbox-spec.ts';
import { ApiSandbox } from '../packages/backend-podman/src/api-sandbox.ts';
import { file, requestFor, runOf } from '../packages/backend-contract/src/fixtures.ts';
import { imageRef } from '../packages/backend-podman/src/sandbox-args.ts';
const c = new PodmanApiClient('/tmp/apitest/podman.sock');
for (let i = 0; i < 5; i++) {
  const r = requestFor(runOf({ language: 'python', files: [file('main.py', 'print("hello")')] }));
  const spec = sandboxSpecGenerator({ ...r.sandbox, image: imageRef('localhost/', r.sandbox.image) }, `t${i}${Date.now()}`, {});
  const T = performance.now(); const lap = (s: string) => process.stdout.write(`${s}=${(performance.now() - T).toFixed(0)} `);
  const id = await c.createContainer(spec); lap('create');
  const { socket } = await c.attach(id); lap('attach');
  const chunks: Buffer[] = []; socket.on('data', (d) => { if (!chunks.length) lap('firstdata'); chunks.push(d); });
  const closed = new Promise((res) => socket.on('close', res));
  await c.startContainer(id); lap('start');
  socket.end(JSON.stringify(r.job));
  await closed; lap('closed');
  await c.removeContainer(id); lap('removed'); console.log();
}
c.close();
