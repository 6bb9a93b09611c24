import { CommanderError } from 'commander';
import { EXIT, reportOf } from './errors.ts';
import { Output } from './output.ts';
import { buildProgram } from './program.ts';
import { unknownCommandPath } from './unknown-command.ts';

/** Parse, run, and turn whatever goes wrong into one line on stderr and an exit code. */
export async function main(argv: string[]): Promise<void> {
  // `APERTURE_OUTPUT=` means "not set", as it does for the server's config; commander would take ''.
  for (const [key, value] of Object.entries(process.env))
    if (key.startsWith('APERTURE_') && value === '') delete process.env[key];
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) exitOverrideAll(command);
  try {
    // An unknown command is an error even with --help after it: parse only up to it, so commander
    // says "unknown command" (with its suggestion) instead of printing the help and exiting 0.
    const unknown = unknownCommandPath(program, argv.slice(2));
    await program.parseAsync(unknown ? [...argv.slice(0, 2), ...unknown] : argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its own message (or the help) already.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (process.env['APERTURE_DEBUG'] === '1') console.error(error);
    const report = reportOf(error);
    new Output('text').error(report.message, report.hint);
    process.exitCode = report.exitCode;
  }
}

function exitOverrideAll(command: import('commander').Command): void {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideAll(sub);
}
