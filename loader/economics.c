/* The scenario's `economics:` section: ownership (own or rent), capex and its depreciation,
 * running costs, the cost allocation rule and token prices (docs/SCENARIOS.md, "Economics"). */
#include "economics.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

typedef struct econ_raw {
  int ownership, depreciation, allocation;
  double gpu_hour, system_price, net_share, net_per_gpu, storage_per_gpu, facility_cost, life,
      facility_life, cost_of_capital, maintenance, colocation, staff, horizon;
  bool has_ownership, has_depreciation, has_allocation, has_gpu_hour, has_system_price,
      has_net_share, has_net_per_gpu, has_storage, has_facility_cost, has_life, has_facility_life,
      has_coc, has_maintenance, has_colocation, has_staff, has_horizon;
} econ_raw;

static const char *const ownership_names[] = {"own", "rent", NULL};
/* In tf_tco_method and tf_tco_allocation order (models/tco.h). */
static const char *const method_names[] = {"straight_line", "annuity", NULL};
static const char *const allocation_names[] = {"output", "gpu_time", "blended", NULL};
static_assert(TF_TCO_STRAIGHT_LINE == 0 && TF_TCO_ANNUITY == 1 && TF_TCO_METHOD_COUNT_ == 2,
              "method_names follows tf_tco_method");
static_assert(TF_ALLOC_OUTPUT == 0 && TF_ALLOC_GPU_TIME == 1 && TF_ALLOC_BLENDED == 2 &&
                  TF_ALLOC_COUNT_ == 3,
              "allocation_names follows tf_tco_allocation");

#define QTY(k, u, member, flag, lob, h)                                                 \
  {.key = k, .type = TF_SCHEMA_QUANTITY, .unit = u, .lo_bound = lob,                  \
   .offset = offsetof(econ_raw, member), .present = TF_SCHEMA_FLAG(econ_raw, flag), .help = h}

enum {
  E_OWNERSHIP, E_GPU_HOUR, E_ENERGY_IN_PRICE, E_SYSTEM_PRICE, E_NET_SHARE, E_NET_PER_GPU,
  E_STORAGE, E_FACILITY_COST, E_LIFE, E_FACILITY_LIFE, E_DEPRECIATION, E_COC, E_MAINTENANCE,
  E_COLOCATION, E_STAFF, E_HORIZON, E_ALLOCATION, E_PRICES, E_N
};
static const tf_schema_field econ_fields[E_N] = {
    [E_OWNERSHIP] = {.key = "ownership", .type = TF_SCHEMA_ENUM,
                     .offset = offsetof(econ_raw, ownership),
                     .present = TF_SCHEMA_FLAG(econ_raw, has_ownership), .names = ownership_names,
                     .help = "own (capex and running costs) or rent (a price per GPU-hour)"},
    [E_GPU_HOUR] = QTY("gpu_hour_price", TF_UNIT_RENTAL_PRICE, gpu_hour, has_gpu_hour,
                       TF_SCHEMA_EXCLUSIVE, "rent: price per GPU-hour"),
    [E_ENERGY_IN_PRICE] = {.key = "energy_in_price", .type = TF_SCHEMA_CUSTOM,
                           .help = "rent: whether the price includes power (default true)"},
    [E_SYSTEM_PRICE] = QTY("system_price", TF_UNIT_MONEY, system_price, has_system_price,
                           TF_SCHEMA_EXCLUSIVE, "own: price of one serving system"),
    [E_NET_SHARE] = {.key = "networking_share", .type = TF_SCHEMA_QUANTITY,
                     .unit = TF_UNIT_RATIO, .lo_bound = TF_SCHEMA_INCLUSIVE,
                     .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = 1,
                     .offset = offsetof(econ_raw, net_share),
                     .present = TF_SCHEMA_FLAG(econ_raw, has_net_share),
                     .help = "own: scale-out networking as a share of systems capex, <= 100 %"},
    [E_NET_PER_GPU] = QTY("networking_per_gpu", TF_UNIT_MONEY, net_per_gpu, has_net_per_gpu,
                          TF_SCHEMA_INCLUSIVE, "own: scale-out networking per GPU"),
    [E_STORAGE] = QTY("storage_per_gpu", TF_UNIT_MONEY, storage_per_gpu, has_storage,
                      TF_SCHEMA_INCLUSIVE, "own: storage per GPU"),
    [E_FACILITY_COST] = QTY("facility_cost", TF_UNIT_POWER_PRICE, facility_cost,
                            has_facility_cost, TF_SCHEMA_INCLUSIVE,
                            "own: build cost per W of provisioned IT power"),
    [E_LIFE] = QTY("life", TF_UNIT_TIME, life, has_life, TF_SCHEMA_EXCLUSIVE,
                   "own: depreciation life of systems, networking and storage"),
    [E_FACILITY_LIFE] = QTY("facility_life", TF_UNIT_TIME, facility_life, has_facility_life,
                            TF_SCHEMA_EXCLUSIVE, "own: depreciation life of the facility"),
    [E_DEPRECIATION] = {.key = "depreciation", .type = TF_SCHEMA_ENUM,
                        .offset = offsetof(econ_raw, depreciation),
                        .present = TF_SCHEMA_FLAG(econ_raw, has_depreciation),
                        .names = method_names, .help = "own: straight_line (default) or annuity"},
    /* Upper bounds catch a percentage written without its sign (8 for 8 %): no cost of capital
     * or maintenance contract reaches 100 % a year. */
    [E_COC] = {.key = "cost_of_capital", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
               .lo_bound = TF_SCHEMA_INCLUSIVE, .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = 1,
               .offset = offsetof(econ_raw, cost_of_capital),
               .present = TF_SCHEMA_FLAG(econ_raw, has_coc),
               .help = "own, annuity: interest rate a year, <= 100 %"},
    [E_MAINTENANCE] = {.key = "maintenance", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                       .lo_bound = TF_SCHEMA_INCLUSIVE, .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = 1,
                       .offset = offsetof(econ_raw, maintenance),
                       .present = TF_SCHEMA_FLAG(econ_raw, has_maintenance),
                       .help = "own: maintenance and support a year, share of hardware capex"},
    [E_COLOCATION] = QTY("colocation_price", TF_UNIT_POWER_RENT, colocation, has_colocation,
                         TF_SCHEMA_INCLUSIVE, "own: colocation price per kW-month"),
    [E_STAFF] = QTY("staff_software", TF_UNIT_RENTAL_PRICE, staff, has_staff, TF_SCHEMA_INCLUSIVE,
                    "staff and software per GPU-year"),
    [E_HORIZON] = QTY("horizon", TF_UNIT_TIME, horizon, has_horizon, TF_SCHEMA_EXCLUSIVE,
                      "projection horizon, default the life (own) or a year (rent)"),
    [E_ALLOCATION] = {.key = "allocation", .type = TF_SCHEMA_ENUM,
                      .offset = offsetof(econ_raw, allocation),
                      .present = TF_SCHEMA_FLAG(econ_raw, has_allocation),
                      .names = allocation_names,
                      .help = "how cost splits between input and output tokens"},
    [E_PRICES] = {.key = "token_prices", .type = TF_SCHEMA_CUSTOM,
                  .help = "prices of input, cached input and output tokens"},
};
static const tf_schema econ_schema = {"economics", econ_fields, E_N};

typedef struct prices_raw {
  double input, cached, output;
  bool has_input, has_cached, has_output;
} prices_raw;

static const tf_schema_field price_fields[] = {
    {.key = "input", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TOKEN_PRICE, .required = true,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(prices_raw, input),
     .present = TF_SCHEMA_FLAG(prices_raw, has_input), .help = "price of an input token"},
    {.key = "input_cached", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TOKEN_PRICE,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(prices_raw, cached),
     .present = TF_SCHEMA_FLAG(prices_raw, has_cached),
     .help = "price of an input token served from the prefix cache, default input's"},
    {.key = "output", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TOKEN_PRICE, .required = true,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(prices_raw, output),
     .present = TF_SCHEMA_FLAG(prices_raw, has_output), .help = "price of an output token"},
};
static const tf_schema prices_schema = {"token_prices", price_fields,
                                        sizeof price_fields / sizeof price_fields[0]};

static void error_at(tf_diags *d, const tf_ytree_node *n, const char *msg, const char *key) {
  tf_diags_error(d, n->file, n->line, n->col, msg, key);
}

/* Keys that only one ownership uses are errors with the other. */
static void check_ownership_keys(bool rented, const tf_ytree_node *const *where, tf_diags *d) {
  static const int own_only[] = {E_SYSTEM_PRICE, E_NET_SHARE,    E_NET_PER_GPU, E_STORAGE,
                                 E_FACILITY_COST, E_LIFE,        E_FACILITY_LIFE,
                                 E_DEPRECIATION,  E_COC,         E_MAINTENANCE, E_COLOCATION};
  static const int rent_only[] = {E_GPU_HOUR, E_ENERGY_IN_PRICE};
  const int *keys = rented ? own_only : rent_only;
  size_t n = rented ? sizeof own_only / sizeof *own_only : sizeof rent_only / sizeof *rent_only;
  for (size_t i = 0; i < n; i++)
    if (where[keys[i]])
      error_at(d, where[keys[i]],
               rented ? "economics.%s: not used with ownership \"rent\" (only with \"own\")"
                      : "economics.%s: not used with ownership \"own\" (only with \"rent\")",
               econ_fields[keys[i]].key);
}

/* A key written with a bad value has its own error: "missing" only when it is not written. */
static void require(const tf_ytree_node *node, const tf_ytree_node *written, const char *key,
                    const char *why, tf_diags *d) {
  if (!written)
    tf_diags_error(d, node->file, node->line, node->col, "missing key \"%s\" in economics: %s",
                   key, why);
}

static void load_owned(const tf_ytree_node *node, const econ_raw *r,
                       const tf_ytree_node *const *where, tf_scenario_economics *e,
                       tf_diags *d) {
  require(node, where[E_SYSTEM_PRICE], "system_price",
          "an owned factory needs the price of a system", d);
  require(node, where[E_LIFE], "life", "an owned factory needs the depreciation life of its "
                                       "hardware", d);
  /* Rules that hang on another key are judged only when that key is itself valid. */
  if (r->has_facility_cost && r->facility_cost > 0)
    require(node, where[E_FACILITY_LIFE], "facility_life", "facility_cost needs it", d);
  else if (!where[E_FACILITY_COST] && where[E_FACILITY_LIFE])
    error_at(d, where[E_FACILITY_LIFE], "economics.%s: not used without facility_cost",
             "facility_life");
  if (where[E_NET_SHARE] && where[E_NET_PER_GPU])
    error_at(d, where[E_NET_PER_GPU],
             "economics.%s: give networking_share or networking_per_gpu, not both",
             "networking_per_gpu");
  bool annuity = r->has_depreciation && r->depreciation == TF_TCO_ANNUITY;
  if (annuity)
    require(node, where[E_COC], "cost_of_capital", "depreciation \"annuity\" needs it", d);
  else if (where[E_COC] && (!where[E_DEPRECIATION] || r->has_depreciation))
    error_at(d, where[E_COC], "economics.%s: not used unless depreciation is \"annuity\"",
             "cost_of_capital");
  e->system_price_usd = r->system_price;
  e->networking_share = r->has_net_share ? r->net_share : 0;
  e->networking_per_gpu_usd = r->has_net_per_gpu ? r->net_per_gpu : 0;
  e->storage_per_gpu_usd = r->has_storage ? r->storage_per_gpu : 0;
  e->facility_usd_per_w = r->has_facility_cost ? r->facility_cost : 0;
  e->life_s = r->life;
  e->facility_life_s = r->has_facility_life ? r->facility_life : 0;
  e->method = annuity ? TF_TCO_ANNUITY : TF_TCO_STRAIGHT_LINE;
  e->cost_of_capital = r->has_coc ? r->cost_of_capital : 0;
  e->maintenance_per_year = r->has_maintenance ? r->maintenance : 0;
  e->colocation_usd_per_w_s = r->has_colocation ? r->colocation : 0;
  e->horizon_s = r->has_horizon ? r->horizon : r->life;
}

static void load_energy_in_price(const tf_ytree_node *v, tf_scenario_economics *e, tf_diags *d) {
  if (!tf_schema_scalar(v, "economics.energy_in_price", "true or false", d))
    return;
  if (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0)
    e->energy_in_price = v->text[0] == 't';
  else
    tf_diags_error(d, v->file, v->line, v->col,
                   "economics.energy_in_price: expected true or false, got \"%s\"", v->text);
}

static void load_prices(const tf_ytree_node *node, tf_scenario_economics *e, tf_diags *d) {
  prices_raw p = {0};
  tf_schema_apply(&prices_schema, node, "economics.token_prices", &p, NULL, d);
  e->has_prices = true;
  e->price_input_usd = p.input;
  e->price_input_cached_usd = p.has_cached ? p.cached : p.input;
  e->price_output_usd = p.output;
}

void tf_economics_load(const tf_ytree_node *key, const tf_ytree_node *node,
                       tf_scenario_economics *e, tf_diags *d) {
  econ_raw r = {0};
  const tf_ytree_node *where[E_N];
  tf_schema_apply(&econ_schema, node, "economics", &r, where, d);
  const tf_ytree_node *at = tf_ytree_is_null(node) ? key : node;
  *e = (tf_scenario_economics){.present = true,
                               .rented = r.has_ownership && r.ownership == 1,
                               .energy_in_price = true,
                               .allocation = r.has_allocation ? (tf_tco_allocation)r.allocation
                                                              : TF_ALLOC_GPU_TIME,
                               .staff_software_usd_per_gpu_s = r.has_staff ? r.staff : 0};
  if (!tf_ytree_is_null(node) && node->kind != TF_YTREE_MAPPING)
    return; /* the schema said so; nothing else can be judged */
  if (where[E_PRICES])
    load_prices(where[E_PRICES], e, d);
  if (where[E_OWNERSHIP] && !r.has_ownership)
    return; /* own or rent is unknown: which keys belong is too */
  check_ownership_keys(e->rented, where, d);
  if (e->rented) {
    require(at, where[E_GPU_HOUR], "gpu_hour_price", "a rented factory needs its price per "
                                                     "GPU-hour", d);
    e->rental_usd_per_gpu_s = r.gpu_hour;
    e->horizon_s = r.has_horizon ? r.horizon : TF_TCO_YEAR_S;
    if (where[E_ENERGY_IN_PRICE])
      load_energy_in_price(where[E_ENERGY_IN_PRICE], e, d);
  } else {
    load_owned(at, &r, where, e, d);
  }
}

bool tf_economics_bills_energy(const tf_scenario_economics *e) {
  return e->present && (!e->rented || !e->energy_in_price);
}
