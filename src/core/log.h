/* core/log: one line per event, module first, then key=value pairs.
 *
 *   log_info("ws conn=%llu close code=%d", id, code);
 *
 * The macros test the level before formatting anything, so a disabled
 * debug line costs one comparison. Lines are written with a single
 * write(2) so lines from several threads never interleave. Client bytes are
 * data: pass them through log_escape() as a "%s" argument, never as the
 * format string. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3, LOG_OFF = 4 };

extern enum log_level log_min_level;

/* Parse "debug", "info", "warn", "error" or "off". Returns 0 or ERR_INVAL. */
int log_set_level(const char *name);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_at(level, ...)                                    \
    do {                                                      \
        if ((level) >= log_min_level) log_write((level), __VA_ARGS__); \
    } while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

/* Escape 'len' bytes of untrusted data into 'out' (size 'cap', at least 8):
 * printable ASCII is kept, everything else becomes \xNN, and the result is
 * truncated with "..." when longer than fits. Returns 'out'. */
char *log_escape(char *out, size_t cap, const void *data, size_t len);

#endif
