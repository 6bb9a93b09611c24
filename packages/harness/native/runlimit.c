/*
 * runlimit: run one command under per-execution limits and report what it used.
 *
 *   runlimit --cpu-ms N --wall-ms N --fsize BYTES --nofile N --report-fd 3 -- /bin/sh -c "..."
 *
 * The Aperture harness (Node) runs every compile, test and autograder through this helper,
 * because Node can neither set rlimits on a child nor read its rusage. The container itself
 * carries the hard memory and pids limits (cgroup); this helper adds what a cgroup does not
 * give per execution: CPU time, wall time, file size, open files, and the measurements.
 *
 * On the report fd it prints a line with the child's process group as soon as it started
 * ({"pid":N}), then, once the child ended, exactly one JSON line:
 *   {"exitCode":0,"signal":null,"cpuMs":12,"wallMs":15,"maxRssKb":9000,"wallTimedOut":false}
 *
 * libc only; built static (gcc -O2 -static) so it runs in any runner image.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void) {
  fprintf(stderr,
          "usage: runlimit --cpu-ms N --wall-ms N [--fsize BYTES] [--nofile N] [--report-fd FD] -- cmd [args...]\n");
  exit(125);
}

static long long parse_number(const char *flag, const char *text) {
  char *end = NULL;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0) {
    fprintf(stderr, "runlimit: %s needs a non-negative integer, got \"%s\"\n", flag, text);
    exit(125);
  }
  return value;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lower (or set) a limit. An unprivileged process cannot raise a hard limit, so never ask
 * for more than the current hard limit: a smaller limit than wanted beats a failed exec. */
static void set_limit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit current;
  if (getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY) {
    if (hard > current.rlim_max) hard = current.rlim_max;
  }
  if (soft > hard) soft = hard;
  struct rlimit wanted = {soft, hard};
  if (setrlimit(resource, &wanted) != 0) {
    fprintf(stderr, "runlimit: setrlimit(%d): %s\n", resource, strerror(errno));
  }
}

int main(int argc, char **argv) {
  long long cpu_ms = -1, wall_ms = -1, fsize = -1, nofile = -1;
  int report_fd = 3;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc) usage();
    if (strcmp(argv[i], "--cpu-ms") == 0) cpu_ms = parse_number(argv[i], argv[i + 1]);
    else if (strcmp(argv[i], "--wall-ms") == 0) wall_ms = parse_number(argv[i], argv[i + 1]);
    else if (strcmp(argv[i], "--fsize") == 0) fsize = parse_number(argv[i], argv[i + 1]);
    else if (strcmp(argv[i], "--nofile") == 0) nofile = parse_number(argv[i], argv[i + 1]);
    else if (strcmp(argv[i], "--report-fd") == 0) report_fd = (int)parse_number(argv[i], argv[i + 1]);
    else usage();
    i++;
  }
  if (i >= argc || cpu_ms <= 0 || wall_ms <= 0) usage();
  char **command = &argv[i];

  /* The report fd is ours alone: the student's program must not inherit it (it could forge
   * a report, or hold the pipe open after we exit). */
  if (fcntl(report_fd, F_SETFD, FD_CLOEXEC) != 0) {
    fprintf(stderr, "runlimit: report fd %d: %s\n", report_fd, strerror(errno));
    return 125;
  }

  /* Block the signals we wait for, so none is lost between fork and sigtimedwait.
   * SIGTERM/SIGINT/SIGHUP are how the harness asks us to stop the child early
   * (e.g. the output limit was crossed): we kill its group and still report. */
  sigset_t waited, previous;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  sigaddset(&waited, SIGTERM);
  sigaddset(&waited, SIGINT);
  sigaddset(&waited, SIGHUP);
  sigprocmask(SIG_BLOCK, &waited, &previous);

  long long started = now_ms();
  pid_t child = fork();
  if (child < 0) {
    dprintf(report_fd, "{\"error\":\"fork failed: %s\"}\n", strerror(errno));
    return 125;
  }

  if (child == 0) {
    /* Own process group: one kill(-pgid) then reaches everything the program forks
     * (unless it calls setsid; the harness's sandbox cleanup handles those). */
    setpgid(0, 0);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    /* CPU: SIGXCPU at the soft limit (rounded up to whole seconds, the rlimit unit),
     * SIGKILL one second later if the program ignores SIGXCPU. */
    rlim_t cpu_s = (rlim_t)((cpu_ms + 999) / 1000);
    set_limit(RLIMIT_CPU, cpu_s, cpu_s + 1);
    if (fsize >= 0) set_limit(RLIMIT_FSIZE, (rlim_t)fsize, (rlim_t)fsize);
    if (nofile > 0) set_limit(RLIMIT_NOFILE, (rlim_t)nofile, (rlim_t)nofile);
    /* No core dumps: they cost time and tmpfs memory, and nobody reads them. */
    set_limit(RLIMIT_CORE, 0, 0);
    /* Deep recursion is common in student code; 64 MiB stack like most judges. */
    set_limit(RLIMIT_STACK, 64ull << 20, 64ull << 20);
    /* When the container runs out of memory, the OOM killer should pick the student's
     * program, not the harness that has to report what happened. */
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (write(fd, "1000", 4) < 0) { /* best effort */ }
      close(fd);
    }
    execvp(command[0], command);
    fprintf(stderr, "runlimit: cannot run %s: %s\n", command[0], strerror(errno));
    _exit(127);
  }

  /* Also set the group from the parent side: whichever of us runs first wins the race. */
  setpgid(child, child);
  dprintf(report_fd, "{\"pid\":%d}\n", (int)child);

  int wall_timed_out = 0;
  long long deadline = started + wall_ms;
  int status = 0;
  struct rusage usage;
  memset(&usage, 0, sizeof usage);
  for (;;) {
    pid_t done = wait4(child, &status, WNOHANG, &usage);
    if (done == child) break;
    if (done < 0 && errno != EINTR) {
      dprintf(report_fd, "{\"error\":\"wait4 failed: %s\"}\n", strerror(errno));
      return 125;
    }
    long long left = deadline - now_ms();
    if (left <= 0) {
      /* Wall limit: kill the whole group, then collect the child below. */
      if (!wall_timed_out) kill(-child, SIGKILL);
      wall_timed_out = 1;
      if (wait4(child, &status, 0, &usage) == child) break;
      continue;
    }
    struct timespec timeout = {left / 1000, (left % 1000) * 1000000};
    int sig = sigtimedwait(&waited, NULL, &timeout);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) kill(-child, SIGKILL);
  }
  long long wall = now_ms() - started;

  /* The main process is gone: whatever it left running in its group goes too. */
  kill(-child, SIGKILL);

  long long cpu = (long long)usage.ru_utime.tv_sec * 1000 + usage.ru_utime.tv_usec / 1000 +
                  (long long)usage.ru_stime.tv_sec * 1000 + usage.ru_stime.tv_usec / 1000;
  char exit_code[16] = "null", signal_number[16] = "null";
  if (WIFEXITED(status)) snprintf(exit_code, sizeof exit_code, "%d", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) snprintf(signal_number, sizeof signal_number, "%d", WTERMSIG(status));
  dprintf(report_fd,
          "{\"exitCode\":%s,\"signal\":%s,\"cpuMs\":%lld,\"wallMs\":%lld,\"maxRssKb\":%ld,\"wallTimedOut\":%s}\n",
          exit_code, signal_number, cpu, wall, usage.ru_maxrss, wall_timed_out ? "true" : "false");
  return 0;
}
