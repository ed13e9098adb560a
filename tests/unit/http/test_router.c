/* Unit tests for http/router: literal and captured segments, 404 vs 405. */
#include "test.h"

#include "http/router.h"

#include <http_parser.h>

static void h_a(http_exchange_t *x, void *d) { (void)x, (void)d; }
static void h_b(http_exchange_t *x, void *d) { (void)x, (void)d; }

#define PATH(s) s, sizeof(s) - 1

TEST(http_router_match_literal_and_params)
{
    http_router_t *r = http_router_new();
    int tag_a = 1, tag_b = 2;
    http_router_add(r, HTTP_GET, "/health", h_a, &tag_a);
    http_router_add(r, HTTP_POST, "/messages/:uuid/pin", h_b, &tag_b);
    http_router_add(r, HTTP_DELETE, "/messages/:uuid/pin", h_a, &tag_a);
    http_handler_cb cb;
    void *data;
    http_route_params_t ps;

    ASSERT_EQ(http_router_match(r, HTTP_GET, PATH("/health"), &cb, &data, &ps), 200);
    ASSERT(cb == h_a && data == &tag_a);
    ASSERT_EQ(ps.count, 0);

    ASSERT_EQ(http_router_match(r, HTTP_POST, PATH("/messages/abc-1/pin"), &cb, &data, &ps), 200);
    ASSERT(cb == h_b && data == &tag_b);
    size_t len = 0;
    const char *v = http_route_param(&ps, "uuid", &len);
    ASSERT_NOT_NULL(v);
    ASSERT_EQ(len, 5);
    ASSERT_MEM_EQ(v, "abc-1", 5);
    ASSERT_NULL(http_route_param(&ps, "id", &len));

    ASSERT_EQ(http_router_match(r, HTTP_DELETE, PATH("/messages/x/pin"), &cb, &data, &ps), 200);
    ASSERT(cb == h_a);
    http_router_free(r);
}

TEST(http_router_404_and_405)
{
    http_router_t *r = http_router_new();
    http_router_add(r, HTTP_GET, "/health", h_a, NULL);
    http_router_add(r, HTTP_POST, "/messages/:uuid/pin", h_b, NULL);
    http_handler_cb cb;
    void *data;
    http_route_params_t ps;
    ASSERT_EQ(http_router_match(r, HTTP_POST, PATH("/health"), &cb, &data, &ps), 405);
    ASSERT_EQ(http_router_match(r, HTTP_GET, PATH("/messages/x/pin"), &cb, &data, &ps), 405);
    ASSERT_EQ(http_router_match(r, HTTP_GET, PATH("/healthz"), &cb, &data, &ps), 404);
    ASSERT_EQ(http_router_match(r, HTTP_GET, PATH("/health/"), &cb, &data, &ps), 404);
    ASSERT_EQ(http_router_match(r, HTTP_GET, PATH("/"), &cb, &data, &ps), 404);
    ASSERT_EQ(http_router_match(r, HTTP_GET, PATH(""), &cb, &data, &ps), 404);
    /* An empty capture does not match. */
    ASSERT_EQ(http_router_match(r, HTTP_POST, PATH("/messages//pin"), &cb, &data, &ps), 404);
    ASSERT_EQ(http_router_match(r, HTTP_POST, PATH("/messages/x/pin/more"), &cb, &data, &ps), 404);
    http_router_free(r);
}
