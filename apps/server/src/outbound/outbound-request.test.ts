import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboundPolicy } from './address-policy.ts';
import { OutboundNetworkError, OutboundRefusedError, OutboundTimeoutError } from './errors.ts';
import { OutboundClient, type Resolver } from './outbound-request.ts';

/** A real HTTP server on a loopback address; it counts connections, not only requests. */
interface Receiver {
  port: number;
  connections: number;
  requests: Array<{ method: string; url: string; host: string; body: string }>;
}

const servers: Server[] = [];

async function receiver(
  handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok'),
  host = '127.0.0.1',
  port = 0,
): Promise<Receiver> {
  const r: Receiver = { port: 0, connections: 0, requests: [] };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      r.requests.push({ method: req.method!, url: req.url!, host: req.headers.host!, body });
      handle(req, res);
    });
  });
  server.on('connection', () => r.connections++);
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  r.port = (server.address() as AddressInfo).port;
  return r;
}

/** A resolver that answers from a script, one answer per call, the last one repeated. */
function scriptedDns(answers: Record<string, string[][]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    const script = answers[hostname];
    if (!script) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const answer = script[Math.min(calls.filter((h) => h === hostname).length, script.length - 1)]!;
    calls.push(hostname);
    return answer.map((address) => ({
      address,
      family: address.includes(':') ? (6 as const) : (4 as const),
    }));
  };
  return Object.assign(resolve, { calls });
}

const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' };

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('OutboundClient against real loopback servers', () => {
  it('refuses 127.0.0.1 by default without opening a connection', async () => {
    const hook = await receiver();
    const client = new OutboundClient(new OutboundPolicy());
    const sent = client.send(`http://127.0.0.1:${hook.port}/done`, post);
    await expect(sent).rejects.toBeInstanceOf(OutboundRefusedError);
    await expect(sent).rejects.toMatchObject({ refusal: { reason: 'address', kind: 'loopback' } });
    expect(hook.connections).toBe(0);
  });

  it('refuses a name that resolves to loopback, and one with any non-public answer', async () => {
    const hook = await receiver();
    const dns = scriptedDns({
      'hooks.test': [['127.0.0.1']],
      'mixed.test': [['93.184.216.34', '127.0.0.1']],
    });
    const client = new OutboundClient(new OutboundPolicy(), { resolve: dns });
    await expect(client.send(`http://hooks.test:${hook.port}/`, post)).rejects.toThrow(
      'hooks.test resolves to 127.0.0.1, a loopback address',
    );
    await expect(client.send(`http://mixed.test:${hook.port}/`, post)).rejects.toMatchObject({
      code: 'outbound_refused',
    });
    expect(hook.connections).toBe(0);
  });

  it('sends when the address is allow-listed, with the URL’s host in the Host header', async () => {
    const hook = await receiver((_req, res) => res.writeHead(204).end());
    const client = new OutboundClient(OutboundPolicy.fromConfig('127.0.0.1'));
    const response = await client.send(`http://127.0.0.1:${hook.port}/done?x=1`, post);
    expect(response.status).toBe(204);
    expect(hook.requests).toEqual([
      { method: 'POST', url: '/done?x=1', host: `127.0.0.1:${hook.port}`, body: '{"a":1}' },
    ]);
  });

  it('connects to the address it checked: DNS answers once per request, by IP, name kept in Host', async () => {
    // 127.0.0.2 stands in for a public address (allow-listed); 127.0.0.1 on the same port is the
    // internal service a rebinding DNS server would like the second lookup to reach.
    const internal = await receiver();
    const good = await receiver(undefined, '127.0.0.2', internal.port);
    const dns = scriptedDns({ 'rebind.test': [['127.0.0.2'], ['127.0.0.1']] });
    const client = new OutboundClient(OutboundPolicy.fromConfig('127.0.0.2'), { resolve: dns });

    const first = await client.send(`http://rebind.test:${good.port}/hook`, post);
    expect(first.status).toBe(200);
    expect(good.requests.map((r) => r.host)).toEqual([`rebind.test:${good.port}`]);
    expect(dns.calls).toEqual(['rebind.test']);

    // The next request asks again, gets 127.0.0.1, and refuses before connecting.
    await expect(client.send(`http://rebind.test:${good.port}/hook`, post)).rejects.toBeInstanceOf(
      OutboundRefusedError,
    );
    expect(dns.calls).toHaveLength(2);
    expect(internal.connections).toBe(0);
  });

  it('hands a redirect back instead of following it, even to an allowed address', async () => {
    const target = await receiver();
    const hook = await receiver((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/next` }).end(),
    );
    const client = new OutboundClient(OutboundPolicy.fromConfig('127.0.0.1'));
    const response = await client.send(`http://127.0.0.1:${hook.port}/`, post);
    expect(response.status).toBe(302);
    expect(hook.requests).toHaveLength(1);
    expect(target.connections).toBe(0);
  });

  it('gives up on a server that never answers within the timeout', async () => {
    const hook = await receiver(() => {
      // Never answer.
    });
    const client = new OutboundClient(OutboundPolicy.fromConfig('127.0.0.1'), { timeoutMs: 300 });
    const started = Date.now();
    await expect(client.send(`http://127.0.0.1:${hook.port}/`, post)).rejects.toBeInstanceOf(
      OutboundTimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('bounds the whole exchange: an answer that trickles forever times out too', async () => {
    const hook = await receiver((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const client = new OutboundClient(OutboundPolicy.fromConfig('127.0.0.1'), { timeoutMs: 300 });
    const started = Date.now();
    await expect(client.send(`http://127.0.0.1:${hook.port}/`, post)).rejects.toBeInstanceOf(
      OutboundTimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('does not wait past the timeout for DNS', async () => {
    const hanging: Resolver = () => new Promise(() => {});
    const client = new OutboundClient(new OutboundPolicy(), { resolve: hanging, timeoutMs: 200 });
    await expect(client.send('http://slow.test/', post)).rejects.toBeInstanceOf(OutboundTimeoutError);
  });

  it('reads at most maxResponseBytes of the answer', async () => {
    const hook = await receiver((_req, res) => res.end('x'.repeat(1024 * 1024)));
    const client = new OutboundClient(OutboundPolicy.fromConfig('127.0.0.1'), { maxResponseBytes: 1000 });
    const response = await client.send(`http://127.0.0.1:${hook.port}/`, post);
    expect(response.body.length).toBe(1000);
    expect(response.truncated).toBe(true);
  });

  it('refuses credentials and other schemes before asking DNS', async () => {
    const dns = scriptedDns({});
    const client = new OutboundClient(new OutboundPolicy(), { resolve: dns });
    await expect(client.send('http://user:pass@example.com/', post)).rejects.toMatchObject({
      refusal: { reason: 'userinfo' },
    });
    await expect(client.send('file:///etc/passwd', post)).rejects.toMatchObject({
      refusal: { reason: 'scheme' },
    });
    await expect(client.send('not a url', post)).rejects.toMatchObject({ refusal: { reason: 'url' } });
    expect(dns.calls).toEqual([]);
  });

  it('reports a name that does not resolve as a network error', async () => {
    const client = new OutboundClient(new OutboundPolicy(), { resolve: scriptedDns({}) });
    await expect(client.send('http://nowhere.test/', post)).rejects.toBeInstanceOf(OutboundNetworkError);
  });
});
