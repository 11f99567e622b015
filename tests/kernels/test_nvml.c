/* NVML through dlopen, against a stand-in library (fake_nvml.c): a missing library, one without
 * NVML's functions, a GPU found by UUID or not, readings (the instantaneous power field and the
 * fallback to the one-second average), power limits refused without root and set with it, the
 * sampler's averages. No GPU or driver needed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "nvml.h"
#include "tf_test.h"

#ifndef TF_FAKE_NVML
#error "TF_FAKE_NVML is the stand-in library's path, defined by the build"
#endif

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void test_missing(void) {
  tf_nvml *n = (tf_nvml *)1;
  char err[512] = "";
  TF_CHECK_INT(tf_nvml_open(&n, "/nonexistent/libnvidia-ml.so.1", NULL, 0, err, sizeof err),
               TF_ENOTFOUND);
  TF_CHECK(n == NULL);
  TF_CHECK(strstr(err, "cannot load /nonexistent/libnvidia-ml.so.1") != NULL);
  /* A library that is not NVML. */
  TF_CHECK_INT(tf_nvml_open(&n, "libm.so.6", NULL, 0, err, sizeof err), TF_ENOTFOUND);
  TF_CHECK(strstr(err, "lacks the NVML functions") != NULL);
  tf_nvml_close(NULL);
}

static void test_device(void) {
  tf_nvml *n = NULL;
  char err[512] = "", buf[128];
  TF_CHECK_INT(tf_nvml_open(&n, TF_FAKE_NVML, "GPU-other", 0, err, sizeof err), TF_ENOTFOUND);
  TF_CHECK(strstr(err, "does not find the GPU GPU-other") != NULL);
  TF_CHECK_INT(tf_nvml_open(&n, TF_FAKE_NVML, NULL, 3, err, sizeof err), TF_ENOTFOUND);
  TF_CHECK_INT(tf_nvml_open(&n, TF_FAKE_NVML, "GPU-fake", 0, err, sizeof err), 0);
  if (!n)
    return;
  TF_CHECK_INT(tf_nvml_name(n, buf, sizeof buf), 0);
  TF_CHECK_STR(buf, "NVIDIA Fake GPU");
  TF_CHECK_INT(tf_nvml_driver_version(n, buf, sizeof buf), 0);
  TF_CHECK_STR(buf, "999.12.34");
  double w = 0, mhz = 0, mem = 0, def = 0, lo = 0, hi = 0;
  TF_CHECK_INT(tf_nvml_power_w(n, &w), 0);
  TF_CHECK_NEAR(w, 250, 1e-12); /* the instantaneous field */
  TF_CHECK_INT(tf_nvml_sm_clock_mhz(n, &mhz), 0);
  TF_CHECK_NEAR(mhz, 1500, 0);
  TF_CHECK_INT(tf_nvml_max_clocks_mhz(n, &mhz, &mem), 0);
  TF_CHECK_NEAR(mhz, 1980, 0);
  TF_CHECK_NEAR(mem, 2619, 0);
  TF_CHECK_INT(tf_nvml_power_limits(n, &def, &lo, &hi), 0);
  TF_CHECK_NEAR(def, 700, 0);
  TF_CHECK_NEAR(lo, 200, 0);
  TF_CHECK_NEAR(hi, 700, 0);

  /* Without root the limit stays; with it, it moves. */
  unsetenv("TF_FAKE_NVML_ROOT");
  TF_CHECK_INT(tf_nvml_set_power_limit(n, 350, err, sizeof err), TF_EIO);
  TF_CHECK(strstr(err, "needs root (Insufficient Permissions)") != NULL);
  TF_CHECK_INT(tf_nvml_power_limit(n, &w), 0);
  TF_CHECK_NEAR(w, 700, 0);
  setenv("TF_FAKE_NVML_ROOT", "1", 1);
  TF_CHECK_INT(tf_nvml_set_power_limit(n, 350, err, sizeof err), 0);
  TF_CHECK_INT(tf_nvml_power_limit(n, &w), 0);
  TF_CHECK_NEAR(w, 350, 0);
  TF_CHECK_INT(tf_nvml_set_power_limit(n, 100, err, sizeof err), TF_EIO); /* below the range */
  TF_CHECK_INT(tf_nvml_set_power_limit(n, -5, err, sizeof err), TF_EIO);
  TF_CHECK_INT(tf_nvml_set_power_limit(n, 700, err, sizeof err), 0);
  unsetenv("TF_FAKE_NVML_ROOT");

  /* The sampler: means over the readings between begin and end. */
  tf_nvml_sampler *s = NULL;
  TF_CHECK_INT(tf_nvml_sampler_start(&s, n, 0.001), 0);
  if (s) {
    size_t samples = 99;
    double p = 0, c = 0;
    tf_nvml_sampler_end(s, &p, &c, &samples); /* nothing begun: nothing read */
    TF_CHECK_INT(samples, 0);
    TF_CHECK(isnan(p) && isnan(c));
    tf_nvml_sampler_begin(s);
    sleep_ms(30);
    tf_nvml_sampler_end(s, &p, &c, &samples);
    TF_CHECK(samples >= 1);
    TF_CHECK_NEAR(p, 250, 1e-9);
    TF_CHECK_NEAR(c, 1500, 1e-9);
    tf_nvml_sampler_stop(s);
  }
  tf_nvml_sampler_stop(NULL);
  tf_nvml_close(n);

  /* A driver without the instantaneous field: the one-second average. */
  setenv("TF_FAKE_NVML_NO_INSTANT", "1", 1);
  TF_CHECK_INT(tf_nvml_open(&n, TF_FAKE_NVML, NULL, 0, err, sizeof err), 0);
  if (n) {
    TF_CHECK_INT(tf_nvml_power_w(n, &w), 0);
    TF_CHECK_NEAR(w, 123.456, 1e-9);
    tf_nvml_close(n);
  }
  unsetenv("TF_FAKE_NVML_NO_INSTANT");
}

int main(void) {
  test_missing();
  test_device();
  return tf_test_report("kernels_nvml");
}
