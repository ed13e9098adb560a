/* api/demo: demo members and their access tokens, for the demo page. See
 * demo.h. */
#include "api/demo.h"

#include "core/clock.h"
#include "core/err.h"
#include "domain/time.h"
#include "http/server.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int api_demo_init(api_demo_t *d, const domain_auth_t *auth, const long long *ids, size_t count)
{
    memset(d, 0, sizeof *d);
    d->auth = auth;
    store_t *s = auth->store;
    for (size_t i = 0; i < count && i < API_DEMO_MAX_MEMBERS; i++) {
        store_member_t m;
        int rc = s->ops->member_get(s, auth->community->id, ids[i], &m);
        if (rc) return rc;
        d->members[d->count].id = ids[i];
        snprintf(d->members[d->count].name, sizeof d->members[0].name, "%s", m.name ? m.name : "");
        store_member_clear(&m);
        d->count++;
    }
    return 0;
}

static void respond_json(http_exchange_t *x, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    http_respond_json(x, status, text, strlen(text));
    free(text);
}

static void on_members(http_exchange_t *x, void *data)
{
    const api_demo_t *d = data;
    json_t *list = json_array();
    for (size_t i = 0; i < d->count; i++)
        json_array_append_new(list,
                              json_pack("{s:I, s:s}", "community_member_id",
                                        (json_int_t)d->members[i].id, "name", d->members[i].name));
    respond_json(x, 200,
                 json_pack("{s:o, s:I}", "members", list, "access_token_ttl",
                           (json_int_t)d->auth->access_ttl));
}

static void on_token(http_exchange_t *x, void *data)
{
    const api_demo_t *d = data;
    json_error_t err;
    json_t *in = json_loadb(x->req->body, x->req->body_len, 0, &err);
    json_t *id = in ? json_object_get(in, "community_member_id") : NULL;
    long long member = json_is_integer(id) ? (long long)json_integer_value(id) : 0;
    json_decref(in);
    if (!member) {
        http_respond_error(x, 400, "community_member_id is required");
        return;
    }
    size_t i = 0;
    while (i < d->count && d->members[i].id != member) i++;
    if (i == d->count) {
        /* Only the demo members: this route is no way to act as anyone else. */
        http_respond_error(x, 404, "Not a demo member");
        return;
    }
    domain_grant_t g;
    if (domain_auth_issue(d->auth, member, 0, clock_unix_s(), &g) != 0) {
        http_respond_error(x, 500, "Internal server error");
        return;
    }
    char exp[32];
    domain_time_iso(g.access_expires_at * 1000, exp);
    respond_json(x, 200,
                 json_pack("{s:s, s:s, s:I, s:I}", "access_token", g.access_token,
                           "access_token_expires_at", exp, "community_member_id",
                           (json_int_t)member, "community_id", (json_int_t)g.community_id));
    domain_grant_clear(&g);
}

void api_demo_register(http_router_t *r, const api_demo_t *d)
{
    http_router_add(r, HTTP_GET, "/demo/members", on_members, (void *)d);
    http_router_add(r, HTTP_POST, "/demo/token", on_token, (void *)d);
}
