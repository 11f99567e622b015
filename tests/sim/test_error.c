/* The error table: names, messages, and the failure funnel's recorded context. */
#include "error.h"
#include "tf_test.h"

int main(void) {
  TF_CHECK_STR(tf_err_name(TF_ENOMEM), "TF_ENOMEM");
  TF_CHECK_STR(tf_err_name(TF_OK), "TF_OK");
  TF_CHECK_STR(tf_err_name(-999), "TF_E?");
  TF_CHECK_STR(tf_err_message(TF_EUNIT), "missing or wrong unit");
  tf_err_clear();
  TF_CHECK_STR(tf_err_context(), "");
  int rc = TF_FAIL(TF_ERANGE, "rate %d below zero", -3);
  TF_CHECK_INT(rc, TF_ERANGE);
  TF_CHECK(strstr(tf_err_context(), "rate -3 below zero") != NULL);
  TF_CHECK(strstr(tf_err_context(), "test_error.c:") != NULL);
  TF_CHECK_STR(tf_err_reason(), "rate -3 below zero");
  return tf_test_report("sim_error");
}
