/** Quote one word for /bin/sh. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9._/+=@:-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The language's run command with `{main}` filled in and the test's arguments appended. */
export function buildRunCommand(run: string, mainFile: string, args: readonly string[] = []): string {
  const command = run.replaceAll('{main}', shellQuote(mainFile));
  return args.length === 0 ? command : `${command} ${args.map(shellQuote).join(' ')}`;
}
