/* libFuzzer target: the scenario loader on arbitrary bytes. The input is a scenario file,
 * optionally followed by a NUL and one --set text. Every input must load or be rejected with
 * diagnostics, never crash, leak or trip a sanitizer; a rejected load must leave the scenario
 * zeroed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "error.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t file_len = nul ? (size_t)(nul - data) : size;
  char path[] = "/tmp/tf-fuzz-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return 0;
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    close(fd);
    unlink(path);
    return 0;
  }
  fwrite(data, 1, file_len, f);
  fclose(f);
  char *set = NULL;
  if (nul) {
    size_t n = size - file_len - 1;
    set = malloc(n + 1);
    if (set) {
      memcpy(set, nul + 1, n);
      set[n] = '\0';
    }
  }
  const char *sets[1] = {set};
  tf_diags *d = NULL;
  if (tf_diags_create(&d) == 0) {
    tf_scenario s = {0};
    int rc = tf_scenario_load(path, sets, set ? 1 : 0, TF_CATALOG_DIR, &s, d);
    if (rc == TF_EPARSE && (s.name || s.hardware || s.workload))
      abort(); /* a rejected load must leave nothing behind */
    if (rc == 0 && tf_diags_error_count(d) != 0)
      abort(); /* success with errors recorded */
    FILE *sink = fopen("/dev/null", "w");
    if (sink) {
      tf_diags_print(d, sink);
      fclose(sink);
    }
    tf_scenario_destroy(&s);
    tf_diags_destroy(d);
  }
  free(set);
  unlink(path);
  return 0;
}
