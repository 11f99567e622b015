/* TCO and cost per token: capital charges against hand calculations (straight line, annuity, r = 0,
 * fractional lives, r -> 0), a whole owned factory line by line, the rental arithmetic DeepSeek
 * published for V3/R1, the three allocation rules, NaN where documented, revenue, margin and
 * horizon, and every check naming its field. Every expected number is worked out in a comment. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "tco.h"
#include "tf_test.h"

#define Y TF_TCO_YEAR_S /* 31,557,600 s */
#define YEAR_H 8766.0   /* hours in the Julian year: 365.25 x 24, the test's own hand value */
#define HOUR_S 3600.0
#define DAY_S 86400.0
#define KWH_J 3.6e6
#define MONTH_S (Y / 12) /* the loader's USD/kW-month unit: a twelfth of the year */

/* |a - b| <= rel x |b| */
#define CHECK_REL(a, b, rel) TF_CHECK_NEAR((a), (b), (rel) * fabs((double)(b)))

/* The last failure's message contains needle. */
static void check_reason(const char *needle, int line) {
  tf_test_checks++;
  if (!strstr(tf_err_reason(), needle)) {
    tf_test_failures++;
    fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, line, tf_err_reason(),
            needle);
  }
}
#define CHECK_REASON(needle) check_reason((needle), __LINE__)

/* ---- Names ---- */

static void test_names(void) {
  TF_CHECK_STR(tf_tco_method_name(TF_TCO_STRAIGHT_LINE), "straight_line");
  TF_CHECK_STR(tf_tco_method_name(TF_TCO_ANNUITY), "annuity");
  TF_CHECK_STR(tf_tco_method_name(TF_TCO_METHOD_COUNT_), "unknown");
  TF_CHECK_STR(tf_tco_allocation_name(TF_ALLOC_OUTPUT), "output");
  TF_CHECK_STR(tf_tco_allocation_name(TF_ALLOC_GPU_TIME), "gpu_time");
  TF_CHECK_STR(tf_tco_allocation_name(TF_ALLOC_BLENDED), "blended");
  TF_CHECK_STR(tf_tco_allocation_name(TF_ALLOC_COUNT_), "unknown");
  TF_CHECK_STR(tf_tco_asset_name(TF_ASSET_SYSTEMS), "systems");
  TF_CHECK_STR(tf_tco_asset_name(TF_ASSET_NETWORKING), "networking");
  TF_CHECK_STR(tf_tco_asset_name(TF_ASSET_STORAGE), "storage");
  TF_CHECK_STR(tf_tco_asset_name(TF_ASSET_FACILITY), "facility");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_CAPEX_SYSTEMS), "capex_systems");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_CAPEX_FACILITY), "capex_facility");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_MAINTENANCE), "maintenance");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_ENERGY), "energy");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_COLOCATION), "colocation");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_STAFF_SOFTWARE), "staff_software");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_RENTAL), "rental");
  TF_CHECK_STR(tf_tco_component_name(TF_COST_COUNT_), "unknown");
  /* 8766 h is the header's year, not a literal of the model's. */
  TF_CHECK_NEAR(Y / HOUR_S, YEAR_H, 0);
}

/* ---- Capital charges ---- */

static void test_capital_charge(void) {
  /* One GB200 NVL72 rack, 3.1e6 USD (reference-inputs.csv), over 6 years straight line:
   * 3,100,000 / 6 = 516,666.67 USD/y. */
  double sl = tf_tco_capital_charge(3.1e6, 6 * Y, TF_TCO_STRAIGHT_LINE, 0.08);
  TF_CHECK_NEAR(sl, 516666.67, 0.005);
  CHECK_REL(sl, 3.1e6 / 6, 1e-15);

  /* Annuity at 8 % over 6 years:
   *   1.08^6 = 1.586874322944 (exact: 1.08^2 = 1.1664, ^3 = 1.259712, ^6 = 1.259712^2)
   *   1.08^-6 = 1 / 1.586874322944 = 0.630169626883
   *   1 - 1.08^-6 = 0.369830373117
   *   0.08 / 0.369830373117 = 0.216315386229
   *   x 3.1e6 = 670,577.70 USD/y (against 516,666.67 straight line: the capital tied up costs
   *   about 154k a year). */
  double an = tf_tco_capital_charge(3.1e6, 6 * Y, TF_TCO_ANNUITY, 0.08);
  TF_CHECK_NEAR(an, 670577.70, 0.005);

  /* r = 0 is straight line exactly (no 0/0). */
  TF_CHECK(tf_tco_capital_charge(3.1e6, 6 * Y, TF_TCO_ANNUITY, 0) == sl);

  /* Fractional life: 2e6 USD over 4.5 years.
   *   straight line: 2,000,000 / 4.5 = 444,444.44
   *   annuity at 5 %: 1.05^-4.5 = exp(-4.5 ln 1.05) = exp(-4.5 x 0.048790164) = 0.802875405;
   *   1 - that = 0.197124595; 0.05 / 0.197124595 = 0.253646685; x 2e6 = 507,293.37. */
  TF_CHECK_NEAR(tf_tco_capital_charge(2e6, 4.5 * Y, TF_TCO_STRAIGHT_LINE, 0), 444444.44, 0.005);
  TF_CHECK_NEAR(tf_tco_capital_charge(2e6, 4.5 * Y, TF_TCO_ANNUITY, 0.05), 507293.37, 0.005);

  /* Tiny r: to first order the annuity is capex / n x (1 + r (n + 1) / 2), so at r = 1e-12 and
   * n = 6 it exceeds straight line by 3.5e-12 relative (516,666.6666685 against 516,666.6666667).
   * A direct 1 - pow(1 + r, -n) would be off by ~1e-4 relative here. */
  double tiny = tf_tco_capital_charge(3.1e6, 6 * Y, TF_TCO_ANNUITY, 1e-12);
  CHECK_REL(tiny, sl * (1 + 1e-12 * 3.5), 1e-13);
  TF_CHECK(tiny >= sl);
  /* ... and the charge rises smoothly with r from there. */
  double r_prev = tiny;
  for (double r = 1e-10; r < 0.5; r *= 10) {
    double c = tf_tco_capital_charge(3.1e6, 6 * Y, TF_TCO_ANNUITY, r);
    TF_CHECK(c > r_prev);
    r_prev = c;
  }
  /* Zero capex costs nothing. */
  TF_CHECK(tf_tco_capital_charge(0, 6 * Y, TF_TCO_ANNUITY, 0.08) == 0);
}

/* ---- An owned factory, every line by hand ---- */

/* Ten GB200 NVL72 racks (720 GPUs) in a 1.32 MW (IT) hall of their own, over a one-hour window. */
static tf_tco_inputs owned_factory(void) {
  tf_tco_inputs in = {0};
  in.gpus = 720;
  in.capex_usd[TF_ASSET_SYSTEMS] = 10 * 3.1e6;      /* 10 racks x 3.1e6 = 31e6 */
  in.capex_usd[TF_ASSET_NETWORKING] = 0.20 * 31e6;  /* 20 % of systems = 6.2e6 */
  in.capex_usd[TF_ASSET_STORAGE] = 0.5e6;           /* test assumption */
  in.capex_usd[TF_ASSET_FACILITY] = 11.7 * 1.32e6;  /* 11.7 USD/W x 1.32e6 W = 15.444e6 */
  in.life_s[TF_ASSET_SYSTEMS] = 6 * Y;
  in.life_s[TF_ASSET_NETWORKING] = 6 * Y;
  in.life_s[TF_ASSET_STORAGE] = 5 * Y;
  in.life_s[TF_ASSET_FACILITY] = 20 * Y;
  in.method = TF_TCO_STRAIGHT_LINE;
  in.maintenance_per_year = 0.05;
  in.colocation_usd_per_w_s = 10.0 / (1e3 * MONTH_S); /* 10 USD/kW-month */
  in.staff_software_usd_per_gpu_s = 1000.0 / Y;       /* 1000 USD/GPU-year */
  in.electricity_usd_per_j = 0.08 / KWH_J;            /* 0.08 USD/kWh */
  in.provisioned_it_w = 1.32e6;
  in.horizon_s = 6 * Y;
  in.allocation = TF_ALLOC_OUTPUT;
  return in;
}

/* One hour: 1.2 MW IT at PUE 1.2 = 1.44 MW facility, 1440 kWh = 5.184e9 J; 40k input tokens/s
 * (half from the cache) and 10k output tokens/s; a quarter of GPU time on prefill. */
static tf_tco_usage owned_usage(void) {
  return (tf_tco_usage){
      .window_s = HOUR_S,
      .facility_energy_j = 1.44e6 * HOUR_S,
      .input_tokens = 144e6,
      .input_cached_tokens = 72e6,
      .output_tokens = 36e6,
      .goodput_output_tokens = 30e6,
      .prefill_gpu_s = 0.25 * 720 * HOUR_S, /* 648,000 GPU-s */
      .decode_gpu_s = 0.75 * 720 * HOUR_S,  /* 1,944,000 GPU-s */
  };
}

static void test_owned_factory(void) {
  tf_tco_inputs in = owned_factory();
  tf_tco_usage use = owned_usage();
  tf_tco_result r;
  TF_CHECK_INT(tf_tco_check(&in), 0);
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);

  /* Per year, by hand:
   *   capex_systems     31,000,000 / 6           = 5,166,666.67
   *   capex_networking   6,200,000 / 6           = 1,033,333.33
   *   capex_storage        500,000 / 5           =   100,000.00
   *   capex_facility    15,444,000 / 20          =   772,200.00
   *   maintenance       0.05 x (31 + 6.2 + 0.5)e6 = 0.05 x 37.7e6 = 1,885,000.00 (no facility)
   *   energy            1440 kWh x 0.08 = 115.20 USD per hour x 8766 h = 1,009,843.20
   *   colocation        10 USD/kW-month x 1320 kW x 12 months = 158,400.00
   *   staff_software    1000 x 720 GPUs          =   720,000.00
   *   rental                                     =         0
   *   total                                      = 10,845,443.20 USD/y
   * (capex_systems + capex_networking = 6,200,000 exactly.) */
  const double want[TF_COST_COUNT_] = {
      [TF_COST_CAPEX_SYSTEMS] = 31e6 / 6,  [TF_COST_CAPEX_NETWORKING] = 6.2e6 / 6,
      [TF_COST_CAPEX_STORAGE] = 100000,    [TF_COST_CAPEX_FACILITY] = 772200,
      [TF_COST_MAINTENANCE] = 1885000,     [TF_COST_ENERGY] = 1009843.2,
      [TF_COST_COLOCATION] = 158400,       [TF_COST_STAFF_SOFTWARE] = 720000,
      [TF_COST_RENTAL] = 0,
  };
  const double total_year = 10845443.2;
  TF_CHECK_NEAR(r.line[TF_COST_CAPEX_SYSTEMS].usd_per_year, 5166666.67, 0.005);
  TF_CHECK_NEAR(r.line[TF_COST_CAPEX_NETWORKING].usd_per_year, 1033333.33, 0.005);
  double sum_year = 0, sum_window = 0, sum_share = 0, sum_mtok = 0;
  for (int c = 0; c < TF_COST_COUNT_; c++) {
    const tf_tco_line *l = &r.line[c];
    CHECK_REL(l->usd_per_year, want[c], 1e-12);
    /* The window is an hour: a line's window cost is its yearly cost / 8766. */
    CHECK_REL(l->usd_window, want[c] / YEAR_H, 1e-12);
    CHECK_REL(l->share, want[c] / total_year, 1e-12);
    CHECK_REL(l->usd_per_mtok_output, want[c] / YEAR_H / 36, 1e-12);
    sum_year += l->usd_per_year;
    sum_window += l->usd_window;
    sum_share += l->share;
    sum_mtok += l->usd_per_mtok_output;
  }
  /* The energy line is the window's bill: 115.20 USD. */
  CHECK_REL(r.line[TF_COST_ENERGY].usd_window, 115.2, 1e-12);
  CHECK_REL(r.usd_per_year, total_year, 1e-12);
  TF_CHECK_NEAR(r.usd_per_year, sum_year, 1e-9 * total_year);
  TF_CHECK_NEAR(r.usd_window, sum_window, 1e-12 * r.usd_window);
  TF_CHECK_NEAR(sum_share, 1, 1e-12);
  CHECK_REL(sum_mtok, r.usd_per_mtok_output, 1e-12);
  /* Window: 10,845,443.20 / 8766 = 1,237.2169 USD per hour. Horizon 6 y: 65,072,659.20. */
  TF_CHECK_NEAR(r.usd_window, 1237.2169, 5e-5);
  CHECK_REL(r.usd_horizon, 65072659.2, 1e-12);
  CHECK_REL(r.capex_usd, 31e6 + 6.2e6 + 0.5e6 + 15.444e6, 1e-15);

  /* OUTPUT: 1,237.2169 / 36 Mtok = 34.3671 USD/Mtok output, exactly usd_window / output x 1e6. */
  CHECK_REL(r.usd_per_mtok_output, r.usd_window / use.output_tokens * 1e6, 1e-9);
  TF_CHECK_NEAR(r.usd_per_mtok_output, 34.36714, 1e-5);
  TF_CHECK(r.usd_per_mtok_input == 0);
  TF_CHECK(r.input_share == 0);
  /* All tokens: 1,237.2169 / 180 Mtok = 6.87343; goodput: / 30 Mtok = 41.24056. */
  TF_CHECK_NEAR(r.usd_per_mtok_all, 6.873427, 1e-6);
  TF_CHECK_NEAR(r.usd_per_mtok_goodput, 41.240563, 1e-6);
  TF_CHECK(r.usd_per_mtok_goodput >= r.usd_per_mtok_output);
  /* Per GPU-hour: 10,845,443.20 / (720 x 8766) = 1.71836 USD, below SemiAnalysis's 2.21 for an
   * owned GB200 NVL72 (this hall has no cost of capital and a cheap facility). */
  TF_CHECK_NEAR(r.usd_per_gpu_hour, 1.718357, 1e-6);
  /* A year at this hour's rate: 36e6 x 8766 = 3.15576e11 output, 144e6 x 8766 input tokens. */
  CHECK_REL(r.output_tokens_per_year, 36e6 * YEAR_H, 1e-12);
  CHECK_REL(r.input_tokens_per_year, 144e6 * YEAR_H, 1e-12);
  /* No prices: no revenue, no margin, margin share NaN. */
  TF_CHECK(r.revenue_usd_window == 0 && r.revenue_usd_per_year == 0);
  TF_CHECK(r.margin_usd_per_year == 0);
  TF_CHECK(isnan(r.margin_share));

  /* With R1-like prices (0.55 / 0.14 / 2.19 USD per M input, cached input, output):
   *   window revenue = 72 x 0.55 + 72 x 0.14 + 36 x 2.19 = 39.60 + 10.08 + 78.84 = 128.52 USD
   *   a year: 128.52 x 8766 = 1,126,606.32; margin = 1,126,606.32 - 10,845,443.20
   *   = -9,718,836.88; margin / revenue = -8.62665 (a loss: the prices do not pay for this hall
   *   at 10k output tokens/s). */
  in.has_prices = true;
  in.price_input_usd = 0.55e-6;
  in.price_input_cached_usd = 0.14e-6;
  in.price_output_usd = 2.19e-6;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  CHECK_REL(r.revenue_usd_window, 128.52, 1e-12);
  CHECK_REL(r.revenue_usd_per_year, 1126606.32, 1e-12);
  CHECK_REL(r.margin_usd_per_year, -9718836.88, 1e-12);
  TF_CHECK_NEAR(r.margin_share, -8.626649, 1e-6);

  /* Annuity at 8 %: each capex line is tf_tco_capital_charge's, maintenance does not change. */
  in.method = TF_TCO_ANNUITY;
  in.cost_of_capital = 0.08;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  for (int a = 0; a < TF_ASSET_COUNT_; a++)
    TF_CHECK(r.line[TF_COST_CAPEX_SYSTEMS + a].usd_per_year ==
             tf_tco_capital_charge(in.capex_usd[a], in.life_s[a], TF_TCO_ANNUITY, 0.08));
  /* Systems: 31e6 x 0.216315386229 = 6,705,776.97 (ten racks of the 670,577.70 above). */
  TF_CHECK_NEAR(r.line[TF_COST_CAPEX_SYSTEMS].usd_per_year, 6705776.97, 0.005);
  CHECK_REL(r.line[TF_COST_MAINTENANCE].usd_per_year, 1885000, 1e-12);
  TF_CHECK(r.usd_per_year > total_year);

  /* An asset without capex needs no life and costs nothing. */
  in = owned_factory();
  in.capex_usd[TF_ASSET_STORAGE] = 0;
  in.life_s[TF_ASSET_STORAGE] = 0;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(r.line[TF_COST_CAPEX_STORAGE].usd_per_year == 0);
  /* Maintenance: 0.05 x 37.2e6 = 1,860,000. */
  CHECK_REL(r.line[TF_COST_MAINTENANCE].usd_per_year, 1860000, 1e-12);
}

/* ---- DeepSeek's published rental arithmetic ---- */

/* DeepSeek, "Day 6: One More Thing, DeepSeek-V3/R1 Inference System Overview",
 * github.com/deepseek-ai/open-infra-index 202502OpenSourceWeek/
 * day_6_one_more_thing_deepseekV3R1_inference_system_overview.md (2025-03-01), for the 24 h
 * from 2025-02-27 12:00 UTC+8: average occupancy 226.75 nodes of 8 H800, "assuming the leasing
 * cost of one H800 GPU is $2 per hour, the total daily cost amounts to $87,072"; 608B input
 * tokens of which 342B hit the on-disk KV cache, 168B output tokens; at R1's prices ($0.14/M
 * input cache hit, $0.55/M input cache miss, $2.19/M output) "the total daily revenue would be
 * $562,027, with a cost profit margin of 545%". The lease price is the reference-inputs.csv row
 * "DeepSeek assumed H800 lease, 2.0 USD/GPU-hour, used for $87,072/day". */
static void test_deepseek(void) {
  tf_tco_inputs in = {0};
  in.rented = true;
  in.gpus = 226.75 * 8; /* = 1814 */
  in.rental_usd_per_gpu_s = 2.0 / HOUR_S;
  in.energy_in_rental = true;
  in.horizon_s = Y;
  in.allocation = TF_ALLOC_OUTPUT;
  in.has_prices = true;
  in.price_input_usd = 0.55e-6;
  in.price_input_cached_usd = 0.14e-6;
  in.price_output_usd = 2.19e-6;
  /* Energy is in the lease: a facility energy given here must not be billed. */
  tf_tco_usage use = {.window_s = DAY_S,
                      .facility_energy_j = 1e12,
                      .input_tokens = 608e9,
                      .input_cached_tokens = 342e9,
                      .output_tokens = 168e9,
                      .goodput_output_tokens = 168e9};
  in.electricity_usd_per_j = 0.08 / KWH_J;
  tf_tco_result r;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);

  /* Cost: 1814 GPUs x 24 h x 2 USD = 87,072 USD/day, all of it rental. */
  TF_CHECK(in.gpus == 1814);
  TF_CHECK_NEAR(r.usd_window, 87072, 1e-6);
  TF_CHECK_NEAR(r.line[TF_COST_RENTAL].usd_window, 87072, 1e-6);
  TF_CHECK_NEAR(r.line[TF_COST_RENTAL].share, 1, 1e-15);
  for (int c = 0; c < TF_COST_COUNT_; c++)
    if (c != TF_COST_RENTAL)
      TF_CHECK(r.line[c].usd_per_year == 0);
  TF_CHECK(r.capex_usd == 0);
  /* A rented GPU-hour costs what it is rented for. */
  TF_CHECK_NEAR(r.usd_per_gpu_hour, 2.0, 1e-12);
  /* Per M output tokens: 87,072 / 168,000 M = 0.518286 USD. */
  CHECK_REL(r.usd_per_mtok_output, 87072 / 168e9 * 1e6, 1e-12);
  TF_CHECK_NEAR(r.usd_per_mtok_output, 0.518286, 1e-6);

  /* Revenue from the rounded counts:
   *   (608 - 342)e9 = 266e9 cache misses x 0.55e-6 = 146,300
   *   342e9 cache hits x 0.14e-6                   =  47,880
   *   168e9 output x 2.19e-6                       = 367,920
   *   total                                        = 562,100 USD/day
   * DeepSeek's $562,027 is 73 USD (0.013 %) lower: their token counts are published rounded to
   * the billion (73 USD is ~33M output tokens at 2.19 USD/M, far below the +-0.5B rounding), so
   * $562,027 presumably comes from the exact counts. So: exactly 562,100 here, within 0.1 % of
   * theirs. */
  CHECK_REL(r.revenue_usd_window, 562100, 1e-12);
  CHECK_REL(r.revenue_usd_window, 562027, 1e-3);
  /* "Cost profit margin" is profit over cost: (562,100 - 87,072) / 87,072 = 475,028 / 87,072
   * = 5.4556 (545.6 %). DeepSeek's own pair gives (562,027 - 87,072) / 87,072 = 5.4547, which
   * they print as 545 %; the rounded token counts move it by 0.08 points, so 545.6 % is 0.56
   * points from the printed 545 % and a 0.5-point tolerance around 545 % cannot hold: check
   * within 1 point of 545 % and within 0.1 point of 545.47 %. */
  double profit_over_cost = (r.revenue_usd_window - r.usd_window) / r.usd_window;
  TF_CHECK_NEAR(profit_over_cost, 5.45, 0.01);
  TF_CHECK_NEAR(profit_over_cost, (562027.0 - 87072) / 87072, 0.001);
  TF_CHECK_INT((long long)(100 * (562027.0 - 87072) / 87072), 545);
  /* The result's margin is on revenue: 475,028 / 562,100 = 0.8451 (the 84.5 % often quoted);
   * a year at the day's rate is 365.25 days. */
  TF_CHECK_NEAR(r.margin_share, 475028.0 / 562100, 1e-12);
  CHECK_REL(r.margin_usd_per_year, 475028.0 * 365.25, 1e-12);
  CHECK_REL(r.revenue_usd_per_year, 562100.0 * 365.25, 1e-12);
  CHECK_REL(r.output_tokens_per_year, 168e9 * 365.25, 1e-12);
  /* Horizon one year: 87,072 x 365.25 = 31,803,048. */
  CHECK_REL(r.usd_horizon, 31803048, 1e-12);

  /* Energy billed on top of the lease: 1e12 J = 277,777.78 kWh x 0.08 = 22,222.22 USD in the day;
   * staff and software apply to rented fleets too: 100 USD/GPU-year x 1814 / 365.25 = 496.65 per
   * day. */
  in.energy_in_rental = false;
  in.staff_software_usd_per_gpu_s = 100 / Y;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK_NEAR(r.line[TF_COST_ENERGY].usd_window, 1e12 / KWH_J * 0.08, 1e-6);
  TF_CHECK_NEAR(r.line[TF_COST_ENERGY].usd_window, 22222.22, 0.005);
  TF_CHECK_NEAR(r.line[TF_COST_STAFF_SOFTWARE].usd_window, 496.65, 0.005);
  TF_CHECK_NEAR(r.usd_window, 87072 + 1e12 / KWH_J * 0.08 + 181400 / 365.25, 1e-6);
  /* Owned-only fields are ignored when rented. */
  in.capex_usd[TF_ASSET_SYSTEMS] = 1e9;
  in.life_s[TF_ASSET_SYSTEMS] = Y;
  in.maintenance_per_year = 0.1;
  in.colocation_usd_per_w_s = 1;
  in.provisioned_it_w = 1e6;
  tf_tco_result r2;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r2), 0);
  TF_CHECK(r2.usd_per_year == r.usd_per_year && r2.capex_usd == 0);
}

/* ---- Allocation rules ---- */

static void test_allocation(void) {
  tf_tco_inputs in = owned_factory();
  tf_tco_usage use = owned_usage();
  tf_tco_result r;
  /* Window cost 1,237.2169 USD (above); 144 M input, 36 M output tokens. Each rule's input and
   * output costs add back to it. */

  /* OUTPUT: input free, output 1,237.2169 / 36 = 34.36714 USD/M. */
  in.allocation = TF_ALLOC_OUTPUT;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  double total = r.usd_window;
  TF_CHECK(r.usd_per_mtok_input == 0 && r.input_share == 0);
  TF_CHECK_NEAR(r.usd_per_mtok_output, 34.36714, 1e-5);
  CHECK_REL((r.usd_per_mtok_input * 144 + r.usd_per_mtok_output * 36), total, 1e-12);

  /* GPU_TIME: prefill 648,000 of 2,592,000 GPU-s, input_share = 0.25.
   *   input  0.25 x 1,237.2169 = 309.3042 USD / 144 M = 2.147946 USD/M
   *   output 0.75 x 1,237.2169 = 927.9127 USD /  36 M = 25.775352 USD/M */
  in.allocation = TF_ALLOC_GPU_TIME;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK_NEAR(r.input_share, 0.25, 1e-15);
  TF_CHECK_NEAR(r.usd_per_mtok_input, 2.147946, 1e-6);
  TF_CHECK_NEAR(r.usd_per_mtok_output, 25.775352, 1e-6);
  CHECK_REL((r.usd_per_mtok_input * 144 + r.usd_per_mtok_output * 36), total, 1e-12);
  /* The goodput figure does not depend on the rule: it is all the cost over good tokens. */
  TF_CHECK_NEAR(r.usd_per_mtok_goodput, 41.240563, 1e-6);
  TF_CHECK(r.usd_per_mtok_goodput >= r.usd_per_mtok_output);

  /* BLENDED: every token 1,237.2169 / 180 M = 6.873427 USD/M; input_share = 144 / 180 = 0.8. */
  in.allocation = TF_ALLOC_BLENDED;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK_NEAR(r.input_share, 0.8, 1e-15);
  TF_CHECK_NEAR(r.usd_per_mtok_input, 6.873427, 1e-6);
  TF_CHECK(r.usd_per_mtok_input == r.usd_per_mtok_output);
  TF_CHECK(r.usd_per_mtok_input == r.usd_per_mtok_all);
  CHECK_REL((r.usd_per_mtok_input * 144 + r.usd_per_mtok_output * 36), total, 1e-12);

  /* GPU_TIME without GPU time falls back to BLENDED, input_share 0.8, identical prices. */
  tf_tco_result blended = r;
  in.allocation = TF_ALLOC_GPU_TIME;
  use.prefill_gpu_s = use.decode_gpu_s = 0;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(r.input_share == blended.input_share);
  TF_CHECK(r.usd_per_mtok_input == blended.usd_per_mtok_input);
  TF_CHECK(r.usd_per_mtok_output == blended.usd_per_mtok_output);

  /* All GPU time on decode: GPU_TIME puts everything on output, like OUTPUT. */
  use = owned_usage();
  use.prefill_gpu_s = 0;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(r.input_share == 0 && r.usd_per_mtok_input == 0);
  CHECK_REL(r.usd_per_mtok_output, total / 36, 1e-12);
}

/* ---- NaN where there is nothing to divide by ---- */

static void test_nan(void) {
  tf_tco_inputs in = owned_factory();
  tf_tco_usage use = owned_usage();
  tf_tco_result r;
  /* No output tokens: output and goodput prices NaN, every line's too; OUTPUT's input price
   * stays 0; tokens exist, so the all-token price is defined. */
  use.output_tokens = use.goodput_output_tokens = 0;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(isnan(r.usd_per_mtok_output) && isnan(r.usd_per_mtok_goodput));
  TF_CHECK(r.usd_per_mtok_input == 0);
  for (int c = 0; c < TF_COST_COUNT_; c++)
    TF_CHECK(isnan(r.line[c].usd_per_mtok_output));
  TF_CHECK_NEAR(r.usd_per_mtok_all, r.usd_window / 144, 1e-9);
  TF_CHECK(r.output_tokens_per_year == 0);
  /* Costs are still there. */
  CHECK_REL(r.usd_per_year, 10845443.2, 1e-12);

  /* Output without goodput: only the goodput price is NaN. */
  use = owned_usage();
  use.goodput_output_tokens = 0;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(isnan(r.usd_per_mtok_goodput) && !isnan(r.usd_per_mtok_output));

  /* GPU_TIME with GPU time but no input tokens: the input share has no tokens to land on. */
  use = owned_usage();
  use.input_tokens = use.input_cached_tokens = 0;
  in.allocation = TF_ALLOC_GPU_TIME;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(isnan(r.usd_per_mtok_input));
  TF_CHECK_NEAR(r.input_share, 0.25, 1e-15);

  /* No tokens at all: every token price NaN under BLENDED, input_share 0. */
  use.output_tokens = use.goodput_output_tokens = 0;
  in.allocation = TF_ALLOC_BLENDED;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(isnan(r.usd_per_mtok_input) && isnan(r.usd_per_mtok_output));
  TF_CHECK(isnan(r.usd_per_mtok_all));
  TF_CHECK(r.input_share == 0);

  /* Prices but nothing sold: revenue 0, margin = -cost, margin share NaN. */
  in.has_prices = true;
  in.price_input_usd = in.price_input_cached_usd = in.price_output_usd = 1e-6;
  TF_CHECK_INT(tf_tco_compute(&in, &use, &r), 0);
  TF_CHECK(r.revenue_usd_window == 0);
  CHECK_REL(r.margin_usd_per_year, -r.usd_per_year, 1e-15);
  TF_CHECK(isnan(r.margin_share));

  /* A factory that costs nothing: shares 0, not NaN. */
  tf_tco_inputs zero = {.gpus = 1, .horizon_s = Y};
  TF_CHECK_INT(tf_tco_compute(&zero, &use, &r), 0);
  TF_CHECK(r.usd_per_year == 0 && r.usd_per_gpu_hour == 0);
  for (int c = 0; c < TF_COST_COUNT_; c++)
    TF_CHECK(r.line[c].share == 0);
}

/* ---- Checks ---- */

static void expect_in(const tf_tco_inputs *in, int code, const char *needle, int line) {
  tf_err_clear();
  int rc = tf_tco_check(in);
  tf_test_checks++;
  if (rc != code) {
    tf_test_failures++;
    fprintf(stderr, "%s:%d: tf_tco_check gave %s, expected %s\n", __FILE__, line,
            tf_err_name(rc), tf_err_name(code));
  }
  check_reason(needle, line);
  /* tf_tco_compute refuses the same inputs the same way and leaves *out alone. */
  tf_tco_usage use = owned_usage();
  tf_tco_result r;
  memset(&r, 0x5a, sizeof r);
  unsigned char before[sizeof r];
  memcpy(before, &r, sizeof r);
  tf_test_checks++;
  if (tf_tco_compute(in, &use, &r) != code || memcmp(before, &r, sizeof r) != 0) {
    tf_test_failures++;
    fprintf(stderr, "%s:%d: tf_tco_compute did not refuse as tf_tco_check did\n", __FILE__, line);
  }
  check_reason(needle, line);
}
#define EXPECT_IN(in, code, needle) expect_in((in), (code), (needle), __LINE__)

static void expect_use(const tf_tco_usage *use, int code, const char *needle, int line) {
  tf_tco_inputs in = owned_factory();
  tf_tco_result r;
  tf_err_clear();
  int rc = tf_tco_compute(&in, use, &r);
  tf_test_checks++;
  if (rc != code) {
    tf_test_failures++;
    fprintf(stderr, "%s:%d: tf_tco_compute gave %s, expected %s\n", __FILE__, line,
            tf_err_name(rc), tf_err_name(code));
  }
  check_reason(needle, line);
}
#define EXPECT_USE(use, code, needle) expect_use((use), (code), (needle), __LINE__)

static void test_checks(void) {
  const tf_tco_inputs good = owned_factory();
  tf_tco_inputs in;
  TF_CHECK_INT(tf_tco_check(&good), 0);

  in = good, in.gpus = 0;
  EXPECT_IN(&in, TF_ERANGE, "tco: gpus must be > 0");
  in = good, in.gpus = NAN;
  EXPECT_IN(&in, TF_ERANGE, "tco: gpus must be > 0");
  in = good, in.gpus = INFINITY;
  EXPECT_IN(&in, TF_ERANGE, "tco: gpus must be > 0");
  in = good, in.rented = true, in.rental_usd_per_gpu_s = 0;
  EXPECT_IN(&in, TF_ERANGE, "tco: rental_usd_per_gpu_s must be > 0 when rented");
  in = good, in.rental_usd_per_gpu_s = -1;
  EXPECT_IN(&in, TF_ERANGE, "tco: rental_usd_per_gpu_s must be >= 0");
  in = good, in.capex_usd[TF_ASSET_NETWORKING] = -1;
  EXPECT_IN(&in, TF_ERANGE, "tco: capex_usd[networking] must be >= 0");
  in = good, in.capex_usd[TF_ASSET_SYSTEMS] = INFINITY;
  EXPECT_IN(&in, TF_ERANGE, "tco: capex_usd[systems] must be >= 0");
  in = good, in.life_s[TF_ASSET_STORAGE] = -Y;
  EXPECT_IN(&in, TF_ERANGE, "tco: life_s[storage] must be >= 0");
  in = good, in.life_s[TF_ASSET_FACILITY] = 0;
  EXPECT_IN(&in, TF_EINVAL, "tco: life_s[facility] must be > 0 where capex_usd[facility] > 0");
  in = good, in.method = TF_TCO_METHOD_COUNT_;
  EXPECT_IN(&in, TF_EINVAL, "tco: method");
  in = good, in.cost_of_capital = -0.01;
  EXPECT_IN(&in, TF_ERANGE, "tco: cost_of_capital must be >= 0");
  in = good, in.maintenance_per_year = -0.05;
  EXPECT_IN(&in, TF_ERANGE, "tco: maintenance_per_year must be >= 0");
  in = good, in.colocation_usd_per_w_s = NAN;
  EXPECT_IN(&in, TF_ERANGE, "tco: colocation_usd_per_w_s must be >= 0");
  in = good, in.staff_software_usd_per_gpu_s = -1;
  EXPECT_IN(&in, TF_ERANGE, "tco: staff_software_usd_per_gpu_s must be >= 0");
  in = good, in.electricity_usd_per_j = -1e-8;
  EXPECT_IN(&in, TF_ERANGE, "tco: electricity_usd_per_j must be >= 0");
  in = good, in.provisioned_it_w = -1;
  EXPECT_IN(&in, TF_ERANGE, "tco: provisioned_it_w must be >= 0");
  in = good, in.horizon_s = 0;
  EXPECT_IN(&in, TF_ERANGE, "tco: horizon_s must be > 0");
  in = good, in.allocation = TF_ALLOC_COUNT_;
  EXPECT_IN(&in, TF_EINVAL, "tco: allocation");
  in = good, in.has_prices = true, in.price_input_usd = -1e-6;
  EXPECT_IN(&in, TF_ERANGE, "tco: price_input_usd must be >= 0");
  in = good, in.has_prices = true, in.price_input_cached_usd = NAN;
  EXPECT_IN(&in, TF_ERANGE, "tco: price_input_cached_usd must be >= 0");
  in = good, in.has_prices = true, in.price_output_usd = -1e-6;
  EXPECT_IN(&in, TF_ERANGE, "tco: price_output_usd must be >= 0");
  /* Prices are not read without has_prices. */
  in = good, in.price_output_usd = -1e-6;
  TF_CHECK_INT(tf_tco_check(&in), 0);

  const tf_tco_usage ok = owned_usage();
  tf_tco_usage use;
  use = ok, use.window_s = 0;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: window_s must be > 0");
  use = ok, use.window_s = INFINITY;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: window_s must be > 0");
  use = ok, use.facility_energy_j = -1;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: facility_energy_j must be >= 0");
  use = ok, use.input_tokens = NAN;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: input_tokens must be >= 0");
  use = ok, use.input_cached_tokens = -1;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: input_cached_tokens must be >= 0");
  use = ok, use.output_tokens = -1;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: output_tokens must be >= 0");
  use = ok, use.goodput_output_tokens = -1;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: goodput_output_tokens must be >= 0");
  use = ok, use.prefill_gpu_s = -1;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: prefill_gpu_s must be >= 0");
  use = ok, use.decode_gpu_s = INFINITY;
  EXPECT_USE(&use, TF_ERANGE, "tco usage: decode_gpu_s must be >= 0");
  use = ok, use.input_cached_tokens = use.input_tokens + 1;
  EXPECT_USE(&use, TF_EINVAL, "tco usage: input_cached_tokens must be <= input_tokens");
  use = ok, use.goodput_output_tokens = use.output_tokens + 1;
  EXPECT_USE(&use, TF_EINVAL, "tco usage: goodput_output_tokens must be <= output_tokens");
  /* Finite inputs whose year overflows. */
  use = ok, use.window_s = 1e-300;
  EXPECT_USE(&use, TF_ERANGE, "overflow");
}

int main(void) {
  test_names();
  test_capital_charge();
  test_owned_factory();
  test_deepseek();
  test_allocation();
  test_nan();
  test_checks();
  return tf_test_report("models_tco");
}
