/* fuzz/fuzz_http.c: libFuzzer target for http/parser.
 *
 * Input layout: byte 0 picks max_head, byte 1 max_body, bytes 2 and 3 the
 * sizes of the pieces the rest is fed in (alternating; 0 means "all that is
 * left"). Each piece is copied into its own heap block that is freed right
 * after the feed, so a request that kept a pointer into the caller's bytes
 * reads freed memory and ASan stops. On every complete request the
 * invariants below are checked, then the parser is reset and fed the rest,
 * as a keep-alive connection would; the first error ends the input. The
 * query and token helpers are also run on the raw input. A head callback
 * (the server's credentials check) sees every head that announces a body;
 * byte 0's low bits make it refuse some (odd header counts) and lower the
 * body limit of others, and it must run once per such request, before any
 * body byte is kept. */
#include "http/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

static volatile unsigned sink;

/* [s, s+n) lies inside the content of 'b'; every byte is read so ASan sees
 * a stale pointer. */
static void check_within(const char *s, size_t n, const buf_t *b)
{
    CHECK(s != NULL);
    CHECK(b->data != NULL);
    const char *lo = buf_head(b), *hi = lo + b->len;
    CHECK(s >= lo && s <= hi && n <= (size_t)(hi - s));
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) sum += (unsigned char)s[i];
    sink += sum;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void check_request(const http_req_parser_t *p, const http_request_t *r)
{
    CHECK(r == &p->_req);
    CHECK(r->method_name != NULL);
    CHECK(strcmp(r->method_name, http_method_str((enum http_method)r->method)) == 0);
    CHECK(r->http_major >= 0 && r->http_major <= 999 && r->http_minor >= 0 && r->http_minor <= 999);
    CHECK(r->keep_alive == 0 || r->keep_alive == 1);
    CHECK(r->upgrade == 0 || r->upgrade == 1);

    CHECK(r->path_len > 0);
    check_within(r->path, r->path_len, &p->_url);
    CHECK(memchr(r->path, '?', r->path_len) == NULL || r->method == HTTP_CONNECT);
    if (r->query == NULL) {
        CHECK(r->query_len == 0);
    } else {
        check_within(r->query, r->query_len, &p->_url);
        CHECK(memchr(r->query, '#', r->query_len) == NULL);
    }

    CHECK(r->num_headers <= HTTP_MAX_HEADERS);
    for (size_t i = 0; i < r->num_headers; i++) {
        const http_header_t *h = &r->headers[i];
        CHECK(h->name_len > 0);
        check_within(h->name, h->name_len + 1, &p->_head);
        CHECK(h->name[h->name_len] == '\0');
        CHECK(memchr(h->name, '\0', h->name_len) == NULL);
        check_within(h->value, h->value_len + 1, &p->_head);
        CHECK(h->value[h->value_len] == '\0');
        if (h->value_len > 0)
            CHECK(!is_blank(h->value[0]) && !is_blank(h->value[h->value_len - 1]));
        /* Lookup by this exact name finds this header or an earlier one. */
        char name[256];
        if (h->name_len < sizeof name) {
            memcpy(name, h->name, h->name_len + 1);
            const http_header_t *f = http_request_header(r, name);
            CHECK(f != NULL && f <= h);
        }
        sink += (unsigned)http_header_has_token(h->value, h->value_len, "upgrade");
    }

    CHECK(r->body != NULL);
    CHECK(r->body_len <= p->_max_body);
    if (r->body_len == 0) {
        CHECK(r->body[0] == '\0');
    } else {
        check_within(r->body, r->body_len + 1, &p->_body);
        CHECK(r->body[r->body_len] == '\0');
    }

    if (r->query) {
        buf_t out = BUF_INIT;
        int rc = http_query_get(r->query, r->query_len, "token", &out);
        CHECK(rc >= -1 && rc <= 1);
        CHECK(rc == 1 || out.len == 0);
        CHECK(out.len <= r->query_len);
        buf_deinit(&out);
    }
}

struct head_seen {
    http_req_parser_t *p;
    unsigned mode; /* bit 0: refuse odd header counts; bit 1: halve the body limit */
    int calls;     /* for the request being parsed */
    int refused;
    size_t limit; /* the body limit it set */
};

static int on_head(void *data, const http_request_t *head, size_t *max_body)
{
    struct head_seen *h = data;
    h->calls++;
    CHECK(h->calls == 1);
    CHECK(http_req_parser_body_len(h->p) == 0);
    CHECK(head->path != NULL && head->path_len > 0);
    if ((h->mode & 1) && (head->num_headers & 1)) {
        h->refused = 1;
        return 1;
    }
    if (h->mode & 2) *max_body /= 2;
    h->limit = *max_body;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    size_t max_head = 16 + (size_t)data[0] * 64; /* 16 .. 16336 */
    size_t max_body = (size_t)data[1] * 32;      /* 0 .. 8160 */
    size_t steps[2] = {data[2], data[3]};
    const char *in = (const char *)data + 4;
    size_t n = size - 4;

    /* The helpers on raw bytes. */
    sink += (unsigned)http_header_has_token(in, n, "keep-alive");
    buf_t out = BUF_INIT;
    int qrc = http_query_get(in, n, "a", &out);
    CHECK(qrc >= -1 && qrc <= 1 && out.len <= n);
    buf_deinit(&out);

    http_req_parser_t p;
    http_req_parser_init(&p, max_head, max_body);
    struct head_seen seen = {.p = &p, .mode = data[0] & 3, .limit = max_body};
    http_req_parser_on_head(&p, on_head, &seen);
    size_t pos = 0, k = 0;
    while (pos < n) {
        size_t len = steps[k++ & 1];
        if (len == 0 || len > n - pos) len = n - pos;
        char *piece = malloc(len);
        CHECK(piece != NULL);
        memcpy(piece, in + pos, len);
        const http_request_t *req = NULL;
        ssize_t rc = http_req_parser_feed(&p, piece, len, &req);
        free(piece);
        if (rc == HTTP_PARSE_PARTIAL) {
            CHECK(req == NULL);
            pos += len;
            continue;
        }
        if (rc < 0) {
            CHECK(rc == HTTP_PARSE_INVALID || rc == HTTP_PARSE_HEAD_TOO_LARGE ||
                  rc == HTTP_PARSE_BODY_TOO_LARGE || rc == HTTP_PARSE_REFUSED);
            CHECK((rc == HTTP_PARSE_REFUSED) == (seen.refused == 1));
            CHECK(req == NULL);
            /* Errors are sticky. */
            CHECK(http_req_parser_feed(&p, "GET / HTTP/1.1\r\n\r\n", 18, &req) == rc);
            break;
        }
        CHECK(rc > 0 && (size_t)rc <= len);
        CHECK(req != NULL);
        check_request(&p, req);
        CHECK(seen.calls <= 1 && !seen.refused);
        CHECK(req->body_len <= seen.limit);
        pos += (size_t)rc;
        http_req_parser_reset(&p);
        seen.calls = 0;
        seen.limit = max_body;
    }
    http_req_parser_deinit(&p);
    return 0;
}
