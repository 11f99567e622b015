/* The default GPU profile: efficiency fractions measured by public kernel benchmarks. */
#include "gpu_profile.h"

#include <math.h>
#include <stdbool.h>

#include "error.h"

/* Measured on H800 SXM5 (same tensor cores and HBM3 as H100 SXM: 1979 TFLOP/s FP8 and
 * 989 TFLOP/s BF16 dense, 3.35 TB/s; NVLink 400 GB/s both directions, one 400 Gb/s CX7 NIC). */
enum { H800_FP8_TFLOPS = 1979, H800_BF16_TFLOPS = 989 };
#define H800_HBM_GBPS 3350.0
#define H800_NVLINK_ONE_WAY_GBPS 200.0 /* 400 GB/s both directions */
#define CX7_GBPS 50.0                  /* 400 Gb/s */

/* DeepGEMM README (github.com/deepseek-ai/DeepGEMM, 2025-02): "up to 1550 TFLOPS" FP8 on H800. */
#define DEEPGEMM_PEAK_TFLOPS 1550.0

static const tf_gpu_profile default_profile = {
    .name = "default (datasheet peaks x Hopper kernel measurements)",
    .gemm_eff = DEEPGEMM_PEAK_TFLOPS / H800_FP8_TFLOPS,
    /* FlashMLA README (github.com/deepseek-ai/FlashMLA, 2025-04-22): up to 660 TFLOPS BF16 in
     * compute-bound attention, and 3000 GB/s in memory-bound decoding, on H800 SXM5. */
    .attn_eff = 660.0 / H800_BF16_TFLOPS,
    .hbm_eff = 3000.0 / H800_HBM_GBPS,
    /* DeepEP README (github.com/deepseek-ai/DeepEP, 2025): normal kernels reach 153 GB/s over
     * NVLink intranode (EP8 dispatch) and 43 GB/s over RDMA internode (EP16) on H800. */
    .scale_up_eff = 153.0 / H800_NVLINK_ONE_WAY_GBPS,
    .scale_out_eff = 43.0 / CX7_GBPS,
    /* NCCL latency model (github.com/NVIDIA/nccl src/graph/tuning.cc): base latency 3.6 us
     * (ring, LL protocol) plus 0.4 us per NVLink hop, 5.0 us per network hop (tree, LL). */
    .scale_up_latency_s = (3.6 + 0.4) * 1e-6,
    .scale_out_latency_s = (3.6 + 5.0) * 1e-6,
    /* Assumptions until calibration measures them (docs/PERF_MODEL.md): 2 us between dependent
     * graph-launched kernels, 12 kernel boundaries in a layer (norm, QKV, rope + KV write,
     * attention, output projection, all-reduce, norm, gate, dispatch, up GEMM, down GEMM,
     * combine), 200 us of scheduling and sampling per step. */
    .kernel_gap_s = 2e-6,
    .kernels_per_layer = 12,
    .step_overhead_s = 200e-6,
    .source = "DeepGEMM, FlashMLA and DeepEP READMEs (H800 measurements), NCCL tuning.cc "
              "latencies; kernel gaps and step overhead are assumptions (docs/PERF_MODEL.md)",
};

const tf_gpu_profile *tf_gpu_profile_default(void) { return &default_profile; }

static bool fraction(double x) { return x > 0 && x <= 1; }
static bool time_ok(double x) { return x >= 0 && isfinite(x); }

int tf_gpu_profile_check(const tf_gpu_profile *p) {
  if (!fraction(p->gemm_eff) || !fraction(p->attn_eff) || !fraction(p->hbm_eff) ||
      !fraction(p->scale_up_eff) || !fraction(p->scale_out_eff))
    return TF_FAIL(TF_ERANGE, "GPU profile \"%s\": efficiencies must be in (0, 1]", p->name);
  if (!time_ok(p->scale_up_latency_s) ||
      !time_ok(p->scale_out_latency_s) || !time_ok(p->kernel_gap_s) ||
      !time_ok(p->step_overhead_s) || !(p->kernels_per_layer >= 0))
    return TF_FAIL(TF_ERANGE, "GPU profile \"%s\": times and counts must be >= 0", p->name);
  return 0;
}
