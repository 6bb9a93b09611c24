import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** What the browser suites share: Debian's Chromium, fresh profiles, sign-in, screenshots. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHOTS = join(ROOT, 'test/e2e/screenshots');
export const CHROMIUM = process.env['APERTURE_CHROMIUM'] ?? '/usr/bin/chromium';
/** The demo seed's password for every demo user. */
export const DEMO_PASSWORD = 'aperture-demo';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const DEFAULT_VIEWPORT = { width: 1366, height: 900 };

/** Builds the web UI the server serves and makes the screenshot folder. */
export async function prepareWebUi(): Promise<void> {
  // Async: a blocking build would starve the worker's RPC with Vitest for a minute.
  const build = await promisify(execFile)('bash', [join(ROOT, 'scripts/lib/build-web.sh')]);
  process.stderr.write(build.stdout);
  mkdirSync(SHOTS, { recursive: true });
}

/** Browsers with a new profile each (so their own cookies); `close()` removes them all. */
export class Browsers {
  private readonly profiles: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  async open(
    options: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {},
  ): Promise<{ page: Page; context: BrowserContext }> {
    const profile = mkdtempSync(join(tmpdir(), 'aperture-chromium-'));
    this.profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: options.viewport ?? DEFAULT_VIEWPORT,
      ...(options.acceptDownloads ? { acceptDownloads: true } : {}),
    });
    this.contexts.push(context);
    // Every page of every browser reports what the Content-Security-Policy blocked.
    const record = (page: Page) =>
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text()))
          this.cspViolations.push(`${page.url()}: ${message.text()}`);
      });
    context.pages().forEach(record);
    context.on('page', record);
    const page = context.pages()[0] ?? (await context.newPage());
    return { page, context };
  }

  /** What the server's Content-Security-Policy refused in any page so far (should be nothing). */
  readonly cspViolations: string[] = [];

  /** A new browser signed in as `username` (demo password), on the courses page. */
  async signIn(
    baseUrl: string,
    username: string,
    options: Parameters<Browsers['open']>[0] = {},
  ): Promise<{ page: Page; context: BrowserContext }> {
    const opened = await this.open(options);
    const { page } = opened;
    page.setDefaultTimeout(30_000);
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel(/^Username/).fill(username);
    await page.getByLabel(/^Password/).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Courses' }).waitFor();
    return opened;
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => undefined);
    for (const dir of this.profiles) rmSync(dir, { recursive: true, force: true });
  }
}
