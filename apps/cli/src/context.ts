import { ApiClient } from './api-client.ts';
import { CredentialsFile } from './credentials.ts';
import { Output, type OutputFormat } from './output.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** The options every command accepts (commander has already applied their env vars). */
export interface GlobalOptions {
  output?: OutputFormat;
  server?: string;
  token?: string;
}

export interface CliContext {
  out: Output;
  client: ApiClient;
  credentials: CredentialsFile;
}

/**
 * Server: --server / APERTURE_SERVER, then the stored login, then the default.
 * Token: --token / APERTURE_TOKEN, then the stored login, but only for the server it was issued by,
 * so pointing the CLI at another server never sends it a token of ours.
 */
export async function resolveConnection(
  options: GlobalOptions,
  credentials: CredentialsFile,
): Promise<{ server: string; token: string | undefined }> {
  const stored = await credentials.read();
  const server = normalizeServer(options.server ?? stored?.server ?? DEFAULT_SERVER);
  const storedToken = stored && normalizeServer(stored.server) === server ? stored.token : undefined;
  return { server, token: options.token || storedToken };
}

export async function createContext(
  options: GlobalOptions,
  credentials: CredentialsFile = CredentialsFile.fromEnv(),
): Promise<CliContext> {
  const out = new Output(options.output ?? 'text');
  const { server, token } = await resolveConnection(options, credentials);
  return { out, client: new ApiClient({ server, token }), credentials };
}

export function normalizeServer(server: string): string {
  const withScheme = /^https?:\/\//i.test(server) ? server : `http://${server}`;
  return withScheme.replace(/\/+$/, '');
}
