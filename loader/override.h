/* Command-line overrides, `--set PATH=VALUE`: one change to a scenario's YAML tree before it is
 * validated, the value parsed by libyaml exactly as the file would be. */
#ifndef TF_OVERRIDE_H
#define TF_OVERRIDE_H

#include "diag.h"
#include "ytree.h"

/* The file name diagnostics give for override text: `--set:1:COL: message`, COL counting from 1
 * within the argument as typed. */
#define TF_OVERRIDE_FILE "--set"

/* Applies arg ("queue.servers=16", "hardware[0].count=32", "hardware.0.count=32",
 * "queue.arrival={process: gamma, rate: 5 /s, cv: 2}") to *root, creating missing mapping keys
 * (and *root itself when NULL). A list index that does not exist, a path through a value, no `=`
 * or an empty path is a diagnostic. Returns 0 (diagnostics may have been added) or TF_ENOMEM. */
int tf_override_apply(tf_ytree_node **root, const char *arg, tf_diags *d);

#endif
