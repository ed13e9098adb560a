/* pubsub/envelope: encode and parse cabled's own messages between nodes.
 * See envelope.h. */
#include "pubsub/envelope.h"

#include "core/err.h"
#include "core/json.h"

#include <string.h>

static int urlsafe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* A string member of 1..cap-1 URL-safe characters (no escapes can occur
 * in those) into 'out'. Returns 0 or -1. */
static int get_word(const char *in, size_t len, const char *key, char *out, size_t cap)
{
    json_span_t s;
    if (json_span_member(in, len, key, &s) != 1 || json_span_kind(s) != 's') return -1;
    size_t n = s.len - 2;
    if (n == 0 || n >= cap || !urlsafe(s.p + 1, n)) return -1;
    memcpy(out, s.p + 1, n);
    out[n] = '\0';
    return 0;
}

/* A member that is a whole number of at most 18 digits. Returns 0 or -1. */
static int get_number(const char *in, size_t len, const char *key, uint64_t *out)
{
    json_span_t s;
    if (json_span_member(in, len, key, &s) != 1 || json_span_kind(s) != 'n') return -1;
    if (s.len == 0 || s.len > 18) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse(const char *in, size_t len, pubsub_envelope_t *out)
{
    char kind[2];
    if (get_word(in, len, "k", kind, sizeof kind) != 0) return -1;
    out->kind = kind[0];
    switch (out->kind) {
    case 'm': {
        uint64_t t;
        if (get_word(in, len, "e", out->epoch, sizeof out->epoch) != 0) return -1;
        if (get_number(in, len, "o", &out->offset) != 0 || out->offset == 0) return -1;
        if (get_number(in, len, "t", &t) != 0) return -1;
        out->time = (int64_t)t;
        return 0;
    }
    case 'w':
    case 'p': {
        if (out->kind == 'w' && get_word(in, len, "x", out->exclude, sizeof out->exclude) != 0)
            return -1;
        json_span_t d;
        if (json_span_member(in, len, "d", &d) != 1) return -1;
        if (out->kind == 'p' && json_span_kind(d) != 'o') return -1;
        out->data = d.p;
        out->data_len = d.len;
        return 0;
    }
    default:
        return -1;
    }
}

int pubsub_envelope_parse(const char *in, size_t len, pubsub_envelope_t *out)
{
    memset(out, 0, sizeof *out);
    if (parse(in, len, out) == 0) return 0;
    memset(out, 0, sizeof *out);
    return ERR_INVAL;
}

void pubsub_envelope_whisper(buf_t *out, const char *exclude, const char *data, size_t len)
{
    buf_puts(out, "{\"k\":\"w\",\"x\":");
    json_append_string(out, exclude, strlen(exclude));
    buf_puts(out, ",\"d\":");
    buf_append(out, data, len);
    buf_puts(out, "}");
}

void pubsub_envelope_presence(buf_t *out, const char *event, size_t len)
{
    buf_puts(out, "{\"k\":\"p\",\"d\":");
    buf_append(out, event, len);
    buf_puts(out, "}");
}
