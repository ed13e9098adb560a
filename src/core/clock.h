/* core/clock: monotonic microseconds and wall-clock seconds or milliseconds,
 * never mixed. */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

typedef uint64_t mono_us_t;

static inline mono_us_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (mono_us_t)ts.tv_sec * 1000000u + (mono_us_t)ts.tv_nsec / 1000u;
}

static inline int64_t clock_unix_s(void)
{
    return (int64_t)time(NULL);
}

/* For deadlines shared with other processes (presence in Redis) and grace
 * periods of a few seconds, where whole seconds would cut up to one off. */
static inline int64_t clock_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
