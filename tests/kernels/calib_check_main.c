/* calib_check DIR: checks a measurement folder against docs/CALIBRATION.md (calib_check.h); used
 * by the `gpu` test of a quick calibration. Exit 0 kept, 1 broken, 2 usage. */
#include <stdio.h>

#include "calib_check.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: calib_check DIR\n");
    return 2;
  }
  char err[1024];
  size_t rows = 0;
  if (calib_check_dir(argv[1], &rows, err, sizeof err) != 0) {
    fprintf(stderr, "calib_check: %s\n", err);
    return 1;
  }
  printf("%s: device.csv and %zu measurements keep the contract\n", argv[1], rows);
  return 0;
}
