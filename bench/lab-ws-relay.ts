/**
 * A lab page's WebSocket through Aperture's relay (apps/server/src/http/lab-ws-proxy.ts: its own
 * upgrade to the student's server over a TCP connection, then messages both ways) against the
 * bare thing: the same client talking to the same echo server directly. Loopback only. Rounds
 * alternate bare/relay so a load change on this noisy machine hits both; medians are reported.
 *
 *   node --import tsx bench/lab-ws-relay.ts [--rounds 5] [--pings 2000] [--mib 32]
 */
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { openLabSocket, relaySockets } from '../apps/server/src/http/lab-ws-proxy.ts';
import { median, timed } from './measure.ts';

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const ROUNDS = arg('rounds', 5);
const PINGS = arg('pings', 2000);
const MIB = arg('mib', 32);
const CHUNK = 64 * 1024;

const listen = (server: ReturnType<typeof createServer>) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

// The student's server: echoes every message as it came (text stays text).
const labHttp = createServer();
new WebSocketServer({ server: labHttp }).on('connection', (socket) =>
  socket.on('message', (data, binary) => socket.send(data, { binary })),
);
const labPort = await listen(labHttp);

// Aperture's part, without the routes around it: the relay the proxy runs once a link is authorized.
const relayHttp = createServer();
const browsers = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
relayHttp.on('upgrade', (request: IncomingMessage, socket, head) => {
  const connection = connect(labPort, '127.0.0.1');
  connection.once('connect', async () => {
    const upstream = await openLabSocket(request, { connection, host: 'web:8080', path: request.url ?? '/' });
    browsers.handleUpgrade(request, socket, head, (browser) => relaySockets(browser, upstream));
  });
});
const relayPort = await listen(relayHttp);

const open = (port: number) =>
  new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: false });
    socket.once('open', () => resolve(socket)).once('error', reject);
  });

/** PINGS round trips of a small text message, one after another: latency. */
async function pings(port: number): Promise<number> {
  const socket = await open(port);
  const { ms } = await timed(async () => {
    for (let i = 0; i < PINGS; i++)
      await new Promise<void>((resolve) => {
        socket.once('message', () => resolve());
        socket.send(`ping ${i} ${'x'.repeat(80)}`);
      });
  });
  socket.close();
  return ms / PINGS;
}

/** MIB MiB in 64 KiB binary messages, sent at once and echoed back: throughput both ways. */
async function bulk(port: number): Promise<number> {
  const socket = await open(port);
  const total = MIB * 1024 * 1024;
  const chunk = Buffer.alloc(CHUNK, 7);
  const { ms } = await timed(
    () =>
      new Promise<void>((resolve) => {
        let received = 0;
        socket.on('message', (data: Buffer) => {
          received += data.length;
          if (received >= total) resolve();
        });
        for (let sent = 0; sent < total; sent += CHUNK) socket.send(chunk, { binary: true });
      }),
  );
  socket.close();
  return (MIB * 2) / (ms / 1000); // MiB/s, both directions counted
}

const results = {
  bare: { ping: [] as number[], bulk: [] as number[] },
  relay: { ping: [] as number[], bulk: [] as number[] },
};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, port] of round % 2
    ? ([
        ['relay', relayPort],
        ['bare', labPort],
      ] as const)
    : ([
        ['bare', labPort],
        ['relay', relayPort],
      ] as const)) {
    results[name].ping.push(await pings(port));
    results[name].bulk.push(await bulk(port));
  }
}
const ping = { bare: median(results.bare.ping), relay: median(results.relay.ping) };
const mibs = { bare: median(results.bare.bulk), relay: median(results.relay.bulk) };
console.log(
  JSON.stringify(
    {
      rounds: ROUNDS,
      pingRoundTripMs: { ...ping, ratio: ping.relay / ping.bare },
      bulkMiBps: { ...mibs, ratio: mibs.relay / mibs.bare },
      samples: results,
    },
    null,
    2,
  ),
);
labHttp.close();
relayHttp.close();
process.exit(0);
