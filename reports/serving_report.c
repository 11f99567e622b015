/* Terminal summary of a serving run. */
#include "serving_report.h"

#include <inttypes.h>
#include <math.h>

static void throughput_row(FILE *f, const char *name, const tf_serving_class_result *c) {
  fprintf(f, "  %-14s %10.4g %12.6g %12.6g %12.4g %12.6g %10" PRIu64 " %9" PRIu64 "\n", name,
          c->requests_per_s, c->input_tokens_per_s, c->output_tokens_per_s,
          c->goodput_requests_per_s, c->goodput_tokens_per_s, c->completed, c->preemptions);
}

static void latency_row(FILE *f, const char *name, const char *what, const tf_serving_latency *l) {
  if (l->count == 0) {
    fprintf(f, "  %-14s %-9s %10s\n", name, what, "-");
    return;
  }
  fprintf(f, "  %-14s %-9s %10.4g %10.4g %10.4g %10.4g %10.4g %10.4g\n", name, what, l->mean,
          l->p50, l->p90, l->p99, l->p999, l->max);
}

static void latency_rows(FILE *f, const char *name, const tf_serving_class_result *c) {
  latency_row(f, name, "TTFT", &c->ttft);
  latency_row(f, "", "TPOT", &c->tpot);
  latency_row(f, "", "E2E", &c->e2e);
  latency_row(f, "", "queueing", &c->queueing);
}

void tf_serving_report_print(FILE *f, const tf_serving_config *cfg, const tf_serving_result *r) {
  fprintf(f, "\nthroughput over the %.6g s window (requests arriving after the warm-up)\n",
          r->window_s);
  fprintf(f, "  %-14s %10s %12s %12s %12s %12s %10s %9s\n", "class", "req/s", "input tok/s",
          "output tok/s", "good req/s", "good tok/s", "completed", "preempted");
  for (size_t i = 0; i < r->n_classes; i++)
    throughput_row(f, cfg->classes[i].name, &r->per_class[i]);
  if (r->n_classes > 1)
    throughput_row(f, "all", &r->total);

  fprintf(f, "\nlatency (s)                  %10s %10s %10s %10s %10s %10s\n", "mean", "p50", "p90",
          "p99", "p99.9", "max");
  for (size_t i = 0; i < r->n_classes; i++) {
    const tf_serving_class *c = &cfg->classes[i];
    latency_rows(f, c->name, &r->per_class[i]);
    if (c->slo_ttft_s > 0 || c->slo_tpot_s > 0) {
      const tf_serving_class_result *k = &r->per_class[i];
      fprintf(f, "  %-14s SLO (TTFT <= %g s, TPOT <= %g s) met by %.4g%% of completed requests\n",
              "", c->slo_ttft_s, c->slo_tpot_s,
              k->completed ? 100.0 * (double)k->slo_met / (double)k->completed : 0.0);
    }
  }
  if (r->n_classes > 1)
    latency_rows(f, "all", &r->total);

  fprintf(f, "\nfleet      busy %.4g, KV cache in use %.4g (time averages over replicas)\n",
          r->busy_fraction, r->kv_utilisation);
  if (cfg->disaggregated)
    fprintf(f, "           prefill pool busy %.4g, KV %.4g; decode pool busy %.4g, KV %.4g; "
               "%" PRIu64 " KV transfers\n",
            r->pool_busy_fraction[0], r->pool_kv_utilisation[0], r->pool_busy_fraction[1],
            r->pool_kv_utilisation[1], r->kv_transfers);
  fprintf(f, "           requests in the system %.4g on average, waiting %.4g; arrived %" PRIu64
             ", rejected (larger than a KV cache) %" PRIu64 "\n",
          r->mean_in_system, r->mean_waiting, r->total.arrivals, r->total.rejected);
  fprintf(f, "           %" PRIu64 " forward passes in %" PRIu64 " step events (%.3g per event)\n",
          r->iterations, r->runs, r->runs ? (double)r->iterations / (double)r->runs : 0.0);
  if (!cfg->power_profile)
    return;
  char peak[64] = " (the mean: no time series)";
  if (r->n_series)
    snprintf(peak, sizeof peak, " (highest %.4g s mean)", (double)cfg->series_interval_ns * 1e-9);
  fprintf(f, "\npower      IT %.4g kW mean, %.4g kW peak%s; facility %.4g kW mean ",
          r->it_power_mean_w * 1e-3, r->it_power_peak_w * 1e-3, peak,
          r->facility_power_mean_w * 1e-3);
  if (cfg->pue_model && tf_pue_varies(cfg->pue_model))
    fprintf(f, "at PUE %.4g on average (facility / IT energy; %g at full load)\n",
            r->it_energy_j > 0 ? r->facility_energy_j / r->it_energy_j : 0.0,
            cfg->pue_model->at_full_load);
  else
    fprintf(f, "at PUE %g\n",
            cfg->pue_model ? cfg->pue_model->at_full_load : cfg->pue > 0 ? cfg->pue : 1.0);
  fprintf(f, "           nameplate %.4g kW (every GPU at TDP, hosts at full power)",
          r->full_power_it_w * 1e-3);
  if (cfg->it_envelope_w > 0)
    fprintf(f, "; IT envelope %.4g kW: %.4g%% used on average, nameplate %.4g%% of it",
            cfg->it_envelope_w * 1e-3, 100 * r->it_power_mean_w / cfg->it_envelope_w,
            100 * r->full_power_it_w / cfg->it_envelope_w);
  fputc('\n', f);
  fprintf(f, "           GPU power cap: policy %s", tf_power_cap_policy_name(cfg->cap_policy));
  if (cfg->system_limit_w > 0)
    fprintf(f, ", system power limit %.4g kW", cfg->system_limit_w * 1e-3);
  if (isinf(r->gpu_cap_w))
    fprintf(f, "%s\n", cfg->cap_policy != TF_CAP_NONE || cfg->system_limit_w > 0
                           ? " (not binding)"
                           : "");
  else if (cfg->cap_policy == TF_CAP_DYNAMIC)
    fprintf(f, ": %.4g W per GPU while every GPU steps at full power, moved to the GPUs that "
               "need it every %.4g s (%llu changes); %.4g%% of stepping time capped, mean clock "
               "%.4g\n",
            r->gpu_cap_w, (double)cfg->cap_period_ns * 1e-9, (unsigned long long)r->cap_changes,
            100 * r->capped_fraction, r->mean_clock);
  else
    fprintf(f, ": %.4g W per GPU; %.4g%% of stepping time capped, mean clock %.4g\n",
            r->gpu_cap_w, 100 * r->capped_fraction, r->mean_clock);
  fprintf(f, "energy     %.4g MWh IT over the window; %.4g J per output token; %.4g output "
             "tokens/s per MW of IT power, %.4g per MW of facility power\n",
          r->it_energy_j / 3.6e9, r->joules_per_output_token, r->output_tokens_per_s_per_mw_it,
          r->output_tokens_per_s_per_mw_facility);
}

static double slo_share(const tf_serving_class_result *c) {
  return c->completed ? 100.0 * (double)c->slo_met / (double)c->completed : 0.0;
}

void tf_serving_report_failures(FILE *f, const tf_serving_result *r, const tf_serving_result *base) {
  fprintf(f, "\nfailures   availability %.5g; %" PRIu64 " failures, %" PRIu64
             " requests retried, %" PRId64 " tokens of work lost, %" PRId64
             " requests waiting for a replica at the end\n",
          r->availability, r->failures, r->requests_retried, r->tokens_lost, r->requests_orphaned);
  if (r->reconfigurations > 0)
    fprintf(f, "           degraded layout %.4g%% of replica time (of the %.4g%% serving); %" PRIu64
               " restarts into it or back\n",
            100 * r->degraded_fraction, 100 * r->availability, r->reconfigurations);
  fprintf(f, "           with failures: %.6g output tok/s, SLO met by %.4g%%, TTFT p99 %.4g s; "
             "without: %.6g output tok/s, SLO met by %.4g%%, TTFT p99 %.4g s\n",
          r->total.output_tokens_per_s, slo_share(&r->total), r->total.ttft.p99,
          base->total.output_tokens_per_s, slo_share(&base->total), base->total.ttft.p99);
}

void tf_serving_report_series(FILE *f, const tf_serving_result *r) {
  if (r->n_series == 0)
    return;
  fprintf(f, "\ntime series (from the end of the warm-up)\n");
  fprintf(f, "  %10s %9s %9s %13s %9s %9s %7s %10s\n", "start (s)", "arrivals", "completed",
          "output tokens", "waiting", "in system", "busy", "IT kW");
  for (size_t k = 0; k < r->n_series; k++) {
    const tf_serving_interval *s = &r->series[k];
    fprintf(f, "  %10.6g %9" PRIu64 " %9" PRIu64 " %13.0f %9" PRId64 " %9" PRId64 " %7.4f %10.4g\n",
            s->start_s, s->arrivals, s->completed, s->output_tokens, s->waiting, s->in_system,
            s->busy_fraction, s->it_power_w * 1e-3);
  }
}

/* Money as people read it: "3.45 M USD", "512 k USD", "0.61 USD". */
static const char *money(double usd, char *buf, size_t size) {
  static const struct {
    double scale;
    const char *prefix;
  } steps[] = {{1e9, "B "}, {1e6, "M "}, {1e3, "k "}};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (fabs(usd) >= steps[i].scale) {
      snprintf(buf, size, "%.4g %sUSD", usd / steps[i].scale, steps[i].prefix);
      return buf;
    }
  snprintf(buf, size, "%.4g USD", usd);
  return buf;
}

void tf_serving_report_costs(FILE *f, const tf_tco_inputs *in, const tf_tco_result *r) {
  char a[32], b[32], c[32];
  if (in->rented)
    fprintf(f, "\ncost       rented: %.6g GPUs at %.4g USD/GPU-hour%s\n", in->gpus,
            in->rental_usd_per_gpu_s * 3600,
            in->energy_in_rental ? ", power included" : ", power billed on top");
  else
    fprintf(f, "\ncost       owned: capex %s over %.3g y (%s), %.6g GPUs, %.4g MW IT "
               "provisioned\n",
            money(r->capex_usd, a, sizeof a), in->life_s[TF_ASSET_SYSTEMS] / TF_TCO_YEAR_S,
            tf_tco_method_name(in->method), in->gpus, in->provisioned_it_w * 1e-6);
  fprintf(f, "           %s a year (%s over the %.3g y horizon), %.4g USD per GPU-hour all in\n",
          money(r->usd_per_year, a, sizeof a), money(r->usd_horizon, b, sizeof b),
          in->horizon_s / TF_TCO_YEAR_S, r->usd_per_gpu_hour);
  fprintf(f, "  %-18s %14s %8s %16s\n", "component", "per year", "share", "per M output tok");
  for (int k = 0; k < TF_COST_COUNT_; k++) {
    const tf_tco_line *l = &r->line[k];
    if (l->usd_per_year == 0)
      continue;
    fprintf(f, "  %-18s %14s %7.3g%% %12.4g USD\n", tf_tco_component_name((tf_tco_component)k),
            money(l->usd_per_year, a, sizeof a), 100 * l->share, l->usd_per_mtok_output);
  }
  fprintf(f, "per M tok  input %.4g USD, output %.4g USD (allocation %s); all tokens alike %.4g "
             "USD; output within SLO, all cost on it, %.4g USD\n",
          r->usd_per_mtok_input, r->usd_per_mtok_output, tf_tco_allocation_name(in->allocation),
          r->usd_per_mtok_all, r->usd_per_mtok_goodput);
  fprintf(f, "           %.4g trillion output tokens a year if the window's rate held all year\n",
          r->output_tokens_per_year * 1e-12);
  if (in->has_prices)
    fprintf(f, "revenue    %s a year at the token prices, margin %s (%.3g%% of revenue)\n",
            money(r->revenue_usd_per_year, a, sizeof a), money(r->margin_usd_per_year, c, sizeof c),
            100 * r->margin_share);
}
