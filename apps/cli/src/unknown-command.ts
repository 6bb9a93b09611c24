import type { Command } from 'commander';

/**
 * The first word of `args` that should name a command and names none, with the words before it;
 * undefined when every command word is known (or an option comes first: then commander decides).
 * commander answers `aperture backup --help` with the main help and exit 0, as if `backup`
 * existed; a script would carry on. Pure.
 */
export function unknownCommandPath(program: Command, args: readonly string[]): string[] | undefined {
  let command = program;
  const path: string[] = [];
  for (const word of args) {
    // An option (and so whatever follows it, which may be its value): commander's to judge.
    if (word.startsWith('-') || command.commands.length === 0) return undefined;
    // commander's implicit `help [command]`.
    if (word === 'help') return undefined;
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    path.push(word);
    if (!next) return path;
    command = next;
  }
  return undefined;
}
