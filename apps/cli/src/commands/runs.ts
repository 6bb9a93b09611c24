import { type Command, Option } from 'commander';
import { EXIT } from '../errors.ts';
import { resolveAssignment } from '../services/assignments.ts';
import { buildRunRequest, DEFAULT_TIMEOUT_SECONDS, finish, followRun, printRun } from '../services/runs.ts';
import { buildSubmission, printSubmissions, resolveUserId } from '../services/submissions.ts';
import { action, examples, positiveInt, withGlobals } from './common.ts';

interface WaitOptions {
  wait: boolean;
  timeout: number;
}

const EXIT_CODES = `
Exit codes: 0 accepted · 1 another verdict · 2 usage or API error · 3 failed inside Aperture, cancelled, or still running after --timeout`;

function withWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'wait for the verdict', true)
    .option('--no-wait', 'print the queued run and return at once')
    .addOption(
      new Option('--timeout <seconds>', 'give up waiting after this long')
        .argParser(positiveInt('--timeout'))
        .default(DEFAULT_TIMEOUT_SECONDS)
        .env('APERTURE_TIMEOUT'),
    );
}

export function registerRunCommands(program: Command): void {
  withWaitOptions(withGlobals(program.command('run')))
    .description('Run code in a sandbox and print its output')
    .argument('<files...>', 'source files (sent by base name unless --keep-paths)')
    .addOption(
      new Option('-l, --language <id>', 'language id (see `aperture languages`)')
        .makeOptionMandatory()
        .env('APERTURE_LANGUAGE'),
    )
    .option('--stdin <file>', 'feed this file (or - for this terminal’s stdin) to the program')
    .option('--main <file>', 'the file to run, when there are several')
    .option('--keep-paths', 'send paths relative to the current directory, not base names')
    .addHelpText(
      'after',
      examples(
        'aperture run hello.py --language python',
        'echo "1 2" | aperture run sum.c --language c --stdin -',
        'aperture run src/Main.java src/Util.java -l java --keep-paths --main src/Main.java -o json',
      ) + EXIT_CODES,
    )
    .action(
      action(
        async (
          ctx,
          files: string[],
          opts: WaitOptions & { language: string; stdin?: string; main?: string; keepPaths?: boolean },
        ) => {
          const body = await buildRunRequest(files, opts);
          const queued = await ctx.client.createRun(body);
          if (!opts.wait) return printQueued(ctx.out, queued);
          const view = await followRun(ctx.client, queued, ctx.out, {
            timeoutSeconds: opts.timeout,
            label: 'run',
          });
          printRun(view, ctx.out);
          return finish(view, ctx.out);
        },
      ),
    );

  withWaitOptions(withGlobals(program.command('submit')))
    .description('Submit files to an assignment and wait for the grade')
    .argument('<assignment>', 'an assignment id, or COURSE/slug')
    .argument('[files...]', 'source files')
    .addOption(
      new Option('-l, --language <id>', 'language id').makeOptionMandatory().env('APERTURE_LANGUAGE'),
    )
    .option('--zip <archive>', 'also send a zip archive; the server unpacks it')
    .option('--main <file>', 'the file to run, when there are several')
    .option('--keep-paths', 'send paths relative to the current directory, not base names')
    .addHelpText(
      'after',
      examples(
        'aperture submit DEMO101/hello main.py --language python',
        'aperture submit CS101/lab3 --zip lab3.zip --language java -o json',
        'aperture submit asg_01J... main.c -l c --no-wait',
      ) + EXIT_CODES,
    )
    .action(
      action(
        async (
          ctx,
          ref: string,
          files: string[],
          opts: WaitOptions & { language: string; zip?: string; main?: string; keepPaths?: boolean },
        ) => {
          const assignment = await resolveAssignment(ctx.client, ref);
          const body = await buildSubmission(files, opts);
          const queued = await ctx.client.submit(assignment.id, body);
          if (!opts.wait) return printQueued(ctx.out, queued);
          const view = await followRun(ctx.client, queued, ctx.out, {
            timeoutSeconds: opts.timeout,
            label: assignment.slug,
          });
          printRun(view, ctx.out);
          return finish(view, ctx.out);
        },
      ),
    );

  const submissions = program.command('submissions').description('Submissions to assignments');
  withGlobals(submissions.command('list'))
    .description('Your submissions to an assignment (everyone’s, for course staff)')
    .argument('<assignment>', 'an assignment id, or COURSE/slug')
    .option('--user <user>', 'only this user’s submissions: a username or user id (course staff)')
    .addHelpText(
      'after',
      examples(
        'aperture submissions list DEMO101/hello',
        'aperture submissions list DEMO101/sum --user student2 -o json',
      ),
    )
    .action(
      action(async (ctx, ref: string, opts: { user?: string }) => {
        const assignment = await resolveAssignment(ctx.client, ref);
        const userId = opts.user ? await resolveUserId(ctx.client, assignment, opts.user) : undefined;
        const runs = await ctx.client.listSubmissions(assignment.id, userId ? { userId } : {});
        printSubmissions(runs, ctx.out);
      }),
    );
  withGlobals(submissions.command('get'))
    .description('One submission (or run): status, verdict, tests')
    .argument('<id>', 'the run or submission id')
    .option('--watch', 'follow it until it finishes')
    .addOption(
      new Option('--timeout <seconds>', 'with --watch, give up after this long')
        .argParser(positiveInt('--timeout'))
        .default(DEFAULT_TIMEOUT_SECONDS),
    )
    .addHelpText(
      'after',
      examples('aperture submissions get run_01J...', 'aperture submissions get run_01J... --watch -o json') +
        EXIT_CODES,
    )
    .action(
      action(async (ctx, id: string, opts: { watch?: boolean; timeout: number }) => {
        const current = await ctx.client.getRun(id);
        const view = opts.watch
          ? await followRun(ctx.client, current, ctx.out, { timeoutSeconds: opts.timeout, label: id })
          : current;
        printRun(view, ctx.out);
        return opts.watch ? finish(view, ctx.out) : undefined;
      }),
    );
}

function printQueued(out: import('../output.ts').Output, view: import('@aperture/core').RunView) {
  out.result(view, (v) => `${v.id}\n`);
  if (!out.json)
    out.info(`${view.id} is ${view.status}; follow it with: aperture submissions get ${view.id} --watch`);
  return EXIT.ok;
}
