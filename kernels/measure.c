/* Measuring one configuration: memory, operands, timing, power (measure.h). */
#include "measure.h"

#include <cuda_runtime_api.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attn.h"
#include "error.h"
#include "gemm.h"
#include "hbm.h"
#include "timing.h"

/* NVML power readings every 5 ms: the instantaneous field refreshes at about 50 Hz on Hopper, so
 * every refresh is seen a few times; a reading costs the sampler thread well under a
 * millisecond. */
#define SAMPLE_PERIOD_S 0.005
/* GPU memory left free beyond a configuration's operands, for the CUDA context's own needs and
 * cuBLASLt's internal buffers. */
#define MEMORY_RESERVE_BYTES ((size_t)512 << 20)
/* Sub-buffers start on 256-byte boundaries (cudaMalloc's own alignment). */
#define ALIGN 256u
/* Seconds with the GPU idle before the idle power window, after earlier work. */
#define IDLE_SETTLE_S 0.25

struct tf_measure {
  const tf_device_info *dev;
  const tf_plan_timing *timing;
  tf_nvml *nvml;
  tf_nvml_sampler *sampler; /* NULL without NVML */
  cudaStream_t stream;
  tf_timer *timer;
  tf_gemm *gemm;
  unsigned char *arena; /* one device buffer, grown when a configuration needs more */
  size_t arena_bytes, arena_used;
};

static int cuda_fail(cudaError_t e, const char *what, char *err, size_t err_size) {
  snprintf(err, err_size, "%s: %s", what, cudaGetErrorString(e));
  return TF_EIO;
}

void tf_measure_destroy(tf_measure *m) {
  if (!m)
    return;
  tf_nvml_sampler_stop(m->sampler);
  tf_gemm_destroy(m->gemm);
  tf_timer_destroy(m->timer);
  if (m->arena)
    cudaFree(m->arena);
  if (m->stream)
    cudaStreamDestroy(m->stream);
  free(m);
}

int tf_measure_create(tf_measure **out, const tf_device_info *dev, const tf_plan_timing *timing,
                      tf_nvml *nvml, char *err, size_t err_size) {
  *out = NULL;
  tf_measure *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(err, err_size, "out of memory");
    return TF_ENOMEM;
  }
  m->dev = dev;
  m->timing = timing;
  m->nvml = nvml;
  cudaError_t e = cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking);
  int rc = e == cudaSuccess ? 0 : cuda_fail(e, "creating a stream", err, err_size);
  if (rc == 0)
    rc = tf_timer_create(&m->timer, m->stream, dev->l2_bytes, timing->reps_max, err, err_size);
  if (rc == 0)
    rc = tf_gemm_create(&m->gemm, TF_GEMM_WORKSPACE_BYTES, err, err_size);
  if (rc == 0 && nvml && tf_nvml_sampler_start(&m->sampler, nvml, SAMPLE_PERIOD_S) != 0) {
    snprintf(err, err_size, "cannot start the NVML sampler thread");
    rc = TF_EIO;
  }
  if (rc) {
    tf_measure_destroy(m);
    return rc;
  }
  *out = m;
  return 0;
}

/* Makes room for bytes of operands (sub-buffers padded to ALIGN included) and empties the arena.
 * TF_EFULL when the GPU does not have them free. */
static int reserve(tf_measure *m, size_t bytes, char *err, size_t err_size) {
  m->arena_used = 0;
  if (bytes <= m->arena_bytes)
    return 0;
  if (m->arena)
    cudaFree(m->arena);
  m->arena = NULL;
  m->arena_bytes = 0;
  size_t free_bytes = 0, total_bytes = 0;
  cudaError_t e = cudaMemGetInfo(&free_bytes, &total_bytes);
  if (e != cudaSuccess)
    return cuda_fail(e, "cudaMemGetInfo", err, err_size);
  if (bytes + MEMORY_RESERVE_BYTES > free_bytes) {
    snprintf(err, err_size, "needs %.2f GiB of GPU memory, %.2f GiB are free",
             (double)bytes / (1 << 30), (double)free_bytes / (1 << 30));
    return TF_EFULL;
  }
  e = cudaMalloc((void **)&m->arena, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError(); /* reset the last error, which the failed allocation set */
    m->arena = NULL;
    snprintf(err, err_size, "cannot allocate %.2f GiB of GPU memory: %s",
             (double)bytes / (1 << 30), cudaGetErrorString(e));
    return TF_EFULL;
  }
  m->arena_bytes = bytes;
  return 0;
}

static size_t padded(size_t bytes) { return (bytes + ALIGN - 1) / ALIGN * ALIGN; }

/* The next sub-buffer of the arena; reserve() has made room for it. */
static void *carve(tf_measure *m, size_t bytes) {
  void *p = m->arena + m->arena_used;
  m->arena_used += padded(bytes);
  return p;
}

/* Times fn, then (with NVML) keeps it running while power and SM clock are sampled. */
static int time_and_sample(tf_measure *m, tf_timing_launch_fn fn, void *ctx, tf_mfile_row *row,
                           char *err, size_t err_size) {
  const tf_plan_timing *tm = m->timing;
  tf_timing_opts o = {.warmup = tm->warmup,
                      .reps_min = tm->reps_min,
                      .reps_max = tm->reps_max,
                      .target_s = tm->target_s,
                      .flush_l2 = true};
  tf_timing_stats st;
  double est = 0;
  int rc = tf_timer_measure(m->timer, fn, ctx, &o, &st, &est, err, err_size);
  if (rc)
    return rc;
  if (!(st.median_s > 0)) {
    snprintf(err, err_size, "the launch is too short for CUDA events to time");
    return TF_EIO;
  }
  row->reps = st.reps;
  row->time_s = st.median_s;
  row->time_p10_s = st.p10_s;
  row->time_p90_s = st.p90_s;
  if (!m->sampler)
    return 0;
  rc = tf_timer_sustain(m->timer, fn, ctx, tm->settle_s, est, err, err_size);
  if (rc)
    return rc;
  tf_nvml_sampler_begin(m->sampler);
  rc = tf_timer_sustain(m->timer, fn, ctx, tm->window_s, est, err, err_size);
  size_t samples = 0;
  tf_nvml_sampler_end(m->sampler, &row->power_w, &row->sm_clock_mhz, &samples);
  return rc;
}

static void sleep_s(double s) {
  struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run_idle(tf_measure *m, const tf_plan_item *it, tf_mfile_row *row, char *err,
                    size_t err_size) {
  if (!m->sampler) {
    snprintf(err, err_size, "idle power needs NVML");
    return TF_ENOTFOUND;
  }
  cudaError_t e = cudaStreamSynchronize(m->stream);
  if (e != cudaSuccess)
    return cuda_fail(e, "idle", err, err_size);
  sleep_s(IDLE_SETTLE_S);
  double start = now_s();
  tf_nvml_sampler_begin(m->sampler);
  sleep_s(it->idle_s);
  size_t samples = 0;
  tf_nvml_sampler_end(m->sampler, &row->power_w, &row->sm_clock_mhz, &samples);
  row->reps = 1;
  row->time_s = row->time_p10_s = row->time_p90_s = now_s() - start;
  return 0;
}

typedef struct gemm_ctx {
  tf_gemm_op *op;
  const void *a, *w;
  void *c;
} gemm_ctx;

static int gemm_launch(void *ctx, void *stream) {
  gemm_ctx *g = ctx;
  return tf_gemm_op_run(g->op, g->a, g->w, g->c, stream);
}

static int run_gemm(tf_measure *m, const tf_plan_item *it, tf_mfile_row *row, char *err,
                    size_t err_size) {
  const tf_device_info *d = m->dev;
  if (it->dtype == TF_DTYPE_E4M3 && d->cc_major * 10 + d->cc_minor < 89) {
    snprintf(err, err_size, "FP8 GEMMs need compute capability 8.9 or later; this GPU has %d.%d",
             d->cc_major, d->cc_minor);
    return TF_ENOTFOUND;
  }
  size_t es = tf_dtype_size(it->dtype), g = (size_t)it->groups;
  size_t m_ = (size_t)it->m, n = (size_t)it->n, k = (size_t)it->k;
  size_t a_bytes = g * m_ * k * es, w_bytes = g * n * k * es, c_bytes = g * m_ * n * 2;
  int rc = reserve(m, padded(a_bytes) + padded(w_bytes) + padded(c_bytes), err, err_size);
  if (rc)
    return rc;
  gemm_ctx ctx = {.a = carve(m, a_bytes), .w = carve(m, w_bytes), .c = carve(m, c_bytes)};
  rc = tf_gemm_op_create(m->gemm, it->dtype, it->m, it->n, it->k, it->groups, &ctx.op, err,
                         err_size);
  if (rc)
    return rc;
  rc = tf_device_fill((void *)ctx.a, g * m_ * k, it->dtype, 1, m->stream, err, err_size);
  if (rc == 0)
    rc = tf_device_fill((void *)ctx.w, g * n * k, it->dtype, 2, m->stream, err, err_size);
  if (rc == 0)
    rc = time_and_sample(m, gemm_launch, &ctx, row, err, err_size);
  tf_gemm_op_destroy(ctx.op);
  return rc;
}

typedef struct attn_ctx {
  tf_attn_desc desc;
  tf_attn_plan plan;
  void *workspace;
  char err[256];
} attn_ctx;

static int attn_launch(void *ctx, void *stream) {
  attn_ctx *a = ctx;
  return tf_attn_decode(&a->desc, &a->plan, a->workspace, stream, a->err, sizeof a->err);
}

/* SplitMix64 (S. Vigna, 2015), for the page order. */
static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static int run_attn(tf_measure *m, const tf_plan_item *it, tf_mfile_row *row, char *err,
                    size_t err_size) {
  const tf_device_info *d = m->dev;
  bool mla = it->layout == TF_LAYOUT_MLA;
  int64_t qk = tf_plan_qk_dim(it), v = tf_plan_v_dim(it);
  int64_t pages_per_seq = (it->context + it->page_size - 1) / it->page_size;
  size_t pages = (size_t)(it->batch * pages_per_seq);
  size_t es = tf_dtype_size(it->dtype);
  attn_ctx ctx = {.desc = {.batch = (int32_t)it->batch,
                           .heads = (int32_t)it->heads,
                           .kv_heads = (int32_t)it->kv_heads,
                           .qk_dim = (int32_t)qk,
                           .v_dim = (int32_t)v,
                           .page_size = (int32_t)it->page_size,
                           .max_pages = (int32_t)pages_per_seq,
                           .v_in_k = mla,
                           .k_stride = qk,
                           .v_stride = v,
                           .kv_type = it->dtype,
                           .scale = 1.0f / sqrtf((float)qk)}};
  int rc = tf_attn_plan_make(&ctx.desc, (int32_t)it->context, d->sm_count, d->smem_optin_bytes,
                             &ctx.plan, err, err_size);
  if (rc)
    return rc;
  size_t kv_rows = pages * (size_t)it->page_size * (size_t)it->kv_heads;
  size_t q_bytes = (size_t)(it->batch * it->heads * qk) * 2;
  size_t k_bytes = kv_rows * (size_t)qk * es, v_bytes = mla ? 0 : kv_rows * (size_t)v * es;
  size_t pt_bytes = pages * sizeof(int32_t), ctx_bytes = (size_t)it->batch * sizeof(int32_t);
  size_t out_bytes = (size_t)(it->batch * it->heads * v) * sizeof(float);
  rc = reserve(m,
               padded(q_bytes) + padded(k_bytes) + padded(v_bytes) + padded(pt_bytes) +
                   padded(ctx_bytes) + padded(out_bytes) + padded(ctx.plan.workspace_bytes),
               err, err_size);
  if (rc)
    return rc;
  ctx.desc.q = carve(m, q_bytes);
  ctx.desc.k_pool = carve(m, k_bytes);
  ctx.desc.v_pool = mla ? NULL : carve(m, v_bytes);
  int32_t *page_table = carve(m, pt_bytes), *context = carve(m, ctx_bytes);
  ctx.desc.page_table = page_table;
  ctx.desc.context = context;
  ctx.desc.out = carve(m, out_bytes);
  ctx.workspace = carve(m, ctx.plan.workspace_bytes);

  /* Pages in a shuffled order (Fisher-Yates), as a long-running server's allocator leaves them. */
  int32_t *host = malloc(pt_bytes + ctx_bytes);
  if (!host) {
    snprintf(err, err_size, "out of memory");
    return TF_ENOMEM;
  }
  uint64_t seed = 42;
  for (size_t i = 0; i < pages; i++)
    host[i] = (int32_t)i;
  for (size_t i = pages; i > 1; i--) {
    size_t j = (size_t)(splitmix(&seed) % i);
    int32_t t = host[i - 1];
    host[i - 1] = host[j];
    host[j] = t;
  }
  for (int64_t b = 0; b < it->batch; b++)
    host[pages + (size_t)b] = (int32_t)it->context;
  /* On the measuring stream, which does not synchronise with the legacy default stream that
   * cudaMemcpy uses (and cudaMemcpy from pageable memory may return before the copy lands). */
  cudaError_t e = cudaMemcpyAsync(page_table, host, pt_bytes, cudaMemcpyHostToDevice, m->stream);
  if (e == cudaSuccess)
    e = cudaMemcpyAsync(context, host + pages, ctx_bytes, cudaMemcpyHostToDevice, m->stream);
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(m->stream);
  free(host);
  if (e != cudaSuccess)
    return cuda_fail(e, "copying the page table", err, err_size);
  size_t q_elems = (size_t)(it->batch * it->heads * qk);
  rc = tf_device_fill((void *)ctx.desc.q, q_elems, TF_DTYPE_BF16, 3, m->stream, err, err_size);
  if (rc == 0)
    rc = tf_device_fill((void *)ctx.desc.k_pool, kv_rows * (size_t)qk, it->dtype, 4, m->stream,
                        err, err_size);
  if (rc == 0 && !mla)
    rc = tf_device_fill((void *)ctx.desc.v_pool, kv_rows * (size_t)v, it->dtype, 5, m->stream,
                        err, err_size);
  if (rc == 0)
    rc = time_and_sample(m, attn_launch, &ctx, row, err, err_size);
  if (rc && ctx.err[0])
    snprintf(err, err_size, "%s", ctx.err);
  return rc;
}

typedef struct hbm_ctx {
  const float *x;
  float *y;
  size_t n;
  int sm_count;
} hbm_ctx;

static int hbm_launch(void *ctx, void *stream) {
  hbm_ctx *h = ctx;
  return tf_hbm_scale(h->x, h->y, h->n, 3.0f, h->sm_count, stream);
}

static int run_hbm(tf_measure *m, const tf_plan_item *it, tf_mfile_row *row, char *err,
                   size_t err_size) {
  /* bytes counts reads and writes: each array is half of it. */
  size_t n = (size_t)it->bytes / 2 / sizeof(float);
  size_t array = n * sizeof(float);
  int rc = reserve(m, 2 * padded(array), err, err_size);
  if (rc)
    return rc;
  hbm_ctx ctx = {.x = carve(m, array), .y = carve(m, array), .n = n, .sm_count = m->dev->sm_count};
  rc = tf_device_fill((void *)ctx.x, n, TF_DTYPE_F32, 6, m->stream, err, err_size);
  return rc ? rc : time_and_sample(m, hbm_launch, &ctx, row, err, err_size);
}

int tf_measure_run(tf_measure *m, const tf_plan_item *it, tf_mfile_row *row, char *err,
                   size_t err_size) {
  switch (it->kernel) {
  case TF_KERNEL_IDLE: return run_idle(m, it, row, err, err_size);
  case TF_KERNEL_GEMM:
  case TF_KERNEL_GROUPED_GEMM: return run_gemm(m, it, row, err, err_size);
  case TF_KERNEL_ATTN_DECODE: return run_attn(m, it, row, err, err_size);
  case TF_KERNEL_HBM_STREAM: return run_hbm(m, it, row, err, err_size);
  default: snprintf(err, err_size, "unknown kernel"); return TF_EINVAL;
  }
}
