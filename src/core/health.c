/* core/health: the registry of reasons a node cannot serve. See health.h.
 *
 * A fixed table under a mutex: reasons change rarely (a disk fills, a file
 * goes away) and are read once per GET /health, so nothing here needs to be
 * faster than a lock. health_ok() is read on every store call and has an
 * atomic count in front of the lock. */
#include "core/health.h"

#include "core/json.h"
#include "core/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static struct {
    const char *component;
    char reason[HEALTH_REASON_MAX];
} table[HEALTH_MAX_COMPONENTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int reasons_set;

void health_set(const char *component, const char *reason)
{
    pthread_mutex_lock(&lock);
    size_t i, free_slot = HEALTH_MAX_COMPONENTS;
    for (i = 0; i < HEALTH_MAX_COMPONENTS; i++) {
        if (table[i].component && strcmp(table[i].component, component) == 0) break;
        if (!table[i].component && free_slot == HEALTH_MAX_COMPONENTS) free_slot = i;
    }
    if (i == HEALTH_MAX_COMPONENTS) {
        if (!reason || free_slot == HEALTH_MAX_COMPONENTS) {
            pthread_mutex_unlock(&lock);
            return;
        }
        i = free_slot;
    }
    if (!reason) {
        table[i].component = NULL;
        atomic_fetch_sub(&reasons_set, 1);
        pthread_mutex_unlock(&lock);
        log_info("health %s ok again", component);
        return;
    }
    int changed =
        !table[i].component || strncmp(table[i].reason, reason, sizeof table[i].reason - 1) != 0;
    if (!table[i].component) atomic_fetch_add(&reasons_set, 1);
    table[i].component = component;
    snprintf(table[i].reason, sizeof table[i].reason, "%s", reason);
    pthread_mutex_unlock(&lock);
    if (changed) log_warn("health %s unhealthy reason=\"%s\"", component, reason);
}

int health_is_set(const char *component)
{
    if (health_ok()) return 0;
    pthread_mutex_lock(&lock);
    int found = 0;
    for (size_t i = 0; i < HEALTH_MAX_COMPONENTS && !found; i++)
        found = table[i].component && strcmp(table[i].component, component) == 0;
    pthread_mutex_unlock(&lock);
    return found;
}

int health_ok(void)
{
    return atomic_load(&reasons_set) == 0;
}

size_t health_report(buf_t *out)
{
    if (health_ok()) return 0;
    size_t n = 0;
    char line[HEALTH_REASON_MAX + 64];
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < HEALTH_MAX_COMPONENTS; i++) {
        if (!table[i].component) continue;
        buf_puts(out, n == 0 ? "{\"status\":\"unhealthy\",\"reasons\":[" : ",");
        int len = snprintf(line, sizeof line, "%s: %s", table[i].component, table[i].reason);
        json_append_string(out, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
        n++;
    }
    pthread_mutex_unlock(&lock);
    if (n) buf_puts(out, "]}");
    return n;
}
