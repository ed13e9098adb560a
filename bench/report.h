/* bench/report: what bench_fanout prints and leaves behind.
 *
 * Every role ends with one key=value summary line on stdout (the keys are
 * listed in bench/README.md). A generator (the subscribe role) can also
 * write a report file: its counters, its timings on the machine-wide
 * CLOCK_MONOTONIC, and the non-empty buckets of its latency histogram, one
 * "key value" line each. Several report files merge into one line for the
 * whole cluster: counters are summed, histograms added bucket by bucket, and
 * the publish window runs from the earliest publish time any generator saw
 * to the latest delivery any generator received. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdint.h>

/* Print the summary line of the run that just ended, for fanout_opt.role.
 * Returns 0 if the run passed, 1 if anything was lost, duplicated, refused,
 * unreadable or timed out, or the run failed. */
int report_print(void);

/* Deliveries per second the server sustained over round 'r' of a ramp:
 * subscribers x rate when it kept up with the schedule, less by the backlog
 * it built (see report.c). 0 if the round lost deliveries or has fewer than
 * two broadcasts. */
double report_step_rate(uint32_t r);

/* Write the report file of a generator to 'path'. Returns 0, or -1 with a
 * message on stderr. */
int report_write(const char *path);

/* Read the report files 'paths[0..n)', print one "cluster …" line that
 * covers them all, and return the exit status: 0 if every subscriber of
 * every generator got every broadcast exactly once and no generator failed,
 * 1 otherwise (with the reasons on stderr), 2 if a file cannot be read. */
int report_merge(int n, char **paths);

#endif
