import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.ts';

const credentialsSchema = z.object({
  server: z.string(),
  token: z.string(),
  username: z.string().optional(),
  savedAt: z.string().optional(),
});

export type Credentials = z.infer<typeof credentialsSchema>;

/** `$XDG_CONFIG_HOME/aperture/credentials.json`, else `~/.config/aperture/credentials.json`. */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'aperture', 'credentials.json');
}

/** Stores what `aperture login` obtained. The file holds a secret: owner-only (0600). */
export class CredentialsFile {
  constructor(readonly path: string) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): CredentialsFile {
    return new CredentialsFile(credentialsPath(env));
  }

  async read(): Promise<Credentials | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = credentialsSchema.safeParse(safeJson(text));
    if (!parsed.success)
      throw new CliError(`${this.path} is not a valid credentials file`, 2, 'run `aperture login` again');
    return parsed.data;
  }

  async write(credentials: Credentials): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFile(this.path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    // writeFile's mode applies only when it creates the file; an older file may be wider.
    await chmod(this.path, 0o600);
  }

  /** Returns whether there was anything to delete. */
  async remove(): Promise<boolean> {
    const existed = (await this.read().catch(() => undefined)) !== undefined;
    await rm(this.path, { force: true });
    return existed;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
