import type { ExecutionResult, HarnessResult, RunExecutor } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { file, requestFor, runOf, test } from './fixtures.ts';

export interface ContractHooks {
  /**
   * Sandboxes of this executor's instance still present (containers, Jobs), excluding a warm
   * pool's idle ones: must be none after each run. Scoped so parallel suites do not see each other.
   */
  leftovers(): Promise<string[]>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function resultOf(outcome: ExecutionResult): HarnessResult {
  if (outcome.kind !== 'result') throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
  return outcome.result;
}

/**
 * What every RunExecutor must do, whatever engine is behind it. A backend's test file calls this
 * with a factory; the same verdicts must come out of Podman and Kubernetes.
 */
export function describeRunExecutorContract(
  name: string,
  create: () => Promise<RunExecutor>,
  hooks: ContractHooks,
): void {
  describe(`RunExecutor contract: ${name}`, () => {
    let executor: RunExecutor;
    beforeAll(async () => {
      executor = await create();
    });
    afterAll(async () => executor?.close());

    it('reports healthy', async () => {
      expect((await executor.health()).ok).toBe(true);
    });

    it('runs a Python hello world and returns its output', async () => {
      const result = resultOf(
        await executor.execute(
          requestFor(runOf({ language: 'python', files: [file('main.py', 'print("hello")')] })),
        ),
      );
      expect(result.status).toBe('ok');
      expect(result.execution).toMatchObject({ verdict: 'accepted', stdout: 'hello\n', exitCode: 0 });
      // The answer may come before the sandbox is removed (cleaning up after answering), not instead.
      expect(await eventuallyNoLeftovers(hooks)).toEqual([]);
    });

    it('compiles C once and judges each test', async () => {
      const program =
        '#include <stdio.h>\nint main(){long a,b;scanf("%ld %ld",&a,&b);printf("%ld\\n",a==2?0:a+b);return 0;}\n';
      const run = runOf({
        language: 'c',
        files: [file('main.c', program)],
        tests: [test('one', '1 2\n', '3\n'), test('two', '2 2\n', '4\n'), test('three', '5 5\n', '10\n')],
      });
      const result = resultOf(await executor.execute(requestFor(run)));
      expect(result.compile?.verdict).toBe('ok');
      expect(result.tests.map((t) => t.verdict)).toEqual(['accepted', 'wrong_answer', 'accepted']);
      expect(result.score).toBe(2);
    });

    it('reports a compile error as the student’s, with the compiler output', async () => {
      const run = runOf({
        language: 'c',
        files: [file('main.c', 'int main( { return 0; }')],
        tests: [test('t', '', '')],
      });
      const result = resultOf(await executor.execute(requestFor(run)));
      expect(result.status).toBe('ok');
      expect(result.compile?.verdict).toBe('compile_error');
      expect(result.compile?.stderr).toContain('error');
      expect(result.tests[0]?.verdict).toBe('skipped');
    });

    it('stops a program at its time limit', async () => {
      const run = runOf({
        language: 'python',
        files: [file('main.py', 'while True: pass')],
        limits: { cpuMs: 1000, wallMs: 3000 },
      });
      const result = resultOf(await executor.execute(requestFor(run)));
      expect(result.execution?.verdict).toBe('time_limit_exceeded');
    });

    it('cancels a running job and leaves nothing behind', async () => {
      const controller = new AbortController();
      const run = runOf({ language: 'python', files: [file('main.py', 'import time\ntime.sleep(30)')] });
      const pending = executor.execute(requestFor(run, controller.signal));
      setTimeout(() => controller.abort(), 1500);
      const outcome = await pending;
      expect(outcome.kind).toBe('cancelled');
      expect(await hooks.leftovers()).toEqual([]);
    });

    it('runs every language', async () => {
      const programs: Record<string, [string, string]> = {
        python: ['main.py', 'print(input().upper())'],
        c: [
          'main.c',
          '#include <stdio.h>\n#include <ctype.h>\nint main(){int c;while((c=getchar())!=EOF)putchar(toupper(c));}',
        ],
        cpp: [
          'main.cpp',
          '#include <iostream>\n#include <string>\nint main(){std::string s;std::cin>>s;for(auto&c:s)c=toupper(c);std::cout<<s<<"\\n";}',
        ],
        java: [
          'Main.java',
          'public class Main{public static void main(String[] a){System.out.println(new java.util.Scanner(System.in).next().toUpperCase());}}',
        ],
        javascript: [
          'main.js',
          'process.stdin.on("data",d=>process.stdout.write(d.toString().toUpperCase()))',
        ],
        bash: ['main.sh', 'read x; echo "${x^^}"'],
      };
      const results = await Promise.all(
        Object.entries(programs).map(async ([language, [path, source]]) => {
          const run = runOf({
            language,
            files: [file(path, source)],
            tests: [test('upper', 'abc\n', 'ABC\n')],
          });
          const result = resultOf(await executor.execute(requestFor(run)));
          return [language, result.tests[0]?.verdict ?? result.compile?.stderr] as const;
        }),
      );
      expect(Object.fromEntries(results)).toEqual(
        Object.fromEntries(Object.keys(programs).map((l) => [l, 'accepted'])),
      );
    }, 180_000);

    it('fails a run as infrastructure, retryable, when the image is missing', async () => {
      const request = requestFor(runOf({ language: 'python', files: [file('main.py', 'print(1)')] }));
      const outcome = await executor.execute({
        ...request,
        sandbox: { ...request.sandbox, image: 'aperture/runner-does-not-exist' },
      });
      expect(outcome).toMatchObject({ kind: 'infrastructure', retryable: true });
      expect(outcome.kind === 'infrastructure' && outcome.reason).toContain('runner-does-not-exist');
      expect(await hooks.leftovers()).toEqual([]);
    });

    it('sweep keeps the sandboxes of live runs and removes the ones no live run owns', async () => {
      // Non-default limits, so the run starts a cold sandbox even where a warm pool exists.
      const slowRun = () =>
        runOf({
          language: 'python',
          files: [file('main.py', 'import time\ntime.sleep(3)\nprint("ok")')],
          limits: { memoryBytes: 192 * 1024 * 1024 },
        });
      const sandboxStarted = async () => {
        for (let i = 0; i < 100 && (await hooks.leftovers()).length === 0; i++) await sleep(100);
        expect((await hooks.leftovers()).length).toBe(1);
      };

      const live = slowRun();
      const kept = executor.execute(requestFor(live));
      await sandboxStarted();
      expect((await executor.sweep(new Set([live.id]))).removed).toBe(0);
      expect(resultOf(await kept).execution?.stdout).toBe('ok\n');

      const orphaned = executor.execute(requestFor(slowRun()));
      await sandboxStarted();
      expect((await executor.sweep(new Set())).removed).toBe(1);
      expect((await orphaned).kind).toBe('infrastructure');
      expect(await hooks.leftovers()).toEqual([]);
    });
  });
}

/** Leftovers, waited for up to 10 s: an executor may answer first and remove its sandbox after. */
async function eventuallyNoLeftovers(hooks: { leftovers(): Promise<string[]> }): Promise<string[]> {
  let left = await hooks.leftovers();
  for (let i = 0; i < 100 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await hooks.leftovers();
  }
  return left;
}
