/* bench/proc: what /proc and getrusage say about a process: CPU seconds and
 * resident memory. Used to charge CPU and memory to the server under test
 * (by pid) and to the generator itself. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

/* CPU time (user + system) of process 'pid' in seconds, or -1 if it cannot
 * be read (the process is gone, or /proc is not mounted). */
double proc_cpu_s(long pid);

/* CPU time (user + system) of this process in seconds. */
double proc_self_cpu_s(void);

/* VmRSS of process 'pid' in KiB, or -1 if it cannot be read. */
long proc_rss_kb(long pid);

#endif
