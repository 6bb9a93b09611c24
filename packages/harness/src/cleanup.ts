import { readdirSync, readFileSync, statSync } from 'node:fs';

type Kill = (pid: number, signal: NodeJS.Signals) => void;

export interface LeftoverCleanup {
  /** True only inside the sandbox container (APERTURE_SANDBOX=1). */
  sandbox: boolean;
  /** Process group of the execution that just ended, when known. */
  processGroup: number | undefined;
  kill?: Kill;
  /** How many processes the signal target still has that are not zombies (see liveProcesses). */
  live?: (target: number) => number;
  /** Give up after this long (a process stuck in the kernel cannot be waited for forever). */
  budgetMs?: number;
}

/**
 * After every execution, stop whatever the student's program left running (`cmd &`, double
 * forks, setsid, fork bombs). Inside the sandbox everything except the harness and PID 1 may
 * go: Linux's kill(-1) skips both. Outside the sandbox (tests on a developer's machine) kill(-1)
 * would take down the host user's processes, so only the execution's process group is killed.
 *
 * One kill is not enough for a fork bomb: children forked while the kernel walks the process
 * list survive it. So signal again until nothing but zombies is left (init reaps those).
 */
export async function killLeftovers({
  sandbox,
  processGroup,
  kill = process.kill.bind(process),
  live = liveProcesses,
  budgetMs = 2_000,
}: LeftoverCleanup): Promise<void> {
  const target = sandbox ? -1 : processGroup !== undefined && processGroup > 1 ? -processGroup : undefined;
  if (target === undefined) return;
  const deadline = Date.now() + budgetMs;
  while (signalled(kill, target) && Date.now() < deadline && live(target) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** True when something received the signal; false when nothing was left (ESRCH) or allowed. */
function signalled(kill: Kill, pid: number): boolean {
  try {
    kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/**
 * Processes a kill(target) reaches that are not zombies yet, from /proc: for -1 every process
 * of our uid except ourselves and PID 1, for -pgid the members of that group.
 */
export function liveProcesses(target: number): number {
  const uid = process.getuid?.();
  let count = 0;
  for (const name of safeReaddir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || pid === 1) continue;
    const stat = parseStat(safeRead(`/proc/${name}/stat`));
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    if (target === -1) {
      if (uid !== undefined && safeOwner(`/proc/${name}`) !== uid) continue;
    } else if (stat.pgrp !== -target) {
      continue;
    }
    count++;
  }
  return count;
}

/** Fields after the command name, which may itself contain spaces and parentheses. Pure. */
export function parseStat(text: string | undefined): { state: string; pgrp: number } | undefined {
  if (!text) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  return state && Number.isFinite(pgrp) ? { state, pgrp } : undefined;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process is already gone
  }
}

function safeOwner(path: string): number | undefined {
  try {
    return statSync(path).uid;
  } catch {
    return undefined;
  }
}
