/* A serving run as result tables, and its binding constraint (record.h). Column names are part
 * of tokenfab's interface: docs/RESULTS.md lists them; rename none. */
#include "record.h"

#include <math.h>
#include <stdio.h>

#include "error.h"

/* ---- the binding constraint ---- */

/* The rule's thresholds are conventions of the report, not physical constants: a factory whose
 * clocks were lowered for 5% of its stepping time is visibly power-limited; a KV cache 90% full
 * on average has no room for bursts; 95% is the SLO attainment below which a service is usually
 * judged to miss its targets; p99 latencies under 80% of their targets (or, without targets,
 * fewer than 5% of the requests in the system waiting) leave room for more traffic. */
#define CAPPED_BINDS 0.05
#define KV_BINDS 0.90
#define PREEMPTIONS_BIND 0.01 /* preemptions per completed request */
#define SLO_TARGET 0.95
#define LATENCY_HEADROOM 0.80
#define WAITING_HEADROOM 0.05

const char *tf_binding_name(tf_binding b) {
  static const char *const names[TF_BINDING_COUNT_] = {
      "power", "kv_capacity", "slo", "demand", "compute", "hbm", "interconnect", "overhead"};
  return (unsigned)b < TF_BINDING_COUNT_ ? names[b] : "unknown";
}

static double slo_attainment(const tf_serving_class_result *c) {
  return c->completed ? (double)c->slo_met / (double)c->completed : NAN;
}

static tf_binding step_binding(const tf_serving_result *r, double *share) {
  double total = 0;
  int best = TF_BOUND_COMPUTE;
  for (int b = 0; b < TF_BOUND_NONE; b++) {
    total += r->bound_gpu_s[b];
    if (r->bound_gpu_s[b] > r->bound_gpu_s[best])
      best = b;
  }
  *share = total > 0 ? r->bound_gpu_s[best] / total : 0;
  switch ((tf_perf_bound)best) {
  case TF_BOUND_COMPUTE: return TF_BINDING_COMPUTE;
  case TF_BOUND_HBM: return TF_BINDING_HBM;
  case TF_BOUND_SCALE_UP:
  case TF_BOUND_SCALE_OUT: return TF_BINDING_INTERCONNECT;
  default: return TF_BINDING_OVERHEAD;
  }
}

/* The highest p99 TTFT or TPOT over its target across the classes with targets; 0 when none
 * has a target (or a completed request). */
static double worst_latency_ratio(const tf_serving_config *cfg, const tf_serving_result *r) {
  double worst = 0;
  for (size_t i = 0; i < r->n_classes; i++) {
    const tf_serving_class *c = &cfg->classes[i];
    const tf_serving_class_result *k = &r->per_class[i];
    if (c->slo_ttft_s > 0 && k->ttft.count > 0)
      worst = fmax(worst, k->ttft.p99 / c->slo_ttft_s);
    if (c->slo_tpot_s > 0 && k->tpot.count > 0)
      worst = fmax(worst, k->tpot.p99 / c->slo_tpot_s);
  }
  return worst;
}

tf_binding tf_binding_of(const tf_serving_config *cfg, const tf_serving_result *r, char *why,
                         size_t why_size) {
  const tf_serving_class_result *t = &r->total;
  double preempt = t->completed ? (double)t->preemptions / (double)t->completed : 0;
  double slo = slo_attainment(t);
  if (cfg->power_profile && r->capped_fraction >= CAPPED_BINDS) {
    snprintf(why, why_size, "power caps lowered GPU clocks for %.3g%% of stepping time (mean "
             "clock %.3g of boost)", 100 * r->capped_fraction, r->mean_clock);
    return TF_BINDING_POWER;
  }
  if (r->kv_utilisation >= KV_BINDS || preempt > PREEMPTIONS_BIND || t->rejected > 0) {
    snprintf(why, why_size, "KV cache %.3g%% full on average, %.3g preemptions per completed "
             "request, %llu rejected", 100 * r->kv_utilisation, preempt,
             (unsigned long long)t->rejected);
    return TF_BINDING_KV;
  }
  if (isfinite(slo) && slo < SLO_TARGET) {
    snprintf(why, why_size, "%.3g%% of requests meet their SLO", 100 * slo);
    return TF_BINDING_SLO;
  }
  double worst = worst_latency_ratio(cfg, r);
  bool room = worst > 0 ? worst < LATENCY_HEADROOM
                        : r->mean_in_system > 0 && r->mean_waiting / r->mean_in_system <
                                                       WAITING_HEADROOM;
  if (room) {
    if (worst > 0)
      snprintf(why, why_size, "p99 latencies at most %.3g%% of their SLO targets, KV cache "
               "%.3g%% full: the fleet can serve more traffic", 100 * worst,
               100 * r->kv_utilisation);
    else
      snprintf(why, why_size, "%.3g%% of the requests in the system wait, KV cache %.3g%% full: "
               "the fleet can serve more traffic",
               100 * r->mean_waiting / r->mean_in_system, 100 * r->kv_utilisation);
    return TF_BINDING_DEMAND;
  }
  double share;
  tf_binding b = step_binding(r, &share);
  snprintf(why, why_size, "latencies near their targets; %.3g%% of GPU stepping time is %s-bound",
           100 * share, tf_binding_name(b));
  return b;
}

/* ---- tables ---- */

#define SUMMARY_ENUM(name, unit) S_##name,
#define COLUMN_DEF(name, unit) {#name, unit},

#define SUMMARY_COLUMNS(X)                                                                   \
  X(window_s, "s") X(gpus, "1") X(replicas, "1") X(requests_per_s, "1/s")                    \
  X(input_tokens_per_s, "1/s") X(output_tokens_per_s, "1/s") X(goodput_requests_per_s, "1/s") \
  X(goodput_output_tokens_per_s, "1/s") X(slo_attainment, "1") X(ttft_p50_s, "s")           \
  X(ttft_p99_s, "s") X(tpot_p50_s, "s") X(tpot_p99_s, "s") X(e2e_p50_s, "s") X(e2e_p99_s, "s") \
  X(completed, "1") X(rejected, "1") X(preemptions, "1") X(busy_fraction, "1")               \
  X(kv_utilisation, "1") X(prefill_gpu_s, "s") X(decode_gpu_s, "s")                          \
  X(it_power_avg_mw, "MW") X(it_power_peak_mw, "MW") X(facility_power_avg_mw, "MW")         \
  X(it_envelope_mw, "MW") X(nameplate_it_mw, "MW") X(it_energy_mwh, "MWh")                   \
  X(facility_energy_mwh, "MWh") X(joules_per_output_token, "J")                             \
  X(output_tokens_per_s_per_mw_it, "1/(s MW)") X(output_tokens_per_s_per_mw_facility, "1/(s MW)") \
  X(capped_fraction, "1") X(mean_clock, "1") X(availability, "1") X(degraded_fraction, "1")  \
  X(reconfigurations, "1") X(failures, "1")                                                 \
  X(requests_retried, "1") X(tokens_lost, "1") X(output_tokens_per_s_no_failures, "1/s")    \
  X(slo_attainment_no_failures, "1") X(binding_constraint, "") X(allocation, "")            \
  X(tco_per_year_usd, "USD") X(cost_window_usd, "USD") X(cost_horizon_usd, "USD")           \
  X(horizon_y, "y") X(capex_usd, "USD") X(cost_per_mtok_in_usd, "USD")                      \
  X(cost_per_mtok_out_usd, "USD") X(cost_per_mtok_all_usd, "USD")                           \
  X(cost_per_mtok_goodput_usd, "USD") X(cost_per_gpu_hour_usd, "USD")                       \
  X(output_tokens_per_year, "1") X(revenue_per_year_usd, "USD") X(margin_per_year_usd, "USD") \
  X(margin_share, "1") X(output_tokens_per_s_per_user, "1/s")

#define CLASS_COLUMNS(X)                                                                     \
  X(class, "") X(requests_per_s, "1/s") X(input_tokens_per_s, "1/s")                        \
  X(output_tokens_per_s, "1/s") X(goodput_requests_per_s, "1/s")                             \
  X(goodput_output_tokens_per_s, "1/s") X(slo_attainment, "1") X(completed, "1")             \
  X(preemptions, "1") X(rejected, "1") X(ttft_mean_s, "s") X(ttft_p50_s, "s")              \
  X(ttft_p90_s, "s") X(ttft_p99_s, "s") X(tpot_mean_s, "s") X(tpot_p50_s, "s")             \
  X(tpot_p90_s, "s") X(tpot_p99_s, "s") X(e2e_mean_s, "s") X(e2e_p50_s, "s")               \
  X(e2e_p99_s, "s") X(queueing_p99_s, "s") X(slo_ttft_s, "s") X(slo_tpot_s, "s")

#define SERIES_COLUMNS(X)                                                                    \
  X(t_s, "s") X(arrivals, "1") X(completed, "1") X(output_tokens_per_s, "1/s")              \
  X(waiting, "1") X(in_system, "1") X(busy_fraction, "1") X(it_power_mw, "MW")              \
  X(facility_power_mw, "MW")

#define COST_COLUMNS(X)                                                                      \
  X(component, "") X(usd_per_year, "USD") X(usd_window, "USD") X(share, "1")                \
  X(cost_per_mtok_out_usd, "USD")

enum { SUMMARY_COLUMNS(SUMMARY_ENUM) N_SUMMARY };
static const tf_column summary_cols[] = {SUMMARY_COLUMNS(COLUMN_DEF)};
#define CLASS_ENUM(name, unit) C_##name,
#define SERIES_ENUM(name, unit) T_##name,
#define COST_ENUM(name, unit) K_##name,
enum { CLASS_COLUMNS(CLASS_ENUM) N_CLASS };
enum { SERIES_COLUMNS(SERIES_ENUM) N_SERIES };
enum { COST_COLUMNS(COST_ENUM) N_COST };
static const tf_column class_cols[] = {CLASS_COLUMNS(COLUMN_DEF)};
static const tf_column series_cols[] = {SERIES_COLUMNS(COLUMN_DEF)};
static const tf_column cost_cols[] = {COST_COLUMNS(COLUMN_DEF)};

/* A real cell, NULL when the value is not finite. */
static void real(tf_cell *c, double v) {
  if (isfinite(v))
    tf_cell_set_real(c, v);
}

static void count(tf_cell *c, uint64_t v) { tf_cell_set_int(c, (int64_t)v); }

static void latency(tf_cell *c, const tf_serving_latency *l, double v) {
  if (l->count > 0)
    real(c, v);
}

static void fill_class(tf_cell *row, const tf_serving_class_result *k) {
  real(&row[C_requests_per_s], k->requests_per_s);
  real(&row[C_input_tokens_per_s], k->input_tokens_per_s);
  real(&row[C_output_tokens_per_s], k->output_tokens_per_s);
  real(&row[C_goodput_requests_per_s], k->goodput_requests_per_s);
  real(&row[C_goodput_output_tokens_per_s], k->goodput_tokens_per_s);
  real(&row[C_slo_attainment], slo_attainment(k));
  count(&row[C_completed], k->completed);
  count(&row[C_preemptions], k->preemptions);
  count(&row[C_rejected], k->rejected);
  latency(&row[C_ttft_mean_s], &k->ttft, k->ttft.mean);
  latency(&row[C_ttft_p50_s], &k->ttft, k->ttft.p50);
  latency(&row[C_ttft_p90_s], &k->ttft, k->ttft.p90);
  latency(&row[C_ttft_p99_s], &k->ttft, k->ttft.p99);
  latency(&row[C_tpot_mean_s], &k->tpot, k->tpot.mean);
  latency(&row[C_tpot_p50_s], &k->tpot, k->tpot.p50);
  latency(&row[C_tpot_p90_s], &k->tpot, k->tpot.p90);
  latency(&row[C_tpot_p99_s], &k->tpot, k->tpot.p99);
  latency(&row[C_e2e_mean_s], &k->e2e, k->e2e.mean);
  latency(&row[C_e2e_p50_s], &k->e2e, k->e2e.p50);
  latency(&row[C_e2e_p99_s], &k->e2e, k->e2e.p99);
  latency(&row[C_queueing_p99_s], &k->queueing, k->queueing.p99);
}

static int classes_table(tf_table *t, const tf_serving_config *cfg, const tf_serving_result *r) {
  for (size_t i = 0; i < r->n_classes; i++) {
    tf_cell *row = tf_table_add_row(t);
    if (!row || tf_cell_set_text(&row[C_class], cfg->classes[i].name))
      return TF_FAIL(TF_ENOMEM, "classes table");
    fill_class(row, &r->per_class[i]);
    if (cfg->classes[i].slo_ttft_s > 0)
      real(&row[C_slo_ttft_s], cfg->classes[i].slo_ttft_s);
    if (cfg->classes[i].slo_tpot_s > 0)
      real(&row[C_slo_tpot_s], cfg->classes[i].slo_tpot_s);
  }
  return 0;
}

static int series_table(tf_table *t, const tf_serving_config *cfg, const tf_serving_result *r) {
  for (size_t i = 0; i < r->n_series; i++) {
    const tf_serving_interval *iv = &r->series[i];
    tf_cell *row = tf_table_add_row(t);
    if (!row)
      return TF_FAIL(TF_ENOMEM, "series table");
    /* The last interval may be cut short by the end of the run. */
    double end = (double)cfg->warmup_ns * 1e-9 + r->window_s;
    double len = fmin((double)cfg->series_interval_ns * 1e-9, end - iv->start_s);
    real(&row[T_t_s], iv->start_s);
    count(&row[T_arrivals], iv->arrivals);
    count(&row[T_completed], iv->completed);
    real(&row[T_output_tokens_per_s], len > 0 ? iv->output_tokens / len : NAN);
    tf_cell_set_int(&row[T_waiting], iv->waiting);
    tf_cell_set_int(&row[T_in_system], iv->in_system);
    real(&row[T_busy_fraction], iv->busy_fraction);
    if (cfg->power_profile) {
      real(&row[T_it_power_mw], iv->it_power_w * 1e-6);
      real(&row[T_facility_power_mw], iv->facility_power_w * 1e-6);
    }
  }
  return 0;
}

static int costs_table(tf_table *t, const tf_tco_result *tco) {
  if (!tco)
    return 0;
  double per_mtok_sum = 0; /* the total row's: every line's cost over output tokens, summed */
  for (int c = 0; c <= TF_COST_COUNT_; c++) {
    bool total = c == TF_COST_COUNT_;
    const tf_tco_line *l = total ? NULL : &tco->line[c];
    if (l && l->usd_per_year == 0)
      continue;
    tf_cell *row = tf_table_add_row(t);
    if (!row ||
        tf_cell_set_text(&row[K_component],
                         total ? "total" : tf_tco_component_name((tf_tco_component)c)))
      return TF_FAIL(TF_ENOMEM, "costs table");
    real(&row[K_usd_per_year], total ? tco->usd_per_year : l->usd_per_year);
    real(&row[K_usd_window], total ? tco->usd_window : l->usd_window);
    real(&row[K_share], total ? 1.0 : l->share);
    real(&row[K_cost_per_mtok_out_usd], total ? per_mtok_sum : l->usd_per_mtok_output);
    if (l)
      per_mtok_sum += l->usd_per_mtok_output;
  }
  return 0;
}

static void fill_power(tf_cell *row, const tf_serving_config *cfg, const tf_serving_result *r) {
  if (!cfg->power_profile)
    return;
  real(&row[S_it_power_avg_mw], r->it_power_mean_w * 1e-6);
  real(&row[S_it_power_peak_mw], r->it_power_peak_w * 1e-6);
  real(&row[S_facility_power_avg_mw], r->facility_power_mean_w * 1e-6);
  if (cfg->it_envelope_w > 0)
    real(&row[S_it_envelope_mw], cfg->it_envelope_w * 1e-6);
  real(&row[S_nameplate_it_mw], r->full_power_it_w * 1e-6);
  real(&row[S_it_energy_mwh], r->it_energy_j / 3.6e9);
  real(&row[S_facility_energy_mwh], r->facility_energy_j / 3.6e9);
  real(&row[S_joules_per_output_token], r->joules_per_output_token);
  real(&row[S_output_tokens_per_s_per_mw_it], r->output_tokens_per_s_per_mw_it);
  real(&row[S_output_tokens_per_s_per_mw_facility], r->output_tokens_per_s_per_mw_facility);
  real(&row[S_capped_fraction], r->capped_fraction);
  real(&row[S_mean_clock], r->mean_clock);
}

static int fill_costs(tf_cell *row, const tf_tco_inputs *in, const tf_tco_result *tco) {
  if (!tco)
    return 0;
  if (tf_cell_set_text(&row[S_allocation], tf_tco_allocation_name(in->allocation)))
    return TF_FAIL(TF_ENOMEM, "summary table");
  real(&row[S_tco_per_year_usd], tco->usd_per_year);
  real(&row[S_cost_window_usd], tco->usd_window);
  real(&row[S_cost_horizon_usd], tco->usd_horizon);
  real(&row[S_horizon_y], in->horizon_s / TF_TCO_YEAR_S);
  if (!in->rented)
    real(&row[S_capex_usd], tco->capex_usd);
  real(&row[S_cost_per_mtok_in_usd], tco->usd_per_mtok_input);
  real(&row[S_cost_per_mtok_out_usd], tco->usd_per_mtok_output);
  real(&row[S_cost_per_mtok_all_usd], tco->usd_per_mtok_all);
  real(&row[S_cost_per_mtok_goodput_usd], tco->usd_per_mtok_goodput);
  real(&row[S_cost_per_gpu_hour_usd], tco->usd_per_gpu_hour);
  real(&row[S_output_tokens_per_year], tco->output_tokens_per_year);
  if (in->has_prices) {
    real(&row[S_revenue_per_year_usd], tco->revenue_usd_per_year);
    real(&row[S_margin_per_year_usd], tco->margin_usd_per_year);
    real(&row[S_margin_share], tco->margin_share);
  }
  return 0;
}

static int summary_table(tf_table *t, const tf_serving_config *cfg, const tf_serving_result *r,
                         const tf_serving_result *base, const tf_tco_inputs *tco_in,
                         const tf_tco_result *tco, double n_gpus) {
  tf_cell *row = tf_table_add_row(t);
  if (!row)
    return TF_FAIL(TF_ENOMEM, "summary table");
  const tf_serving_class_result *k = &r->total;
  real(&row[S_window_s], r->window_s);
  real(&row[S_gpus], n_gpus);
  tf_cell_set_int(&row[S_replicas],
                  cfg->pool.replicas + (cfg->disaggregated ? cfg->decode_pool.replicas : 0));
  real(&row[S_requests_per_s], k->requests_per_s);
  real(&row[S_input_tokens_per_s], k->input_tokens_per_s);
  real(&row[S_output_tokens_per_s], k->output_tokens_per_s);
  real(&row[S_goodput_requests_per_s], k->goodput_requests_per_s);
  real(&row[S_goodput_output_tokens_per_s], k->goodput_tokens_per_s);
  real(&row[S_slo_attainment], slo_attainment(k));
  latency(&row[S_ttft_p50_s], &k->ttft, k->ttft.p50);
  latency(&row[S_ttft_p99_s], &k->ttft, k->ttft.p99);
  latency(&row[S_tpot_p50_s], &k->tpot, k->tpot.p50);
  latency(&row[S_tpot_p99_s], &k->tpot, k->tpot.p99);
  latency(&row[S_e2e_p50_s], &k->e2e, k->e2e.p50);
  latency(&row[S_e2e_p99_s], &k->e2e, k->e2e.p99);
  count(&row[S_completed], k->completed);
  count(&row[S_rejected], k->rejected);
  count(&row[S_preemptions], k->preemptions);
  real(&row[S_busy_fraction], r->busy_fraction);
  real(&row[S_kv_utilisation], r->kv_utilisation);
  real(&row[S_prefill_gpu_s], r->prefill_gpu_s);
  real(&row[S_decode_gpu_s], r->decode_gpu_s);
  /* Interactivity: the tokens a second one user sees while being served, 1 / mean TPOT. */
  if (k->tpot.count > 0 && k->tpot.mean > 0)
    real(&row[S_output_tokens_per_s_per_user], 1 / k->tpot.mean);
  fill_power(row, cfg, r);
  real(&row[S_availability], r->availability);
  if (cfg->pool.degraded_kv_tokens > 0) { /* a degraded layout was configured */
    real(&row[S_degraded_fraction], r->degraded_fraction);
    count(&row[S_reconfigurations], r->reconfigurations);
  }
  count(&row[S_failures], r->failures);
  count(&row[S_requests_retried], r->requests_retried);
  tf_cell_set_int(&row[S_tokens_lost], r->tokens_lost);
  if (base) {
    real(&row[S_output_tokens_per_s_no_failures], base->total.output_tokens_per_s);
    real(&row[S_slo_attainment_no_failures], slo_attainment(&base->total));
  }
  char why[256];
  if (tf_cell_set_text(&row[S_binding_constraint],
                       tf_binding_name(tf_binding_of(cfg, r, why, sizeof why))))
    return TF_FAIL(TF_ENOMEM, "summary table");
  return fill_costs(row, tco_in, tco);
}

int tf_record_serving(tf_run_record *rec, const tf_serving_config *cfg, const tf_serving_result *r,
                      const tf_serving_result *base, const tf_tco_inputs *tco_in,
                      const tf_tco_result *tco, double gpus) {
  tf_table_init(&rec->summary, "summary", summary_cols, N_SUMMARY);
  tf_table_init(&rec->classes, "classes", class_cols, N_CLASS);
  tf_table_init(&rec->series, "series", series_cols, N_SERIES);
  tf_table_init(&rec->costs, "costs", cost_cols, N_COST);
  int rc = summary_table(&rec->summary, cfg, r, base, tco_in, tco, gpus);
  if (rc == 0)
    rc = classes_table(&rec->classes, cfg, r);
  if (rc == 0)
    rc = series_table(&rec->series, cfg, r);
  if (rc == 0)
    rc = costs_table(&rec->costs, tco);
  if (rc)
    tf_run_record_fini(rec);
  return rc;
}
