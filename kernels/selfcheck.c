/* GPU kernels against their CPU references on small sizes (selfcheck.h). */
#include "selfcheck.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attn.h"
#include "error.h"
#include "gemm.h"
#include "hbm.h"
#include "ref.h"

/* Tolerances (docs/CALIBRATION.md, "Self-check").
 * GEMM: both sides round an FP32 sum to BF16, summed in different orders, so one BF16 step of the
 * result (2^-7 relative) plus the order's own FP32 error, bounded by a fraction of sum |a w|:
 * 2^-12 for BF16; 2^-8 for FP8, whose fast accumulation on Hopper keeps fewer bits (DeepSeek-V3
 * technical report, arXiv:2412.19437, section 3.3.2: about 14).
 * Attention: FP32 throughout, exp2 against exp and a different summation order; outputs are convex
 * combinations of values in [-1, 1]. */
#define GEMM_REL 0.0078125
#define GEMM_ABS_BF16 (1.0 / 4096)
#define GEMM_ABS_FP8 (1.0 / 256)
#define ATTN_TOL 2e-3

typedef struct check {
  const tf_device_info *dev;
  FILE *log;
  char *err;
  size_t err_size;
  uint64_t seed;
  int passed;
} check;

/* SplitMix64 (S. Vigna, 2015) -> uniform in [-1, 1) with 24 random bits. */
static float uniform(check *c) {
  uint64_t z = (c->seed += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  z ^= z >> 31;
  return (float)(z >> 40) / 8388608.0f - 1.0f;
}

/* n random values of type t: x gets them as FP32 (rounded to t), bits as stored on the GPU. */
static void random_values(check *c, tf_dtype t, size_t n, float *x, void *bits) {
  for (size_t i = 0; i < n; i++) {
    float v = uniform(c);
    if (t == TF_DTYPE_BF16) {
      uint16_t b = tf_ref_f32_to_bf16(v);
      ((uint16_t *)bits)[i] = b;
      x[i] = tf_ref_bf16_to_f32(b);
    } else if (t == TF_DTYPE_E4M3) {
      uint8_t b = tf_ref_f32_to_e4m3(v);
      ((uint8_t *)bits)[i] = b;
      x[i] = tf_ref_e4m3_to_f32(b);
    } else {
      ((float *)bits)[i] = v;
      x[i] = v;
    }
  }
}

static int cuda_fail(check *c, cudaError_t e, const char *what) {
  snprintf(c->err, c->err_size, "self-check %s: %s", what, cudaGetErrorString(e));
  return TF_EIO;
}

/* Device copies of host arrays; frees all of them at once. */
typedef struct dev_bufs {
  void *p[8];
  int n;
} dev_bufs;

static void *to_device(dev_bufs *d, const void *host, size_t bytes, cudaError_t *e) {
  void *p = NULL;
  if (*e != cudaSuccess)
    return NULL;
  *e = cudaMalloc(&p, bytes ? bytes : 1);
  if (*e != cudaSuccess)
    return NULL;
  d->p[d->n++] = p;
  if (host)
    *e = cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice);
  return p;
}

static void free_device(dev_bufs *d) {
  for (int i = 0; i < d->n; i++)
    cudaFree(d->p[i]);
  d->n = 0;
}

static int gemm_case(check *c, tf_gemm *g, tf_dtype t, size_t m, size_t n, size_t k,
                     size_t groups) {
  char what[128];
  snprintf(what, sizeof what, "%s %s m=%zu n=%zu k=%zu groups=%zu",
           groups > 1 ? "grouped GEMM" : "GEMM", tf_dtype_name(t), m, n, k, groups);
  size_t na = groups * m * k, nw = groups * n * k, nc = groups * m * n, es = tf_dtype_size(t);
  float *a = malloc(na * sizeof *a), *w = malloc(nw * sizeof *w);
  float *ref = malloc(nc * sizeof *ref), *bound = malloc(nc * sizeof *bound);
  float *a_abs = malloc(na * sizeof *a_abs), *w_abs = malloc(nw * sizeof *w_abs);
  void *a_bits = malloc(na * es), *w_bits = malloc(nw * es);
  uint16_t *c_bits = malloc(nc * sizeof *c_bits);
  int rc = 0;
  if (!a || !w || !ref || !bound || !a_abs || !w_abs || !a_bits || !w_bits || !c_bits) {
    snprintf(c->err, c->err_size, "out of memory");
    rc = TF_ENOMEM;
    goto done;
  }
  random_values(c, t, na, a, a_bits);
  random_values(c, t, nw, w, w_bits);
  tf_ref_grouped_gemm(TF_DTYPE_F32, TF_DTYPE_BF16, groups, m, n, k, a, w, ref);
  for (size_t i = 0; i < na; i++)
    a_abs[i] = fabsf(a[i]);
  for (size_t i = 0; i < nw; i++)
    w_abs[i] = fabsf(w[i]);
  tf_ref_grouped_gemm(TF_DTYPE_F32, TF_DTYPE_F32, groups, m, n, k, a_abs, w_abs, bound);

  tf_gemm_op *op = NULL;
  rc = tf_gemm_op_create(g, t, (int64_t)m, (int64_t)n, (int64_t)k, (int64_t)groups, &op, c->err,
                         c->err_size);
  if (rc == TF_ENOTFOUND && t == TF_DTYPE_E4M3) {
    /* Not a wrong result: FP8 GEMMs of this kind are skipped (and said so) when measuring. */
    if (c->log)
      fprintf(c->log, "self-check: %s: not run (%s)\n", what, c->err);
    c->err[0] = '\0';
    rc = 0;
    goto done;
  }
  if (rc)
    goto done;
  dev_bufs d = {.n = 0};
  cudaError_t e = cudaSuccess;
  void *da = to_device(&d, a_bits, na * es, &e), *dw = to_device(&d, w_bits, nw * es, &e);
  void *dc = to_device(&d, NULL, nc * 2, &e);
  if (e == cudaSuccess && tf_gemm_op_run(op, da, dw, dc, NULL) != 0)
    e = cudaErrorLaunchFailure;
  if (e == cudaSuccess)
    e = cudaDeviceSynchronize();
  if (e == cudaSuccess)
    e = cudaMemcpy(c_bits, dc, nc * 2, cudaMemcpyDeviceToHost);
  free_device(&d);
  tf_gemm_op_destroy(op);
  if (e != cudaSuccess) {
    rc = cuda_fail(c, e, what);
    goto done;
  }
  double abs_tol = t == TF_DTYPE_E4M3 ? GEMM_ABS_FP8 : GEMM_ABS_BF16, worst = 0;
  for (size_t i = 0; i < nc; i++) {
    double got = tf_ref_bf16_to_f32(c_bits[i]), want = ref[i];
    double tol = GEMM_REL * fabs(want) + abs_tol * bound[i];
    double diff = fabs(got - want);
    if (!(diff <= tol)) {
      size_t grp = i / (m * n), row = i % (m * n) / n, col = i % n;
      snprintf(c->err, c->err_size,
               "%s: group %zu element (%zu, %zu) is %.9g on the GPU and %.9g on the CPU "
               "(tolerance %.3g)",
               what, grp, row, col, got, want, tol);
      rc = TF_ENUMERIC;
      goto done;
    }
    worst = fmax(worst, diff);
  }
  c->passed++;
  if (c->log)
    fprintf(c->log, "self-check: %s: agrees (largest difference %.3g)\n", what, worst);
done:
  free(a);
  free(w);
  free(ref);
  free(bound);
  free(a_abs);
  free(w_abs);
  free(a_bits);
  free(w_bits);
  free(c_bits);
  return rc;
}

typedef struct attn_case_def {
  const char *layout; /* "GQA" or "MLA" */
  tf_dtype kv;
  int32_t batch, heads, kv_heads, qk_dim, v_dim, page_size;
  int32_t context[4]; /* batch <= 4 */
} attn_case_def;

static int attn_case(check *c, const attn_case_def *def) {
  bool mla = def->layout[0] == 'M';
  size_t batch = (size_t)def->batch, heads = (size_t)def->heads, kvh = (size_t)def->kv_heads;
  size_t qk = (size_t)def->qk_dim, v = (size_t)def->v_dim, page = (size_t)def->page_size;
  int32_t max_ctx = 0;
  size_t used_pages = 0;
  for (size_t b = 0; b < batch; b++) {
    if (def->context[b] > max_ctx)
      max_ctx = def->context[b];
    used_pages += ((size_t)def->context[b] + page - 1) / page;
  }
  size_t max_pages = ((size_t)max_ctx + page - 1) / page;
  if (max_pages < 1)
    max_pages = 1;
  size_t pool_pages = used_pages + 3; /* a few never used, so used pages have gaps between them */
  char what[200];
  int len = snprintf(what, sizeof what, "attention %s KV %s heads=%zu/%zu dims=%zu/%zu page=%zu "
                     "contexts=", def->layout, tf_dtype_name(def->kv), heads, kvh, qk, v, page);
  for (size_t b = 0; b < batch && len > 0 && (size_t)len < sizeof what; b++)
    len += snprintf(what + len, sizeof what - (size_t)len, b ? ",%d" : "%d", def->context[b]);

  size_t es = tf_dtype_size(def->kv), nq = batch * heads * qk;
  size_t rows = pool_pages * page * kvh, nk = rows * qk, nv = mla ? 0 : rows * v;
  size_t nout = batch * heads * v;
  float *q = malloc(nq * sizeof *q), *k = malloc(nk * sizeof *k);
  float *vv = malloc((nv ? nv : 1) * sizeof *vv);
  float *ref = malloc(nout * sizeof *ref), *got = malloc(nout * sizeof *got);
  uint16_t *q_bits = malloc(nq * sizeof *q_bits);
  void *k_bits = malloc(nk * es), *v_bits = malloc((nv ? nv : 1) * es);
  int32_t *table = calloc(batch * max_pages, sizeof *table);
  int32_t *order = malloc(pool_pages * sizeof *order);
  int rc = 0;
  if (!q || !k || !vv || !ref || !got || !q_bits || !k_bits || !v_bits || !table || !order) {
    snprintf(c->err, c->err_size, "out of memory");
    rc = TF_ENOMEM;
    goto done;
  }
  random_values(c, TF_DTYPE_BF16, nq, q, q_bits);
  random_values(c, def->kv, nk, k, k_bits);
  if (!mla)
    random_values(c, def->kv, nv, vv, v_bits);
  for (size_t i = 0; i < pool_pages; i++)
    order[i] = (int32_t)i;
  for (size_t i = pool_pages; i > 1; i--) { /* Fisher-Yates */
    size_t j = (size_t)((uniform(c) + 1.0f) * 0.5f * (float)i);
    if (j >= i)
      j = i - 1;
    int32_t t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
  size_t next = 0;
  for (size_t b = 0; b < batch; b++)
    for (size_t p = 0; p < ((size_t)def->context[b] + page - 1) / page; p++)
      table[b * max_pages + p] = order[next++];

  tf_ref_attn r = {.batch = batch, .heads = heads, .kv_heads = kvh, .qk_dim = qk, .v_dim = v,
                   .page_size = page, .max_pages = max_pages, .page_table = table,
                   .context = def->context, .q = q, .k_pool = k, .k_stride = qk,
                   .v_pool = mla ? k : vv, .v_stride = mla ? qk : v, .q_type = TF_DTYPE_F32,
                   .kv_type = TF_DTYPE_F32, .scale = 1.0f / sqrtf((float)qk)};
  tf_ref_attn_decode(&r, ref);

  tf_attn_desc desc = {.batch = def->batch, .heads = def->heads, .kv_heads = def->kv_heads,
                       .qk_dim = def->qk_dim, .v_dim = def->v_dim, .page_size = def->page_size,
                       .max_pages = (int32_t)max_pages, .v_in_k = mla, .k_stride = (int64_t)qk,
                       .v_stride = (int64_t)v, .kv_type = def->kv, .scale = r.scale};
  tf_attn_plan plan;
  rc = tf_attn_plan_make(&desc, max_ctx, c->dev->sm_count, c->dev->smem_optin_bytes, &plan,
                         c->err, c->err_size);
  if (rc)
    goto done;
  dev_bufs d = {.n = 0};
  cudaError_t e = cudaSuccess;
  desc.q = to_device(&d, q_bits, nq * 2, &e);
  desc.k_pool = to_device(&d, k_bits, nk * es, &e);
  desc.v_pool = mla ? NULL : to_device(&d, v_bits, nv * es, &e);
  desc.page_table = to_device(&d, table, batch * max_pages * sizeof *table, &e);
  desc.context = to_device(&d, def->context, batch * sizeof(int32_t), &e);
  desc.out = to_device(&d, NULL, nout * sizeof(float), &e);
  void *ws = to_device(&d, NULL, plan.workspace_bytes, &e);
  if (e == cudaSuccess)
    rc = tf_attn_decode(&desc, &plan, ws, NULL, c->err, c->err_size);
  if (e == cudaSuccess && rc == 0)
    e = cudaDeviceSynchronize();
  if (e == cudaSuccess && rc == 0)
    e = cudaMemcpy(got, desc.out, nout * sizeof(float), cudaMemcpyDeviceToHost);
  free_device(&d);
  if (rc)
    goto done;
  if (e != cudaSuccess) {
    rc = cuda_fail(c, e, what);
    goto done;
  }
  double worst = 0;
  for (size_t i = 0; i < nout; i++) {
    double diff = fabs((double)got[i] - ref[i]);
    if (!(diff <= ATTN_TOL * (1 + fabs(ref[i])))) {
      size_t b = i / (heads * v), h = i % (heads * v) / v, col = i % v;
      snprintf(c->err, c->err_size,
               "%s: sequence %zu head %zu column %zu is %.9g on the GPU and %.9g on the CPU",
               what, b, h, col, got[i], ref[i]);
      rc = TF_ENUMERIC;
      goto done;
    }
    worst = fmax(worst, diff);
  }
  c->passed++;
  if (c->log)
    fprintf(c->log, "self-check: %s (%d chunks of %d tokens): agrees (largest difference %.3g)\n",
            what, plan.splits, plan.chunk, worst);
done:
  free(q);
  free(k);
  free(vv);
  free(ref);
  free(got);
  free(q_bits);
  free(k_bits);
  free(v_bits);
  free(table);
  free(order);
  return rc;
}

static int hbm_case(check *c, size_t n) {
  char what[64];
  snprintf(what, sizeof what, "HBM stream n=%zu", n);
  float *x = malloc(n * sizeof *x), *want = malloc(n * sizeof *want);
  float *got = malloc(n * sizeof *got);
  int rc = 0;
  if (!x || !want || !got) {
    snprintf(c->err, c->err_size, "out of memory");
    rc = TF_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    x[i] = uniform(c);
  tf_ref_stream_scale(n, 3.0f, x, want);
  dev_bufs d = {.n = 0};
  cudaError_t e = cudaSuccess;
  float *dx = to_device(&d, x, n * sizeof *x, &e), *dy = to_device(&d, NULL, n * sizeof *x, &e);
  if (e == cudaSuccess && tf_hbm_scale(dx, dy, n, 3.0f, c->dev->sm_count, NULL) != 0)
    e = cudaErrorLaunchFailure;
  if (e == cudaSuccess)
    e = cudaDeviceSynchronize();
  if (e == cudaSuccess)
    e = cudaMemcpy(got, dy, n * sizeof *got, cudaMemcpyDeviceToHost);
  free_device(&d);
  if (e != cudaSuccess) {
    rc = cuda_fail(c, e, what);
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i]) { /* one FP32 product: exactly the same on both */
      snprintf(c->err, c->err_size, "%s: element %zu is %.9g on the GPU and %.9g on the CPU", what,
               i, got[i], want[i]);
      rc = TF_ENUMERIC;
      goto done;
    }
  c->passed++;
  if (c->log)
    fprintf(c->log, "self-check: %s: agrees exactly\n", what);
done:
  free(x);
  free(want);
  free(got);
  return rc;
}

int tf_selfcheck_run(const tf_device_info *dev, bool thorough, FILE *log, char *err,
                     size_t err_size) {
  check c = {.dev = dev, .log = log, .err = err, .err_size = err_size, .seed = 2024};
  err[0] = '\0';
  bool fp8 = dev->cc_major * 10 + dev->cc_minor >= 89;
  tf_gemm *g = NULL;
  int rc = tf_gemm_create(&g, TF_GEMM_WORKSPACE_BYTES, err, err_size);
  /* Odd sizes (3 tokens, n and k not multiples of 16) for BF16; FP8 needs multiples of 16. */
  if (rc == 0)
    rc = gemm_case(&c, g, TF_DTYPE_BF16, 3, 24, 40, 1);
  if (rc == 0)
    rc = gemm_case(&c, g, TF_DTYPE_BF16, 4, 16, 32, 3);
  if (rc == 0 && fp8)
    rc = gemm_case(&c, g, TF_DTYPE_E4M3, 16, 32, 64, 1);
  if (rc == 0 && fp8)
    rc = gemm_case(&c, g, TF_DTYPE_E4M3, 16, 32, 64, 2);
  if (rc == 0 && thorough)
    rc = gemm_case(&c, g, TF_DTYPE_BF16, 1, 576, 7168, 1);
  if (rc == 0 && thorough)
    rc = gemm_case(&c, g, TF_DTYPE_BF16, 1, 64, 128, 8);
  if (rc == 0 && thorough && fp8)
    rc = gemm_case(&c, g, TF_DTYPE_E4M3, 32, 576, 7168, 4);
  tf_gemm_destroy(g);

  /* The sweep's own layouts (Llama 3.1 70B's GQA group of 8, DeepSeek-V3's MLA with 128 heads
   * over a 576-wide row), then odd ones. */
  static const attn_case_def quick_cases[] = {
      {"GQA", TF_DTYPE_BF16, 3, 16, 2, 128, 128, 16, {1, 77, 200}},
      {"GQA", TF_DTYPE_E4M3, 3, 16, 2, 128, 128, 16, {200, 5, 33}},
      {"MLA", TF_DTYPE_BF16, 2, 128, 1, 576, 512, 64, {45, 130}},
  };
  static const attn_case_def thorough_cases[] = {
      {"GQA", TF_DTYPE_BF16, 3, 4, 1, 64, 64, 8, {3000, 0, 5}},
      {"GQA", TF_DTYPE_BF16, 2, 40, 8, 128, 128, 64, {100, 33}},
      {"MLA", TF_DTYPE_E4M3, 3, 128, 1, 576, 512, 64, {1, 64, 700}},
      {"GQA", TF_DTYPE_E4M3, 4, 64, 8, 128, 128, 64, {4096, 1, 63, 65}},
  };
  for (size_t i = 0; rc == 0 && i < sizeof quick_cases / sizeof quick_cases[0]; i++)
    rc = attn_case(&c, &quick_cases[i]);
  for (size_t i = 0; rc == 0 && thorough && i < sizeof thorough_cases / sizeof thorough_cases[0];
       i++)
    rc = attn_case(&c, &thorough_cases[i]);
  if (rc == 0)
    rc = hbm_case(&c, 1003);
  if (rc == 0 && thorough)
    rc = hbm_case(&c, (1u << 20) + 1);
  if (rc == 0 && log)
    fprintf(log, "self-check: %d comparisons with the CPU references agree\n", c.passed);
  return rc;
}
