import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, type RunningServer, startServer } from '../../apps/server/src/index.ts';
import { liveLabTemplate } from '../../apps/server/src/testing/live-page-lab.ts';
import { ScriptedExecutor } from '../../apps/server/src/testing/scripted-executor.ts';
import { Browsers, CHROMIUM, prepareWebUi, SHOTS } from './browser.ts';

/**
 * Labs in a real browser (Debian's Chromium through playwright-core) against a real server on
 * SQLite whose labs run in real Podman containers: the instructor builds a `webserver` lab in the
 * web UI, checkpoints, publishes (its checks pass in a throw-away copy) and deploys it to the demo
 * course; a student opens the terminal (xterm.js over the WebSocket) and the nginx page (through
 * the HTTP proxy); then a `desktop` lab's desktop through noVNC. Screenshots land in
 * test/e2e/screenshots/ (labs-*.png).
 */
const LAB_IMAGES = ['lab-shell', 'lab-nginx', 'lab-desktop'];
const haveLabImages = () =>
  LAB_IMAGES.every(
    (image) => spawnSync('podman', ['image', 'exists', `localhost/aperture/${image}`]).status === 0,
  );

/**
 * The luma variance of the noVNC canvas, in the page (a string: this file has no DOM types). A
 * black or one-colour canvas is ~0; a desktop with a window manager, an xterm and text is far more.
 */
const CANVAS_LUMA_VARIANCE = `(() => {
  const canvas = document.querySelector('[data-testid="desktop"] canvas');
  if (!canvas || canvas.width === 0) return 0;
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0, squares = 0;
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += luma;
    squares += luma * luma;
  }
  return squares / n - (sum / n) ** 2;
})()`;

/** Podman deploys, checks and tears down: each step may take a while on a busy machine. */
const SLOW = { timeout: 240_000, interval: 500 };

describe.skipIf(!existsSync(CHROMIUM) || !haveLabImages())('labs in the web UI (Chromium, Podman)', () => {
  let server: RunningServer;
  let dataDir: string;
  const browsers = new Browsers();

  beforeAll(async () => {
    await prepareWebUi();
    dataDir = mkdtempSync(join(tmpdir(), 'aperture-labs-e2e-'));
    server = await startServer(
      loadServerConfig(
        { port: 0, dataDir, seedDemo: true, logLevel: 'silent', instance: `e2e-labs-${process.pid}` },
        {},
      ),
      { executor: new ScriptedExecutor(), logger: false },
    );
  }, 300_000);

  afterAll(async () => {
    await browsers.close();
    // Whatever the test left running goes, verified, before the server does.
    if (server) {
      for (const deployment of await server.ctx.deps.store.labDeployments.listLive())
        await server.ctx.labProvisioner.teardown(deployment.id).catch(() => undefined);
      await server.close();
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 300_000);

  const signIn = (username: string): Promise<{ page: Page; context: BrowserContext }> =>
    browsers.signIn(server.url, username);

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `labs-${name}.png`), fullPage: true });

  /** In the web UI: New lab of a built-in type → dev ready → checkpoint → publish → deploy. */
  async function buildAndDeploy(page: Page, type: string, prefix: string): Promise<void> {
    await page.goto(`${server.url}/courses/DEMO101`);
    await page.getByRole('link', { name: 'Labs', exact: true }).click();
    await page.getByRole('heading', { name: 'Labs', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New lab' }).click();
    if (type === 'webserver') {
      // Pasted YAML is checked by the server; each problem is shown with its field.
      await page.getByText('Paste YAML').click();
      await page
        .getByLabel(/^Lab template/)
        .fill(
          'apiVersion: aperture.dev/v1alpha1\nkind: LabTemplate\nmetadata: { name: Bad_Name }\nspec:\n  resources: { cpu: "1", memory: 1Gi, storage: 0 }\n  components:\n    - { name: web, image: aperture/lab-nginx, ports: [{ name: http, port: 70000 }] }\n',
        );
      await page.getByRole('button', { name: 'Validate' }).click();
      const problems = page.getByTestId('lab-problems');
      await expect.poll(() => problems.textContent(), SLOW).toContain('spec.components[0].ports[0].port');
      expect(await problems.textContent()).toContain('metadata.name');
      await shot(page, `${prefix}-validate`);
      await page.getByText('Built-in type').click();
    }
    await page.getByRole('textbox', { name: 'Type' }).click();
    await page.getByRole('option', { name: new RegExp(`^${type} `) }).click();
    await page.getByLabel('CPU').fill('1');
    await page.getByLabel('Memory').fill('1Gi');
    await page.getByLabel('Storage').fill('1Gi');
    await shot(page, `${prefix}-new`);
    await page.getByRole('button', { name: 'Create lab' }).click();
    await page.getByRole('heading', { name: type, level: 2, exact: true }).waitFor();
    const devState = page.getByTestId('dev-state');
    await expect.poll(() => devState.getAttribute('data-state'), SLOW).toBe('ready');
    await shot(page, `${prefix}-builder`);
    await page.getByRole('button', { name: 'Checkpoint' }).click();
    const version = page.getByTestId('lab-version').first();
    await version.waitFor();
    await version.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => version.getAttribute('data-state'), SLOW).toBe('published');
    const checks = page.getByTestId('check-results').first();
    await checks.waitFor();
    expect(await checks.locator('[data-ok="false"]').count()).toBe(0);
    expect(await checks.locator('[data-ok="true"]').count()).toBeGreaterThan(0);
    await version.getByRole('button', { name: 'Diff' }).click();
    await page
      .getByRole('table', { name: 'Template changes' })
      .or(page.getByText('No differences.'))
      .waitFor();
    await shot(page, `${prefix}-published`);
    await version.getByRole('button', { name: 'Deploy to course' }).click();
    const deployment = page.getByTestId('lab-deployment').first();
    await deployment.waitFor();
    await deployment.getByRole('link').click();
    const students = page.getByTestId('lab-student');
    await expect.poll(() => students.count(), SLOW).toBe(2);
    await expect
      .poll(
        async () =>
          (await students.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')))).join(),
        SLOW,
      )
      .toBe('ready,ready');
    await shot(page, `${prefix}-class`);
  }

  it('instructor builds and deploys a webserver lab; a student uses its terminal and web page', async () => {
    const { page: instructor } = await signIn('instructor');
    await buildAndDeploy(instructor, 'webserver', '01-webserver');

    const { page: student, context } = await signIn('student');
    await student.getByRole('link', { name: 'My labs' }).click();
    const card = student.getByTestId('my-lab').filter({ hasText: 'webserver' });
    await expect.poll(() => card.getAttribute('data-state'), SLOW).toBe('ready');
    await shot(student, '02-my-labs');

    await card.getByRole('link', { name: 'Open terminal (shell)' }).click();
    await expect
      .poll(() => student.getByTestId('terminal-status').getAttribute('data-status'), SLOW)
      .toBe('open');
    // The prompt first: typing before the shell is ready is fine too, but this reads better.
    const screen = student.locator('[data-testid="terminal"] .xterm-rows');
    await expect.poll(() => screen.textContent(), SLOW).toMatch(/\S/);
    await student.getByTestId('terminal').click();
    await student.keyboard.type('echo hello-$((6*7))');
    const typed = Date.now();
    await student.keyboard.press('Enter');
    await expect.poll(() => screen.textContent(), { timeout: 30_000, interval: 50 }).toContain('hello-42');
    process.stderr.write(`labs e2e: Enter → hello-42 on screen in ${Date.now() - typed} ms\n`);
    await shot(student, '03-terminal');

    await student.goBack();
    const [web] = await Promise.all([
      context.waitForEvent('page'),
      card.getByRole('link', { name: 'Open web :8080 (web)' }).click(),
    ]);
    await web.waitForLoadState();
    await web.getByRole('heading', { name: 'It works' }).waitFor();
    expect(await web.textContent('body')).toContain('This is nginx in your Aperture lab');
    // The sandbox, seen by the browser: the page's origin is opaque, and its scripts cannot read
    // Aperture's API with the student's session.
    expect(await web.evaluate('window.origin')).toBe('null');
    expect(await web.evaluate(`fetch('/api/v1/me').then((r) => r.status, () => 'blocked')`)).toBe('blocked');
    // The page's own requests carry no cookie from a sandbox: its lab link is what lets them in.
    expect(web.url()).toMatch(/\/lab-sessions\/[^/]+\/$/);
    const [sub] = await Promise.all([
      web.waitForResponse((response) => response.url().endsWith('/index.html')),
      web.evaluate(`fetch('index.html', { mode: 'no-cors' }).then(() => 'sent')`),
    ]);
    expect(sub.status()).toBe(200);
    await shot(web, '04-web');

    // --- the instructor resets one copy, then destroys the class's deployment ---------------
    await instructor.reload();
    const student2 = instructor.locator('[data-testid="lab-student"]').filter({ hasText: 'student2' });
    await student2.getByRole('button', { name: 'Reset' }).click();
    await instructor.getByRole('dialog').getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => student2.getAttribute('data-state'), SLOW).toBe('ready');
    await instructor.getByRole('button', { name: 'Destroy for the whole class' }).click();
    const destroy = instructor.getByRole('button', { name: 'Destroy every copy' });
    expect(await destroy.isDisabled()).toBe(true);
    await instructor.getByLabel(/Type the lab's name/).fill('webserver');
    await shot(instructor, '04b-destroy-confirm');
    await destroy.click();
    await expect.poll(() => instructor.getByTestId('deployment-state').textContent(), SLOW).toBe('destroyed');
    await shot(instructor, '04c-destroyed');

    // --- with no class copy left, the lab itself is deleted (its dev copy torn down first) -----
    await instructor.getByRole('link', { name: 'webserver', exact: true }).first().click();
    await instructor.getByRole('button', { name: 'Delete lab' }).click();
    const confirmDelete = instructor.getByRole('button', { name: 'Delete the lab' });
    expect(await confirmDelete.isDisabled()).toBe(true);
    await instructor.getByLabel(/Type the lab's name/).fill('webserver');
    await confirmDelete.click();
    await instructor.waitForURL(/\/courses\/[^/]+\/labs$/, { timeout: 240_000 });
    await expect
      .poll(() => instructor.getByRole('link', { name: 'webserver', exact: true }).count(), SLOW)
      .toBe(0);
    await shot(instructor, '04d-lab-deleted');
  }, 900_000);

  it('a lab page’s own WebSocket reaches its server through the proxy, from the sandboxed page', async () => {
    const { page: instructor, context } = await signIn('instructor');
    await instructor.goto(`${server.url}/courses/DEMO101`);
    await instructor.getByRole('link', { name: 'Labs', exact: true }).click();
    await instructor.getByRole('button', { name: 'New lab' }).click();
    await instructor.getByText('Paste YAML').click();
    await instructor.getByLabel(/^Lab template/).fill(liveLabTemplate());
    await instructor.getByRole('button', { name: 'Create lab' }).click();
    await instructor.getByRole('heading', { name: 'live', level: 2, exact: true }).waitFor();
    const devState = instructor.getByTestId('dev-state');
    await expect.poll(() => devState.getAttribute('data-state'), SLOW).toBe('ready');
    // The instructor's dev copy, opened from the builder like a student opens theirs.
    const [page] = await Promise.all([
      context.waitForEvent('page'),
      instructor.getByRole('link', { name: 'Open web :8080 (live)' }).click(),
    ]);
    await page.waitForLoadState();
    // The server may still be starting when the copy is `ready` (then the first load is Aperture's
    // own 502 answer): load again until the page is there.
    await expect
      .poll(async () => {
        if ((await page.locator('#state').count()) === 0) await page.reload();
        return page.locator('#state').textContent();
      }, SLOW)
      .toBe('got echo:ping');
    // The page that opened the socket runs sandboxed: an opaque origin, no cookie of Aperture's.
    expect(await page.evaluate('window.origin')).toBe('null');
    await shot(page, '07-live-websocket');
  }, 900_000);

  it('a desktop lab: the student sees the desktop through noVNC (not a blank canvas)', async () => {
    const { page: instructor } = await signIn('instructor');
    await buildAndDeploy(instructor, 'desktop', '05-desktop');

    const { page: student } = await signIn('student');
    await student.getByRole('link', { name: 'My labs' }).click();
    const card = student.getByTestId('my-lab').filter({ hasText: 'desktop' });
    await expect.poll(() => card.getAttribute('data-state'), SLOW).toBe('ready');
    await card.getByRole('link', { name: 'Open desktop (desktop)' }).click();
    await expect
      .poll(() => student.getByTestId('desktop-status').getAttribute('data-status'), SLOW)
      .toBe('connected');
    const variance = () => student.evaluate<number>(CANVAS_LUMA_VARIANCE);
    await expect.poll(variance, { timeout: 60_000, interval: 500 }).toBeGreaterThan(100);
    process.stderr.write(`labs e2e: desktop canvas luma variance ${(await variance()).toFixed(0)}\n`);
    await shot(student, '06-desktop');
  }, 900_000);

  it('the terminal, the desktop and the lab pages work under the Content-Security-Policy', () => {
    // Runs last: every page the tests above opened (xterm.js, noVNC, the proxied lab page) was watched.
    expect(browsers.cspViolations).toEqual([]);
  });
});
