/* http/parser: http-parser callbacks -> one flat request, see parser.h.
 *
 * The callbacks only append bytes and record offsets; everything that needs
 * stable pointers happens in on_headers_complete (target and headers, which
 * receive no more bytes after it) and on_message_complete (body). Errors of
 * our own (limits) are stored in _err before a callback returns non-zero,
 * which makes the library stop with an HPE_CB_* code; feed() then reports
 * _err rather than a generic 400. */
#include "http/parser.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

enum { LAST_NONE, LAST_FIELD, LAST_VALUE };

/* Storage kept across resets, per buffer; larger buffers are freed. */
#define KEEP_BYTES (16 * 1024)

static http_req_parser_t *parser_of(http_parser *hp)
{
    return hp->data;
}

static int fail_cb(http_req_parser_t *p, int err)
{
    p->_err = err;
    return -1;
}

/* ---- header pieces ------------------------------------------------------ */

/* The name is complete: terminate it and start the value right after. */
static void end_name(http_req_parser_t *p)
{
    http__hdr_span_t *s = &p->_spans[p->_num_spans - 1];
    buf_append(&p->_head, "", 1);
    s->value_off = p->_head.len;
    s->value_len = 0;
}

/* The value is complete: drop trailing blanks (they are the last bytes in
 * _head, so trimming is shortening the buffer) and terminate it. */
static void end_value(http_req_parser_t *p)
{
    http__hdr_span_t *s = &p->_spans[p->_num_spans - 1];
    const char *v = buf_head(&p->_head) + s->value_off;
    while (s->value_len > 0 && (v[s->value_len - 1] == ' ' || v[s->value_len - 1] == '\t')) {
        s->value_len--;
        p->_head.len--;
    }
    buf_append(&p->_head, "", 1);
}

static void end_header(http_req_parser_t *p)
{
    if (p->_last_cb == LAST_FIELD) end_name(p); /* a header with an empty value */
    if (p->_last_cb != LAST_NONE) end_value(p);
    p->_last_cb = LAST_NONE;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    http_req_parser_t *p = parser_of(hp);
    /* Trailers of a chunked body arrive after the head: they are not kept. */
    if (p->_head_done || len == 0) return 0;
    if (p->_last_cb != LAST_FIELD) {
        end_header(p);
        if (p->_num_spans == HTTP_MAX_HEADERS) return fail_cb(p, HTTP_PARSE_HEAD_TOO_LARGE);
        http__hdr_span_t *s = &p->_spans[p->_num_spans++];
        s->name_off = p->_head.len;
        s->name_len = 0;
        p->_last_cb = LAST_FIELD;
    }
    buf_append(&p->_head, at, len);
    p->_spans[p->_num_spans - 1].name_len += len;
    return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    http_req_parser_t *p = parser_of(hp);
    if (p->_head_done || len == 0 || p->_last_cb == LAST_NONE) return 0;
    if (p->_last_cb == LAST_FIELD) {
        end_name(p);
        p->_last_cb = LAST_VALUE;
    }
    buf_append(&p->_head, at, len);
    p->_spans[p->_num_spans - 1].value_len += len;
    return 0;
}

static int on_url(http_parser *hp, const char *at, size_t len)
{
    http_req_parser_t *p = parser_of(hp);
    buf_append(&p->_url, at, len);
    return 0;
}

/* ---- head complete ------------------------------------------------------ */

/* RFC 7230 section 3.2.6 tchar. http-parser, built without strict mode,
 * lets a space into field names ("Host : x"), which section 3.2.4 says a
 * server must reject: proxies disagree about such names. */
static int is_token(const char *s, size_t n)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c != 0 && strchr(extra, c) != NULL);
        if (!ok) return 0;
    }
    return n > 0;
}

/* Split the request target into path and query. http-parser has already
 * checked the target's grammar byte by byte; only its form is decided here:
 * origin-form "/a?b", asterisk-form "*", absolute-form "http://h/a?b"
 * (RFC 7230 section 5.3), and authority-form "host:port" for CONNECT, which
 * is kept whole as the path. Returns 0 or HTTP_PARSE_INVALID. */
static int split_target(http_req_parser_t *p)
{
    http_request_t *r = &p->_req;
    size_t len = p->_url.len;
    if (len == 0) return HTTP_PARSE_INVALID;
    const char *u = buf_head(&p->_url), *end = u + len;

    size_t path_off, path_len, query_off = 0, query_len = 0;
    int has_query = 0;
    if (r->method == HTTP_CONNECT) {
        path_off = 0;
        path_len = len;
    } else {
        const char *start = u;
        if (u[0] != '/' && u[0] != '*') {
            const char *s = memmem(u, len, "://", 3);
            if (s == NULL) return HTTP_PARSE_INVALID;
            start = s + 3;
            while (start < end && *start != '/' && *start != '?' && *start != '#') start++;
        }
        const char *q = start;
        while (q < end && *q != '?' && *q != '#') q++;
        path_off = (size_t)(start - u);
        path_len = (size_t)(q - start);
        if (q < end && *q == '?') {
            const char *f = memchr(q + 1, '#', (size_t)(end - q - 1));
            has_query = 1;
            query_off = (size_t)(q + 1 - u);
            query_len = (size_t)((f ? f : end) - (q + 1));
        }
    }
    /* "http://host" has an empty path, which means "/"; keep it in our own
     * storage so every pointer of the request points there. */
    if (path_len == 0) {
        path_off = p->_url.len;
        path_len = 1;
        buf_append(&p->_url, "/", 1);
    }
    const char *base = buf_head(&p->_url);
    r->path = base + path_off;
    r->path_len = path_len;
    r->query = has_query ? base + query_off : NULL;
    r->query_len = query_len;
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    http_req_parser_t *p = parser_of(hp);
    http_request_t *r = &p->_req;
    end_header(p);
    p->_head_done = 1;

    r->method = (int)hp->method;
    r->method_name = http_method_str((enum http_method)hp->method);
    r->http_major = hp->http_major;
    r->http_minor = hp->http_minor;
    /* Only HTTP/1.x: http-parser also takes an HTTP/0.9 request line (no
     * version at all) and any single-digit major version. */
    if (r->http_major != 1) return fail_cb(p, HTTP_PARSE_INVALID);
    int rc = split_target(p);
    if (rc < 0) return fail_cb(p, rc);

    for (size_t i = 0; i < p->_num_spans; i++) {
        const char *base = buf_head(&p->_head);
        const http__hdr_span_t *s = &p->_spans[i];
        if (!is_token(base + s->name_off, s->name_len)) return fail_cb(p, HTTP_PARSE_INVALID);
        r->headers[i] =
            (http_header_t){base + s->name_off, s->name_len, base + s->value_off, s->value_len};
    }
    r->num_headers = p->_num_spans;

    /* A declared length is known before any body byte: refuse it now rather
     * than read megabytes we would throw away. ULLONG_MAX means "none". */
    int chunked = (hp->flags & F_CHUNKED) != 0;
    int has_length = !chunked && hp->content_length != UINT64_MAX;
    if (has_length && hp->content_length > p->_max_body)
        return fail_cb(p, HTTP_PARSE_BODY_TOO_LARGE);
    if (p->_on_head && (chunked || (has_length && hp->content_length > 0))) {
        size_t limit = p->_max_body;
        if (p->_on_head(p->_on_head_data, r, &limit) != 0) return fail_cb(p, HTTP_PARSE_REFUSED);
        if (limit < p->_body_limit) p->_body_limit = limit;
        if (has_length && hp->content_length > p->_body_limit)
            return fail_cb(p, HTTP_PARSE_BODY_TOO_LARGE);
    }
    return 0;
}

/* ---- body --------------------------------------------------------------- */

static int on_chunk_header(http_parser *hp)
{
    http_req_parser_t *p = parser_of(hp);
    /* The library stores the announced chunk size in content_length. */
    if (hp->content_length > p->_body_limit - p->_body.len)
        return fail_cb(p, HTTP_PARSE_BODY_TOO_LARGE);
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    http_req_parser_t *p = parser_of(hp);
    if (len > p->_body_limit - p->_body.len) return fail_cb(p, HTTP_PARSE_BODY_TOO_LARGE);
    buf_append(&p->_body, at, len);
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    http_req_parser_t *p = parser_of(hp);
    http_request_t *r = &p->_req;
    r->body_len = p->_body.len;
    if (r->body_len > 0) {
        buf_append(&p->_body, "", 1);
        r->body = buf_head(&p->_body);
    } else {
        r->body = "";
    }
    /* CONNECT makes the library stop like an upgrade; we never tunnel, so
     * the caller answers it and closes. */
    int is_connect = hp->method == HTTP_CONNECT;
    r->keep_alive = !is_connect && http_should_keep_alive(hp);
    r->upgrade = !is_connect && hp->upgrade;
    p->_done = 1;
    /* Stop right after this message so pipelined bytes stay with the caller. */
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
};

/* ---- public ------------------------------------------------------------- */

void http_req_parser_init(http_req_parser_t *p, size_t max_head, size_t max_body)
{
    memset(p, 0, sizeof *p);
    buf_init(&p->_url);
    buf_init(&p->_head);
    buf_init(&p->_body);
    p->_max_head = max_head;
    p->_max_body = max_body;
    http_req_parser_reset(p);
}

void http_req_parser_deinit(http_req_parser_t *p)
{
    buf_deinit(&p->_url);
    buf_deinit(&p->_head);
    buf_deinit(&p->_body);
}

void http_req_parser_on_head(http_req_parser_t *p, http_head_cb cb, void *data)
{
    p->_on_head = cb;
    p->_on_head_data = data;
}

size_t http_req_parser_pending(const http_req_parser_t *p)
{
    return p->_url.len + p->_head.len + p->_body.len;
}

size_t http_req_parser_body_len(const http_req_parser_t *p)
{
    return p->_body.len;
}

const http_request_t *http_req_parser_head(const http_req_parser_t *p)
{
    return p->_head_done && !p->_err ? &p->_req : NULL;
}

void http_req_parser_reset(http_req_parser_t *p)
{
    http_parser_init(&p->_hp, HTTP_REQUEST);
    p->_hp.data = p;
    memset(&p->_req, 0, sizeof p->_req);
    /* Keep ordinary-sized storage for the next request, but do not let one
     * large upload pin its buffer to an idle keep-alive connection. */
    buf_t *bufs[] = {&p->_url, &p->_head, &p->_body};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        if (bufs[i]->cap > KEEP_BYTES)
            buf_deinit(bufs[i]);
        else
            buf_reset(bufs[i]);
    }
    p->_num_spans = 0;
    p->_body_limit = p->_max_body;
    p->_head_bytes = 0;
    p->_last_cb = LAST_NONE;
    p->_err = 0;
    p->_head_done = 0;
    p->_done = 0;
}

static ssize_t fail(http_req_parser_t *p, int err)
{
    p->_err = err;
    return err;
}

ssize_t http_req_parser_feed(http_req_parser_t *p, const char *data, size_t len,
                             const http_request_t **req)
{
    if (p->_err) return p->_err;
    assert(!p->_done && "http_req_parser_reset must follow a complete request");

    size_t off = 0;
    while (off < len) {
        size_t n = len - off;
        if (!p->_head_done) {
            /* Never give the library more head bytes than we allow, so the
             * limit holds exactly whatever the packet boundaries are. */
            size_t room = p->_max_head - p->_head_bytes;
            if (room == 0) return fail(p, HTTP_PARSE_HEAD_TOO_LARGE);
            if (n > room) n = room;
        }
        size_t got = http_parser_execute(&p->_hp, &settings, data + off, n);
        if (!p->_head_done) p->_head_bytes += got;
        off += got;
        if (p->_done) {
            *req = &p->_req;
            return (ssize_t)off;
        }
        enum http_errno e = HTTP_PARSER_ERRNO(&p->_hp);
        if (p->_err) return p->_err;
        if (e == HPE_HEADER_OVERFLOW) return fail(p, HTTP_PARSE_HEAD_TOO_LARGE);
        if (e != HPE_OK || got != n) return fail(p, HTTP_PARSE_INVALID);
    }
    /* Fail as soon as the head has used all its room without completing,
     * instead of waiting for one more byte. */
    if (!p->_head_done && p->_head_bytes >= p->_max_head) return fail(p, HTTP_PARSE_HEAD_TOO_LARGE);
    return HTTP_PARSE_PARTIAL;
}

const http_header_t *http_request_header(const http_request_t *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->num_headers; i++) {
        const http_header_t *h = &req->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0) return h;
    }
    return NULL;
}

size_t http_request_header_count(const http_request_t *req, const char *name)
{
    size_t n = strlen(name), count = 0;
    for (size_t i = 0; i < req->num_headers; i++) {
        const http_header_t *h = &req->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0) count++;
    }
    return count;
}

int http_header_has_token(const char *value, size_t len, const char *token)
{
    size_t tlen = strlen(token);
    const char *s = value, *end = value + len;
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *e = comma ? comma : end;
        const char *a = s, *b = e;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if ((size_t)(b - a) == tlen && strncasecmp(a, token, tlen) == 0) return 1;
        s = comma ? comma + 1 : end;
    }
    return 0;
}

/* ---- query strings ------------------------------------------------------ */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode the escape or character at s[*i] (within n bytes) and advance *i.
 * Returns the byte, or -1 for a malformed escape. */
static int decode_at(const char *s, size_t n, size_t *i)
{
    unsigned char c = (unsigned char)s[*i];
    if (c == '+') {
        (*i)++;
        return ' ';
    }
    if (c != '%') {
        (*i)++;
        return c;
    }
    if (n - *i < 3) return -1;
    int hi = hexval((unsigned char)s[*i + 1]), lo = hexval((unsigned char)s[*i + 2]);
    if (hi < 0 || lo < 0) return -1;
    *i += 3;
    return hi << 4 | lo;
}

/* 1 when the decoded key equals 'name'; a malformed key never matches. */
static int key_matches(const char *key, size_t klen, const char *name)
{
    size_t i = 0, j = 0;
    while (i < klen) {
        int c = decode_at(key, klen, &i);
        if (c < 0 || name[j] == '\0' || (unsigned char)name[j] != c) return 0;
        j++;
    }
    return name[j] == '\0';
}

int http_query_get(const char *query, size_t len, const char *name, buf_t *out)
{
    const char *s = query, *end = query + len;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *e = amp ? amp : end;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        const char *kend = eq ? eq : e;
        if (key_matches(s, (size_t)(kend - s), name)) {
            const char *v = eq ? eq + 1 : e;
            size_t vlen = (size_t)(e - v), saved = out->len;
            for (size_t i = 0; i < vlen;) {
                int c = decode_at(v, vlen, &i);
                if (c < 0) {
                    out->len = saved;
                    return -1;
                }
                char ch = (char)c;
                buf_append(out, &ch, 1);
            }
            *buf_reserve(out, 1) = '\0';
            return 1;
        }
        s = amp ? amp + 1 : end;
    }
    return 0;
}
