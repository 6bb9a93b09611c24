import { main } from './cli.ts';

// `aperture runs | head`: the reader has what it wanted and closed the pipe. That is the end of the
// output, not an error to print a stack trace for.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

await main(process.argv);
