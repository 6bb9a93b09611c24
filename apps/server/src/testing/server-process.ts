/**
 * Starts a server from APERTURE_* variables and prints one JSON line {url} when it listens.
 * The recovery test runs this as a child process so it can kill -9 it.
 */
import { loadServerConfig } from '../config.ts';
import { startServer } from '../server.ts';

const server = await startServer(loadServerConfig({}, process.env), { logger: false });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
