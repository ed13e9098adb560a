/* domain/chat_text: the text of a message, as Circle's Member API carries it.
 *
 * A client sends `rich_text_body` as Circle's wrapper {"body": <TipTap doc>,
 * "attachments": [...]} (also accepted: the bare document, or either as a
 * JSON string), or a plain `body`. A mention is a `mention` node naming a
 * member by `attrs.sgid` (domain/sgid.h) or, as cabled always took it, by a
 * numeric `attrs.id`; both are kept on the stored node, so either works
 * when it comes back. What is stored is {"body": doc, "attachments": [...]};
 * what is shown is Circle's whole rich_text_body object (chat_text_json).
 *
 * A plain body becomes the smallest document (one paragraph per line); a
 * document becomes the plain body by joining its text, with paragraphs on
 * separate lines and mentions as "@Label" (nothing for a mention without a
 * label, as Circle's fallback text). Pure functions: no I/O. */
#ifndef DOMAIN_CHAT_TEXT_H
#define DOMAIN_CHAT_TEXT_H

#include "domain/sgid.h"

#include <jansson.h>

/* Deepest nesting of arrays and objects in a rich text document, the
 * document object itself counting as one. An editor's document stays far
 * below (a linked word in a bulleted list is 12 levels); a deeper one is
 * refused, so storing, echoing and walking it stays cheap. */
#define CHAT_RICH_TEXT_MAX_DEPTH 64
/* Longest plain body, in bytes; the stored JSON may be four times that. */
#define CHAT_BODY_MAX_LEN 65536

/* A message's text read from a request. Every member is owned. */
typedef struct chat_text {
    char *body;          /* the plain text */
    char *stored;        /* JSON text of {"body": doc, "attachments": [...]} */
    long long *mentions; /* each mentioned member once, in document order */
    size_t mentions_count;
    json_t *attachments; /* the attachments array as sent (sgids), never NULL */
} chat_text_t;

/* Read the text of a message from a request body 'in' (borrowed): its
 * rich_text_body, else its body. Returns 0 and fills *out (release with
 * chat_text_clear), or ERR_INVAL with *why naming the field ("rich_text_body"
 * or "body") and *problem saying what is wrong. A mention whose sgid this
 * key did not sign is invalid. */
int chat_text_read(const json_t *in, const domain_sgid_key_t *k, chat_text_t *out, const char **why,
                   const char **problem);
void chat_text_clear(chat_text_t *t);

/* Circle's rich_text_body object for a stored text ('stored' as stored, also
 * a bare document of older rows; 'body' its plain text; both borrowed):
 * {body, circle_ios_fallback_text, attachments, inline_attachments,
 * sgids_to_object_map, format, community_members, entities, group_mentions,
 * polls}. Every top-level block has a content array and every mention its
 * sgid. 'attachments' (borrowed, may be NULL) replaces the stored sgids with
 * the attachment objects they name. Returns a new reference. */
json_t *chat_text_json(const char *stored, const char *body, const domain_sgid_key_t *k,
                       const json_t *attachments);

/* The stored attachment sgids of a stored text (a new reference to an array,
 * possibly empty). */
json_t *chat_text_attachments(const char *stored);

/* The rich text document for a plain body. Returns a new reference. */
json_t *chat_rich_text_from_body(const char *body);
/* The plain body of a rich text document. Returns owned, or NULL when
 * 'doc' is not a document (an object with "type":"doc" and "content") or
 * nests deeper than CHAT_RICH_TEXT_MAX_DEPTH. */
char *chat_body_from_rich_text(const json_t *doc);

#endif
