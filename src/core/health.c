/* core/health: component reports for GET /health. See health.h.
 *
 * A fixed table under a mutex: states change rarely (a disk fills, Redis
 * goes away) and are read once per GET /health. health_ok() is asked on
 * every API failure and reads an atomic count of failing components. */
#include "core/health.h"

#include "core/json.h"
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static struct {
    const char *component;     /* NULL: a free slot */
    enum health_level level;
    char reason[HEALTH_REASON_MAX];
} table[HEALTH_MAX_COMPONENTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int failing;

void health_set(const char *component, enum health_level level, const char *fmt, ...)
{
    char reason[HEALTH_REASON_MAX] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof reason, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_lock(&lock);
    int i, free_slot = -1, found = -1;
    for (i = 0; i < HEALTH_MAX_COMPONENTS; i++) {
        if (table[i].component && strcmp(table[i].component, component) == 0) found = i;
        if (!table[i].component && free_slot < 0) free_slot = i;
    }
    enum health_level was = found >= 0 ? table[found].level : HEALTH_OK;
    int changed = was != level || (found >= 0 && strcmp(table[found].reason, reason) != 0);
    if (level == HEALTH_OK) {
        if (found >= 0) table[found].component = NULL;
    } else if ((i = found >= 0 ? found : free_slot) >= 0) {
        table[i].component = component;
        table[i].level = level;
        memcpy(table[i].reason, reason, sizeof reason);
    }
    if ((was == HEALTH_FAILING) != (level == HEALTH_FAILING))
        atomic_fetch_add(&failing, level == HEALTH_FAILING ? 1 : -1);
    pthread_mutex_unlock(&lock);
    if (!changed) return;
    if (level == HEALTH_OK)
        log_info("health %s ok again", component);
    else
        log_warn("health %s %s reason=\"%s\"", component,
                 level == HEALTH_FAILING ? "unhealthy" : "degraded", reason);
}

int health_is_set(const char *component)
{
    pthread_mutex_lock(&lock);
    int found = 0;
    for (int i = 0; i < HEALTH_MAX_COMPONENTS && !found; i++)
        found = table[i].component && strcmp(table[i].component, component) == 0;
    pthread_mutex_unlock(&lock);
    return found;
}

int health_ok(void)
{
    return atomic_load(&failing) == 0;
}

enum health_level health_append_json(buf_t *out)
{
    static const char *const names[] = {"ok", "degraded", "unhealthy"};
    enum health_level worst = HEALTH_OK;
    buf_t problems = BUF_INIT;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < HEALTH_MAX_COMPONENTS; i++) {
        if (!table[i].component) continue;
        if (table[i].level > worst) worst = table[i].level;
        buf_puts(&problems, problems.len ? "," : "");
        json_append_string(&problems, table[i].component, strlen(table[i].component));
        buf_puts(&problems, ":");
        json_append_string(&problems, table[i].reason, strlen(table[i].reason));
    }
    pthread_mutex_unlock(&lock);
    buf_printf(out, "{\"status\":\"%s\"", names[worst]);
    if (problems.len) {
        buf_puts(out, ",\"problems\":{");
        buf_append(out, buf_head(&problems), problems.len);
        buf_puts(out, "}");
    }
    buf_puts(out, "}");
    buf_deinit(&problems);
    return worst;
}
