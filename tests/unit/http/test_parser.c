/* tests/unit/http/test_parser.c: the request parser wrapper and its helpers.
 *
 * Every sample request is parsed whole, split at every offset and one byte
 * at a time, and the results must be identical. Each piece is copied so it
 * ends right before an unmapped guard page, which turns any read past the
 * bytes we were given into a crash. */
#include "http/parser.h"

#include "test.h"

#include <sys/mman.h>
#include <unistd.h>

#define MiB (1024 * 1024)

/* ---- helpers ------------------------------------------------------------ */

static char *guard_arena;
static size_t guard_arena_len;

/* Return a copy of data[0..n) that ends at an unmapped page. Valid until the
 * next call. */
static const char *guarded(const char *data, size_t n)
{
    if (guard_arena == NULL) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        guard_arena_len = 64 * page;
        guard_arena = mmap(NULL, guard_arena_len + page, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (guard_arena == MAP_FAILED) abort();
        if (mprotect(guard_arena + guard_arena_len, page, PROT_NONE) != 0) abort();
    }
    if (n > guard_arena_len) abort();
    char *dst = guard_arena + guard_arena_len - n;
    memcpy(dst, data, n);
    return dst;
}

static ssize_t feed(http_req_parser_t *p, const char *data, size_t n, const http_request_t **req)
{
    return http_req_parser_feed(p, guarded(data, n), n, req);
}

static void describe_bytes(buf_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            buf_append(out, &s[i], 1);
        else
            buf_printf(out, "\\x%02x", c);
    }
}

/* A canonical text form of one parse result, so runs can be compared. */
static void describe(buf_t *out, ssize_t rc, const http_request_t *r)
{
    buf_reset(out);
    buf_printf(out, "rc=%zd", rc);
    if (rc < 0) {
        buf_append(out, "", 1);
        return;
    }
    buf_printf(out, " %s(%d) path=", r->method_name, r->method);
    describe_bytes(out, r->path, r->path_len);
    buf_puts(out, " query=");
    if (r->query)
        describe_bytes(out, r->query, r->query_len);
    else
        buf_puts(out, "(none)");
    buf_printf(out, " HTTP/%d.%d ka=%d up=%d\n", r->http_major, r->http_minor, r->keep_alive,
               r->upgrade);
    for (size_t i = 0; i < r->num_headers; i++) {
        describe_bytes(out, r->headers[i].name, r->headers[i].name_len);
        buf_puts(out, ": ");
        describe_bytes(out, r->headers[i].value, r->headers[i].value_len);
        buf_puts(out, "\n");
    }
    buf_printf(out, "body(%zu)=", r->body_len);
    describe_bytes(out, r->body, r->body_len);
    buf_append(out, "", 1);
}

/* Parse the first request of data[0..n) fed as pieces of 'step' bytes
 * ('step' 0: whole; otherwise the first piece is 'first' bytes). Returns the
 * result code, with the consumed count relative to 'data'. */
static ssize_t parse_pieces(http_req_parser_t *p, const char *data, size_t n, size_t first,
                            size_t step, const http_request_t **req)
{
    size_t off = 0;
    ssize_t rc = HTTP_PARSE_PARTIAL;
    while (off < n) {
        size_t k = n - off;
        if (step != 0) k = off == 0 ? first : step;
        if (k > n - off) k = n - off;
        rc = feed(p, data + off, k, req);
        if (rc >= 0) return (ssize_t)off + rc;
        if (rc != HTTP_PARSE_PARTIAL) return rc;
        off += k;
    }
    return rc;
}

static const char *parse_desc(const char *data, size_t n, size_t first, size_t step,
                              size_t max_head, size_t max_body, buf_t *out)
{
    http_req_parser_t p;
    http_req_parser_init(&p, max_head, max_body);
    const http_request_t *req = NULL;
    ssize_t rc = parse_pieces(&p, data, n, first, step, &req);
    describe(out, rc, req);
    http_req_parser_deinit(&p);
    return buf_head(out);
}

/* Parse 'data' whole, split in two at every offset and byte by byte; every
 * run must give the same description, which is returned in 'whole'. */
static int parse_all_ways(const char *data, size_t n, size_t max_head, size_t max_body,
                          buf_t *whole)
{
    buf_t other = BUF_INIT;
    int same = 1;
    parse_desc(data, n, 0, 0, max_head, max_body, whole);
    for (size_t k = 1; k < n && same; k++) {
        parse_desc(data, n, k, n, max_head, max_body, &other);
        if (strcmp(buf_head(whole), buf_head(&other)) != 0) {
            printf("# split at %zu:\n# whole: %s\n# split: %s\n", k, buf_head(whole),
                   buf_head(&other));
            same = 0;
        }
    }
    if (same) {
        parse_desc(data, n, 1, 1, max_head, max_body, &other);
        if (strcmp(buf_head(whole), buf_head(&other)) != 0) {
            printf("# byte by byte:\n# whole: %s\n# bytes: %s\n", buf_head(whole),
                   buf_head(&other));
            same = 0;
        }
    }
    buf_deinit(&other);
    return same;
}

#define S(lit) lit, sizeof(lit) - 1

/* ---- requests ----------------------------------------------------------- */

TEST(http_parser_get_query_headers)
{
    static const char req_text[] = "GET /cable/room?token=abc%2Bdef&x=1#frag HTTP/1.1\r\n"
                                   "Host: example.com\r\n"
                                   "X-Custom:  padded value \t\r\n"
                                   "X-Empty:\r\n"
                                   "\r\n";
    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    const http_request_t *r = NULL;
    ssize_t rc = feed(&p, S(req_text), &r);
    ASSERT_EQ(rc, sizeof req_text - 1);
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->method, HTTP_GET);
    ASSERT_STR_EQ(r->method_name, "GET");
    ASSERT_EQ(r->path_len, 11);
    ASSERT_MEM_EQ(r->path, "/cable/room", 11);
    ASSERT_EQ(r->query_len, 19);
    ASSERT_MEM_EQ(r->query, "token=abc%2Bdef&x=1", 19);
    ASSERT_EQ(r->http_major, 1);
    ASSERT_EQ(r->http_minor, 1);
    ASSERT_EQ(r->keep_alive, 1);
    ASSERT_EQ(r->upgrade, 0);
    ASSERT_EQ(r->num_headers, 3);
    ASSERT_EQ(r->body_len, 0);
    ASSERT_STR_EQ(r->body, "");

    const http_header_t *h = http_request_header(r, "HOST");
    ASSERT_NOT_NULL(h);
    ASSERT_STR_EQ(h->name, "Host");
    ASSERT_STR_EQ(h->value, "example.com");
    ASSERT_EQ(h->value_len, 11);
    h = http_request_header(r, "x-custom");
    ASSERT_NOT_NULL(h);
    ASSERT_STR_EQ(h->value, "padded value");
    ASSERT_EQ(h->value_len, 12);
    h = http_request_header(r, "X-EMPTY");
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(h->value_len, 0);
    ASSERT_STR_EQ(h->value, "");
    ASSERT_NULL(http_request_header(r, "Hos"));
    ASSERT_NULL(http_request_header(r, "Hostx"));

    buf_t v = BUF_INIT;
    ASSERT_EQ(http_query_get(r->query, r->query_len, "token", &v), 1);
    ASSERT_STR_EQ(buf_head(&v), "abc+def");
    buf_deinit(&v);
    http_req_parser_deinit(&p);
}

TEST(http_parser_header_count)
{
    static const char req_text[] = "GET /cable HTTP/1.1\r\n"
                                   "Origin: https://a.example\r\n"
                                   "Host: example.com\r\n"
                                   "origin: https://b.example\r\n"
                                   "\r\n";
    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    const http_request_t *r = NULL;
    ASSERT_EQ(feed(&p, S(req_text), &r), sizeof req_text - 1);
    ASSERT_EQ(http_request_header_count(r, "ORIGIN"), 2);
    ASSERT_EQ(http_request_header_count(r, "Host"), 1);
    ASSERT_EQ(http_request_header_count(r, "Authorization"), 0);
    ASSERT_STR_EQ(http_request_header(r, "Origin")->value, "https://a.example");
    http_req_parser_deinit(&p);
}

TEST(http_parser_keep_alive)
{
    static const struct {
        const char *text;
        int keep_alive;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_req_parser_t p;
        http_req_parser_init(&p, 8192, MiB);
        const http_request_t *r = NULL;
        size_t n = strlen(cases[i].text);
        ASSERT_EQ(feed(&p, cases[i].text, n, &r), n);
        ASSERT_EQ(r->keep_alive, cases[i].keep_alive);
        http_req_parser_deinit(&p);
    }
}

TEST(http_parser_split_every_offset)
{
    static const char *samples[] = {
        "GET /cable?token=a%20b HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\n\r\n",
        "POST /api/rooms HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
        "13\r\n\r\n{\"name\":\"ab\"}",
        "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n"
        "6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        "GET /cable HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
        "GET http://example.com:8080?q=1 HTTP/1.1\r\nEmpty:\r\nA:  b  \r\n\r\n",
        "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
        "DELETE /x/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    };
    buf_t whole = BUF_INIT;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        int same = parse_all_ways(samples[i], strlen(samples[i]), 8192, MiB, &whole);
        if (!same) buf_deinit(&whole);
        ASSERT(same);
    }
    /* Spot-check what the whole runs produced. */
    parse_desc(samples[2], strlen(samples[2]), 0, 0, 8192, MiB, &whole);
    ASSERT(strstr(buf_head(&whole), "body(12)=hello  world") != NULL);
    ASSERT(strstr(buf_head(&whole), "X-Trailer") == NULL);
    parse_desc(samples[4], strlen(samples[4]), 0, 0, 8192, MiB, &whole);
    ASSERT(strstr(buf_head(&whole), "path=/ query=q=1 ") != NULL);
    ASSERT(strstr(buf_head(&whole), "A: b\n") != NULL);
    parse_desc(samples[7], strlen(samples[7]), 0, 0, 8192, MiB, &whole);
    ASSERT_STR_EQ(buf_head(&whole), "rc=-1");
    buf_deinit(&whole);
}

TEST(http_parser_pipelined)
{
    static const char two[] = "GET /first?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /second HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    size_t first_len = strlen("GET /first?a=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    const http_request_t *r = NULL;
    ssize_t rc = feed(&p, S(two), &r);
    ASSERT_EQ(rc, first_len);
    ASSERT_MEM_EQ(r->path, "/first", 6);
    ASSERT_EQ(r->path_len, 6);
    ASSERT_EQ(r->body_len, 0);

    http_req_parser_reset(&p);
    r = NULL;
    rc = feed(&p, two + first_len, sizeof two - 1 - first_len, &r);
    ASSERT_EQ(rc, sizeof two - 1 - first_len);
    ASSERT_EQ(r->method, HTTP_POST);
    ASSERT_MEM_EQ(r->path, "/second", 7);
    ASSERT_NULL(r->query);
    ASSERT_EQ(r->body_len, 3);
    ASSERT_STR_EQ(r->body, "abc");
    /* The first request's headers are gone: storage was reused. */
    ASSERT_EQ(r->num_headers, 1);
    http_req_parser_deinit(&p);
}

TEST(http_parser_upgrade_keeps_frames)
{
    static const char head[] = "GET /cable HTTP/1.1\r\n"
                               "Host: localhost\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: keep-alive, Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "\r\n";
    static const char frame[] = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    char all[sizeof head + sizeof frame];
    memcpy(all, head, sizeof head - 1);
    memcpy(all + sizeof head - 1, frame, sizeof frame - 1);
    size_t n = sizeof head - 1 + sizeof frame - 1;

    /* Whole, and with the frame split off at every offset of the head. */
    for (size_t first = 0; first < n; first++) {
        http_req_parser_t p;
        http_req_parser_init(&p, 8192, MiB);
        const http_request_t *r = NULL;
        ssize_t rc = parse_pieces(&p, all, n, first, first ? n : 0, &r);
        ASSERT_EQ(rc, sizeof head - 1);
        ASSERT_EQ(r->upgrade, 1);
        ASSERT_EQ(r->keep_alive, 1);
        const http_header_t *c = http_request_header(r, "connection");
        ASSERT_NOT_NULL(c);
        ASSERT_EQ(http_header_has_token(c->value, c->value_len, "upgrade"), 1);
        http_req_parser_deinit(&p);
    }
}

TEST(http_parser_upgrade_header_alone_is_not_upgrade)
{
    static const char req_text[] = "GET /cable HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    const http_request_t *r = NULL;
    ASSERT_EQ(feed(&p, S(req_text), &r), sizeof req_text - 1);
    ASSERT_EQ(r->upgrade, 0);
    http_req_parser_deinit(&p);
}

TEST(http_parser_post_content_length)
{
    static const char req_text[] = "POST /api/messages HTTP/1.1\r\n"
                                   "Content-Type: application/json\r\n"
                                   "Content-Length: 17\r\n"
                                   "\r\n"
                                   "{\"text\":\"hello\"}\n";
    buf_t d = BUF_INIT;
    ASSERT(parse_all_ways(S(req_text), 8192, MiB, &d));
    buf_deinit(&d);

    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    const http_request_t *r = NULL;
    /* The head alone is not a request yet. */
    ASSERT_EQ(feed(&p, req_text, sizeof req_text - 1 - 17, &r), HTTP_PARSE_PARTIAL);
    ASSERT_NULL(r);
    ASSERT_EQ(feed(&p, req_text + sizeof req_text - 1 - 17, 17, &r), 17);
    ASSERT_EQ(r->body_len, 17);
    ASSERT_STR_EQ(r->body, "{\"text\":\"hello\"}\n");
    http_req_parser_deinit(&p);
}

TEST(http_parser_chunked)
{
    static const char req_text[] = "POST /x HTTP/1.1\r\n"
                                   "Transfer-Encoding: chunked\r\n"
                                   "\r\n"
                                   "4\r\nWiki\r\n"
                                   "5\r\npedia\r\n"
                                   "E\r\n in\r\n\r\nchunks.\r\n"
                                   "0\r\n"
                                   "\r\n";
    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    const http_request_t *r = NULL;
    ASSERT_EQ(feed(&p, S(req_text), &r), sizeof req_text - 1);
    ASSERT_EQ(r->body_len, 23);
    ASSERT_STR_EQ(r->body, "Wikipedia in\r\n\r\nchunks.");
    ASSERT_EQ(r->keep_alive, 1);
    http_req_parser_deinit(&p);
}

TEST(http_parser_body_too_large_content_length)
{
    static const char head[] = "POST /upload HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n";
    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    const http_request_t *r = NULL;
    /* Refused on the head alone, before a single body byte. */
    ASSERT_EQ(feed(&p, S(head), &r), HTTP_PARSE_BODY_TOO_LARGE);
    ASSERT_NULL(r);
    /* The error is sticky. */
    ASSERT_EQ(feed(&p, "x", 1, &r), HTTP_PARSE_BODY_TOO_LARGE);
    http_req_parser_deinit(&p);

    /* Exactly max_body is fine, one more is not. */
    static const char ok[] = "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd";
    static const char over[] = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
    http_req_parser_init(&p, 8192, 4);
    ASSERT_EQ(feed(&p, S(ok), &r), sizeof ok - 1);
    http_req_parser_reset(&p);
    ASSERT_EQ(feed(&p, S(over), &r), HTTP_PARSE_BODY_TOO_LARGE);
    http_req_parser_deinit(&p);

    /* An absurd length is refused, not wrapped around. */
    static const char huge[] = "POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n";
    http_req_parser_init(&p, 8192, MiB);
    ssize_t rc = feed(&p, S(huge), &r);
    ASSERT(rc == HTTP_PARSE_BODY_TOO_LARGE || rc == HTTP_PARSE_INVALID);
    http_req_parser_deinit(&p);
}

TEST(http_parser_body_too_large_chunked)
{
    http_req_parser_t p;
    const http_request_t *r = NULL;
    /* One announced chunk over the limit fails at its size line. */
    static const char big[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n";
    http_req_parser_init(&p, 8192, MiB);
    ASSERT_EQ(feed(&p, S(big), &r), HTTP_PARSE_BODY_TOO_LARGE);
    http_req_parser_deinit(&p);

    /* Small chunks fail as soon as their sum passes the limit. */
    static const char head[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    http_req_parser_init(&p, 8192, 10);
    ASSERT_EQ(feed(&p, S(head), &r), HTTP_PARSE_PARTIAL);
    ASSERT_EQ(feed(&p, S("4\r\naaaa\r\n"), &r), HTTP_PARSE_PARTIAL);
    ASSERT_EQ(feed(&p, S("6\r\nbbbbbb\r\n"), &r), HTTP_PARSE_PARTIAL);
    ASSERT_EQ(feed(&p, S("1\r\n"), &r), HTTP_PARSE_BODY_TOO_LARGE);
    http_req_parser_deinit(&p);

    /* Exactly the limit completes. */
    static const char exact[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "4\r\naaaa\r\n6\r\nbbbbbb\r\n0\r\n\r\n";
    http_req_parser_init(&p, 8192, 10);
    ASSERT_EQ(feed(&p, S(exact), &r), sizeof exact - 1);
    ASSERT_STR_EQ(r->body, "aaaabbbbbb");
    http_req_parser_deinit(&p);
}

/* ---- the head callback -------------------------------------------------- */

struct head_check {
    int calls;
    int refuse;          /* answer nonzero */
    size_t lower_to;     /* lower *max_body to this when nonzero */
    size_t seen_body;    /* body bytes the parser held when called */
    size_t seen_pending; /* bytes the parser held when called */
    char path[32];
};

static http_req_parser_t *checked_parser;

static int check_head(void *data, const http_request_t *head, size_t *max_body)
{
    struct head_check *hc = data;
    hc->calls++;
    hc->seen_body = http_req_parser_body_len(checked_parser);
    hc->seen_pending = http_req_parser_pending(checked_parser);
    snprintf(hc->path, sizeof hc->path, "%.*s", (int)head->path_len, head->path);
    if (hc->lower_to) *max_body = hc->lower_to;
    return hc->refuse;
}

TEST(http_parser_head_callback_before_the_body)
{
    static const char req_text[] = "POST /api/x HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
    const size_t head_len = sizeof req_text - 1 - 10;
    http_req_parser_t p;
    const http_request_t *r = NULL;
    /* Called once, with the head complete and no body byte kept, whatever
     * the packet boundaries; going on parses the request as usual. */
    for (size_t split = 1; split < sizeof req_text - 1; split++) {
        struct head_check hc = {0};
        http_req_parser_init(&p, 8192, MiB);
        checked_parser = &p;
        http_req_parser_on_head(&p, check_head, &hc);
        ssize_t rc = feed(&p, req_text, split, &r);
        if (rc == HTTP_PARSE_PARTIAL)
            rc = feed(&p, req_text + split, sizeof req_text - 1 - split, &r);
        if (rc <= 0) TEST_FAIL_("split %zu: rc %zd", split, rc);
        ASSERT_EQ(hc.calls, 1);
        ASSERT_EQ(hc.seen_body, 0);
        ASSERT_STR_EQ(hc.path, "/api/x");
        ASSERT_EQ(r->body_len, 10);
        http_req_parser_deinit(&p);
    }

    /* Refused: the parser stops before the body, holding only the head. */
    struct head_check hc = {.refuse = 1};
    http_req_parser_init(&p, 8192, MiB);
    checked_parser = &p;
    http_req_parser_on_head(&p, check_head, &hc);
    r = NULL;
    ASSERT_EQ(feed(&p, S(req_text), &r), HTTP_PARSE_REFUSED);
    ASSERT_NULL(r);
    ASSERT_EQ(hc.calls, 1);
    ASSERT(hc.seen_pending > 0 && hc.seen_pending < head_len);
    ASSERT_EQ(http_req_parser_body_len(&p), 0);
    ASSERT_EQ(feed(&p, "x", 1, &r), HTTP_PARSE_REFUSED);
    http_req_parser_deinit(&p);
}

TEST(http_parser_head_callback_lowers_the_limit)
{
    http_req_parser_t p;
    const http_request_t *r = NULL;
    struct head_check hc = {.lower_to = 8};
    /* By Content-Length: refused from the head. */
    http_req_parser_init(&p, 8192, MiB);
    checked_parser = &p;
    http_req_parser_on_head(&p, check_head, &hc);
    ASSERT_EQ(feed(&p, S("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n"), &r),
              HTTP_PARSE_BODY_TOO_LARGE);
    http_req_parser_reset(&p);
    ASSERT_EQ(feed(&p, S("POST / HTTP/1.1\r\nContent-Length: 8\r\n\r\n12345678"), &r), 46);
    /* Chunked: as the chunks pass it. The limit is per request. */
    http_req_parser_reset(&p);
    ASSERT_EQ(
        feed(&p, S("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\naaaaa\r\n"), &r),
        HTTP_PARSE_PARTIAL);
    ASSERT_EQ(feed(&p, S("4\r\n"), &r), HTTP_PARSE_BODY_TOO_LARGE);
    ASSERT_EQ(hc.calls, 3);
    /* A request without a body is not shown to the callback. */
    http_req_parser_reset(&p);
    ASSERT_EQ(feed(&p, S("GET / HTTP/1.1\r\n\r\n"), &r), 18);
    http_req_parser_reset(&p);
    ASSERT_EQ(feed(&p, S("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), &r), 38);
    ASSERT_EQ(hc.calls, 3);
    ASSERT_EQ(http_req_parser_pending(&p) > 0, 1);
    http_req_parser_reset(&p);
    ASSERT_EQ(http_req_parser_pending(&p), 0);
    http_req_parser_deinit(&p);
}

TEST(http_parser_head_too_large)
{
    static const char head[] = "GET /0123456789 HTTP/1.1\r\nHost: x\r\n\r\n"; /* 37 bytes */
    size_t n = sizeof head - 1;
    http_req_parser_t p;
    const http_request_t *r = NULL;
    for (size_t step = 0; step <= 1; step++) {
        /* A head of exactly max_head bytes is accepted... */
        http_req_parser_init(&p, n, MiB);
        ASSERT_EQ(parse_pieces(&p, head, n, 1, step, &r), n);
        http_req_parser_deinit(&p);
        /* ...one byte less of room is refused, however the bytes arrive. */
        http_req_parser_init(&p, n - 1, MiB);
        ASSERT_EQ(parse_pieces(&p, head, n, 1, step, &r), HTTP_PARSE_HEAD_TOO_LARGE);
        http_req_parser_deinit(&p);
    }

    /* Refused as soon as max_head bytes arrived without the end of the head,
     * not only when more come. */
    http_req_parser_init(&p, 16, MiB);
    ASSERT_EQ(feed(&p, head, 16, &r), HTTP_PARSE_HEAD_TOO_LARGE);
    http_req_parser_deinit(&p);

    /* A long header line, well under http-parser's own 80 KiB. */
    buf_t big = BUF_INIT;
    buf_puts(&big, "GET / HTTP/1.1\r\nCookie: ");
    for (int i = 0; i < 9000; i++) buf_puts(&big, "a");
    buf_puts(&big, "\r\n\r\n");
    http_req_parser_init(&p, 8192, MiB);
    ASSERT_EQ(feed(&p, buf_head(&big), big.len, &r), HTTP_PARSE_HEAD_TOO_LARGE);
    http_req_parser_deinit(&p);
    buf_deinit(&big);
}

static void build_headers(buf_t *b, int count)
{
    buf_reset(b);
    buf_puts(b, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < count; i++) buf_printf(b, "X-H%d: %d\r\n", i, i);
    buf_puts(b, "\r\n");
}

TEST(http_parser_too_many_headers)
{
    buf_t b = BUF_INIT;
    http_req_parser_t p;
    const http_request_t *r = NULL;

    build_headers(&b, HTTP_MAX_HEADERS);
    http_req_parser_init(&p, 8192, MiB);
    ASSERT_EQ(feed(&p, buf_head(&b), b.len, &r), b.len);
    ASSERT_EQ(r->num_headers, HTTP_MAX_HEADERS);
    ASSERT_STR_EQ(r->headers[63].name, "X-H63");
    ASSERT_STR_EQ(r->headers[63].value, "63");
    http_req_parser_deinit(&p);

    build_headers(&b, HTTP_MAX_HEADERS + 1);
    http_req_parser_init(&p, 8192, MiB);
    ASSERT_EQ(feed(&p, buf_head(&b), b.len, &r), HTTP_PARSE_HEAD_TOO_LARGE);
    http_req_parser_deinit(&p);
    buf_deinit(&b);
}

TEST(http_parser_invalid)
{
    static const char *bad[] = {
        "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", /* a TLS ClientHello */
        "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nX-A\x01: x\r\n\r\n",
        "GET / HTTP/1.1\r\n: novalue\r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "GET / FTP/1.1\r\n\r\n",
        "get / HTTP/1.1\r\n\r\n",
        "GET /\r\n\r\n", /* HTTP/0.9 */
        "GET / HTTP/2.0\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_req_parser_t p;
        http_req_parser_init(&p, 8192, MiB);
        const http_request_t *r = NULL;
        ssize_t rc = feed(&p, bad[i], strlen(bad[i]), &r);
        if (rc != HTTP_PARSE_INVALID) printf("# sample %zu gave %zd\n", i, rc);
        ASSERT_EQ(rc, HTTP_PARSE_INVALID);
        ASSERT_NULL(r);
        /* Sticky until reset; a reset makes the parser usable again. */
        ASSERT_EQ(feed(&p, S("GET / HTTP/1.1\r\n\r\n"), &r), HTTP_PARSE_INVALID);
        http_req_parser_reset(&p);
        ASSERT_EQ(feed(&p, S("GET / HTTP/1.1\r\n\r\n"), &r), 18);
        http_req_parser_deinit(&p);
    }
}

TEST(http_parser_target_forms)
{
    static const struct {
        const char *line;
        const char *path;
        const char *query; /* NULL: absent */
    } cases[] = {
        {"GET / HTTP/1.1", "/", NULL},
        {"GET /a/b?x=1&y=2 HTTP/1.1", "/a/b", "x=1&y=2"},
        {"GET /a? HTTP/1.1", "/a", ""},
        {"GET /a#frag HTTP/1.1", "/a", NULL},
        {"GET /a?q#frag?x HTTP/1.1", "/a", "q"},
        {"OPTIONS * HTTP/1.1", "*", NULL},
        {"GET http://example.com/p?q=1 HTTP/1.1", "/p", "q=1"},
        {"GET http://example.com HTTP/1.1", "/", NULL},
        {"GET http://user@example.com:80?z HTTP/1.1", "/", "z"},
        {"CONNECT example.com:443 HTTP/1.1", "example.com:443", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t b = BUF_INIT;
        buf_printf(&b, "%s\r\nHost: x\r\n\r\nNEXT", cases[i].line);
        http_req_parser_t p;
        http_req_parser_init(&p, 8192, MiB);
        const http_request_t *r = NULL;
        ssize_t rc = feed(&p, buf_head(&b), b.len, &r);
        ASSERT_EQ(rc, b.len - 4);
        ASSERT_EQ(r->path_len, strlen(cases[i].path));
        ASSERT_MEM_EQ(r->path, cases[i].path, r->path_len);
        if (cases[i].query) {
            ASSERT_NOT_NULL(r->query);
            ASSERT_EQ(r->query_len, strlen(cases[i].query));
            ASSERT_MEM_EQ(r->query, cases[i].query, r->query_len);
        } else {
            ASSERT_NULL(r->query);
            ASSERT_EQ(r->query_len, 0);
        }
        if (r->method == HTTP_CONNECT) {
            ASSERT_EQ(r->keep_alive, 0);
            ASSERT_EQ(r->upgrade, 0);
        }
        http_req_parser_deinit(&p);
        buf_deinit(&b);
    }
}

TEST(http_parser_many_requests_one_parser)
{
    http_req_parser_t p;
    http_req_parser_init(&p, 8192, MiB);
    for (int i = 0; i < 200; i++) {
        buf_t b = BUF_INIT;
        buf_printf(&b, "POST /r/%d?i=%d HTTP/1.1\r\nContent-Length: %d\r\nX-N: %d\r\n\r\n", i, i,
                   i % 10, i);
        for (int k = 0; k < i % 10; k++) buf_puts(&b, "z");
        const http_request_t *r = NULL;
        ASSERT_EQ(feed(&p, buf_head(&b), b.len, &r), b.len);
        buf_t v = BUF_INIT;
        ASSERT_EQ(http_query_get(r->query, r->query_len, "i", &v), 1);
        ASSERT_EQ(atoi(buf_head(&v)), i);
        ASSERT_EQ(atoi(http_request_header(r, "x-n")->value), i);
        ASSERT_EQ(r->body_len, i % 10);
        buf_deinit(&v);
        buf_deinit(&b);
        http_req_parser_reset(&p);
    }
    http_req_parser_deinit(&p);
}

/* ---- helpers on parsed values ------------------------------------------- */

TEST(http_parser_query_get)
{
    static const char q[] =
        "token=abc%2Bdef&x=1&sp=a+b%20c&empty=&flag&bad=%zz&trunc=%4&k%65y=v&x=2";
    buf_t v = BUF_INIT;
    ASSERT_EQ(http_query_get(S(q), "token", &v), 1);
    ASSERT_EQ(v.len, 7);
    ASSERT_STR_EQ(buf_head(&v), "abc+def");

    buf_reset(&v);
    ASSERT_EQ(http_query_get(S(q), "x", &v), 1); /* the first of two */
    ASSERT_STR_EQ(buf_head(&v), "1");

    buf_reset(&v);
    ASSERT_EQ(http_query_get(S(q), "sp", &v), 1);
    ASSERT_STR_EQ(buf_head(&v), "a b c");

    buf_reset(&v);
    ASSERT_EQ(http_query_get(S(q), "empty", &v), 1);
    ASSERT_EQ(v.len, 0);
    ASSERT_EQ(http_query_get(S(q), "flag", &v), 1);
    ASSERT_EQ(v.len, 0);
    ASSERT_EQ(http_query_get(S(q), "key", &v), 1); /* the key is decoded too */
    ASSERT_STR_EQ(buf_head(&v), "v");

    buf_reset(&v);
    ASSERT_EQ(http_query_get(S(q), "missing", &v), 0);
    ASSERT_EQ(http_query_get(S(q), "toke", &v), 0);
    ASSERT_EQ(http_query_get(S(q), "tokenx", &v), 0);
    ASSERT_EQ(http_query_get("", 0, "x", &v), 0);
    ASSERT_EQ(v.len, 0);

    /* A malformed escape leaves 'out' as it was. */
    buf_puts(&v, "keep");
    ASSERT_EQ(http_query_get(S(q), "bad", &v), -1);
    ASSERT_EQ(http_query_get(S(q), "trunc", &v), -1);
    ASSERT_EQ(v.len, 4);
    ASSERT_MEM_EQ(buf_head(&v), "keep", 4);

    /* The query length is respected: "x=1" cut to "x=". */
    buf_reset(&v);
    ASSERT_EQ(http_query_get("x=1", 2, "x", &v), 1);
    ASSERT_EQ(v.len, 0);
    ASSERT_EQ(http_query_get("a=%4", 3, "a", &v), -1);
    buf_deinit(&v);
}

TEST(http_parser_header_has_token)
{
    ASSERT_EQ(http_header_has_token(S("keep-alive, Upgrade"), "upgrade"), 1);
    ASSERT_EQ(http_header_has_token(S("keep-alive, Upgrade"), "keep-alive"), 1);
    ASSERT_EQ(http_header_has_token(S("upgrade"), "Upgrade"), 1);
    ASSERT_EQ(http_header_has_token(S(" \tupgrade\t ,"), "upgrade"), 1);
    ASSERT_EQ(http_header_has_token(S("xupgrade"), "upgrade"), 0);
    ASSERT_EQ(http_header_has_token(S("upgradex, close"), "upgrade"), 0);
    ASSERT_EQ(http_header_has_token(S("up grade"), "upgrade"), 0);
    ASSERT_EQ(http_header_has_token(S(""), "upgrade"), 0);
    ASSERT_EQ(http_header_has_token(S(",,"), "upgrade"), 0);
    /* Only 'len' bytes are looked at. */
    ASSERT_EQ(http_header_has_token("upgrade", 6, "upgrade"), 0);
}
