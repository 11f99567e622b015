/* tokenfab run on a scenario with a workload: the serving simulation. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "csv_out.h"
#include "error.h"
#include "perf.h"
#include "record.h"
#include "scenario.h"
#include "serving.h"
#include "serving_report.h"
#include "sha256.h"
#include "store.h"
#include "tco.h"
#include "traffic.h"
#include "units.h"

/* A scenario class as the simulation's request source. */
typedef struct class_source {
  const tf_scenario_class *c;
  tf_traffic_state st;
  bool started;
} class_source;

static int class_next(void *ctx, gsl_rng *r, int64_t now_ns, int64_t *at, int64_t *in,
                      int64_t *out) {
  class_source *s = ctx;
  const tf_scenario_class *c = s->c;
  (void)now_ns;
  if (!s->started) {
    tf_traffic_state_init(&s->st, &c->arrivals, 0);
    s->started = true;
  }
  int rc = tf_traffic_next(&c->arrivals, &s->st, r, at);
  if (rc == TF_ENOTFOUND)
    return 1;
  if (rc)
    return rc;
  if (c->lengths_from_trace)
    return tf_traffic_trace_request(c->arrivals.trace, s->st.row, NULL, in, out);
  if ((rc = tf_length_sample(&c->input, r, in)))
    return rc;
  return tf_length_sample(&c->output, r, out);
}

static void describe_lengths(char *buf, size_t size, const tf_length_dist *d) {
  int n;
  switch (d->kind) {
  case TF_LENGTH_FIXED: n = snprintf(buf, size, "%" PRId64, d->value); break;
  case TF_LENGTH_UNIFORM:
    n = snprintf(buf, size, "uniform %" PRId64 "..%" PRId64, d->min, d->max);
    break;
  case TF_LENGTH_LOGNORMAL: n = snprintf(buf, size, "lognormal mean %g cv %g", d->mean, d->cv); break;
  default: n = snprintf(buf, size, "empirical"); break;
  }
  if (d->cap > 0 && n > 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, ", cap %" PRId64, d->cap);
}

static void print_class(FILE *out, const tf_scenario_class *c) {
  const tf_traffic_arrivals *a = &c->arrivals;
  fprintf(out, "class      %s: %s arrivals, %.6g /s on average", c->name, tf_traffic_kind_name(a->kind),
         tf_traffic_mean_rate(a));
  if (a->kind == TF_TRAFFIC_GAMMA)
    fprintf(out, " (cv %g)", a->cv);
  fprintf(out, "\n");
  if (c->lengths_from_trace) {
    fprintf(out, "           lengths from the trace (%zu requests)\n",
           tf_traffic_trace_count(a->trace));
  } else {
    char in[96], gen[96];
    describe_lengths(in, sizeof in, &c->input);
    describe_lengths(gen, sizeof gen, &c->output);
    fprintf(out, "           input %s tokens (mean %.6g), output %s tokens (mean %.6g)\n", in,
           tf_length_mean(&c->input), gen, tf_length_mean(&c->output));
  }
  fprintf(out, "           prefix-cache hits %g%%, router %s", 100 * c->prefix_hit,
         tf_router_policy_name(c->router));
  if (c->slo_ttft_s > 0 || c->slo_tpot_s > 0)
    fprintf(out, ", SLO TTFT %g s and TPOT %g s", c->slo_ttft_s, c->slo_tpot_s);
  fprintf(out, "\n");
}

/* Seconds on a monotonic clock. */
static double wall_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void utc_now(char *buf, size_t size) {
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(buf, size, "unknown");
}

/* The time series kept for the record (and the peak power) when --series sets none: the longest
 * round interval that still cuts the window into at least RECORD_INTERVALS, else window /
 * RECORD_INTERVALS. A presentation choice: enough points for a chart, few enough rows. */
#define RECORD_INTERVALS 50
static int64_t record_series_ns(int64_t window_ns) {
  static const int64_t round_s[] = {86400, 21600, 3600, 1800, 600, 300, 60, 30, 10, 5, 1};
  for (size_t i = 0; i < sizeof round_s / sizeof round_s[0]; i++)
    if (window_ns / (round_s[i] * INT64_C(1000000000)) >= RECORD_INTERVALS)
      return round_s[i] * INT64_C(1000000000);
  return window_ns / RECORD_INTERVALS > 0 ? window_ns / RECORD_INTERVALS : 1;
}

/* The cost side of the scenario's economics for the simulated fleet: the serving hardware item's
 * systems and GPUs (what was bought, busy or not), and the IT power the facility provides for
 * them: their rated power (the catalogue's, else the simulated nameplate), at most the IT
 * envelope. */
static void tco_inputs(const tf_scenario *s, const tf_serving_result *r, double gpus,
                       tf_tco_inputs *in) {
  const tf_scenario_economics *e = &s->economics;
  const tf_scenario_hardware *hw = &s->hardware[s->serving.hardware_index];
  double systems = (double)hw->count;
  double rated = hw->entry && hw->entry->has.power ? systems * hw->entry->power_w
                                                   : r->full_power_it_w;
  double envelope = s->site.present ? s->site.power_w / s->site.pue : 0;
  double provisioned = envelope > 0 && envelope < rated ? envelope : rated;
  *in = (tf_tco_inputs){
      .rented = e->rented,
      .gpus = gpus,
      .rental_usd_per_gpu_s = e->rental_usd_per_gpu_s,
      .energy_in_rental = e->energy_in_price,
      .method = e->method,
      .cost_of_capital = e->cost_of_capital,
      .maintenance_per_year = e->maintenance_per_year,
      .colocation_usd_per_w_s = e->colocation_usd_per_w_s,
      .staff_software_usd_per_gpu_s = e->staff_software_usd_per_gpu_s,
      .electricity_usd_per_j = s->site.electricity_usd_per_j,
      .provisioned_it_w = provisioned,
      .horizon_s = e->horizon_s,
      .allocation = e->allocation,
      .has_prices = e->has_prices,
      .price_input_usd = e->price_input_usd,
      .price_input_cached_usd = e->price_input_cached_usd,
      .price_output_usd = e->price_output_usd,
  };
  if (e->rented)
    return;
  double systems_usd = systems * e->system_price_usd;
  in->capex_usd[TF_ASSET_SYSTEMS] = systems_usd;
  in->capex_usd[TF_ASSET_NETWORKING] =
      e->networking_share > 0 ? e->networking_share * systems_usd : e->networking_per_gpu_usd * gpus;
  in->capex_usd[TF_ASSET_STORAGE] = e->storage_per_gpu_usd * gpus;
  in->capex_usd[TF_ASSET_FACILITY] = e->facility_usd_per_w * provisioned;
  for (int a = TF_ASSET_SYSTEMS; a < TF_ASSET_FACILITY; a++)
    in->life_s[a] = e->life_s;
  in->life_s[TF_ASSET_FACILITY] = e->facility_life_s;
}

/* What the window produced, for the cost model. */
static void tco_usage(const tf_scenario *s, const tf_serving_result *r, tf_tco_usage *u) {
  double w = r->window_s;
  double cached = 0;
  for (size_t i = 0; i < r->n_classes; i++)
    cached += r->per_class[i].input_tokens_per_s * w * s->workload[i].prefix_hit;
  *u = (tf_tco_usage){.window_s = w,
                      .facility_energy_j = r->facility_energy_j,
                      .input_tokens = r->total.input_tokens_per_s * w,
                      .input_cached_tokens = cached,
                      .output_tokens = r->total.output_tokens_per_s * w,
                      .goodput_output_tokens = r->total.goodput_tokens_per_s * w,
                      .prefill_gpu_s = r->prefill_gpu_s,
                      .decode_gpu_s = r->decode_gpu_s};
}

/* Joins the --set texts one per line for the record. NULL when out of memory. */
static char *join_sets(const tf_cli_run_opts *o) {
  size_t n = 1;
  for (size_t i = 0; i < o->n_sets; i++)
    n += strlen(o->sets[i]) + 1;
  char *out = malloc(n), *p = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i < o->n_sets; i++)
    p += sprintf(p, "%s%s", i ? "\n" : "", o->sets[i]);
  *p = '\0';
  return out;
}

/* Writes the record to the results database (unless --no-db) and the CSV folder (with --csv).
 * Messages go to stderr: stdout stays the same for the same scenario and seed. */
static int save(const tf_cli_run_opts *o, const tf_run_record *rec) {
  char err[512];
  int64_t run_id = 0;
  if (!o->no_db) {
    char path[4096];
    if (o->db_path)
      snprintf(path, sizeof path, "%s", o->db_path);
    else if (o->csv_dir)
      snprintf(path, sizeof path, "%s/results.db", o->csv_dir);
    else
      snprintf(path, sizeof path, "tokenfab-results.db");
    if (o->csv_dir && !o->db_path && mkdir(o->csv_dir, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "tokenfab run: cannot create the folder %s: %s\n", o->csv_dir,
              strerror(errno));
      return TF_EXIT_FAILURE;
    }
    tf_store *db = NULL;
    int rc = tf_store_open(path, &db, err, sizeof err);
    if (rc == 0)
      rc = tf_store_write_run(db, rec, &run_id, err, sizeof err);
    tf_store_close(db);
    if (rc) {
      fprintf(stderr, "tokenfab run: %s\n", err);
      return TF_EXIT_FAILURE;
    }
    fprintf(stderr, "results: run %" PRId64 " written to %s\n", run_id, path);
  }
  if (o->csv_dir) {
    if (tf_csv_write_run(o->csv_dir, rec, run_id, err, sizeof err)) {
      fprintf(stderr, "tokenfab run: %s\n", err);
      return TF_EXIT_FAILURE;
    }
    fprintf(stderr, "results: CSV written to %s/ (summary, classes, series, costs)\n",
            o->csv_dir);
  }
  return TF_EXIT_OK;
}

/* Costs, the binding constraint, and the record of a finished run. */
static int finish(const tf_scenario *s, const tf_cli_run_opts *o, const tf_serving_config *cfg,
                  const tf_serving_result *res, const tf_serving_result *base,
                  const char *started, double wall_start) {
  int64_t per_replica = cfg->pool.perf.layout.tp * cfg->pool.perf.layout.dp *
                        cfg->pool.perf.layout.pp;
  const tf_scenario_hardware *hw = &s->hardware[s->serving.hardware_index];
  double serving_gpus = (double)(s->serving.replicas * per_replica);
  double gpus = hw->entry && hw->entry->has.gpus ? (double)hw->count * (double)hw->entry->gpus
                                                 : serving_gpus;
  tf_tco_inputs in;
  tf_tco_result tco;
  bool costed = s->economics.present;
  if (costed) {
    tf_tco_usage use;
    tco_inputs(s, res, gpus, &in);
    tco_usage(s, res, &use);
    tf_err_clear();
    if (tf_tco_check(&in) != 0 || tf_tco_compute(&in, &use, &tco) != 0) {
      fprintf(stderr, "%s: error: the costs cannot be computed: %s\n", s->path, tf_err_reason());
      return TF_EXIT_USAGE;
    }
    if (o->out)
      tf_serving_report_costs(o->out, &in, &tco);
  }
  char why[256];
  tf_binding b = tf_binding_of(cfg, res, why, sizeof why);
  if (o->out)
    fprintf(o->out, "\nbinding    %s: %s\n", tf_binding_name(b), why);

  tf_run_record rec = {.scenario_name = s->name,
                       .scenario_path = s->path,
                       .scenario_text = s->text,
                       .scenario_len = s->text_len,
                       .seed = s->seed,
                       .version = TF_VERSION};
  snprintf(rec.started_utc, sizeof rec.started_utc, "%s", started);
  tf_sha256_hex(s->text, s->text_len, rec.scenario_sha256);
  char *sets = join_sets(o);
  int rc = sets ? tf_record_serving(&rec, cfg, res, base, costed ? &in : NULL,
                                    costed ? &tco : NULL, gpus)
                : TF_ENOMEM;
  if (rc) {
    free(sets);
    fprintf(stderr, "tokenfab run: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  rec.wall_s = wall_now() - wall_start;
  if (o->record) { /* the caller keeps it, overrides included */
    rec.overrides = sets;
    *o->record = rec;
    return TF_EXIT_OK;
  }
  rec.overrides = sets;
  rc = save(o, &rec);
  tf_run_record_fini(&rec);
  free(sets);
  return rc;
}

int tf_cli_serve(tf_scenario *s, const tf_cli_run_opts *o) {
  double wall_start = wall_now();
  char started[32];
  utc_now(started, sizeof started);
  tf_perf_config perf;
  int rc = tf_cli_perf_config(s, &perf);
  if (rc != TF_EXIT_OK)
    return rc;
  if (tf_cli_check_serving(s) != TF_EXIT_OK)
    return TF_EXIT_USAGE;
  tf_perf_memory mem;
  tf_perf_memory_fit(&perf, &mem);
  tf_serving_class *classes = calloc(s->n_workload, sizeof *classes);
  class_source *sources = calloc(s->n_workload, sizeof *sources);
  if (!classes || !sources) {
    free(classes);
    free(sources);
    fprintf(stderr, "tokenfab run: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  for (size_t i = 0; i < s->n_workload; i++) {
    const tf_scenario_class *c = &s->workload[i];
    sources[i].c = c;
    classes[i] = (tf_serving_class){.name = c->name,
                                    .source = {class_next, &sources[i]},
                                    .prefix_hit = c->prefix_hit,
                                    .slo_ttft_s = c->slo_ttft_s,
                                    .slo_tpot_s = c->slo_tpot_s,
                                    .router = c->router};
  }
  tf_serving_config cfg = {
      .classes = classes,
      .n_classes = s->n_workload,
      .pool = {.perf = perf,
               .replicas = s->serving.replicas,
               .max_batch_seqs = s->serving.max_batch_seqs,
               /* each attention group holds its own sequences' KV */
               .kv_tokens = (int64_t)(mem.max_tokens * (double)perf.layout.dp)},
      .warmup_ns = s->warmup_ns,
      .duration_ns = s->duration_ns,
      .exact_steps = o->exact_steps,
      .series_interval_ns = o->series_ns > 0 ? o->series_ns
                                             : record_series_ns(s->duration_ns - s->warmup_ns),
      .power_profile = s->fitted_profile.power ? s->fitted_profile.power
                                               : tf_power_profile_default(),
      .cap_policy = s->site.present ? s->site.capping : TF_CAP_NONE,
      .gpu_cap_w = s->site.gpu_cap_w,
      .cap_period_ns = s->site.cap_period_ns,
      .it_envelope_w = s->site.present ? s->site.power_w / s->site.pue : 0,
      .system_limit_w = s->site.present ? s->site.system_limit_w : 0,
      .pue = s->site.present ? s->site.pue : 1,
      .pue_model = s->site.present ? &s->site.pue_model : NULL,
  };
  cfg.pool.system = s->hardware[s->serving.hardware_index].entry;
  if ((rc = tf_cli_degraded_config(s, &perf, &cfg.pool.degraded, &cfg.pool.degraded_kv_tokens)) !=
      TF_EXIT_OK) {
    free(classes);
    free(sources);
    return rc;
  }
  cfg.reconfigure_ns = s->serving.degraded.restart_ns;
  /* Failure classes: one instance per GPU and per GPU's link; a node is the system when it holds
   * at most 8 GPUs, else a 4-GPU compute tray (GB200/GB300 NVL72); a rack is the system when it
   * holds more than 8 GPUs, else 4 nodes (an assumption: docs/FAILURES.md). */
  tf_failure_class *failures = NULL;
  if (s->n_failures > 0) {
    failures = calloc(s->n_failures, sizeof *failures);
    if (!failures) {
      free(classes);
      free(sources);
      fprintf(stderr, "tokenfab run: out of memory\n");
      return TF_EXIT_FAILURE;
    }
    int64_t gpus = s->serving.replicas * perf.layout.tp * perf.layout.dp * perf.layout.pp;
    int64_t per_system = cfg.pool.system && cfg.pool.system->has.gpus ? cfg.pool.system->gpus : 8;
    int64_t per_node = per_system <= 8 ? per_system : 4;
    int64_t per_rack = per_system > 8 ? per_system : 4 * per_node;
    for (size_t k = 0; k < s->n_failures; k++) {
      failures[k] = s->failures[k];
      int64_t per = failures[k].component == TF_FAILURE_NODE   ? per_node
                    : failures[k].component == TF_FAILURE_RACK ? per_rack
                                                               : 1;
      failures[k].count = (gpus + per - 1) / per;
    }
    cfg.failures = failures;
    cfg.n_failures = s->n_failures;
    cfg.failure_crews = s->failure_crews;
  }
  if (s->serving.prefill_replicas > 0) {
    cfg.disaggregated = true;
    cfg.decode_pool = cfg.pool;
    cfg.pool.replicas = s->serving.prefill_replicas;
    cfg.decode_pool.replicas = s->serving.replicas - s->serving.prefill_replicas;
  }
  const tf_scenario_hardware *hw = &s->hardware[s->serving.hardware_index];
  int64_t per_replica = perf.layout.tp * perf.layout.dp * perf.layout.pp;
  FILE *out = o->out;
  if (out)
    fprintf(out, "fleet      %" PRId64 " replica%s of %" PRId64 " x %s on %s (tp %" PRId64 ", dp %" PRId64
         ", ep %" PRId64 ", pp %" PRId64 "): %" PRId64 " GPUs serving\n",
         s->serving.replicas, s->serving.replicas == 1 ? "" : "s", per_replica,
         perf.hw.gpu->entry.name, hw->system, perf.layout.tp, perf.layout.dp, perf.layout.ep,
         perf.layout.pp, s->serving.replicas * per_replica);
  if (out && cfg.disaggregated)
    fprintf(out, "           disaggregated: %" PRId64 " prefill replica%s, %" PRId64
           " decode; KV caches move over the prefill GPUs' scale-out NICs\n",
           cfg.pool.replicas, cfg.pool.replicas == 1 ? "" : "s", cfg.decode_pool.replicas);
  if (out)
    fprintf(out, "           per replica: up to %" PRId64 " sequences and %" PRId64
         " tokens a step, KV cache %.6g tokens; %s%s\n",
         cfg.pool.max_batch_seqs, perf.max_batch_tokens, (double)cfg.pool.kv_tokens,
         o->exact_steps ? "every iteration an event" : "decode runs coalesced",
         perf.speculation.draft_tokens > 0 ? ", speculative decoding" : "");
  for (size_t i = 0; out && i < s->n_workload; i++)
    print_class(out, &s->workload[i]);

  for (size_t k = 0; out && k < cfg.n_failures; k++) {
    const tf_failure_class *fc = &failures[k];
    fprintf(out, "failures   %s: %" PRId64 " instances, MTBF %.4g h%s, repair %.4g h mean, swap %.4g h, "
           "%" PRId64 " spares, %s crews\n",
           tf_failure_component_name(fc->component), fc->count,
           tf_failure_ttf_mean_s(&fc->ttf) / 3600,
           fc->ttf.kind == TF_FAILURE_WEIBULL ? " (Weibull)" : "", fc->repair.time.mean / 3600,
           fc->repair.swap_s / 3600, fc->repair.spares,
           cfg.failure_crews > 0                     ? "shared"
           : fc->repair.crews == TF_FAILURE_UNLIMITED ? "unlimited"
                                                      : "limited");
  }
  if (out && cfg.n_failures > 0 && cfg.failure_crews > 0)
    fprintf(out, "failures   one team of %" PRId64 " crew%s repairs every class, first failed first\n",
            cfg.failure_crews, cfg.failure_crews == 1 ? "" : "s");
  if (out && cfg.n_failures > 0 && cfg.pool.degraded_kv_tokens > 0) {
    const tf_perf_layout *d = &cfg.pool.degraded.layout;
    fprintf(out, "failures   degraded mode: a replica left with %" PRId64 " GPUs restarts on them "
                 "(tp %" PRId64 ", dp %" PRId64 ", ep %" PRId64 ", pp %" PRId64 ", KV cache %.6g "
                 "tokens) until repaired; a restart takes %.4g min\n",
            d->tp * d->dp * d->pp, d->tp, d->dp, d->ep, d->pp,
            (double)cfg.pool.degraded_kv_tokens, (double)cfg.reconfigure_ns / 60e9);
  }
  tf_serving_result res;
  tf_engine_stats st;
  tf_err_clear();
  rc = tf_serving_run(&cfg, s->seed, &res, &st);
  if (rc) {
    /* A configuration the model refuses is bad input; anything else failed while running. */
    bool bad_input = rc == TF_ERANGE || rc == TF_EINVAL;
    fprintf(stderr, "%s: %s: %s\n", s->path, bad_input ? "error" : "the simulation failed",
            tf_err_reason()[0] ? tf_err_reason() : tf_err_message(rc));
    free(classes);
    free(sources);
    free(failures);
    return bad_input ? TF_EXIT_USAGE : TF_EXIT_FAILURE;
  }
  if (out)
    tf_serving_report_print(out, &cfg, &res);
  tf_serving_result base = {0};
  bool have_base = false;
  if (cfg.n_failures > 0) {
    /* The same traffic without failures, for their cost. */
    tf_serving_config clean = cfg;
    clean.failures = NULL;
    clean.n_failures = 0;
    for (size_t i = 0; i < s->n_workload; i++)
      sources[i] = (class_source){.c = &s->workload[i]};
    rc = tf_serving_run(&clean, s->seed, &base, NULL);
    if (rc == 0) {
      have_base = true;
      if (out)
        tf_serving_report_failures(out, &res, &base);
    }
  }
  if (out && o->series_ns > 0)
    tf_serving_report_series(out, &res);
  if (out)
    fprintf(stderr,
          "engine: %" PRIu64 " events (%" PRIu64 " scheduled, %" PRIu64 " cancelled), peak %zu "
          "pending, %.3g events/s, %.3g requests/s; wall time: setup %.3f s, run %.3f s, final "
          "%.3f s\n",
          st.events_processed, st.events_scheduled, st.events_cancelled, st.peak_pending,
          st.events_per_s, (double)res.requests_arrived / (st.wall_run_s > 0 ? st.wall_run_s : 1),
          st.wall_setup_s, st.wall_run_s, st.wall_final_s);
  if (rc) {
    fprintf(stderr, "%s: the simulation without failures failed: %s\n", s->path, tf_err_reason());
    rc = TF_EXIT_FAILURE;
  } else {
    rc = finish(s, o, &cfg, &res, have_base ? &base : NULL, started, wall_start);
  }
  if (have_base)
    tf_serving_result_fini(&base);
  tf_serving_result_fini(&res);
  free(classes);
  free(sources);
  free(failures);
  return rc;
}
