/* domain/uploads: files members attach to messages, the way Circle's
 * direct uploads (ActiveStorage) work:
 *
 *   POST /direct_uploads {blob: {filename, content_type, byte_size, checksum}}
 *        -> the upload's record, with direct_upload.url and headers
 *   PUT  <direct_upload.url>   the bytes (their size and MD5 must match)
 *   a message's rich_text_body.attachments: [signed_id or attachable_sgid, ...]
 *   GET  <url>                 the bytes, while the URL's signature holds
 *
 * Records are rows of the store; bytes are files under <data dir>/uploads/,
 * named by the upload's random key, written to a temporary name and renamed,
 * so a file is there whole or not at all. URLs carry a token signed with the
 * community's key (domain/sgid.h) that expires: an upload URL after
 * DOMAIN_UPLOAD_PUT_TTL, a file URL after DOMAIN_UPLOAD_GET_TTL. They are
 * paths on this server ("/uploads/..."), so every node answers them when the
 * nodes share the data directory.
 *
 * Blocking (store and file I/O): worker threads only. */
#ifndef DOMAIN_UPLOADS_H
#define DOMAIN_UPLOADS_H

#include "domain/chat.h"
#include "domain/sgid.h"
#include "store/store.h"

#include <jansson.h>

#define DOMAIN_UPLOAD_PUT_TTL (24 * 3600)
#define DOMAIN_UPLOAD_GET_TTL 3600
/* Longest file name kept. */
#define DOMAIN_UPLOAD_NAME_MAX 255

/* Where uploads go and how large they may be. */
typedef struct domain_uploads {
    const char *dir;  /* the data directory; NULL: uploads are off */
    size_t max_bytes; /* the largest file taken */
} domain_uploads_t;

/* Create the record of an upload of 'member' from Circle's 'blob' object
 * (borrowed). *out is Circle's direct_upload_response (owned). Returns 0;
 * ERR_INVAL with *field ("blob", "filename", "content_type", "byte_size",
 * "checksum") and *problem; ERR_FORBIDDEN when uploads are off; or a store
 * error. */
int domain_upload_create(const domain_chat_t *d, const domain_uploads_t *u, long long member,
                         const json_t *blob, json_t **out, const char **field,
                         const char **problem);
/* The upload a PUT token ('token', 'len' bytes) names, when it is one this
 * key signed and it has not expired by 'now_s'; else 0. Pure. */
long long domain_upload_token(const domain_sgid_key_t *k, const char *token, size_t len,
                              int64_t now_s);
/* Keep the bytes of the upload a PUT token ('token', 'len' bytes) names.
 * Returns 0; ERR_NOT_FOUND (no such upload, a bad or expired token);
 * ERR_CONFLICT (its bytes are there already); ERR_INVAL with *problem (the
 * size or the checksum differs); ERR_FORBIDDEN (uploads off); or an error
 * of the store or the file system (ERR_STORE). */
int domain_upload_put(const domain_chat_t *d, const domain_uploads_t *u, const char *token,
                      size_t len, const void *body, size_t body_len, const char **problem);
/* Read the file a GET token names: *bytes (owned, free) of *len bytes and
 * its *content_type (owned). ERR_NOT_FOUND for a bad or expired token or a
 * file that is not there. */
int domain_upload_read(const domain_chat_t *d, const domain_uploads_t *u, const char *token,
                       size_t len, char **bytes, size_t *n, char **content_type, char **filename);

/* The upload ids of a message's attachments ('attachments' borrowed: signed
 * ids or attachable sgids, or objects with either). Every one must be an
 * upload of 'member' whose bytes are there. Returns 0 and *stored (owned,
 * the array to keep: attachable sgids), or ERR_INVAL with *problem. */
int domain_uploads_check(const domain_chat_t *d, long long member, const json_t *attachments,
                         json_t **stored, const char **problem);
/* The attachment objects of messages: *out (owned) is an array with, for
 * each of the 'n' rows, null or the array of its attachments as Circle shows
 * them (signed URLs). Returns 0 or a store error. */
int domain_uploads_of_messages(const domain_chat_t *d, const store_message_t *rows, size_t n,
                               json_t **out);

#endif
