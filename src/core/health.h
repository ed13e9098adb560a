/* core/health: what is wrong with this node right now, as its components
 * report it, for GET /health.
 *
 *   health_set("pubsub", HEALTH_DEGRADED, "redis 127.0.0.1:6379 unreachable: %s", why);
 *   health_set("pubsub", HEALTH_OK, NULL);           the problem is over
 *
 * DEGRADED: the node works, with something missing (no cluster pub/sub:
 * broadcasts reach only this node's clients; /health answers 200).
 * FAILING: the node cannot do its job (the database is gone; /health
 * answers 503 so a load balancer takes it out). Thread-safe; components
 * name themselves with a static string. */
#ifndef CORE_HEALTH_H
#define CORE_HEALTH_H

#include "core/buf.h"

enum health_level { HEALTH_OK = 0, HEALTH_DEGRADED = 1, HEALTH_FAILING = 2 };

/* Report the state of 'component' (a static string), replacing its last
 * report; 'fmt' may be NULL with HEALTH_OK. */
void health_set(const char *component, enum health_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The worst level reported now. */
enum health_level health_level(void);
/* Append {"status":"ok"|"degraded"|"unhealthy"[,"problems":{component:
 * reason,…}]} and return the worst level. */
enum health_level health_append_json(buf_t *out);

#endif
