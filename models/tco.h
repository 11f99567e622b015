/* Total cost of ownership and cost per token: what a factory costs a year (owned, or rented by
 * the GPU-hour), what a million tokens then cost under a stated allocation rule, and revenue and
 * margin when token prices are given. Money in USD, time in seconds, energy in joules, power in
 * watts, tokens as counts. A year is 365.25 days (the `y` unit). Equations and the sources of the
 * defaults the scenario cites: docs/ECONOMICS.md. Pure arithmetic: no I/O, no allocation. */
#ifndef TF_TCO_H
#define TF_TCO_H

#include <stdbool.h>
#include <stddef.h>

#define TF_TCO_YEAR_S (365.25 * 86400.0) /* the Julian year, as the `y` unit */

typedef enum tf_tco_method {
  TF_TCO_STRAIGHT_LINE, /* capex / life per year; no charge for the capital tied up */
  TF_TCO_ANNUITY,       /* the level payment that repays capex with interest at cost_of_capital
                           over life: capex x r / (1 - (1 + r)^-n), n = life in years */
  TF_TCO_METHOD_COUNT_
} tf_tco_method;
const char *tf_tco_method_name(tf_tco_method m); /* "straight_line", "annuity" */

/* How total cost is split between input (prompt) and output (generated) tokens. */
typedef enum tf_tco_allocation {
  TF_ALLOC_OUTPUT,   /* all cost on output tokens; input tokens cost 0 */
  TF_ALLOC_GPU_TIME, /* in proportion to GPU time spent on prefill (input) and decode (output) */
  TF_ALLOC_BLENDED,  /* every token, input or output, costs the same */
  TF_ALLOC_COUNT_
} tf_tco_allocation;
const char *tf_tco_allocation_name(tf_tco_allocation a); /* "output", "gpu_time", "blended" */

/* The capital assets of an owned factory, in the order of the cost breakdown. */
typedef enum tf_tco_asset {
  TF_ASSET_SYSTEMS,    /* GPU servers or racks */
  TF_ASSET_NETWORKING, /* scale-out fabric: switches, NICs, optics, cables */
  TF_ASSET_STORAGE,
  TF_ASSET_FACILITY,   /* building, power and cooling plant, per W of provisioned IT power */
  TF_ASSET_COUNT_
} tf_tco_asset;
const char *tf_tco_asset_name(tf_tco_asset a); /* "systems", "networking", "storage", "facility" */

/* Every line of the cost breakdown, in print order. */
typedef enum tf_tco_component {
  TF_COST_CAPEX_SYSTEMS,    /* TF_COST_CAPEX_SYSTEMS + a is asset a's capital charge */
  TF_COST_CAPEX_NETWORKING,
  TF_COST_CAPEX_STORAGE,
  TF_COST_CAPEX_FACILITY,
  TF_COST_MAINTENANCE,      /* maintenance and support: a share of hardware capex a year */
  TF_COST_ENERGY,           /* facility energy x electricity price */
  TF_COST_COLOCATION,       /* colocation price (per W-second; a scenario's USD/kW-month
                               converted) x provisioned IT power */
  TF_COST_STAFF_SOFTWARE,   /* per GPU-year */
  TF_COST_RENTAL,           /* rented: GPUs x price per GPU-hour */
  TF_COST_COUNT_
} tf_tco_component;
const char *tf_tco_component_name(tf_tco_component c); /* "capex_systems", ..., "rental" */

/* The cost side of a factory. Zero means "not given / none" for every optional field. Every
 * number must be finite; tf_tco_check checks all fields in both modes, including those the
 * mode ignores. */
typedef struct tf_tco_inputs {
  bool rented;                  /* true: rental, staff/software, and energy when energy_in_rental
                                   is false; capex, maintenance and colocation are ignored */
  double gpus;                  /* GPUs in the fleet, > 0 */
  double rental_usd_per_gpu_s;  /* rented: price per GPU-second (USD/GPU-hour / 3600), > 0;
                                   owned: ignored, >= 0 */
  bool energy_in_rental;        /* rented: the price includes power (the usual cloud case); when
                                   false energy is billed on top */
  /* Owned: capex of each asset and its depreciation life. Networking and storage capex are
   * totals (the loader turns a share of systems capex, or an amount per GPU, into one). */
  double capex_usd[TF_ASSET_COUNT_];  /* >= 0 */
  double life_s[TF_ASSET_COUNT_];     /* > 0 where capex_usd > 0 */
  tf_tco_method method;
  double cost_of_capital;             /* per year, >= 0 (annuity only; 0 gives straight line) */
  double maintenance_per_year;        /* share of hardware capex (systems, networking, storage)
                                         a year, >= 0 */
  double colocation_usd_per_w_s;      /* colocation price (USD per W per second), >= 0 */
  double staff_software_usd_per_gpu_s; /* staff and software per GPU-second, >= 0 */
  double electricity_usd_per_j;       /* >= 0 */
  double provisioned_it_w;            /* IT power the facility provides for the fleet (facility
                                         capex per W is already in capex_usd[FACILITY]; this
                                         prices colocation), >= 0 */
  double horizon_s;                   /* projection horizon (hardware life), > 0 */
  tf_tco_allocation allocation;
  /* Token prices (USD per token), each >= 0; has_prices false: no revenue or margin. Cached
   * input tokens are billed at price_input_cached_usd, so 0 there means they are free: a caller
   * whose price list has no cache discount passes price_input_usd for both. */
  bool has_prices;
  double price_input_usd, price_input_cached_usd, price_output_usd;
} tf_tco_inputs;

/* What the simulated window produced, the usage side. */
typedef struct tf_tco_usage {
  double window_s;             /* simulated measurement window, > 0 */
  double facility_energy_j;    /* over the window (IT energy x PUE), >= 0 */
  double input_tokens;         /* prompt tokens of requests completed in the window */
  double input_cached_tokens;  /* of those, served from the prefix cache (<= input_tokens) */
  double output_tokens;        /* generated tokens of requests completed in the window */
  double goodput_output_tokens; /* output tokens of completed requests that met their SLO */
  double prefill_gpu_s;        /* GPU-seconds spent on prefill over the window */
  double decode_gpu_s;         /* GPU-seconds spent on decode over the window */
} tf_tco_usage;

typedef struct tf_tco_line {
  double usd_per_year;  /* the component's yearly cost at the window's rate */
  double usd_window;    /* its cost over the simulated window: usd_per_year x window / year */
  double share;         /* of total cost, [0, 1] (0 when the total is 0) */
  double usd_per_mtok_output; /* usd_window / output tokens x 1e6, whatever the allocation rule
                                 (NaN without output tokens) */
} tf_tco_line;

typedef struct tf_tco_result {
  tf_tco_line line[TF_COST_COUNT_];
  double usd_per_year, usd_window, usd_horizon; /* totals: a year, the window, the horizon */
  double capex_usd;              /* sum of capex_usd (owned), 0 when rented */
  double input_share;            /* share of cost allocated to input tokens, [0, 1] */
  /* Cost per million tokens under the allocation rule (docs/ECONOMICS.md):
   *   OUTPUT    input 0 (also without input tokens); output usd_window / output tokens;
   *   GPU_TIME  input_share = prefill / (prefill + decode GPU-seconds); input usd_window x
   *             input_share / input tokens, output the rest / output tokens; with no GPU time
   *             at all it is BLENDED (input_share the input tokens' share);
   *   BLENDED   both usd_per_mtok_all; input_share = input / (input + output tokens).
   * NaN where the count divided by is 0 (BLENDED: where input + output is 0). */
  double usd_per_mtok_input, usd_per_mtok_output;
  double usd_per_mtok_all;       /* total cost / (input + output tokens) x 1e6 */
  double usd_per_mtok_goodput;   /* total cost / goodput output tokens x 1e6 (NaN when 0) */
  double usd_per_gpu_hour;       /* usd_per_year / (gpus x hours in a year): comparable to a
                                    rental price */
  /* Tokens projected at the window's rate. */
  double output_tokens_per_year, input_tokens_per_year;
  /* With prices (else 0): revenue of the window's completed tokens, projected to a year. */
  double revenue_usd_per_year, margin_usd_per_year;
  double margin_share;           /* margin / revenue (NaN when revenue is 0, so without prices) */
  double revenue_usd_window;
} tf_tco_result;

/* Checks in: every field in its range as documented above. 0, TF_ERANGE for a number out of
 * its range (rental_usd_per_gpu_s must be > 0 only when rented), or TF_EINVAL for an unknown
 * method or allocation or a capex without its life; tf_err_context names the field
 * ("tco: gpus must be > 0 (got 0)"). */
int tf_tco_check(const tf_tco_inputs *in);

/* The yearly capital charge of capex over life_s under method at cost_of_capital (per year):
 * capex / n (straight line, or annuity with r = 0), capex x r / (1 - (1 + r)^-n) (annuity);
 * n = life_s / TF_TCO_YEAR_S, which need not be whole. Continuous in r at 0 (computed with
 * log1p/expm1). Asserts capex_usd >= 0, life_s > 0, cost_of_capital >= 0, all finite. */
double tf_tco_capital_charge(double capex_usd, double life_s, tf_tco_method method,
                             double cost_of_capital);

/* Fills *out from in and use. Checks in as tf_tco_check does, and use: window_s > 0; energy,
 * token counts and GPU-seconds >= 0; input_cached_tokens <= input_tokens; goodput_output_tokens
 * <= output_tokens; all finite. 0, or TF_EINVAL / TF_ERANGE with tf_err_context naming the
 * field ("tco usage: window_s must be > 0 ..."), or TF_ERANGE when a total overflows; *out is
 * untouched on failure. */
int tf_tco_compute(const tf_tco_inputs *in, const tf_tco_usage *use, tf_tco_result *out);

#endif
