import { readFile } from 'node:fs/promises';
import type { DeploymentView } from '@aperture/core';
import { type Command, Option } from 'commander';
import { CliError, EXIT } from '../errors.ts';
import { LabClient } from '../lab-client.ts';
import { confirmByName } from '../prompt.ts';
import {
  countsText,
  DEFAULT_LAB_TIMEOUT_SECONDS,
  deploymentDone,
  pickDeployment,
  pickVersion,
  printCheckpoint,
  printDeployment,
  printLabDetail,
  printLabs,
  printPublished,
  printTeardown,
  printVersions,
  resolveLab,
  shortVersion,
  studentProgress,
  templateText,
  waitFor,
  waitForDev,
} from '../services/lab-flow.ts';
import { action, examples, positiveInt, withGlobals } from './common.ts';

interface LabOpts {
  course?: string;
  timeout: number;
  wait: boolean;
}

const courseOption = () => new Option('--course <course>', 'the course (code or id)').env('APERTURE_COURSE');
const timeoutOption = () =>
  new Option('--timeout <seconds>', 'give up waiting after this long')
    .argParser(positiveInt('--timeout'))
    .default(DEFAULT_LAB_TIMEOUT_SECONDS);

/** -o/--server/--token, --course, --timeout, --no-wait. */
function labCommand(parent: Command, name: string): Command {
  return withGlobals(parent.command(name))
    .addOption(courseOption())
    .addOption(timeoutOption())
    .option('--no-wait', 'return once the server accepted the request');
}

/** `aperture create <type> …`: a lab from a built-in type, and its dev copy. */
export function registerCreateCommand(program: Command): void {
  labCommand(program, 'create')
    .description('Create a lab of a built-in type for a course; its dev copy starts for you')
    .argument('<type>', 'shell, webserver, database or desktop (aperture lab types)')
    .option('--cpu <cpu>', 'CPU per student', '1')
    .option('--memory <bytes>', 'memory per student', '1Gi')
    .option('--storage <bytes>', 'storage per student (0: scratch directories only)', '1Gi')
    .option('--name <name>', 'the lab’s name (default: the type)')
    .addHelpText(
      'after',
      examples('aperture create webserver --course DEMO101 --cpu 1 --memory 1Gi --storage 2Gi'),
    )
    .action(
      action(
        async (
          ctx,
          type: string,
          opts: LabOpts & { cpu: string; memory: string; storage: string; name?: string },
        ) => {
          const labs = new LabClient(ctx.client);
          const course = requireCourse(opts);
          const body = {
            type,
            cpu: opts.cpu,
            memory: opts.memory,
            storage: opts.storage,
            ...(opts.name ? { name: opts.name } : {}),
          };
          let detail = await labs.create(course, body);
          if (opts.wait) detail = await waitForDev(labs, detail, ctx.out, opts.timeout);
          printLabDetail(detail, 'created', ctx.out);
        },
      ),
    );
}

export function registerLabFlowCommands(lab: Command): void {
  labCommand(lab, 'apply')
    .description(
      'Create the lab of a template file, or update its dev template (the dev copy is applied again)',
    )
    .requiredOption('-f, --file <path>', 'the LabTemplate (YAML or JSON)')
    .addHelpText('after', examples('aperture lab apply -f webserver.yaml --course DEMO101'))
    .action(
      action(async (ctx, opts: LabOpts & { file: string }) => {
        const labs = new LabClient(ctx.client);
        const course = requireCourse(opts);
        const { text, name } = templateText(await readText(opts.file), opts.file);
        const existing = (await labs.list(course)).find((l) => l.name === name);
        let detail = existing
          ? await labs.applyTemplate(existing.id, { text })
          : await labs.create(course, { text });
        if (opts.wait) detail = await waitForDev(labs, detail, ctx.out, opts.timeout);
        printLabDetail(detail, existing ? 'updated' : 'created', ctx.out);
      }),
    );

  withGlobals(lab.command('list'))
    .description('The labs of a course')
    .addOption(courseOption().makeOptionMandatory())
    .action(
      action(async (ctx, opts: { course: string }) =>
        printLabs(await new LabClient(ctx.client).list(opts.course), ctx.out),
      ),
    );

  labCommand(lab, 'checkpoint')
    .description('Pin the dev template and its image digests as an immutable version')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .action(
      action(async (ctx, ref: string, opts: LabOpts) => {
        const labs = new LabClient(ctx.client);
        const detail = await resolveLab(labs, ref, opts.course);
        const version = await labs.checkpoint(detail.lab.id);
        printCheckpoint(version, !detail.versions.some((v) => v.id === version.id), ctx.out);
      }),
    );

  labCommand(lab, 'versions')
    .description('The versions of a lab, newest first')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .action(
      action(async (ctx, ref: string, opts: LabOpts) => {
        const labs = new LabClient(ctx.client);
        printVersions(await labs.versions((await resolveLab(labs, ref, opts.course)).lab.id), ctx.out);
      }),
    );

  labCommand(lab, 'diff')
    .description('What changed from a version to the dev template (or to another version)')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .argument('<version>', 'a version id or its first 12 hex digits')
    .option('--against <version>', 'dev, or another version', 'dev')
    .action(
      action(async (ctx, ref: string, version: string, opts: LabOpts & { against: string }) => {
        const labs = new LabClient(ctx.client);
        const diff = await labs.diff(
          (await resolveLab(labs, ref, opts.course)).lab.id,
          version,
          opts.against,
        );
        ctx.out.result(diff, (d) => {
          const head = `${shortVersion(d.from)} → ${d.to === 'dev' ? 'dev' : shortVersion(d.to)}: ${d.changes.length} change(s)\n`;
          return (
            head + d.changes.map((c) => `  ${c.path}  ${c.change}${changeText(c.before, c.after)}`).join('\n')
          );
        });
      }),
    );

  registerPublishAndDeploy(lab);
  registerCopyCommands(lab);
}

function registerPublishAndDeploy(lab: Command): void {
  labCommand(lab, 'publish')
    .description('Run the version’s checks in a throw-away copy; published when they pass (exit 1 when not)')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .option('--version <version>', 'default: the newest version')
    .addHelpText('after', examples('aperture lab publish webserver --course DEMO101'))
    .action(
      action(async (ctx, ref: string, opts: LabOpts & { version?: string }) => {
        const labs = new LabClient(ctx.client);
        const detail = await resolveLab(labs, ref, opts.course);
        const started = await labs.publish(detail.lab.id, pickVersion(detail.versions, opts.version));
        if (!opts.wait) return printPublished(started, true, ctx.out);
        const { value, done } = await waitFor(
          ctx.out,
          `${detail.lab.name} ${shortVersion(started.id)}`,
          opts.timeout,
          () => labs.version(detail.lab.id, started.id),
          (v) => ({ done: v.state !== 'checking', text: 'checking' }),
        );
        return printPublished(value, done, ctx.out);
      }),
    );

  labCommand(lab, 'deploy')
    .description('Deploy a published version to every student of the course; waits until all are applied')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .option('--version <version>', 'default: the newest published version')
    .addHelpText('after', examples('aperture lab deploy webserver --course DEMO101'))
    .action(
      action(async (ctx, ref: string, opts: LabOpts & { version?: string }) => {
        const labs = new LabClient(ctx.client);
        const detail = await resolveLab(labs, ref, opts.course);
        const started = await labs.deploy(detail.lab.id, pickVersion(detail.versions, opts.version, true));
        const progress = studentProgress(ctx.out);
        const status = (v: DeploymentView) => {
          progress(v);
          return { done: deploymentDone(v), text: countsText(v) };
        };
        const { value, done } = opts.wait
          ? await waitFor(
              ctx.out,
              detail.lab.name,
              opts.timeout,
              () => labs.deployment(started.deployment.id),
              status,
            )
          : { value: started, done: true };
        printDeployment(value, ctx.out);
        if (!done) return EXIT.failed;
        return (value.counts.failed ?? 0) > 0 ? EXIT.rejected : EXIT.ok;
      }),
    );
}

function registerCopyCommands(lab: Command): void {
  labCommand(lab, 'status')
    .description('Every student’s copy of the lab’s newest course deployment')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .option('--deployment <id>', 'another deployment of the lab (ldp_…)')
    .action(
      action(async (ctx, ref: string, opts: LabOpts & { deployment?: string }) => {
        const labs = new LabClient(ctx.client);
        const detail = await resolveLab(labs, ref, opts.course);
        printDeployment(await labs.deployment(pickDeployment(detail, opts.deployment)), ctx.out);
      }),
    );

  labCommand(lab, 'reset')
    .description('Return one student’s copy to the version as published (their changes are gone)')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .requiredOption('--student <username>', 'whose copy')
    .option('--deployment <id>', 'another deployment of the lab (ldp_…)')
    .action(
      action(async (ctx, ref: string, opts: LabOpts & { student: string; deployment?: string }) => {
        const labs = new LabClient(ctx.client);
        const detail = await resolveLab(labs, ref, opts.course);
        const deploymentId = pickDeployment(detail, opts.deployment);
        const view = await labs.deployment(deploymentId);
        const student = view.students.find((s) => s.username === opts.student || s.userId === opts.student);
        if (!student) throw new CliError(`${opts.student} has no copy in deployment ${deploymentId}`);
        await labs.reset(deploymentId, student.userId);
        const { value, done } = opts.wait
          ? await waitFor(
              ctx.out,
              `${opts.student}`,
              opts.timeout,
              () => labs.deployment(deploymentId),
              (v) => {
                const state = v.students.find((s) => s.userId === student.userId)?.state ?? 'gone';
                return { done: state !== 'resetting', text: state };
              },
            )
          : { value: view, done: true };
        const after = value.students.find((s) => s.userId === student.userId);
        ctx.out.result(
          after ?? null,
          (s) => `${opts.student}: ${s?.state ?? 'gone'}${s?.error ? `: ${s.error}` : ''}\n`,
        );
        if (!done) return EXIT.failed;
        return after?.state === 'failed' ? EXIT.rejected : EXIT.ok;
      }),
    );

  labCommand(lab, 'destroy')
    .description('Delete every student’s copy of a deployment; prints the teardown receipt')
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .option('--deployment <id>', 'another deployment of the lab (ldp_…)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(
      action(async (ctx, ref: string, opts: LabOpts & { deployment?: string; yes?: boolean }) => {
        const labs = new LabClient(ctx.client);
        const detail = await resolveLab(labs, ref, opts.course);
        const deploymentId = pickDeployment(detail, opts.deployment);
        if (!opts.yes)
          await confirmByName(
            `Destroy every copy of ${detail.lab.name} (${deploymentId})?`,
            detail.lab.name,
            'destroyed',
          );
        await labs.destroy(deploymentId);
        const { value, done } = await waitFor(
          ctx.out,
          detail.lab.name,
          opts.wait ? opts.timeout : 0,
          () => labs.deployment(deploymentId),
          (v) => ({ done: v.deployment.state === 'destroyed', text: v.deployment.state }),
        );
        return printTeardown(value, done, ctx.out);
      }),
    );

  withGlobals(lab.command('delete'))
    .description(
      'Delete a lab with its versions; its dev copy is torn down first (destroy its course deployments before)',
    )
    .argument('<lab>', 'the lab’s name (with --course) or id')
    .addOption(courseOption())
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', examples('aperture lab delete webserver --course DEMO101'))
    .action(
      action(async (ctx, ref: string, opts: { course?: string; yes?: boolean }) => {
        const labs = new LabClient(ctx.client);
        const detail = await resolveLab(labs, ref, opts.course);
        if (!opts.yes)
          await confirmByName(
            `Delete ${detail.lab.name} with its ${detail.versions.length} version(s)?`,
            detail.lab.name,
            'deleted',
          );
        ctx.out.info(`${detail.lab.name}: deleting (its dev copy is torn down first)`);
        await labs.deleteLab(detail.lab.id);
        ctx.out.result(
          { deleted: detail.lab.id, name: detail.lab.name },
          (d) => `deleted lab ${d.name} (${d.deleted})\n`,
        );
        return EXIT.ok;
      }),
    );
}

function requireCourse(opts: { course?: string }): string {
  if (!opts.course) throw new CliError('--course is required (or APERTURE_COURSE)');
  return opts.course;
}

function changeText(before: unknown, after: unknown): string {
  if (before === undefined && after === undefined) return '';
  const show = (value: unknown) => (value === undefined ? '∅' : JSON.stringify(value));
  return `  ${show(before)} → ${show(after)}`;
}

async function readText(file: string): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
  }
}
