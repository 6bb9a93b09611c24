import { execFileSync } from 'node:child_process';
import type { RunExecutor } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN, startTestServer, type TestServer } from './test-server.ts';

/**
 * Hostile submissions through the whole stack: API → dispatcher → backend → harness. Each must end
 * with its verdict within its limits, leave the server and other runs unaffected, and leave no
 * sandbox or process behind. Every backend whose sandboxes run on this machine runs this suite.
 */
export interface HostileBackend {
  createExecutor(): Promise<RunExecutor>;
  /** This suite's sandboxes still present (containers, Jobs). */
  sandboxes(): Promise<string[]>;
  /** Why a run's network is not cut off here (the test is then skipped), if it is not. */
  networkNotIsolated?: string;
  /**
   * Why this backend's sandboxes do not run the isolated engine (ADR 0006) yet, if they do not: the
   * attacks on the trusted part, detached CPU and state carried between tests are then skipped.
   */
  notIsolated?: string;
  /** Host uids the sandboxes' programs run as (for the no-process-left check). */
  programUids?: readonly number[];
}

const LIMITS = { cpuMs: 2000, wallMs: 4000, memoryBytes: 128 * 1024 * 1024, outputBytes: 64 * 1024 };

export function describeHostileSubmissions(name: string, backend: HostileBackend): void {
  let t: TestServer;
  const token = BOOTSTRAP_TOKEN;

  beforeAll(async () => {
    t = await startTestServer(await backend.createExecutor(), { concurrency: 2, seedDemo: false });
  }, 60_000);
  afterAll(async () => t?.close());

  async function run(language: string, path: string, source: string, extra: Record<string, unknown> = {}) {
    const started = Date.now();
    const response = await t.api(token, 'POST', '/api/v1/runs?wait=true', {
      language,
      files: [{ path, content: source }],
      limits: LIMITS,
      ...extra,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return { ...response.body, elapsedMs: Date.now() - started };
  }

  /**
   * Sandbox processes (uid 1000) that only this suite starts: the background `sleep 1000`s and the
   * fork bombs' `./main`s. Other suites' sandboxes may run at the same time, so not all of uid 1000.
   */
  function sandboxProcesses(): string[] {
    try {
      const uids = (backend.programUids ?? [1000]).join(',');
      return execFileSync('ps', ['-u', uids, '-o', 'pid=,cmd='], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => /sleep 1000|:\|:|\.\/main$/.test(line));
    } catch {
      return []; // ps exits 1 when there are none
    }
  }

  describe(`hostile submissions (${name})`, () => {
    it('fork bomb (C, main keeps forking): stopped by the pids limit, then the time limit', async () => {
      const result = await run('c', 'main.c', '#include <unistd.h>\nint main(){for(;;)fork();}');
      expect(['time_limit_exceeded', 'wall_time_limit_exceeded']).toContain(result.verdict);
      expect(result.elapsedMs).toBeLessThan(30_000);
    });

    it('fork bomb (bash, main returns at once): the bomb left behind is killed, the run ends', async () => {
      // The main shell exits 0 straight away, so "accepted" is the truthful verdict; what matters is
      // that the bomb it left running is contained and killed (checked by the last test).
      const result = await run('bash', 'main.sh', ':(){ :|:& };:');
      expect(result.status).toBe('completed');
      expect(result.verdict).not.toBe('internal_error');
      expect(result.elapsedMs).toBeLessThan(30_000);
    });

    it('memory bomb: memory limit exceeded', async () => {
      const result = await run(
        'python',
        'main.py',
        'chunks = []\nwhile True:\n    chunks.append(b"x" * (16 << 20))\n',
      );
      expect(result.verdict).toBe('memory_limit_exceeded');
    });

    it('CPU loop: time limit exceeded', async () => {
      // Wall time far above CPU time: on a loaded machine the CPU limit must still be what stops it.
      const result = await run('c', 'main.c', 'int main(){volatile unsigned long x=0;for(;;)x++;}', {
        limits: { ...LIMITS, cpuMs: 1000, wallMs: 15_000 },
      });
      expect(result.verdict).toBe('time_limit_exceeded');
    });

    it('sleep forever: wall time limit exceeded', async () => {
      const result = await run('python', 'main.py', 'import time\ntime.sleep(10**6)');
      expect(result.verdict).toBe('wall_time_limit_exceeded');
      expect(result.elapsedMs).toBeLessThan(20_000);
    });

    it('1 GB of output: output limit exceeded, cut with a marker, fast', async () => {
      const result = await run(
        'c',
        'main.c',
        '#include <stdio.h>\nint main(){static char b[1<<20];for(int i=0;i<1024;i++)fwrite(b,1,sizeof b,stdout);}',
      );
      expect(result.verdict).toBe('output_limit_exceeded');
      expect(result.stdout.length).toBeLessThan(LIMITS.outputBytes * 2);
      expect(result.stdout).toContain('truncated');
    });

    it('filling the disk: stopped by the file-size limit or a full tmpfs, the host untouched', async () => {
      const result = await run(
        'python',
        'main.py',
        'with open("fill", "wb") as f:\n    while True:\n        f.write(b"x" * (1 << 20))\n',
      );
      expect(['output_limit_exceeded', 'runtime_error', 'memory_limit_exceeded']).toContain(result.verdict);
    });

    it.skipIf(backend.networkNotIsolated !== undefined)(
      'network: no connection leaves the sandbox',
      async () => {
        const source = [
          'import socket',
          'for host in ["1.1.1.1", "10.0.2.2", "169.254.169.254", "127.0.0.1"]:',
          '    try:',
          '        socket.create_connection((host, 80), timeout=2)',
          '        print("connected", host)',
          '    except OSError as e:',
          '        print("blocked", host)',
        ].join('\n');
        const result = await run('python', 'main.py', source);
        expect(result.stdout).not.toContain('connected');
        expect(result.stdout.match(/blocked/g)).toHaveLength(4);
      },
    );

    it('reading host files: the sandbox sees only its image', async () => {
      const source = [
        'import os',
        'print(open("/etc/hostname").read().strip())',
        'print(os.path.exists("/work/main/package.json"), os.path.exists("/root/.npmrc"))',
        'try:',
        '    open("/etc/shadow").read(); print("shadow readable")',
        'except OSError: print("shadow denied")',
        'print(os.getuid())',
      ].join('\n');
      const result = await run('python', 'main.py', source);
      expect(result.stdout).toBe('sandbox\nFalse False\nshadow denied\n1000\n');
    });

    it('a background process that outlives main does not hold the run', async () => {
      const result = await run(
        'bash',
        'main.sh',
        '(sleep 1000 &) ; nohup sleep 1000 >/dev/null 2>&1 & echo done',
      );
      expect(result.verdict).toBe('accepted');
      expect(result.stdout).toBe('done\n');
      expect(result.elapsedMs).toBeLessThan(15_000);
    });

    it('compile bomb: a compile error, not a hung compiler', async () => {
      const result = await run('c', 'main.c', '#include "/dev/zero"\nint main(){}', {
        tests: [{ name: 't', expectedOutput: '' }],
      });
      expect(result.verdict).toBe('compile_error');
    }, 90_000);

    it('cannot read hidden expected output from the harness memory', async () => {
      // A cheat that would pass any test: scan every process's memory for the expected answer.
      const source = [
        'import os',
        'found = False',
        // Itself, whichever PID namespace /proc shows (Kubernetes: the pod's, not the execution's).
        'mine = {str(os.getpid()), os.readlink("/proc/self")}',
        'for pid in filter(str.isdigit, os.listdir("/proc")):',
        '    try:',
        '        mem = open(f"/proc/{pid}/mem", "rb")',
        '        for line in open(f"/proc/{pid}/maps"):',
        '            start, end = (int(x, 16) for x in line.split()[0].split("-"))',
        '            try:',
        '                mem.seek(start)',
        '                found |= b"HIDDEN-ANSWER-" in mem.read(min(end - start, 1 << 24)) and pid not in mine',
        '            except (OSError, ValueError, OverflowError):',
        '                pass',
        '    except OSError:',
        '        pass',
        'print("HIDDEN-ANSWER-7f3a" if found else "not found")',
      ].join('\n');
      const result = await run('python', 'main.py', source, {
        tests: [{ name: 'secret', expectedOutput: 'HIDDEN-ANSWER-7f3a\n', comparator: { kind: 'exact' } }],
      });
      expect(result.tests[0].stdout).toBe('not found\n');
      expect(result.verdict).toBe('wrong_answer');
    });

    it('output crafted against a backtracking-prone pattern gets a verdict, not a grader timeout (ReDoS)', async () => {
      // `(a+)+$` against a's and a '!' takes a backtracking engine exponential time; the staff wrote
      // an innocent pattern, the student picked the output. RE2 (linear) answers at once.
      const result = await run('python', 'main.py', 'print("a" * 50000 + "!")', {
        tests: [{ name: 'pattern', comparator: { kind: 'regex', pattern: '(a+)+$' } }],
      });
      expect(result.status).toBe('completed');
      expect(result.verdict).toBe('wrong_answer');
      expect(result.attempts).toBe(1);
    });

    it('cannot read the checker or other support files while its test runs', async () => {
      const course = await t.api(token, 'POST', '/api/v1/courses', { code: 'HOSTILE', title: 'Hostile' });
      const checker = 'import sys\nsys.exit(0 if open(sys.argv[3]).read().split()[-1] == "42" else 1)\n';
      const assignment = await t.api(token, 'POST', `/api/v1/courses/${course.body.id}/assignments`, {
        slug: 'checked',
        title: 'Checked',
        languages: ['python'],
        supportFiles: [{ path: 'check.py', content: `# SUPPORT-SECRET\n${checker}` }],
        tests: [{ name: 'answer', comparator: { kind: 'checker', command: 'python3 check.py' } }],
      });
      expect(assignment.status, JSON.stringify(assignment.body)).toBe(201);
      const snoop = [
        'import os',
        'hits = []',
        'for top in ["/tmp", "/work", "/autograder", "/dev/shm", "/var/tmp", "/run"]:',
        '  for root, dirs, files in os.walk(top):',
        '    for name in files:',
        '        try:',
        '            if (b"SUPPORT-" + b"SECRET") in open(os.path.join(root, name), "rb").read(1 << 20): hits.append(name)',
        '        except OSError: pass',
        'print(hits)',
        'print(42)',
      ].join('\n');
      const submitted = await t.api(token, 'POST', `/api/v1/assignments/${assignment.body.id}/submissions`, {
        language: 'python',
        files: [{ path: 'main.py', content: snoop }],
      });
      const final = (await t.api(token, 'GET', `/api/v1/runs/${submitted.body.id}?wait=true`)).body;
      expect(final.tests[0].stdout).toBe('[]\n42\n');
      expect(final.verdict).toBe('accepted'); // and the checker itself still ran and accepted
    });

    it('cannot plant code that the checker would load (fixed paths, HOME, symlinks)', async () => {
      const course = await t.api(token, 'POST', '/api/v1/courses', { code: 'PLANT', title: 'Plant' });
      const checker = 'import sys\nsys.exit(0 if open(sys.argv[3]).read().split()[-1] == "42" else 1)\n';
      const assignment = await t.api(token, 'POST', `/api/v1/courses/${course.body.id}/assignments`, {
        slug: 'planted',
        title: 'Planted',
        languages: ['python'],
        supportFiles: [{ path: 'check.py', content: checker }],
        tests: [
          { name: 'one', comparator: { kind: 'checker', command: 'python3 check.py' } },
          { name: 'two', comparator: { kind: 'checker', command: 'python3 check.py' } },
        ],
      });
      const plant = [
        'import os',
        'for home in ["/tmp/aperture-support", "/tmp", "/work"]:',
        '    site = os.path.join(home, ".local/lib/python3.11/site-packages")',
        '    os.makedirs(site, exist_ok=True)',
        '    open(os.path.join(site, "usercustomize.py"), "w").write("import os\\nos._exit(0)\\n")',
        'open("/work/usercustomize.py", "w").write("import os\\nos._exit(0)\\n")',
        'print("wrong")',
      ].join('\n');
      const submitted = await t.api(token, 'POST', `/api/v1/assignments/${assignment.body.id}/submissions`, {
        language: 'python',
        files: [{ path: 'main.py', content: plant }],
      });
      const final = (await t.api(token, 'GET', `/api/v1/runs/${submitted.body.id}?wait=true`)).body;
      expect(final.tests.map((x: { verdict: string }) => x.verdict)).toEqual([
        'wrong_answer',
        'wrong_answer',
      ]);
    });

    const isolatedIt = it.skipIf(backend.notIsolated !== undefined);

    async function assignment(code: string, body: Record<string, unknown>) {
      const course = await t.api(token, 'POST', '/api/v1/courses', { code, title: code });
      const created = await t.api(token, 'POST', `/api/v1/courses/${course.body.id}/assignments`, {
        slug: code.toLowerCase(),
        title: code,
        languages: ['python'],
        ...body,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as string;
    }

    async function submit(assignmentId: string, source: string) {
      const submitted = await t.api(token, 'POST', `/api/v1/assignments/${assignmentId}/submissions`, {
        language: 'python',
        files: [{ path: 'main.py', content: source }],
      });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
      return (await t.api(token, 'GET', `/api/v1/runs/${submitted.body.id}?wait=true`)).body;
    }

    isolatedIt('signals to every pid and the debugger port reach nothing of the trusted side', async () => {
      // Today's Node harness opens its inspector on SIGUSR1; same uid, that was a forged grade.
      const source = [
        'import os, signal, socket, time',
        // PID 1 is the execution's own init: a signal from inside its namespace is dropped (no handler).
        'mine = {1, os.getpid(), os.getppid()}',
        'hit = 0',
        'for pid in range(1, 70000):',
        '    if pid in mine: continue',
        '    try:',
        '        os.kill(pid, signal.SIGUSR1); hit += 1',
        '    except OSError: pass',
        'time.sleep(0.3)',
        'ports = []',
        'for port in (9229, 9230):',
        '    try:',
        '        socket.create_connection(("127.0.0.1", port), timeout=1); ports.append(port)',
        '    except OSError: pass',
        'print("signalled", hit, "inspector", ports)',
      ].join('\n');
      const result = await run('python', 'main.py', source);
      expect(result.status).toBe('completed');
      expect(result.stdout).toBe('signalled 0 inspector []\n');
    });

    isolatedIt('forged report lines on every reachable descriptor do not hide CPU time', async () => {
      const source = [
        'import os, time',
        'line = \'{"exitCode":0,"signal":null,"cpuMs":5,"wallMs":5,"maxRssKb":1,"wallTimedOut":false}\\n\'',
        'forged = 0',
        'for pid in filter(str.isdigit, os.listdir("/proc")):',
        '    if int(pid) in (os.getpid(), os.getppid()): continue',
        '    try: fds = os.listdir(f"/proc/{pid}/fd")',
        '    except OSError: continue',
        '    for fd in fds:',
        '        try:',
        '            with open(f"/proc/{pid}/fd/{fd}", "w") as f: f.write(line); forged += 1',
        '        except OSError: pass',
        'end = time.process_time() + 2.5',
        'while time.process_time() < end: pass',
        'print("forged", forged)',
      ].join('\n');
      const result = await run('python', 'main.py', source, {
        limits: { ...LIMITS, cpuMs: 1000, wallMs: 8000 },
      });
      expect(result.verdict).toBe('time_limit_exceeded');
      expect(result.stdout).not.toMatch(/forged [1-9]/);
    });

    isolatedIt('CPU burnt by detached processes counts against the test', async () => {
      // Double fork: the busy loops are reparented away from the test's process tree.
      const source = [
        'import os, time',
        'for _ in range(2):',
        '    if os.fork() == 0:',
        '        os.setsid()',
        '        if os.fork() == 0:',
        '            while True: pass',
        '        os._exit(0)',
        'time.sleep(2.5)',
        'print("main done")',
      ].join('\n');
      const result = await run('python', 'main.py', source, {
        limits: { ...LIMITS, cpuMs: 1000, wallMs: 8000 },
      });
      expect(result.verdict).toBe('time_limit_exceeded');
    });

    isolatedIt(
      'killing every process it can see leaves the trusted part running: a verdict at once',
      async () => {
        const source = [
          'import os, signal',
          'for pid in [-1] + list(range(1, 70000)):',
          '    if pid in (os.getpid(), os.getppid()): continue',
          '    try: os.kill(pid, signal.SIGKILL)',
          '    except OSError: pass',
          'print(6 * 7)',
        ].join('\n');
        const id = await assignment('KILLALL', {
          tests: [{ name: 'answer', stdin: '', expectedOutput: '41\n', visibility: 'visible' }],
        });
        const final = await submit(id, source);
        expect(final.status).toBe('completed');
        expect(final.attempts).toBe(1);
        // kill(-1) also reaches its own shell: the program ends by its own hand, never "accepted".
        expect(['runtime_error', 'wrong_answer']).toContain(final.verdict);
      },
    );

    isolatedIt('cannot make namespaces of its own (no user namespace, no mounts)', async () => {
      // Root in a user namespace of its own would reach network and mount code in the kernel, and
      // could try to take the covers off the trusted side's places: runlimit's filter refuses it.
      const source = [
        'unshare -Ur true && echo "user namespace made" || echo "user namespace refused"',
        'unshare -n true 2>/dev/null && echo "net namespace made" || echo "net namespace refused"',
        'find /aperture/cgroup /var/run/aperture /dev/mqueue -mindepth 1 2>/dev/null | wc -l',
      ].join('\n');
      const result = await run('bash', 'main.sh', source);
      expect(result.stdout).toBe('user namespace refused\nnet namespace refused\n0\n');
    });

    isolatedIt(
      'a program as large as the work dir allows is still copied fresh into each test',
      async () => {
        // Each test gets its own copy of the work dir: a copy that did not fit would be our failure.
        const source =
          '#include <stdio.h>\nstatic char big[48 << 20] = {1};\nint main(){puts(big[0] ? "ok" : "no");}';
        const result = await run('c', 'main.c', source, {
          limits: { ...LIMITS, memoryBytes: 256 * 1024 * 1024 },
          tests: [
            { name: 'one', expectedOutput: 'ok\n' },
            { name: 'two', expectedOutput: 'ok\n' },
          ],
        });
        expect(result.tests.map((x: { verdict: string }) => x.verdict)).toEqual(['accepted', 'accepted']);
      },
      90_000,
    );

    isolatedIt('no test sees what an earlier (hidden) test was given or wrote', async () => {
      // Test 1 (hidden) writes its secret input everywhere it can; test 2 (visible) looks for it.
      const source = [
        'import os, sys',
        'data = sys.stdin.read()',
        'places = ["/tmp", "/dev/shm", "/work", "/autograder", "/var/tmp", "/run", os.getcwd(), os.path.expanduser("~")]',
        'if data.startswith("SECRET"):',
        '    for place in places:',
        '        try:',
        '            open(os.path.join(place, ".left-behind"), "w").write(data)',
        '        except OSError: pass',
        '    print("wrote")',
        'else:',
        '    found = []',
        '    for place in places:',
        '        try: found.append(open(os.path.join(place, ".left-behind")).read().strip())',
        '        except OSError: pass',
        '    print("found", found)',
      ].join('\n');
      const id = await assignment('CARRY', {
        tests: [
          { name: 'hidden', stdin: 'SECRET-INPUT-91', expectedOutput: 'wrote\n', visibility: 'hidden' },
          { name: 'visible', stdin: 'look', expectedOutput: 'found []\n', visibility: 'visible' },
        ],
      });
      const final = await submit(id, source);
      expect(final.tests.map((x: { verdict: string }) => x.verdict)).toEqual(['accepted', 'accepted']);
    });

    it('hostile runs next to an honest one: the honest one is unaffected', async () => {
      const [bomb, honest] = await Promise.all([
        run('python', 'main.py', 'chunks = []\nwhile True:\n    chunks.append(b"x" * (16 << 20))\n'),
        run('python', 'main.py', 'print(sum(range(10)))'),
      ]);
      expect(bomb.verdict).toBe('memory_limit_exceeded');
      expect(honest).toMatchObject({ verdict: 'accepted', stdout: '45\n' });
      expect((await t.api(undefined, 'GET', '/healthz')).status).toBe(200);
    });

    it('leaves no sandbox and no sandbox process behind', async () => {
      for (
        let i = 0;
        i < 20 && ((await backend.sandboxes()).length > 0 || sandboxProcesses().length > 0);
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(await backend.sandboxes()).toEqual([]);
      expect(sandboxProcesses()).toEqual([]);
    });
  });
}
