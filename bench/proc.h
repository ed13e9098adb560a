/* bench/proc: what the system says about a process: CPU seconds and resident
 * memory (/proc, getrusage), the kernel memory of a server's sockets (ss),
 * and the system calls it makes over a window (perf stat on tracepoints,
 * which counts without stopping the process the way strace does). Used to
 * charge CPU, memory and system calls to the server under test (by pid) and
 * to the generator itself. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <sys/types.h>

/* System calls counted by proc_perf_*: all of them, the ones that send
 * bytes (write, writev, sendto, sendmsg) and the ones that wait for events
 * (epoll_wait, epoll_pwait, epoll_pwait2). */
typedef struct proc_syscalls {
    long long total, sends, waits; /* -1: unknown */
} proc_syscalls_t;

/* CPU time (user + system) of process 'pid' in seconds, or -1 if it cannot
 * be read (the process is gone, or /proc is not mounted). */
double proc_cpu_s(long pid);

/* CPU time (user + system) of this process in seconds. */
double proc_self_cpu_s(void);

/* VmRSS of process 'pid' in KiB, or -1 if it cannot be read. */
long proc_rss_kb(long pid);

/* Slab of /proc/meminfo in KiB (kernel objects, sockets among them, for the
 * whole machine), or -1. */
long proc_slab_kb(void);

/* Kernel buffer memory of the established TCP sockets whose local port is
 * 'port' (the server's side of every connection), from `ss -tmn`: the sum
 * of their skmem r (receive queue), w (send queue), f (reserved ahead) and
 * o (options), in bytes. Sets *count to the sockets listed. Returns -1 if
 * ss cannot be run. */
long proc_sock_mem(const char *port, long *count);

/* Start counting the system calls of process 'pid' and all its threads
 * with `perf stat -p`, its output going to 'path'. Returns the perf
 * process's pid, or -1 (perf missing or not allowed: the counts are then
 * unknown). */
pid_t proc_perf_start(long pid, const char *path);

/* Stop the perf started as 'perf_pid' and read its counts from 'path'
 * (removed afterwards). Every count is -1 when unknown. */
proc_syscalls_t proc_perf_stop(pid_t perf_pid, const char *path);

#endif
