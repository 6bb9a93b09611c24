import { hostname } from 'node:os';
import type { ApiClient, CreatedToken, TokenInfo } from '../api-client.ts';
import type { CredentialsFile } from '../credentials.ts';
import { type Output, table } from '../output.ts';

export interface LoginResult {
  server: string;
  username: string;
  tokenId: string;
  tokenName: string;
  credentialsPath: string;
}

export const cliTokenName = (host = hostname()) => `cli@${host}`;

/** Password → session cookie → a personal token named cli@<host>, stored for later commands. */
export async function login(
  authenticated: ApiClient,
  credentials: CredentialsFile,
  username: string,
  password: string,
): Promise<LoginResult> {
  const client = authenticated.withoutToken();
  const session = await client.login(username, password);
  const created = await client.createToken({ name: cliTokenName() }, session.sessionCookie);
  await credentials.write({
    server: client.server,
    token: created.token,
    username: session.user.username,
    savedAt: new Date().toISOString(),
  });
  return {
    server: client.server,
    username: session.user.username,
    tokenId: created.id,
    tokenName: created.name,
    credentialsPath: credentials.path,
  };
}

export function printLogin(result: LoginResult, out: Output): void {
  out.result(result, (r) => `Logged in to ${r.server} as ${r.username} (token ${r.tokenName}).`);
}

export function printToken(token: CreatedToken, out: Output): void {
  out.result(token, (t) => `${t.token}\n`);
  if (!out.json) out.info(`Token ${token.name} (${token.id}) created. It is shown only this once.`);
}

export function printTokens(tokens: TokenInfo[], out: Output): void {
  out.result(tokens, (list) =>
    table(list, [
      { header: 'id', value: (t) => t.id },
      { header: 'name', value: (t) => t.name },
      { header: 'created', value: (t) => t.createdAt },
      { header: 'last used', value: (t) => t.lastUsedAt },
      { header: 'expires', value: (t) => t.expiresAt ?? 'never' },
    ]),
  );
}
