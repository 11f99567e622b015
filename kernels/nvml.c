/* NVML through dlopen: a handful of functions declared here with NVML's ABI, and a sampler
 * thread that averages power and SM clock. */
#include "nvml.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"

/* NVML's ABI, from the NVML API reference (docs.nvidia.com/deploy/nvml-api) and the nvml.h it
 * documents (CUDA 12): return codes, clock and value types are C enums (int on every ABI CUDA
 * runs on), a device is an opaque pointer; nvmlInit_v2 and nvmlDeviceGetHandleByIndex_v2 are the
 * symbols nvml.h maps nvmlInit and nvmlDeviceGetHandleByIndex to. Powers are in milliwatts,
 * clocks in MHz. Only what tokenfab uses is declared. */
typedef int nvml_return;                /* nvmlReturn_t */
typedef struct nvml_device_ *nvml_device; /* nvmlDevice_t */
enum {
  NVML_SUCCESS = 0,
  NVML_ERROR_NOT_SUPPORTED = 3,
  NVML_ERROR_NO_PERMISSION = 4,
  NVML_CLOCK_SM = 1,  /* nvmlClockType_t */
  NVML_CLOCK_MEM = 2,
  NVML_DEVICE_NAME_BUFFER = 96,     /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
  NVML_DRIVER_VERSION_BUFFER = 80,  /* NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE */
  NVML_FI_DEV_POWER_INSTANT = 186,  /* field id, drivers from 535 */
  NVML_VALUE_TYPE_DOUBLE = 0,       /* nvmlValueType_t */
  NVML_VALUE_TYPE_UNSIGNED_INT = 1,
  NVML_VALUE_TYPE_UNSIGNED_LONG = 2,
  NVML_VALUE_TYPE_UNSIGNED_LONG_LONG = 3,
  NVML_VALUE_TYPE_SIGNED_LONG_LONG = 4,
  NVML_VALUE_TYPE_SIGNED_INT = 5
};

/* nvmlFieldValue_t */
typedef struct nvml_field_value {
  unsigned int field_id;
  unsigned int scope_id;
  long long timestamp;
  long long latency_usec;
  int value_type;
  nvml_return nvml_return;
  union {
    double d;
    unsigned int ui;
    unsigned long ul;
    unsigned long long ull;
    long long sll;
    int si;
    unsigned short us;
  } value;
} nvml_field_value;

struct tf_nvml {
  void *lib;
  nvml_device dev;
  bool instant_power; /* field NVML_FI_DEV_POWER_INSTANT answers */
  nvml_return (*init)(void);
  nvml_return (*shutdown)(void);
  const char *(*error_string)(nvml_return);
  nvml_return (*by_index)(unsigned int, nvml_device *);
  nvml_return (*by_uuid)(const char *, nvml_device *);
  nvml_return (*power_usage)(nvml_device, unsigned int *);
  nvml_return (*field_values)(nvml_device, int, nvml_field_value *);
  nvml_return (*clock_info)(nvml_device, int, unsigned int *);
  nvml_return (*max_clock_info)(nvml_device, int, unsigned int *);
  nvml_return (*limit_constraints)(nvml_device, unsigned int *, unsigned int *);
  nvml_return (*default_limit)(nvml_device, unsigned int *);
  nvml_return (*limit)(nvml_device, unsigned int *);
  nvml_return (*set_limit)(nvml_device, unsigned int);
  nvml_return (*name)(nvml_device, char *, unsigned int);
  nvml_return (*driver_version)(char *, unsigned int);
};

/* dlsym returns an object pointer; ISO C has no conversion to a function pointer, POSIX
 * guarantees the representation is the same, so the bits are copied (dlsym's rationale in
 * POSIX.1-2008). */
static void load(void *lib, const char *name, void *fn_ptr, size_t fn_size) {
  void *sym = dlsym(lib, name);
  if (fn_size == sizeof sym)
    memcpy(fn_ptr, &sym, sizeof sym);
}
#define LOAD(n, field, name) load((n)->lib, (name), &(n)->field, sizeof((n)->field))

static const char *why(const tf_nvml *n, nvml_return r) {
  return n->error_string ? n->error_string(r) : "NVML error";
}

int tf_nvml_open(tf_nvml **out, const char *lib, const char *uuid, unsigned index, char *err,
                 size_t err_size) {
  *out = NULL;
  tf_nvml *n = calloc(1, sizeof *n);
  if (!n) {
    snprintf(err, err_size, "out of memory");
    return TF_ENOMEM;
  }
  const char *path = lib ? lib : TF_NVML_LIBRARY;
  n->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!n->lib) {
    snprintf(err, err_size, "cannot load %s (%s)", path, dlerror());
    free(n);
    return TF_ENOTFOUND;
  }
  LOAD(n, init, "nvmlInit_v2");
  LOAD(n, shutdown, "nvmlShutdown");
  LOAD(n, error_string, "nvmlErrorString");
  LOAD(n, by_index, "nvmlDeviceGetHandleByIndex_v2");
  LOAD(n, by_uuid, "nvmlDeviceGetHandleByUUID");
  LOAD(n, power_usage, "nvmlDeviceGetPowerUsage");
  LOAD(n, field_values, "nvmlDeviceGetFieldValues");
  LOAD(n, clock_info, "nvmlDeviceGetClockInfo");
  LOAD(n, max_clock_info, "nvmlDeviceGetMaxClockInfo");
  LOAD(n, limit_constraints, "nvmlDeviceGetPowerManagementLimitConstraints");
  LOAD(n, default_limit, "nvmlDeviceGetPowerManagementDefaultLimit");
  LOAD(n, limit, "nvmlDeviceGetPowerManagementLimit");
  LOAD(n, set_limit, "nvmlDeviceSetPowerManagementLimit");
  LOAD(n, name, "nvmlDeviceGetName");
  LOAD(n, driver_version, "nvmlSystemGetDriverVersion");
  if (!n->init || !n->shutdown || !n->by_index || !n->power_usage || !n->clock_info) {
    snprintf(err, err_size, "%s lacks the NVML functions tokenfab needs", path);
    dlclose(n->lib);
    free(n);
    return TF_ENOTFOUND;
  }
  nvml_return r = n->init();
  if (r != NVML_SUCCESS) {
    snprintf(err, err_size, "nvmlInit failed: %s", why(n, r));
    dlclose(n->lib);
    free(n);
    return TF_EIO;
  }
  if (uuid && n->by_uuid)
    r = n->by_uuid(uuid, &n->dev);
  else
    r = n->by_index(index, &n->dev);
  if (r != NVML_SUCCESS) {
    if (uuid)
      snprintf(err, err_size, "NVML does not find the GPU %s: %s", uuid, why(n, r));
    else
      snprintf(err, err_size, "NVML does not find GPU %u: %s", index, why(n, r));
    tf_nvml_close(n);
    return TF_ENOTFOUND;
  }
  if (n->field_values) {
    nvml_field_value v = {.field_id = NVML_FI_DEV_POWER_INSTANT};
    n->instant_power = n->field_values(n->dev, 1, &v) == NVML_SUCCESS &&
                       v.nvml_return == NVML_SUCCESS;
  }
  *out = n;
  return 0;
}

void tf_nvml_close(tf_nvml *n) {
  if (!n)
    return;
  n->shutdown();
  dlclose(n->lib);
  free(n);
}

int tf_nvml_name(tf_nvml *n, char *buf, size_t size) {
  char name[NVML_DEVICE_NAME_BUFFER] = "";
  if (!n->name || n->name(n->dev, name, sizeof name) != NVML_SUCCESS)
    return TF_EIO;
  snprintf(buf, size, "%s", name);
  return 0;
}

int tf_nvml_driver_version(tf_nvml *n, char *buf, size_t size) {
  char version[NVML_DRIVER_VERSION_BUFFER] = "";
  if (!n->driver_version || n->driver_version(version, sizeof version) != NVML_SUCCESS)
    return TF_EIO;
  snprintf(buf, size, "%s", version);
  return 0;
}

/* A field value as a double, whatever type NVML chose for it. */
static double field_number(const nvml_field_value *v) {
  switch (v->value_type) {
  case NVML_VALUE_TYPE_DOUBLE: return v->value.d;
  case NVML_VALUE_TYPE_UNSIGNED_INT: return (double)v->value.ui;
  case NVML_VALUE_TYPE_UNSIGNED_LONG: return (double)v->value.ul;
  case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG: return (double)v->value.ull;
  case NVML_VALUE_TYPE_SIGNED_LONG_LONG: return (double)v->value.sll;
  case NVML_VALUE_TYPE_SIGNED_INT: return (double)v->value.si;
  default: return NAN;
  }
}

int tf_nvml_power_w(tf_nvml *n, double *watts) {
  if (n->instant_power) {
    nvml_field_value v = {.field_id = NVML_FI_DEV_POWER_INSTANT};
    if (n->field_values(n->dev, 1, &v) == NVML_SUCCESS && v.nvml_return == NVML_SUCCESS) {
      double mw = field_number(&v);
      if (isfinite(mw)) {
        *watts = mw / 1000.0;
        return 0;
      }
    }
  }
  unsigned int mw;
  if (n->power_usage(n->dev, &mw) != NVML_SUCCESS)
    return TF_EIO;
  *watts = mw / 1000.0;
  return 0;
}

int tf_nvml_sm_clock_mhz(tf_nvml *n, double *mhz) {
  unsigned int c;
  if (n->clock_info(n->dev, NVML_CLOCK_SM, &c) != NVML_SUCCESS)
    return TF_EIO;
  *mhz = c;
  return 0;
}

int tf_nvml_max_clocks_mhz(tf_nvml *n, double *sm_mhz, double *mem_mhz) {
  unsigned int sm, mem;
  if (!n->max_clock_info || n->max_clock_info(n->dev, NVML_CLOCK_SM, &sm) != NVML_SUCCESS ||
      n->max_clock_info(n->dev, NVML_CLOCK_MEM, &mem) != NVML_SUCCESS)
    return TF_EIO;
  *sm_mhz = sm;
  *mem_mhz = mem;
  return 0;
}

int tf_nvml_power_limits(tf_nvml *n, double *default_w, double *min_w, double *max_w) {
  unsigned int def, lo, hi;
  if (!n->default_limit || !n->limit_constraints ||
      n->default_limit(n->dev, &def) != NVML_SUCCESS ||
      n->limit_constraints(n->dev, &lo, &hi) != NVML_SUCCESS)
    return TF_EIO;
  *default_w = def / 1000.0;
  *min_w = lo / 1000.0;
  *max_w = hi / 1000.0;
  return 0;
}

int tf_nvml_power_limit(tf_nvml *n, double *watts) {
  unsigned int mw;
  if (!n->limit || n->limit(n->dev, &mw) != NVML_SUCCESS)
    return TF_EIO;
  *watts = mw / 1000.0;
  return 0;
}

int tf_nvml_set_power_limit(tf_nvml *n, double watts, char *err, size_t err_size) {
  if (!n->set_limit) {
    snprintf(err, err_size, "this NVML cannot set power limits");
    return TF_EIO;
  }
  if (!(watts > 0 && watts < 1e6)) {
    snprintf(err, err_size, "power limit %g W is out of range", watts);
    return TF_EIO;
  }
  nvml_return r = n->set_limit(n->dev, (unsigned int)lround(watts * 1000.0));
  if (r == NVML_SUCCESS)
    return 0;
  if (r == NVML_ERROR_NO_PERMISSION)
    snprintf(err, err_size, "setting the power limit needs root (%s)", why(n, r));
  else if (r == NVML_ERROR_NOT_SUPPORTED)
    snprintf(err, err_size, "this GPU does not allow setting the power limit (%s)", why(n, r));
  else
    snprintf(err, err_size, "cannot set the power limit to %g W: %s", watts, why(n, r));
  return TF_EIO;
}

struct tf_nvml_sampler {
  tf_nvml *nvml;
  pthread_t thread;
  pthread_mutex_t lock;
  struct timespec period;
  bool stop, active; /* under lock */
  double power_sum, clock_sum;
  size_t power_n, clock_n;
};

static void *sample_loop(void *arg) {
  tf_nvml_sampler *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop, active = s->active;
    pthread_mutex_unlock(&s->lock);
    if (stop)
      break;
    if (active) {
      /* NVML calls outside the lock: one can take a millisecond. */
      double w, mhz;
      bool have_w = tf_nvml_power_w(s->nvml, &w) == 0;
      bool have_mhz = tf_nvml_sm_clock_mhz(s->nvml, &mhz) == 0;
      pthread_mutex_lock(&s->lock);
      if (s->active) { /* still the same window */
        if (have_w) {
          s->power_sum += w;
          s->power_n++;
        }
        if (have_mhz) {
          s->clock_sum += mhz;
          s->clock_n++;
        }
      }
      pthread_mutex_unlock(&s->lock);
    }
    nanosleep(&s->period, NULL);
  }
  return NULL;
}

int tf_nvml_sampler_start(tf_nvml_sampler **out, tf_nvml *n, double period_s) {
  *out = NULL;
  tf_nvml_sampler *s = calloc(1, sizeof *s);
  if (!s)
    return TF_ENOMEM;
  s->nvml = n;
  double whole = floor(period_s);
  s->period.tv_sec = (time_t)whole;
  s->period.tv_nsec = (long)((period_s - whole) * 1e9);
  if (pthread_mutex_init(&s->lock, NULL) != 0) {
    free(s);
    return TF_EIO;
  }
  if (pthread_create(&s->thread, NULL, sample_loop, s) != 0) {
    pthread_mutex_destroy(&s->lock);
    free(s);
    return TF_EIO;
  }
  *out = s;
  return 0;
}

void tf_nvml_sampler_begin(tf_nvml_sampler *s) {
  pthread_mutex_lock(&s->lock);
  s->power_sum = s->clock_sum = 0;
  s->power_n = s->clock_n = 0;
  s->active = true;
  pthread_mutex_unlock(&s->lock);
}

void tf_nvml_sampler_end(tf_nvml_sampler *s, double *power_w, double *sm_clock_mhz,
                         size_t *samples) {
  pthread_mutex_lock(&s->lock);
  s->active = false;
  *power_w = s->power_n ? s->power_sum / (double)s->power_n : NAN;
  *sm_clock_mhz = s->clock_n ? s->clock_sum / (double)s->clock_n : NAN;
  *samples = s->power_n;
  pthread_mutex_unlock(&s->lock);
}

void tf_nvml_sampler_stop(tf_nvml_sampler *s) {
  if (!s)
    return;
  pthread_mutex_lock(&s->lock);
  s->stop = true;
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  pthread_mutex_destroy(&s->lock);
  free(s);
}
