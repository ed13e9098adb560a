/* domain/chat_json: the JSON shapes of chat, as the seed and Circle's
 * Member API show them, and rich text.
 *
 *   JSONMessage         a message, on every message event and in lists
 *   ChatRoom            a room as one participant sees it (chatRoomCreated, GET)
 *   SimplifiedChatRoom  the room attributes (chatRoomUpdated)
 *
 * Rich text is a TipTap document. A plain body becomes the smallest such
 * document (one paragraph of text); a document becomes a plain body by
 * joining its text, with paragraphs on separate lines and mentions as
 * "@Name". Blocking (store I/O) where a shape needs other rows. */
#ifndef DOMAIN_CHAT_JSON_H
#define DOMAIN_CHAT_JSON_H

#include "store/store.h"

#include <jansson.h>

/* Deepest nesting of arrays and objects in a rich text document, the
 * document object itself counting as one. An editor's document stays far
 * below (a linked word in a bulleted list is 12 levels); a deeper one is
 * refused, so storing, echoing and walking it stays cheap. */
#define CHAT_RICH_TEXT_MAX_DEPTH 64

/* The rich text document for a plain body. Returns a new reference. */
json_t *chat_rich_text_from_body(const char *body);
/* The plain body of a rich text document. Returns owned, or NULL when
 * 'doc' is not a document (an object with "type":"doc" and "content") or
 * nests deeper than CHAT_RICH_TEXT_MAX_DEPTH. */
char *chat_body_from_rich_text(const json_t *doc);
/* Call 'cb' for every mentioned member id in 'doc' (mention nodes with a
 * numeric attrs.id). */
void chat_rich_text_mentions(const json_t *doc, void (*cb)(void *ud, long long member_id),
                             void *ud);

/* JSONMessage of 'm' in 'room'. Reads the sender and thread participants. */
json_t *chat_message_json(store_t *s, const store_room_t *room, const store_message_t *m);
/* ChatRoom as 'viewer' (a participant) sees it. */
json_t *chat_room_json(store_t *s, const store_room_t *room, long long viewer);
/* SimplifiedChatRoom. */
json_t *chat_room_simple_json(store_t *s, const store_room_t *room, long long viewer);
/* A participant as the participants list shows it. */
json_t *chat_participant_json(store_t *s, long long community_id, const store_participant_t *p);

#endif
