import { spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run one podman command to completion. For control-plane calls (ps, rm, version), not for runs. */
export function podman(podmanPath: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(podmanPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Remove containers now: `-t 0` because a PID 1 that ignores SIGTERM would cost Podman's 10 s. */
export async function removeContainers(podmanPath: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await podman(podmanPath, ['rm', '--force', '--ignore', '--time', '0', ...names]);
}
