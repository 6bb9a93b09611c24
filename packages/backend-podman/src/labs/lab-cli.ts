/**
 * The Podman CLI calls of the lab provisioner, with failures as typed errors that quote Podman.
 * The CLI rather than the REST API for the control plane: every call here is rare (per student
 * per deploy), and the CLI needs no service running; the API is used where only it will do
 * (terminals, exec with a kill on timeout; see api-exec.ts).
 */
import { podman } from '../podman-cli.ts';

/** Podman said no: `code` is stable, `message` names the command and quotes Podman's words. */
export class PodmanLabError extends Error {
  override name = 'PodmanLabError';
  constructor(
    message: string,
    readonly code: 'podman_refused' | 'podman_unavailable' | 'podman_image_missing' | 'podman_name_in_use',
    readonly exitCode: number | null,
  ) {
    super(message);
  }

  /** Worth another try: not a missing image or a name someone else holds. */
  get transient(): boolean {
    return this.code === 'podman_unavailable';
  }
}

const IMAGE_MISSING =
  /image not known|unable to find image|no such image|manifest unknown|pull access denied|initializing source/i;
const NAME_IN_USE = /already in use|already exists/i;

export class LabCli {
  constructor(
    private readonly podmanPath: string,
    private readonly timeoutMs = 120_000,
  ) {}

  /** stdout of a command that must succeed. */
  async run(args: readonly string[]): Promise<string> {
    const result = await podman(this.podmanPath, [...args], this.timeoutMs);
    if (result.code === 0) return result.stdout;
    const said =
      result.stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ') || `exit ${result.code}`;
    const message = `podman ${args.slice(0, 2).join(' ')}: ${said}`;
    throw new PodmanLabError(message, classify(result.code, said), result.code);
  }

  async json<T>(args: readonly string[]): Promise<T> {
    const out = (await this.run(args)).trim();
    return (out ? JSON.parse(out) : []) as T;
  }

  /** `podman … exists`: exit 0 yes, 1 no, anything else an error. */
  async exists(args: readonly string[]): Promise<boolean> {
    const result = await podman(this.podmanPath, [...args], this.timeoutMs);
    if (result.code === 0) return true;
    if (result.code === 1) return false;
    throw new PodmanLabError(
      `podman ${args.join(' ')}: ${result.stderr.trim()}`,
      'podman_unavailable',
      result.code,
    );
  }
}

function classify(code: number | null, said: string): PodmanLabError['code'] {
  if (IMAGE_MISSING.test(said)) return 'podman_image_missing';
  if (NAME_IN_USE.test(said)) return 'podman_name_in_use';
  // Killed by our timeout, or Podman's own lock and storage trouble: may pass on a retry.
  // "device or resource busy": `rm` of a container in a user namespace sometimes fails to unlink
  // its shm while the container is in fact gone (Podman 4.3, about 1 in 10): the retry finds it gone.
  if (
    code === null ||
    /database is locked|timed out|resource temporarily unavailable|device or resource busy/i.test(said)
  )
    return 'podman_unavailable';
  return 'podman_refused';
}
