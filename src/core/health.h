/* core/health: what is wrong with this node right now, as its components
 * report it, for GET /health.
 *
 *   health_set("pubsub", HEALTH_DEGRADED, "redis 127.0.0.1:6379 unreachable (%s)", why);
 *   health_set("database", HEALTH_FAILING, "the database file is gone or was replaced");
 *   health_set("pubsub", HEALTH_OK, NULL);               the problem is over
 *
 * DEGRADED: the node works, with something missing (no cluster pub/sub, a
 * database server away: sockets and pings go on; /health answers 200).
 * FAILING: the node cannot do its job and must not be sent traffic (its
 * database file is gone, its disk is full; /health answers 503, and an API
 * failure meanwhile is a 503, not a 500).
 *
 *   {"status":"ok"}
 *   {"status":"degraded","problems":{"pubsub":"…"}}
 *   {"status":"unhealthy","problems":{"database":"…","pubsub":"…"}}
 *
 * Components are static strings named by their owner, each with one state
 * at a time, the last one set; a change is logged once. Thread-safe: states
 * are set from any thread and read by the loops. */
#ifndef CORE_HEALTH_H
#define CORE_HEALTH_H

#include "core/buf.h"

enum health_level { HEALTH_OK = 0, HEALTH_DEGRADED = 1, HEALTH_FAILING = 2 };

/* Components that can report at once; more are ignored (and a bug). */
#define HEALTH_MAX_COMPONENTS 16
/* Longer reasons are cut. */
#define HEALTH_REASON_MAX 256

/* Report the state of 'component' (a string that outlives the process),
 * replacing its last report; 'fmt' may be NULL with HEALTH_OK. */
void health_set(const char *component, enum health_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 1 when 'component' reports a problem (degraded or failing). */
int health_is_set(const char *component);
/* 1 when no component is failing (degraded ones are fine). Fast: an atomic
 * read, for hot paths. */
int health_ok(void);
/* Append the JSON above and return the worst level. */
enum health_level health_append_json(buf_t *out);

#endif
