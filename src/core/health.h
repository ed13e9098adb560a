/* core/health: what keeps this node from serving, by component.
 *
 * A component that finds it cannot do its job reports why, and reports
 * again with NULL once it can:
 *
 *   health_set("database", "the database file is gone or was replaced");
 *   health_set("disk", NULL);
 *
 * GET /health answers 503 {"status":"unhealthy","reasons":[...]} while any
 * reason is set (health_report). Components are static strings named by
 * their owner; a component holds one reason at a time, the last one set.
 * Thread-safe: reasons are set from worker threads and read by the loops. */
#ifndef CORE_HEALTH_H
#define CORE_HEALTH_H

#include "core/buf.h"

#include <stddef.h>

/* Components that can report at once; more are ignored (and a bug). */
#define HEALTH_MAX_COMPONENTS 16
/* Longer reasons are cut. */
#define HEALTH_REASON_MAX 160

/* Set (or with reason NULL, clear) the reason 'component' cannot serve.
 * 'component' must be a string that outlives the process (a literal);
 * 'reason' is copied. Logs the change (a warning when set, info when
 * cleared), once per change. */
void health_set(const char *component, const char *reason);
/* 1 when 'component' has a reason set. */
int health_is_set(const char *component);
/* 1 when no component has a reason set. */
int health_ok(void);
/* When some component has a reason set, append
 * {"status":"unhealthy","reasons":["component: reason", ...]} to 'out' and
 * return the number of reasons; otherwise append nothing and return 0. */
size_t health_report(buf_t *out);

#endif
