import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_PASSWORD } from './demo-seed.ts';
import { ScriptedExecutor } from './testing/scripted-executor.ts';
import {
  BOOTSTRAP_TOKEN,
  freshPostgresDatabase,
  startTestServer,
  type TestServer,
} from './testing/test-server.ts';

/** The whole API suite runs once per database: SQLite (the default) and PostgreSQL. */
for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`API on ${dialect}`, () => {
    let t: TestServer;
    let executor: ScriptedExecutor;
    let instructor: string;
    let student: string;
    let student2: string;
    const admin = BOOTSTRAP_TOKEN;

    const text = (path: string, content: string) => ({ path, content });

    beforeAll(async () => {
      executor = new ScriptedExecutor();
      const databaseUrl =
        dialect === 'postgres' ? await freshPostgresDatabase(inject('postgresUrl')) : undefined;
      // 127.0.0.1 allowed for the webhook test's receiver; the default refuses it (webhooks.test.ts).
      t = await startTestServer(executor, {
        ...(databaseUrl ? { databaseUrl } : {}),
        webhookAllowList: '127.0.0.1',
      });
      instructor = await t.login('instructor', DEMO_PASSWORD);
      student = await t.login('student', DEMO_PASSWORD);
      student2 = await t.login('student2', DEMO_PASSWORD);
    });
    afterAll(async () => t?.close());

    async function submitAndWait(token: string, assignment: string, program: string) {
      const created = await t.api(token, 'POST', `/api/v1/assignments/${assignment}/submissions`, {
        language: 'python',
        files: [text('main.py', program)],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      return (await t.api(token, 'GET', `/api/v1/runs/${created.body.id}?wait=true`)).body;
    }

    async function assignmentId(token: string, slug: string): Promise<string> {
      return (await t.api(token, 'GET', `/api/v1/courses/DEMO101/assignments/${slug}`)).body.id;
    }

    describe('health and docs', () => {
      it('answers /healthz, /readyz and serves the OpenAPI document', async () => {
        expect((await t.api(undefined, 'GET', '/healthz')).status).toBe(200);
        const ready = await t.api(undefined, 'GET', '/readyz');
        expect(ready.status).toBe(200);
        expect(ready.body.checks.database.ok).toBe(true);
        const doc = await t.api(undefined, 'GET', '/api/openapi.json');
        expect(doc.body.openapi).toMatch(/^3\./);
        expect(Object.keys(doc.body.paths)).toContain('/api/v1/runs');
        expect((await t.api(undefined, 'GET', '/api/docs/')).status).toBe(200);
      });
    });

    describe('authentication', () => {
      it('refuses the API without credentials, with a clear error body', async () => {
        const response = await t.api(undefined, 'GET', '/api/v1/courses');
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('unauthenticated');
      });

      it('refuses a wrong password and an unknown token', async () => {
        const login = await t.api(undefined, 'POST', '/api/v1/auth/login', {
          username: 'student',
          password: 'nope-nope',
        });
        expect(login.status).toBe(401);
        expect((await t.api('apt_not-a-token', 'GET', '/api/v1/me')).status).toBe(401);
      });

      it('bootstrap token is an admin; tokens are listed without secrets and can be revoked', async () => {
        expect((await t.api(admin, 'GET', '/api/v1/me')).body.role).toBe('admin');
        const created = await t.api(student, 'POST', '/api/v1/tokens', { name: 'laptop' });
        expect(created.status).toBe(201);
        const list = await t.api(student, 'GET', '/api/v1/tokens');
        expect(JSON.stringify(list.body)).not.toContain(created.body.token);
        expect(list.body.some((tok: { tokenHash?: string }) => tok.tokenHash)).toBe(false);
        expect((await t.api(student, 'DELETE', `/api/v1/tokens/${created.body.id}`)).status).toBe(204);
        expect((await t.api(created.body.token, 'GET', '/api/v1/me')).status).toBe(401);
      });

      it('only admins list or create users', async () => {
        expect((await t.api(student, 'GET', '/api/v1/users')).status).toBe(403);
        const made = await t.api(admin, 'POST', '/api/v1/users', {
          username: 'newta',
          password: 'long-enough-1',
          role: 'user',
        });
        expect(made.status).toBe(201);
        expect(made.body.passwordHash).toBeUndefined();
      });
    });

    describe('courses and roles', () => {
      it('students cannot create courses or see other courses', async () => {
        expect((await t.api(student, 'POST', '/api/v1/courses', { code: 'X1', title: 'X' })).status).toBe(
          403,
        );
        const other = await t.api(instructor, 'POST', '/api/v1/courses', { code: 'PRIV1', title: 'Private' });
        expect(other.status).toBe(201);
        expect((await t.api(student, 'GET', '/api/v1/courses/PRIV1')).status).toBe(404);
        const mine = await t.api(student, 'GET', '/api/v1/courses');
        expect(mine.body.map((c: { code: string }) => c.code)).toEqual(['DEMO101']);
      });

      it('a duplicate course code is a 409', async () => {
        const again = await t.api(instructor, 'POST', '/api/v1/courses', { code: 'DEMO101', title: 'Again' });
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe('conflict');
      });

      it('imports a roster CSV all-or-nothing, and students cannot', async () => {
        await t.api(instructor, 'POST', '/api/v1/courses', { code: 'ROSTER1', title: 'Roster' });
        const bad = await t.api(instructor, 'POST', '/api/v1/courses/ROSTER1/roster', {
          csv: 'username,role\nann,student\nbob,wizard\n',
        });
        expect(bad.status).toBe(400);
        expect(bad.body.error.message).toContain('Line 3');
        expect((await t.api(instructor, 'GET', '/api/v1/courses/ROSTER1/enrollments')).body).toHaveLength(1);
        const good = await t.api(instructor, 'POST', '/api/v1/courses/ROSTER1/roster', {
          csv: 'username,name,email,role\nann,Ann A,ann@example.edu,student\n"bob","Bob, B",,ta\n',
        });
        expect(good.status).toBe(200);
        expect(good.body.enrolled.sort()).toEqual(['ann', 'bob']);
        const roster = await t.api(instructor, 'GET', '/api/v1/courses/ROSTER1/enrollments');
        expect(roster.body.find((e: { username: string }) => e.username === 'bob').role).toBe('ta');
        expect(
          (await t.api(student, 'POST', '/api/v1/courses/DEMO101/roster', { csv: 'username\nzed\n' })).status,
        ).toBe(403);
        expect((await t.api(student, 'GET', '/api/v1/courses/DEMO101/enrollments')).status).toBe(403);
      });
    });

    describe('assignments', () => {
      it('students see only visible tests; staff see all', async () => {
        const asStudent = await t.api(student, 'GET', '/api/v1/courses/DEMO101/assignments/sum');
        expect(asStudent.body.tests.map((x: { name: string }) => x.name)).toEqual(['small', 'negative']);
        expect(asStudent.body.supportFiles).toBeUndefined();
        expect(JSON.stringify(asStudent.body)).not.toContain('8000000000');
        const asStaff = await t.api(instructor, 'GET', '/api/v1/courses/DEMO101/assignments/sum');
        expect(asStaff.body.tests).toHaveLength(4);
      });

      it('rejects an invalid assignment with the field named, and changes nothing', async () => {
        const before = (await t.api(instructor, 'GET', '/api/v1/courses/DEMO101/assignments')).body.length;
        const bad = await t.api(instructor, 'POST', '/api/v1/courses/DEMO101/assignments', {
          slug: 'bad',
          title: 'Bad',
          languages: ['cobol'],
          tests: [{ name: 'a', expectedOutput: 'x' }],
        });
        expect(bad.status).toBe(400);
        expect(bad.body.error.details.field).toBe('languages');
        const badRegex = await t.api(instructor, 'POST', '/api/v1/courses/DEMO101/assignments', {
          slug: 'bad',
          title: 'Bad',
          languages: ['python'],
          tests: [{ name: 'a', comparator: { kind: 'regex', pattern: '(' } }],
        });
        expect(badRegex.status).toBe(400);
        expect((await t.api(instructor, 'GET', '/api/v1/courses/DEMO101/assignments')).body.length).toBe(
          before,
        );
      });

      it('students cannot create assignments', async () => {
        const response = await t.api(student, 'POST', '/api/v1/courses/DEMO101/assignments', {
          slug: 'mine',
          title: 'Mine',
          languages: ['python'],
          tests: [{ name: 'a' }],
        });
        expect(response.status).toBe(403);
      });
    });

    describe('submissions', () => {
      it('grades per test; a student sees visible results and a hidden summary only', async () => {
        const sum = await assignmentId(student, 'sum');
        const table = JSON.stringify({
          '1 2\n': '3\n',
          '-5 3\n': '-2\n',
          '4000000000 4000000000\n': '8000000000\n',
          '0 0\n': '1\n',
        });
        const run = await submitAndWait(student, sum, table);
        expect(run.status).toBe('completed');
        expect(run.tests.map((x: { name: string }) => x.name)).toEqual(['small', 'negative']);
        expect(run.hiddenTests).toEqual({ count: 2, score: 3, maxScore: 6 });
        expect(run.score).toBe(4);
        expect(JSON.stringify(run)).not.toContain('8000000000');
        const staffView = (await t.api(instructor, 'GET', `/api/v1/runs/${run.id}`)).body;
        expect(staffView.tests).toHaveLength(4);
        expect(staffView.score).toBe(7);
        expect(staffView.verdict).toBe('wrong_answer');
      });

      it('a student cannot see another student’s submission, nor list them', async () => {
        const hello = await assignmentId(student, 'hello');
        const run = await submitAndWait(student, hello, 'hello\n');
        expect(run.verdict).toBe('accepted');
        expect((await t.api(student2, 'GET', `/api/v1/runs/${run.id}`)).status).toBe(404);
        expect((await t.api(student2, 'GET', `/api/v1/submissions/${run.id}`)).status).toBe(404);
        const listed = await t.api(student2, 'GET', `/api/v1/assignments/${hello}/submissions`);
        expect(listed.body.every((r: { userId: string }) => r.userId !== run.userId)).toBe(true);
        const staffList = await t.api(instructor, 'GET', `/api/v1/assignments/${hello}/submissions`);
        expect(staffList.body.some((r: { id: string }) => r.id === run.id)).toBe(true);
      });

      it('a TA lists everyone’s runs of the course; a student only their own', async () => {
        await t.api(admin, 'POST', '/api/v1/users', { username: 'ta1', password: 'long-enough-1' });
        await t.api(instructor, 'POST', '/api/v1/courses/DEMO101/enrollments', {
          username: 'ta1',
          role: 'ta',
        });
        const ta = await t.login('ta1', 'long-enough-1');
        const hello = await assignmentId(student, 'hello');
        const mine = await submitAndWait(student2, hello, 'hello\n');
        const asTa = await t.api(ta, 'GET', '/api/v1/runs?courseId=DEMO101');
        expect(asTa.status).toBe(200);
        expect(asTa.body.some((r: { id: string }) => r.id === mine.id)).toBe(true);
        const asStudent = await t.api(student, 'GET', '/api/v1/runs?courseId=DEMO101');
        expect(asStudent.body.every((r: { userId: string }) => r.userId !== mine.userId)).toBe(true);
      });

      it('refuses a language the assignment does not allow, bad paths and someone not enrolled', async () => {
        const sum = await assignmentId(student, 'sum');
        const lang = await t.api(student, 'POST', `/api/v1/assignments/${sum}/submissions`, {
          language: 'bash',
          files: [text('main.sh', 'x')],
        });
        expect(lang.status).toBe(400);
        const slip = await t.api(student, 'POST', `/api/v1/assignments/${sum}/submissions`, {
          language: 'python',
          files: [text('../../etc/passwd', 'x')],
        });
        expect(slip.status).toBe(400);
        expect(slip.body.error.message).toContain('..');
        const outsider = await t.login('newta', 'long-enough-1');
        expect(
          (
            await t.api(outsider, 'POST', `/api/v1/assignments/${sum}/submissions`, {
              language: 'python',
              files: [text('a.py', 'x')],
            })
          ).status,
        ).toBe(404);
      });

      it('enforces the submission limit per period with a 429', async () => {
        const created = await t.api(instructor, 'POST', '/api/v1/courses/DEMO101/assignments', {
          slug: 'limited',
          title: 'Limited',
          languages: ['python'],
          tests: [{ name: 'a', expectedOutput: 'a' }],
          submissionLimit: { count: 2, periodSeconds: 3600 },
        });
        expect(created.status).toBe(201);
        for (let i = 0; i < 2; i++) await submitAndWait(student, created.body.id, 'a');
        const third = await t.api(student, 'POST', `/api/v1/assignments/${created.body.id}/submissions`, {
          language: 'python',
          files: [text('main.py', 'a')],
        });
        expect(third.status).toBe(429);
        expect(third.body.error.message).toContain('2 submissions');
      });

      it('refuses submissions after the deadline with a 409', async () => {
        const created = await t.api(instructor, 'POST', '/api/v1/courses/DEMO101/assignments', {
          slug: 'past',
          title: 'Past',
          languages: ['python'],
          tests: [{ name: 'a' }],
          deadline: '2020-01-01T00:00:00Z',
        });
        const late = await t.api(student, 'POST', `/api/v1/assignments/${created.body.id}/submissions`, {
          language: 'python',
          files: [text('main.py', '')],
        });
        expect(late.status).toBe(409);
      });

      it('gradebook: best score per student, JSON and CSV, staff only', async () => {
        expect((await t.api(student, 'GET', '/api/v1/courses/DEMO101/gradebook')).status).toBe(403);
        const book = await t.api(instructor, 'GET', '/api/v1/courses/DEMO101/gradebook');
        const row = book.body.rows.find((r: { username: string }) => r.username === 'student');
        const sum = book.body.assignments.find((a: { slug: string }) => a.slug === 'sum');
        expect(row.scores[sum.id]).toBe(7);
        const csv = await t.api(instructor, 'GET', '/api/v1/courses/DEMO101/gradebook?format=csv');
        expect(csv.headers.get('content-type')).toContain('text/csv');
        expect(String(csv.body).split('\r\n')[0]).toContain('username,display_name');
      });
    });

    describe('zip submissions', () => {
      const dir = mkdtempSync(join(tmpdir(), 'aperture-zip-'));
      const zip = (name: string, script: string) => {
        const path = join(dir, name);
        execFileSync('python3', ['-c', script, path]);
        return new Blob([readFileSync(path)]);
      };
      const post = async (blob: Blob) => {
        const form = new FormData();
        form.set('language', 'python');
        form.set('archive', blob, 'submission.zip');
        const hello = await assignmentId(student, 'hello');
        return t.api(student, 'POST', `/api/v1/assignments/${hello}/submissions`, form);
      };

      it('accepts a normal zip (folder root stripped)', async () => {
        const blob = zip(
          'ok.zip',
          "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w')\nz.writestr('hw/main.py','hello\\n')\nz.close()",
        );
        const response = await post(blob);
        expect(response.status, JSON.stringify(response.body)).toBe(202);
        expect(response.body.files).toEqual([{ path: 'main.py', size: 6 }]);
      });

      it('rejects zip-slip paths', async () => {
        const response = await post(
          zip(
            'slip.zip',
            "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w')\nz.writestr('../../evil.py','x')\nz.close()",
          ),
        );
        expect(response.status).toBe(400);
      });

      it('rejects symlinks', async () => {
        const script =
          "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w')\ni=zipfile.ZipInfo('link.py')\ni.external_attr=(0o120777<<16)\nz.writestr(i,'/etc/passwd')\nz.close()";
        const response = await post(zip('link.zip', script));
        expect(response.status).toBe(400);
        expect(response.body.error.message).toContain('symbolic link');
      });

      it('rejects a zip bomb without inflating it', async () => {
        const script =
          "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nz.writestr('big.py',b'0'*(64*1024*1024))\nz.close()";
        const response = await post(zip('bomb.zip', script));
        expect(response.status).toBe(413);
      });

      it('rejects something that is not a zip', async () => {
        const response = await post(new Blob(['not a zip at all']));
        expect(response.status).toBe(400);
      });
    });

    describe('ad-hoc runs', () => {
      it('runs with ?wait=true and returns stdout and verdict', async () => {
        const response = await t.api(student, 'POST', '/api/v1/runs?wait=true', {
          language: 'python',
          files: [text('hello.py', 'hello\n')],
        });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ status: 'completed', verdict: 'accepted', stdout: 'hello\n' });
      });

      it('async by default: 202 with a Location, then GET', async () => {
        const response = await t.api(student, 'POST', '/api/v1/runs', {
          language: 'python',
          files: [text('a.py', 'x')],
        });
        expect(response.status).toBe(202);
        expect(response.headers.get('location')).toBe(`/api/v1/runs/${response.body.id}`);
        const done = await t.api(student, 'GET', `/api/v1/runs/${response.body.id}?wait=true`);
        expect(done.body.status).toBe('completed');
      });

      it('batch of runs', async () => {
        const response = await t.api(student, 'POST', '/api/v1/runs/batch', {
          runs: [1, 2, 3].map((i) => ({ language: 'python', files: [text('a.py', String(i))] })),
        });
        expect(response.status).toBe(202);
        expect(response.body.runs).toHaveLength(3);
      });

      it('rejects malformed requests with 400 and unknown fields', async () => {
        expect((await t.api(student, 'POST', '/api/v1/runs', { language: 'python' })).status).toBe(400);
        expect(
          (await t.api(student, 'POST', '/api/v1/runs', { language: 'klingon', files: [text('a', 'x')] }))
            .status,
        ).toBe(400);
        expect(
          (
            await t.api(student, 'POST', '/api/v1/runs', {
              language: 'python',
              files: [text('a.py', 'x')],
              evil: 1,
            })
          ).status,
        ).toBe(400);
        const raw = await t.api(student, 'POST', '/api/v1/runs', '{not json', {
          'content-type': 'application/json',
        });
        expect(raw.status).toBe(400);
        expect(raw.body.error.code).toBeDefined();
      });

      it('rejects a huge body with 413', async () => {
        const huge = 'x'.repeat(8 * 1024 * 1024);
        const response = await t.api(student, 'POST', '/api/v1/runs', {
          language: 'python',
          files: [text('a.py', huge)],
        });
        expect(response.status).toBe(413);
      });

      it('only admins may ask for network', async () => {
        const response = await t.api(student, 'POST', '/api/v1/runs', {
          language: 'python',
          files: [text('a.py', 'x')],
          limits: { network: true },
        });
        expect(response.status).toBe(403);
      });

      it('streams status and the result over SSE', async () => {
        executor.delayMs = 300;
        const created = await t.api(student, 'POST', '/api/v1/runs', {
          language: 'python',
          files: [text('a.py', 'sse')],
        });
        const response = await fetch(`${t.url}/api/v1/runs/${created.body.id}/events`, {
          headers: { authorization: `Bearer ${student}` },
        });
        expect(response.headers.get('content-type')).toContain('text/event-stream');
        const body = await response.text();
        executor.delayMs = 0;
        expect(body).toContain('event: status');
        expect(body).toMatch(/"status":"running"|"status":"completed"/);
        expect(body).toContain('event: result');
        expect(body).toContain('"stdout":"sse"');
      });

      it('cancels a queued or running run', async () => {
        executor.delayMs = 5_000;
        const created = await t.api(student, 'POST', '/api/v1/runs', {
          language: 'python',
          files: [text('a.py', 'slow')],
        });
        const cancelled = await t.api(student, 'POST', `/api/v1/runs/${created.body.id}/cancel`);
        expect(cancelled.status).toBe(200);
        const final = await t.api(student, 'GET', `/api/v1/runs/${created.body.id}?wait=true&timeoutMs=5000`);
        executor.delayMs = 0;
        expect(final.body.status).toBe('cancelled');
        expect((await t.api(student, 'POST', `/api/v1/runs/${created.body.id}/cancel`)).status).toBe(409);
      });

      it('retries an infrastructure failure and then succeeds', async () => {
        executor.failNext = 1;
        const response = await t.api(student, 'POST', '/api/v1/runs?wait=true', {
          language: 'python',
          files: [text('a.py', 'retry')],
        });
        expect(response.body).toMatchObject({ status: 'completed', attempts: 2 });
      });

      it('fails a run after the last attempt, never blaming the student', async () => {
        executor.failNext = 3;
        const response = await t.api(student, 'POST', '/api/v1/runs?wait=true', {
          language: 'python',
          files: [text('a.py', 'x')],
        });
        expect(response.body.status).toBe('failed');
        expect(response.body.message).toContain('not your fault');
        expect(response.body.message).not.toContain('scripted');
      });

      it('delivers a webhook', async () => {
        const received: string[] = [];
        const hook = createServer((req, res) => {
          let data = '';
          req.on('data', (c) => (data += c));
          req.on('end', () => {
            received.push(data);
            res.end('ok');
          });
        });
        await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
        const port = (hook.address() as { port: number }).port;
        const created = await t.api(student, 'POST', '/api/v1/runs', {
          language: 'python',
          files: [text('a.py', 'hook')],
          webhookUrl: `http://127.0.0.1:${port}/done`,
        });
        await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThan(0);
        hook.close();
        expect(JSON.parse(received[0]!)).toMatchObject({
          id: created.body.id,
          status: 'completed',
          stdout: 'hook',
        });
      });

      it('percent-encoded paths reach protected routes only with credentials', async () => {
        expect((await t.api(undefined, 'GET', '/api/%761/system')).status).toBe(401);
        expect((await t.api(undefined, 'GET', '/%61pi/v1/me')).status).toBe(401);
      });

      it('a per-test limit cannot give an ad-hoc run network access', async () => {
        const response = await t.api(student, 'POST', '/api/v1/runs', {
          language: 'python',
          files: [text('a.py', 'x')],
          tests: [{ name: 't', limits: { network: true } }],
        });
        expect(response.status).toBe(403);
      });

      it('a stale token does not block public routes', async () => {
        expect((await t.api('apt_stale', 'GET', '/api/v1/languages')).status).toBe(200);
        expect((await t.api('apt_stale', 'GET', '/healthz')).status).toBe(200);
        expect((await t.api('apt_stale', 'GET', '/api/v1/me')).status).toBe(401);
      });

      it('SSE status events carry no verdict (it could reveal hidden tests)', async () => {
        const sum = await assignmentId(student, 'sum');
        const created = await t.api(student, 'POST', `/api/v1/assignments/${sum}/submissions`, {
          language: 'python',
          files: [text('main.py', JSON.stringify({ '1 2\n': '3\n', '-5 3\n': '-2\n' }))],
        });
        const response = await fetch(`${t.url}/api/v1/submissions/${created.body.id}/events`, {
          headers: { authorization: `Bearer ${student}` },
        });
        const body = await response.text();
        const statuses = body.split('\n\n').filter((e) => e.startsWith('event: status'));
        expect(statuses.length).toBeGreaterThan(0);
        expect(statuses.join()).not.toContain('verdict');
        const result = JSON.parse(body.split('event: result\ndata: ')[1]!.split('\n')[0]!);
        expect(result.verdict).toBe('accepted'); // visible tests pass; hidden failures stay hidden
      });

      it('lists languages without signing in', async () => {
        const response = await t.api(undefined, 'GET', '/api/v1/languages');
        expect(response.body.map((l: { id: string }) => l.id)).toEqual([
          'python',
          'c',
          'cpp',
          'java',
          'javascript',
          'bash',
        ]);
      });

      it('exports a result in Gradescope format', async () => {
        const sum = await assignmentId(student, 'sum');
        const run = await submitAndWait(student, sum, JSON.stringify({ '1 2\n': '3\n' }));
        const exported = await t.api(student, 'GET', `/api/v1/runs/${run.id}/gradescope`);
        expect(exported.body.tests.map((x: { name: string }) => x.name)).toEqual(['small', 'negative']);
        expect(exported.body.tests[0]).toMatchObject({ score: 2, max_score: 2, status: 'passed' });
      });
    });
  });
}
