import { Command } from 'commander';
import { registerAuthCommands } from './commands/auth.ts';
import { registerCourseCommands } from './commands/courses.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerCreateCommand } from './commands/lab-flow.ts';
import { registerLabCommands } from './commands/labs.ts';
import { registerRunCommands } from './commands/runs.ts';
import { registerServerCommand } from './commands/server.ts';

export const CLI_VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('aperture')
    .description('Run and grade code in sandboxes: the Aperture server and its command line')
    .version(CLI_VERSION)
    // `--version` after a subcommand is that command's (`lab publish --version V`), not the CLI's.
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Every command takes -o json|text, --server URL (APERTURE_SERVER) and --token T (APERTURE_TOKEN).

Examples:
  $ aperture server --demo
  $ aperture login --server http://127.0.0.1:8080
  $ aperture run hello.py --language python
  $ aperture submit DEMO101/hello main.py --language python
  $ aperture doctor --kubeconfig aperture.kubeconfig
  $ aperture lab template webserver --cpu 1 --memory 1Gi --storage 2Gi > lab.yaml
  $ aperture create webserver --course DEMO101 --cpu 1 --memory 1Gi --storage 2Gi
  $ aperture lab publish webserver --course DEMO101 && aperture lab deploy webserver --course DEMO101
`,
    );
  registerServerCommand(program);
  registerAuthCommands(program);
  registerRunCommands(program);
  registerCourseCommands(program);
  registerDoctorCommand(program);
  registerLabCommands(program);
  registerCreateCommand(program);
  return program;
}
