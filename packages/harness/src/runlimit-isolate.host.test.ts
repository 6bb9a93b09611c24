/**
 * runlimit --isolate on this host (ADR 0006), without a container: root here plays the sandbox's
 * root, and a box in the host's cgroup v1 hierarchies plays the delegated one. Needs root and
 * cgroup v1 (as CI and the Podman backend have); elsewhere the suite says why it did not run.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRunlimit } from './host-kit.ts';

const CONTROLLERS = ['memory', 'pids', 'cpuacct'] as const;
const hostReady =
  process.getuid?.() === 0 && CONTROLLERS.every((c) => existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`));

describe.runIf(hostReady)('runlimit --isolate (root, cgroup v1)', () => {
  let runlimit: string;
  let work: string;
  let hidden: string;
  const root = mkdtempSync(join(tmpdir(), 'aperture-cgroot-'));
  const box = `aperture-box-runlimit-test-${process.pid}`;

  beforeAll(() => {
    runlimit = buildRunlimit();
    for (const c of CONTROLLERS) {
      mkdirSync(`/sys/fs/cgroup/${c}/${box}`);
      symlinkSync(`/sys/fs/cgroup/${c}/${box}`, join(root, c));
    }
    work = mkdtempSync(join(tmpdir(), 'aperture-work-'));
    writeFileSync(join(work, 'main.txt'), 'submitted\n');
    hidden = mkdtempSync(join(tmpdir(), 'aperture-hidden-'));
    writeFileSync(join(hidden, 'secret'), 'expected output\n');
  });

  afterAll(() => {
    for (const c of CONTROLLERS) rmdirSync(`/sys/fs/cgroup/${c}/${box}`);
  });

  function run(script: string, extra: string[] = [], cpuMs = 2000) {
    const args = [
      '--cpu-ms',
      String(cpuMs),
      '--wall-ms',
      '6000',
      '--isolate',
      '--uid',
      '1000',
      '--gid',
      '1000',
      '--cgroup-root',
      root,
      '--memory',
      String(64 << 20),
      '--pids',
      '32',
      '--fresh',
      '/tmp:1048576',
      '--copy',
      `${work}:1048576`,
      '--hide',
      hidden,
      '--hide',
      root,
      ...extra,
      '--',
      '/bin/sh',
      '-c',
      script,
    ];
    const result = spawnSync(runlimit, args, {
      cwd: work,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const lines = String(result.output[3] ?? '')
      .trim()
      .split('\n');
    return {
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
      report: JSON.parse(lines.at(-1) ?? '{}'),
    };
  }

  it('runs the program as uid 1000 without capabilities, alone in its PID, UTS and network namespaces', () => {
    const { stdout, report } = run(
      'id -u; grep -E "^Cap(Eff|Prm|Bnd|Amb)" /proc/self/status | tr -s "\\t" " "; hostname; ls /proc | grep -c "^[0-9]"; awk \'NR > 2 { printf "%s ", $1 }\' /proc/net/dev; grep NoNewPrivs /proc/self/status',
    );
    expect(report).toMatchObject({ exitCode: 0, isolated: true, oomKills: 0 });
    expect(stdout).toBe(
      '1000\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\nCapAmb: 0000000000000000\nsandbox\n4\nlo: NoNewPrivs:\t1\n',
    );
  });

  it('gives the program a fresh copy of the work dir and hides the trusted places', () => {
    const { stdout } = run(
      `cat main.txt; echo changed > main.txt; ls -A ${hidden} ${root} | wc -l; stat -c %u main.txt`,
    );
    expect(stdout).toBe('submitted\n0\n1000\n');
    expect(readFileSync(join(work, 'main.txt'), 'utf8')).toBe('submitted\n');
  });

  it('refuses the program namespaces and mounts of its own (its seccomp filter)', () => {
    const { stdout, report } = run(
      'unshare -Ur true 2>/dev/null; echo $?; unshare -n true 2>/dev/null; echo $?; echo threads-ok',
    );
    expect(report.exitCode).toBe(0);
    expect(stdout).toBe('1\n1\nthreads-ok\n');
  });

  it('counts the CPU of detached processes and stops the execution at the limit', () => {
    const { report } = run('(setsid sh -c "while :; do :; done" &) ; sleep 4', [], 500);
    expect(report.cpuMs).toBeGreaterThan(500);
    expect(report.signal).toBe(9);
  });

  it('reports an OOM kill of its own cgroup', () => {
    const { report } = run('python3 -c "x = bytearray(200 << 20)"');
    expect(report.oomKills).toBeGreaterThan(0);
  });

  it("a setup failure is runlimit's error, never an exit code of the program", () => {
    const { status, report, stderr } = run('true', ['--copy', '/nonexistent-dir:1024']);
    expect(status).toBe(125);
    expect(report.error).toMatch(/init failed/);
    expect(stderr).toMatch(/cannot open \/nonexistent-dir/);
  });

  it('leaves no execution cgroup behind', () => {
    for (const c of CONTROLLERS)
      expect(
        readdirSync(`/sys/fs/cgroup/${c}/${box}`, { withFileTypes: true }).filter((e) => e.isDirectory()),
      ).toEqual([]);
  });
});

/**
 * runlimit --isolate --userns, the unprivileged form (a restricted Kubernetes pod): run here as uid
 * 1000 through setpriv, so it has exactly the rights the pod's harness has (the host applies no
 * seccomp filter; the pod needs deploy/seccomp's profile for the same calls).
 */
describe.runIf(process.getuid?.() === 0 && existsSync('/usr/bin/setpriv'))(
  'runlimit --isolate --userns (uid 1000)',
  () => {
    let runlimit: string;
    let work: string;

    beforeAll(() => {
      runlimit = buildRunlimit();
      chmodSync(dirname(runlimit), 0o755);
      work = mkdtempSync(join(tmpdir(), 'aperture-userns-work-'));
      writeFileSync(join(work, 'main.txt'), 'submitted\n');
      chownSync(work, 1000, 1000);
      chownSync(join(work, 'main.txt'), 1000, 1000);
    });

    function run(script: string, cpuMs = 2000) {
      const args = [
        ...['--reuid', '1000', '--regid', '1000', '--clear-groups', runlimit],
        ...[
          '--cpu-ms',
          String(cpuMs),
          '--wall-ms',
          '6000',
          '--isolate',
          '--userns',
          '--uid',
          '1000',
          '--gid',
          '1000',
        ],
        ...['--fresh', '/tmp:1048576', '--copy', `${work}:1048576`, '--', '/bin/sh', '-c', script],
      ];
      const result = spawnSync('setpriv', args, {
        cwd: work,
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
      const lines = String(result.output[3] ?? '')
        .trim()
        .split('\n');
      return { status: result.status, stdout: result.stdout, report: JSON.parse(lines.at(-1) ?? '{}') };
    }

    it('runs the program without capabilities in namespaces of its own, on a fresh copy', () => {
      const { stdout, report } = run(
        'id -u; grep -E "^CapEff" /proc/self/status | tr -s "\\t" " "; hostname; awk \'NR > 2 { printf "%s ", $1 }\' /proc/net/dev; echo; echo changed > main.txt',
      );
      expect(report).toMatchObject({ exitCode: 0, isolated: true });
      expect(report.oomKills).toBeUndefined(); // no cgroup of its own: the container's counter decides
      expect(stdout).toBe('1000\nCapEff: 0000000000000000\nsandbox\nlo: \n');
      expect(readFileSync(join(work, 'main.txt'), 'utf8')).toBe('submitted\n');
    });

    it('cannot open the descriptors or environment of runlimit or the init (same uid, parent user namespace)', () => {
      const { stdout } = run(
        'for p in /proc/[0-9]*; do cat $p/environ >/dev/null 2>&1 && basename $p; done | wc -l; echo $$',
      );
      // Only its own two processes (this shell and the pipeline's children) are readable.
      const [readable] = stdout.split('\n');
      expect(Number(readable)).toBeLessThanOrEqual(4);
      const { stdout: forged } = run(
        'n=0; for f in /proc/[0-9]*/fd/3; do echo forged > $f 2>/dev/null && n=$((n+1)); done; echo $n',
      );
      expect(forged).toBe('0\n');
    });

    it('counts the CPU of detached processes (reaped in its PID namespace)', () => {
      // The detached process burns 0.6 s of CPU whatever the machine's load, then tells main to end.
      const burn = [
        'import os, time',
        'if os.fork() == 0:',
        '    os.setsid()',
        '    if os.fork() == 0:',
        '        while time.process_time() < 0.6: pass',
        '        open("/tmp/burnt", "w").close()',
        '        time.sleep(60)',
        '    os._exit(0)',
        'while not os.path.exists("/tmp/burnt"): time.sleep(0.01)',
      ].join('\n');
      const { report } = run(`python3 -c '${burn}'`, 5000);
      expect(report.exitCode).toBe(0);
      expect(report.cpuMs).toBeGreaterThanOrEqual(600);
    });
  },
);
