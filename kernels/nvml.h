/* GPU power, clocks and power limits through NVML, loaded at run time with dlopen (as GPU
 * monitors such as nvtop do), so nothing NVML is needed to build: not every CUDA install carries
 * nvml.h, and a machine without the driver still builds and runs the CPU tests. A background
 * sampler thread averages board power and SM clock while a configuration runs.
 *
 * Every function is safe to call from the sampler thread and the main thread at once (NVML is
 * thread-safe; the sampler's sums are behind a mutex). */
#ifndef TF_NVML_H
#define TF_NVML_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library name the driver installs (the unversioned libnvidia-ml.so comes only with
 * development packages). */
#define TF_NVML_LIBRARY "libnvidia-ml.so.1"

typedef struct tf_nvml tf_nvml;

/* Loads NVML from lib (NULL: TF_NVML_LIBRARY), initialises it and opens one GPU: the one with
 * the given UUID ("GPU-..." as CUDA and nvidia-smi print it) when uuid is not NULL, which is
 * robust to CUDA_VISIBLE_DEVICES and to CUDA's and NVML's different orders; else NVML's index.
 * 0; TF_ENOTFOUND when the library or one of its functions is missing, or the GPU is not found;
 * TF_EIO when NVML answers with an error; TF_ENOMEM. err says which. */
int tf_nvml_open(tf_nvml **out, const char *lib, const char *uuid, unsigned index, char *err,
                 size_t err_size);
/* Shuts NVML down and unloads it; NULL is allowed. */
void tf_nvml_close(tf_nvml *n);

/* The GPU's name and the driver's version (text as NVML gives it). 0 or TF_EIO. */
int tf_nvml_name(tf_nvml *n, char *buf, size_t size);
int tf_nvml_driver_version(tf_nvml *n, char *buf, size_t size);

/* Board power now, in watts: the instantaneous reading (field NVML_FI_DEV_POWER_INSTANT, drivers
 * from 535) where the driver has it, else nvmlDeviceGetPowerUsage, which on Ampere (except A100)
 * and newer averages over the last second (NVML API reference). 0 or TF_EIO. */
int tf_nvml_power_w(tf_nvml *n, double *watts);
/* SM clock now, and the maximum SM and memory clocks, in MHz. 0 or TF_EIO. */
int tf_nvml_sm_clock_mhz(tf_nvml *n, double *mhz);
int tf_nvml_max_clocks_mhz(tf_nvml *n, double *sm_mhz, double *mem_mhz);

/* Power limits in watts: the default, the range a limit may be set in, and the one in force.
 * 0 or TF_EIO. */
int tf_nvml_power_limits(tf_nvml *n, double *default_w, double *min_w, double *max_w);
int tf_nvml_power_limit(tf_nvml *n, double *watts);
/* Sets the power limit (needs root; the usual refusal is NVML_ERROR_NO_PERMISSION). 0 or TF_EIO,
 * err says why. */
int tf_nvml_set_power_limit(tf_nvml *n, double watts, char *err, size_t err_size);

/* A thread that reads power and SM clock every period; between _begin and _end it adds the
 * readings up. */
typedef struct tf_nvml_sampler tf_nvml_sampler;

/* 0, TF_ENOMEM, or TF_EIO when the thread cannot start. */
int tf_nvml_sampler_start(tf_nvml_sampler **out, tf_nvml *n, double period_s);
/* Forgets earlier readings and starts adding. */
void tf_nvml_sampler_begin(tf_nvml_sampler *s);
/* Stops adding; the means since _begin (NaN with no reading) and how many readings there were. */
void tf_nvml_sampler_end(tf_nvml_sampler *s, double *power_w, double *sm_clock_mhz,
                         size_t *samples);
/* Stops the thread and frees the sampler; NULL is allowed. */
void tf_nvml_sampler_stop(tf_nvml_sampler *s);

#ifdef __cplusplus
}
#endif

#endif
