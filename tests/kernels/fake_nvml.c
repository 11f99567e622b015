/* A stand-in libnvidia-ml for tests/kernels/test_nvml.c: the functions kernels/nvml.c loads, with
 * the same signatures and canned answers. Environment switches: TF_FAKE_NVML_ROOT lets power
 * limits be set (otherwise NVML_ERROR_NO_PERMISSION, as for a user), TF_FAKE_NVML_NO_INSTANT
 * makes the instantaneous power field unsupported (drivers before 535). */
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct fake_device *nvmlDevice_t;
struct fake_device {
  int unused;
};
typedef struct {
  unsigned int fieldId, scopeId;
  long long timestamp, latencyUsec;
  int valueType;
  nvmlReturn_t nvmlReturn;
  union {
    double d;
    unsigned int ui;
    unsigned long long ull;
  } value;
} nvmlFieldValue_t;

enum { OK = 0, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3, NO_PERMISSION = 4, NOT_FOUND = 6 };

nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t r);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device);
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *mw);
nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int count, nvmlFieldValue_t *values);
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *mhz);
nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, int type, unsigned int *mhz);
nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t device, unsigned int *lo,
                                                          unsigned int *hi);
nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t device, unsigned int *mw);
nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *mw);
nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t device, unsigned int mw);
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length);
nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length);

static struct fake_device the_gpu;
static unsigned int limit_mw = 700000;

nvmlReturn_t nvmlInit_v2(void) { return OK; }
nvmlReturn_t nvmlShutdown(void) { return OK; }

const char *nvmlErrorString(nvmlReturn_t r) {
  return r == NO_PERMISSION ? "Insufficient Permissions" : r == NOT_FOUND ? "Not Found" : "Error";
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  if (index != 0)
    return INVALID_ARGUMENT;
  *device = &the_gpu;
  return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device) {
  if (strcmp(uuid, "GPU-fake") != 0)
    return NOT_FOUND;
  *device = &the_gpu;
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *mw) {
  (void)device;
  *mw = 123456; /* the one-second average */
  return OK;
}

nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int count, nvmlFieldValue_t *values) {
  (void)device;
  for (int i = 0; i < count; i++) {
    values[i].nvmlReturn = NOT_SUPPORTED;
    if (values[i].fieldId == 186 && !getenv("TF_FAKE_NVML_NO_INSTANT")) {
      values[i].valueType = 1; /* unsigned int */
      values[i].value.ui = 250000;
      values[i].nvmlReturn = OK;
    }
  }
  return OK;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *mhz) {
  (void)device;
  *mhz = type == 1 ? 1500 : 2619;
  return OK;
}

nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, int type, unsigned int *mhz) {
  (void)device;
  *mhz = type == 1 ? 1980 : 2619;
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(nvmlDevice_t device, unsigned int *lo,
                                                          unsigned int *hi) {
  (void)device;
  *lo = 200000;
  *hi = 700000;
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t device, unsigned int *mw) {
  (void)device;
  *mw = 700000;
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *mw) {
  (void)device;
  *mw = limit_mw;
  return OK;
}

nvmlReturn_t nvmlDeviceSetPowerManagementLimit(nvmlDevice_t device, unsigned int mw) {
  (void)device;
  if (!getenv("TF_FAKE_NVML_ROOT"))
    return NO_PERMISSION;
  if (mw < 200000 || mw > 700000)
    return INVALID_ARGUMENT;
  limit_mw = mw;
  return OK;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  (void)device;
  strncpy(name, "NVIDIA Fake GPU", length);
  name[length - 1] = '\0';
  return OK;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
  strncpy(version, "999.12.34", length);
  version[length - 1] = '\0';
  return OK;
}
