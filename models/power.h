/* GPU, system and facility power from what a serving step does. A GPU draws between its idle
 * power and its board power (TDP) in proportion to an activity set by what bounds each part of
 * the step; under a power cap it lowers its clock, which stretches compute- and latency-bound time
 * and leaves memory- and network-bound time alone. SI units: watts, joules, seconds; clocks are
 * fractions of the boost clock. Equations, constants and their sources: docs/POWER.md. */
#ifndef TF_POWER_H
#define TF_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "perf.h"

/* How hard a GPU works per bound class, and how its power follows its clock. Activities are the
 * share of (TDP - idle) drawn while a part with that bound runs at the boost clock, each in
 * [0, 1]; the step's OVERHEAD part (kernel gaps, scheduler) counts as latency, and a part bound
 * NONE that still takes time (perf never makes one) counts as latency too. Board power at clock
 * fraction f is idle + (TDP - idle) x activity(step re-timed at f) x f^clock_exponent, for f in
 * [min_clock, 1]. Like tf_gpu_profile: either the documented default or one fitted by
 * calibration; each field's source is in source. */
typedef struct tf_power_profile {
  const char *name;
  double activity_compute;   /* tensor cores saturated: prefill GEMMs and attention */
  double activity_hbm;       /* streaming weights and KV cache: decode */
  double activity_scale_up;  /* exposed collectives over NVLink */
  double activity_scale_out; /* exposed collectives over the scale-out NICs */
  double activity_latency;   /* kernel gaps, scheduler, latency-bound collectives */
  double clock_exponent;     /* k in P_dyn ~ f^k; >= 1 */
  double min_clock;          /* lowest clock fraction a cap may set, in (0, 1] */
  const char *source;        /* where these numbers come from, one line per field */
} tf_power_profile;

/* The documented default (docs/POWER.md): activities from published H100/H200 inference power
 * measurements, the CMOS clock exponent, and a clock floor from H100's lowest power limit. */
const tf_power_profile *tf_power_profile_default(void);

/* Checks a profile: activities in [0, 1], clock_exponent >= 1, min_clock in (0, 1]. 0 or
 * TF_ERANGE. Power is monotone in the clock for every profile that passes when the layout has no
 * overlap; with overlap, monotonicity is proven for (clock_exponent - 1) x min(activity_compute,
 * activity_hbm) >= 2 x max(activity_scale_up, activity_scale_out, activity_latency), which the
 * default meets (docs/POWER.md); tf_power_clock_for_cap stays correct outside it (see there). */
int tf_power_profile_check(const tf_power_profile *p);

/* Checks that g has tdp and idle_power with 0 <= idle <= tdp. 0 or TF_EINVAL naming the GPU.
 * Every function below that takes a GPU asserts it passes. */
int tf_power_gpu_check(const tf_catalog_gpu *g);

/* The step's time-weighted activity in [0, 1]: each part's activity times its time, over the
 * stage's time. With overlap the hidden communication draws nothing beyond the compute it hides
 * behind (the comm parts count only their exposed share); 0 for a step that takes no time.
 * st's compute_s, comm_s, hidden_comm_s and stage_s must agree with its parts, as perf's do. */
double tf_power_activity(const tf_power_profile *p, const tf_perf_step *st);

/* Mean board power of one GPU over the step, at the boost clock: idle + (TDP - idle) x activity. */
double tf_power_gpu_w(const tf_catalog_gpu *g, const tf_power_profile *p, const tf_perf_step *st);

/* One GPU's energy over one stage step: tf_power_gpu_w x stage_s. */
double tf_power_gpu_energy_j(const tf_catalog_gpu *g, const tf_power_profile *p,
                             const tf_perf_step *st);

/* The step at clock fraction f (0 < f <= 1): compute- and latency-bound parts and the OVERHEAD
 * part take time / f; HBM-, scale-up- and scale-out-bound parts keep their time (HBM and links
 * run on their own clocks). compute_s and comm_s are re-summed as perf sums them; a step that
 * overlapped (hidden_comm_s > 0) hides min(comm_s, compute_s) again; stage_s and step_s (same
 * pipeline depth) follow, and the per-GPU token rates scale by old stage_s / new stage_s. FLOPs,
 * bytes, bounds and token counts are unchanged. out may be st. 0, or TF_ERANGE for f outside
 * (0, 1]. */
int tf_power_retime(const tf_perf_step *st, double f, tf_perf_step *out);

/* Mean board power at clock fraction f in (0, 1]: the step re-timed at f, so its activity shifts
 * towards the parts that stretch, times f^clock_exponent on the dynamic share. Never below idle. */
double tf_power_gpu_w_at(const tf_catalog_gpu *g, const tf_power_profile *p,
                         const tf_perf_step *st, double f);

/* The highest clock fraction f in [min_clock, 1] at which the step's power stays <= cap_w: 1 when
 * the cap is at or above the uncapped power (INFINITY means uncapped), min_clock when even that
 * draws more than cap_w (the caller sees the excess in tf_power_gpu_w_at). Bisection to 1e-12 on
 * a bracket found by a coarse downward scan, so a profile outside the proven-monotone region
 * still gets the highest crossing to within 1/16 of the range. cap_w > 0. About 70 power
 * evaluations, each a pass over the step's parts: a few microseconds. */
double tf_power_clock_for_cap(const tf_catalog_gpu *g, const tf_power_profile *p,
                              const tf_perf_step *st, double cap_w);

/* Checks that s's host power is known: host_power, or power with its GPU's tdp (the system must
 * have passed tf_catalog_check so gpu_entry is resolved), and gpus >= 1. 0 or TF_EINVAL naming
 * the system. */
int tf_power_system_check(const tf_catalog_system *s);

/* Everything in s but its GPUs (CPUs, memory, NICs, switches, fans), at its maximum: host_power
 * when the catalogue gives it, else power - gpus x GPU TDP. s must pass tf_power_system_check. */
double tf_power_host_w(const tf_catalog_system *s);

/* IT power of one system whose GPUs each draw gpu_w_each: gpus x gpu_w_each + tf_power_host_w. */
double tf_power_system_w(const tf_catalog_system *s, double gpu_w_each);

/* Facility power for it_w of IT load: it_w x pue (power usage effectiveness, >= 1). */
double tf_power_facility_w(double it_w, double pue);

/* ---- dividing a power budget (dynamic capping) ----
 *
 * A site controller divides what the IT envelope leaves after the hosts among groups of GPUs, in
 * three phases after the policy of NVIDIA's nvPAX allocator (Sivan, Shabat and Shkolnisky, arXiv
 * 2605.01837, 2026): every GPU keeps its floor; GPUs that step then get up to their demand,
 * levelled equally (water-filling) when the budget falls short; what is left raises the stepping
 * GPUs above their demand, equally up to their tops, and then the idle GPUs above their floors,
 * equally up to their tops. */
typedef struct tf_power_claim {
  double gpus;     /* GPUs in the group, > 0 */
  double floor_w;  /* what each keeps at least, >= 0 */
  double top_w;    /* the most each may get, >= floor_w */
  double demand_w; /* a stepping group's draw per GPU at full clock; unused for an idle one */
  bool stepping;
  double cap_w;    /* out: each GPU's share */
} tf_power_claim;

/* Sets every claim's cap_w as above: floor_w <= cap_w <= top_w, and the caps (times gpus) add up
 * to at most budget_w, to rounding. Claims of equal standing get equal shares whatever their
 * order. O(n log n). 0; TF_ERANGE (caps untouched) when budget_w cannot cover every GPU's floor;
 * TF_ENOMEM. */
int tf_power_divide(tf_power_claim *c, size_t n, double budget_w);

/* ---- PUE as a function of IT load and outside temperature ----
 *
 * Facility power F for IT power P, at load share u = P / C of the facility's IT capacity C and
 * outside temperature T (docs/POWER.md, "Facility power"):
 *
 *     F = P x (proportional + per_degree x max(0, T - reference_k)) + fixed x C
 *     PUE(u, T) = F / P = proportional + fixed / u + per_degree x max(0, T - reference_k)
 *
 * fixed is the overhead that does not follow the IT load (UPS and transformer no-load losses,
 * fans and pumps at their minimum, lighting), as a share of the capacity; proportional is 1 plus
 * the overhead that does. Both come from two points on the curve, (1, at_full_load) and
 * (low_load, at_low_load):
 *
 *     fixed = (at_low_load - at_full_load) x low_load / (1 - low_load)
 *     proportional = at_full_load - fixed
 *
 * Invariants (tf_pue_check): at_full_load >= 1; low_load 0 (PUE independent of the load), or in
 * (0, 1) with at_full_load <= at_low_load <= 1 + (at_full_load - 1) / low_load (so that
 * proportional >= 1: the overhead that follows the load is never negative); per_degree >= 0 and,
 * when > 0, a temperature profile: pieces >= 1, start_ns ascending from 0, temperatures >= 0 K,
 * period_ns 0 (the last piece lasts for ever) or past the last start. The caller owns the arrays.
 * A constant PUE is {.at_full_load = pue}. Temperatures in kelvin. */
typedef struct tf_pue_model {
  double at_full_load; /* PUE at full load (u = 1) and at or below the reference temperature */
  double at_low_load;  /* PUE at u = low_load, same temperature; unused when low_load is 0 */
  double low_load;     /* load share where at_low_load holds, in (0, 1); 0: no load term */
  double per_degree;   /* PUE added per kelvin of outside temperature above reference_k; 0: none */
  double reference_k;  /* outside temperature up to which cooling needs no extra power, K */
  /* Outside temperature, piecewise constant from the run's start (t = 0): temperature_k[i] from
   * start_ns[i] until the next start, the last until period_ns (then it all repeats) or for ever
   * when period_ns is 0. */
  size_t pieces;
  const int64_t *start_ns;
  const double *temperature_k;
  int64_t period_ns;
} tf_pue_model;

/* Checks m against the invariants above. 0 or TF_ERANGE naming the field. */
int tf_pue_check(const tf_pue_model *m);

/* True when m's PUE depends on load or temperature; false when it is at_full_load throughout
 * (no load term, or at_low_load equal to at_full_load; and no temperature term). */
bool tf_pue_varies(const tf_pue_model *m);

/* The overhead independent of the load, per watt of IT capacity (fixed above). */
double tf_pue_fixed(const tf_pue_model *m);

/* The overhead that follows the load, plus 1 (proportional above). */
double tf_pue_proportional(const tf_pue_model *m);

/* PUE at load share u > 0 of the IT capacity and outside temperature outside_k. */
double tf_pue_at(const tf_pue_model *m, double load_share, double outside_k);

/* The outside temperature at t_ns >= 0 (K); reference_k when m has no profile. O(log pieces). */
double tf_pue_outside_k(const tf_pue_model *m, int64_t t_ns);

/* The mean of max(0, T(t) - reference_k) over [a_ns, b_ns), 0 <= a_ns < b_ns, exactly for the
 * piecewise profile: the temperature term of an interval whose IT power is steady. 0 without a
 * temperature term. O(pieces). */
double tf_pue_mean_excess_k(const tf_pue_model *m, int64_t a_ns, int64_t b_ns);

/* Facility power for it_w >= 0 of IT power in a facility of capacity_w > 0 of IT capacity, with
 * the outside temperature excess_k >= 0 above the reference:
 * it_w x (proportional + per_degree x excess_k) + fixed x capacity_w. */
double tf_pue_facility_w(const tf_pue_model *m, double it_w, double capacity_w, double excess_k);

#endif
