/* domain/members: member validation and creation. See members.h. */
#include "domain/members.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/utf8.h"
#include "domain/time.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 255
#define EMAIL_MAX_LEN 254
#define SSO_MAX_LEN 255
#define URL_MAX_LEN 2048

char *domain_email_normalize(const char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    if (n < 3 || n > EMAIL_MAX_LEN) return NULL;
    const char *at = memchr(s, '@', n);
    if (!at || at == s || at == s + n - 1 || memchr(at + 1, '@', (size_t)(s + n - at - 1)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == ',') return NULL;
    }
    /* The domain needs a dot that is not its first or last character. */
    const char *dom = at + 1;
    size_t dlen = (size_t)(s + n - dom);
    const char *dot = memchr(dom, '.', dlen);
    if (!dot || dot == dom || dom[dlen - 1] == '.') return NULL;
    char *out = xstrndup(s, n);
    for (char *p = out; *p; p++) *p = (char)tolower((unsigned char)*p);
    return out;
}

/* A string field: absent/null is fine when optional; otherwise a string of
 * 1..max bytes of valid UTF-8 after trimming. */
static int string_field(const json_t *in, const char *key, int required, size_t max, char **out,
                        const char **problem)
{
    *out = NULL;
    json_t *v = json_object_get(in, key);
    if (!v || json_is_null(v)) {
        if (!required) return 0;
        *problem = "is required";
        return ERR_INVAL;
    }
    if (!json_is_string(v)) {
        *problem = "must be a string";
        return ERR_INVAL;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    while (n > 0 && isspace((unsigned char)*s)) s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0) {
        if (!required) return 0;
        *problem = "can't be blank";
        return ERR_INVAL;
    }
    if (n > max) {
        *problem = "is too long";
        return ERR_INVAL;
    }
    if (memchr(s, 0, n) || !utf8_valid(s, n)) {
        *problem = "is invalid";
        return ERR_INVAL;
    }
    *out = xstrndup(s, n);
    return 0;
}

int domain_member_create(store_t *s, long long community_id, const json_t *in,
                         store_member_t *out, const char **field, const char **problem)
{
    memset(out, 0, sizeof *out);
    out->community_id = community_id;
    char *email = NULL;
    int rc;
    *field = "email";
    if ((rc = string_field(in, "email", 1, EMAIL_MAX_LEN, &email, problem)) != 0) goto bad;
    out->email = domain_email_normalize(email);
    free(email);
    if (!out->email) {
        *problem = "is invalid";
        rc = ERR_INVAL;
        goto bad;
    }
    *field = "name";
    if ((rc = string_field(in, "name", 1, NAME_MAX_LEN, &out->name, problem)) != 0) goto bad;
    *field = "sso_user_id";
    if ((rc = string_field(in, "sso_user_id", 0, SSO_MAX_LEN, &out->sso_user_id, problem)) != 0)
        goto bad;
    *field = "avatar_url";
    if ((rc = string_field(in, "avatar_url", 0, URL_MAX_LEN, &out->avatar_url, problem)) != 0)
        goto bad;
    if (out->avatar_url && strncmp(out->avatar_url, "https://", 8) != 0 &&
        strncmp(out->avatar_url, "http://", 7) != 0) {
        *problem = "must be an http or https URL";
        rc = ERR_INVAL;
        goto bad;
    }
    rc = s->ops->member_create(s, out);
    if (rc == ERR_CONFLICT) {
        /* Which unique field clashed: the email unless it is free. */
        store_member_t other;
        *field = "email";
        if (s->ops->member_find(s, community_id, "email", out->email, &other) == 0)
            store_member_clear(&other);
        else
            *field = "sso_user_id";
        *problem = "has already been taken";
    }
    if (rc) goto bad;
    return 0;
bad:
    store_member_clear(out);
    return rc;
}

json_t *domain_member_json(const store_member_t *m, const domain_sgid_key_t *k)
{
    char created[32], updated[32], uid[9], sgid[DOMAIN_SGID_MAX];
    domain_time_iso(m->created_at, created);
    domain_time_iso(m->updated_at, updated);
    domain_public_uid(m->id, uid);
    domain_sgid_make(k, "CommunityMember", m->id, sgid);
    /* first/last name as Circle derives them: split at the first space. */
    const char *sp = strchr(m->name, ' ');
    json_t *first = sp ? json_stringn(m->name, (size_t)(sp - m->name)) : json_string(m->name);
    json_t *last = sp ? json_string(sp + 1) : json_null();
    json_t *o = json_pack("{s:I, s:s, s:o, s:o, s:s, s:n, s:s?, s:s?, s:s?, s:I, s:s, s:s, s:n, "
                          "s:n, s:s, s:s, s:I, s:n, s:b, s:[], s:[], s:{}, s:i, s:i, s:s}",
                          "id", (json_int_t)m->id,
                          "name", m->name,
                          "first_name", first,
                          "last_name", last,
                          "email", m->email,
                          "headline",
                          "avatar_url", m->avatar_url,
                          "sso_user_id", m->sso_user_id,
                          "sso_provider_user_id", m->sso_user_id,
                          "community_id", (json_int_t)m->community_id,
                          "created_at", created,
                          "updated_at", updated,
                          "last_seen_at",
                          "profile_confirmed_at",
                          "profile_url", "",
                          "public_uid", uid,
                          "user_id", (json_int_t)m->id,
                          "accepted_invitation",
                          "active", m->deactivated_at == 0,
                          "member_tags",
                          "profile_fields",
                          "flattened_profile_fields",
                          "posts_count", 0,
                          "comments_count", 0,
                          "sgid", sgid);
    return o;
}

json_t *domain_member_basic_json(const store_member_t *m, const domain_sgid_key_t *k)
{
    char uid[9], sgid[DOMAIN_SGID_MAX];
    domain_public_uid(m->id, uid);
    domain_sgid_make(k, "CommunityMember", m->id, sgid);
    const char *sp = strchr(m->name, ' ');
    json_t *first = sp ? json_stringn(m->name, (size_t)(sp - m->name)) : json_string(m->name);
    json_t *last = json_string(sp ? sp + 1 : "");
    return json_pack("{s:I, s:I, s:I, s:s, s:o, s:o, s:s, s:s?, s:s, s:[], s:b, s:b, s:s, s:s, "
                     "s:s, s:b, s:b}",
                     "id", (json_int_t)m->id, "community_member_id", (json_int_t)m->id, "user_id",
                     (json_int_t)m->id, "name", m->name, "first_name", first, "last_name", last,
                     "headline", "", "avatar_url", m->avatar_url, "email", m->email,
                     "member_tags", "messaging_enabled", 1,
                     "can_receive_dm_from_current_member", 1, "public_uid", uid,
                     "user_attachable_sgid", sgid, "sgid", sgid, "admin", 0, "is_deleted",
                     m->deactivated_at != 0);
}

int domain_member_active(store_t *s, long long community_id, long long id)
{
    store_member_t m;
    int rc = s->ops->member_get(s, community_id, id, &m);
    if (rc == ERR_NOT_FOUND) return 0;
    if (rc) return rc;
    int active = m.deactivated_at == 0;
    store_member_clear(&m);
    return active;
}

/* Committed: every node cuts the member's sockets and forgets it. */
static void announce(hub_t *hub, long long id, const char *what)
{
    if (hub_disable_member(hub, id) != 0) log_error("members member=%lld %s not announced", id, what);
    log_info("members member=%lld %s", id, what);
}

int domain_member_deactivate(store_t *s, hub_t *hub, long long community_id, long long id,
                             int64_t now_ms)
{
    int rc = s->ops->member_deactivate(s, community_id, id, now_ms);
    if (rc == 0) announce(hub, id, "deactivated");
    return rc;
}

int domain_member_delete(store_t *s, hub_t *hub, long long community_id, long long id)
{
    int rc = s->ops->member_delete(s, community_id, id);
    if (rc == 0) announce(hub, id, "deleted");
    return rc;
}
