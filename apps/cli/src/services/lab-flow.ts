/**
 * The lab flow from the command line: find a lab by name or id, wait for slow work (the dev copy,
 * a publish's checks, a class deploy, a destroy) showing progress on stderr, and print results on
 * stdout (a table, or one JSON document with -o json).
 */
import { parseLabTemplate } from '@aperture/api-contract';
import type { DeploymentView, LabCheckResult, LabDetail, LabSummary, LabVersion } from '@aperture/core';
import { CliError, EXIT, type ExitCode } from '../errors.ts';
import type { LabClient } from '../lab-client.ts';
import { type Output, table } from '../output.ts';
import { Progress } from './progress.ts';

export const DEFAULT_LAB_TIMEOUT_SECONDS = 600;
const POLL_MS = 1000;

export const shortVersion = (id: string | null) => (id ? id.replace(/^sha256:/, '').slice(0, 12) : '-');

/** A lab by id (`lab_…`), or by name within `--course`. */
export async function resolveLab(
  labs: LabClient,
  ref: string,
  course: string | undefined,
): Promise<LabDetail> {
  if (ref.startsWith('lab_')) return labs.get(ref);
  if (!course)
    throw new CliError(`name the course of lab ${JSON.stringify(ref)} with --course, or give its id (lab_…)`);
  const all = await labs.list(course);
  const found = all.find((lab) => lab.name === ref);
  if (!found) {
    const names = all.map((lab) => lab.name).join(', ') || 'none';
    throw new CliError(`no lab ${JSON.stringify(ref)} in ${course} (its labs: ${names})`);
  }
  return labs.get(found.id);
}

/** Polls until `done` says so, showing `label: <status>` on stderr; the last value when time ran out. */
export async function waitFor<T>(
  out: Output,
  label: string,
  timeoutSeconds: number,
  read: () => Promise<T>,
  status: (value: T) => { done: boolean; text: string },
): Promise<{ value: T; done: boolean }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const progress = new Progress(out, label);
  try {
    for (;;) {
      const value = await read();
      const { done, text } = status(value);
      if (done || Date.now() >= deadline) return { value, done };
      progress.update(text);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    progress.stop();
  }
}

export function printLabs(labs: LabSummary[], out: Output): void {
  out.result(labs, (rows) =>
    table(rows, [
      { header: 'NAME', value: (lab) => lab.name },
      { header: 'ID', value: (lab) => lab.id },
      { header: 'VERSIONS', value: (lab) => lab.versions },
      { header: 'PUBLISHED', value: (lab) => lab.published },
      { header: 'DEPLOYMENTS', value: (lab) => lab.deployments },
      { header: 'UPDATED', value: (lab) => lab.updatedAt },
    ]),
  );
}

/** The dev copy until it was applied; the lab's detail. */
export async function waitForDev(labs: LabClient, detail: LabDetail, out: Output, timeoutSeconds: number) {
  const { value } = await waitFor(
    out,
    `${detail.lab.name} (dev)`,
    timeoutSeconds,
    () => labs.get(detail.lab.id),
    (lab) => ({
      done: lab.dev === null || lab.dev.deployment.state !== 'deploying',
      text: lab.dev ? countsText(lab.dev) : 'no dev copy',
    }),
  );
  return value;
}

export function printLabDetail(detail: LabDetail, action: string, out: Output): void {
  out.result(detail, (lab) => {
    const dev = lab.dev?.students[0];
    const devText = dev
      ? `${dev.state}${dev.live ? ` (engine: ${dev.live})` : ''}${dev.error ? `: ${dev.error}` : ''}`
      : 'none';
    return `${action} lab ${lab.lab.name} (${lab.lab.id}); dev copy: ${devText}\n`;
  });
}

/** Parses the file first, so a bad template is refused here with every problem, like `lab validate`. */
export function templateText(text: string, file: string): { text: string; name: string } {
  const result = parseLabTemplate(text);
  if (!result.ok) {
    const lines = result.errors.map((p) => `  ${p.path || '(document)'}: ${p.message}`).join('\n');
    throw new CliError(`${file}: ${result.errors.length} problem(s)\n${lines}`, EXIT.rejected);
  }
  return { text, name: result.template.metadata.name };
}

export function printVersions(versions: LabVersion[], out: Output): void {
  out.result(versions, (rows) =>
    table(rows, [
      { header: 'VERSION', value: (v) => shortVersion(v.id) },
      { header: 'STATE', value: (v) => v.state },
      { header: 'CHECKS', value: (v) => checksText(v.checkResults) },
      { header: 'CREATED', value: (v) => v.createdAt },
      { header: 'PUBLISHED', value: (v) => v.publishedAt },
    ]),
  );
}

const checksText = (results: LabCheckResult[] | null) =>
  results ? `${results.filter((r) => r.ok).length}/${results.length} passed` : '';

export function printCheckpoint(version: LabVersion, created: boolean, out: Output): void {
  out.result(
    { ...version, created },
    (v) =>
      `${created ? 'checkpointed' : 'already checkpointed:'} version ${shortVersion(v.id)} (${v.state}); ${Object.keys(v.images).length} image(s) pinned\n`,
  );
}

/** The version the flag names, else the newest (that is published, when `published`). */
export function pickVersion(versions: LabVersion[], flag: string | undefined, published = false): string {
  if (flag) return flag;
  const candidates = published ? versions.filter((v) => v.state === 'published') : versions;
  const newest = candidates[0];
  if (!newest) {
    throw new CliError(
      published ? 'this lab has no published version' : 'this lab has no version yet',
      EXIT.usage,
      published ? 'aperture lab publish <lab>' : 'aperture lab checkpoint <lab> --course C',
    );
  }
  return newest.id;
}

/** After publish: each check's result; exit 1 when a check failed. */
export function printPublished(version: LabVersion, done: boolean, out: Output): ExitCode {
  out.result(version, (v) => {
    const lines = (v.checkResults ?? []).map(
      (r) =>
        `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.index >= 0 ? `#${r.index} ` : ''}${r.component} ${r.kind}: ${r.message} (${r.durationMs} ms)`,
    );
    return `version ${shortVersion(v.id)}: ${v.state}${done ? '' : ' (still running; gave up waiting)'}\n${lines.join('\n')}\n`;
  });
  if (!done) return EXIT.failed;
  return version.state === 'published' ? EXIT.ok : EXIT.rejected;
}

export function countsText(view: DeploymentView): string {
  const parts = Object.entries(view.counts).map(([state, n]) => `${n} ${state}`);
  return `${view.deployment.state}: ${parts.join(', ') || 'no students'}`;
}

export function printDeployment(view: DeploymentView, out: Output): void {
  out.result(view, (v) => {
    const header = `${v.labName} ${v.deployment.kind} deployment ${v.deployment.id} (version ${shortVersion(v.deployment.versionId)}): ${countsText(v)}${v.statusError ? `\nengine: ${v.statusError}` : ''}\n`;
    return (
      header +
      table(v.students, [
        { header: 'STUDENT', value: (s) => s.username },
        { header: 'STATE', value: (s) => s.state },
        { header: 'ENGINE', value: (s) => s.live },
        {
          header: 'COMPONENTS',
          value: (s) => s.components.map((c) => `${c.name} ${c.ready}/${c.desired}`).join(', '),
        },
        { header: 'LAST USED', value: (s) => s.lastAccessAt },
        { header: 'ERROR', value: (s) => s.error ?? s.message },
      ])
    );
  });
}

/** The deployment `--deployment` names, else the newest live one of the kind (course, by default). */
export function pickDeployment(detail: LabDetail, flag: string | undefined): string {
  if (flag) return flag;
  const live = detail.deployments.find((d) => d.kind === 'course' && d.state !== 'destroyed');
  if (!live)
    throw new CliError(
      `lab ${detail.lab.name} has no live course deployment`,
      EXIT.usage,
      'aperture lab deploy <lab> --course C',
    );
  return live.id;
}

export const deploymentDone = (view: DeploymentView) => view.deployment.state !== 'deploying';

/** A line on stderr whenever a student's copy changes state (`student2: ready`); none with -o json. */
export function studentProgress(out: Output): (view: DeploymentView) => void {
  const seen = new Map<string, string>();
  return (view) => {
    for (const student of view.students) {
      const state = `${student.state}${student.error ? ` (${student.error})` : ''}`;
      if (seen.get(student.userId) === state) continue;
      seen.set(student.userId, state);
      if (!out.json) out.stderr.write(`${out.interactive ? '\r\x1b[2K' : ''}${student.username}: ${state}\n`);
    }
  };
}

export function printTeardown(view: DeploymentView, done: boolean, out: Output): ExitCode {
  const receipt = view.deployment.teardown;
  out.result(view.deployment, (d) => {
    if (!receipt) return `deployment ${d.id}: ${d.state} (no receipt yet)\n`;
    const verified = receipt.verified
      ? 'verified: nothing left'
      : `NOT verified: ${receipt.remaining.join(', ')}`;
    const errors = receipt.errors.length > 0 ? `\nerrors: ${receipt.errors.join('; ')}` : '';
    return `destroyed ${d.id}: ${receipt.deleted} object(s) deleted in ${receipt.durationMs} ms, ${verified}${errors}\n`;
  });
  if (!done) return EXIT.failed;
  return receipt?.verified ? EXIT.ok : EXIT.failed;
}
