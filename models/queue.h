/* A multi-server first-come-first-served queueing station (G/G/c) simulated on the engine: the
 * reference model that checks the engine against exact queueing theory. */
#ifndef TF_QUEUE_H
#define TF_QUEUE_H

#include <stdint.h>

#include "dist.h"
#include "engine.h"

/* What to simulate. The caller owns it; tf_queue_run copies what it needs. */
typedef struct tf_queue_config {
  int64_t servers;     /* identical servers, 1 .. TF_QUEUE_MAX_SERVERS */
  tf_dist interarrival; /* time between arrivals, s; mean >= TF_QUEUE_MIN_MEAN_S */
  tf_dist service;      /* service time, s; mean >= TF_QUEUE_MIN_MEAN_S */
  int64_t warmup_ns;    /* 0 <= warmup_ns < duration_ns; statistics cover [warmup_ns, duration_ns] */
  int64_t duration_ns;  /* the run ends at this simulated time */
  double confidence;    /* level of the confidence intervals, in (0, 1); 0 means 0.95 */
} tf_queue_config;

#define TF_QUEUE_MAX_SERVERS INT64_C(1000000000)
/* Sampled times are rounded to whole ns; means below 1 us would be distorted by that. */
#define TF_QUEUE_MIN_MEAN_S 1e-6

/* What a run measured over the window [warmup_ns, duration_ns] (its length is window_s).
 *
 * Who counts. A customer is *counted* when it arrives at or after warmup_ns and departs at or
 * before duration_ns; the waiting-time and time-in-system statistics (wq_*, w_*) are over the
 * counted customers only, in the order they entered service. Rates count events inside the
 * window: arrivals (arrival time in the window) and departures (departure time in the window,
 * whenever the customer arrived).
 *
 * Time averages (lq, l, utilisation) integrate the piecewise-constant number waiting, number in
 * system and number of busy servers over the window exactly, so Little's law holds on one run up
 * to edge effects: l * window_s is the time all customers spent in the system inside the window,
 * while arrival_rate_per_s * w_mean_s counts only counted customers' full times, so the two
 * differ by the customers present at warmup_ns or at duration_ns, O(1 / arrivals) relative.
 *
 * Fields that need data read NaN without it (no counted customer; fewer than 2 batches). */
typedef struct tf_queue_result {
  double window_s;
  uint64_t arrivals;    /* arrivals in the window */
  uint64_t departures;  /* departures in the window */
  uint64_t completed;   /* counted customers: arrived in the window and departed by its end */
  double arrival_rate_per_s; /* arrivals / window_s */
  double throughput_per_s;   /* departures / window_s */

  /* Waiting time in queue (arrival to start of service) of counted customers, s. */
  double wq_mean_s, wq_sd_s;
  double wq_ci_half_s; /* confidence half-width of wq_mean_s by batch means */
  double wq_p50_s, wq_p90_s, wq_p99_s, wq_max_s;
  double wait_prob; /* fraction of counted customers that waited (Wq > 0) */
  /* Time in system (arrival to departure) of counted customers, s. */
  double w_mean_s, w_sd_s;
  double w_ci_half_s;
  double w_p50_s, w_p90_s, w_p99_s, w_max_s;
  uint32_t ci_batches; /* batches behind the half-widths (20 .. 39 on a long run) */
  double ci_level;     /* confidence level of the half-widths */

  double lq;          /* time-average number waiting */
  double l;           /* time-average number in system (waiting + in service) */
  double utilisation; /* busy server-time / (servers * window_s) */
  uint64_t max_queue; /* most customers waiting at once during the window */
  uint64_t queue_at_end;  /* customers waiting at duration_ns */
  uint64_t busy_at_end;   /* servers busy at duration_ns */
} tf_queue_result;

/* Checks cfg: 0, or TF_ERANGE with a message naming the field. */
int tf_queue_config_check(const tf_queue_config *cfg);

/* Simulates cfg with master seed `seed` on a fresh engine and fills *out (zeroed first, so two
 * equal runs compare equal with memcmp). stats_out, when not NULL, receives the engine's run
 * statistics. Returns 0, TF_ERANGE for a bad config, TF_ENOMEM. An unstable station (arrival
 * rate >= servers / mean service) is simulated all the same: its queue grows through the run. */
int tf_queue_run(const tf_queue_config *cfg, uint64_t seed, tf_queue_result *out,
                 tf_engine_stats *stats_out);

/* The station as an engine entity, for composing it into larger runs: config is a
 * tf_queue_config (checked by init). Its random numbers come from the entity's streams
 * TF_QUEUE_STREAM_ARRIVALS and TF_QUEUE_STREAM_SERVICE. tf_queue_entity_result reads an
 * entity's result after tf_engine_run. */
extern const tf_entity_type tf_queue_entity_type;
enum { TF_QUEUE_STREAM_ARRIVALS = 0, TF_QUEUE_STREAM_SERVICE = 1 };
void tf_queue_entity_result(tf_engine *e, uint32_t id, tf_queue_result *out);

#endif
