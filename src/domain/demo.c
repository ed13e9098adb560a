/* domain/demo: the demo room. See demo.h. */
#include "domain/demo.h"

#include "core/err.h"

#include <stdio.h>
#include <string.h>

static int say(const domain_chat_t *d, long long member, const char *uuid, const char *body,
               long long parent, long long *id)
{
    json_t *in =
        parent ? json_pack("{s:s, s:I}", "body", body, "parent_message_id", (json_int_t)parent)
               : json_pack("{s:s}", "body", body);
    json_t *out = NULL;
    const char *why = NULL, *problem = NULL;
    int rc = domain_chat_message_send(d, member, uuid, in, &out, &why, &problem);
    if (rc == 0 && id) *id = json_integer_value(json_object_get(out, "id"));
    json_decref(in);
    json_decref(out);
    return rc;
}

int domain_demo_chat(const domain_chat_t *d, const long long ids[3], char uuid[40],
                     long long *room_id)
{
    domain_page_t first = {1, 1};
    json_t *rooms = NULL;
    int rc = domain_chat_rooms(d, ids[0], first, &rooms);
    if (rc) return rc;
    json_t *room = json_array_get(json_object_get(rooms, "records"), 0);
    if (room) {
        snprintf(uuid, 40, "%s", json_string_value(json_object_get(room, "uuid")));
        *room_id = json_integer_value(json_object_get(room, "id"));
        json_decref(rooms);
        return 0;
    }
    json_decref(rooms);
    json_t *out = NULL;
    int created = 0;
    const char *why = NULL, *problem = NULL;
    rc = domain_chat_room_create(d, ids[0], "group_chat", "Welcome", ids + 1, 2, 0, NULL, &out,
                                 &created, &why, &problem);
    if (rc) return rc;
    snprintf(uuid, 40, "%s", json_string_value(json_object_get(out, "uuid")));
    *room_id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    long long hello = 0;
    if ((rc = say(d, ids[0], uuid,
                  "Welcome to cabled! This room is live: post to it and "
                  "every participant sees it at once.",
                  0, &hello)) != 0 ||
        (rc = say(d, ids[1], uuid, "Hello everyone.", 0, NULL)) != 0 ||
        (rc = say(d, ids[2], uuid, "Replies start a thread, like this one.", hello, NULL)) != 0 ||
        (rc = say(d, ids[1], uuid, "And they reach every participant of the thread.", hello,
                  NULL)) != 0)
        return rc;
    return 0;
}
