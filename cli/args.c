/* Command-line arguments shared by run and validate, and where the catalogues are. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef TF_BUILTIN_CATALOG_DIR
#error "TF_BUILTIN_CATALOG_DIR is defined by the build"
#endif

const char *tf_cli_default_catalog_dir(void) {
  const char *env = getenv("TOKENFAB_CATALOG_DIR");
  return env && *env ? env : TF_BUILTIN_CATALOG_DIR;
}

int tf_cli_usage_error(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "tokenfab %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nRun 'tokenfab help %s' for its usage.\n", cmd);
  return TF_EXIT_USAGE;
}

bool tf_cli_option(int argc, char **argv, int *i, const char *name, const char **value) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
    return false;
  if (a[n] == '=')
    *value = a + n + 1;
  else
    *value = *i + 1 < argc ? argv[++*i] : NULL;
  return true;
}

int tf_cli_parse_scenario_args(int argc, char **argv, tf_cli_scenario_args *out) {
  const char *cmd = argv[0];
  *out = (tf_cli_scenario_args){.catalog_dir = NULL};
  out->sets = calloc((size_t)argc, sizeof *out->sets);
  if (!out->sets) {
    fprintf(stderr, "tokenfab %s: out of memory\n", cmd);
    return TF_EXIT_FAILURE;
  }
  static const char *const options[] = {"--set", "--catalog-dir"};
  bool only_files = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *value = NULL;
    if (!only_files && strcmp(a, "--") == 0) {
      only_files = true;
      continue;
    }
    if (!only_files && tf_cli_option(argc, argv, &i, "--set", &value)) {
      if (!value)
        return tf_cli_usage_error(cmd, "--set needs PATH=VALUE, as in --set queue.servers=16", "");
      out->sets[out->n_sets++] = value;
    } else if (!only_files && tf_cli_option(argc, argv, &i, "--catalog-dir", &value)) {
      if (!value || !*value)
        return tf_cli_usage_error(cmd, "--catalog-dir needs a folder%s", "");
      out->catalog_dir = value;
    } else if (!only_files && a[0] == '-' && a[1] != '\0') {
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
      const char *near = tf_cli_nearest(name, options, 2);
      fprintf(stderr, "tokenfab %s: unknown option '%s'", cmd, name);
      if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
      fprintf(stderr, "\nRun 'tokenfab help %s' for its usage.\n", cmd);
      return TF_EXIT_USAGE;
    } else if (out->file) {
      return tf_cli_usage_error(cmd, "expected one scenario file, got a second: '%s'", a);
    } else {
      out->file = a;
    }
  }
  if (!out->file)
    return tf_cli_usage_error(cmd, "expected a scenario file, as in: tokenfab %s scenarios/default.yaml",
                       cmd);
  if (!out->catalog_dir)
    out->catalog_dir = tf_cli_default_catalog_dir();
  return TF_EXIT_OK;
}
