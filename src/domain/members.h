/* domain/members: the rules for community members: which fields a member
 * has, what makes them valid, and creating one. Blocking (store I/O). */
#ifndef DOMAIN_MEMBERS_H
#define DOMAIN_MEMBERS_H

#include "domain/sgid.h"
#include "hub/hub.h"
#include "store/store.h"

#include <jansson.h>

/* Validate the fields of a new member from a JSON object (borrowed) and
 * create it in 'community_id'. On success fills *out (clear with
 * store_member_clear) and returns 0. On bad input returns ERR_INVAL with
 * *field naming the field and *problem saying what is wrong ("is required",
 * "is invalid", …); ERR_CONFLICT when the email (*field "email") or the
 * sso_user_id is taken; ERR_STORE. */
int domain_member_create(store_t *s, long long community_id, const json_t *in, store_member_t *out,
                         const char **field, const char **problem);
/* Whether member 'id' of 'community_id' exists and is active: 1 yes, 0 no,
 * or a negative store error. */
int domain_member_active(store_t *s, long long community_id, long long id);
/* Deactivate member 'id' (it stays, but may no longer sign in), or delete
 * it with what is theirs (store.h), then tell every node, which cuts the
 * member's sockets and refuses their tokens. Returns 0, ERR_NOT_FOUND (no
 * such member; for deactivate also: already deactivated) or a store
 * error. */
int domain_member_deactivate(store_t *s, hub_t *hub, long long community_id, long long id,
                             int64_t now_ms);
int domain_member_delete(store_t *s, hub_t *hub, long long community_id, long long id);
/* The member as the admin API shows it (Circle's community_member, with its
 * signed id 'sgid', what a mention names it by). Returns a new reference. */
json_t *domain_member_json(const store_member_t *m, const domain_sgid_key_t *k);
/* The member as the Member API lists and finds it (Circle's
 * basic_community_member and searched_member in one object, with 'sgid').
 * Returns a new reference. */
json_t *domain_member_basic_json(const store_member_t *m, const domain_sgid_key_t *k);
/* An email address as stored: trimmed and lower-cased. Returns owned, or
 * NULL when it is not an address. */
char *domain_email_normalize(const char *s);

#endif
