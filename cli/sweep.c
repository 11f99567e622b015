/* tokenfab sweep: every point of a parameter sweep as an ordinary run with its own seed, in
 * worker processes (--jobs), in one slice of a Slurm array (--shard), resumable (--resume);
 * the results in the database and a sweep table with Pareto frontiers (docs/SWEEPS.md). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "csv_out.h"
#include "error.h"
#include "pareto.h"
#include "results.h"
#include "scenario.h"
#include "sha256.h"
#include "store.h"
#include "sweep.h"
#ifdef TF_HAVE_MPI
#include <mpi.h>

#include "record_wire.h"
#endif

/* Most worker processes --jobs starts: far more than a node's cores, low enough to catch a
 * typo (--jobs 1000). */
#define JOBS_MAX 256

typedef struct sweep_opts {
  int jobs;
  int64_t shard, shards; /* this process runs the points p with p % shards == shard - 1 */
  bool resume, dry_run, quiet;
  const char *db_path, *csv_dir;
  const char **axes; /* --sweep texts */
  size_t n_axes;
  int64_t replications; /* 0: the file's */
} sweep_opts;

/* Everything a worker needs to run one (point, replication). */
typedef struct sweep_ctx {
  const tf_cli_scenario_args *args;
  const tf_sweep *sw;
  uint64_t master_seed;
  int64_t sweep_id;
  const char *db_path;
} sweep_ctx;

/* ---- options ---- */

static int parse_count(const char *opt, const char *v, int64_t lo, int64_t hi, int64_t *out) {
  char *end;
  errno = 0;
  long long n = v ? strtoll(v, &end, 10) : 0;
  if (!v || !*v || *end || errno || n < lo || n > hi) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s needs a whole number from %lld to %lld, got '%%s'", opt,
             (long long)lo, (long long)hi);
    return tf_cli_usage_error("sweep", msg, v ? v : "");
  }
  *out = n;
  return TF_EXIT_OK;
}

/* --shard I/N, or --shard slurm: SLURM_ARRAY_TASK_ID (counted from SLURM_ARRAY_TASK_MIN, else
 * 0) of SLURM_ARRAY_TASK_COUNT. */
static int parse_shard(const char *v, sweep_opts *o) {
  char text[64];
  if (v && strcmp(v, "slurm") == 0) {
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *count = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN");
    if (!id || !count)
      return tf_cli_usage_error("sweep", "--shard slurm: SLURM_ARRAY_TASK_ID and "
                                         "SLURM_ARRAY_TASK_COUNT are not set (not in a Slurm "
                                         "array job?)%s", "");
    snprintf(text, sizeof text, "%lld/%s", atoll(id) - (min ? atoll(min) : 0) + 1, count);
    v = text;
  }
  long long i = 0, n = 0;
  char tail;
  if (!v || sscanf(v, "%lld/%lld%c", &i, &n, &tail) != 2 || n < 1 || i < 1 || i > n)
    return tf_cli_usage_error("sweep", "--shard needs I/N with 1 <= I <= N (as in --shard 3/8), "
                                       "or slurm; got '%s'", v ? v : "");
  o->shard = i;
  o->shards = n;
  return TF_EXIT_OK;
}

/* Takes sweep's own options out of argv; the rest (file, --set, --catalog-dir) into rest. */
static int parse_opts(int argc, char **argv, sweep_opts *o, char **rest, int *n_rest) {
  *o = (sweep_opts){.jobs = 1, .shard = 1, .shards = 1};
  o->axes = calloc((size_t)argc + 1, sizeof *o->axes);
  if (!o->axes)
    return TF_EXIT_FAILURE;
  int rc = TF_EXIT_OK;
  const char *v = NULL;
  for (int i = 0; rc == TF_EXIT_OK && i < argc; i++) {
    int64_t n;
    if (strcmp(argv[i], "--") == 0) {
      while (i < argc)
        rest[(*n_rest)++] = argv[i++];
      break;
    }
    if (strcmp(argv[i], "--resume") == 0)
      o->resume = true;
    else if (strcmp(argv[i], "--dry-run") == 0)
      o->dry_run = true;
    else if (strcmp(argv[i], "--quiet") == 0)
      o->quiet = true;
    else if (tf_cli_option(argc, argv, &i, "--jobs", &v)) {
      if ((rc = parse_count("--jobs", v, 1, JOBS_MAX, &n)) == TF_EXIT_OK)
        o->jobs = (int)n;
    } else if (tf_cli_option(argc, argv, &i, "--replications", &v)) {
      rc = parse_count("--replications", v, 1, TF_SWEEP_MAX_POINTS, &o->replications);
    } else if (tf_cli_option(argc, argv, &i, "--shard", &v)) {
      rc = parse_shard(v, o);
    } else if (tf_cli_option(argc, argv, &i, "--sweep", &v)) {
      if (!v || !*v)
        rc = tf_cli_usage_error("sweep", "--sweep needs PATH=V1,V2,... or 'PATH=A..B step S'%s",
                                "");
      else
        o->axes[o->n_axes++] = v;
    } else if (tf_cli_option(argc, argv, &i, "--db", &o->db_path)) {
      if (!o->db_path || !*o->db_path)
        rc = tf_cli_usage_error("sweep", "--db needs a file%s", "");
    } else if (tf_cli_option(argc, argv, &i, "--csv", &o->csv_dir)) {
      if (!o->csv_dir || !*o->csv_dir)
        rc = tf_cli_usage_error("sweep", "--csv needs a folder%s", "");
    } else {
      rest[(*n_rest)++] = argv[i];
    }
  }
  return rc;
}

/* ---- one run ---- */

/* The --set texts of (point, replication): the command line's, the point's, then its seed.
 * Seeds are counts in a scenario (at most 2^63 - 1): the derived seed's top bit is dropped. */
static int run_sets(const sweep_ctx *c, size_t p, size_t r, char ***point_sets, size_t *n_point,
                    const char ***all, size_t *n_all, char *seed_set, size_t seed_size) {
  if (tf_sweep_sets(c->sw, p, point_sets, n_point))
    return TF_ENOMEM;
  uint64_t seed = tf_sweep_seed(c->master_seed, p, r) & (uint64_t)INT64_MAX;
  snprintf(seed_set, seed_size, "seed=%" PRIu64, seed);
  *n_all = c->args->n_sets + *n_point + 1;
  *all = calloc(*n_all, sizeof **all);
  if (!*all) {
    tf_sweep_sets_free(*point_sets, *n_point);
    return TF_ENOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < c->args->n_sets; i++)
    (*all)[k++] = c->args->sets[i];
  for (size_t i = 0; i < *n_point; i++)
    (*all)[k++] = (*point_sets)[i];
  (*all)[k] = seed_set;
  return 0;
}

/* Loads the scenario of (point, replication) into *s, printing problems prefixed by the
 * point. TF_EXIT_OK or the exit status. */
static int load_point(const sweep_ctx *c, size_t p, size_t r, tf_scenario *s,
                      const char ***sets, size_t *n_sets, char ***point_sets, size_t *n_point,
                      char *seed_set, size_t seed_size) {
  if (run_sets(c, p, r, point_sets, n_point, sets, n_sets, seed_set, seed_size)) {
    fprintf(stderr, "tokenfab sweep: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  tf_cli_scenario_args a = *c->args;
  a.sets = *sets;
  a.n_sets = *n_sets;
  /* Problems name the point and its values: the --set texts they point into came from the
   * sweep, not from the command line. */
  char cmd[512];
  int n = snprintf(cmd, sizeof cmd, "sweep (point %zu:", p);
  for (size_t ax = 0; ax < tf_sweep_axes(c->sw) && n > 0 && (size_t)n < sizeof cmd; ax++)
    n += snprintf(cmd + n, sizeof cmd - (size_t)n, "%s %s=%s", ax ? "," : "",
                  tf_sweep_axis_name(c->sw, ax), tf_sweep_label(c->sw, p, ax));
  if (n > 0 && (size_t)n < sizeof cmd - 1)
    snprintf(cmd + n, sizeof cmd - (size_t)n, ")");
  int rc = tf_cli_load_scenario(&a, cmd, s);
  if (rc == TF_EXIT_OK && tf_cli_check_serving(s) != TF_EXIT_OK) {
    tf_scenario_destroy(s);
    rc = TF_EXIT_USAGE;
  }
  if (rc != TF_EXIT_OK) {
    free(*sets);
    tf_sweep_sets_free(*point_sets, *n_point);
  }
  return rc;
}

static void record_free(tf_run_record *rec);

/* n bytes of p and a NUL, or NULL when out of memory. */
static char *dup_bytes(const char *p, size_t n) {
  char *c = malloc(n + 1);
  if (c) {
    memcpy(c, p, n);
    c[n] = '\0';
  }
  return c;
}

/* Simulates (point, replication) into *rec (its overrides string allocated: free it with the
 * record). TF_EXIT_OK or the exit status. */
static int simulate(const sweep_ctx *c, size_t p, size_t r, tf_run_record *rec) {
  tf_scenario s;
  const char **sets;
  char **point_sets;
  size_t n_sets, n_point;
  char seed_set[48];
  int rc = load_point(c, p, r, &s, &sets, &n_sets, &point_sets, &n_point, seed_set,
                      sizeof seed_set);
  if (rc != TF_EXIT_OK)
    return rc;
  *rec = (tf_run_record){0};
  tf_cli_run_opts o = {.sets = sets, .n_sets = n_sets, .record = rec};
  rc = tf_cli_serve(&s, &o);
  /* The record outlives the scenario (runs are written in batches): it keeps copies of the
   * scenario's strings, which record_free frees. */
  if (rc == TF_EXIT_OK) {
    char *name = dup_bytes(s.name, strlen(s.name)), *path = dup_bytes(s.path, strlen(s.path));
    char *text = dup_bytes(s.text, s.text_len);
    rec->scenario_name = name;
    rec->scenario_path = path;
    rec->scenario_text = text;
    if (!name || !path || !text) {
      record_free(rec);
      fprintf(stderr, "tokenfab sweep: out of memory\n");
      rc = TF_EXIT_FAILURE;
    }
  }
  tf_scenario_destroy(&s);
  free(sets);
  tf_sweep_sets_free(point_sets, n_point);
  return rc;
}

static void record_free(tf_run_record *rec) {
  free((char *)rec->overrides);
  free((char *)rec->scenario_name);
  free((char *)rec->scenario_path);
  free((char *)rec->scenario_text);
  tf_run_record_fini(rec);
}

/* Runs simulated but not yet written. A worker writes them in one transaction when BATCH_RUNS
 * have gathered or BATCH_SECONDS have passed since the first, and when it stops: the commit's
 * fsyncs are paid once per batch instead of once per run (with runs of milliseconds they cost
 * more than the runs), and a kill loses at most that much work, which --resume redoes. */
#define BATCH_RUNS 64
#define BATCH_SECONDS 1.0
typedef struct batch {
  tf_run_record rec[BATCH_RUNS];
  size_t point[BATCH_RUNS], replication[BATCH_RUNS];
  size_t n;
  double first_s;
} batch;

static int flush_with(const sweep_ctx *c, tf_store *db, batch *b,
                      void (*release)(tf_run_record *)) {
  if (b->n == 0)
    return TF_EXIT_OK;
  size_t n_axes = tf_sweep_axes(c->sw);
  const char **labels = calloc(b->n * (n_axes ? n_axes : 1), sizeof *labels);
  tf_store_sweep_run runs[BATCH_RUNS];
  int rc = TF_EXIT_OK;
  if (!labels) {
    fprintf(stderr, "tokenfab sweep: out of memory\n");
    rc = TF_EXIT_FAILURE;
  }
  for (size_t i = 0; labels && i < b->n; i++) {
    for (size_t a = 0; a < n_axes; a++)
      labels[i * n_axes + a] = tf_sweep_label(c->sw, b->point[i], a);
    runs[i] = (tf_store_sweep_run){.record = &b->rec[i], .sweep_id = c->sweep_id,
                                   .point = (int64_t)b->point[i],
                                   .replication = (int64_t)b->replication[i],
                                   .labels = &labels[i * n_axes], .n_labels = n_axes};
  }
  char err[512];
  if (labels && tf_store_write_sweep_runs(db, runs, b->n, err, sizeof err)) {
    fprintf(stderr, "tokenfab sweep: %s\n", err);
    rc = TF_EXIT_FAILURE;
  }
  free(labels);
  for (size_t i = 0; i < b->n; i++)
    release(&b->rec[i]);
  b->n = 0;
  return rc;
}

static int flush(const sweep_ctx *c, tf_store *db, batch *b) {
  return flush_with(c, db, b, record_free);
}

#ifdef TF_HAVE_MPI
/* A batch of records unpacked from workers' messages. */
static int flush_unpacked(const sweep_ctx *c, tf_store *db, batch *b) {
  return flush_with(c, db, b, tf_record_unpacked_free);
}
#endif

/* ---- workers ---- */

/* Shared between the workers and the parent (an anonymous shared mapping). */
typedef struct shared {
  atomic_size_t next;   /* the next index into the work list */
  atomic_size_t done;   /* runs finished */
  atomic_int failed;    /* a run failed: workers stop taking work */
} shared;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void progress(const sweep_opts *o, size_t done, size_t total, double start) {
  if (o->quiet || !isatty(STDERR_FILENO))
    return;
  double el = now_s() - start, rate = el > 0 ? (double)done / el : 0;
  double eta = rate > 0 ? (double)(total - done) / rate : 0;
  fprintf(stderr, "\r%zu/%zu runs, %.3g runs/s, ETA %.0f s   %s", done, total, rate, eta,
          done == total ? "\n" : "");
}

/* Takes runs off the work list until it is empty or a run fails. The worker's own database
 * connection: SQLite connections do not survive fork. */
static int worker(const sweep_ctx *c, const size_t *work, size_t n_work, size_t reps,
                  shared *sh, const sweep_opts *o, bool report) {
  /* A run allocates and frees the same few megabytes as the one before (histograms, queues,
   * the scenario): keeping them mapped saves the page faults of returning them to the kernel
   * and taking them back, which cost more than a tiny run itself (glibc's malloc). */
#ifdef M_TRIM_THRESHOLD
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
  char err[512];
  tf_store *db;
  if (tf_store_open(c->db_path, &db, err, sizeof err)) {
    fprintf(stderr, "tokenfab sweep: %s\n", err);
    atomic_store(&sh->failed, 1);
    return TF_EXIT_FAILURE;
  }
  double start = now_s();
  int rc = TF_EXIT_OK;
  batch *b = calloc(1, sizeof *b);
  if (!b) {
    tf_store_close(db);
    atomic_store(&sh->failed, 1);
    return TF_EXIT_FAILURE;
  }
  while (!atomic_load(&sh->failed)) {
    size_t i = atomic_fetch_add(&sh->next, 1);
    if (i >= n_work)
      break;
    if (b->n == 0)
      b->first_s = now_s();
    rc = simulate(c, work[i] / reps, work[i] % reps, &b->rec[b->n]);
    if (rc != TF_EXIT_OK) {
      atomic_store(&sh->failed, 1);
      break;
    }
    b->point[b->n] = work[i] / reps;
    b->replication[b->n++] = work[i] % reps;
    if ((b->n == BATCH_RUNS || now_s() - b->first_s >= BATCH_SECONDS) &&
        (rc = flush(c, db, b)) != TF_EXIT_OK) {
      atomic_store(&sh->failed, 1);
      break;
    }
    size_t done = atomic_fetch_add(&sh->done, 1) + 1;
    if (report)
      progress(o, done, n_work, start);
  }
  /* What was simulated is kept even when another run failed. */
  int frc = flush(c, db, b);
  if (rc == TF_EXIT_OK)
    rc = frc;
  free(b);
  tf_store_close(db);
  return rc;
}

/* Runs the work list in o->jobs processes (in this one for --jobs 1). */
static int run_all(const sweep_ctx *c, const size_t *work, size_t n_work, size_t reps,
                   const sweep_opts *o) {
  shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) {
    fprintf(stderr, "tokenfab sweep: cannot share memory with workers: %s\n", strerror(errno));
    return TF_EXIT_FAILURE;
  }
  atomic_init(&sh->next, 0);
  atomic_init(&sh->done, 0);
  atomic_init(&sh->failed, 0);
  int rc = TF_EXIT_OK;
  if (o->jobs == 1) {
    rc = worker(c, work, n_work, reps, sh, o, true);
  } else {
    fflush(NULL); /* nothing buffered is written twice */
    int started = 0;
    for (; started < o->jobs; started++) {
      pid_t pid = fork();
      if (pid < 0) {
        fprintf(stderr, "tokenfab sweep: cannot start worker %d: %s\n", started + 1,
                strerror(errno));
        atomic_store(&sh->failed, 1);
        rc = TF_EXIT_FAILURE;
        break;
      }
      if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed sweep takes its workers along */
        _exit(worker(c, work, n_work, reps, sh, o, false));
      }
    }
    double start = now_s();
    for (int alive = started; alive > 0;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        alive--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          atomic_store(&sh->failed, 1);
          rc = WIFEXITED(status) && WEXITSTATUS(status) == TF_EXIT_USAGE ? TF_EXIT_USAGE
                                                                          : TF_EXIT_FAILURE;
        }
        continue;
      }
      progress(o, atomic_load(&sh->done), n_work, start);
      nanosleep(&(struct timespec){.tv_nsec = 200000000}, NULL);
    }
    progress(o, atomic_load(&sh->done), n_work, start);
  }
  munmap(sh, sizeof *sh);
  return rc;
}

/* ---- MPI: rank 0 hands out runs and is the only writer; the other ranks simulate ---- */

#ifdef TF_HAVE_MPI
enum { TAG_RESULT = 1, TAG_WORK = 2, TAG_STOP = 3, TAG_GO = 4 };
enum { ST_READY = 0, ST_RUN = 1, ST_FAILED = 2 }; /* a result message's status */

static int mpi_rank, mpi_size = 1;
static bool mpi_go_sent; /* rank 0 has told the workers whether there is work */

/* Started by mpirun (OpenMPI, MPICH or a PMIx launcher)? Only then is MPI initialised: a plain
 * `tokenfab sweep` never touches it. */
static bool mpi_launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

/* Rank 0 tells every worker whether work follows (go) or not; once. */
static void mpi_go(int go) {
  if (mpi_size <= 1 || mpi_rank != 0 || mpi_go_sent)
    return;
  mpi_go_sent = true;
  MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
}

/* A worker: ready, then a result for every run it is given, until told to stop. Each result
 * is (point, replication, status) as three uint64, then the packed record. */
static int mpi_worker(const sweep_ctx *c, bool usable) {
  uint64_t head[3] = {0, 0, usable ? ST_READY : ST_FAILED};
  MPI_Send(head, 3, MPI_UINT64_T, 0, TAG_RESULT, MPI_COMM_WORLD);
  int rc = usable ? TF_EXIT_OK : TF_EXIT_FAILURE;
  for (;;) {
    uint64_t work[2];
    MPI_Status st;
    MPI_Recv(work, 2, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    if (st.MPI_TAG == TAG_STOP)
      break;
    tf_run_record rec;
    int src = simulate(c, (size_t)work[0], (size_t)work[1], &rec);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (src == TF_EXIT_OK && tf_record_pack(&rec, &buf, &len) != 0)
      src = TF_EXIT_FAILURE;
    if (src == TF_EXIT_OK)
      record_free(&rec);
    uint8_t *msg = malloc(3 * sizeof(uint64_t) + len);
    uint64_t h[3] = {work[0], work[1], src == TF_EXIT_OK && msg ? ST_RUN : ST_FAILED};
    if (!msg) {
      MPI_Send(h, 3, MPI_UINT64_T, 0, TAG_RESULT, MPI_COMM_WORLD);
    } else {
      memcpy(msg, h, sizeof h);
      if (len)
        memcpy(msg + sizeof h, buf, len);
      MPI_Send(msg, (int)(sizeof h + len), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
    free(msg);
    free(buf);
    if (src != TF_EXIT_OK)
      rc = src;
  }
  return rc;
}

/* Rank 0: answers each worker's result with the next run of the work list, or stop; writes the
 * runs to the database in batches, like a local worker. */
static int mpi_dispatch(const sweep_ctx *c, const size_t *work, size_t n_work, size_t reps,
                        const sweep_opts *o) {
  mpi_go(1);
  char err[512];
  tf_store *db;
  if (tf_store_open(c->db_path, &db, err, sizeof err)) {
    fprintf(stderr, "tokenfab sweep: %s\n", err);
    db = NULL;
  }
  batch *b = calloc(1, sizeof *b);
  int rc = db && b ? TF_EXIT_OK : TF_EXIT_FAILURE;
  size_t next = 0, done = 0;
  double start = now_s();
  for (int active = mpi_size - 1; active > 0;) {
    MPI_Status st;
    MPI_Probe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &st);
    int count;
    MPI_Get_count(&st, MPI_BYTE, &count);
    uint8_t *msg = malloc((size_t)count > 24 ? (size_t)count : 24);
    if (!msg) {
      rc = TF_EXIT_FAILURE;
      break; /* cannot even receive: mpirun ends the job when rank 0 returns */
    }
    MPI_Recv(msg, count, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    uint64_t h[3];
    memcpy(h, msg, sizeof h);
    if (h[2] == ST_FAILED) {
      rc = TF_EXIT_FAILURE;
    } else if (h[2] == ST_RUN && rc == TF_EXIT_OK) {
      if (b->n == 0)
        b->first_s = now_s();
      if (tf_record_unpack(msg + sizeof h, (size_t)count - sizeof h, &b->rec[b->n]) != 0) {
        fprintf(stderr, "tokenfab sweep: rank %d sent a run that cannot be read\n",
                st.MPI_SOURCE);
        rc = TF_EXIT_FAILURE;
      } else {
        b->point[b->n] = (size_t)h[0];
        b->replication[b->n++] = (size_t)h[1];
        done++;
        progress(o, done, n_work, start);
        if ((b->n == BATCH_RUNS || now_s() - b->first_s >= BATCH_SECONDS) &&
            flush_unpacked(c, db, b) != TF_EXIT_OK)
          rc = TF_EXIT_FAILURE;
      }
    }
    free(msg);
    if (rc == TF_EXIT_OK && next < n_work) {
      uint64_t w[2] = {work[next] / reps, work[next] % reps};
      next++;
      MPI_Send(w, 2, MPI_UINT64_T, st.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
    } else {
      uint64_t w[2] = {0, 0};
      MPI_Send(w, 2, MPI_UINT64_T, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
      active--;
    }
  }
  if (db && b && flush_unpacked(c, db, b) != TF_EXIT_OK)
    rc = TF_EXIT_FAILURE;
  free(b);
  tf_store_close(db);
  return rc;
}
#endif

/* ---- the sweep table ---- */

/* The headline metrics of the sweep table, in its column order. */
static const char *const METRICS[] = {
    "output_tokens_per_s", "goodput_output_tokens_per_s", "slo_attainment", "ttft_p99_s",
    "tpot_p99_s", "output_tokens_per_s_per_user", "it_power_avg_mw",
    "output_tokens_per_s_per_mw_facility", "joules_per_output_token", "cost_per_mtok_out_usd",
    "tco_per_year_usd", "binding_constraint"};
enum {
  N_METRICS = sizeof METRICS / sizeof METRICS[0],
  M_PER_MW = 7, M_PER_USER = 5, M_COST = 9, M_TTFT = 3, M_TPOT = 4, M_BINDING = 11
};
static const char *const UNITS[N_METRICS] = {"1/s", "1/s", "1", "s", "s", "1/s", "MW",
                                             "1/(s MW)", "J", "USD", "USD", ""};
static const char *const CI_NAMES[N_METRICS] = {
    "output_tokens_per_s_ci95", "goodput_output_tokens_per_s_ci95", "slo_attainment_ci95",
    "ttft_p99_s_ci95", "tpot_p99_s_ci95", "output_tokens_per_s_per_user_ci95",
    "it_power_avg_mw_ci95", "output_tokens_per_s_per_mw_facility_ci95",
    "joules_per_output_token_ci95", "cost_per_mtok_out_usd_ci95", "tco_per_year_usd_ci95", ""};

/* The frontiers marked in the table (docs/SWEEPS.md). */
enum { F_POWER, F_COST_TTFT, F_COST_TPOT, N_FRONTS };
static const char *const FRONT_NAMES[N_FRONTS] = {"front_tokens_per_mw_vs_per_user",
                                                  "front_cost_vs_ttft_p99",
                                                  "front_cost_vs_tpot_p99"};

/* One point's mean and 95% confidence half-width (Student t over the replications) per metric,
 * from rows [lo, hi) of the runs, which are that point's. */
static void aggregate(const tf_store_sweep_row *rows, size_t lo, size_t hi, double *mean,
                      double *ci) {
  for (int m = 0; m < N_METRICS; m++) {
    double sum = 0, sq = 0;
    size_t n = 0;
    for (size_t i = lo; i < hi; i++)
      if (isfinite(rows[i].values[m])) {
        sum += rows[i].values[m];
        n++;
      }
    mean[m] = n ? sum / (double)n : NAN;
    for (size_t i = lo; i < hi; i++)
      if (isfinite(rows[i].values[m]))
        sq += (rows[i].values[m] - mean[m]) * (rows[i].values[m] - mean[m]);
    ci[m] = n > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sqrt(sq / (double)(n - 1)) /
                        sqrt((double)n)
                  : NAN;
  }
}

typedef struct sweep_table {
  tf_table t;
  tf_column *cols;
  size_t n_points;
  double *mean; /* n_points x N_METRICS */
  bool *front;  /* N_FRONTS x n_points */
} sweep_table;

static void table_free(sweep_table *st) {
  tf_table_fini(&st->t);
  free(st->cols);
  free(st->mean);
  free(st->front);
}

/* Columns: point, the axes, replications, each metric (and its ci95 with replications), the
 * frontier flags. */
static int table_columns(sweep_table *st, const tf_sweep *sw, size_t reps) {
  size_t n_axes = tf_sweep_axes(sw);
  size_t n = 2 + n_axes + (size_t)N_METRICS * (reps > 1 ? 2 : 1) + N_FRONTS;
  st->cols = calloc(n, sizeof *st->cols);
  if (!st->cols)
    return TF_ENOMEM;
  size_t k = 0;
  st->cols[k++] = (tf_column){"point", "1"};
  for (size_t a = 0; a < n_axes; a++)
    st->cols[k++] = (tf_column){tf_sweep_axis_name(sw, a), ""};
  st->cols[k++] = (tf_column){"replications", "1"};
  for (int m = 0; m < N_METRICS; m++) {
    st->cols[k++] = (tf_column){METRICS[m], UNITS[m]};
    if (reps > 1 && m != M_BINDING)
      st->cols[k++] = (tf_column){CI_NAMES[m], UNITS[m]};
  }
  for (int f = 0; f < N_FRONTS; f++)
    st->cols[k++] = (tf_column){FRONT_NAMES[f], "1"};
  tf_table_init(&st->t, "sweep", st->cols, k);
  return 0;
}

static void mark_fronts(sweep_table *st) {
  size_t n = st->n_points;
  double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
  static const struct {
    int x, y;
    tf_pareto_sense sx, sy;
  } fronts[N_FRONTS] = {
      [F_POWER] = {M_PER_MW, M_PER_USER, TF_PARETO_MAX, TF_PARETO_MAX},
      [F_COST_TTFT] = {M_COST, M_TTFT, TF_PARETO_MIN, TF_PARETO_MIN},
      [F_COST_TPOT] = {M_COST, M_TPOT, TF_PARETO_MIN, TF_PARETO_MIN},
  };
  for (int f = 0; x && y && f < N_FRONTS; f++) {
    for (size_t p = 0; p < n; p++) {
      x[p] = st->mean[p * N_METRICS + (size_t)fronts[f].x];
      y[p] = st->mean[p * N_METRICS + (size_t)fronts[f].y];
    }
    tf_pareto_front(n, x, fronts[f].sx, y, fronts[f].sy, &st->front[(size_t)f * n]);
  }
  free(x);
  free(y);
}

/* Builds the sweep table from every run of the sweep in db (all shards merged there). Points
 * with no run yet are left out. */
static int build_table(tf_store *db, int64_t sweep_id, const tf_sweep *sw, size_t reps,
                       sweep_table *st) {
  *st = (sweep_table){0};
  tf_store_sweep_row *rows;
  size_t n_rows;
  char err[512];
  if (tf_store_sweep_metrics(db, sweep_id, METRICS, N_METRICS, &rows, &n_rows, err,
                             sizeof err)) {
    fprintf(stderr, "tokenfab sweep: %s\n", err);
    return TF_EXIT_FAILURE;
  }
  int rc = table_columns(st, sw, reps);
  size_t n_points = 0;
  for (size_t i = 0; i < n_rows; i++)
    n_points += i == 0 || rows[i].point != rows[i - 1].point;
  st->mean = calloc((n_points ? n_points : 1) * N_METRICS, sizeof *st->mean);
  st->front = calloc((n_points ? n_points : 1) * N_FRONTS, sizeof *st->front);
  double *ci = calloc(N_METRICS, sizeof *ci);
  if (rc || !st->mean || !st->front || !ci) {
    free(ci);
    tf_store_sweep_rows_free(rows, n_rows);
    table_free(st);
    fprintf(stderr, "tokenfab sweep: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  st->n_points = n_points;
  size_t n_axes = tf_sweep_axes(sw);
  for (size_t lo = 0, k = 0; lo < n_rows; k++) {
    size_t hi = lo;
    while (hi < n_rows && rows[hi].point == rows[lo].point)
      hi++;
    aggregate(rows, lo, hi, &st->mean[k * N_METRICS], ci);
    tf_cell *row = tf_table_add_row(&st->t);
    size_t p = (size_t)rows[lo].point, c = 0;
    if (!row) {
      rc = TF_ENOMEM;
      break;
    }
    tf_cell_set_int(&row[c++], (int64_t)p);
    for (size_t a = 0; a < n_axes && rc == 0; a++)
      rc = tf_cell_set_text(&row[c++], tf_sweep_label(sw, p, a));
    tf_cell_set_int(&row[c++], (int64_t)(hi - lo));
    for (int m = 0; m < N_METRICS && rc == 0; m++) {
      if (m == M_BINDING) {
        if (rows[lo].text)
          rc = tf_cell_set_text(&row[c], rows[lo].text);
        c++;
        continue;
      }
      if (isfinite(st->mean[k * N_METRICS + (size_t)m]))
        tf_cell_set_real(&row[c], st->mean[k * N_METRICS + (size_t)m]);
      c++;
      if (reps > 1) {
        if (isfinite(ci[m]))
          tf_cell_set_real(&row[c], ci[m]);
        c++;
      }
    }
    lo = hi;
  }
  free(ci);
  tf_store_sweep_rows_free(rows, n_rows);
  if (rc) {
    table_free(st);
    fprintf(stderr, "tokenfab sweep: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  mark_fronts(st);
  size_t first_flag = st->t.n_cols - N_FRONTS;
  for (size_t k = 0; k < st->n_points; k++)
    for (int f = 0; f < N_FRONTS; f++)
      tf_cell_set_int(&st->t.cells[k * st->t.n_cols + first_flag + (size_t)f],
                      st->front[(size_t)f * st->n_points + k]);
  return TF_EXIT_OK;
}

/* The frontiers on stdout: each front's points with their axis values. */
static void print_fronts(const sweep_table *st, const tf_sweep *sw) {
  static const char *const titles[N_FRONTS] = {
      "output tokens/s per MW (facility) against tokens/s per user, both higher is better",
      "cost per million output tokens against p99 TTFT, both lower is better",
      "cost per million output tokens against p99 TPOT, both lower is better"};
  static const int shown[N_FRONTS][2] = {
      [F_POWER] = {M_PER_MW, M_PER_USER}, [F_COST_TTFT] = {M_COST, M_TTFT},
      [F_COST_TPOT] = {M_COST, M_TPOT}};
  size_t n_axes = tf_sweep_axes(sw);
  for (int f = 0; f < N_FRONTS; f++) {
    printf("\nfrontier   %s\n", titles[f]);
    size_t on = 0;
    for (size_t k = 0; k < st->n_points; k++) {
      if (!st->front[(size_t)f * st->n_points + k])
        continue;
      on++;
      const tf_cell *row = &st->t.cells[k * st->t.n_cols];
      printf("  point %-6" PRId64 " %12.6g %12.6g  ", row[0].integer,
             st->mean[k * N_METRICS + (size_t)shown[f][0]],
             st->mean[k * N_METRICS + (size_t)shown[f][1]]);
      for (size_t a = 0; a < n_axes; a++)
        printf("%s%s=%s", a ? ", " : "", tf_sweep_axis_name(sw, a), row[1 + a].text);
      printf("\n");
    }
    if (on == 0)
      printf("  (no point has both figures%s)\n",
             f == F_POWER ? "" : ": the scenario needs an economics section");
  }
}

/* ---- the command ---- */

/* What identifies the sweep: the scenario file as read, the --set texts, the sweep's canonical
 * definition and the master seed. */
static void sweep_key(const tf_scenario *s, const tf_cli_scenario_args *a, const tf_sweep *sw,
                      char key[65]) {
  size_t n = s->text_len + strlen(tf_sweep_canonical(sw)) + 64;
  for (size_t i = 0; i < a->n_sets; i++)
    n += strlen(a->sets[i]) + 1;
  char *buf = malloc(n), *p = buf;
  if (!buf) {
    tf_sha256_hex(s->text, s->text_len, key);
    return;
  }
  memcpy(p, s->text, s->text_len);
  p += s->text_len;
  p += sprintf(p, "\n--set\n");
  for (size_t i = 0; i < a->n_sets; i++)
    p += sprintf(p, "%s\n", a->sets[i]);
  p += sprintf(p, "--sweep\n%s\nseed %" PRIu64 "\n", tf_sweep_canonical(sw), s->seed);
  tf_sha256_hex(buf, (size_t)(p - buf), key);
  free(buf);
}

static bool mine(const sweep_opts *o, size_t p) { return (int64_t)(p % (size_t)o->shards) == o->shard - 1; }

static int check_point(const sweep_ctx *c, size_t p);

/* --dry-run: every point with its values, checked by loading it. */
static int dry_run(const sweep_ctx *c, const sweep_opts *o) {
  size_t points = tf_sweep_points(c->sw), reps = tf_sweep_replications(c->sw);
  size_t n_axes = tf_sweep_axes(c->sw), listed = 0;
  int rc = TF_EXIT_OK;
  for (size_t p = 0; p < points; p++) {
    if (!mine(o, p))
      continue;
    listed++;
    printf("point %-6zu", p);
    for (size_t a = 0; a < n_axes; a++)
      printf("%s%s=%s", a ? ", " : " ", tf_sweep_axis_name(c->sw, a), tf_sweep_label(c->sw, p, a));
    printf("\n");
    if (check_point(c, p) != TF_EXIT_OK)
      rc = TF_EXIT_USAGE;
  }
  printf("%zu point%s x %zu replication%s = %zu runs%s\n", listed, listed == 1 ? "" : "s", reps,
         reps == 1 ? "" : "s", listed * reps,
         o->shards > 1 ? " in this shard" : "");
  return rc;
}

static char *default_db(const sweep_opts *o, char *buf, size_t size) {
  if (o->db_path)
    snprintf(buf, size, "%s", o->db_path);
  else if (o->csv_dir)
    snprintf(buf, size, "%s/results.db", o->csv_dir);
  else
    snprintf(buf, size, "tokenfab-results.db");
  return buf;
}

/* The work list: (point, replication) pairs of this shard not yet in the database, as
 * p x reps + r in increasing order. */
static int plan(tf_store *db, int64_t sweep_id, size_t points, size_t reps, const sweep_opts *o,
                size_t **work, size_t *n_work, size_t *already) {
  size_t runs = points * reps; /* >= 1: a sweep has a point and a replication */
  bool *done = calloc(runs, sizeof *done);
  *work = calloc(runs, sizeof **work);
  char err[512];
  if (!done || !*work) {
    free(done);
    fprintf(stderr, "tokenfab sweep: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  if (tf_store_sweep_done(db, sweep_id, (int64_t)points, (int64_t)reps, done, err, sizeof err)) {
    free(done);
    fprintf(stderr, "tokenfab sweep: %s\n", err);
    return TF_EXIT_FAILURE;
  }
  *n_work = *already = 0;
  for (size_t i = 0; i < points * reps; i++) {
    if (!mine(o, i / reps))
      continue;
    if (done[i])
      (*already)++;
    else
      (*work)[(*n_work)++] = i;
  }
  free(done);
  return TF_EXIT_OK;
}

static int finish_table(tf_store *db, int64_t sweep_id, const tf_sweep *sw, size_t reps,
                        const sweep_opts *o) {
  sweep_table st;
  int rc = build_table(db, sweep_id, sw, reps, &st);
  if (rc != TF_EXIT_OK)
    return rc;
  size_t n_axes = tf_sweep_axes(sw);
  const char *axes[n_axes ? n_axes : 1];
  for (size_t a = 0; a < n_axes; a++)
    axes[a] = tf_sweep_axis_name(sw, a);
  char verr[512];
  if (tf_store_sweep_view(db, sweep_id, axes, n_axes, METRICS, M_BINDING, verr, sizeof verr)) {
    fprintf(stderr, "tokenfab sweep: %s\n", verr);
    table_free(&st);
    return TF_EXIT_FAILURE;
  }
  printf("sweep      %zu of %zu points have results\n", st.n_points, tf_sweep_points(sw));
  print_fronts(&st, sw);
  if (o->csv_dir) {
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/sweep.csv", o->csv_dir);
    if (mkdir(o->csv_dir, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "tokenfab sweep: cannot create the folder %s: %s\n", o->csv_dir,
              strerror(errno));
      rc = TF_EXIT_FAILURE;
    } else if (tf_csv_write_table(path, &st.t, err, sizeof err)) {
      fprintf(stderr, "tokenfab sweep: %s\n", err);
      rc = TF_EXIT_FAILURE;
    } else {
      fprintf(stderr, "results: sweep table written to %s\n", path);
    }
  }
  table_free(&st);
  return rc;
}

/* Loads point p (replication 0) and checks its deployment; problems printed. */
static int check_point(const sweep_ctx *c, size_t p) {
  tf_scenario ps;
  const char **sets;
  char **point_sets;
  size_t n_sets, n_point;
  char seed_set[48];
  int rc = load_point(c, p, 0, &ps, &sets, &n_sets, &point_sets, &n_point, seed_set,
                      sizeof seed_set);
  if (rc != TF_EXIT_OK)
    return rc;
  tf_scenario_destroy(&ps);
  free(sets);
  tf_sweep_sets_free(point_sets, n_point);
  return TF_EXIT_OK;
}

/* Checks the shard's points k, k + n, k + 2n, ... of its own list. */
static int check_share(const sweep_ctx *c, const sweep_opts *o, size_t k, size_t n) {
  size_t points = tf_sweep_points(c->sw), mine_seen = 0;
  int rc = TF_EXIT_OK;
  for (size_t p = 0; p < points; p++) {
    if (!mine(o, p))
      continue;
    if (mine_seen++ % n != k)
      continue;
    int prc = check_point(c, p);
    if (prc != TF_EXIT_OK && rc == TF_EXIT_OK)
      rc = prc;
  }
  return rc;
}

/* Every point of the shard checked: in o->jobs processes when there are several (loading a
 * point costs about a millisecond, which a sweep of tiny points notices). */
static int check_all(const sweep_ctx *c, const sweep_opts *o) {
  bool mpi = false;
#ifdef TF_HAVE_MPI
  mpi = mpi_size > 1;
#endif
  if (o->jobs == 1 || mpi)
    return check_share(c, o, 0, 1);
  fflush(NULL);
  int rc = TF_EXIT_OK, started = 0;
  for (; started < o->jobs; started++) {
    pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "tokenfab sweep: cannot start a checker: %s\n", strerror(errno));
      rc = TF_EXIT_FAILURE;
      break;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      _exit(check_share(c, o, (size_t)started, (size_t)o->jobs));
    }
  }
  for (int i = 0; i < started; i++) {
    int status;
    if (wait(&status) < 0)
      break;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : TF_EXIT_FAILURE;
    if (code == TF_EXIT_USAGE || (code != TF_EXIT_OK && rc == TF_EXIT_OK))
      rc = code;
  }
  return rc;
}

static int run_sweep(const sweep_ctx *base, const tf_scenario *s, const sweep_opts *o,
                     const tf_cli_scenario_args *args) {
  sweep_ctx c = *base;
  size_t points = tf_sweep_points(c.sw), reps = tf_sweep_replications(c.sw);
  char db_path[4096], key[65], err[512];
  c.db_path = default_db(o, db_path, sizeof db_path);
  if (o->csv_dir && !o->db_path && mkdir(o->csv_dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "tokenfab sweep: cannot create the folder %s: %s\n", o->csv_dir,
            strerror(errno));
    return TF_EXIT_FAILURE;
  }
  /* Every point of this shard must load before anything runs or is written: bad values are
   * reported at once, and the database is not touched. */
  int crc = check_all(&c, o);
  if (crc != TF_EXIT_OK)
    return crc;
  sweep_key(s, args, c.sw, key);
  size_t n_axes = tf_sweep_axes(c.sw);
  const char *names[n_axes ? n_axes : 1];
  for (size_t a = 0; a < n_axes; a++)
    names[a] = tf_sweep_axis_name(c.sw, a);
  tf_store_sweep w = {.key = key, .scenario_name = s->name, .scenario_sha256 = "",
                      .definition = tf_sweep_canonical(c.sw), .points = (int64_t)points,
                      .replications = (int64_t)reps, .master_seed = s->seed,
                      .n_axes = n_axes, .axis_names = names};
  char sha[65];
  tf_sha256_hex(s->text, s->text_len, sha);
  w.scenario_sha256 = sha;
  tf_store *db;
  if (tf_store_open(c.db_path, &db, err, sizeof err) ||
      tf_store_open_sweep(db, &w, &c.sweep_id, err, sizeof err)) {
    fprintf(stderr, "tokenfab sweep: %s\n", err);
    return TF_EXIT_FAILURE;
  }
  size_t *work, n_work, already;
  int rc = plan(db, c.sweep_id, points, reps, o, &work, &n_work, &already);
  if (rc == TF_EXIT_OK && already > 0 && !o->resume) {
    fprintf(stderr,
            "tokenfab sweep: %s already holds %zu run%s of this sweep; add --resume to run the "
            "%zu left, or choose another --db\n",
            c.db_path, already, already == 1 ? "" : "s", n_work);
    rc = TF_EXIT_USAGE;
  }
  tf_store_close(db); /* workers open their own */
  if (rc != TF_EXIT_OK) {
    free(work);
    return rc;
  }
  int workers = o->jobs;
  const char *kind = o->jobs == 1 ? "job" : "jobs";
#ifdef TF_HAVE_MPI
  if (mpi_size > 1) {
    workers = mpi_size - 1;
    kind = "MPI worker ranks";
  }
#endif
  fprintf(stderr, "sweep: %zu runs to do (%zu points x %zu replications%s), %zu already done, "
                  "%d %s; results in %s\n",
          n_work, points, reps, o->shards > 1 ? ", this shard's" : "", already, workers, kind,
          c.db_path);
  double start = now_s();
#ifdef TF_HAVE_MPI
  if (mpi_size > 1)
    rc = mpi_dispatch(&c, work, n_work, reps, o);
  else
#endif
    rc = run_all(&c, work, n_work, reps, o);
  free(work);
  fprintf(stderr, "sweep: %s in %.3f s\n", rc == TF_EXIT_OK ? "done" : "stopped",
          now_s() - start);
  if (rc != TF_EXIT_OK)
    return rc;
  if (tf_store_open(c.db_path, &db, err, sizeof err)) {
    fprintf(stderr, "tokenfab sweep: %s\n", err);
    return TF_EXIT_FAILURE;
  }
  rc = finish_table(db, c.sweep_id, c.sw, reps, o);
  tf_store_close(db);
  return rc;
}

/* Under mpirun, ranks other than 0 keep quiet while setting up: rank 0 reports the problems
 * once. Returns the saved stderr descriptor (or -1). */
static int quiet_setup(void) {
#ifdef TF_HAVE_MPI
  if (mpi_size > 1 && mpi_rank != 0) {
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
      dup2(fileno(null), STDERR_FILENO);
      fclose(null);
    }
    return saved;
  }
#endif
  return -1;
}

static void loud_again(int saved) {
  if (saved < 0)
    return;
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
}

int tf_cli_sweep(int argc, char **argv) {
#ifdef TF_HAVE_MPI
  bool mpi = mpi_launched();
  if (mpi) {
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
  }
#endif
  int saved_stderr = quiet_setup();
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  sweep_opts o = {0};
  int n_rest = 0;
  int rc = rest ? parse_opts(argc, argv, &o, rest, &n_rest) : TF_EXIT_FAILURE;
  tf_cli_scenario_args args = {0};
  if (rc == TF_EXIT_OK)
    rc = tf_cli_parse_scenario_args(n_rest, rest, &args);
  free(rest);
  tf_sweep *sw = NULL;
  tf_diags *d = NULL;
  if (rc == TF_EXIT_OK && tf_diags_create(&d) != 0)
    rc = TF_EXIT_FAILURE;
  if (rc == TF_EXIT_OK) {
    int lrc = tf_sweep_load(args.file, o.axes, o.n_axes, o.replications, &sw, d);
    tf_diags_sort(d);
    tf_diags_print(d, stderr);
    if (lrc)
      rc = lrc == TF_EPARSE || lrc == TF_EIO ? TF_EXIT_USAGE : TF_EXIT_FAILURE;
  }
  tf_diags_destroy(d);
  tf_scenario s = {0};
  bool loaded = false;
  if (rc == TF_EXIT_OK) {
    rc = tf_cli_load_scenario(&args, "sweep", &s);
    loaded = rc == TF_EXIT_OK;
  }
  if (rc == TF_EXIT_OK && s.n_workload == 0) {
    fprintf(stderr, "%s: a sweep runs the serving simulation: the scenario needs a `workload` "
                    "(docs/SWEEPS.md)\n",
            s.path);
    rc = TF_EXIT_USAGE;
  }
  loud_again(saved_stderr);
  sweep_ctx c = {.args = &args, .sw = sw, .master_seed = s.seed};
#ifdef TF_HAVE_MPI
  if (mpi_size > 1 && mpi_rank != 0) {
    /* A worker: setup as rank 0's (the same command line), then runs until told to stop. */
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (go) {
      int wrc = mpi_worker(&c, rc == TF_EXIT_OK);
      if (rc == TF_EXIT_OK)
        rc = wrc;
    }
  } else
#endif
  if (rc == TF_EXIT_OK)
    rc = o.dry_run ? dry_run(&c, &o) : run_sweep(&c, &s, &o, &args);
#ifdef TF_HAVE_MPI
  mpi_go(0); /* rank 0 stopped before handing out work: release the workers */
  if (mpi)
    MPI_Finalize();
#endif
  if (loaded)
    tf_scenario_destroy(&s);
  tf_sweep_free(sw);
  free(args.sets);
  free(o.axes);
  return rc;
}

int tf_cli_merge(int argc, char **argv) {
  if (argc < 3)
    return tf_cli_usage_error("merge", "expected OUT.db and at least one IN.db%s", "");
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-')
      return tf_cli_usage_error("merge", "unknown option '%s'", argv[i]);
  char err[1024];
  tf_store *out;
  if (tf_store_open(argv[1], &out, err, sizeof err)) {
    fprintf(stderr, "tokenfab merge: %s\n", err);
    return TF_EXIT_FAILURE;
  }
  int rc = TF_EXIT_OK;
  for (int i = 2; i < argc && rc == TF_EXIT_OK; i++) {
    int64_t copied, skipped;
    int mrc = tf_store_merge(out, argv[i], &copied, &skipped, err, sizeof err);
    if (mrc) {
      fprintf(stderr, "tokenfab merge: %s\n", err);
      if (i > 2)
        fprintf(stderr, "tokenfab merge: %s keeps what the inputs before %s added\n", argv[1],
                argv[i]);
      rc = mrc == TF_EINVAL ? TF_EXIT_USAGE : TF_EXIT_FAILURE;
      break;
    }
    printf("%s: %" PRId64 " run%s added, %" PRId64 " already in %s\n", argv[i], copied,
           copied == 1 ? "" : "s", skipped, argv[1]);
  }
  tf_store_close(out);
  return rc;
}
