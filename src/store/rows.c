/* store/rows: freeing the owned strings of store rows. See store.h. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

void store_community_clear(store_community_t *c)
{
    free(c->name);
    for (size_t i = 0; i < c->origins_count; i++) free(c->origins[i]);
    memset(c, 0, sizeof *c);
}

void store_member_clear(store_member_t *m)
{
    free(m->email);
    free(m->name);
    free(m->sso_user_id);
    free(m->avatar_url);
    memset(m, 0, sizeof *m);
}

void store_members_free(store_member_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) store_member_clear(&rows[i]);
    free(rows);
}

void store_room_clear(store_room_t *r)
{
    free(r->identifier);
    free(r->name);
    free(r->description);
    memset(r, 0, sizeof *r);
}

void store_rooms_free(store_room_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) store_room_clear(&rows[i]);
    free(rows);
}

void store_message_clear(store_message_t *m)
{
    free(m->body);
    free(m->rich_text_body);
    free(m->creation_uuid);
    memset(m, 0, sizeof *m);
}

void store_messages_free(store_message_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) store_message_clear(&rows[i]);
    free(rows);
}

void store_upload_clear(store_upload_t *u)
{
    free(u->filename);
    free(u->content_type);
    free(u->checksum);
    free(u->metadata);
    memset(u, 0, sizeof *u);
}

void store_uploads_free(store_upload_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) store_upload_clear(&rows[i]);
    free(rows);
}

void store_person_clear(store_person_t *p)
{
    free(p->name);
    free(p->email);
    free(p->avatar_url);
    memset(p, 0, sizeof *p);
}

void store_people_free(store_person_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) store_person_clear(&rows[i]);
    free(rows);
}

void store_notification_clear(store_notification_t *n)
{
    free(n->actor_name);
    free(n->action);
    free(n->display_action);
    free(n->notifiable_type);
    free(n->notifiable_title);
    free(n->action_web_url);
    free(n->extra);
    free(n->kind);
    free(n->parent_type);
    memset(n, 0, sizeof *n);
}

void store_notifications_free(store_notification_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) store_notification_clear(&rows[i]);
    free(rows);
}
