/* core/json: Action Cable's JSON encoding, see json.h.
 *
 * One recursive-descent scanner serves every entry point. A scan_t walks the
 * input; when 'out' is set, each token is written to it in compact form as it
 * is accepted, otherwise the scan only validates. Strings go through a sink
 * that receives the decoded text in pieces (raw runs straight from the input,
 * escapes decoded into a few bytes on the stack): the sink re-escapes them
 * into 'out' and/or compares them with a member name being looked for, so no
 * string is ever copied into a temporary buffer. Recursion is bounded by
 * JSON_MAX_DEPTH. */
#include "core/json.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/utf8.h"

/* ---- string escaping ------------------------------------------------------ */

/* For each byte: 0 when it is copied as is, otherwise the letter after the
 * backslash, or 'u' for a \u00XX escape. U+2028/U+2029 are three-byte
 * sequences and are handled apart (their lead byte E2 is marked '2'). */
/* clang-format off */
static const char escape_table[256] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u',
    [0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u',
    [0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u',
    [0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
    ['"'] = '"', ['\\'] = '\\', ['<'] = 'u', ['>'] = 'u', ['&'] = 'u',
    [0xe2] = '2',
};
/* clang-format on */

static const char hex_lower[] = "0123456789abcdef";

/* Append the escaped form of 'len' bytes of valid UTF-8, without quotes. */
static void append_escaped(buf_t *out, const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* Copy the longest run that needs no escaping in one go. */
        size_t run = i;
        while (run < len && escape_table[s[run]] == 0) run++;
        buf_append(out, s + i, run - i);
        if (run == len) break;
        i = run;
        unsigned char c = s[i];
        char e = escape_table[c];
        if (e == '2') {
            if (i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                buf_append(out, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                i += 3;
            } else {
                buf_append(out, s + i, 1);
                i++;
            }
        } else if (e == 'u') {
            char esc[6] = {'\\', 'u', '0', '0', hex_lower[c >> 4], hex_lower[c & 0xf]};
            buf_append(out, esc, sizeof esc);
            i++;
        } else {
            char esc[2] = {'\\', e};
            buf_append(out, esc, sizeof esc);
            i++;
        }
    }
}

void json_append_string(buf_t *out, const char *s, size_t len)
{
    buf_append(out, "\"", 1);
    append_escaped(out, (const unsigned char *)s, len);
    buf_append(out, "\"", 1);
}

/* ---- the scanner ---------------------------------------------------------- */

typedef struct scan {
    const unsigned char *p;   /* next byte to read */
    const unsigned char *end; /* one past the last byte */
    buf_t *out;               /* compact output, or NULL to only validate */
    int depth;                /* open arrays and objects */
    int widen;                /* write numbers jansson cannot hold as reals it can */
} scan_t;

/* Where the decoded pieces of one string go. */
typedef struct str_sink {
    buf_t *out;      /* re-escape into this, or NULL */
    buf_t *raw;      /* the decoded bytes into this, or NULL */
    const char *key; /* compare with this name, or NULL */
    size_t key_len;
    size_t key_pos; /* bytes of 'key' matched so far */
    int mismatch;   /* set once the decoded text differs from 'key' */
} str_sink_t;

static int scan_value(scan_t *s);

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static void emit(scan_t *s, const void *p, size_t n)
{
    if (s->out) buf_append(s->out, p, n);
}

static void sink_piece(str_sink_t *k, const unsigned char *p, size_t n)
{
    if (n == 0) return;
    if (k->out) append_escaped(k->out, p, n);
    if (k->raw) buf_append(k->raw, p, n);
    if (k->key && !k->mismatch) {
        if (k->key_len - k->key_pos < n || memcmp(k->key + k->key_pos, p, n) != 0)
            k->mismatch = 1;
        else
            k->key_pos += n;
    }
}

static int hex4(const unsigned char *p, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9')
            x |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            x |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            x |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *v = x;
    return 0;
}

static size_t utf8_encode(uint32_t cp, unsigned char *b)
{
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (unsigned char)(0xf0 | (cp >> 18));
    b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decode the escape after a backslash at s->p (s->p points past the
 * backslash) into the sink. */
static int scan_escape(scan_t *s, str_sink_t *k)
{
    if (s->p >= s->end) return ERR_JSON;
    unsigned char c = *s->p++, b;
    switch (c) {
    case '"':
    case '\\':
    case '/':
        b = c;
        break;
    case 'b':
        b = '\b';
        break;
    case 'f':
        b = '\f';
        break;
    case 'n':
        b = '\n';
        break;
    case 'r':
        b = '\r';
        break;
    case 't':
        b = '\t';
        break;
    case 'u': {
        uint32_t cp, lo;
        if (s->end - s->p < 4 || hex4(s->p, &cp) < 0) return ERR_JSON;
        s->p += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) return ERR_JSON; /* low surrogate first */
        if (cp >= 0xd800 && cp <= 0xdbff) {
            /* A high surrogate must be followed by an escaped low one. */
            if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo) < 0 ||
                lo < 0xdc00 || lo > 0xdfff)
                return ERR_JSON;
            s->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        unsigned char u[4];
        sink_piece(k, u, utf8_encode(cp, u));
        return 0;
    }
    default:
        return ERR_JSON;
    }
    sink_piece(k, &b, 1);
    return 0;
}

/* Scan a string at s->p (which points at the opening quote). The decoded
 * text goes to 'k'; the quotes are written to k->out. */
static int scan_string(scan_t *s, str_sink_t *k)
{
    s->p++;
    if (k->out) buf_append(k->out, "\"", 1);
    for (;;) {
        /* A raw run ends at a quote, a backslash or a control byte; all are
         * ASCII, so a run that splits a multi-byte sequence fails the UTF-8
         * check, as it must. */
        const unsigned char *run = s->p;
        unsigned char high = 0;
        while (s->p < s->end && *s->p >= 0x20 && *s->p != '"' && *s->p != '\\') high |= *s->p++;
        if ((high & 0x80) && !utf8_valid(run, (size_t)(s->p - run))) return ERR_JSON;
        sink_piece(k, run, (size_t)(s->p - run));
        if (s->p >= s->end || *s->p < 0x20) return ERR_JSON;
        if (*s->p++ == '"') break;
        int rc = scan_escape(s, k);
        if (rc < 0) return rc;
    }
    if (k->out) buf_append(k->out, "\"", 1);
    return 0;
}

static int is_digit(const scan_t *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* Write the number 'text' (valid JSON, 'len' bytes) so that jansson reads it
 * without an overflow: an integer outside int64 as the nearest double, a
 * real outside the double range as the largest finite double of its sign.
 * Numbers jansson can hold are copied verbatim. */
static void emit_widened(scan_t *s, const unsigned char *text, size_t len, int is_integer)
{
    char small[64];
    char *z = len < sizeof small ? small : xmalloc(len + 1);
    memcpy(z, text, len);
    z[len] = '\0';
    errno = 0;
    if (is_integer) {
        (void)strtoll(z, NULL, 10);
    } else {
        double d = strtod(z, NULL);
        if (errno == ERANGE && !isinf(d)) errno = 0; /* underflow to 0 is fine */
    }
    if (errno != ERANGE) {
        emit(s, text, len);
    } else {
        double d = strtod(z, NULL);
        if (isinf(d)) d = copysign(DBL_MAX, d);
        char tmp[40];
        snprintf(tmp, sizeof tmp, "%.17g", d);
        emit(s, tmp, strlen(tmp));
        if (!strpbrk(tmp, ".eE")) emit(s, ".0", 2);
    }
    if (z != small) free(z);
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?,
 * copied verbatim (or widened, see emit_widened). */
static int scan_number(scan_t *s)
{
    const unsigned char *start = s->p;
    int is_integer = 1;
    if (*s->p == '-') s->p++;
    if (!is_digit(s)) return ERR_JSON;
    if (*s->p++ != '0')
        while (is_digit(s)) s->p++;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        is_integer = 0;
        if (!is_digit(s)) return ERR_JSON;
        while (is_digit(s)) s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        is_integer = 0;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!is_digit(s)) return ERR_JSON;
        while (is_digit(s)) s->p++;
    }
    if (s->widen && s->out)
        emit_widened(s, start, (size_t)(s->p - start), is_integer);
    else
        emit(s, start, (size_t)(s->p - start));
    return 0;
}

static int scan_literal(scan_t *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return ERR_JSON;
    s->p += n;
    emit(s, lit, n);
    return 0;
}

static int scan_array(scan_t *s)
{
    if (++s->depth > JSON_MAX_DEPTH) return ERR_JSON;
    s->p++;
    emit(s, "[", 1);
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        emit(s, "]", 1);
        s->depth--;
        return 0;
    }
    for (;;) {
        int rc = scan_value(s);
        if (rc < 0) return rc;
        skip_ws(s);
        if (s->p >= s->end) return ERR_JSON;
        unsigned char c = *s->p++;
        emit(s, &c, 1);
        if (c == ']') break;
        if (c != ',') return ERR_JSON;
        skip_ws(s);
    }
    s->depth--;
    return 0;
}

/* Scan an object. When 'key' is set, the raw text of the last member named
 * 'key' is stored in *found and *hit is set to 1. */
static int scan_object(scan_t *s, const char *key, json_span_t *found, int *hit)
{
    if (++s->depth > JSON_MAX_DEPTH) return ERR_JSON;
    s->p++;
    emit(s, "{", 1);
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        emit(s, "}", 1);
        s->depth--;
        return 0;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"') return ERR_JSON;
        str_sink_t k = {.out = s->out, .key = key, .key_len = key ? strlen(key) : 0};
        int rc = scan_string(s, &k);
        if (rc < 0) return rc;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':') return ERR_JSON;
        s->p++;
        emit(s, ":", 1);
        skip_ws(s);
        const unsigned char *value = s->p;
        rc = scan_value(s);
        if (rc < 0) return rc;
        if (key && !k.mismatch && k.key_pos == k.key_len) {
            found->p = (const char *)value;
            found->len = (size_t)(s->p - value);
            *hit = 1;
        }
        skip_ws(s);
        if (s->p >= s->end) return ERR_JSON;
        unsigned char c = *s->p++;
        emit(s, &c, 1);
        if (c == '}') break;
        if (c != ',') return ERR_JSON;
        skip_ws(s);
    }
    s->depth--;
    return 0;
}

/* Scan one value at s->p (no leading whitespace). */
static int scan_value(scan_t *s)
{
    if (s->p >= s->end) return ERR_JSON;
    switch (*s->p) {
    case '{':
        return scan_object(s, NULL, NULL, NULL);
    case '[':
        return scan_array(s);
    case '"': {
        str_sink_t k = {.out = s->out};
        return scan_string(s, &k);
    }
    case 't':
        return scan_literal(s, "true", 4);
    case 'f':
        return scan_literal(s, "false", 5);
    case 'n':
        return scan_literal(s, "null", 4);
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) return scan_number(s);
        return ERR_JSON;
    }
}

static void scan_init(scan_t *s, const char *in, size_t len, buf_t *out)
{
    s->p = (const unsigned char *)in;
    s->end = len ? s->p + len : s->p; /* 'in' may be NULL when empty */
    s->out = out;
    s->depth = 0;
    s->widen = 0;
}

/* Scan the whole input as one value with whitespace around it. */
static int scan_document(scan_t *s)
{
    skip_ws(s);
    int rc = scan_value(s);
    if (rc < 0) return rc;
    skip_ws(s);
    return s->p == s->end ? 0 : ERR_JSON;
}

/* ---- public entry points -------------------------------------------------- */

int json_append_compact(buf_t *out, const char *in, size_t len)
{
    size_t saved = out->len;
    scan_t s;
    scan_init(&s, in, len, out);
    int rc = scan_document(&s);
    if (rc < 0) out->len = saved;
    return rc;
}

json_t *json_decode(const char *in, size_t len, size_t flags)
{
    json_error_t err;
    json_t *v = json_loadb(in, len, flags, &err);
    if (v || json_error_code(&err) != json_error_numeric_overflow) return v;
    /* Rare: rewrite the numbers jansson refused and decode that instead. */
    buf_t text = BUF_INIT;
    scan_t s;
    scan_init(&s, in, len, &text);
    s.widen = 1;
    if (scan_document(&s) == 0) v = json_loadb(buf_head(&text), text.len, flags, NULL);
    buf_deinit(&text);
    return v;
}

int json_span_member(const char *in, size_t len, const char *key, json_span_t *out)
{
    scan_t s;
    scan_init(&s, in, len, NULL);
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{') return scan_document(&s) < 0 ? ERR_JSON : 0;
    json_span_t found = {NULL, 0};
    int hit = 0;
    if (scan_object(&s, key, &found, &hit) < 0) return ERR_JSON;
    skip_ws(&s);
    if (s.p != s.end) return ERR_JSON;
    if (hit) *out = found;
    return hit;
}

int json_span_next(const char *in, size_t len, size_t *pos, json_span_t *out)
{
    scan_t s;
    scan_init(&s, in, len, NULL);
    if (*pos == 0) {
        /* First call: the whole input must be one valid array. */
        skip_ws(&s);
        if (s.p >= s.end || *s.p != '[') return ERR_JSON;
        scan_t whole = s;
        if (scan_document(&whole) < 0) return ERR_JSON;
        s.p++;
    } else {
        if (*pos > len) return ERR_JSON;
        s.p += *pos;
    }
    /* The array is known to be valid: only whitespace, a separator and the
     * closing bracket can stand between elements. */
    skip_ws(&s);
    if (s.p < s.end && *s.p == ',') {
        s.p++;
        skip_ws(&s);
    }
    if (s.p >= s.end || *s.p == ']') {
        *pos = (size_t)(s.p - (const unsigned char *)in);
        return 0;
    }
    const unsigned char *start = s.p;
    s.depth = 1;
    if (scan_value(&s) < 0) return ERR_JSON;
    out->p = (const char *)start;
    out->len = (size_t)(s.p - start);
    *pos = (size_t)(s.p - (const unsigned char *)in);
    return 1;
}

int json_span_string(json_span_t span, buf_t *out)
{
    if (json_span_kind(span) != 's') return ERR_JSON;
    scan_t s;
    scan_init(&s, span.p, span.len, NULL);
    str_sink_t k = {.raw = out};
    buf_reserve(out, 1); /* storage exists even for "", so buf_head is valid */
    size_t before = out->len;
    if (scan_string(&s, &k) < 0 || s.p != s.end) {
        out->len = before;
        return ERR_JSON;
    }
    return 0;
}

int json_span_kind(json_span_t s)
{
    if (s.p == NULL || s.len == 0) return 0;
    switch (s.p[0]) {
    case '{':
        return 'o';
    case '[':
        return 'a';
    case '"':
        return 's';
    case 't':
        return 't';
    case 'f':
        return 'f';
    case 'n':
        return 'z';
    default:
        return (s.p[0] == '-' || (s.p[0] >= '0' && s.p[0] <= '9')) ? 'n' : 0;
    }
}

/* ---- jansson values ------------------------------------------------------- */

static void append_real(buf_t *out, double d)
{
    if (!isfinite(d)) {
        buf_append(out, "null", 4);
        return;
    }
    /* The shortest of these that reads back as the same double is what Ruby
     * and JavaScript print, up to the exponent's spelling. */
    char tmp[40];
    static const char *const fmts[] = {"%.15g", "%.16g", "%.17g"};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        snprintf(tmp, sizeof tmp, fmts[i], d);
        if (strtod(tmp, NULL) == d) break;
    }
    buf_puts(out, tmp);
    if (!strpbrk(tmp, ".eE")) buf_append(out, ".0", 2);
}

void json_append_value(buf_t *out, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        buf_append(out, "{", 1);
        int first = 1;
        /* jansson keeps insertion order; the iterator API also gives the
         * key's length, so names with NUL bytes survive. */
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first) buf_append(out, ",", 1);
            first = 0;
            json_append_string(out, json_object_iter_key(it), json_object_iter_key_len(it));
            buf_append(out, ":", 1);
            json_append_value(out, json_object_iter_value(it));
        }
        buf_append(out, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        buf_append(out, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) buf_append(out, ",", 1);
            json_append_value(out, json_array_get(v, i));
        }
        buf_append(out, "]", 1);
        break;
    }
    case JSON_STRING:
        json_append_string(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        append_real(out, json_real_value(v));
        break;
    case JSON_TRUE:
        buf_append(out, "true", 4);
        break;
    case JSON_FALSE:
        buf_append(out, "false", 5);
        break;
    case JSON_NULL:
        buf_append(out, "null", 4);
        break;
    }
}
