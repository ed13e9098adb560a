/* core/log: one line per event, module first, then key=value pairs.
 *
 *   log_info("ws conn=%llu close code=%d", id, code);
 *
 * Two formats (--log-format): "text", the line as written after a UTC time
 * and a level letter, and "json", one object per line for log shippers:
 *
 *   2024-05-01T12:00:00.123Z I http access conn=4 method=GET status=200
 *   {"time":"2024-05-01T12:00:00.123Z","level":"info","module":"http",
 *    "msg":"access","conn":4,"method":"GET","status":200}
 *
 * In JSON, each key=value word becomes a field (a number when it spells
 * one, else a string; key="quoted value" drops the quotes), the first word
 * is "module" and the other words, in order, make "msg".
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
/* Parse "text" or "json". Returns 0 or ERR_INVAL. Call before the threads
 * start. */
int log_set_format(const char *name);

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
 * printable ASCII is kept except '"' and '\\', everything else becomes \xNN
 * (so an escaped value can stand between quotes), and the result is
 * truncated with "..." when longer than fits. Returns 'out'. */
char *log_escape(char *out, size_t cap, const void *data, size_t len);

/* The JSON object of one line (see above) for 'time' (text), 'level' and
 * the formatted line 'msg' ('len' bytes), written into 'out' (size 'cap')
 * without a newline; always valid JSON, cut short (fields dropped, "msg"
 * truncated) when it does not fit. Returns the length written. Pure: the
 * seam for tests. */
size_t log_format_json(char *out, size_t cap, const char *time, enum log_level level,
                       const char *msg, size_t len);

#endif
