/* The scenario's `economics:` section (loader/economics.c). */
#ifndef TF_ECONOMICS_H
#define TF_ECONOMICS_H

#include <stdbool.h>

#include "diag.h"
#include "scenario.h"
#include "ytree.h"

/* Validates `economics:` (node, the value of key) into *e; problems go to d. Checks that need
 * other sections (a workload, the site's electricity price) are the caller's, and so is
 * e->origin (its file name must outlive the YAML tree). */
void tf_economics_load(const tf_ytree_node *key, const tf_ytree_node *node,
                       tf_scenario_economics *e, tf_diags *d);

/* Whether e bills energy on top: owned, or rented without power in the price. */
bool tf_economics_bills_energy(const tf_scenario_economics *e);

#endif
