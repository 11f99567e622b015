/* The host side of decode attention: checking a descriptor's sizes and planning the launch. */
#include "attn.h"

#include <stdio.h>

#include "error.h"

/* WMMA loads need 256-bit aligned addresses; 128 bytes also keeps parts on separate lines. */
static size_t round128(size_t x) { return (x + 127) / 128 * 128; }

static int bad(char *err, size_t err_size, const char *what) {
  snprintf(err, err_size, "attention: %s", what);
  return TF_EINVAL;
}

int tf_attn_plan_make(const tf_attn_desc *d, int32_t max_context, int32_t sm_count,
                      size_t smem_max, tf_attn_plan *out, char *err, size_t err_size) {
  if (d->batch < 1 || d->batch > 65535)
    return bad(err, err_size, "batch must be 1 to 65535");
  if (d->kv_heads < 1 || d->heads < d->kv_heads || d->heads % d->kv_heads != 0)
    return bad(err, err_size, "query heads must be a multiple of KV heads");
  if (d->qk_dim < 8 || d->qk_dim % 8 != 0 || d->qk_dim > 4096)
    return bad(err, err_size, "the key width must be a multiple of 8 up to 4096");
  int32_t v = d->v_dim;
  if (v < 8 || v > 512 || (v & (v - 1)) != 0)
    return bad(err, err_size, "the value width must be 8, 16, 32, 64, 128, 256 or 512");
  if (d->v_in_k && v > d->qk_dim)
    return bad(err, err_size, "values inside key rows cannot be wider than the keys");
  if (d->page_size < 1 || d->max_pages < 1 || max_context < 0 ||
      (int64_t)max_context > (int64_t)d->page_size * d->max_pages)
    return bad(err, err_size, "the page table cannot hold the longest context");
  if (d->k_stride < d->qk_dim || d->k_stride % 8 != 0 ||
      (!d->v_in_k && (d->v_stride < v || d->v_stride % 8 != 0)))
    return bad(err, err_size, "row strides must cover a row and be multiples of 8");
  if (d->kv_type != TF_DTYPE_BF16 && d->kv_type != TF_DTYPE_E4M3)
    return bad(err, err_size, "the KV cache must be BF16 or FP8 E4M3");
  if (sm_count < 1)
    return bad(err, err_size, "no multiprocessors");

  tf_attn_plan p = {0};
  int32_t group = d->heads / d->kv_heads;
  p.head_block = group;
  while (p.head_block > 32 || group % p.head_block != 0) /* the largest divisor <= 32 */
    p.head_block--;
  p.tensor_cores = p.head_block >= 16 && d->qk_dim % 16 == 0 && v % 64 == 0;
  p.head_block_max = p.head_block <= 8 && !p.tensor_cores ? 8 : 32;

  /* Enough blocks for four per multiprocessor, each chunk at least one tile. */
  int64_t base_blocks = (int64_t)d->batch * (d->heads / p.head_block);
  int64_t target = 4 * (int64_t)sm_count;
  int64_t tiles = ((int64_t)max_context + TF_ATTN_TILE - 1) / TF_ATTN_TILE;
  int64_t splits = (target + base_blocks - 1) / base_blocks;
  if (splits > tiles)
    splits = tiles;
  if (splits > TF_ATTN_SPLITS_MAX)
    splits = TF_ATTN_SPLITS_MAX;
  if (splits < 1)
    splits = 1;
  int64_t chunk_tiles = (tiles + splits - 1) / splits;
  if (chunk_tiles < 1)
    chunk_tiles = 1;
  p.chunk = (int32_t)(chunk_tiles * TF_ATTN_TILE);
  p.splits = (int32_t)(tiles > 0 ? (tiles + chunk_tiles - 1) / chunk_tiles : 1);

  p.k_row = d->qk_dim + 8;
  p.v_row = d->v_in_k ? p.k_row : v + 8;
  size_t bf16 = 2, f32 = 4, rows = (size_t)p.head_block_max, tile = TF_ATTN_TILE;
  /* Queries: all head_block_max rows in the WMMA variant (padding rows are zeros). */
  size_t q_rows = p.tensor_cores ? rows : (size_t)p.head_block;
  size_t at = 0;
  p.q_off = at;
  at += round128(q_rows * (size_t)p.k_row * bf16);
  p.k_off = at;
  at += round128(tile * (size_t)p.k_row * bf16);
  p.v_off = d->v_in_k ? p.k_off : at;
  if (!d->v_in_k)
    at += round128(tile * (size_t)p.v_row * bf16);
  if (p.tensor_cores) {
    p.s_off = at; /* two partial score matrices (the two halves of the key width) */
    at += round128(2 * rows * TF_ATTN_TC_S_LD * f32);
    p.p_off = at;
    at += round128(rows * TF_ATTN_TC_P_LD * bf16);
    p.scratch_off = at; /* one 16 x 16 FP32 tile per warp */
    at += round128((TF_ATTN_THREADS / 32) * 256 * f32);
  } else {
    p.s_off = p.scratch_off = 0;
    p.p_off = at; /* scores, then probabilities, token-major */
    at += round128(tile * (rows + 1) * f32);
  }
  p.stat_off = at;
  at += round128(3 * rows * f32);
  p.smem_bytes = at;
  if (p.smem_bytes > smem_max) {
    snprintf(err, err_size,
             "attention: %zu bytes of shared memory per block needed, the GPU has %zu",
             p.smem_bytes, smem_max);
    return TF_EINVAL;
  }
  p.workspace_bytes = (size_t)d->batch * (size_t)d->heads * (size_t)p.splits *
                      ((size_t)v + 2) * f32;
  *out = p;
  return 0;
}
