/* Writes the recorded measurement folders of tests/calibration/fixtures: H100 SXM measurements
 * simulated from known curve parameters (the documented default profile where it has the
 * parameter) with deterministic multiplicative noise. Usage: calib_gen_fixtures OUT_DIR (creates
 * OUT_DIR/h100, few_points, nonsense, unknown_gpu). README.md says how and why. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- The GPU: catalogue h100-sxm (scenarios/catalog/gpus.yaml) ---- */
#define BF16_FLOPS 989e12
#define FP8_FLOPS 1979e12
#define HBM_BPS 3.35e12
#define TDP_W 700.0
#define IDLE_W 70.0 /* the catalogue's idle, which the power model scales activities by */
#define SM_CLOCK_MAX_MHZ 1980.0

/* ---- The truth the fit must recover ---- */
#define TRUE_HBM_EFF (3000.0 / 3350.0)      /* the default profile's hbm_eff (FlashMLA README) */
#define TRUE_HBM_LATENCY_S 2.5e-6
#define TRUE_GEMM_EFF (1550.0 / 1979.0)     /* the default profile's gemm_eff (DeepGEMM README) */
#define TRUE_GEMM_M_HALF 40.0
#define TRUE_GROUPED_EFF 0.70
#define TRUE_GROUPED_M_HALF 90.0
#define TRUE_ATTN_BW_EFF 0.82
#define TRUE_ATTN_LATENCY_S 8e-6
#define TRUE_IDLE_W 72.5                    /* measured idle: 71-75 W on idle Hopper boards (POWER.md) */
#define TRUE_ACTIVITY_COMPUTE 0.92
#define TRUE_ACTIVITY_HBM ((380.0 - 75.0) / (700.0 - 75.0)) /* the default (Splitwise) */
#define TRUE_CLOCK_EXPONENT 2.6

/* ---- Noise ---- */
#define TIME_NOISE 0.03  /* medians within +-3% of the curve */
#define POWER_NOISE 0.01 /* power within +-1% */
#define P10_BELOW 0.02   /* p10 2% below the median, p90 4% above */
#define P90_ABOVE 0.04

/* splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
 * integer arithmetic only, so every machine writes the same bytes. */
static uint64_t rng_state;
static double uniform(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}
static double noise(double amplitude) { return 1 + amplitude * (2 * uniform() - 1); }

/* v with sig significant digits in plain decimal notation (docs/CALIBRATION.md: plain decimal
 * numbers). */
static const char *plain(char *buf, size_t size, double v, int sig) {
  char e[64];
  snprintf(e, sizeof e, "%.*e", sig - 1, v);
  char digits[32];
  int nd = 0;
  const char *p = e;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9')
      digits[nd++] = *p;
  int exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  size_t n = 0;
  int point = exp + 1;
  if (point <= 0) {
    n += (size_t)snprintf(buf + n, size - n, "0.");
    for (int i = 0; i < -point; i++)
      buf[n++] = '0';
    for (int i = 0; i < nd; i++)
      buf[n++] = digits[i];
  } else {
    for (int i = 0; i < nd || i < point; i++) {
      if (i == point)
        buf[n++] = '.';
      buf[n++] = i < nd ? digits[i] : '0';
    }
  }
  buf[n] = '\0';
  return buf;
}

static FILE *open_in(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    exit(1);
  }
  return f;
}

static void write_device(const char *dir, const char *gpu_name) {
  FILE *f = open_in(dir, "device.csv");
  fprintf(f, "key,value\n");
  fprintf(f, "format,tokenfab-calibration-1\n");
  fprintf(f, "gpu_name,%s\n", gpu_name);
  fprintf(f, "gpu_uuid,GPU-00000000-0000-0000-0000-000000000000\n");
  fprintf(f, "compute_capability,9.0\n");
  fprintf(f, "driver_version,550.54.15\n");
  fprintf(f, "cuda_runtime_version,12.4\n");
  fprintf(f, "cublas_version,12.4.5\n");
  fprintf(f, "sm_count,132\n");
  fprintf(f, "sm_clock_max_mhz,%.0f\n", SM_CLOCK_MAX_MHZ);
  fprintf(f, "mem_clock_max_mhz,2619\n");
  fprintf(f, "hbm_bytes,85520809984\n");
  fprintf(f, "power_limit_default_w,700\n");
  fprintf(f, "power_limit_min_w,200\n");
  fprintf(f, "power_limit_max_w,700\n");
  fprintf(f, "started_utc,2025-01-01T00:00:00Z\n");
  fprintf(f, "mode,full\n");
  fclose(f);
}

/* One row. Empty strings and NAN numbers are written as empty fields. */
typedef struct row {
  const char *kernel, *dtype, *layout;
  double m, n, k, groups, batch, context, heads, kv_heads, head_dim, bytes, flops, bytes_moved;
  double power_limit_w, reps, time_s, power_w, sm_clock_mhz;
} row;

static void num(FILE *f, double v, int sig) {
  char buf[128];
  fputc(',', f);
  if (!isnan(v))
    fputs(sig ? plain(buf, sizeof buf, v, sig) : (snprintf(buf, sizeof buf, "%.0f", v), buf), f);
}

/* Writes r; its median gets TIME_NOISE, the spread around it P10_BELOW / P90_ABOVE, its power
 * POWER_NOISE. sig 0 writes whole numbers. */
static void write_row(FILE *f, const row *r) {
  double t = r->time_s * noise(TIME_NOISE);
  fprintf(f, "%s,%s", r->kernel, r->dtype);
  num(f, r->m, 0);
  num(f, r->n, 0);
  num(f, r->k, 0);
  num(f, r->groups, 0);
  num(f, r->batch, 0);
  num(f, r->context, 0);
  num(f, r->heads, 0);
  num(f, r->kv_heads, 0);
  num(f, r->head_dim, 0);
  fprintf(f, ",%s", r->layout);
  num(f, r->bytes, 0);
  num(f, r->flops, 0);
  num(f, r->bytes_moved, 0);
  num(f, r->power_limit_w, 0);
  num(f, r->reps, 0);
  num(f, t, 7);
  num(f, t * (1 - P10_BELOW), 7);
  num(f, t * (1 + P90_ABOVE), 7);
  num(f, isnan(r->power_w) ? NAN : r->power_w * noise(POWER_NOISE), 5);
  num(f, r->sm_clock_mhz, 5);
  fputc('\n', f);
}

static FILE *open_measurements(const char *dir) {
  FILE *f = open_in(dir, "measurements.csv");
  fprintf(f, "kernel,dtype,m,n,k,groups,batch,context,heads,kv_heads,head_dim,layout,bytes,flops,"
             "bytes_moved,power_limit_w,reps,time_s,time_p10_s,time_p90_s,power_w,"
             "sm_clock_mhz\n");
  return f;
}

static row blank(const char *kernel) {
  return (row){.kernel = kernel, .dtype = "", .layout = "", .m = NAN, .n = NAN, .k = NAN,
               .groups = NAN, .batch = NAN, .context = NAN, .heads = NAN, .kv_heads = NAN,
               .head_dim = NAN, .bytes = NAN, .flops = NAN, .bytes_moved = NAN,
               .power_limit_w = NAN, .reps = 100, .power_w = NAN, .sm_clock_mhz = NAN};
}

/* Board power at the boost clock for a row whose time is `compute_share` compute. */
static double power_at(double compute_share) {
  return IDLE_W + (TDP_W - IDLE_W) * (compute_share * TRUE_ACTIVITY_COMPUTE +
                                      (1 - compute_share) * TRUE_ACTIVITY_HBM);
}

static void stream_rows(FILE *f, bool power) {
  for (int e = 22; e <= 33; e++) { /* 4 MiB to 8 GiB */
    row r = blank("hbm_stream");
    r.bytes = r.bytes_moved = ldexp(1, e);
    r.time_s = TRUE_HBM_LATENCY_S + r.bytes / (HBM_BPS * TRUE_HBM_EFF);
    if (power) {
      r.power_w = power_at(0);
      r.sm_clock_mhz = SM_CLOCK_MAX_MHZ;
    }
    write_row(f, &r);
  }
}

/* A GEMM (groups 1) or grouped GEMM row at the true curve. */
static row gemm_row(bool grouped, const char *dtype, double m, double n, double k, double groups,
                    bool power, double *compute_share) {
  row r = blank(grouped ? "grouped_gemm" : "gemm");
  double b = strcmp(dtype, "fp8") == 0 ? 1 : 2, peak = b == 1 ? FP8_FLOPS : BF16_FLOPS;
  double e = grouped ? TRUE_GROUPED_EFF : TRUE_GEMM_EFF;
  double h = grouped ? TRUE_GROUPED_M_HALF : TRUE_GEMM_M_HALF;
  r.dtype = dtype;
  r.m = m, r.n = n, r.k = k, r.groups = groups;
  r.flops = 2 * m * n * k * groups;
  /* weights read once, activations read once, BF16 results written once */
  r.bytes_moved = groups * (n * k * b + m * k * b + m * n * 2);
  double tc = r.flops / (peak * e * m / (m + h));
  double tm = r.bytes_moved / (HBM_BPS * TRUE_HBM_EFF);
  r.time_s = tc + tm;
  *compute_share = tc / (tc + tm);
  if (power) {
    r.power_w = power_at(*compute_share);
    r.sm_clock_mhz = SM_CLOCK_MAX_MHZ;
  }
  return r;
}

static const double gemm_shapes[][2] = {{4096, 4096}, {7168, 2048}, {14336, 4096}};
static const double gemm_m[] = {1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
static const char *const dtypes[] = {"bf16", "fp8"};

static void gemm_rows(FILE *f) {
  double c;
  for (int d = 0; d < 2; d++)
    for (int s = 0; s < 3; s++)
      for (size_t i = 0; i < sizeof gemm_m / sizeof gemm_m[0]; i++) {
        row r = gemm_row(false, dtypes[d], gemm_m[i], gemm_shapes[s][0], gemm_shapes[s][1], 1,
                         true, &c);
        write_row(f, &r);
      }
}

static void grouped_rows(FILE *f) {
  /* DeepSeek-V3's experts on one GPU of EP 8: 32 experts, up/gate 4096 x 7168, down 7168 x 2048 */
  static const double shapes[][2] = {{4096, 7168}, {7168, 2048}};
  static const double m[] = {1, 4, 16, 64, 128, 256, 512, 1024};
  double c;
  for (int d = 0; d < 2; d++)
    for (int s = 0; s < 2; s++)
      for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        row r = gemm_row(true, dtypes[d], m[i], shapes[s][0], shapes[s][1], 32, true, &c);
        write_row(f, &r);
      }
}

static void attn_rows(FILE *f) {
  /* Llama-3.1-70B's GQA (64 heads, 8 KV heads of 128) in BF16 and FP8, and DeepSeek-V3's MLA
   * (128 heads, a 576-wide latent) in BF16. */
  static const struct {
    const char *layout, *dtype;
    double heads, kv_heads, head_dim;
  } kinds[] = {{"gqa", "bf16", 64, 8, 128}, {"gqa", "fp8", 64, 8, 128}, {"mla", "bf16", 128, 1, 576}};
  static const double batch[] = {1, 8, 32, 128}, context[] = {1024, 4096, 16384};
  for (int k = 0; k < 3; k++)
    for (int b = 0; b < 4; b++)
      for (int c = 0; c < 3; c++) {
        row r = blank("attn_decode");
        bool mla = strcmp(kinds[k].layout, "mla") == 0;
        double bytes = strcmp(kinds[k].dtype, "fp8") == 0 ? 1 : 2;
        r.layout = kinds[k].layout;
        r.dtype = kinds[k].dtype;
        r.batch = batch[b], r.context = context[c];
        r.heads = kinds[k].heads, r.kv_heads = kinds[k].kv_heads, r.head_dim = kinds[k].head_dim;
        double pairs = batch[b] * context[c];
        r.bytes_moved = mla ? pairs * kinds[k].head_dim * bytes
                            : pairs * kinds[k].kv_heads * kinds[k].head_dim * 2 * bytes;
        r.flops = mla ? pairs * 2 * kinds[k].heads * (576 + 512) : pairs * 4 * 64 * 128;
        r.time_s = r.bytes_moved / (HBM_BPS * TRUE_ATTN_BW_EFF) + TRUE_ATTN_LATENCY_S;
        r.power_w = power_at(0);
        r.sm_clock_mhz = SM_CLOCK_MAX_MHZ;
        write_row(f, &r);
      }
}

/* Idle power, sampled with nothing running: once at the default limit, as tokenfab calibrate
 * does before its main sweep. */
static void idle_row(FILE *f, double limit_w) {
  row r = blank("idle");
  r.reps = 1;
  r.time_s = 2; /* the sampling window */
  r.power_limit_w = limit_w;
  r.power_w = TRUE_IDLE_W;
  r.sm_clock_mhz = 345; /* an idle Hopper's clock; unused */
  write_row(f, &r);
}

/* The power model's activity of a kernel with compute share c at clock f (models/power.h):
 * compute time stretches by 1 / f, memory time stays. */
static double activity(double c, double f) {
  return (c / f * TRUE_ACTIVITY_COMPUTE + (1 - c) * TRUE_ACTIVITY_HBM) / (c / f + 1 - c);
}

/* Board power at clock f of a kernel with compute share c: idle + (TDP - idle) A(f) f^k. */
static double power_at_clock(double c, double f) {
  return IDLE_W + (TDP_W - IDLE_W) * activity(c, f) * pow(f, TRUE_CLOCK_EXPONENT);
}

/* r under a power limit: the clock f at which the model's power meets 98% of the limit (f = 1
 * when r draws less), by bisection on [0.2, 1]; compute time stretched by 1 / f, memory time
 * kept. */
static void limited(FILE *f, row r, double compute_share, double limit_w) {
  double target = 0.98 * limit_w, clock = 1;
  if (power_at_clock(compute_share, 1) > target) {
    double lo = 0.2, hi = 1;
    for (int i = 0; i < 60; i++) {
      double mid = 0.5 * (lo + hi);
      if (power_at_clock(compute_share, mid) > target)
        hi = mid;
      else
        lo = mid;
    }
    clock = 0.5 * (lo + hi);
  }
  r.power_limit_w = limit_w;
  r.power_w = power_at_clock(compute_share, clock);
  r.sm_clock_mhz = SM_CLOCK_MAX_MHZ * clock;
  r.time_s = r.time_s * (compute_share / clock + (1 - compute_share));
  write_row(f, &r);
}

/* The limit sweep, as tokenfab calibrate runs it: at each limit, idle power, a stream and two
 * compute-bound GEMMs (BF16 and FP8). */
static void limit_rows(FILE *f) {
  static const double limits[] = {250, 350, 450, 550};
  for (int i = 0; i < 4; i++) {
    idle_row(f, limits[i]);
    row s = blank("hbm_stream");
    s.bytes = s.bytes_moved = ldexp(1, 30);
    s.time_s = TRUE_HBM_LATENCY_S + s.bytes / (HBM_BPS * TRUE_HBM_EFF);
    s.power_w = power_at(0);
    limited(f, s, 0, limits[i]);
    for (int d = 0; d < 2; d++) {
      double c;
      row r = gemm_row(false, dtypes[d], 8192, 14336, 4096, 1, true, &c);
      limited(f, r, c, limits[i]);
    }
  }
}

static void make_dir(const char *path) {
  if (mkdir(path, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
    exit(1);
  }
}

static const char *sub(char *buf, size_t size, const char *out, const char *name) {
  snprintf(buf, size, "%s/%s", out, name);
  make_dir(buf);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: calib_gen_fixtures OUT_DIR\n");
    return 2;
  }
  char dir[4096];
  make_dir(argv[1]);

  /* h100: every curve, from the truth above. */
  rng_state = 1;
  sub(dir, sizeof dir, argv[1], "h100");
  write_device(dir, "NVIDIA H100 80GB HBM3");
  FILE *f = open_measurements(dir);
  stream_rows(f, true);
  gemm_rows(f);
  grouped_rows(f);
  attn_rows(f);
  idle_row(f, NAN);
  limit_rows(f);
  fclose(f);

  /* few_points: a good stream, and three GEMM rows for two parameters. */
  rng_state = 2;
  sub(dir, sizeof dir, argv[1], "few_points");
  write_device(dir, "NVIDIA H100 80GB HBM3");
  f = open_measurements(dir);
  stream_rows(f, false);
  for (int i = 0; i < 3; i++) {
    double c;
    row r = gemm_row(false, "bf16", gemm_m[4 * i], 4096, 4096, 1, false, &c);
    write_row(f, &r);
  }
  fclose(f);

  /* nonsense: a good stream, and GEMM times that ignore the GEMM's size (1 ms each). */
  rng_state = 3;
  sub(dir, sizeof dir, argv[1], "nonsense");
  write_device(dir, "NVIDIA H100 80GB HBM3");
  f = open_measurements(dir);
  stream_rows(f, false);
  for (int s = 0; s < 3; s++)
    for (size_t i = 0; i < sizeof gemm_m / sizeof gemm_m[0]; i++) {
      double c;
      row r = gemm_row(false, "bf16", gemm_m[i], gemm_shapes[s][0], gemm_shapes[s][1], 1, false,
                       &c);
      r.time_s = 1e-3;
      write_row(f, &r);
    }
  fclose(f);

  /* unknown_gpu: a driver name no catalogue entry matches; H100 stream rows. */
  rng_state = 4;
  sub(dir, sizeof dir, argv[1], "unknown_gpu");
  write_device(dir, "NVIDIA H100 PCIe");
  f = open_measurements(dir);
  stream_rows(f, false);
  fclose(f);
  return 0;
}
