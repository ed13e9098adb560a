/* core/health: component reports for GET /health. See health.h. */
#include "core/health.h"

#include "core/json.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SLOTS 8

static struct {
    const char *component;
    enum health_level level;
    char reason[256];
} slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void health_set(const char *component, enum health_level level, const char *fmt, ...)
{
    pthread_mutex_lock(&lock);
    int free_slot = -1, found = -1;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].component && strcmp(slots[i].component, component) == 0) found = i;
        if (!slots[i].component && free_slot < 0) free_slot = i;
    }
    int i = found >= 0 ? found : free_slot;
    if (i >= 0) {
        slots[i].component = component;
        slots[i].level = level;
        slots[i].reason[0] = '\0';
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(slots[i].reason, sizeof slots[i].reason, fmt, ap);
            va_end(ap);
        }
    }
    pthread_mutex_unlock(&lock);
}

enum health_level health_level(void)
{
    enum health_level worst = HEALTH_OK;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].component && slots[i].level > worst) worst = slots[i].level;
    pthread_mutex_unlock(&lock);
    return worst;
}

enum health_level health_append_json(buf_t *out)
{
    static const char *const names[] = {"ok", "degraded", "unhealthy"};
    enum health_level worst = HEALTH_OK;
    buf_t problems = BUF_INIT;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++) {
        if (!slots[i].component || slots[i].level == HEALTH_OK) continue;
        if (slots[i].level > worst) worst = slots[i].level;
        buf_puts(&problems, problems.len ? "," : "");
        json_append_string(&problems, slots[i].component, strlen(slots[i].component));
        buf_puts(&problems, ":");
        json_append_string(&problems, slots[i].reason, strlen(slots[i].reason));
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
