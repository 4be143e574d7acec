/*
 * The read floor of an agent's second (bench/suites/containers-idle.js): the files an idle agent
 * reads each second, read by native code that does nothing else, so that its CPU time is what the
 * kernel charges for making their text, plus a loop.
 *
 * Each second: the host's /proc files (stat, loadavg, meminfo, net/dev, self/mounts, vmstat,
 * sys/fs/file-nr, uptime), a listing of /proc and every process's stat (held open and re-read with
 * pread at offset 0, as the agent does), and for each container given by its init pid: its CPU
 * time and I/O counters (cgroup v2 cpu.stat and io.stat, v1 cpuacct.usage and
 * blkio.throttle.io_service_bytes) and its network namespace's net/dev once per namespace. Not
 * read: the gauges an idle container has read every fifth second, the statfs of the mounts.
 *
 * usage: read-floor [INIT_PID ...]    (runs until killed)
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PID 4194304
#define MAX_CONTAINERS 1024
#define MAX_HELD 65536

static char buf[1 << 16];
static int *held;    /* a pid's held stat descriptor + 1, 0 for none */
static int *seen_in; /* the pass that last listed a pid */
static int list[MAX_HELD]; /* the pids with a held descriptor */
static int listed;
static volatile long sink;

static void read_fd(int fd) {
  ssize_t n = pread(fd, buf, sizeof buf, 0);
  if (n > 0) sink += buf[n - 1];
}

static int open_or(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }

/* The container's CPU and I/O files from its init's /proc/PID/cgroup: v2's one line, or v1's lines. */
static void cgroup_files(int pid, int *cpu, int *io) {
  char path[256], line[4096], file[8192];
  snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
  FILE *f = fopen(path, "r");
  *cpu = *io = -1;
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *controllers = strchr(line, ':');
    char *cg = controllers ? strchr(controllers + 1, ':') : NULL;
    if (!cg) continue;
    *cg++ = 0;
    controllers++;
    if (*controllers == 0 && *cpu < 0) {
      snprintf(file, sizeof file, "/sys/fs/cgroup%s/cpu.stat", cg);
      *cpu = open_or(file);
      snprintf(file, sizeof file, "/sys/fs/cgroup%s/io.stat", cg);
      *io = open_or(file);
    } else if (strstr(controllers, "cpuacct")) {
      if (*cpu >= 0) close(*cpu);
      snprintf(file, sizeof file, "/sys/fs/cgroup/cpuacct%s/cpuacct.usage", cg);
      *cpu = open_or(file);
    } else if (strstr(controllers, "blkio")) {
      if (*io >= 0) close(*io);
      snprintf(file, sizeof file, "/sys/fs/cgroup/blkio%s/blkio.throttle.io_service_bytes", cg);
      *io = open_or(file);
    }
  }
  fclose(f);
}

int main(int argc, char **argv) {
  static const char *host_files[] = {"/proc/stat", "/proc/loadavg", "/proc/meminfo", "/proc/net/dev", "/proc/self/mounts", "/proc/vmstat", "/proc/sys/fs/file-nr", "/proc/uptime"};
  /* Node raises its soft descriptor limit to the hard one at start; so does this. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  int host[8];
  for (int i = 0; i < 8; i++) host[i] = open_or(host_files[i]);
  int n = argc - 1 > MAX_CONTAINERS ? MAX_CONTAINERS : argc - 1;
  int cpu[MAX_CONTAINERS], io[MAX_CONTAINERS], net[MAX_CONTAINERS];
  ino_t seen[MAX_CONTAINERS];
  int namespaces = 0;
  for (int i = 0; i < n; i++) {
    int pid = atoi(argv[i + 1]);
    char path[64];
    struct stat st;
    cgroup_files(pid, &cpu[i], &io[i]);
    net[i] = -1;
    snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
    if (stat(path, &st) != 0) continue;
    int dup = 0;
    for (int k = 0; k < namespaces; k++) dup |= seen[k] == st.st_ino;
    if (dup) continue;
    seen[namespaces++] = st.st_ino;
    snprintf(path, sizeof path, "/proc/%d/net/dev", pid);
    net[i] = open_or(path);
  }
  held = calloc(MAX_PID, sizeof *held);
  seen_in = calloc(MAX_PID, sizeof *seen_in);
  if (!held || !seen_in) return 1;
  for (int pass = 1;; pass++) {
    for (int i = 0; i < 8; i++) if (host[i] >= 0) read_fd(host[i]);
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 0 || pid >= MAX_PID) continue;
      seen_in[pid] = pass;
      /* A held descriptor of a process that is gone answers ESRCH: the pid may be a new process's. */
      if (held[pid] > 0 && pread(held[pid] - 1, buf, sizeof buf, 0) > 0) continue;
      int listed_before = held[pid] > 0; /* in the list already: reopened in place */
      if (listed_before) close(held[pid] - 1);
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/stat", pid);
      held[pid] = open_or(path) + 1;
      if (held[pid] > 0 && pread(held[pid] - 1, buf, sizeof buf, 0) <= 0) {
        close(held[pid] - 1);
        held[pid] = 0;
      }
      if (held[pid] > 0 && (listed_before || listed < MAX_HELD)) {
        if (!listed_before) list[listed++] = pid;
      } else if (held[pid] > 0) { /* past the list's room: read through open and close, not held */
        close(held[pid] - 1);
        held[pid] = 0;
      }
    }
    if (d) closedir(d);
    /* Descriptors of processes not listed this pass are closed, as the agent forgets them. */
    int kept = 0;
    for (int i = 0; i < listed; i++) {
      int pid = list[i];
      if (held[pid] > 0 && seen_in[pid] != pass) {
        close(held[pid] - 1);
        held[pid] = 0;
      }
      if (held[pid] > 0) list[kept++] = pid;
    }
    listed = kept;
    for (int i = 0; i < n; i++) {
      if (cpu[i] >= 0) read_fd(cpu[i]);
      if (io[i] >= 0) read_fd(io[i]);
      if (net[i] >= 0) read_fd(net[i]);
    }
    sleep(1);
  }
}
