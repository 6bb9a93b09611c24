import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runOf } from '@aperture/backend-contract';
import type { Logger, Run, Store } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig } from './config.ts';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { InProcessEventBus } from './infra/event-bus.ts';
import { OutboundClient, OutboundPolicy, type Resolver } from './outbound/index.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import { startTestServer, type TestServer } from './testing/test-server.ts';
import { startWebhookDelivery, webhookTargetPolicy } from './webhooks.ts';

interface Receiver {
  port: number;
  connections: number;
  bodies: string[];
  server: Server;
}

/** A webhook receiver on a loopback address; it counts connections, so "nothing arrived" is strict. */
async function receiver(
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok'),
  host = '127.0.0.1',
  port = 0,
): Promise<Receiver> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      r.bodies.push(body);
      answer(req, res);
    });
  });
  const r: Receiver = { port: 0, connections: 0, bodies: [], server };
  server.on('connection', () => r.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  r.port = (server.address() as AddressInfo).port;
  return r;
}

function close(r: Receiver): Promise<void> {
  r.server.closeAllConnections();
  return new Promise((resolve) => r.server.close(() => resolve()));
}

/** DNS played from a script: one answer per lookup of a name, the last one repeated. */
function scriptedDns(answers: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve: Resolver = async (hostname) => {
    const script = answers[hostname] ?? [];
    const address = script[Math.min(calls.filter((h) => h === hostname).length, script.length - 1)];
    calls.push(hostname);
    if (!address) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    return [{ address, family: 4 }];
  };
  return Object.assign(resolve, { calls });
}

const program = (stdout: string) => ({ language: 'python', files: [{ path: 'a.py', content: stdout }] });

async function webhookStatus(t: TestServer, runId: string): Promise<Run['webhookStatus'] | undefined> {
  return (await t.server.ctx.deps.store.runs.get(runId))?.webhookStatus;
}

describe('webhooks, default policy', () => {
  let t: TestServer;
  let student: string;
  const dns = scriptedDns({ 'hooks.test': ['127.0.0.1'] });

  beforeAll(async () => {
    t = await startTestServer(new ScriptedExecutor(), {}, { outboundResolver: dns });
    student = await t.login('student', DEMO_PASSWORD);
  });
  afterAll(async () => t?.close());

  it('does not deliver to a name that resolves to 127.0.0.1; the run records failed', async () => {
    const hook = await receiver();
    try {
      const created = await t.api(student, 'POST', '/api/v1/runs', {
        ...program('hook'),
        webhookUrl: `http://hooks.test:${hook.port}/done`,
      });
      expect(created.status).toBe(202);
      await expect.poll(() => webhookStatus(t, created.body.id), { timeout: 10_000 }).toBe('failed');
      expect(hook.connections).toBe(0);
      expect(dns.calls).toEqual(['hooks.test']);
    } finally {
      await close(hook);
    }
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://127.0.0.1:8080/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://localhost./', 'loopback'],
    ['http://10.0.0.8/', 'private'],
  ])('refuses webhookUrl %s at submission with 400, saying how to allow it', async (url, kind) => {
    const response = await t.api(student, 'POST', '/api/v1/runs', { ...program('x'), webhookUrl: url });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'validation_failed',
      details: { field: 'webhookUrl', reason: 'address' },
    });
    expect(response.body.error.message).toContain(kind === 'metadata' ? 'cloud metadata' : kind);
    expect(response.body.error.message).toContain('APERTURE_WEBHOOK_ALLOW_LIST');
  });

  it.each([
    ['ftp://example.com/hook', 'http or https'],
    ['http://user:secret@example.com/hook', 'user name or password'],
  ])('refuses webhookUrl %s at submission', async (url, message) => {
    const response = await t.api(student, 'POST', '/api/v1/runs', { ...program('x'), webhookUrl: url });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(message);
  });

  it('refuses a bad webhookUrl in a batch too', async () => {
    const response = await t.api(student, 'POST', '/api/v1/runs/batch', {
      runs: [program('a'), { ...program('b'), webhookUrl: 'http://169.254.169.254/' }],
    });
    expect(response.status).toBe(400);
  });
});

describe('webhooks, 127.0.0.1 and 127.0.0.2 allow-listed', () => {
  let t: TestServer;
  let student: string;
  // 127.0.0.2 plays a public address; the second answer is the rebinding attack.
  const dns = scriptedDns({ 'rebind.test': ['127.0.0.2', '127.0.0.1'] });

  beforeAll(async () => {
    t = await startTestServer(
      new ScriptedExecutor(),
      { webhookAllowList: '127.0.0.1/32, 127.0.0.2' },
      { outboundResolver: dns },
    );
    student = await t.login('student', DEMO_PASSWORD);
  });
  afterAll(async () => t?.close());

  it('delivers to an allowed address and records delivered', async () => {
    const hook = await receiver();
    try {
      const created = await t.api(student, 'POST', '/api/v1/runs', {
        ...program('hook'),
        webhookUrl: `http://127.0.0.1:${hook.port}/done`,
      });
      expect(created.status).toBe(202);
      await expect.poll(() => webhookStatus(t, created.body.id), { timeout: 10_000 }).toBe('delivered');
      expect(JSON.parse(hook.bodies[0]!)).toMatchObject({ id: created.body.id, stdout: 'hook' });
    } finally {
      await close(hook);
    }
  });

  it('does not follow a redirect, even to an allowed address; the run records failed', async () => {
    const next = await receiver();
    const hook = await receiver((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${next.port}/elsewhere` }).end(),
    );
    try {
      const created = await t.api(student, 'POST', '/api/v1/runs', {
        ...program('hook'),
        webhookUrl: `http://127.0.0.1:${hook.port}/done`,
      });
      await expect.poll(() => webhookStatus(t, created.body.id), { timeout: 10_000 }).toBe('failed');
      // One try: a redirect would only redirect again.
      expect(hook.bodies).toHaveLength(1);
      expect(next.connections).toBe(0);
    } finally {
      await Promise.all([close(hook), close(next)]);
    }
  });

  it('connects to the address it checked, not to what DNS says next (rebinding)', async () => {
    const internal = await receiver();
    const good = await receiver(undefined, '127.0.0.2', internal.port);
    try {
      const created = await t.api(student, 'POST', '/api/v1/runs', {
        ...program('hook'),
        webhookUrl: `http://rebind.test:${good.port}/done`,
      });
      await expect.poll(() => webhookStatus(t, created.body.id), { timeout: 10_000 }).toBe('delivered');
      expect(good.bodies).toHaveLength(1);
      expect(internal.connections).toBe(0);
      expect(dns.calls).toEqual(['rebind.test']);
    } finally {
      await Promise.all([close(internal), close(good)]);
    }
  });
});

describe('startWebhookDelivery', () => {
  const entries: Array<{ level: string; obj: object; msg: string | undefined }> = [];
  const logger: Logger = {
    info: (obj, msg) => entries.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj, msg }),
    debug: () => {},
  };
  const statuses = new Map<string, string>();
  const store = {
    runs: { setWebhookStatus: async (id: string, status: string) => void statuses.set(id, status) },
  } as unknown as Store;

  function completed(id: string, webhookUrl: string): Run {
    return { ...runOf({ language: 'python', files: [] }, id), status: 'completed', webhookUrl };
  }

  async function deliverOnce(run: Run, options: { enabled?: boolean; allow?: string; timeoutMs?: number }) {
    const events = new InProcessEventBus();
    const client = new OutboundClient(OutboundPolicy.fromConfig(options.allow ?? ''), {
      timeoutMs: options.timeoutMs ?? 5_000,
    });
    const stop = startWebhookDelivery(events, store, logger, () => new Date(), {
      enabled: options.enabled ?? true,
      client,
      backoffMs: () => 10,
    });
    events.publish({ type: 'run.completed', runId: run.id, run });
    await expect.poll(() => statuses.get(run.id), { timeout: 10_000 }).toBeDefined();
    stop();
    return entries.filter((e) => (e.obj as { runId?: string }).runId === run.id);
  }

  it('logs why a delivery was refused, with the run id and how to allow it', async () => {
    const hook = await receiver();
    try {
      const logged = await deliverOnce(completed('r-refused', `http://127.0.0.1:${hook.port}/`), {});
      expect(statuses.get('r-refused')).toBe('failed');
      expect(logged).toEqual([
        {
          level: 'warn',
          obj: { runId: 'r-refused', reason: 'address', kind: 'loopback' },
          msg: 'webhook refused: 127.0.0.1 is a loopback address (an admin can allow it with webhookAllowList / APERTURE_WEBHOOK_ALLOW_LIST)',
        },
      ]);
      expect(hook.connections).toBe(0);
    } finally {
      await close(hook);
    }
  });

  it('gives a receiver that never answers three bounded tries, then records failed', async () => {
    const hook = await receiver(() => {
      // Never answer.
    });
    try {
      const started = Date.now();
      const logged = await deliverOnce(completed('r-slow', `http://127.0.0.1:${hook.port}/`), {
        allow: '127.0.0.1',
        timeoutMs: 200,
      });
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(statuses.get('r-slow')).toBe('failed');
      expect(hook.bodies).toHaveLength(3);
      expect(logged[0]?.msg).toMatch(/^webhook not delivered: no complete answer within 200 ms/);
    } finally {
      await close(hook);
    }
  });

  it('retries a 5xx and records delivered when a later try succeeds', async () => {
    let calls = 0;
    const hook = await receiver((_req, res) => res.writeHead(++calls === 1 ? 503 : 200).end());
    try {
      await deliverOnce(completed('r-retry', `http://127.0.0.1:${hook.port}/`), { allow: '127.0.0.1' });
      expect(statuses.get('r-retry')).toBe('delivered');
      expect(hook.bodies).toHaveLength(2);
    } finally {
      await close(hook);
    }
  });

  it('records failed without a request when webhooks are turned off', async () => {
    const hook = await receiver();
    try {
      const logged = await deliverOnce(completed('r-off', `http://127.0.0.1:${hook.port}/`), {
        enabled: false,
        allow: '127.0.0.1',
      });
      expect(statuses.get('r-off')).toBe('failed');
      expect(logged[0]?.msg).toContain('webhooks are turned off');
      expect(hook.connections).toBe(0);
    } finally {
      await close(hook);
    }
  });
});

describe('webhook settings', () => {
  it('come from APERTURE_WEBHOOK_ALLOW_LIST and APERTURE_WEBHOOKS_ENABLED; safe by default', () => {
    expect(loadServerConfig({}, {})).toMatchObject({ webhooksEnabled: true, webhookAllowList: '' });
    const config = loadServerConfig(
      {},
      { APERTURE_WEBHOOK_ALLOW_LIST: '10.0.0.0/8, hooks.internal', APERTURE_WEBHOOKS_ENABLED: 'false' },
    );
    expect(config).toMatchObject({ webhooksEnabled: false, webhookAllowList: '10.0.0.0/8, hooks.internal' });
  });

  it('stop the start on an allow-list entry that is neither a range nor a name, naming it', () => {
    expect(() => loadServerConfig({}, { APERTURE_WEBHOOK_ALLOW_LIST: '10.0.0.0/8, 10.0.0.0/40' })).toThrow(
      ConfigError,
    );
    expect(() => loadServerConfig({}, { APERTURE_WEBHOOK_ALLOW_LIST: 'http://x/' })).toThrow(
      /webhookAllowList: .*http:\/\/x\//,
    );
  });

  it('turned off, refuse every webhookUrl at submission, saying how to turn them on', () => {
    const targets = webhookTargetPolicy({ enabled: false, policy: new OutboundPolicy() });
    expect(targets.refusal(new URL('https://hooks.example.org/'))).toMatchObject({
      reason: 'disabled',
      message: expect.stringContaining('APERTURE_WEBHOOKS_ENABLED'),
    });
  });
});
