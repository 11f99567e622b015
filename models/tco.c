/* Total cost of ownership and cost per token: capital charges, the yearly cost breakdown of an
 * owned or rented factory, its allocation to input and output tokens, revenue and margin.
 * Equations and their sources: docs/ECONOMICS.md. */
#include "tco.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>

#include "error.h"

/* Hours in the `y` year (8766 for the Julian year): the per-GPU-hour figures divide by it. */
#define YEAR_H (TF_TCO_YEAR_S / 3600.0)

/* ---- Names ---- */

static const char *const method_names[] = {
    [TF_TCO_STRAIGHT_LINE] = "straight_line",
    [TF_TCO_ANNUITY] = "annuity",
};
static const char *const allocation_names[] = {
    [TF_ALLOC_OUTPUT] = "output",
    [TF_ALLOC_GPU_TIME] = "gpu_time",
    [TF_ALLOC_BLENDED] = "blended",
};
static const char *const asset_names[] = {
    [TF_ASSET_SYSTEMS] = "systems",
    [TF_ASSET_NETWORKING] = "networking",
    [TF_ASSET_STORAGE] = "storage",
    [TF_ASSET_FACILITY] = "facility",
};
static const char *const component_names[] = {
    [TF_COST_CAPEX_SYSTEMS] = "capex_systems",
    [TF_COST_CAPEX_NETWORKING] = "capex_networking",
    [TF_COST_CAPEX_STORAGE] = "capex_storage",
    [TF_COST_CAPEX_FACILITY] = "capex_facility",
    [TF_COST_MAINTENANCE] = "maintenance",
    [TF_COST_ENERGY] = "energy",
    [TF_COST_COLOCATION] = "colocation",
    [TF_COST_STAFF_SOFTWARE] = "staff_software",
    [TF_COST_RENTAL] = "rental",
};

/* Each table has exactly one name per enumerator, so adding one without a name fails to build. */
_Static_assert(sizeof method_names / sizeof *method_names == TF_TCO_METHOD_COUNT_, "methods");
_Static_assert(sizeof allocation_names / sizeof *allocation_names == TF_ALLOC_COUNT_,
               "allocations");
_Static_assert(sizeof asset_names / sizeof *asset_names == TF_ASSET_COUNT_, "assets");
_Static_assert(sizeof component_names / sizeof *component_names == TF_COST_COUNT_, "components");
/* Asset a's capital charge is line TF_COST_CAPEX_SYSTEMS + a. */
_Static_assert(TF_COST_CAPEX_SYSTEMS + TF_ASSET_FACILITY == TF_COST_CAPEX_FACILITY,
               "capex lines follow the assets");

const char *tf_tco_method_name(tf_tco_method m) {
  return (unsigned)m < TF_TCO_METHOD_COUNT_ ? method_names[m] : "unknown";
}

const char *tf_tco_allocation_name(tf_tco_allocation a) {
  return (unsigned)a < TF_ALLOC_COUNT_ ? allocation_names[a] : "unknown";
}

const char *tf_tco_asset_name(tf_tco_asset a) {
  return (unsigned)a < TF_ASSET_COUNT_ ? asset_names[a] : "unknown";
}

const char *tf_tco_component_name(tf_tco_component c) {
  return (unsigned)c < TF_COST_COUNT_ ? component_names[c] : "unknown";
}

/* ---- Checks ---- */

/* Each range check names the field as tco.h spells it: the loader validates the scenario's keys
 * with their own messages first, so a message from here points at a caller's bug or an API user's
 * input, and the struct's name is the one they can find. */
static int check_nonneg(double v, const char *what, const char *field) {
  if (!(isfinite(v) && v >= 0))
    return TF_FAIL(TF_ERANGE, "%s: %s must be >= 0 (got %g)", what, field, v);
  return 0;
}

static int check_positive(double v, const char *what, const char *field) {
  if (!(isfinite(v) && v > 0))
    return TF_FAIL(TF_ERANGE, "%s: %s must be > 0 (got %g)", what, field, v);
  return 0;
}

int tf_tco_check(const tf_tco_inputs *in) {
  assert(in);
  static const char what[] = "tco";
  int rc;
  if ((rc = check_positive(in->gpus, what, "gpus")))
    return rc;
  if (in->rented) {
    if (!(isfinite(in->rental_usd_per_gpu_s) && in->rental_usd_per_gpu_s > 0))
      return TF_FAIL(TF_ERANGE, "tco: rental_usd_per_gpu_s must be > 0 when rented (got %g)",
                     in->rental_usd_per_gpu_s);
  } else if ((rc = check_nonneg(in->rental_usd_per_gpu_s, what, "rental_usd_per_gpu_s"))) {
    return rc;
  }
  for (int a = 0; a < TF_ASSET_COUNT_; a++) {
    const char *name = asset_names[a];
    double capex = in->capex_usd[a], life = in->life_s[a];
    if (!(isfinite(capex) && capex >= 0))
      return TF_FAIL(TF_ERANGE, "tco: capex_usd[%s] must be >= 0 (got %g)", name, capex);
    if (!(isfinite(life) && life >= 0))
      return TF_FAIL(TF_ERANGE, "tco: life_s[%s] must be >= 0 (got %g)", name, life);
    if (capex > 0 && !(life > 0))
      return TF_FAIL(TF_EINVAL, "tco: life_s[%s] must be > 0 where capex_usd[%s] > 0 (got %g)",
                     name, name, life);
  }
  if ((unsigned)in->method >= TF_TCO_METHOD_COUNT_)
    return TF_FAIL(TF_EINVAL, "tco: method = %d (expected straight_line or annuity)",
                   (int)in->method);
  if ((rc = check_nonneg(in->cost_of_capital, what, "cost_of_capital")) ||
      (rc = check_nonneg(in->maintenance_per_year, what, "maintenance_per_year")) ||
      (rc = check_nonneg(in->colocation_usd_per_w_s, what, "colocation_usd_per_w_s")) ||
      (rc = check_nonneg(in->staff_software_usd_per_gpu_s, what, "staff_software_usd_per_gpu_s")) ||
      (rc = check_nonneg(in->electricity_usd_per_j, what, "electricity_usd_per_j")) ||
      (rc = check_nonneg(in->provisioned_it_w, what, "provisioned_it_w")) ||
      (rc = check_positive(in->horizon_s, what, "horizon_s")))
    return rc;
  if ((unsigned)in->allocation >= TF_ALLOC_COUNT_)
    return TF_FAIL(TF_EINVAL, "tco: allocation = %d (expected output, gpu_time or blended)",
                   (int)in->allocation);
  if (in->has_prices &&
      ((rc = check_nonneg(in->price_input_usd, what, "price_input_usd")) ||
       (rc = check_nonneg(in->price_input_cached_usd, what, "price_input_cached_usd")) ||
       (rc = check_nonneg(in->price_output_usd, what, "price_output_usd"))))
    return rc;
  return 0;
}

/* The usage side: counts and times finite and >= 0, the window > 0, the subsets within their
 * sets. */
static int usage_check(const tf_tco_usage *use) {
  static const char what[] = "tco usage";
  int rc;
  if ((rc = check_positive(use->window_s, what, "window_s")) ||
      (rc = check_nonneg(use->facility_energy_j, what, "facility_energy_j")) ||
      (rc = check_nonneg(use->input_tokens, what, "input_tokens")) ||
      (rc = check_nonneg(use->input_cached_tokens, what, "input_cached_tokens")) ||
      (rc = check_nonneg(use->output_tokens, what, "output_tokens")) ||
      (rc = check_nonneg(use->goodput_output_tokens, what, "goodput_output_tokens")) ||
      (rc = check_nonneg(use->prefill_gpu_s, what, "prefill_gpu_s")) ||
      (rc = check_nonneg(use->decode_gpu_s, what, "decode_gpu_s")))
    return rc;
  if (use->input_cached_tokens > use->input_tokens)
    return TF_FAIL(TF_EINVAL,
                   "tco usage: input_cached_tokens must be <= input_tokens (got %g > %g)",
                   use->input_cached_tokens, use->input_tokens);
  if (use->goodput_output_tokens > use->output_tokens)
    return TF_FAIL(TF_EINVAL,
                   "tco usage: goodput_output_tokens must be <= output_tokens (got %g > %g)",
                   use->goodput_output_tokens, use->output_tokens);
  return 0;
}

/* ---- Capital charge ---- */

double tf_tco_capital_charge(double capex_usd, double life_s, tf_tco_method method,
                             double cost_of_capital) {
  assert(isfinite(capex_usd) && capex_usd >= 0);
  assert(isfinite(life_s) && life_s > 0);
  assert(isfinite(cost_of_capital) && cost_of_capital >= 0);
  assert((unsigned)method < TF_TCO_METHOD_COUNT_);
  double n = life_s / TF_TCO_YEAR_S;
  double r = cost_of_capital;
  if (method == TF_TCO_STRAIGHT_LINE || r == 0)
    return capex_usd / n;
  /* 1 - (1 + r)^-n = -expm1(-n log1p(r)): computed directly, the subtraction loses every digit
   * as r -> 0 (at r = 1e-12 the difference is ~6e-12 against 1, so pow leaves ~4 significant
   * digits); with log1p and expm1 the ratio r / (...) stays accurate and tends to 1/n. */
  double discount = -expm1(-n * log1p(r));
  assert(discount > 0);
  return capex_usd * r / discount;
}

/* ---- The breakdown ---- */

/* a / b, NaN when b is 0 (the documented "no such tokens"). */
static double per_or_nan(double a, double b) { return b > 0 ? a / b : NAN; }

int tf_tco_compute(const tf_tco_inputs *in, const tf_tco_usage *use, tf_tco_result *out) {
  assert(in && use && out);
  int rc;
  if ((rc = tf_tco_check(in)) || (rc = usage_check(use)))
    return rc;

  tf_tco_result res = {0};
  double line_year[TF_COST_COUNT_] = {0};
  /* Scales a yearly amount to the window and back: a window's energy is a rate over window_s. */
  const double window_per_year = use->window_s / TF_TCO_YEAR_S;

  if (in->rented) {
    line_year[TF_COST_RENTAL] = in->rental_usd_per_gpu_s * in->gpus * TF_TCO_YEAR_S;
  } else {
    for (int a = 0; a < TF_ASSET_COUNT_; a++) {
      double capex = in->capex_usd[a];
      res.capex_usd += capex;
      if (capex > 0)
        line_year[TF_COST_CAPEX_SYSTEMS + a] =
            tf_tco_capital_charge(capex, in->life_s[a], in->method, in->cost_of_capital);
    }
    double hardware_usd = in->capex_usd[TF_ASSET_SYSTEMS] + in->capex_usd[TF_ASSET_NETWORKING] +
                          in->capex_usd[TF_ASSET_STORAGE];
    line_year[TF_COST_MAINTENANCE] = in->maintenance_per_year * hardware_usd;
    line_year[TF_COST_COLOCATION] =
        in->colocation_usd_per_w_s * in->provisioned_it_w * TF_TCO_YEAR_S;
  }
  if (!in->rented || !in->energy_in_rental)
    line_year[TF_COST_ENERGY] =
        in->electricity_usd_per_j * use->facility_energy_j / window_per_year;
  line_year[TF_COST_STAFF_SOFTWARE] = in->staff_software_usd_per_gpu_s * in->gpus * TF_TCO_YEAR_S;

  for (int c = 0; c < TF_COST_COUNT_; c++) {
    tf_tco_line *l = &res.line[c];
    l->usd_per_year = line_year[c];
    l->usd_window = line_year[c] * window_per_year;
    l->usd_per_mtok_output = per_or_nan(l->usd_window, use->output_tokens) * 1e6;
    res.usd_per_year += l->usd_per_year;
    res.usd_window += l->usd_window;
  }
  for (int c = 0; c < TF_COST_COUNT_; c++)
    res.line[c].share = res.usd_per_year > 0 ? res.line[c].usd_per_year / res.usd_per_year : 0;
  res.usd_horizon = res.usd_per_year * (in->horizon_s / TF_TCO_YEAR_S);

  /* Allocation. Every rule splits usd_window into an input and an output part that add up to it
   * (where the token counts are nonzero); GPU_TIME without any GPU time is BLENDED. */
  const double total = res.usd_window;
  const double tokens = use->input_tokens + use->output_tokens;
  const double gpu_s = use->prefill_gpu_s + use->decode_gpu_s;
  tf_tco_allocation rule = in->allocation;
  if (rule == TF_ALLOC_GPU_TIME && !(gpu_s > 0))
    rule = TF_ALLOC_BLENDED;
  res.usd_per_mtok_all = per_or_nan(total, tokens) * 1e6;
  switch (rule) {
  case TF_ALLOC_OUTPUT:
    res.input_share = 0;
    res.usd_per_mtok_input = 0;
    res.usd_per_mtok_output = per_or_nan(total, use->output_tokens) * 1e6;
    break;
  case TF_ALLOC_GPU_TIME:
    res.input_share = use->prefill_gpu_s / gpu_s;
    res.usd_per_mtok_input = per_or_nan(total * res.input_share, use->input_tokens) * 1e6;
    res.usd_per_mtok_output =
        per_or_nan(total * (1 - res.input_share), use->output_tokens) * 1e6;
    break;
  case TF_ALLOC_BLENDED:
  default:
    res.input_share = tokens > 0 ? use->input_tokens / tokens : 0;
    res.usd_per_mtok_input = res.usd_per_mtok_all;
    res.usd_per_mtok_output = res.usd_per_mtok_all;
    break;
  }
  res.usd_per_mtok_goodput = per_or_nan(total, use->goodput_output_tokens) * 1e6;
  res.usd_per_gpu_hour = res.usd_per_year / (in->gpus * YEAR_H);

  /* Projections: the window's rate holds all year. */
  res.output_tokens_per_year = use->output_tokens / window_per_year;
  res.input_tokens_per_year = use->input_tokens / window_per_year;
  if (in->has_prices) {
    double uncached = use->input_tokens - use->input_cached_tokens;
    res.revenue_usd_window = uncached * in->price_input_usd +
                             use->input_cached_tokens * in->price_input_cached_usd +
                             use->output_tokens * in->price_output_usd;
    res.revenue_usd_per_year = res.revenue_usd_window / window_per_year;
    res.margin_usd_per_year = res.revenue_usd_per_year - res.usd_per_year;
  }
  res.margin_share = per_or_nan(res.margin_usd_per_year, res.revenue_usd_per_year);

  /* Finite inputs can still overflow (a 1e300 USD capex, a 1e-300 s window). */
  if (!(isfinite(res.usd_per_year) && isfinite(res.usd_horizon) &&
        isfinite(res.revenue_usd_per_year) && isfinite(res.output_tokens_per_year) &&
        isfinite(res.input_tokens_per_year)))
    return TF_FAIL(TF_ERANGE, "tco: costs, revenue or token projections overflow");
  *out = res;
  return 0;
}
