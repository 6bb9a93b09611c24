import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodmanRunExecutor } from '@aperture/backend-podman';
import type { RunExecutor } from '@aperture/core';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, type RunningServer, startServer } from '../../apps/server/src/index.ts';
import { ScriptedExecutor } from '../../apps/server/src/testing/scripted-executor.ts';
import { Browsers, CHROMIUM, prepareWebUi, SHOTS } from './browser.ts';

/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real server:
 * an instructor writes an assignment, a student fails it and then passes it, the instructor reads
 * the gradebook. Runs execute in Podman when the runner images exist, else in the scripted
 * executor. Screenshots of every page land in test/e2e/screenshots/.
 */

/** Vitest's expect.poll gives up after 1 s; pages that fetch and render need longer. */
const eventually = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 200 });

const havePodmanImages = () =>
  spawnSync('podman', ['image', 'exists', 'localhost/aperture/runner-python']).status === 0;

/** The student's programs: Python for Podman; for the scripted executor, stdin → stdout tables. */
function programs(real: boolean) {
  if (real)
    return {
      wrong: 'a, b = map(int, input().split())\nprint(a - b)\n',
      right: 'a, b = map(int, input().split())\nprint(a + b)\n',
      runOutput: '-1',
    };
  return {
    wrong: '{"2 3\\n": "-1\\n", "10 20\\n": "-10\\n", "4 5": "-1\\n"}',
    right: '{"2 3\\n": "5\\n", "10 20\\n": "30\\n", "4 5": "9\\n"}',
    runOutput: '-1',
  };
}

describe.skipIf(!existsSync(CHROMIUM))('web UI end to end (Chromium)', () => {
  let server: RunningServer;
  let dataDir: string;
  const browsers = new Browsers();
  let real = false;

  beforeAll(async () => {
    await prepareWebUi();
    real = havePodmanImages();
    const logger = pino({ level: 'silent' });
    const executor: RunExecutor = real
      ? await PodmanRunExecutor.create({
          podmanPath: 'podman',
          imagePrefix: 'localhost/',
          poolSize: 0,
          poolLanguages: [],
          logger,
          instance: `test-e2e-${process.pid}`,
        })
      : new ScriptedExecutor();
    dataDir = mkdtempSync(join(tmpdir(), 'aperture-e2e-'));
    server = await startServer(
      loadServerConfig({ port: 0, dataDir, seedDemo: true, logLevel: 'silent' }, {}),
      { executor, logger: false },
    );
  }, 300_000);

  afterAll(async () => {
    await browsers.close();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A browser with its own new profile (so its own cookies), signed in as `username`. */
  async function signIn(username: string, viewport = { width: 1366, height: 900 }): Promise<Page> {
    const { page } = await browsers.signIn(server.url, username, { viewport, acceptDownloads: true });
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  async function waitForResult(page: Page) {
    const result = page.getByTestId('run-result');
    await expect
      .poll(async () => result.getAttribute('data-status'), { timeout: 120_000, interval: 250 })
      .toMatch(/completed|failed/);
    return result;
  }

  it('shows a login page, and a clear message for a wrong password', async () => {
    const { page } = await browsers.open();
    await page.goto(`${server.url}/courses/DEMO101`);
    await page.waitForURL(/\/login\?next=/);
    await shot(page, '01-login');
    await page.getByLabel(/^Username/).fill('student');
    await page.getByLabel(/^Password/).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Sign-in failed').waitFor();
    await shot(page, '02-login-failed');
    // A cold browser and the first page load share this budget on a loaded machine.
  }, 120_000);

  it('instructor creates an assignment; student fails, then passes; gradebook and CSV agree', async () => {
    const code = programs(real);
    // --- the instructor writes an assignment with a visible and a hidden test ----------------
    const instructor = await signIn('instructor');
    await shot(instructor, '03-instructor-courses');
    await instructor.getByTestId('course-card').filter({ hasText: 'DEMO101' }).click();
    await instructor.getByRole('heading', { name: 'DEMO101' }).waitFor();
    await shot(instructor, '04-course');
    await instructor.getByRole('link', { name: 'New assignment' }).click();
    await instructor.getByLabel(/^Title/).fill('Add two numbers');
    await instructor
      .getByLabel(/^Statement \(Markdown\)/)
      .fill(
        '# Add two numbers\n\nRead `a` and `b` from one line and print **a + b**.\n\n- one line in\n- one line out\n\n' +
          '<img src="x" alt="" onerror="window.__xss = 1"><script>window.__xss = 2</script>',
      );
    await instructor.getByRole('tab', { name: 'Preview' }).click();
    await instructor.getByRole('heading', { name: 'Add two numbers', level: 1 }).waitFor();
    const tests = instructor.getByTestId('test-editor');
    await tests
      .nth(0)
      .getByLabel(/^Test 1 name/)
      .fill('small');
    await tests
      .nth(0)
      .getByLabel(/^Points/)
      .fill('2');
    await tests
      .nth(0)
      .getByLabel(/^Test 1 input/)
      .fill('2 3\n');
    await tests
      .nth(0)
      .getByLabel(/^Test 1 expected output/)
      .fill('5\n');
    await instructor.getByRole('button', { name: 'Add a test' }).click();
    await tests
      .nth(1)
      .getByLabel(/^Test 2 name/)
      .fill('large');
    await tests
      .nth(1)
      .getByLabel(/^Points/)
      .fill('3');
    await tests
      .nth(1)
      .getByLabel(/^Test 2 input/)
      .fill('10 20\n');
    await tests
      .nth(1)
      .getByLabel(/^Test 2 expected output/)
      .fill('30\n');
    await tests
      .nth(1)
      .getByRole('textbox', { name: /^Visibility/ })
      .click();
    await instructor.getByRole('option', { name: 'Hidden' }).click();
    await shot(instructor, '05-assignment-editor');
    await instructor.getByRole('button', { name: 'Create assignment' }).click();
    await instructor.waitForURL(/\/assignments\/add-two-numbers$/);
    await instructor.getByRole('heading', { name: 'Add two numbers', level: 2 }).waitFor();
    await shot(instructor, '06-assignment-staff-view');
    // The statement is Markdown, sanitized: no script or event handler survives into the page.
    expect(await instructor.locator('.markdown script, .markdown [onerror]').count()).toBe(0);
    expect(await instructor.evaluate('window.__xss === undefined')).toBe(true);
    await instructor.getByRole('link', { name: 'Edit assignment' }).click();
    await eventually(() => instructor.getByLabel(/^Title/).inputValue()).toBe('Add two numbers');
    expect(await instructor.getByTestId('test-editor').count()).toBe(2);
    await instructor.getByRole('button', { name: 'Cancel' }).click();
    await instructor.waitForURL(/\/assignments\/add-two-numbers$/);

    // --- the student submits a wrong solution, sees the failed test and the diff -------------
    const student = await signIn('student');
    await student.goto(`${server.url}/courses/DEMO101/assignments/add-two-numbers`);
    await student.getByRole('heading', { name: 'Add two numbers', level: 2 }).waitFor();
    await eventually(() => student.getByTestId('empty-state').count()).toBe(1);
    await typeCode(student, code.wrong);
    await student.getByLabel('Custom input (stdin) for Run').fill('4 5');
    await student.getByRole('button', { name: 'Run', exact: true }).click();
    const adhoc = await waitForResult(student);
    await eventually(() => adhoc.textContent()).toContain(code.runOutput);
    await shot(student, '07-student-run');

    await student.getByRole('button', { name: 'Submit', exact: true }).click();
    const failed = await waitForResult(student);
    // The ad-hoc run stays on screen until the submission's POST answers: wait for the verdict itself.
    await failed
      .locator('[data-testid="test-result"][data-verdict="wrong_answer"]')
      .waitFor({ timeout: 120_000 });
    expect(await failed.getByTestId('run-score').textContent()).toBe('Score 0 / 2');
    await failed.getByRole('table', { name: 'Expected and actual output' }).waitFor();
    expect(await failed.getByTestId('hidden-tests').textContent()).toContain('1 hidden test worth 3 points');
    await shot(student, '08-student-wrong-answer');

    // --- then a right one, with full points -------------------------------------------------
    await typeCode(student, code.right, true);
    await student.getByRole('button', { name: 'Submit', exact: true }).click();
    await expect
      .poll(async () => (await waitForResult(student)).getByTestId('run-score').textContent(), {
        timeout: 120_000,
      })
      .toBe('Score 2 / 2');
    await student.locator('[data-testid="test-result"][data-verdict="accepted"]').waitFor();
    await eventually(() => student.getByTestId('submission-row').count()).toBe(2);
    await shot(student, '09-student-accepted');
    // An old submission can be reopened in the editor.
    await student.getByTestId('submission-row').last().getByRole('link').first().click();
    await student.getByRole('button', { name: 'Open in editor' }).click();
    await student.waitForURL(/\/assignments\/add-two-numbers$/);
    await eventually(() => student.locator('.cm-content').first().textContent()).toContain('print(a - b)');

    // --- the instructor imports a roster (a new student appears) ---------------------------
    await instructor.goto(`${server.url}/courses/DEMO101/roster`);
    await instructor
      .getByLabel('Roster CSV')
      .fill('username,name,role\nnewkid,New Kid,student\nstudent,Sam Student,student\n');
    await instructor.getByRole('button', { name: 'Import', exact: true }).click();
    await instructor.getByText('Roster imported').waitFor();
    await instructor.getByRole('table', { name: 'Roster' }).getByText('newkid').waitFor();
    await shot(instructor, '10a-roster');

    // --- the instructor sees both in the gradebook and exports CSV -------------------------
    await instructor.goto(`${server.url}/courses/DEMO101/gradebook`);
    const row = instructor.locator('[data-testid="gradebook-row"][data-username="student"]');
    await eventually(() => row.locator('[data-assignment="add-two-numbers"]').textContent()).toBe('5');
    await shot(instructor, '10-gradebook');
    const [download] = await Promise.all([
      instructor.waitForEvent('download'),
      instructor.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('add-two-numbers');
    expect(csv).toMatch(/student,Sam Student,.*5/);

    // --- and opens the student's submissions, files and results; re-runs one --------------
    await row.locator('[data-assignment="add-two-numbers"] a').click();
    await eventually(() => instructor.getByTestId('submission-row').count()).toBe(2);
    await shot(instructor, '11-student-submissions');
    await instructor.getByTestId('submission-row').last().getByRole('link').first().click();
    await instructor.getByRole('heading', { name: 'Submission', exact: true }).waitFor();
    await instructor.getByRole('tab', { name: 'main.py' }).waitFor();
    expect(await instructor.locator('.cm-content').first().textContent()).toContain(
      'print(a - b)'.slice(0, 5),
    );
    await waitForResult(instructor);
    await shot(instructor, '12-submission-staff');
    const original = instructor.url();
    await instructor.getByRole('button', { name: 'Re-run against current tests' }).click();
    await instructor.waitForURL((url) => url.toString() !== original);
    await waitForResult(instructor);
    await shot(instructor, '13-rerun');
  }, 600_000);

  it('gives admins users, tokens (secret once) and the system page; works at phone width', async () => {
    const admin = await signIn('admin');
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('table', { name: 'Users' }).getByText('student2').waitFor();
    await admin.getByLabel(/^Username/).fill('grader1');
    await admin.getByLabel(/^Display name/).fill('Grace Grader');
    await admin.getByLabel(/^Password/).fill('grader-password');
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.getByRole('table', { name: 'Users' }).getByText('grader1').waitFor();
    await shot(admin, '14-admin-users');

    await admin.getByRole('link', { name: 'API tokens' }).click();
    await admin.getByLabel(/^Token name/).fill('ci');
    await admin.getByRole('button', { name: 'Create token' }).click();
    const secret = await admin.getByTestId('new-token').textContent();
    expect(secret?.length).toBeGreaterThan(20);
    const viaToken = await fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(((await viaToken.json()) as { username: string }).username).toBe('admin');
    await shot(admin, '15-tokens');

    await admin.getByRole('link', { name: 'System' }).click();
    await admin.getByTestId('backend-health').waitFor();
    await shot(admin, '16-system');

    const phone = await signIn('student', { width: 390, height: 844 });
    await phone.goto(`${server.url}/courses/DEMO101/assignments/sum`);
    await phone.getByRole('heading', { name: 'Sum of two numbers', level: 2 }).waitFor();
    await shot(phone, '17-phone-assignment');
    await phone.getByRole('button', { name: 'Toggle navigation' }).click();
    await phone.getByRole('link', { name: 'API tokens' }).waitFor();
    await phone.screenshot({ path: join(SHOTS, '18-phone-navigation.png') });
    await phone.goto(`${server.url}/no/such/page`);
    await phone.getByRole('heading', { name: 'Page not found' }).waitFor();
  }, 300_000);

  it('when the server restarts, the page says it lost the connection, then reconnects by itself', async () => {
    const page = await signIn('student');
    await page.getByRole('link', { name: 'DEMO101' }).first().click();
    await page.getByText('Add two numbers').first().waitFor();
    const port = Number(new URL(server.url).port);
    await server.close();
    // The next request the page makes fails: it says so at once, and keeps trying.
    await page.getByRole('link', { name: 'My labs' }).click();
    const banner = page.getByTestId('connection-banner');
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 30_000 }).toBe('lost');
    await shot(page, '20-connection-lost');
    // The same installation starts again (a supervisor's restart): same port, same database.
    server = await startServer(loadServerConfig({ port, dataDir, seedDemo: true, logLevel: 'silent' }, {}), {
      executor: new ScriptedExecutor(),
      logger: false,
    });
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 30_000 }).toBe('restored');
    await shot(page, '21-reconnected');
    // The session survived (it is in the database), and the page refetched what it shows.
    await page.getByRole('heading', { name: 'My labs' }).waitFor();
    await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(0);
  }, 120_000);

  it('the web UI works under its Content-Security-Policy: nothing was blocked in any page', async () => {
    // Runs last (vitest keeps file order): every page the tests above opened was watched.
    const response = await fetch(`${server.url}/courses`);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src http:\/\/[^ ]+\/assets\/ /);
    // The statement planted above carries `<img onerror>`: Chromium reports it as a blocked inline
    // handler while DOMPurify parses it (a report only: without a CSP it does not run either).
    // That is the one violation expected; anything else means the policy breaks the app.
    const planted = /Executing inline event handler/;
    expect(browsers.cspViolations.filter((v) => !planted.test(v))).toEqual([]);
    expect(
      browsers.cspViolations.filter((v) => planted.test(v)).every((v) => /\/assignments\//.test(v)),
    ).toBe(true);
  });
});

/** Type into CodeMirror as a person would (insertText: no auto-closing brackets in the way). */
async function typeCode(page: Page, text: string, replace = false) {
  const editor = page.locator('.cm-content').first();
  await editor.click();
  if (replace) await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}
