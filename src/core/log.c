/* core/log: leveled single-line logging to stderr, as text or as JSON. See
 * log.h. */
#include "core/log.h"

#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

enum log_level log_min_level = LOG_INFO;
static int log_json;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

int log_set_level(const char *name)
{
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            log_min_level = (enum log_level)i;
            return 0;
        }
    }
    return ERR_INVAL;
}

int log_set_format(const char *name)
{
    if (strcmp(name, "text") == 0)
        log_json = 0;
    else if (strcmp(name, "json") == 0)
        log_json = 1;
    else
        return ERR_INVAL;
    return 0;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    static const char tags[] = "DIWE";
    char line[LOG_LINE_MAX], stamp[64];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    int n = log_json ? 0 : snprintf(line, sizeof line, "%s %c ", stamp, tags[level & 3]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2) len = sizeof line - 2;
    char json[LOG_LINE_MAX * 2];
    char *out = line;
    if (log_json) {
        len = log_format_json(json, sizeof json - 1, stamp, level, line, len);
        out = json;
    }
    out[len++] = '\n';
    /* One write per line keeps lines from different threads whole. */
    ssize_t w = write(STDERR_FILENO, out, len);
    (void)w;
}

char *log_escape(char *out, size_t cap, const void *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = data;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (o + 8 >= cap) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

/* ---- JSON lines ----------------------------------------------------------- */

/* A bounded writer: a piece that does not fit is rolled back whole by the
 * caller, so what was written is always a prefix of valid JSON. */
struct jw {
    char *out;
    size_t cap, len;
    int full;
};

static void put(struct jw *w, const char *s, size_t n)
{
    if (w->full || n > w->cap - w->len) {
        w->full = 1;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

/* A JSON string of 'n' bytes of 's'. Bytes outside printable ASCII become
 * \u00XX, so the output is valid whatever the line held. */
static void put_string(struct jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    for (size_t i = 0; i < n && !w->full; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(w, e, 2);
        } else if (c < 0x20 || c >= 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(w, e, 6);
        } else {
            put(w, (const char *)&c, 1);
        }
    }
    put(w, "\"", 1);
}

static int is_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i == n || s[i] < '0' || s[i] > '9') return 0;
    if (s[i] == '0' && i + 1 < n && s[i + 1] != '.') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i < n && s[i] == '.') {
        if (++i == n) return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    return i == n;
}

static int is_reserved(const char *k, size_t n)
{
    static const char *const names[] = {"time", "level", "module", "msg"};
    for (size_t i = 0; i < 4; i++)
        if (strlen(names[i]) == n && memcmp(names[i], k, n) == 0) return 1;
    return 0;
}

/* Length of the key of word 's' when it is key=value (key: [a-z_][a-z0-9_]*,
 * not a reserved name), else 0. */
static size_t key_len(const char *s, const char *end)
{
    size_t n = 0;
    while (s + n < end &&
           ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_' || (n > 0 && s[n] >= '0' && s[n] <= '9')))
        n++;
    if (n == 0 || s + n == end || s[n] != '=' || is_reserved(s, n)) return 0;
    return n;
}

size_t log_format_json(char *out, size_t cap, const char *time, enum log_level level,
                       const char *msg, size_t len)
{
    /* Room kept for the closing brace. */
    struct jw w = {out, cap > 0 ? cap - 1 : 0, 0, 0};
    const char *p = msg, *end = msg + len;
    while (p < end && *p == ' ') p++;
    const char *mod = p;
    while (p < end && *p != ' ') p++;
    size_t mod_len = (size_t)(p - mod);

    put(&w, "{\"time\":", 8);
    put_string(&w, time, strlen(time));
    put(&w, ",\"level\":", 9);
    put_string(&w, level_names[level & 3], strlen(level_names[level & 3]));
    put(&w, ",\"module\":", 10);
    put_string(&w, mod, mod_len);
    if (w.full) {
        w.len = 0;
        w.full = 0;
        put(&w, "{", 1);
        goto done;
    }

    /* The words that are not key=value, joined by single spaces. */
    char words[LOG_LINE_MAX];
    size_t wn = 0;
    for (const char *q = p; q < end;) {
        while (q < end && *q == ' ') q++;
        if (q == end) break;
        const char *word = q;
        size_t k = key_len(q, end);
        if (k) {
            q += k + 1;
            if (q < end && *q == '"') {
                const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
                q = close ? close + 1 : end;
            }
            while (q < end && *q != ' ') q++;
            continue;
        }
        while (q < end && *q != ' ') q++;
        size_t n = (size_t)(q - word);
        if (wn) words[wn++] = ' ';
        if (n > sizeof words - 1 - wn) n = sizeof words - 1 - wn;
        memcpy(words + wn, word, n);
        wn += n;
        if (wn + 1 >= sizeof words) break;
    }
    size_t mark = w.len;
    put(&w, ",\"msg\":", 7);
    put_string(&w, words, wn);
    if (w.full) {
        /* Cut the text short rather than lose the line. */
        w.len = mark;
        w.full = 0;
        size_t room = w.cap - w.len;
        size_t keep = room > 16 ? (room - 16) / 6 : 0;
        put(&w, ",\"msg\":", 7);
        put_string(&w, words, keep < wn ? keep : wn);
        if (w.full) {
            w.len = mark;
            w.full = 0;
        }
        goto done;
    }

    for (const char *q = p; q < end;) {
        while (q < end && *q == ' ') q++;
        if (q == end) break;
        size_t k = key_len(q, end);
        if (!k) {
            while (q < end && *q != ' ') q++;
            continue;
        }
        const char *key = q, *val = q + k + 1, *vend;
        q = val;
        int quoted = q < end && *q == '"';
        if (quoted) {
            const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
            val = q + 1;
            vend = close ? close : end;
            q = close ? close + 1 : end;
            while (q < end && *q != ' ') q++;
        } else {
            while (q < end && *q != ' ') q++;
            vend = q;
        }
        size_t vlen = (size_t)(vend - val);
        mark = w.len;
        put(&w, ",", 1);
        put_string(&w, key, k);
        put(&w, ":", 1);
        if (!quoted && is_number(val, vlen))
            put(&w, val, vlen);
        else
            put_string(&w, val, vlen);
        if (w.full) {
            w.len = mark;
            w.full = 0;
            break;
        }
    }
done:
    out[w.len++] = '}';
    return w.len;
}
