/* Unit tests for domain/auth: issuing, refreshing and revoking tokens on a
 * real (in-memory) store, with the local pub/sub adapter capturing the
 * revocation announcement. */
#include "test.h"

#include <time.h>

#include "auth/token.h"
#include "core/err.h"
#include "domain/auth.h"
#include "hub/control.h"
#include "recorder.h"
#include "store/sqlite.h"

static char announced[256];

static void capture(const char *stream, size_t len, payload_t *msg)
{
    if (len == strlen(HUB_STREAM_CONTROL) && memcmp(stream, HUB_STREAM_CONTROL, len) == 0)
        snprintf(announced, sizeof announced, "%s", msg->data);
}

struct fixture {
    store_t *store;
    recorder_t rec;
    auth_community_t community;
    domain_auth_t auth;
    long long member;
};

static int setup(struct fixture *f)
{
    char err[128];
    memset(f, 0, sizeof *f);
    f->store = store_sqlite_open(":memory:", err, sizeof err);
    if (!f->store) return -1;
    store_community_t c = {.id = 1, .name = "t", .secret_len = 6};
    memcpy(c.secret, "secret", 6);
    if (f->store->ops->community_put(f->store, &c) != 0) return -1;
    store_member_t m = {.community_id = 1, .email = "m@x.io", .name = "M"};
    if (f->store->ops->member_create(f->store, &m) != 0) return -1;
    f->member = m.id;
    if (recorder_start(&f->rec, capture) != 0) return -1;
    f->community.id = 1;
    memcpy(f->community.secret, "secret", 6);
    f->community.secret_len = 6;
    f->auth = (domain_auth_t){f->store, f->rec.hub, &f->community, 3600};
    announced[0] = '\0';
    return 0;
}

static void teardown(struct fixture *f)
{
    store_destroy(f->store);
    recorder_stop(&f->rec);
}

TEST(domain_auth_issue_refresh_revoke_refresh)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    domain_grant_t g;
    ASSERT_EQ(domain_auth_issue(&f.auth, f.member, 1, 1000, &g), 0);
    ASSERT_EQ(g.access_expires_at, 4600);
    ASSERT_EQ(g.refresh_expires_at, 1000 + DOMAIN_REFRESH_TTL);
    ASSERT_EQ(strlen(g.refresh_token), 43);
    auth_claims_t claims;
    ASSERT_EQ(auth_token_verify(f.community.secret, 6, g.access_token, strlen(g.access_token), 1001,
                                &claims),
              0);
    ASSERT_EQ(claims.community_member_id, f.member);
    char refresh[48];
    strcpy(refresh, g.refresh_token);
    domain_grant_clear(&g);

    ASSERT_EQ(domain_auth_refresh(&f.auth, refresh, 2000, &g), 0);
    ASSERT_EQ(g.access_expires_at, 5600);
    ASSERT_EQ(g.refresh_token[0], '\0');
    domain_grant_clear(&g);
    ASSERT_EQ(domain_auth_refresh(&f.auth, "no-such-token", 2000, &g), ERR_NOT_FOUND);
    ASSERT_EQ(domain_auth_refresh(&f.auth, refresh, 1000 + DOMAIN_REFRESH_TTL, &g), ERR_EXPIRED);

    ASSERT_EQ(domain_auth_revoke_refresh(&f.auth, refresh, 2001), 0);
    ASSERT_EQ(domain_auth_revoke_refresh(&f.auth, refresh, 2002), ERR_NOT_FOUND);
    ASSERT_EQ(domain_auth_refresh(&f.auth, refresh, 2003, &g), ERR_NOT_FOUND);
    teardown(&f);
}

TEST(domain_auth_revoke_access_announces)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    int64_t now = time(NULL);
    domain_grant_t g;
    ASSERT_EQ(domain_auth_issue(&f.auth, f.member, 0, now, &g), 0);
    auth_claims_t claims;
    ASSERT_EQ(auth_token_verify(f.community.secret, 6, g.access_token, strlen(g.access_token), now,
                                &claims),
              0);
    ASSERT_EQ(domain_auth_revoke_access(&f.auth, g.access_token, strlen(g.access_token), now), 0);
    hub_control_t c;
    ASSERT_EQ(hub_control_parse(announced, strlen(announced), &c), 0);
    ASSERT_EQ(c.type, HUB_CONTROL_REVOKE_TOKEN);
    ASSERT_STR_EQ(c.jti, claims.jti);
    ASSERT_EQ(c.exp, claims.exp);
    /* Twice is a conflict (Circle: 422 "not found"); a forged token is not one. */
    ASSERT_EQ(domain_auth_revoke_access(&f.auth, g.access_token, strlen(g.access_token), now),
              ERR_CONFLICT);
    char forged[2048];
    snprintf(forged, sizeof forged, "%s", g.access_token);
    forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'A' ? 'B' : 'A';
    ASSERT_EQ(domain_auth_revoke_access(&f.auth, forged, strlen(forged), now), ERR_AUTH);
    domain_grant_clear(&g);

    /* A token of another community, signed with the same key, is refused. */
    auth_claims_t other = {.community_id = 2, .community_member_id = 1, .exp = now + 60};
    char *tok = auth_token_sign(f.community.secret, 6, &other);
    ASSERT_EQ(domain_auth_revoke_access(&f.auth, tok, strlen(tok), now), ERR_AUTH);
    free(tok);
    teardown(&f);
}
