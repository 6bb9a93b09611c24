import { createInterface } from 'node:readline';
import { CliError } from './errors.ts';

const canPrompt = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

/** Ask on the terminal; outside a terminal say which flag or variable would have answered. */
export async function ask(question: string, missing: string): Promise<string> {
  if (!canPrompt()) throw new CliError(`${missing} is required (not a terminal, so no prompt)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}

/**
 * A whole-class or lasting action: go on only once `name` is typed back (`--yes` skips the
 * question); otherwise nothing `undone` ("destroyed", "deleted") happened.
 */
export async function confirmByName(question: string, name: string, undone: string): Promise<void> {
  const answer = await ask(`${question} Type the lab's name: `, '--yes');
  if (answer.trim() !== name) throw new CliError(`not confirmed; nothing was ${undone}`);
}

/** Like ask, without echoing what is typed. */
export async function askSecret(question: string, missing: string): Promise<string> {
  if (!canPrompt()) throw new CliError(`${missing} is required (not a terminal, so no prompt)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // readline echoes through _writeToOutput; muting it after the question hides the password.
  const internal = rl as unknown as { _writeToOutput: (text: string) => void };
  let muted = false;
  const write = internal._writeToOutput.bind(rl);
  internal._writeToOutput = (text: string) => {
    if (!muted) write(text);
  };
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => {
        process.stderr.write('\n');
        resolve(answer);
      });
      muted = true;
    });
  } finally {
    rl.close();
  }
}
