/* The calibrate subcommand: runs the measuring program tokenfab-calibrate (kernels/) on the GPU
 * of this machine into a fresh folder, fits the folder exactly as `tokenfab fit` does
 * (tf_cli_fit_folder) and removes the folder unless asked to keep it (docs/CALIBRATION.md,
 * "tokenfab calibrate"). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ; /* POSIX: the environment the measuring program inherits */

static const char cmd[] = "calibrate";

/* The measuring program: $TOKENFAB_CALIBRATE, else this file name beside tokenfab (installed
 * together), in the build tree's kernels/ folder beside tokenfab's cli/ (build/cli/tokenfab,
 * build/kernels/tokenfab-calibrate), or on PATH. */
#define MEASURE_ENV "TOKENFAB_CALIBRATE"
#define MEASURE_PROGRAM "tokenfab-calibrate"
#define BUILD_TREE_KERNELS "../kernels"
/* The running program's own file (Linux procfs; elsewhere the lookup skips to PATH). */
#define SELF_EXE "/proc/self/exe"
/* The temporary measurement folder, in $TMPDIR, else here. */
#define TEMP_PARENT_DEFAULT "/tmp"
#define TEMP_TEMPLATE "tokenfab-calibrate.XXXXXX"
/* Where the profile goes without --out or --keep: tokenfab fit's DIR/profile.db, with the
 * temporary DIR replaced by the current folder. */
#define DEFAULT_OUT "profile.db"

/* ---- Finding the measuring program ---- */

static bool is_executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* dir (its first dir_len bytes), sub and the program's name joined into buf, when that is an
 * executable file. */
static bool found_in(const char *dir, size_t dir_len, const char *sub, char *buf, size_t size) {
  int n = snprintf(buf, size, "%.*s%s%s/" MEASURE_PROGRAM, (int)dir_len, dir, *sub ? "/" : "",
                   sub);
  return n > 0 && (size_t)n < size && is_executable(buf);
}

/* Beside the running tokenfab, or in the build tree's kernels/ folder next to its own. */
static bool found_near_self(char *buf, size_t size, char *self, size_t self_size) {
  ssize_t n = readlink(SELF_EXE, self, self_size - 1);
  if (n <= 0)
    return false;
  self[n] = '\0';
  const char *slash = strrchr(self, '/');
  if (!slash)
    return false;
  size_t dir_len = (size_t)(slash - self);
  return found_in(self, dir_len, "", buf, size) ||
         found_in(self, dir_len, BUILD_TREE_KERNELS, buf, size);
}

/* The first PATH folder holding the program (an empty entry is the current folder). */
static bool found_on_path(char *buf, size_t size) {
  const char *path = getenv("PATH");
  for (const char *p = path; p && *p;) {
    size_t len = strcspn(p, ":");
    if (len == 0 ? found_in(".", 1, "", buf, size) : found_in(p, len, "", buf, size))
      return true;
    p += len;
    p += *p == ':';
  }
  return false;
}

/* self: the running tokenfab's file, "" when unknown. */
static void explain_not_found(const char *self) {
  const char *slash = strrchr(self, '/');
  int dir_len = slash ? (int)(slash - self) : 0;
  fprintf(stderr, "tokenfab %s: the measuring program " MEASURE_PROGRAM " was not found ("
          MEASURE_ENV " is not set; ", cmd);
  if (slash)
    fprintf(stderr, "not in %.*s beside tokenfab, nor in %.*s/" BUILD_TREE_KERNELS "; ", dir_len,
            self, dir_len, self);
  fprintf(stderr,
          "not on PATH): this tokenfab was built without the CUDA measuring program, which is "
          "built only where the CUDA Toolkit is found\n"
          "  build it: cmake -S . -B build -DTF_ENABLE_CUDA=ON with the CUDA Toolkit's nvcc on "
          "PATH; or alone on a GPU node with only the CUDA Toolkit: cmake -S kernels -B "
          "build-calibrate && cmake --build build-calibrate, then point " MEASURE_ENV " at "
          "build-calibrate/" MEASURE_PROGRAM "\n"
          "  or measure elsewhere: run " MEASURE_PROGRAM " --out DIR on a GPU node, then "
          "tokenfab fit DIR here\n");
}

/* The measuring program's path into buf. false after saying why there is none. */
static bool find_program(char *buf, size_t size) {
  const char *env = getenv(MEASURE_ENV);
  if (env && *env) {
    if (is_executable(env) && strlen(env) < size) {
      strcpy(buf, env);
      return true;
    }
    fprintf(stderr, "tokenfab %s: " MEASURE_ENV " is \"%s\", which is not an executable file "
            "(expected the path of " MEASURE_PROGRAM ")\n", cmd, env);
    return false;
  }
  char self[PATH_MAX] = "";
  if (found_near_self(buf, size, self, sizeof self) || found_on_path(buf, size))
    return true;
  explain_not_found(self);
  return false;
}

/* ---- Running it ---- */

/* The running measuring program, for the signal handler; 0 when none. */
static volatile sig_atomic_t child_pid = 0;
static volatile sig_atomic_t pending_signal = 0;

/* SIGINT and SIGTERM go on to the measuring program, which stops after the configuration it is
 * measuring, restores the GPU's power limit and writes nothing; tokenfab then cleans up. */
static void forward_signal(int sig) {
  pending_signal = sig;
  if (child_pid > 0)
    kill((pid_t)child_pid, sig);
}

/* Says how the measuring program ended. TF_EXIT_OK when it exited 0. */
static int judge_exit(const char *program, int wstatus) {
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
    return TF_EXIT_OK;
  if (WIFEXITED(wstatus))
    fprintf(stderr, "tokenfab %s: %s failed (exit status %d, its messages above): nothing "
            "measured, no profile written\n", cmd, program, WEXITSTATUS(wstatus));
  else if (WIFSIGNALED(wstatus))
    fprintf(stderr, "tokenfab %s: %s was ended by signal %d: nothing measured, no profile "
            "written\n", cmd, program, WTERMSIG(wstatus));
  return TF_EXIT_FAILURE;
}

/* Spawns program --out dir [--quick] with its standard output on standard error (tokenfab's
 * standard output is the fit's table) and SIGINT and SIGTERM at their defaults (the program sets
 * its own), into *pid. 0 or an errno value. */
static int spawn(const char *program, const char *dir, bool quick, pid_t *pid) {
  char *args[] = {(char *)program, "--out", (char *)dir, quick ? "--quick" : NULL, NULL};
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc)
    return rc;
  rc = posix_spawnattr_init(&attr);
  if (rc) {
    posix_spawn_file_actions_destroy(&fa);
    return rc;
  }
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigemptyset(&none);
  rc = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
  if (!rc)
    rc = posix_spawnattr_setsigdefault(&attr, &defaults);
  if (!rc)
    rc = posix_spawnattr_setsigmask(&attr, &none);
  if (!rc)
    rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (!rc) {
    fflush(stdout);
    rc = posix_spawn(pid, program, &fa, &attr, args, environ);
  }
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  return rc;
}

/* Runs the measuring program into dir and waits for it. TF_EXIT_OK when it measured. */
static int measure(const char *program, const char *dir, bool quick) {
  struct sigaction forward, old_int, old_term;
  memset(&forward, 0, sizeof forward);
  forward.sa_handler = forward_signal;
  sigemptyset(&forward.sa_mask);
  sigaction(SIGINT, &forward, &old_int);
  sigaction(SIGTERM, &forward, &old_term);
  pending_signal = 0;

  fprintf(stderr, "tokenfab %s: measuring with %s into %s\n", cmd, program, dir);
  pid_t pid;
  int status = TF_EXIT_FAILURE;
  int rc = spawn(program, dir, quick, &pid);
  if (rc) {
    fprintf(stderr, "tokenfab %s: cannot run %s: %s\n", cmd, program, strerror(rc));
  } else {
    child_pid = pid;
    if (pending_signal)
      kill(pid, pending_signal);
    int wstatus = 0;
    pid_t got;
    while ((got = waitpid(pid, &wstatus, 0)) < 0 && errno == EINTR)
      continue;
    child_pid = 0;
    if (got < 0)
      fprintf(stderr, "tokenfab %s: lost %s: %s\n", cmd, program, strerror(errno));
    else
      status = judge_exit(program, wstatus);
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  return status;
}

/* ---- The temporary folder ---- */

/* A fresh folder for the measurements into buf. false after saying why there is none. */
static bool make_temp(char *buf, size_t size) {
  const char *parent = getenv("TMPDIR");
  if (!parent || !*parent)
    parent = TEMP_PARENT_DEFAULT;
  int n = snprintf(buf, size, "%s/" TEMP_TEMPLATE, parent);
  if (n < 0 || (size_t)n >= size || !mkdtemp(buf)) {
    fprintf(stderr, "tokenfab %s: cannot create a temporary folder in %s: %s\n", cmd, parent,
            n < 0 || (size_t)n >= size ? "the name is too long" : strerror(errno));
    return false;
  }
  return true;
}

/* Removes dir and the files in it: the measuring program writes plain files only (its two
 * files, and temporary ones beside them that it renames or removes). One level is enough. */
static void remove_temp(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
        continue;
      char path[PATH_MAX];
      int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      if (n > 0 && (size_t)n < sizeof path)
        remove(path);
    }
    closedir(d);
  }
  if (rmdir(dir) != 0)
    fprintf(stderr, "tokenfab %s: cannot remove the temporary folder %s: %s\n", cmd, dir,
            strerror(errno));
}

/* ---- The command ---- */

int tf_cli_calibrate(int argc, char **argv) {
  tf_cli_fit_opts a;
  int status = tf_cli_fit_parse(argc, argv, &a);
  if (status != TF_EXIT_OK)
    return status;
  char program[PATH_MAX];
  if (!find_program(program, sizeof program))
    return TF_EXIT_FAILURE;

  /* --keep DIR: measure there and keep it, with fit's defaults for that folder. */
  char temp[PATH_MAX], db[PATH_MAX];
  if (a.keep) {
    a.dir = a.keep;
    if (!a.out) {
      int n = snprintf(db, sizeof db, "%s/profile.db", a.keep);
      if (n < 0 || (size_t)n >= sizeof db) {
        fprintf(stderr, "tokenfab %s: the folder name %s is too long\n", cmd, a.keep);
        return TF_EXIT_FAILURE;
      }
      a.out = db;
    }
    if (!a.csv)
      a.csv = a.keep;
  } else {
    if (!make_temp(temp, sizeof temp))
      return TF_EXIT_FAILURE;
    a.dir = temp;
    if (!a.out)
      a.out = DEFAULT_OUT;
  }

  status = measure(program, a.dir, a.quick);
  bool measured = status == TF_EXIT_OK;
  if (measured)
    status = tf_cli_fit_folder(cmd, &a);
  if (!a.keep) {
    if (measured && status != TF_EXIT_OK)
      fprintf(stderr, "tokenfab %s: the measurements are discarded; run again with --keep DIR "
              "to keep them (then tokenfab fit DIR)\n", cmd);
    remove_temp(temp);
  }
  return status;
}
