/* domain/community: the community this server serves, set up at start.
 *
 * On the first start (an empty database) the community is created from the
 * flags: its name, app token (kept as a SHA-256), Origin whitelist, and an
 * HS256 key for member tokens, generated once and kept so that a restart
 * keeps every issued token valid. On later starts the stored community is
 * loaded, and flags that are given replace what is stored (a new app token
 * or whitelist takes effect with a restart). A --secret flag is used as
 * the key without being stored. Blocking: call before the loops start. */
#ifndef DOMAIN_COMMUNITY_H
#define DOMAIN_COMMUNITY_H

#include "auth/community.h"
#include "store/store.h"

typedef struct domain_community_flags {
    long long id;
    const char *name;          /* NULL: keep / "cabled" */
    const char *app_token;     /* NULL: keep */
    const char *const *origins;/* origins_count == 0: keep */
    size_t origins_count;
    const char *secret;        /* NULL: the stored key */
} domain_community_flags_t;

/* Load or create the community and fill *out. Returns 0, or an error with
 * a message in 'err'. */
int domain_community_setup(store_t *s, const domain_community_flags_t *f, auth_community_t *out,
                           char *err, size_t err_cap);
/* The stored key of community 'id' (for `cabled token`). Returns 0,
 * ERR_NOT_FOUND or ERR_STORE. */
int domain_community_secret(store_t *s, long long id, uint8_t *secret, size_t *len);
/* Load the revoked access tokens that have not expired into the in-memory
 * set (auth/revoked.h). */
int domain_community_load_revoked(store_t *s);

/* The demo: with no members yet, create three; fill 'ids' with the first
 * three members' ids. Returns how many ids were filled (0..3) or an error. */
int domain_demo_members(store_t *s, long long community_id, long long ids[3]);

#endif
