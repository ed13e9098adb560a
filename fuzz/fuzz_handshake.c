/* fuzz/fuzz_handshake: a request head through everything that judges a
 * head before any body or WebSocket frame is read: the RFC 6455 handshake
 * (ws/handshake), the Origin allow-list and the one-Origin rule (auth/origin,
 * http/parser), the bearer token (auth/token), and the API's credentials
 * check (api/auth, api_check_head).
 *
 * The input is fed to the request parser whole; once the head is complete
 * (with or without its body) it goes through each check. Invariants: the
 * handshake answers 0, 400 or 426, and on 0 its accept key is the one
 * computed from the request's key and its subprotocol one we offer; an
 * allowed Origin is one of the list, byte for byte; the API check answers 0
 * or 401 with a message, and only ever lowers the body limit. */
#include "api/api.h"
#include "auth/community.h"
#include "auth/origin.h"
#include "auth/token.h"
#include "core/buf.h"
#include "http/parser.h"
#include "ws/handshake.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static const char *const subprotocols[] = {"actioncable-v1-json", "actioncable-unsupported", NULL};
static const char *const allowed[] = {"https://a.example", "http://localhost:8080"};
static auth_community_t community;
static api_context_t ctx;

static void setup(void)
{
    if (community.origins) return;
    community.id = 1;
    memcpy(community.secret, "fuzz-token-key", 14);
    community.secret_len = 14;
    auth_sha256("fuzz-app-token", 14, community.app_token_sha256);
    community.has_app_token = 1;
    community.origins = auth_origins_new();
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        auth_origins_add(community.origins, allowed[i]);
    ctx.community = &community;
}

static void check_head(const http_request_t *r)
{
    ws_handshake_t hs;
    int status = ws_handshake_check(r, subprotocols, &hs);
    CHECK(status == 0 || status == 400 || status == 426);
    if (status == 0) {
        const http_header_t *key = http_request_header(r, "Sec-WebSocket-Key");
        CHECK(key != NULL);
        char accept[29];
        ws_handshake_accept_key(key->value, key->value_len, accept);
        CHECK(strlen(hs.accept) == 28 && strcmp(hs.accept, accept) == 0);
        CHECK(hs.protocol == NULL || hs.protocol == subprotocols[0] ||
              hs.protocol == subprotocols[1]);
        buf_t out = BUF_INIT;
        ws_handshake_append_response(&out, &hs);
        CHECK(out.len > 4 && memcmp(buf_head(&out) + out.len - 4, "\r\n\r\n", 4) == 0);
        buf_deinit(&out);
    }

    size_t origins = http_request_header_count(r, "Origin");
    const http_header_t *origin = http_request_header(r, "Origin");
    CHECK((origins == 0) == (origin == NULL));
    if (origin && auth_origins_allowed(community.origins, origin->value, origin->value_len)) {
        int match = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            match |= strlen(allowed[i]) == origin->value_len &&
                     memcmp(allowed[i], origin->value, origin->value_len) == 0;
        CHECK(match);
    }

    const http_header_t *auth = http_request_header(r, "Authorization");
    if (auth) {
        const char *tok;
        size_t len;
        if (auth_bearer_parse(auth->value, auth->value_len, &tok, &len))
            CHECK(tok > auth->value && tok + len == auth->value + auth->value_len && len > 0);
    }

    size_t limit = 4096, before = limit;
    const char *message = NULL;
    int verdict = api_check_head(&ctx, r, &limit, &message);
    CHECK(verdict == 0 || (verdict == 401 && message != NULL && message[0] != '\0'));
    CHECK(limit <= before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    http_req_parser_t p;
    http_req_parser_init(&p, 16384, 65536);
    const http_request_t *req = NULL;
    ssize_t rc = http_req_parser_feed(&p, (const char *)data, size, &req);
    if (rc >= 0)
        check_head(req);
    else if (rc == HTTP_PARSE_PARTIAL && http_req_parser_head(&p))
        check_head(http_req_parser_head(&p));
    http_req_parser_deinit(&p);
    return 0;
}
