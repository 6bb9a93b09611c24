/**
 * go-judge (github.com/criyle/go-judge), the peer sandbox of bench/peer-go-judge.ts: built from its
 * Go module by build-go-judge.sh (cached outside the repo), started on 127.0.0.1 with a mount
 * config written to a temp dir, driven over its REST API (POST /run, DELETE /file/:id), stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GO_JUDGE_VERSION = 'v1.8.5';

const MiB = 1024 * 1024;
const ms = (n: number) => n * 1_000_000; // go-judge takes nanoseconds

/** Limits as a judge would set them: the same numbers as Aperture's defaults (core/domain/limits.ts). */
export const RUN_LIMITS = {
  cpuLimit: ms(5_000),
  clockLimit: ms(10_000),
  memoryLimit: 256 * MiB,
  procLimit: 64,
};
export const COMPILE_LIMITS = {
  cpuLimit: ms(20_000),
  clockLimit: ms(30_000),
  memoryLimit: 512 * MiB,
  procLimit: 128,
};

/**
 * What the sandbox sees: the host's toolchain read-only (python3 and gcc live in /usr), a 64 MiB
 * tmpfs work dir like Aperture's /work, /proc, and the device nodes programs expect. Close to
 * go-judge's own default mount, written out so that a mount.yaml in the working dir cannot change it.
 */
const MOUNT_YAML = `mount:
  - { type: bind, source: /bin, target: /bin, readonly: true }
  - { type: bind, source: /lib, target: /lib, readonly: true }
  - { type: bind, source: /lib64, target: /lib64, readonly: true }
  - { type: bind, source: /usr, target: /usr, readonly: true }
  - { type: bind, source: /etc/ld.so.cache, target: /etc/ld.so.cache, readonly: true }
  - { type: bind, source: /etc/alternatives, target: /etc/alternatives, readonly: true }
  - { type: bind, source: /dev/null, target: /dev/null }
  - { type: bind, source: /dev/urandom, target: /dev/urandom }
  - { type: bind, source: /dev/zero, target: /dev/zero }
  - { type: tmpfs, target: /w, data: "size=64m,nr_inodes=4k" }
  - { type: tmpfs, target: /tmp, data: "size=64m,nr_inodes=4k" }
proc: true
symLink:
  - { linkPath: /dev/fd, target: /proc/self/fd }
  - { linkPath: /dev/stdin, target: /proc/self/fd/0 }
  - { linkPath: /dev/stdout, target: /proc/self/fd/1 }
  - { linkPath: /dev/stderr, target: /proc/self/fd/2 }
workDir: /w
hostName: go-judge
domainName: go-judge
uid: 1536
gid: 1536
`;

export interface GoJudgeFile {
  content?: string;
  fileId?: string;
  name?: string;
  max?: number;
}

export interface GoJudgeCmd {
  args: string[];
  env?: string[];
  files?: GoJudgeFile[];
  cpuLimit?: number;
  clockLimit?: number;
  memoryLimit?: number;
  procLimit?: number;
  copyIn?: Record<string, { content: string } | { fileId: string }>;
  copyOut?: string[];
  copyOutCached?: string[];
}

export interface GoJudgeResult {
  status: string;
  exitStatus: number;
  time: number;
  memory: number;
  runTime: number;
  files?: Record<string, string>;
  fileIds?: Record<string, string>;
  error?: string;
}

/** stdin from `stdin`, stdout and stderr collected (10 KiB each), PATH set: one sandboxed command. */
export function cmd(args: string[], stdin: string, extra: Partial<GoJudgeCmd> = {}): GoJudgeCmd {
  return {
    args,
    env: ['PATH=/usr/bin:/bin', 'HOME=/w'],
    files: [{ content: stdin }, { name: 'stdout', max: 10_240 }, { name: 'stderr', max: 10_240 }],
    ...RUN_LIMITS,
    ...extra,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs bench/lib/build-go-judge.sh (a no-op once the binary is cached); resolves with the binary's path. */
export function buildGoJudge(): Promise<string> {
  const script = new URL('./build-go-judge.sh', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, GO_JUDGE_VERSION },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const path = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && existsSync(path)) resolve(path);
      else reject(new Error(`build-go-judge.sh exited ${code}`));
    });
  });
}

export class GoJudge {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly args: string[],
    private readonly dir: string,
    private readonly cgroupPrefix: string,
    readonly logPath: string,
  ) {}

  static async start(binary: string, parallelism: number): Promise<GoJudge> {
    const dir = mkdtempSync(join(tmpdir(), 'aperture-go-judge-'));
    const mountConf = join(dir, 'mount.yaml');
    writeFileSync(mountConf, MOUNT_YAML);
    const port = await freePort();
    // Its own cgroup prefix, removed by stop(): go-judge leaves its cgroups behind when it exits.
    const cgroupPrefix = `gojudge-bench-${process.pid}`;
    const args = [
      '-http-addr',
      `127.0.0.1:${port}`,
      '-parallelism',
      String(parallelism),
      '-mount-conf',
      mountConf,
      '-cgroup-prefix',
      cgroupPrefix,
      '-release',
    ];
    const logPath = join(dir, 'go-judge.log');
    const log = openSync(logPath, 'a');
    // cwd is the temp dir: go-judge also reads seccomp.yaml from there (there is none: no filter,
    // its default), and nothing of the repository's working dir.
    const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', log, log] });
    const judge = new GoJudge(child, `http://127.0.0.1:${port}`, args, dir, cgroupPrefix, logPath);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`go-judge exited ${code} at start: ${judge.logTail()}`))),
    );
    exited.catch(() => {});
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const response = await Promise.race([fetch(`${judge.url}/version`), exited]);
        if (response.ok) return judge;
      } catch (error) {
        if (child.exitCode !== null || child.signalCode !== null) throw error;
      }
      // Checked on every pass: an answer that is not 2xx must not loop forever either.
      if (Date.now() > deadline) {
        await judge.stop();
        throw new Error(`go-judge did not answer on ${judge.url}: ${judge.logTail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-2000);
    } catch {
      return '';
    }
  }

  async version(): Promise<{ buildVersion: string; goVersion: string }> {
    return (await (await fetch(`${this.url}/version`)).json()) as { buildVersion: string; goVersion: string };
  }

  async config(): Promise<{ runnerConfig?: { cgroupType?: number } }> {
    return (await (await fetch(`${this.url}/config`)).json()) as { runnerConfig?: { cgroupType?: number } };
  }

  async run(cmds: GoJudgeCmd[]): Promise<GoJudgeResult[]> {
    const response = await fetch(`${this.url}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cmd: cmds }),
    });
    if (!response.ok) throw new Error(`go-judge /run answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as GoJudgeResult[];
  }

  async deleteFile(fileId: string): Promise<void> {
    const response = await fetch(`${this.url}/file/${encodeURIComponent(fileId)}`, { method: 'DELETE' });
    await response.arrayBuffer();
  }

  /** Resident memory of go-judge and of every process under it (its pre-forked container inits), bytes. */
  memory(): { server: number; children: number; processes: number } {
    const pid = this.child.pid;
    if (pid === undefined) return { server: 0, children: 0, processes: 0 };
    const descendants = (parent: number): number[] => {
      const kids: number[] = [];
      for (const task of safeReaddir(`/proc/${parent}/task`)) {
        const text = safeRead(`/proc/${parent}/task/${task}/children`).trim();
        if (text) kids.push(...text.split(/\s+/).map(Number));
      }
      return kids.flatMap((k) => [k, ...descendants(k)]);
    };
    const children = descendants(pid);
    return {
      server: rssOf(pid),
      children: children.reduce((sum, p) => sum + rssOf(p), 0),
      processes: children.length,
    };
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await removeCgroups(this.cgroupPrefix);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(safeRead(`/proc/${pid}/status`));
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * rmdir, deepest first, the cgroups go-judge made under `prefix` in every hierarchy (v1 and v2).
 * Its pre-forked container inits die a moment after go-judge itself: retry for a few seconds.
 */
async function removeCgroups(prefix: string): Promise<void> {
  const remove = (path: string): boolean => {
    let ok = true;
    for (const entry of safeReaddir(path)) {
      const child = join(path, entry);
      if (existsSync(join(child, 'cgroup.procs'))) ok = remove(child) && ok;
    }
    try {
      rmdirSync(path);
      return ok;
    } catch {
      return false; // still populated: next try
    }
  };
  const roots = () =>
    [
      join('/sys/fs/cgroup', prefix),
      ...safeReaddir('/sys/fs/cgroup').map((hierarchy) => join('/sys/fs/cgroup', hierarchy, prefix)),
    ].filter((root) => existsSync(root));
  for (let attempt = 0; attempt < 50 && roots().length > 0; attempt++) {
    for (const root of roots()) remove(root);
    if (roots().length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const left = roots();
  if (left.length > 0) process.stderr.write(`go-judge: could not remove its cgroups ${left.join(', ')}\n`);
}
