/* Terminal summary: the results of a run as a planner reads them, simulated beside exact. */
#ifndef TF_SUMMARY_H
#define TF_SUMMARY_H

#include <stdio.h>

#include "queue.h"
#include "queueing.h"

/* Prints the queue's measured statistics as a table: simulated value, confidence half-width where
 * one exists, and the exact steady-state value when theory is not NULL and theory->model is not
 * TF_QUEUEING_NONE. Numbers print with 6 significant digits, so the same results print the same
 * bytes. */
void tf_summary_queue(FILE *f, const tf_queue_result *sim, const tf_queueing_result *theory);

#endif
