/* One error contract for all of tokenfab: 0 is success, negative TF_E* codes are failures. */
#ifndef TF_ERROR_H
#define TF_ERROR_H

/* Every failure code, its name and its message come from this one table (libuv's UV_ERRNO_MAP).
 * Codes are stable: append, never renumber. */
#define TF_ERRNO_MAP(X)                                              \
  X(NOMEM, -1, "out of memory")                                      \
  X(INVAL, -2, "invalid argument")                                   \
  X(IO, -3, "input/output error")                                    \
  X(PARSE, -4, "malformed input")                                    \
  X(UNIT, -5, "missing or wrong unit")                               \
  X(RANGE, -6, "value out of range")                                 \
  X(NOTFOUND, -7, "not found")                                       \
  X(FULL, -8, "capacity exceeded")                                   \
  X(USAGE, -9, "bad usage")                                          \
  X(PAST, -10, "event scheduled before the current simulated time")  \
  X(HANDLER, -11, "an entity handler failed")                        \
  X(NUMERIC, -12, "numerical failure")                               \
  X(DB, -13, "database error")

enum tf_errno {
  TF_OK = 0,
#define TF_ERRNO_ENUM_(name, code, msg) TF_E##name = (code),
  TF_ERRNO_MAP(TF_ERRNO_ENUM_)
#undef TF_ERRNO_ENUM_
};

/* "TF_ENOMEM" for TF_ENOMEM; "TF_OK" for 0; "TF_E?" for an unknown code. */
const char *tf_err_name(int code);
/* The table's message for code. */
const char *tf_err_message(int code);

/* The one funnel every failure passes through: it records where and why (the last failure of this
 * thread) and returns code, so `return TF_FAIL(TF_EINVAL, "rate %g < 0", r);` reads naturally.
 * Put a breakpoint on tf_fail_at to catch every failure (SQLite's SQLITE_NOMEM_BKPT). */
int tf_fail_at(int code, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
#define TF_FAIL(code, ...) tf_fail_at((code), __FILE__, __LINE__, __VA_ARGS__)

/* The context recorded by the last tf_fail_at on this thread ("" if none). */
const char *tf_err_context(void);
/* The same without its "file:line: " prefix: the sentence to show a user. */
const char *tf_err_reason(void);
/* Forget the recorded context. */
void tf_err_clear(void);

#endif
