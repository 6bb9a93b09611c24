import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadServerConfig } from './config.ts';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { startServer } from './server.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import {
  type ApiResponse,
  BOOTSTRAP_TOKEN,
  freshPostgresDatabase,
  startTestServer,
  type TestServer,
} from './testing/test-server.ts';

/** Time the tests move by hand: a back-off passes when they say so, not when the machine is slow. */
class TestClock implements Clock {
  private ms = Date.now();
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

const login = (t: TestServer, username: string, password: string, from?: string): Promise<ApiResponse> =>
  t.api(
    undefined,
    'POST',
    '/api/v1/auth/login',
    { username, password },
    from ? { 'x-forwarded-for': from } : {},
  );

const PASSPHRASE = 'quiet harbour lantern at dusk';
const addUser = async (t: TestServer, username: string): Promise<void> => {
  const created = await t.api(BOOTSTRAP_TOKEN, 'POST', '/api/v1/users', { username, password: PASSPHRASE });
  expect(created.status).toBe(201);
};

/** What a client can see of an answer, less what differs per request anyway. */
const visible = (response: ApiResponse) => ({
  status: response.status,
  body: response.body,
  headers: [...response.headers.entries()].filter(([name]) => !['date', 'set-cookie'].includes(name)),
});

const databaseFor = async (dialect: 'sqlite' | 'postgres') =>
  dialect === 'postgres' ? { databaseUrl: await freshPostgresDatabase(inject('postgresUrl')) } : {};

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`sign-in hardening on ${dialect}`, () => {
    let t: TestServer;
    const clock = new TestClock();

    // trustProxy: loopback, so each test plays its own client address by X-Forwarded-For.
    beforeAll(async () => {
      const config = { ...(await databaseFor(dialect)), trustProxy: ['loopback'] };
      t = await startTestServer(new ScriptedExecutor(), config, { clock });
    });
    afterAll(async () => t?.close());

    it('a sign-in now and then deletes expired sessions (refused anyway; the table does not grow)', async () => {
      const from = '198.51.100.77';
      const first = await login(t, 'student2', DEMO_PASSWORD, from);
      expect(first.status).toBe(200);
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!.split('=')[1]!;
      const { store, hasher } = t.server.ctx.deps;
      const idHash = hasher.digest(decodeURIComponent(cookie));
      expect(await store.sessions.get(idHash)).toBeDefined();
      clock.advance(15 * 24 * 3600_000); // past the 14 days of a session
      expect((await login(t, 'student2', DEMO_PASSWORD, from)).status).toBe(200);
      expect(await store.sessions.get(idHash)).toBeUndefined();
    });

    it('backs off an account after 5 failures: even the right password gets 429 until it passes', async () => {
      const from = '198.51.100.1';
      for (let i = 0; i < 5; i++) expect((await login(t, 'student', 'wrong-guess', from)).status).toBe(401);
      const verify = vi.spyOn(t.server.ctx.deps.hasher, 'verifyPassword');
      const throttled = await login(t, 'student', DEMO_PASSWORD, from);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('1');
      expect(throttled.body.error).toEqual({
        code: 'rate_limited',
        message: 'Too many failed sign-ins; try again in 1 second.',
        details: { retryAfterSeconds: 1 },
      });
      // Refused before the password was looked at: throttling also caps the scrypt work.
      expect(verify).not.toHaveBeenCalled();
      verify.mockRestore();

      clock.advance(1000);
      expect((await login(t, 'student', 'wrong-again', from)).status).toBe(401);
      const doubled = await login(t, 'student', DEMO_PASSWORD, from);
      expect([doubled.status, doubled.headers.get('retry-after')]).toEqual([429, '2']);
      clock.advance(1999);
      expect((await login(t, 'student', DEMO_PASSWORD, from)).status).toBe(429);
      clock.advance(1);
      expect((await login(t, 'student', DEMO_PASSWORD, from)).status).toBe(200);

      // Success reset the account: four more typos are not throttled.
      for (let i = 0; i < 4; i++) expect((await login(t, 'student', 'typo-typo', from)).status).toBe(401);
      expect((await login(t, 'student', DEMO_PASSWORD, from)).status).toBe(200);
    });

    it('lets at most 5 of a burst of 60 parallel wrong guesses reach the password check', async () => {
      const from = '198.51.100.10';
      const burst = await Promise.all(
        Array.from({ length: 60 }, () => login(t, 'instructor', 'wrong-guess', from)),
      );
      const statuses = burst.map((response) => response.status);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((status) => status !== 401).every((status) => status === 429)).toBe(true);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(55);
      clock.advance(2000);
      expect((await login(t, 'instructor', DEMO_PASSWORD, from)).status).toBe(200);
    });

    it('locks only the guessing address out of an account; the owner elsewhere signs in', async () => {
      const hostile = '198.51.100.11';
      await addUser(t, 'student3');
      for (let i = 0; i < 5; i++)
        expect((await login(t, 'student3', 'wrong-guess', hostile)).status).toBe(401);
      expect((await login(t, 'student3', 'wrong-guess', hostile)).status).toBe(429);
      // Refused attempts are not counted: hammering while locked does not lengthen the lock.
      for (let i = 0; i < 20; i++) await login(t, 'student3', 'wrong-guess', hostile);
      expect((await login(t, 'student3', PASSPHRASE, hostile)).headers.get('retry-after')).toBe('1');
      expect((await login(t, 'student3', PASSPHRASE, '203.0.113.11')).status).toBe(200);
      clock.advance(1000);
    });

    it('locks an account for everyone after 50 failures spread over many addresses', async () => {
      await addUser(t, 'student4');
      for (let address = 0; address < 10; address++) {
        for (let i = 0; i < 5; i++) {
          expect((await login(t, 'student4', 'wrong-guess', `203.0.113.${100 + address}`)).status).toBe(401);
        }
      }
      // A fresh address, the right password: refused while the account-wide lock holds.
      const refused = await login(t, 'student4', PASSPHRASE, '203.0.113.200');
      expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '1']);
      clock.advance(1000);
      expect((await login(t, 'student4', PASSPHRASE, '203.0.113.200')).status).toBe(200);
    });

    it('does not throttle a classroom address for one student’s many typos at their own account', async () => {
      const classroom = '198.51.100.12';
      await addUser(t, 'student5');
      // Each typo after its lock has passed, so every one is counted (at most 15 min apart).
      for (let i = 0; i < 25; i++) {
        expect((await login(t, 'student5', 'typo-typo', classroom)).status).toBe(401);
        clock.advance(900_000);
      }
      expect((await login(t, 'student2', DEMO_PASSWORD, classroom)).status).toBe(200);
    });

    it('throttles one address across many usernames, but not the other addresses', async () => {
      const attacker = '198.51.100.2';
      for (let i = 0; i < 20; i++) {
        expect((await login(t, `someone-${i}`, 'guess-guess', attacker)).status).toBe(401);
      }
      const blocked = await login(t, 'student2', DEMO_PASSWORD, attacker);
      expect([blocked.status, blocked.headers.get('retry-after')]).toEqual([429, '1']);
      expect((await login(t, 'student2', DEMO_PASSWORD, '203.0.113.5')).status).toBe(200);
      clock.advance(1000);
      expect((await login(t, 'student2', DEMO_PASSWORD, attacker)).status).toBe(200);
    });

    it('answers an unknown user exactly as a known one: wrong password, then throttled', async () => {
      const from = '198.51.100.3';
      const unknown = visible(await login(t, 'no-such-person', 'wrong-guess', from));
      const known = visible(await login(t, 'instructor', 'wrong-guess', from));
      expect(unknown).toEqual(known);
      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toEqual({ code: 'unauthenticated', message: 'Wrong username or password.' });
      for (let i = 0; i < 4; i++) {
        await login(t, 'no-such-person', 'wrong-guess', from);
        await login(t, 'instructor', 'wrong-guess', from);
      }
      const unknownThrottled = visible(await login(t, 'no-such-person', 'x', from));
      const knownThrottled = visible(await login(t, 'instructor', DEMO_PASSWORD, from));
      expect(unknownThrottled).toEqual(knownThrottled);
      expect(unknownThrottled.status).toBe(429);
      clock.advance(1000);
    });

    it('refuses common, short and context passwords with a 400 that says why; a passphrase is fine', async () => {
      const create = (username: string, password: string) =>
        t.api(BOOTSTRAP_TOKEN, 'POST', '/api/v1/users', { username, password });
      for (const password of ['password', '12345678', 'Password1']) {
        const refused = await create('newcomer', password);
        expect(refused.status, password).toBe(400);
        expect(refused.body.error.code).toBe('validation_failed');
        expect(refused.body.error.message).toMatch(/list of commonly used passwords/);
        expect(refused.body.error.details).toEqual({ field: 'password', reason: 'common' });
      }
      expect((await create('newcomer', 'short')).body.error.message).toMatch(/at least 8 characters/);
      expect((await create('newcomer', 'newcomer2024')).body.error.details.reason).toBe('context');
      expect((await create('newcomer', 'Aperture!')).body.error.details.reason).toBe('context');
      expect(
        (await t.api(BOOTSTRAP_TOKEN, 'GET', '/api/v1/users')).body.map(
          (u: { username: string }) => u.username,
        ),
      ).not.toContain('newcomer');

      const passphrase = 'grüne Äpfel fallen leise im Oktober 🍏';
      expect((await create('newcomer', passphrase)).status).toBe(201);
      expect((await login(t, 'newcomer', passphrase, '198.51.100.4')).status).toBe(200);
    });

    it('keeps a throttle across a restart on the same database', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'aperture-restart-'));
      const restartClock = new TestClock();
      const config = { ...(await databaseFor(dialect)), dataDir };
      try {
        const first = await startTestServer(new ScriptedExecutor(), config, { clock: restartClock });
        for (let i = 0; i < 5; i++) await login(first, 'student', 'wrong-guess');
        await first.close();
        const second = await startTestServer(new ScriptedExecutor(), config, { clock: restartClock });
        try {
          const throttled = await login(second, 'student', DEMO_PASSWORD);
          expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '1']);
          restartClock.advance(1000);
          expect((await login(second, 'student', DEMO_PASSWORD)).status).toBe(200);
        } finally {
          await second.close();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('sign-in hardening, database aside', () => {
  it('ignores X-Forwarded-For unless trustProxy is set: a forged address evades nothing', async () => {
    const t = await startTestServer(new ScriptedExecutor());
    try {
      for (let i = 0; i < 20; i++) await login(t, `someone-${i}`, 'guess-guess', `192.0.2.${i}`);
      expect((await login(t, 'student', DEMO_PASSWORD, '192.0.2.200')).status).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('does the same work for an unknown user: one verification against a hash made once', async () => {
    const t = await startTestServer(new ScriptedExecutor());
    try {
      const hasher = t.server.ctx.deps.hasher;
      const verify = vi.spyOn(hasher, 'verifyPassword');
      const hash = vi.spyOn(hasher, 'hashPassword');
      await login(t, 'no-such-person', 'wrong-guess');
      expect([verify.mock.calls.length, hash.mock.calls.length]).toEqual([1, 0]);
      await login(t, 'student', 'wrong-guess');
      expect([verify.mock.calls.length, hash.mock.calls.length]).toEqual([2, 0]);
      // The stand-in hash has the real one's scrypt parameters (N, r, p), so it costs the same.
      const [, unknownHash] = verify.mock.calls[0]!;
      const [, knownHash] = verify.mock.calls[1]!;
      expect(unknownHash.split('$').slice(0, 4)).toEqual(knownHash.split('$').slice(0, 4));
    } finally {
      await t.close();
    }
  });

  it('takes as long for an unknown user as for a wrong password (median ratio near 1)', async () => {
    // Thresholds out of the way: this measures the password check, not the throttle.
    const t = await startTestServer(new ScriptedExecutor(), {
      loginFailuresPerAccountAndAddress: 1000,
      loginFailuresPerAccount: 1000,
      loginFailuresPerAddress: 100_000,
    });
    try {
      const timed = async (username: string) => {
        const started = performance.now();
        expect((await login(t, username, 'wrong-guess')).status).toBe(401);
        return performance.now() - started;
      };
      await timed('warm-up');
      const unknown: number[] = [];
      const known: number[] = [];
      // Interleaved, so a slow stretch of the machine hits both sides alike.
      for (let i = 0; i < 15; i++) {
        unknown.push(await timed(`no-such-person-${i}`));
        known.push(await timed('student'));
      }
      const ratio = median(unknown) / median(known);
      // The old code hashed a dummy password per unknown attempt, then verified: about 2×.
      expect(ratio, `unknown ${median(unknown)} ms, known ${median(known)} ms`).toBeGreaterThan(0.67);
      expect(ratio, `unknown ${median(unknown)} ms, known ${median(known)} ms`).toBeLessThan(1.5);
    } finally {
      await t.close();
    }
  });

  it('answers 401, not 500, when sweeping old counters fails (and logs it)', async () => {
    const t = await startTestServer(new ScriptedExecutor());
    try {
      const sweep = vi
        .spyOn(t.server.ctx.deps.store.loginFailures, 'deleteStale')
        .mockRejectedValue(new Error('database went away'));
      expect((await login(t, 'student', 'wrong-guess')).status).toBe(401);
      expect(sweep).toHaveBeenCalled();
    } finally {
      await t.close();
    }
  });

  it('makes the stand-in hash again after a failure, so unknown users do not get 500s for good', async () => {
    const t = await startTestServer(new ScriptedExecutor());
    try {
      // Play a hasher that failed when the stand-in was first needed (the one made at start is
      // dropped; only its making is under test).
      (t.server.ctx.auth as unknown as { unknownUserHash: Promise<string> | undefined }).unknownUserHash =
        undefined;
      vi.spyOn(t.server.ctx.deps.hasher, 'hashPassword').mockRejectedValueOnce(new Error('out of memory'));
      expect((await login(t, 'no-such-person', 'wrong-guess')).status).toBe(500);
      expect((await login(t, 'no-such-person-2', 'wrong-guess')).status).toBe(401);
      expect((await login(t, 'student', 'wrong-guess')).status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('verifies NFKC form, and still accepts a password hashed as typed before normalising', async () => {
    const t = await startTestServer(new ScriptedExecutor());
    try {
      const decomposed = 'e\u0301te\u0301 en Provence';
      const composed = decomposed.normalize('NFKC');
      expect(
        (await t.api(BOOTSTRAP_TOKEN, 'POST', '/api/v1/users', { username: 'ines', password: decomposed }))
          .status,
      ).toBe(201);
      // Either way of typing the accent signs in: the hash is of the normalised form.
      expect((await login(t, 'ines', composed)).status).toBe(200);
      expect((await login(t, 'ines', decomposed)).status).toBe(200);
      // A hash made before normalisation, of the decomposed form as typed, keeps working.
      const { store, hasher } = t.server.ctx.deps;
      const ines = await store.users.getByUsername('ines');
      await store.users.update(ines!.id, { passwordHash: await hasher.hashPassword(decomposed) });
      expect((await login(t, 'ines', decomposed)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('refuses to start with a first admin password the policy refuses, naming the setting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aperture-admin-'));
    const config = loadServerConfig({ port: 0, dataDir, logLevel: 'silent', adminPassword: 'password' }, {});
    try {
      await expect(startServer(config, { executor: new ScriptedExecutor(), logger: false })).rejects.toThrow(
        /adminPassword: This password is on a list of commonly used passwords/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
