/* api/chat: the chat routes of the Member API (a member's access token)
 * and the admin route that creates rooms of any kind (app token).
 *
 *   GET/POST          /api/headless/v1/messages
 *   GET/PATCH/DELETE  /api/headless/v1/messages/:uuid
 *   POST              /api/headless/v1/messages/:uuid/mark_all_as_read
 *   POST/DELETE       /api/headless/v1/messages/:uuid/pin
 *   GET               /api/headless/v1/messages/unread_chat_rooms
 *   GET               /api/headless/v1/messages/:uuid/chat_room_participants
 *   PUT               /api/headless/v1/messages/:uuid/chat_room_participants/:id  (participant id)
 *   DELETE            /api/headless/v1/messages/:uuid/chat_room_participants/:id  (member id)
 *   GET/POST          /api/headless/v1/messages/:uuid/chat_room_messages
 *   GET/PUT/DELETE    /api/headless/v1/messages/:uuid/chat_room_messages/:id
 *   GET               /api/headless/v1/chat_threads, /chat_threads/unread_chat_threads,
 *                     /chat_threads/:id
 *   POST              /api/headless/v1/chat_threads/:id/mark_as_read
 *   POST/DELETE       /api/headless/v1/reactions  {chat_room_message, emoji}
 *   POST              /api/admin/v2/chat_rooms
 *   PATCH/PUT         /api/admin/v2/chat_rooms/:uuid
 *
 * Status codes and shapes are those of Circle's Member API document:
 * creating a room answers 200 (201 from the admin route, which Circle does
 * not document), sending 202, deleting a message 200 with no body.
 *
 * Each handler checks the token and reads the request on the loop thread;
 * the rule runs in domain/chat.c on a worker (api/job.h). */
#include "api/job.h"

#include "core/alloc.h"
#include "core/err.h"
#include "domain/chat.h"

#include <stdlib.h>
#include <string.h>

/* What a chat job needs from the request. */
struct chat_req {
    long long actor;
    char uuid[40];
    long long id; /* message or thread id */
    domain_page_t page;
    long long before, after; /* message window */
    int flag;                /* pin (1) / unpin, add (1) / remove a reaction */
};

static domain_chat_t chat_of(const api_context_t *ctx)
{
    return (domain_chat_t){ctx->store, ctx->hub, ctx->community->id, ctx->community};
}

/* Circle's Member API answers a single room as {"chat_room": {...}}. */
static json_t *wrap_room(json_t *room)
{
    return room ? json_pack("{s:o}", "chat_room", room) : NULL;
}

#define ROOM_NOT_FOUND    "Chat room not found"
#define MESSAGE_NOT_FOUND "Chat room message not found"

/* Map a domain error to the response: a missing message is
 * ERR_NO_MESSAGE, another missing record of the room ERR_NO_RECORD
 * ('not_found' names it), anything else not found (the room) 'not_found'.
 * Bad input is 400 naming the field, Circle's (Rails') error shape; a rule
 * that refuses (a sentence in 'why') is 422. */
static void finish_as(api_job_t *job, int rc, json_t *out, int status, const char *why,
                      const char *problem, const char *not_found)
{
    if (rc == 0) {
        api_job_ok(job, status, out);
        return;
    }
    json_decref(out);
    if (rc == ERR_NO_MESSAGE)
        api_job_fail(job, 404, NULL, "%s", MESSAGE_NOT_FOUND);
    else if (rc == ERR_NOT_FOUND || rc == ERR_NO_RECORD)
        api_job_fail(job, 404, NULL, "%s", not_found);
    else if (rc == ERR_FORBIDDEN)
        api_job_fail(job, 403, NULL, "%s", why ? why : "You are not allowed to do this");
    else if (rc == ERR_INVAL && why && strchr(why, ' '))
        api_job_fail(job, 422, NULL, "%s", why);
    else if (rc == ERR_INVAL)
        api_job_fail(job, 400,
                     json_pack("{s:[s]}", why ? why : "body", problem ? problem : "is invalid"),
                     "%s %s", why ? why : "body", problem ? problem : "is invalid");
    else
        api_job_fail_store(job, rc);
}

static void finish(api_job_t *job, int rc, json_t *out, int status, const char *why,
                   const char *not_found)
{
    finish_as(job, rc, out, status, why, NULL, not_found);
}

/* ---- request parsing (loop thread) ----------------------------------------------------------- */

static long long query_int(const http_request_t *req, const char *name, long long dflt,
                           long long max, int *bad)
{
    buf_t v = BUF_INIT;
    long long n = dflt;
    int rc = req->query ? http_query_get(req->query, req->query_len, name, &v) : 0;
    if (rc < 0) {
        *bad = 1;
    } else if (rc == 1) {
        buf_append(&v, "", 1);
        char *end;
        n = strtoll(buf_head(&v), &end, 10);
        if (end == buf_head(&v) || *end || n < 0 || n > max) *bad = 1;
    }
    buf_deinit(&v);
    return n;
}

/* Start a chat request: the member's token, the :uuid and :id route
 * parameters and paging. Returns NULL after answering an error. */
static struct chat_req *begin(http_exchange_t *x, const api_context_t *ctx)
{
    long long actor;
    if (!api__require_member(x, ctx, &actor)) return NULL;
    struct chat_req *r = xcalloc(1, sizeof *r);
    r->actor = actor;
    size_t len;
    const char *v = http_route_param(&x->params, "uuid", &len);
    if (v) {
        if (len >= sizeof r->uuid) {
            free(r);
            http_respond_error(x, 404, ROOM_NOT_FOUND);
            return NULL;
        }
        memcpy(r->uuid, v, len);
    }
    v = http_route_param(&x->params, "id", &len);
    if (v) {
        char tmp[24] = "";
        char *end;
        if (len < sizeof tmp) memcpy(tmp, v, len);
        r->id = strtoll(tmp, &end, 10);
        if (len == 0 || len >= sizeof tmp || *end || r->id <= 0) {
            free(r);
            http_respond_error(x, 404, "Not found");
            return NULL;
        }
    }
    int bad = 0;
    r->page.page = query_int(x->req, "page", 1, 1000000000LL, &bad);
    r->page.per_page = query_int(x->req, "per_page", 20, 100, &bad);
    r->before = query_int(x->req, "previous_per_page", 20, 100, &bad);
    r->after = query_int(x->req, "next_per_page", 20, 100, &bad);
    long long around = query_int(x->req, "id", 0, (long long)1 << 62, &bad);
    if (bad || r->page.page < 1 || r->page.per_page < 1) {
        free(r);
        http_respond_error(x, 400,
                           "page, per_page, id, previous_per_page and next_per_page "
                           "must be non-negative integers (per_page 1 to 100)");
        return NULL;
    }
    if (!r->id) r->id = around;
    return r;
}

/* The request body as an object, unwrapped from {"chat_room": {...}} or
 * {"chat_room_message": {...}} when it comes wrapped. */
static json_t *body_of(http_exchange_t *x, const char *wrapper)
{
    json_t *body = api_body_object(x);
    if (!body) return NULL;
    json_t *inner = json_object_get(body, wrapper);
    if (json_is_object(inner)) {
        json_incref(inner);
        json_decref(body);
        return inner;
    }
    return body;
}

/* ---- rooms --------------------------------------------------------------- */

static void work_rooms(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_rooms(&d, r->actor, r->page, &out);
    finish(job, rc, out, 200, NULL, ROOM_NOT_FOUND);
}

/* Read community_member_ids from a body; returns -1 when malformed. */
static int member_ids(const json_t *body, long long **ids, size_t *n)
{
    json_t *arr = json_object_get(body, "community_member_ids");
    *ids = NULL;
    *n = 0;
    if (!json_is_array(arr)) return -1;
    *ids = xcalloc(json_array_size(arr) + 1, sizeof **ids);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        long long id = json_is_integer(v)  ? json_integer_value(v)
                       : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
                                           : 0;
        if (id <= 0) return -1;
        (*ids)[(*n)++] = id;
    }
    return 0;
}

static void create_room(api_job_t *job, long long actor, int admin)
{
    domain_chat_t d = chat_of(job->ctx);
    json_t *kindv = json_object_get(job->body, "kind");
    const char *kind = json_string_value(kindv);
    json_t *name = json_object_get(job->body, "name");
    long long *ids;
    size_t n;
    if (!kind) {
        api_job_fail(job, 400, json_pack("{s:[s]}", "kind", kindv ? "is invalid" : "is required"),
                     "kind %s", kindv ? "is invalid" : "is required");
        return;
    }
    if (member_ids(job->body, &ids, &n) != 0 ||
        (name && !json_is_string(name) && !json_is_null(name))) {
        free(ids);
        const char *field =
            name && !json_is_string(name) && !json_is_null(name) ? "name" : "community_member_ids";
        api_job_fail(job, 400, json_pack("{s:[s]}", field, "is invalid"), "%s is invalid", field);
        return;
    }
    /* A first message comes in the same object (Circle's chat_room.rich_text_body). */
    json_t *rich = json_object_get(job->body, "rich_text_body");
    json_t *body = json_object_get(job->body, "body");
    int has_first = (rich && !json_is_null(rich)) || (json_is_string(body));
    json_t *out = NULL;
    int created = 0;
    const char *why = NULL, *problem = NULL;
    int rc = domain_chat_room_create(&d, actor, kind, json_string_value(name), ids, n, admin,
                                     has_first ? job->body : NULL, &out, &created, &why, &problem);
    free(ids);
    /* Circle answers 200 whether the room is new or not; the admin route
     * (not Circle's) tells them apart. */
    finish_as(job, rc, wrap_room(out), admin && created ? 201 : 200, why, problem, ROOM_NOT_FOUND);
}

static void work_room_create(api_job_t *job)
{
    create_room(job, ((struct chat_req *)job->data)->actor, 0);
}

static void work_admin_room_create(api_job_t *job)
{
    create_room(job, 0, 1);
}

static void on_admin_room_create(http_exchange_t *x, void *ctx)
{
    if (!api__require_app_token(x, ctx)) return;
    json_t *body = body_of(x, "chat_room");
    if (body) api_job_start(x, ctx, body, work_admin_room_create, NULL, NULL);
}

/* PATCH /api/admin/v2/chat_rooms/:uuid: the host application changes a
 * room's attributes (the rooms it created have no member creator). */
static void work_admin_room_update(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    json_t *out = NULL;
    const char *why = NULL;
    int rc = domain_chat_room_update(&d, 0, job->data, job->body, &out, &why);
    finish(job, rc, wrap_room(out), 200, why, ROOM_NOT_FOUND);
}

static void on_admin_room_update(http_exchange_t *x, void *ctx)
{
    if (!api__require_app_token(x, ctx)) return;
    size_t len;
    const char *v = http_route_param(&x->params, "uuid", &len);
    if (!v || len == 0 || len >= 40) {
        http_respond_error(x, 404, ROOM_NOT_FOUND);
        return;
    }
    json_t *body = body_of(x, "chat_room");
    if (body) api_job_start(x, ctx, body, work_admin_room_update, xstrndup(v, len), free);
}

static void work_room_show(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_room_show(&d, r->actor, r->uuid, &out);
    finish(job, rc, wrap_room(out), 200, NULL, ROOM_NOT_FOUND);
}

static void work_room_update(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    const char *why = NULL;
    int rc = domain_chat_room_update(&d, r->actor, r->uuid, job->body, &out, &why);
    finish(job, rc, wrap_room(out), 200, why, ROOM_NOT_FOUND);
}

static void work_room_delete(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    const char *why = NULL;
    int rc = domain_chat_room_delete(&d, r->actor, r->uuid, &why);
    finish(job, rc, NULL, 204, why, ROOM_NOT_FOUND);
}

static void work_room_read(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    int rc = domain_chat_room_read(&d, r->actor, r->uuid);
    finish(job, rc, rc ? NULL : json_object(), 200, NULL, ROOM_NOT_FOUND);
}

static void work_room_pin(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_room_pin(&d, r->actor, r->uuid, r->flag, &out);
    finish(job, rc, wrap_room(out), 200, NULL, ROOM_NOT_FOUND);
}

static void work_unread_rooms(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_unread_rooms(&d, r->actor, &out);
    finish(job, rc, out, 200, NULL, ROOM_NOT_FOUND);
}

static void work_participants(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_participants(&d, r->actor, r->uuid, r->page, &out);
    finish(job, rc, out, 200, NULL, ROOM_NOT_FOUND);
}

static void work_participant_remove(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    const char *why = NULL;
    int rc = domain_chat_participant_remove(&d, r->actor, r->uuid, r->id, &why);
    finish(job, rc, NULL, 204, why, rc == ERR_NOT_FOUND ? "Chat room participant not found" : NULL);
}

static void work_participant_update(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    const char *why = NULL;
    json_t *out = NULL;
    int rc = domain_chat_participant_update(&d, r->actor, r->uuid, r->id, job->body, &out, &why);
    finish(job, rc, wrap_room(out), 200, why,
           rc == ERR_NO_RECORD ? "Chat room participant not found" : ROOM_NOT_FOUND);
}

/* ---- messages ------------------------------------------------------------ */

static void work_messages(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_messages(&d, r->actor, r->uuid, r->id, r->before, r->after, &out);
    finish(job, rc, out, 200, NULL, ROOM_NOT_FOUND);
}

static void work_message_send(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    const char *why = NULL, *problem = NULL;
    int rc = domain_chat_message_send(&d, r->actor, r->uuid, job->body, &out, &why, &problem);
    finish_as(job, rc, out, 202, why, problem, ROOM_NOT_FOUND);
}

static void work_message_show(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_message_show(&d, r->actor, r->uuid, r->id, &out);
    finish(job, rc, out, 200, NULL, ROOM_NOT_FOUND);
}

static void work_message_edit(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    const char *why = NULL, *problem = NULL;
    int rc =
        domain_chat_message_edit(&d, r->actor, r->uuid, r->id, job->body, &out, &why, &problem);
    finish_as(job, rc, out, 200, rc == ERR_FORBIDDEN ? "Only the sender can edit a message" : why,
              problem, ROOM_NOT_FOUND);
}

static void work_message_delete(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    int rc = domain_chat_message_delete(&d, r->actor, r->uuid, r->id);
    /* Circle answers 200 with no body. */
    finish(job, rc, NULL, 200, "Only the sender can delete a message", ROOM_NOT_FOUND);
}

/* ---- threads ------------------------------------------------------------- */

static void work_threads(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_threads(&d, r->actor, r->page, &out);
    finish(job, rc, out, 200, NULL, "Chat thread not found");
}

static void work_thread_show(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_thread_show(&d, r->actor, r->id, &out);
    finish(job, rc, out, 200, NULL, "Chat thread not found");
}

static void work_unread_threads(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *out = NULL;
    int rc = domain_chat_unread_threads(&d, r->actor, &out);
    finish(job, rc, out, 200, NULL, "Chat thread not found");
}

static void work_thread_read(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    int rc = domain_chat_thread_read(&d, r->actor, r->id);
    finish(job, rc, rc ? NULL : json_object(), 200, NULL, "Chat thread not found");
}

/* ---- reactions ----------------------------------------------------------------------------- */

static void work_reaction(api_job_t *job)
{
    domain_chat_t d = chat_of(job->ctx);
    struct chat_req *r = job->data;
    json_t *msg = json_object_get(job->body, "chat_room_message");
    json_t *emoji = json_object_get(job->body, "emoji");
    long long id = json_is_integer(msg)  ? json_integer_value(msg)
                   : json_is_string(msg) ? strtoll(json_string_value(msg), NULL, 10)
                                         : 0;
    if (!msg || id <= 0) {
        api_job_fail(job, 400,
                     json_pack("{s:[s]}", "chat_room_message", msg ? "is invalid" : "is required"),
                     "chat_room_message %s", msg ? "is invalid" : "is required");
        return;
    }
    if (!json_is_string(emoji)) {
        api_job_fail(job, 400, json_pack("{s:[s]}", "emoji", emoji ? "is invalid" : "is required"),
                     "emoji %s", emoji ? "is invalid" : "is required");
        return;
    }
    json_t *out = NULL;
    const char *why = NULL;
    int rc = domain_chat_reaction(&d, r->actor, id, json_string_value(emoji), r->flag, &out, &why);
    if (rc == ERR_NO_RECORD) {
        /* Circle's answer for a reaction that is not there. */
        api_job_fail(job, 404, json_pack("{s:s}", "message", "Missing record: reaction"),
                     "Oops! Missing record. Please try again later.");
        json_decref(out);
        return;
    }
    if (rc == 0 && !r->flag) {
        json_decref(out);
        out = NULL; /* Circle answers 204 */
    }
    finish(job, rc, out, r->flag ? 200 : 204, why, MESSAGE_NOT_FOUND);
}

/* ---- routes ---------------------------------------------------------------------------------- */

/* One Member API route: the work it runs, and the wrapper its body may come
 * in ("chat_room", "chat_room_message"; NULL: no body). */
struct chat_route {
    int method;
    const char *pattern;
    api_job_work_cb work;
    const char *body;
    int flag; /* for the work: pin or add (1), unpin or remove (0) */
    const api_context_t *ctx;
};

/* Every Member API chat route: the member's token and the route
 * parameters are read here, the body when the route takes one, then the
 * work runs on a worker. */
static void on_chat(http_exchange_t *x, void *data)
{
    const struct chat_route *rt = data;
    struct chat_req *r = begin(x, rt->ctx);
    if (!r) return;
    r->flag = rt->flag;
    json_t *body = NULL;
    if (rt->body && !(body = body_of(x, rt->body))) {
        free(r);
        return;
    }
    api_job_start_as(x, rt->ctx, r->actor, body, rt->work, r, free);
}

#define V1 "/api/headless/v1"
/* Literal paths before the :uuid patterns that would also match them. */
static struct chat_route routes[] = {
    {HTTP_GET, V1 "/messages/unread_chat_rooms", work_unread_rooms, NULL, 0, NULL},
    {HTTP_GET, V1 "/messages", work_rooms, NULL, 0, NULL},
    {HTTP_POST, V1 "/messages", work_room_create, "chat_room", 0, NULL},
    {HTTP_GET, V1 "/messages/:uuid", work_room_show, NULL, 0, NULL},
    {HTTP_PATCH, V1 "/messages/:uuid", work_room_update, "chat_room", 0, NULL},
    {HTTP_PUT, V1 "/messages/:uuid", work_room_update, "chat_room", 0, NULL},
    {HTTP_DELETE, V1 "/messages/:uuid", work_room_delete, NULL, 0, NULL},
    {HTTP_POST, V1 "/messages/:uuid/mark_all_as_read", work_room_read, NULL, 0, NULL},
    {HTTP_POST, V1 "/messages/:uuid/pin", work_room_pin, NULL, 1, NULL},
    {HTTP_DELETE, V1 "/messages/:uuid/pin", work_room_pin, NULL, 0, NULL},
    {HTTP_GET, V1 "/messages/:uuid/chat_room_participants", work_participants, NULL, 0, NULL},
    {HTTP_PUT, V1 "/messages/:uuid/chat_room_participants/:id", work_participant_update,
     "chat_room_participant", 0, NULL},
    {HTTP_PATCH, V1 "/messages/:uuid/chat_room_participants/:id", work_participant_update,
     "chat_room_participant", 0, NULL},
    {HTTP_DELETE, V1 "/messages/:uuid/chat_room_participants/:id", work_participant_remove, NULL, 0,
     NULL},
    {HTTP_GET, V1 "/messages/:uuid/chat_room_messages", work_messages, NULL, 0, NULL},
    {HTTP_POST, V1 "/messages/:uuid/chat_room_messages", work_message_send, "chat_room_message", 0,
     NULL},
    {HTTP_GET, V1 "/messages/:uuid/chat_room_messages/:id", work_message_show, NULL, 0, NULL},
    {HTTP_PUT, V1 "/messages/:uuid/chat_room_messages/:id", work_message_edit, "chat_room_message",
     0, NULL},
    {HTTP_PATCH, V1 "/messages/:uuid/chat_room_messages/:id", work_message_edit,
     "chat_room_message", 0, NULL},
    {HTTP_DELETE, V1 "/messages/:uuid/chat_room_messages/:id", work_message_delete, NULL, 0, NULL},
    {HTTP_GET, V1 "/chat_threads/unread_chat_threads", work_unread_threads, NULL, 0, NULL},
    {HTTP_GET, V1 "/chat_threads", work_threads, NULL, 0, NULL},
    {HTTP_GET, V1 "/chat_threads/:id", work_thread_show, NULL, 0, NULL},
    {HTTP_POST, V1 "/chat_threads/:id/mark_as_read", work_thread_read, NULL, 0, NULL},
    {HTTP_POST, V1 "/reactions", work_reaction, "reaction", 1, NULL},
    {HTTP_DELETE, V1 "/reactions", work_reaction, "reaction", 0, NULL},
};
#undef V1

/* Called once per process: the table keeps the context it is given. */
void api__chat_register(http_router_t *r, const api_context_t *ctx)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        routes[i].ctx = ctx;
        http_router_add(r, routes[i].method, routes[i].pattern, on_chat, &routes[i]);
    }
    http_router_add(r, HTTP_POST, "/api/admin/v2/chat_rooms", on_admin_room_create, (void *)ctx);
    http_router_add(r, HTTP_PATCH, "/api/admin/v2/chat_rooms/:uuid", on_admin_room_update,
                    (void *)ctx);
    http_router_add(r, HTTP_PUT, "/api/admin/v2/chat_rooms/:uuid", on_admin_room_update,
                    (void *)ctx);
}
