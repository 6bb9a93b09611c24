type Kill = (pid: number, signal: NodeJS.Signals) => void;

export interface LeftoverCleanup {
  /** True only inside the sandbox container (APERTURE_SANDBOX=1). */
  sandbox: boolean;
  /** Process group of the execution that just ended, when known. */
  processGroup: number | undefined;
  kill?: Kill;
}

/**
 * After every execution, stop whatever the student's program left running (`cmd &`, double
 * forks, setsid). Inside the sandbox everything except the harness and PID 1 may go:
 * Linux's kill(-1) skips both. Outside the sandbox (tests on a developer's machine) kill(-1)
 * would take down the host user's processes, so only the execution's process group is killed.
 */
export function killLeftovers({
  sandbox,
  processGroup,
  kill = process.kill.bind(process),
}: LeftoverCleanup): void {
  if (sandbox) {
    trySignal(kill, -1);
    return;
  }
  if (processGroup !== undefined && processGroup > 1) trySignal(kill, -processGroup);
}

function trySignal(kill: Kill, pid: number): void {
  try {
    kill(pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left to kill.
  }
}
