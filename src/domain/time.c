/* domain/time: ISO 8601 timestamps. See time.h. */
#include "domain/time.h"

#include <stddef.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

void domain_time_iso(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)((ms % 1000 + 1000) % 1000));
}

int64_t domain_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}
