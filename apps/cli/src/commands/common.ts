import { type Command, InvalidArgumentError, Option } from 'commander';
import { type CliContext, createContext, type GlobalOptions } from '../context.ts';

/** `-o text|json` (APERTURE_OUTPUT). */
export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format')
    .choices(['text', 'json'])
    .default('text')
    .env('APERTURE_OUTPUT');

/** -o, --server and --token on every command, each also from its environment variable. */
export function withGlobals(command: Command): Command {
  return command
    .addOption(outputOption())
    .addOption(
      new Option('--server <url>', 'Aperture server (default: stored login, else http://127.0.0.1:8080)').env(
        'APERTURE_SERVER',
      ),
    )
    .addOption(new Option('--token <token>', 'API token (default: stored login)').env('APERTURE_TOKEN'));
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

type Handler<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<unknown>;

/**
 * Wraps a command's handler: builds the context from the global options, and records the exit
 * code it returns. Errors travel up to main, which prints them in one line.
 */
export function action<A extends unknown[]>(handler: Handler<A>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const ctx = await createContext(command.optsWithGlobals() as GlobalOptions);
    const code = await handler(ctx, ...(args.slice(0, -1) as A));
    if (typeof code === 'number') process.exitCode = code;
  };
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive whole number`);
    return n;
  };
}
