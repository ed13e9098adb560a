/* domain/time: timestamps as the API writes them: ISO 8601 in UTC with
 * milliseconds, "2026-11-25T09:40:00.000Z" (Rails' JSON format). */
#ifndef DOMAIN_TIME_H
#define DOMAIN_TIME_H

#include <stdint.h>

/* Write the time 'ms' (unix milliseconds) into out (at least 25 bytes). */
void domain_time_iso(int64_t ms, char out[32]);
/* Current wall-clock time in unix milliseconds. */
int64_t domain_now_ms(void);

#endif
