/* api/demo: what the demo page needs to sign in, in --demo mode only.
 *
 *   GET  /demo/members  {"members":[{"community_member_id":1,"name":"Ada Lovelace"},…],
 *                        "access_token_ttl":3600}
 *   POST /demo/token    {"community_member_id":1}
 *                       -> {"access_token","access_token_expires_at","community_member_id",
 *                           "community_id"}
 *
 * A browser page cannot hold the app token, and in the demo nobody signs
 * in: these routes hand out access tokens for the demo members (and only
 * them) to whoever asks. They are added to the router by main.c when
 * --demo is on and do not exist otherwise (404). Never run --demo where
 * others can reach the server. Tokens are signed in memory, as
 * `cabled token` signs them: no store access while serving. */
#ifndef API_DEMO_H
#define API_DEMO_H

#include "domain/auth.h"
#include "http/router.h"

#include <stddef.h>

#define API_DEMO_MAX_MEMBERS 8

typedef struct api_demo {
    const domain_auth_t *auth; /* borrowed: the key and the token lifetime */
    size_t count;
    struct {
        long long id;
        char name[128];
    } members[API_DEMO_MAX_MEMBERS];
} api_demo_t;

/* Fill 'd' with members 'ids' and their names, read from the store now
 * (blocking: call at start). Returns 0 or the store's error. */
int api_demo_init(api_demo_t *d, const domain_auth_t *auth, const long long *ids, size_t count);
/* Add the demo routes. 'd' must outlive the router. */
void api_demo_register(http_router_t *r, const api_demo_t *d);

#endif
