/* bench/proc: CPU, memory and system calls of a process. See proc.h. */
#include "proc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

double proc_cpu_s(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    /* The command name may hold spaces and parentheses: fields are
     * counted from the last ')'. utime and stime are fields 14 and 15. */
    char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double proc_self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The value of "KEY: N kB" in 'path', or -1. */
static long read_kb(const char *path, const char *key)
{
    char line[256];
    size_t klen = strlen(key);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

long proc_rss_kb(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    return read_kb(path, "VmRSS");
}

long proc_slab_kb(void)
{
    return read_kb("/proc/meminfo", "Slab");
}

/* The number after "KEY" (e.g. ",w") in an skmem:(...) list, or 0. */
static long skmem_field(const char *s, const char *key)
{
    const char *k = strstr(s, key);
    return k ? strtol(k + strlen(key), NULL, 10) : 0;
}

long proc_sock_mem(const char *port, long *count)
{
    char cmd[128], line[512];
    snprintf(cmd, sizeof cmd, "ss -tmnH state established '( sport = :%s )' 2>/dev/null", port);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    long total = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        const char *sk = strstr(line, "skmem:(");
        if (!sk) continue;
        n++;
        total += skmem_field(sk, "(r") + skmem_field(sk, ",w") + skmem_field(sk, ",f") +
                 skmem_field(sk, ",o");
    }
    if (pclose(f) != 0 && n == 0) return -1;
    *count = n;
    return total;
}

pid_t proc_perf_start(long pid, const char *path)
{
    char pidstr[32];
    snprintf(pidstr, sizeof pidstr, "%ld", pid);
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        /* The generator blocks SIGINT for its signalfd; perf must get it. */
        sigset_t set;
        sigemptyset(&set);
        sigprocmask(SIG_SETMASK, &set, NULL);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 2);
        execlp("perf", "perf", "stat", "-x,", "-o", path, "-e",
               "raw_syscalls:sys_enter,syscalls:sys_enter_write,syscalls:sys_enter_writev,"
               "syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,"
               "syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,"
               "syscalls:sys_enter_epoll_pwait2",
               "-p", pidstr, (char *)NULL);
        _exit(127);
    }
    return child;
}

proc_syscalls_t proc_perf_stop(pid_t perf_pid, const char *path)
{
    proc_syscalls_t s = {-1, -1, -1};
    if (perf_pid <= 0) return s;
    kill(perf_pid, SIGINT);
    int status;
    waitpid(perf_pid, &status, 0);
    FILE *f = fopen(path, "r");
    if (!f) return s;
    char line[512];
    long long total = -1, sends = 0, waits = 0;
    int any_send = 0;
    while (fgets(line, sizeof line, f)) {
        char *end;
        long long v = strtoll(line, &end, 10);
        if (end == line || *end != ',') continue;
        if (strstr(line, ",raw_syscalls:sys_enter,"))
            total = v;
        else if (strstr(line, "sys_enter_epoll_"))
            waits += v;
        else if (strstr(line, "syscalls:sys_enter_")) {
            sends += v;
            any_send = 1;
        }
    }
    fclose(f);
    unlink(path);
    s.total = total;
    s.sends = any_send ? sends : -1;
    s.waits = any_send ? waits : -1;
    return s;
}
