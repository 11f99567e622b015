/* Terminal summary tables. */
#include "summary.h"

#include <math.h>
#include <stdbool.h>

/* One table row: label, simulated value, half-width (NAN: none), exact value (NAN: none). */
static void row(FILE *f, const char *label, double sim, double half, double exact) {
  fprintf(f, "  %-28s %12.6g", label, sim);
  if (isnan(half) && isnan(exact)) {
    fputc('\n', f);
    return;
  }
  if (isnan(half))
    fprintf(f, "  %12s", "");
  else
    fprintf(f, "  \xc2\xb1 %10.4g", half);
  if (isnan(exact))
    fputc('\n', f);
  else
    fprintf(f, "  %12.6g\n", exact);
}

void tf_summary_queue(FILE *f, const tf_queue_result *sim, const tf_queueing_result *theory) {
  bool exact = theory && theory->model != TF_QUEUEING_NONE;
  const double none = NAN;
  char ci[32];
  snprintf(ci, sizeof ci, "%g%% CI", 100.0 * sim->ci_level);
  fprintf(f, "  %-28s %12s  %12s", "", "simulated", ci);
  if (exact)
    fprintf(f, "  %12s", tf_queueing_model_name(theory->model));
  fputc('\n', f);
  row(f, "arrival rate (1/s)", sim->arrival_rate_per_s, none, exact ? theory->lambda_per_s : none);
  row(f, "throughput (1/s)", sim->throughput_per_s, none, exact ? theory->lambda_per_s : none);
  row(f, "server utilisation", sim->utilisation, none, exact ? theory->rho : none);
  row(f, "probability of waiting", sim->wait_prob, none, exact ? theory->wait_prob : none);
  row(f, "mean wait in queue (s)", sim->wq_mean_s, sim->wq_ci_half_s, exact ? theory->wq_s : none);
  row(f, "mean time in system (s)", sim->w_mean_s, sim->w_ci_half_s, exact ? theory->w_s : none);
  row(f, "mean number waiting", sim->lq, none, exact ? theory->lq : none);
  row(f, "mean number in system", sim->l, none, exact ? theory->l : none);
  row(f, "wait p50 (s)", sim->wq_p50_s, none, none);
  row(f, "wait p90 (s)", sim->wq_p90_s, none, none);
  row(f, "wait p99 (s)", sim->wq_p99_s, none, none);
  row(f, "time in system p50 (s)", sim->w_p50_s, none, none);
  row(f, "time in system p90 (s)", sim->w_p90_s, none, none);
  row(f, "time in system p99 (s)", sim->w_p99_s, none, none);
  row(f, "longest wait (s)", sim->wq_max_s, none, none);
  fprintf(f, "  %-28s %12llu\n", "customers counted", (unsigned long long)sim->completed);
  fprintf(f, "  %-28s %12llu\n", "longest queue", (unsigned long long)sim->max_queue);
  fprintf(f, "  %-28s %12llu waiting, %llu in service\n", "at the end",
          (unsigned long long)sim->queue_at_end, (unsigned long long)sim->busy_at_end);
  if (sim->ci_batches > 0)
    fprintf(f, "  (intervals by batch means over %u batches)\n", sim->ci_batches);
}
