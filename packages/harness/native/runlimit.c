/*
 * runlimit: run one command under per-execution limits and report what it used.
 *
 *   runlimit --cpu-ms N --wall-ms N [--fsize BYTES] [--nofile N] [--report-fd 3]
 *            [--isolate [--userns] --uid U --gid G [--cgroup-root DIR --memory BYTES --pids N]
 *             [--share-net] [--fresh PATH:BYTES]... [--copy PATH:BYTES]... [--hide PATH]...]
 *            -- /bin/sh -c "..."
 *
 * The Aperture harness (Node) runs every compile, test, checker and autograder through this
 * helper, because Node can neither set rlimits on a child nor read its rusage.
 *
 * Two modes:
 *
 * - Plain (no --isolate): the command runs as our uid in its own process group, with rlimits
 *   for CPU time, file size and open files; CPU and memory come from wait4's rusage. This is the
 *   mode of a restricted Kubernetes pod and of tests on a developer's machine.
 *
 * - Isolated (--isolate; ADR 0006): we are root in the sandbox container's user namespace, and
 *   the command must not be able to reach us, the harness, or anything an earlier execution left.
 *   We start an init process in fresh PID, mount, network, IPC and UTS namespaces, inside its own
 *   cgroups (memory, pids, cpuacct: one per execution, so every process it starts is counted and
 *   limited however it detaches), give it fresh tmpfs writable places and a fresh /proc, and the
 *   init starts the command as another uid with no capabilities and no way to gain any. When the
 *   command's main process ends, the init exits and the kernel kills everything else in the PID
 *   namespace. CPU time, peak memory and OOM kills come from the cgroups.
 *
 * - Isolated without privileges (--isolate --userns; a restricted Kubernetes pod with the
 *   Localhost seccomp profile of deploy/seccomp): we are the program's own uid with no capabilities,
 *   so the init's namespaces hang below a new user namespace that maps only that uid (and gid). The
 *   init has every capability in it, the program none. No cgroups (a restricted pod's cgroupfs is
 *   read-only) and no fresh /proc (its masks cannot be lifted): CPU comes from wait4, which counts
 *   every process of the PID namespace (the init reaps them all), and the harness stays out of reach
 *   because a process of a child user namespace cannot ptrace, or open /proc/<pid>/fd of, a process
 *   of its parent, and cannot name one outside its PID namespace.
 *
 * On the report fd it prints a line with the child's pid as soon as it started ({"pid":N}),
 * then, once the child ended, exactly one JSON line:
 *   {"exitCode":0,"signal":null,"cpuMs":12,"wallMs":15,"maxRssKb":9000,"wallTimedOut":false}
 * (isolated mode adds "isolated":true and, with cgroups, "oomKills":N). A failure of runlimit
 * itself is {"error":"..."} and exit 125: never a verdict.
 *
 * libc only; built static (gcc -O2 -static) so it runs in any runner image.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>

#define MAX_MOUNTS 16
#define CONTROLLERS 3
/* How often the CPU time of the whole cgroup is checked against the limit (isolated mode). */
#define CPU_POLL_MS 20

enum mount_kind { MOUNT_FRESH, MOUNT_COPY, MOUNT_HIDE };

struct mount_spec {
  enum mount_kind kind;
  char path[PATH_MAX];
  long long bytes;
  int source_fd; /* MOUNT_COPY: the directory as it was before the tmpfs covered it */
};

struct options {
  long long cpu_ms, wall_ms, fsize, nofile;
  int report_fd;
  char **command;
  /* isolated mode */
  int isolate, share_net, userns;
  long long uid, gid, memory, pids;
  const char *cgroup_root;
  struct mount_spec mounts[MAX_MOUNTS];
  int mount_count;
};

/* v1 controllers, each a directory below --cgroup-root that the host delegated to us. */
static const char *const CONTROLLER_NAMES[CONTROLLERS] = {"memory", "pids", "cpuacct"};
static char cgroup_dirs[CONTROLLERS][PATH_MAX];
static int cgroups_made = 0;
static int report_fd_global = 3;

static void usage(void) {
  fprintf(stderr,
          "usage: runlimit --cpu-ms N --wall-ms N [--fsize BYTES] [--nofile N] [--report-fd FD]\n"
          "                [--isolate [--userns] --uid U --gid G [--cgroup-root DIR --memory BYTES --pids N]\n"
          "                 [--share-net] [--fresh PATH:BYTES]... [--copy PATH:BYTES]... [--hide PATH]...]\n"
          "                -- cmd [args...]\n");
  exit(125);
}

static void remove_cgroups(void);

/* Our own failure: one error line on the report fd (the harness turns it into an internal error). */
static void fail(const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  for (char *c = message; *c; c++)
    if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = ' ';
  dprintf(report_fd_global, "{\"error\":\"%s\"}\n", message);
  remove_cgroups();
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

static void add_mount(struct options *o, enum mount_kind kind, const char *text) {
  if (o->mount_count >= MAX_MOUNTS) usage();
  struct mount_spec *m = &o->mounts[o->mount_count++];
  m->kind = kind;
  m->bytes = 0;
  m->source_fd = -1;
  const char *colon = kind == MOUNT_HIDE ? NULL : strrchr(text, ':');
  size_t length = colon ? (size_t)(colon - text) : strlen(text);
  if (length == 0 || length >= sizeof m->path || text[0] != '/') usage();
  memcpy(m->path, text, length);
  m->path[length] = '\0';
  if (kind != MOUNT_HIDE) {
    if (!colon) usage();
    m->bytes = parse_number("mount size", colon + 1);
    if (m->bytes <= 0) usage();
  }
}

static void parse_options(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  o->cpu_ms = o->wall_ms = o->fsize = o->nofile = o->memory = o->pids = -1;
  o->uid = o->gid = -1;
  o->report_fd = 3;
  int i = 1;
  for (; i < argc; i++) {
    const char *flag = argv[i];
    if (strcmp(flag, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(flag, "--isolate") == 0) { o->isolate = 1; continue; }
    if (strcmp(flag, "--share-net") == 0) { o->share_net = 1; continue; }
    if (strcmp(flag, "--userns") == 0) { o->userns = 1; continue; }
    if (i + 1 >= argc) usage();
    const char *value = argv[++i];
    if (strcmp(flag, "--cpu-ms") == 0) o->cpu_ms = parse_number(flag, value);
    else if (strcmp(flag, "--wall-ms") == 0) o->wall_ms = parse_number(flag, value);
    else if (strcmp(flag, "--fsize") == 0) o->fsize = parse_number(flag, value);
    else if (strcmp(flag, "--nofile") == 0) o->nofile = parse_number(flag, value);
    else if (strcmp(flag, "--report-fd") == 0) o->report_fd = (int)parse_number(flag, value);
    else if (strcmp(flag, "--uid") == 0) o->uid = parse_number(flag, value);
    else if (strcmp(flag, "--gid") == 0) o->gid = parse_number(flag, value);
    else if (strcmp(flag, "--memory") == 0) o->memory = parse_number(flag, value);
    else if (strcmp(flag, "--pids") == 0) o->pids = parse_number(flag, value);
    else if (strcmp(flag, "--cgroup-root") == 0) o->cgroup_root = value;
    else if (strcmp(flag, "--fresh") == 0) add_mount(o, MOUNT_FRESH, value);
    else if (strcmp(flag, "--copy") == 0) add_mount(o, MOUNT_COPY, value);
    else if (strcmp(flag, "--hide") == 0) add_mount(o, MOUNT_HIDE, value);
    else usage();
  }
  if (i >= argc || o->cpu_ms <= 0 || o->wall_ms <= 0) usage();
  /* The isolated command never runs as root: a uid and gid other than 0 are required. */
  if (o->isolate && (o->uid <= 0 || o->gid <= 0)) usage();
  if (o->cgroup_root && (!o->isolate || o->userns || o->memory <= 0 || o->pids <= 0)) usage();
  /* Without privileges the one id we can map is our own. */
  if (o->userns && (!o->isolate || o->uid != (long long)getuid() || o->gid != (long long)getgid())) usage();
  o->command = &argv[i];
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

/* The limits every program gets, whichever the mode (the child side, before exec). */
static void apply_rlimits(const struct options *o) {
  /* CPU: SIGXCPU at the soft limit (rounded up to whole seconds, the rlimit unit),
   * SIGKILL one second later if the program ignores SIGXCPU. */
  rlim_t cpu_s = (rlim_t)((o->cpu_ms + 999) / 1000);
  set_limit(RLIMIT_CPU, cpu_s, cpu_s + 1);
  if (o->fsize >= 0) set_limit(RLIMIT_FSIZE, (rlim_t)o->fsize, (rlim_t)o->fsize);
  if (o->nofile > 0) set_limit(RLIMIT_NOFILE, (rlim_t)o->nofile, (rlim_t)o->nofile);
  /* No core dumps: they cost time and tmpfs memory, and nobody reads them. */
  set_limit(RLIMIT_CORE, 0, 0);
  /* Deep recursion is common in student code; 64 MiB stack like most judges. */
  set_limit(RLIMIT_STACK, 64ull << 20, 64ull << 20);
  /* When memory runs out, the OOM killer should pick the student's program, not the harness
   * that has to report what happened. */
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (write(fd, "1000", 4) < 0) { /* best effort */ }
    close(fd);
  }
}

/* ---------------------------------------------------------------------------------------------
 * cgroups (v1: the host delegated one directory per controller to the container, mounted below
 * --cgroup-root; we make one child per execution, limit it, and read what it used).
 */

static int write_file(const char *dir, const char *name, const char *text) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t written = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return written == (ssize_t)strlen(text) ? 0 : -1;
}

/* A small cgroup file's text (NUL-terminated in `text`); -1 if it cannot be read. */
static int read_text(const char *dir, const char *name, char *text, size_t size) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, size - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  return 0;
}

static long long read_number(const char *dir, const char *name) {
  char text[64];
  return read_text(dir, name, text, sizeof text) == 0 ? strtoll(text, NULL, 10) : -1;
}

/* The value of one "key N" line of a flat-keyed cgroup file (memory.oom_control, pids.events). */
static long long read_keyed(const char *dir, const char *name, const char *key) {
  char text[1024];
  if (read_text(dir, name, text, sizeof text) != 0) return -1;
  size_t key_length = strlen(key);
  for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, key, key_length) == 0 && line[key_length] == ' ')
      return strtoll(line + key_length + 1, NULL, 10);
  }
  return -1;
}

static void make_cgroups(const struct options *o) {
  char text[32];
  for (int c = 0; c < CONTROLLERS; c++) {
    snprintf(cgroup_dirs[c], sizeof cgroup_dirs[c], "%s/%s/x%d", o->cgroup_root, CONTROLLER_NAMES[c],
             (int)getpid());
    rmdir(cgroup_dirs[c]); /* a leftover of a runlimit with our pid that died: empty, or it stays */
    if (mkdir(cgroup_dirs[c], 0755) != 0)
      fail("cannot create the execution's cgroup %s: %s", cgroup_dirs[c], strerror(errno));
    cgroups_made = c + 1;
  }
  snprintf(text, sizeof text, "%lld", o->memory);
  if (write_file(cgroup_dirs[0], "memory.limit_in_bytes", text) != 0)
    fail("cannot set memory.limit_in_bytes: %s", strerror(errno));
  /* Memory + swap equal to memory: no swap. The file exists only with swap accounting. */
  if (write_file(cgroup_dirs[0], "memory.memsw.limit_in_bytes", text) != 0 && errno != ENOENT)
    fail("cannot set memory.memsw.limit_in_bytes: %s", strerror(errno));
  snprintf(text, sizeof text, "%lld", o->pids);
  if (write_file(cgroup_dirs[1], "pids.max", text) != 0) fail("cannot set pids.max: %s", strerror(errno));
}

static void join_cgroups(pid_t pid) {
  char text[32];
  snprintf(text, sizeof text, "%d", (int)pid);
  for (int c = 0; c < cgroups_made; c++)
    if (write_file(cgroup_dirs[c], "cgroup.procs", text) != 0)
      fail("cannot move the execution into %s: %s", cgroup_dirs[c], strerror(errno));
}

/* Empty once every process of the execution is gone; the kernel may need a moment to let go. */
static void remove_cgroups(void) {
  for (int c = 0; c < cgroups_made; c++) {
    for (int attempt = 0; attempt < 200 && rmdir(cgroup_dirs[c]) != 0 && errno == EBUSY; attempt++) {
      struct timespec pause = {0, 5 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  cgroups_made = 0;
}

/* ---------------------------------------------------------------------------------------------
 * The init of the execution's namespaces: mounts, then the command as the unprivileged uid.
 */

/* A failure inside the namespaces (the init or the command's side before exec): the parent only
 * sees the init end without a status, so the reason goes to the execution's stderr. */
static int exec_check_fd = -1;
static void die_inside(const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  dprintf(2, "runlimit: %s\n", message);
  if (exec_check_fd >= 0 && write(exec_check_fd, "x", 1) < 0) { /* the init is gone */ }
  _exit(125);
}

/* Copy a directory tree (regular files, directories, symlinks) to `to`, owned by uid:gid. */
static int copy_tree(int from, int to, uid_t uid, gid_t gid) {
  DIR *dir = fdopendir(dup(from));
  if (!dir) return -1;
  struct dirent *entry;
  int result = 0;
  while (result == 0 && (entry = readdir(dir)) != NULL) {
    const char *name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    struct stat st;
    if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0) { result = -1; break; }
    mode_t mode = st.st_mode & 0777;
    if (S_ISDIR(st.st_mode)) {
      int source = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (source < 0 || mkdirat(to, name, 0700) != 0) { result = -1; if (source >= 0) close(source); break; }
      int target = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (target < 0) { close(source); result = -1; break; }
      result = copy_tree(source, target, uid, gid);
      if (result == 0 && (fchown(target, uid, gid) != 0 || fchmod(target, mode) != 0)) result = -1;
      close(source);
      close(target);
    } else if (S_ISREG(st.st_mode)) {
      int source = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      int target = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (source < 0 || target < 0) result = -1;
      for (off_t left = st.st_size; result == 0 && left > 0;) {
        ssize_t sent = sendfile(target, source, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
        if (sent <= 0) result = -1;
        else left -= sent;
      }
      if (result == 0 && (fchown(target, uid, gid) != 0 || fchmod(target, mode) != 0)) result = -1;
      if (source >= 0) close(source);
      if (target >= 0) close(target);
    } else if (S_ISLNK(st.st_mode)) {
      char link[PATH_MAX];
      ssize_t n = readlinkat(from, name, link, sizeof link - 1);
      if (n < 0) { result = -1; break; }
      link[n] = '\0';
      if (symlinkat(link, to, name) != 0 || fchownat(to, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) result = -1;
    }
    /* Anything else (fifos, sockets, devices) is not carried into a fresh test. */
  }
  closedir(dir);
  return result;
}

/* mkdir -p: a copy's mount point may lie inside a fresh tmpfs mounted just before it. */
static void make_directories(const char *path) {
  char partial[PATH_MAX];
  for (const char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
    size_t length = slash ? (size_t)(slash - path) : strlen(path);
    memcpy(partial, path, length);
    partial[length] = '\0';
    if (mkdir(partial, 0755) != 0 && errno != EEXIST) die_inside("cannot create %s: %s", partial, strerror(errno));
    if (!slash) break;
  }
}

static void mount_tmpfs(const struct mount_spec *m, uid_t uid, gid_t gid) {
  char data[128];
  if (m->kind == MOUNT_HIDE && access(m->path, F_OK) != 0) return; /* nothing there to hide */
  if (m->kind != MOUNT_HIDE) make_directories(m->path);
  unsigned long flags = MS_NOSUID | MS_NODEV;
  if (m->kind == MOUNT_HIDE) {
    snprintf(data, sizeof data, "size=4096,mode=0555");
    flags |= MS_RDONLY | MS_NOEXEC;
  } else {
    snprintf(data, sizeof data, "size=%lld,mode=0755,uid=%d,gid=%d", m->bytes, (int)uid, (int)gid);
  }
  if (mount("tmpfs", m->path, "tmpfs", flags, data) != 0)
    die_inside("cannot mount a tmpfs on %s: %s", m->path, strerror(errno));
  if (m->kind == MOUNT_COPY) {
    int target = open(m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (target < 0 || copy_tree(m->source_fd, target, uid, gid) != 0)
      die_inside("cannot copy %s into the execution's fresh copy: %s", m->path, strerror(errno));
    close(target);
    close(m->source_fd);
  }
}

/* Paths of /proc the container hid: a fresh /proc shows them again, so hide them again. */
static void mask_proc(void) {
  static const char *const masked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                                       "/proc/latency_stats", "/proc/sysrq-trigger", NULL};
  for (int i = 0; masked[i]; i++) {
    if (access(masked[i], F_OK) != 0) continue;
    if (mount("/dev/null", masked[i], NULL, MS_BIND, NULL) != 0)
      die_inside("cannot mask %s: %s", masked[i], strerror(errno));
  }
  static const char *const read_only[] = {"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq", NULL};
  for (int i = 0; read_only[i]; i++) {
    if (access(read_only[i], F_OK) != 0) continue;
    if (mount(read_only[i], read_only[i], NULL, MS_BIND | MS_REC, NULL) != 0 ||
        mount(NULL, read_only[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL) != 0)
      die_inside("cannot make %s read-only: %s", read_only[i], strerror(errno));
  }
}

#if defined(__x86_64__)
#define RUNLIMIT_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define RUNLIMIT_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif
/* The namespace flags RuntimeDefault's clone rule masks. */
#define NAMESPACE_FLAGS 0x7E020000u

/*
 * What we needed to build the execution — new namespaces and mounts — the program must not have:
 * a user namespace of its own would give it capabilities over network and mount code, the kernel's
 * largest attack surface (and on Kubernetes the pod's seccomp profile allows these calls for us).
 * A seccomp filter, inherited by everything it starts: unshare, setns, clone with namespace flags,
 * the mount calls fail with EPERM, clone3 with ENOSYS (libc then falls back to clone), and any
 * other architecture's calls (x32, i386) fail too.
 */
static void deny_namespaces(void) {
#ifdef RUNLIMIT_AUDIT_ARCH
#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RUNLIMIT_AUDIT_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1), /* x32 */
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
      DENY(__NR_unshare),
      DENY(__NR_setns),
      DENY(__NR_mount),
      DENY(__NR_umount2),
      DENY(__NR_pivot_root),
#ifdef __NR_fsopen
      DENY(__NR_fsopen),
      DENY(__NR_fsmount),
      DENY(__NR_move_mount),
      DENY(__NR_open_tree),
#endif
#ifdef __NR_clone3
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])), /* low 32 bits */
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
#undef DENY
  struct sock_fprog program = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) die_inside("seccomp: %s", strerror(errno));
#endif
}

static void drop_privileges(const struct options *o) {
  /* In our own user namespace setgroups is denied (it must be, to map a gid unprivileged). */
  if (!o->userns && setgroups(0, NULL) != 0) die_inside("setgroups: %s", strerror(errno));
  if (setresgid((gid_t)o->gid, (gid_t)o->gid, (gid_t)o->gid) != 0) die_inside("setresgid: %s", strerror(errno));
  /* Empty the bounding set (needs CAP_SETPCAP, which we still have) and the ambient set, so no
   * exec can bring a capability back; then the uid change clears permitted and effective. */
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) break;
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (setresuid((uid_t)o->uid, (uid_t)o->uid, (uid_t)o->uid) != 0) die_inside("setresuid: %s", strerror(errno));
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) != 0) die_inside("capset: %s", strerror(errno));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die_inside("no_new_privs: %s", strerror(errno));
  deny_namespaces();
  if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) die_inside("the bounding set is not empty");
}

static void close_range_or_loop(unsigned first, unsigned last) {
  if (first > last) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
  for (unsigned fd = first; fd <= last && fd < 65536; fd++) close((int)fd);
}

/* Close every descriptor from `lowest` up, except `keep` (the CLOEXEC exec check). */
static void close_descriptors_above(int lowest, int keep) {
  close_range_or_loop((unsigned)lowest, (unsigned)keep - 1);
  close_range_or_loop((unsigned)keep + 1, ~0U);
}

/* The namespaces the init gets besides PID (and, with --userns, user). */
static int namespace_flags(const struct options *o) {
  return CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | (o->share_net ? 0 : CLONE_NEWNET);
}

/* The command's main process ended: kill what it left running and reap it ourselves. Were we to
 * exit instead, the kernel would kill them too, but reap them without counting their CPU time in
 * our rusage, which is the only account of it where there are no cgroups (--userns). Bounded: a
 * process stuck in the kernel is left to the namespace's teardown. */
static void kill_and_reap_the_rest(void) {
  long long deadline = now_ms() + 2000;
  while (now_ms() < deadline) {
    kill(-1, SIGKILL); /* in our PID namespace: everyone but us */
    pid_t done = waitpid(-1, NULL, __WALL);
    if (done < 0 && errno == ECHILD) return;
  }
}

/* PID 1 of the execution's namespaces. Reports the command's wait status on `status_fd`
 * and exits as soon as the command's main process ended: the kernel then kills the rest. */
static void run_init(struct options *o, int go_fd, int status_fd, const char *cwd, sigset_t *previous) {
  char go;
  if (read(go_fd, &go, 1) != 1) _exit(125); /* the parent gave up on us */
  close(go_fd);
  /* If runlimit dies (the harness's backstop), so do we, and with us the whole namespace. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  if (!o->userns && unshare(namespace_flags(o)) != 0) die_inside("unshare: %s", strerror(errno));
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die_inside("making mounts private: %s", strerror(errno));
  if (sethostname("sandbox", 7) != 0) die_inside("sethostname: %s", strerror(errno));
  /* Every copy's source is opened before any tmpfs covers it (a copy may sit below a fresh dir). */
  for (int i = 0; i < o->mount_count; i++) {
    struct mount_spec *m = &o->mounts[i];
    if (m->kind != MOUNT_COPY) continue;
    m->source_fd = open(m->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->source_fd < 0) die_inside("cannot open %s to copy it: %s", m->path, strerror(errno));
  }
  if (!o->userns) {
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
      die_inside("cannot mount a fresh /proc: %s", strerror(errno));
    mask_proc();
  }
  for (int i = 0; i < o->mount_count; i++) mount_tmpfs(&o->mounts[i], (uid_t)o->uid, (gid_t)o->gid);

  /* Closed by a successful exec (CLOEXEC); a byte on it means the command's side failed before
   * exec, which is ours to report, not an exit code of the student's program. */
  int exec_check[2];
  if (pipe2(exec_check, O_CLOEXEC) != 0) die_inside("pipe: %s", strerror(errno));
  pid_t command = fork();
  if (command < 0) die_inside("fork: %s", strerror(errno));
  if (command == 0) {
    close(status_fd);
    close(exec_check[0]);
    sigprocmask(SIG_SETMASK, previous, NULL);
    apply_rlimits(o);
    exec_check_fd = exec_check[1];
    drop_privileges(o);
    if (chdir(cwd) != 0) die_inside("cannot enter %s: %s", cwd, strerror(errno));
    close_descriptors_above(3, exec_check[1]);
    execvp(o->command[0], o->command);
    fprintf(stderr, "runlimit: cannot run %s: %s\n", o->command[0], strerror(errno));
    _exit(127);
  }
  close(exec_check[1]);
  char failed;
  if (read(exec_check[0], &failed, 1) == 1) die_inside("the command's side failed before exec");
  close(exec_check[0]);
  /* Orphans are reparented to us: reap them until the command itself ends. */
  close(0);
  close(1);
  close(2);
  for (;;) {
    int status;
    pid_t done = waitpid(-1, &status, 0);
    if (done == command) {
      kill_and_reap_the_rest();
      if (write(status_fd, &status, sizeof status) < 0) { /* the parent is gone */ }
      _exit(0);
    }
    if (done < 0 && errno != EINTR) _exit(125);
  }
}

/* ---------------------------------------------------------------------------------------------
 * The two modes, seen from the supervising side.
 */

struct outcome {
  int status;
  struct rusage usage;
  int wall_timed_out, cpu_exceeded, have_status;
  long long wall;
};

/* Wait for `child` until it ends, the wall limit passes, the CPU of the cgroup passes its limit,
 * or the harness asks us to stop (SIGTERM/SIGINT/SIGHUP); `kill_target` is what gets SIGKILL. */
static void supervise(const struct options *o, pid_t child, pid_t kill_target, sigset_t *waited,
                      long long started, struct outcome *out) {
  long long deadline = started + o->wall_ms;
  int killed = 0;
  for (;;) {
    pid_t done = wait4(child, &out->status, WNOHANG, &out->usage);
    if (done == child) break;
    if (done < 0 && errno != EINTR) fail("wait4 failed: %s", strerror(errno));
    long long now = now_ms();
    if (!killed && now >= deadline) {
      out->wall_timed_out = 1;
      kill(kill_target, SIGKILL);
      killed = 1;
    }
    if (!killed && cgroups_made > 2) {
      long long used_ns = read_number(cgroup_dirs[2], "cpuacct.usage");
      if (used_ns > o->cpu_ms * 1000000LL) {
        out->cpu_exceeded = 1;
        kill(kill_target, SIGKILL);
        killed = 1;
      }
    }
    long long left = killed ? 50 : deadline - now;
    if (cgroups_made > 2 && left > CPU_POLL_MS) left = CPU_POLL_MS;
    if (left < 1) left = 1;
    struct timespec timeout = {left / 1000, (left % 1000) * 1000000};
    int sig = sigtimedwait(waited, NULL, &timeout);
    if ((sig == SIGTERM || sig == SIGINT || sig == SIGHUP) && !killed) {
      kill(kill_target, SIGKILL);
      killed = 1;
    }
  }
  out->wall = now_ms() - started;
}

static long long cpu_ms_of(const struct rusage *usage) {
  return (long long)usage->ru_utime.tv_sec * 1000 + usage->ru_utime.tv_usec / 1000 +
         (long long)usage->ru_stime.tv_sec * 1000 + usage->ru_stime.tv_usec / 1000;
}

/* rusage splits CPU time by ticks and can come out a little under the kernel's precise clock, which
 * is what RLIMIT_CPU fires on: a program the limit stopped used at least the limit. */
static long long at_least_the_rlimit(const struct options *o, const struct outcome *out, long long cpu) {
  long long rlimit_ms = (o->cpu_ms + 999) / 1000 * 1000;
  int xcpu = WIFSIGNALED(out->status) && WTERMSIG(out->status) == SIGXCPU;
  return xcpu && cpu < rlimit_ms ? rlimit_ms : cpu;
}

static void report(int fd, const struct outcome *out, long long cpu, long long max_rss_kb, const char *extra) {
  char exit_code[16] = "null", signal_number[16] = "null";
  if (WIFEXITED(out->status)) snprintf(exit_code, sizeof exit_code, "%d", WEXITSTATUS(out->status));
  if (WIFSIGNALED(out->status)) snprintf(signal_number, sizeof signal_number, "%d", WTERMSIG(out->status));
  dprintf(fd, "{\"exitCode\":%s,\"signal\":%s,\"cpuMs\":%lld,\"wallMs\":%lld,\"maxRssKb\":%lld,\"wallTimedOut\":%s%s}\n",
          exit_code, signal_number, cpu, out->wall, max_rss_kb, out->wall_timed_out ? "true" : "false", extra);
}

static int run_plain(struct options *o, sigset_t *waited, sigset_t *previous) {
  long long started = now_ms();
  pid_t child = fork();
  if (child < 0) fail("fork failed: %s", strerror(errno));
  if (child == 0) {
    /* Own process group: one kill(-pgid) then reaches everything the program forks
     * (unless it calls setsid; the harness's sandbox cleanup handles those). */
    setpgid(0, 0);
    sigprocmask(SIG_SETMASK, previous, NULL);
    apply_rlimits(o);
    execvp(o->command[0], o->command);
    fprintf(stderr, "runlimit: cannot run %s: %s\n", o->command[0], strerror(errno));
    _exit(127);
  }
  /* Also set the group from the parent side: whichever of us runs first wins the race. */
  setpgid(child, child);
  dprintf(o->report_fd, "{\"pid\":%d}\n", (int)child);
  struct outcome out;
  memset(&out, 0, sizeof out);
  supervise(o, child, -child, waited, started, &out);
  /* The main process is gone: whatever it left running in its group goes too. */
  kill(-child, SIGKILL);
  report(o->report_fd, &out, at_least_the_rlimit(o, &out, cpu_ms_of(&out.usage)), out.usage.ru_maxrss, "");
  return 0;
}

/* The init's user namespace maps our own uid and gid, nothing else (all an unprivileged parent may). */
static void map_ids(const struct options *o, pid_t init) {
  char path[64], map[64];
  snprintf(path, sizeof path, "/proc/%d", (int)init);
  int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) fail("cannot open %s: %s", path, strerror(errno));
  const char *files[3] = {"setgroups", "uid_map", "gid_map"};
  char texts[3][64];
  snprintf(texts[0], sizeof texts[0], "deny");
  snprintf(texts[1], sizeof texts[1], "%lld %lld 1", o->uid, o->uid);
  snprintf(texts[2], sizeof texts[2], "%lld %lld 1", o->gid, o->gid);
  for (int i = 0; i < 3; i++) {
    int fd = openat(dir, files[i], O_WRONLY | O_CLOEXEC);
    snprintf(map, sizeof map, "%s", texts[i]);
    if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map)) {
      kill(init, SIGKILL);
      fail("cannot write the execution's %s: %s", files[i], strerror(errno));
    }
    close(fd);
  }
  close(dir);
}

static int run_isolated(struct options *o, sigset_t *waited, sigset_t *previous) {
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) fail("getcwd: %s", strerror(errno));
  if (o->cgroup_root) make_cgroups(o);
  int go[2], status[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(status, O_CLOEXEC) != 0) fail("pipe: %s", strerror(errno));
  long long started = now_ms();
  pid_t init;
  if (o->userns) {
    /* All the namespaces at once, below a new user namespace (fork semantics: no new stack). */
    init = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | namespace_flags(o) | SIGCHLD, 0, 0, 0, 0);
  } else {
    /* The next child is PID 1 of a new PID namespace; we stay outside it. */
    if (unshare(CLONE_NEWPID) != 0) fail("unshare(CLONE_NEWPID): %s", strerror(errno));
    init = fork();
  }
  if (init < 0) fail("fork failed: %s", strerror(errno));
  if (init == 0) {
    close(go[1]);
    close(status[0]);
    close(o->report_fd);
    run_init(o, go[0], status[1], cwd, previous);
    _exit(125);
  }
  close(go[0]);
  close(status[1]);
  if (o->userns) map_ids(o, init);
  /* Into the cgroups before it runs anything: every process it starts is born inside them. */
  join_cgroups(init);
  if (write(go[1], "g", 1) != 1) fail("cannot start the execution: %s", strerror(errno));
  close(go[1]);
  dprintf(o->report_fd, "{\"pid\":%d}\n", (int)init);

  struct outcome out;
  memset(&out, 0, sizeof out);
  supervise(o, init, init, waited, started, &out);
  int init_status = out.status;
  int command_status;
  ssize_t got = read(status[0], &command_status, sizeof command_status);
  close(status[0]);
  if (got == (ssize_t)sizeof command_status) {
    /* The command's exit status; the usage stays the init's, which also holds what every orphan
     * used: the init reaped them all, the last ones as the PID namespace died with it. */
    out.status = command_status;
  } else if (!out.wall_timed_out && !out.cpu_exceeded && WIFEXITED(init_status) &&
             WEXITSTATUS(init_status) == 125) {
    fail("the execution's init failed before the command ran");
  } else {
    /* Killed before the command ended (a limit, or the harness asked): report SIGKILL. */
    out.status = SIGKILL;
  }

  long long cpu = cpu_ms_of(&out.usage), max_rss_kb = out.usage.ru_maxrss, oom_kills = 0;
  if (cgroups_made == CONTROLLERS) {
    long long used_ns = read_number(cgroup_dirs[2], "cpuacct.usage");
    long long peak = read_number(cgroup_dirs[0], "memory.max_usage_in_bytes");
    oom_kills = read_keyed(cgroup_dirs[0], "memory.oom_control", "oom_kill");
    if (used_ns >= 0) cpu = used_ns / 1000000;
    if (peak >= 0) max_rss_kb = peak / 1024;
    if (oom_kills < 0) oom_kills = 0;
  }
  /* The cgroup counts the whole tree; a limit it tripped is the program's, however it got there. */
  if (out.cpu_exceeded && cpu <= o->cpu_ms) cpu = o->cpu_ms + 1;
  cpu = at_least_the_rlimit(o, &out, cpu);
  int had_cgroups = cgroups_made == CONTROLLERS;
  remove_cgroups();
  char extra[128] = ",\"isolated\":true";
  /* Counted only where the execution had cgroups of its own; else the harness reads the container's. */
  if (had_cgroups)
    snprintf(extra, sizeof extra, ",\"isolated\":true,\"oomKills\":%lld", oom_kills);
  report(o->report_fd, &out, cpu, max_rss_kb, extra);
  return 0;
}

int main(int argc, char **argv) {
  struct options o;
  parse_options(argc, argv, &o);
  report_fd_global = o.report_fd;

  /* The report fd is ours alone: the program must not inherit it (it could forge a report, or
   * hold the pipe open after we exit). */
  if (fcntl(o.report_fd, F_SETFD, FD_CLOEXEC) != 0) {
    fprintf(stderr, "runlimit: report fd %d: %s\n", o.report_fd, strerror(errno));
    return 125;
  }

  /* Block the signals we wait for, so none is lost between fork and sigtimedwait.
   * SIGTERM/SIGINT/SIGHUP are how the harness asks us to stop the child early
   * (e.g. the output limit was crossed): we kill it and still report. */
  sigset_t waited, previous;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  sigaddset(&waited, SIGTERM);
  sigaddset(&waited, SIGINT);
  sigaddset(&waited, SIGHUP);
  sigprocmask(SIG_BLOCK, &waited, &previous);

  return o.isolate ? run_isolated(&o, &waited, &previous) : run_plain(&o, &waited, &previous);
}
