/* serving.profile: the file it names, or the profile a name finds on the search path, read and
 * checked against the serving system's GPU, then attached to the scenario for the models
 * (docs/CALIBRATION.md, "Using a profile"). Here and not in the loader: reading a profile is
 * calibration's, and calibration depends on the loader. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appendf.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "profile_io.h"
#include "scenario.h"
#include "suggest.h"

#ifndef TF_BUILTIN_PROFILE_DIR
#error "TF_BUILTIN_PROFILE_DIR is defined by the build"
#endif

/* The search path's own folders, before the shipped ones. */
#define PROFILE_PATH_ENV "TOKENFAB_PROFILE_PATH"
/* What a name finds in each folder of the search path, in this order. */
#define PROFILE_DB_SUFFIX ".db"
#define PROFILE_CSV_LEAF "profile.csv"

/* The folders a name is looked up in: $TOKENFAB_PROFILE_PATH's (colon-separated, empty entries
 * skipped), then the shipped profiles/ of the source tree tokenfab was built from. */
typedef struct search_path {
  char *env_copy; /* $TOKENFAB_PROFILE_PATH with its colons turned into NULs */
  const char **dir;
  size_t n;
} search_path;

static void search_path_fini(search_path *sp) {
  free(sp->env_copy);
  free(sp->dir);
  *sp = (search_path){0};
}

/* 0 or TF_ENOMEM. */
static int search_path_init(search_path *sp) {
  *sp = (search_path){0};
  const char *env = getenv(PROFILE_PATH_ENV);
  size_t max = 1;
  if (env && *env) {
    sp->env_copy = malloc(strlen(env) + 1);
    if (!sp->env_copy)
      return TF_FAIL(TF_ENOMEM, PROFILE_PATH_ENV);
    strcpy(sp->env_copy, env);
    for (const char *c = env; *c; c++)
      max += *c == ':';
    max++;
  }
  sp->dir = malloc(max * sizeof *sp->dir);
  if (!sp->dir) {
    search_path_fini(sp);
    return TF_FAIL(TF_ENOMEM, PROFILE_PATH_ENV);
  }
  for (char *p = sp->env_copy; p;) {
    char *colon = strchr(p, ':');
    if (colon)
      *colon = '\0';
    if (*p)
      sp->dir[sp->n++] = p;
    p = colon ? colon + 1 : NULL;
  }
  sp->dir[sp->n++] = TF_BUILTIN_PROFILE_DIR;
  return 0;
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The file name finds in dir: dir/NAME.db, else dir/NAME/profile.csv, into buf. */
static bool find_in(const char *dir, const char *name, char *buf, size_t size) {
  int n = snprintf(buf, size, "%s/%s" PROFILE_DB_SUFFIX, dir, name);
  if (n > 0 && (size_t)n < size && is_file(buf))
    return true;
  n = snprintf(buf, size, "%s/%s/" PROFILE_CSV_LEAF, dir, name);
  return n > 0 && (size_t)n < size && is_file(buf);
}

/* ---- Names a lookup could have meant ---- */

typedef struct names {
  char **name;
  size_t n, cap;
} names;

static void names_fini(names *k) {
  for (size_t i = 0; i < k->n; i++)
    free(k->name[i]);
  free(k->name);
  *k = (names){0};
}

/* Adds the first len bytes of s. 0 or TF_ENOMEM. */
static int names_add(names *k, const char *s, size_t len) {
  if (k->n == k->cap) {
    size_t cap = k->cap ? 2 * k->cap : 8;
    char **grown = realloc(k->name, cap * sizeof *grown);
    if (!grown)
      return TF_FAIL(TF_ENOMEM, "profile names");
    k->name = grown;
    k->cap = cap;
  }
  char *copy = malloc(len + 1);
  if (!copy)
    return TF_FAIL(TF_ENOMEM, "profile names");
  memcpy(copy, s, len);
  copy[len] = '\0';
  k->name[k->n++] = copy;
  return 0;
}

/* The names dir holds profiles under (NAME.db files, NAME folders with a profile.csv). A folder
 * that cannot be read holds none. 0 or TF_ENOMEM. */
static int names_in(const char *dir, names *k) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  const size_t suffix = strlen(PROFILE_DB_SUFFIX);
  int rc = 0;
  struct dirent *e;
  while (!rc && (e = readdir(d)) != NULL) {
    const char *s = e->d_name;
    size_t len = strlen(s);
    char path[PATH_MAX];
    if (s[0] == '.')
      continue;
    if (len > suffix && strcmp(s + len - suffix, PROFILE_DB_SUFFIX) == 0) {
      int n = snprintf(path, sizeof path, "%s/%s", dir, s);
      if (n > 0 && (size_t)n < sizeof path && is_file(path))
        rc = names_add(k, s, len - suffix);
    } else {
      int n = snprintf(path, sizeof path, "%s/%s/" PROFILE_CSV_LEAF, dir, s);
      if (n > 0 && (size_t)n < sizeof path && is_file(path))
        rc = names_add(k, s, len);
    }
  }
  closedir(d);
  return rc;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and drops repeats, so messages do not depend on the order folders list their files. */
static void names_sort(names *k) {
  if (k->n == 0)
    return;
  qsort(k->name, k->n, sizeof *k->name, compare_names);
  size_t kept = 1;
  for (size_t i = 1; i < k->n; i++) {
    if (strcmp(k->name[i], k->name[kept - 1]) == 0)
      free(k->name[i]);
    else
      k->name[kept++] = k->name[i];
  }
  k->n = kept;
}

/* ---- Errors at serving.profile's value ---- */

/* A message built in pieces; what does not fit is cut off. */
typedef struct message {
  char text[4096];
  size_t used;
} message;

#define add(m, ...) tf_appendf((m)->text, sizeof (m)->text, &(m)->used, __VA_ARGS__)

/* Reports that name found nothing in sp's folders, with the names they do hold. 0 or
 * TF_ENOMEM. */
static int report_unknown_name(const tf_scenario *s, const search_path *sp, tf_diags *d) {
  const char *name = s->serving.profile;
  names k = {0};
  int rc = 0;
  for (size_t i = 0; !rc && i < sp->n; i++)
    rc = names_in(sp->dir[i], &k);
  if (rc) {
    names_fini(&k);
    return rc;
  }
  names_sort(&k);
  message m = {.used = 0};
  add(&m, "no profile named \"%s\" (looked for %s" PROFILE_DB_SUFFIX " and %s/" PROFILE_CSV_LEAF
      " in ", name, name, name);
  for (size_t i = 0; i < sp->n; i++)
    add(&m, "%s%s", i ? ", " : "", sp->dir[i]);
  if (k.n == 0)
    add(&m, ", which hold no profiles; expected a profile's name in a folder of "
        "TOKENFAB_PROFILE_PATH, or a file path with a '/')");
  else
    add(&m, ")");
  const char *near = tf_suggest_nearest(name, (const char *const *)k.name, k.n);
  if (near)
    add(&m, "; did you mean \"%s\"?", near);
  for (size_t i = 0; i < k.n; i++)
    add(&m, "%s%s", i ? ", " : " (known: ", k.name[i]);
  if (k.n)
    add(&m, ")");
  const tf_catalog_origin *o = &s->serving.profile_origin;
  tf_diags_error(d, o->file, o->line, o->col, "serving.profile: %s", m.text);
  names_fini(&k);
  return 0;
}

/* The file serving.profile stands for, into buf: the file it names, or what its name finds.
 * false after reporting why there is none. *rc: 0 or TF_ENOMEM. */
static bool locate(const tf_scenario *s, char *buf, size_t size, tf_diags *d, int *rc) {
  *rc = 0;
  const char *file = s->serving.profile_file;
  if (file) {
    struct stat st;
    int why = stat(file, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (why) {
      const tf_catalog_origin *o = &s->serving.profile_origin;
      tf_diags_error(d, o->file, o->line, o->col,
                     "serving.profile: cannot open \"%s\": %s (expected a profile database or "
                     "profile.csv written by tokenfab fit or calibrate)", file, strerror(why));
      return false;
    }
    snprintf(buf, size, "%s", file);
    return true;
  }
  search_path sp;
  if ((*rc = search_path_init(&sp)) != 0)
    return false;
  bool found = false;
  for (size_t i = 0; !found && i < sp.n; i++)
    found = find_in(sp.dir[i], s->serving.profile, buf, size);
  if (!found)
    *rc = report_unknown_name(s, &sp, d);
  search_path_fini(&sp);
  return found;
}

/* ---- Attaching ---- */

static void release_profile(void *owner) {
  tf_profile_fini(owner);
  free(owner);
}

/* A profile measured on another GPU describes that GPU's kernels: refused. A profile.csv does not
 * say which GPU it was fitted for: a warning, then it is used. */
static bool check_gpu(const tf_scenario *s, const tf_profile *p, const char *file,
                      tf_diags *d) {
  if (s->n_hardware == 0 || !s->hardware[s->serving.hardware_index].entry)
    return true;
  const tf_scenario_hardware *hw = &s->hardware[s->serving.hardware_index];
  const char *gpu = hw->entry->gpu;
  const tf_catalog_origin *o = &s->serving.profile_origin;
  if (!p->catalog_gpu[0]) {
    tf_diags_warning(d, o->file, o->line, o->col,
                     "serving.profile: %s does not record the GPU it was fitted for (a "
                     "profile.csv holds parameters only); used for the %s GPUs of %s unchecked "
                     "(a profile database is checked)", file, gpu, hw->system);
    return true;
  }
  if (strcmp(p->catalog_gpu, gpu) == 0)
    return true;
  tf_diags_error(d, o->file, o->line, o->col,
                 "serving.profile: %s was fitted for %s, but serving.system %s has %s GPUs: "
                 "calibrate on that GPU or remove serving.profile", file, p->catalog_gpu,
                 hw->system, gpu);
  return false;
}

int tf_cli_profile_attach(tf_scenario *s, tf_diags *d) {
  if (!s->serving.profile)
    return 0;
  char file[PATH_MAX];
  int rc;
  if (!locate(s, file, sizeof file, d, &rc))
    return rc ? rc : TF_FAIL(TF_EPARSE, "serving.profile");
  tf_profile *p = malloc(sizeof *p);
  if (!p)
    return TF_FAIL(TF_ENOMEM, "serving.profile");
  rc = tf_profile_read(file, p);
  if (rc == TF_ENOMEM) {
    free(p);
    return rc;
  }
  if (rc) {
    const tf_catalog_origin *o = &s->serving.profile_origin;
    tf_diags_error(d, o->file, o->line, o->col, "serving.profile: %s", tf_err_reason());
    free(p);
    return TF_FAIL(TF_EPARSE, "serving.profile");
  }
  if (!check_gpu(s, p, file, d)) {
    release_profile(p);
    return TF_FAIL(TF_EPARSE, "serving.profile");
  }
  s->fitted_profile.gpu = &p->gpu;
  s->fitted_profile.power = &p->power;
  s->fitted_profile.owner = p;
  s->fitted_profile.release = release_profile;
  return 0;
}
