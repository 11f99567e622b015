/* The decode-attention kernels' own device code (kernels/attn_kernels.cuh), run on the CPU through
 * the CUDA emulation of simt.h, against the CPU reference: paging, GQA head mapping, MLA values
 * inside key rows, FP8 widening, tiles, chunks and their merge, shared-memory layout (under
 * AddressSanitizer an access past the planned shared memory is caught). Needs no GPU. */
#include "simt.h" /* first: defines the CUDA keywords the kernels use */

#include "attn_kernels.cuh"

#include <cstdio>
#include <vector>

#include "attn.h"
#include "ref.h"
#include "tf_test.h"

namespace {

struct attn_case {
  bool mla;
  tf_dtype kv;
  int32_t heads, kv_heads, qk_dim, v_dim, page_size;
  std::vector<int32_t> context;
  int32_t sm_count; /* few multiprocessors: few chunks; many: many */
};

uint64_t rng_state = 7;

float uniform() {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) / 8388608.0f - 1.0f;
}

/* Random values stored as t: the bits for the kernel, their exact values for the reference. */
template <class Bits> void fill(tf_dtype t, std::vector<float> &x, std::vector<Bits> &bits) {
  for (size_t i = 0; i < x.size(); i++) {
    float v = uniform();
    if (t == TF_DTYPE_BF16) {
      bits[i] = static_cast<Bits>(tf_ref_f32_to_bf16(v));
      x[i] = tf_ref_bf16_to_f32(static_cast<uint16_t>(bits[i]));
    } else {
      bits[i] = static_cast<Bits>(tf_ref_f32_to_e4m3(v));
      x[i] = tf_ref_e4m3_to_f32(static_cast<uint8_t>(bits[i]));
    }
  }
}

template <class KV> void run_case(const attn_case &c) {
  size_t batch = c.context.size(), heads = static_cast<size_t>(c.heads);
  size_t kvh = static_cast<size_t>(c.kv_heads), qk = static_cast<size_t>(c.qk_dim);
  size_t v = static_cast<size_t>(c.v_dim), page = static_cast<size_t>(c.page_size);
  int32_t max_ctx = 0;
  size_t used = 0;
  for (int32_t t : c.context) {
    max_ctx = t > max_ctx ? t : max_ctx;
    used += (static_cast<size_t>(t) + page - 1) / page;
  }
  size_t max_pages = std::max<size_t>(1, (static_cast<size_t>(max_ctx) + page - 1) / page);
  size_t pool_pages = used + 2;
  size_t rows = pool_pages * page * kvh;

  std::vector<float> q(batch * heads * qk), k(rows * qk), vals(c.mla ? 1 : rows * v);
  std::vector<uint16_t> q_bits(q.size());
  std::vector<KV> k_bits(k.size()), v_bits(vals.size());
  fill(TF_DTYPE_BF16, q, q_bits);
  fill(c.kv, k, k_bits);
  if (!c.mla)
    fill(c.kv, vals, v_bits);
  /* Pages handed out back to front: never contiguous, never in order. */
  std::vector<int32_t> table(batch * max_pages, 0);
  int32_t next = static_cast<int32_t>(pool_pages) - 1;
  for (size_t b = 0; b < batch; b++)
    for (size_t p = 0; p < (static_cast<size_t>(c.context[b]) + page - 1) / page; p++)
      table[b * max_pages + p] = next--;

  tf_ref_attn r = {};
  r.batch = batch;
  r.heads = heads;
  r.kv_heads = kvh;
  r.qk_dim = qk;
  r.v_dim = v;
  r.page_size = page;
  r.max_pages = max_pages;
  r.page_table = table.data();
  r.context = c.context.data();
  r.q = q.data();
  r.k_pool = k.data();
  r.k_stride = qk;
  r.v_pool = c.mla ? k.data() : vals.data();
  r.v_stride = c.mla ? qk : v;
  r.q_type = TF_DTYPE_F32;
  r.kv_type = TF_DTYPE_F32;
  r.scale = 1.0f / std::sqrt(static_cast<float>(qk));
  std::vector<float> want(batch * heads * v), got(want.size(), -999.0f);
  tf_ref_attn_decode(&r, want.data());

  tf_attn_desc d = {};
  d.batch = static_cast<int32_t>(batch);
  d.heads = c.heads;
  d.kv_heads = c.kv_heads;
  d.qk_dim = c.qk_dim;
  d.v_dim = c.v_dim;
  d.page_size = c.page_size;
  d.max_pages = static_cast<int32_t>(max_pages);
  d.v_in_k = c.mla;
  d.page_table = table.data();
  d.context = c.context.data();
  d.q = q_bits.data();
  d.k_pool = k_bits.data();
  d.k_stride = c.qk_dim;
  d.v_pool = c.mla ? nullptr : v_bits.data();
  d.v_stride = c.v_dim;
  d.kv_type = c.kv;
  d.scale = r.scale;
  d.out = got.data();
  tf_attn_plan plan;
  char err[256];
  int rc = tf_attn_plan_make(&d, max_ctx, c.sm_count, 227 * 1024, &plan, err, sizeof err);
  TF_CHECK_INT(rc, 0);
  if (rc) {
    fprintf(stderr, "%s\n", err);
    return;
  }
  std::vector<float> workspace(plan.workspace_bytes / sizeof(float), 12345.0f);
  tf_attn_kernels::Params prm = tf_attn_kernels::make_params(&d, &plan, workspace.data());
  if (plan.tensor_cores)
    simt::launch(tf_attn_kernels::attn_chunk_tc<KV>, tf_attn_kernels::chunk_grid(prm),
                 dim3(TF_ATTN_THREADS), plan.smem_bytes, prm);
  else if (plan.head_block_max == 8)
    simt::launch(tf_attn_kernels::attn_chunk<KV, 8>, tf_attn_kernels::chunk_grid(prm),
                 dim3(TF_ATTN_THREADS), plan.smem_bytes, prm);
  else
    simt::launch(tf_attn_kernels::attn_chunk<KV, 32>, tf_attn_kernels::chunk_grid(prm),
                 dim3(TF_ATTN_THREADS), plan.smem_bytes, prm);
  simt::launch(tf_attn_kernels::attn_merge, tf_attn_kernels::merge_grid(prm),
               dim3(tf_attn_kernels::kMergeThreads), 0, prm);

  /* FP32 throughout on CUDA cores; the tensor-core variant rounds probabilities to BF16 (2^-9
   * relative), which moves an output by at most 2^-9 of its values' spread. */
  double tol = plan.tensor_cores ? 2e-3 : 1e-4, worst = 0;
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); i++) {
    double diff = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(diff <= tol * (1 + std::fabs(want[i])))) {
      if (bad++ < 5)
        fprintf(stderr, "  element %zu (sequence %zu head %zu column %zu): %.9g, want %.9g\n", i,
                i / (heads * v), i % (heads * v) / v, i % v, got[i], want[i]);
    }
    worst = std::max(worst, diff);
  }
  TF_CHECK_INT(bad, 0);
  printf("%s %s heads %d/%d dims %d/%d page %d, %zu sequences up to %d tokens: %s, %d chunks "
         "of %d, %d heads per block, largest difference %.3g\n",
         c.mla ? "MLA" : "GQA", tf_dtype_name(c.kv), c.heads, c.kv_heads, c.qk_dim, c.v_dim,
         c.page_size, batch, max_ctx, plan.tensor_cores ? "tensor cores" : "CUDA cores",
         plan.splits, plan.chunk, plan.head_block, worst);
}

void run(const attn_case &c) {
  if (c.kv == TF_DTYPE_E4M3)
    run_case<uint8_t>(c);
  else
    run_case<uint16_t>(c);
}

} // namespace

int main() {
  /* Llama 3.1 70B's GQA shape (8 query heads per KV head) on few and many multiprocessors. */
  run({false, TF_DTYPE_BF16, 16, 2, 128, 128, 16, {1, 77, 200}, 1});
  run({false, TF_DTYPE_BF16, 16, 2, 128, 128, 16, {1, 77, 200}, 132});
  run({false, TF_DTYPE_E4M3, 16, 2, 128, 128, 16, {200, 5, 33}, 4});
  /* DeepSeek-V3's MLA: 128 heads over one 576-wide row whose first 512 are the values. */
  run({true, TF_DTYPE_BF16, 128, 1, 576, 512, 64, {45, 130}, 4});
  run({true, TF_DTYPE_E4M3, 128, 1, 576, 512, 64, {1, 64, 70}, 2});
  /* Odd ones: 4 heads per KV head, a long context with many chunks and an empty sequence; 5
   * heads per KV head; the narrowest values; nothing cached at all. */
  run({false, TF_DTYPE_BF16, 4, 1, 64, 64, 8, {1000, 0, 5}, 4});
  run({false, TF_DTYPE_BF16, 40, 8, 128, 128, 64, {100, 33}, 2});
  run({false, TF_DTYPE_E4M3, 2, 1, 16, 8, 3, {10, 7}, 1});
  run({false, TF_DTYPE_BF16, 8, 8, 32, 32, 4, {0, 0}, 4});
  /* Tensor cores outside MLA: 16 heads per KV head (padding rows 16-31), separate values, an
   * odd number of 16-wide key steps; and 24 heads per block. */
  run({false, TF_DTYPE_BF16, 32, 2, 80, 64, 16, {150, 31, 1}, 4});
  run({false, TF_DTYPE_E4M3, 48, 2, 128, 128, 32, {70, 300}, 8});
  return tf_test_report("kernels_attn_emu");
}
