/* A serving run as result tables, and the binding constraint: each rule of docs/RESULTS.md fires
 * on the figures that should trigger it and on no others; the tables carry the run's numbers,
 * NULL where a value does not apply, and a costs table whose lines add up to its total. */
#include <string.h>

#include "record.h"
#include "tf_test.h"

static tf_serving_class classes[2] = {
    {.name = "chat", .slo_ttft_s = 1, .slo_tpot_s = 0.05},
    {.name = "batch"}, /* no targets */
};
static tf_serving_class_result per_class[2];

/* A run with capacity to spare: every rule below starts from it and changes one figure. */
static void base(tf_serving_config *cfg, tf_serving_result *r) {
  static const tf_power_profile *prof;
  prof = tf_power_profile_default();
  *cfg = (tf_serving_config){.classes = classes, .n_classes = 2, .power_profile = prof,
                             .pool = {.replicas = 4}, .pue = 1.25};
  memset(per_class, 0, sizeof per_class);
  per_class[0] = (tf_serving_class_result){
      .completed = 1000, .slo_met = 1000, .requests_per_s = 10, .output_tokens_per_s = 3000,
      .ttft = {.count = 1000, .p50 = 0.1, .p99 = 0.4}, .tpot = {.count = 1000, .p50 = 0.02,
                                                                .p99 = 0.03}};
  per_class[1] = (tf_serving_class_result){.completed = 10, .requests_per_s = 0.1};
  *r = (tf_serving_result){.window_s = 100, .n_classes = 2, .per_class = per_class,
                           .busy_fraction = 0.9, .kv_utilisation = 0.3, .mean_clock = 1,
                           .mean_in_system = 100, .mean_waiting = 1, .availability = 1};
  r->total = per_class[0];
  r->total.completed = 1010;
  r->total.slo_met = 1010;
  r->bound_gpu_s[TF_BOUND_HBM] = 300;
  r->bound_gpu_s[TF_BOUND_COMPUTE] = 100;
}

static tf_binding binding(const tf_serving_config *cfg, const tf_serving_result *r) {
  char why[256];
  tf_binding b = tf_binding_of(cfg, r, why, sizeof why);
  TF_CHECK(strlen(why) > 10);
  return b;
}

static void test_binding(void) {
  tf_serving_config cfg;
  tf_serving_result r;
  base(&cfg, &r); /* p99 TTFT 40%, TPOT 60% of targets: room */
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_DEMAND);
  base(&cfg, &r);
  r.capped_fraction = 0.05;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_POWER);
  r.capped_fraction = 0.049;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_DEMAND);
  base(&cfg, &r);
  r.kv_utilisation = 0.9;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_KV);
  base(&cfg, &r);
  r.total.preemptions = 11; /* > 1% of 1010 */
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_KV);
  r.total.preemptions = 10;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_DEMAND);
  base(&cfg, &r);
  r.total.rejected = 1;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_KV);
  base(&cfg, &r);
  r.total.slo_met = 959; /* 94.95% */
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_SLO);
  /* Latencies near their targets: the steps' dominant bound. */
  base(&cfg, &r);
  per_class[0].tpot.p99 = 0.045; /* 90% of 50 ms */
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_HBM);
  r.bound_gpu_s[TF_BOUND_COMPUTE] = 400;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_COMPUTE);
  r.bound_gpu_s[TF_BOUND_SCALE_OUT] = 500;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_INTERCONNECT);
  r.bound_gpu_s[TF_BOUND_LATENCY] = 600;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_OVERHEAD);
  /* Without targets, the waiting share decides. */
  base(&cfg, &r);
  classes[0].slo_ttft_s = classes[0].slo_tpot_s = 0;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_DEMAND); /* 1% waiting */
  r.mean_waiting = 5;
  TF_CHECK_INT(binding(&cfg, &r), TF_BINDING_HBM);
  classes[0].slo_ttft_s = 1;
  classes[0].slo_tpot_s = 0.05;
  for (int b = 0; b < TF_BINDING_COUNT_; b++)
    TF_CHECK(strcmp(tf_binding_name((tf_binding)b), "unknown") != 0);
  TF_CHECK_STR(tf_binding_name(TF_BINDING_KV), "kv_capacity");
}

static double real(const tf_table *t, size_t row, const char *col) {
  const tf_cell *c = tf_table_get(t, row, col);
  TF_CHECK(c != NULL);
  return c && c->kind == TF_CELL_REAL ? c->real : NAN;
}

static void test_tables(void) {
  tf_serving_config cfg;
  tf_serving_result r;
  base(&cfg, &r);
  r.it_power_mean_w = 40000;
  r.facility_power_mean_w = 50000;
  tf_tco_inputs in = {.gpus = 16, .capex_usd = {1e6, 1.5e5}, .life_s = {5 * TF_TCO_YEAR_S,
                      5 * TF_TCO_YEAR_S}, .electricity_usd_per_j = 0.08 / 3.6e6,
                      .horizon_s = 5 * TF_TCO_YEAR_S, .allocation = TF_ALLOC_OUTPUT};
  tf_tco_usage use = {.window_s = 100, .facility_energy_j = 5e6, .input_tokens = 1e6,
                      .output_tokens = 3e5, .goodput_output_tokens = 3e5};
  tf_tco_result tco;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &tco), 0);
  tf_run_record rec = {0};
  TF_CHECK_INT(tf_record_serving(&rec, &cfg, &r, NULL, &in, &tco, 16), 0);
  TF_CHECK_INT(rec.summary.n_rows, 1);
  TF_CHECK_NEAR(real(&rec.summary, 0, "it_power_avg_mw"), 0.04, 1e-15);
  TF_CHECK_NEAR(real(&rec.summary, 0, "cost_per_mtok_out_usd"), tco.usd_per_mtok_output, 0);
  TF_CHECK_NEAR(real(&rec.summary, 0, "slo_attainment"), 1, 0);
  TF_CHECK_STR(tf_table_get(&rec.summary, 0, "binding_constraint")->text, "demand");
  TF_CHECK_STR(tf_table_get(&rec.summary, 0, "allocation")->text, "output");
  /* No failures run: the comparison columns are NULL. */
  TF_CHECK_INT(tf_table_get(&rec.summary, 0, "slo_attainment_no_failures")->kind, TF_CELL_NULL);
  TF_CHECK_INT(rec.classes.n_rows, 2);
  TF_CHECK_STR(tf_table_get(&rec.classes, 1, "class")->text, "batch");
  TF_CHECK_INT(tf_table_get(&rec.classes, 1, "ttft_p99_s")->kind, TF_CELL_NULL);
  TF_CHECK_INT(tf_table_get(&rec.classes, 1, "slo_ttft_s")->kind, TF_CELL_NULL);
  TF_CHECK_NEAR(real(&rec.classes, 0, "tpot_p99_s"), 0.03, 0);
  /* Costs: the non-zero lines (systems, networking, energy), then total; they add up. */
  TF_CHECK_INT(rec.costs.n_rows, 4);
  double sum = 0, per_mtok = 0;
  for (size_t i = 0; i + 1 < rec.costs.n_rows; i++) {
    sum += real(&rec.costs, i, "usd_window");
    per_mtok += real(&rec.costs, i, "cost_per_mtok_out_usd");
  }
  TF_CHECK_STR(tf_table_get(&rec.costs, 3, "component")->text, "total");
  TF_CHECK_NEAR(real(&rec.costs, 3, "usd_window"), sum, 1e-12 * sum);
  TF_CHECK_NEAR(real(&rec.costs, 3, "cost_per_mtok_out_usd"), per_mtok, 1e-12 * per_mtok);
  TF_CHECK_NEAR(per_mtok, tco.usd_window / 3e5 * 1e6, 1e-12 * per_mtok);
  tf_run_record_fini(&rec);
  /* Without economics the cost columns are NULL and the costs table empty. */
  TF_CHECK_INT(tf_record_serving(&rec, &cfg, &r, NULL, NULL, NULL, 16), 0);
  TF_CHECK_INT(tf_table_get(&rec.summary, 0, "tco_per_year_usd")->kind, TF_CELL_NULL);
  TF_CHECK_INT(rec.costs.n_rows, 0);
  tf_run_record_fini(&rec);
}

int main(void) {
  test_binding();
  test_tables();
  return tf_test_report("reports_record");
}
