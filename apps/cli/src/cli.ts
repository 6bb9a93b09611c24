import { CommanderError } from 'commander';
import { EXIT, reportOf } from './errors.ts';
import { Output } from './output.ts';
import { buildProgram } from './program.ts';

/** Parse, run, and turn whatever goes wrong into one line on stderr and an exit code. */
export async function main(argv: string[]): Promise<void> {
  // `APERTURE_OUTPUT=` means "not set", as it does for the server's config; commander would take ''.
  for (const [key, value] of Object.entries(process.env))
    if (key.startsWith('APERTURE_') && value === '') delete process.env[key];
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) exitOverrideAll(command);
  try {
    await program.parseAsync(argv);
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
