import { spawn } from 'node:child_process';
import { TRUNCATION_MARKER } from '@aperture/core';
import { describe, expect, it } from 'vitest';
import { killLeftovers, liveProcesses, parseStat } from './cleanup.ts';
import { childEnvironment } from './config.ts';
import { parseReportLines } from './execute.ts';
import { oomKillsBetween, parseOomKillCount } from './memory.ts';
import { CappedOutput } from './output.ts';
import { buildRunCommand, shellQuote } from './shell.ts';

/** A fake kill: `alive` signals succeed, then ESRCH, like a group that dies after a few rounds. */
function fakeKill(alive: number) {
  const calls: Array<[number, string]> = [];
  const kill = (pid: number, signal: string) => {
    calls.push([pid, signal]);
    if (calls.length > alive) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
  };
  return { calls, kill };
}

describe('killLeftovers', () => {
  it('outside the sandbox never signals -1, only the process group', async () => {
    const fake = fakeKill(0);
    await killLeftovers({ sandbox: false, processGroup: 4321, kill: fake.kill });
    await killLeftovers({ sandbox: false, processGroup: undefined, kill: fake.kill });
    await killLeftovers({ sandbox: false, processGroup: 1, kill: fake.kill });
    expect(fake.calls).toEqual([[-4321, 'SIGKILL']]);
  });

  it('inside the sandbox kills everything it may (kill(-1) spares the caller and PID 1)', async () => {
    const fake = fakeKill(0);
    await killLeftovers({ sandbox: true, processGroup: 4321, kill: fake.kill });
    expect(fake.calls).toEqual([[-1, 'SIGKILL']]);
  });

  it('signals again until nothing is left (a fork bomb outruns one kill)', async () => {
    const fake = fakeKill(3);
    await killLeftovers({ sandbox: true, processGroup: undefined, kill: fake.kill, live: () => 1 });
    expect(fake.calls).toHaveLength(4);
    expect(fake.calls.every(([pid]) => pid === -1)).toBe(true);
  });

  it('stops once only zombies are left', async () => {
    const fake = fakeKill(Number.POSITIVE_INFINITY);
    let live = 2;
    await killLeftovers({ sandbox: true, processGroup: undefined, kill: fake.kill, live: () => --live });
    expect(fake.calls).toHaveLength(2);
  });

  it('counts live members of a process group from /proc, zombies excluded', () => {
    expect(parseStat('123 (my (odd) prog) S 1 456 456 0 -1')).toEqual({ state: 'S', pgrp: 456 });
    expect(parseStat(undefined)).toBeUndefined();
    expect(liveProcesses(-2147483647)).toBe(0);
  });

  it('finds a real process group and sees it gone once killed', async () => {
    const child = spawn('sleep', ['5'], { detached: true, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    expect(liveProcesses(-child.pid!)).toBe(1);
    await killLeftovers({ sandbox: false, processGroup: child.pid });
    await exited;
    expect(liveProcesses(-child.pid!)).toBe(0);
  });

  it('gives up after its time budget', async () => {
    const fake = fakeKill(Number.POSITIVE_INFINITY);
    const started = Date.now();
    await killLeftovers({ sandbox: false, processGroup: 99, kill: fake.kill, live: () => 1, budgetMs: 50 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(fake.calls.length).toBeGreaterThan(1);
  });
});

describe('CappedOutput', () => {
  it('keeps stdout + stderr up to the cap together and marks the stream that lost data', () => {
    const out = new CappedOutput(10);
    expect(out.add('stdout', Buffer.from('12345'))).toBe(false);
    expect(out.add('stderr', Buffer.from('abc'))).toBe(false);
    expect(out.add('stdout', Buffer.from('6789'))).toBe(true);
    expect(out.exceeded).toBe(true);
    expect(out.text('stdout')).toBe(`1234567${TRUNCATION_MARKER}`);
    expect(out.text('stderr')).toBe('abc');
    expect(out.stdoutBytes().toString()).toBe('1234567');
  });

  it('output exactly at the cap is not truncated', () => {
    const out = new CappedOutput(3);
    expect(out.add('stdout', Buffer.from('abc'))).toBe(false);
    expect(out.exceeded).toBe(false);
    expect(out.text('stdout')).toBe('abc');
  });

  it('decodes multi-byte characters split across chunks', () => {
    const out = new CappedOutput(100);
    const bytes = Buffer.from('é');
    out.add('stdout', bytes.subarray(0, 1));
    out.add('stdout', bytes.subarray(1));
    expect(out.text('stdout')).toBe('é');
  });
});

describe('runlimit report parsing', () => {
  it('reads the pid line and the final report', () => {
    const parsed = parseReportLines(
      '{"pid":77}\n{"exitCode":null,"signal":9,"cpuMs":5,"wallMs":1001,"maxRssKb":1500,"wallTimedOut":true}\n',
    );
    expect(parsed.pid).toBe(77);
    expect(parsed.report).toEqual({
      exitCode: null,
      signal: 9,
      cpuMs: 5,
      wallMs: 1001,
      maxRssKb: 1500,
      wallTimedOut: true,
    });
  });

  it('reports runlimit’s own errors and tolerates a half line', () => {
    expect(parseReportLines('{"error":"fork failed: EAGAIN"}\n').error).toBe('runlimit: fork failed: EAGAIN');
    expect(parseReportLines('{"pid":5}\n{"exitCo').report).toBeUndefined();
  });
});

describe('OOM counter', () => {
  it('parses cgroup v2 memory.events and v1 memory.oom_control', () => {
    expect(parseOomKillCount('low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n')).toBe(2);
    expect(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 5\n')).toBe(5);
    expect(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\n')).toBeUndefined();
    expect(oomKillsBetween(2, 3)).toBe(1);
    expect(oomKillsBetween(undefined, 3)).toBe(0);
  });
});

describe('commands and environment', () => {
  it('quotes the main file and the arguments for sh', () => {
    expect(shellQuote('main.py')).toBe('main.py');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    expect(buildRunCommand('python3 -u {main}', 'my prog.py', ['a b', '$HOME'])).toBe(
      `python3 -u 'my prog.py' 'a b' '$HOME'`,
    );
    expect(buildRunCommand('./main', 'main.c')).toBe('./main');
  });

  it('hides the harness’s own settings from the program', () => {
    const env = childEnvironment({
      APERTURE_JOB_FILE: '/secret/job.json',
      APERTURE_SANDBOX: '1',
      PATH: '/bin',
      JAVA_HOME: '/j',
    });
    expect(env).toEqual({ PATH: '/bin', JAVA_HOME: '/j', LANG: 'C.UTF-8' });
  });
});
