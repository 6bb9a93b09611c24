import type { Command } from 'commander';
import { Output } from '../output.ts';
import { examples, outputOption } from './common.ts';
import { registerLabFlowCommands } from './lab-flow.ts';

/**
 * `aperture lab …`: lab templates offline (validate, types, template, schema), and the flow against
 * a server (apply, checkpoint, publish, deploy, status, reset, destroy: lab-flow.ts).
 */
export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description(
      'Labs: templates, versions, publish after checks, deploy to a course, status, reset, destroy',
    );

  lab
    .command('validate')
    .description('Check a LabTemplate file (YAML or JSON); every problem names its field')
    .requiredOption('-f, --file <path>', 'the template, or - for standard input')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('aperture lab validate -f webserver.yaml', 'aperture lab validate -f - -o json < lab.yaml'),
    )
    .action(async (opts: { file: string; output: 'text' | 'json' }) => {
      const { validateLabFile } = await import('../services/labs.ts');
      process.exitCode = await validateLabFile(opts.file, new Output(opts.output));
    });

  lab
    .command('types')
    .description('The built-in lab types (shell, webserver, database, desktop)')
    .addOption(outputOption())
    .action(async (opts: { output: 'text' | 'json' }) => {
      const { listLabTypes } = await import('../services/labs.ts');
      listLabTypes(new Output(opts.output));
    });

  lab
    .command('template <type>')
    .description('Print a built-in type as a LabTemplate to start from (YAML; JSON with -o json)')
    .option('--cpu <cpu>', 'CPU per student', '1')
    .option('--memory <bytes>', 'memory per student', '1Gi')
    .option('--storage <bytes>', 'storage per student (0: scratch directories only)', '1Gi')
    .option('--name <name>', 'the template’s name (default: the type)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples('aperture lab template webserver --cpu 1 --memory 1Gi --storage 2Gi > lab.yaml'),
    )
    .action(
      async (
        type: string,
        opts: { cpu: string; memory: string; storage: string; name?: string; output: 'text' | 'json' },
      ) => {
        const { printLabTemplate } = await import('../services/labs.ts');
        process.exitCode = printLabTemplate(type, opts, new Output(opts.output));
      },
    );

  lab
    .command('schema')
    .description('Print the LabTemplate JSON Schema (for editors and CI)')
    .action(async () => {
      const { printLabSchema } = await import('../services/labs.ts');
      printLabSchema(new Output('json'));
    });

  registerLabFlowCommands(lab);
}
