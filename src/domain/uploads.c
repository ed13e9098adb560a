/* domain/uploads: direct uploads, their files and their signed URLs. See
 * uploads.h. */
#include "domain/uploads.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/utf8.h"
#include "domain/chat_read.h"
#include "domain/chat_text.h"
#include "domain/time.h"

#include <openssl/evp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MODEL_UPLOAD "Upload"
#define MODEL_BLOB   "ActiveStorage::Blob"
#define PURPOSE_PUT  "upload"
#define PURPOSE_GET  "file"

/* Types a member may upload. Markup a browser would run (text/html,
 * image/svg+xml) is not among them. */
static int type_allowed(const char *t)
{
    static const char *const prefixes[] = {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "video/",
        "audio/",
        "text/plain",
        "text/csv",
        "application/pdf",
        "application/zip",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.",
        "application/vnd.ms-",
        "application/vnd.oasis.opendocument.",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(t, prefixes[i], n) == 0 &&
            (prefixes[i][n - 1] == '/' || prefixes[i][n - 1] == '.' || t[n] == '\0' || t[n] == ';'))
            return 1;
    }
    return 0;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static void file_path(const domain_uploads_t *u, const char *key, char *out, size_t cap)
{
    snprintf(out, cap, "%s/uploads/%s", u->dir, key);
}

/* Circle's direct_upload_response for 'up'. */
static json_t *upload_json(const domain_sgid_key_t *k, const store_upload_t *up, int with_put)
{
    char created[32], signed_id[DOMAIN_SGID_MAX], sgid[DOMAIN_SGID_MAX], tok[DOMAIN_SGID_MAX];
    domain_time_iso(up->created_at, created);
    domain_sgid_make(k, MODEL_BLOB, up->id, signed_id);
    domain_sgid_make(k, MODEL_UPLOAD, up->id, sgid);
    int64_t now = now_s();
    /* File URLs expire at the end of an hour-long window, so the same file
     * has the same URL within it (caches, and one event for every
     * subscriber). */
    int64_t exp = (now / DOMAIN_UPLOAD_GET_TTL + 2) * DOMAIN_UPLOAD_GET_TTL;
    domain_signed_token(k, PURPOSE_GET, up->id, exp, tok);
    /* The file name, percent-encoded but for what needs no escape in a path. */
    char url[DOMAIN_SGID_MAX + 3 * DOMAIN_UPLOAD_NAME_MAX + 16];
    size_t at = (size_t)snprintf(url, sizeof url, "/uploads/%s/", tok);
    for (const unsigned char *p = (const unsigned char *)up->filename; *p && at + 4 < sizeof url;
         p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            url[at++] = (char)*p;
        else
            at += (size_t)snprintf(url + at, sizeof url - at, "%%%02X", *p);
    }
    url[at] = '\0';
    json_t *meta = up->metadata ? json_loads(up->metadata, 0, NULL) : NULL;
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:o, s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "id",
        (json_int_t)up->id, "key", up->key, "filename", up->filename, "content_type",
        up->content_type, "metadata", json_is_object(meta) ? meta : json_object(), "byte_size",
        (json_int_t)up->byte_size, "checksum", up->checksum, "created_at", created, "community_id",
        (json_int_t)up->community_id, "community_member_id", (json_int_t)up->member_id,
        "service_name", "local", "signed_id", signed_id, "attachable_sgid", sgid);
    if (!json_is_object(meta)) json_decref(meta);
    if (with_put) {
        char put[DOMAIN_SGID_MAX], put_url[DOMAIN_SGID_MAX + 16];
        domain_signed_token(k, PURPOSE_PUT, up->id, now + DOMAIN_UPLOAD_PUT_TTL, put);
        snprintf(put_url, sizeof put_url, "/uploads/%s", put);
        json_object_set_new(o, "direct_upload",
                            json_pack("{s:s, s:{s:s, s:s}}", "url", put_url, "headers",
                                      "Content-Type", up->content_type, "Content-MD5",
                                      up->checksum));
    }
    json_object_set_new(o, "url", json_string(url));
    return o;
}

/* ---- create ------------------------------------------------------------------------------- */

int domain_upload_create(const domain_chat_t *d, const domain_uploads_t *u, long long member,
                         const json_t *blob, json_t **out, const char **field, const char **problem)
{
    *problem = "is invalid";
    if (!u->dir) {
        *problem = "Uploads are not enabled on this server";
        return ERR_FORBIDDEN;
    }
    if (!json_is_object(blob)) {
        *field = "blob";
        *problem = blob ? "is invalid" : "is required";
        return ERR_INVAL;
    }
    json_t *fn = json_object_get(blob, "filename"), *ct = json_object_get(blob, "content_type");
    json_t *size = json_object_get(blob, "byte_size"), *sum = json_object_get(blob, "checksum");
    json_t *meta = json_object_get(blob, "metadata");
    const char *name = json_string_value(fn), *type = json_string_value(ct);
    if (!name || !name[0] || json_string_length(fn) > DOMAIN_UPLOAD_NAME_MAX || strchr(name, '/') ||
        strchr(name, '\\') || !utf8_valid(name, json_string_length(fn)) || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0) {
        *field = "filename";
        if (!fn) *problem = "is required";
        return ERR_INVAL;
    }
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"') {
            *field = "filename";
            return ERR_INVAL;
        }
    if (!type || !type_allowed(type) || json_string_length(ct) > 127) {
        *field = "content_type";
        *problem = !ct ? "is required" : "is not a type that may be uploaded";
        return ERR_INVAL;
    }
    if (!json_is_integer(size) || json_integer_value(size) <= 0 ||
        (unsigned long long)json_integer_value(size) > u->max_bytes) {
        *field = "byte_size";
        *problem = !size                                                   ? "is required"
                   : json_is_integer(size) && json_integer_value(size) > 0 ? "is too large"
                                                                           : "is invalid";
        return ERR_INVAL;
    }
    /* ActiveStorage's checksum: the base64 of the file's MD5. */
    unsigned char md5[32];
    if (!json_is_string(sum) || json_string_length(sum) != 24 ||
        EVP_DecodeBlock(md5, (const unsigned char *)json_string_value(sum), 24) != 18) {
        *field = "checksum";
        *problem = !sum ? "is required" : "is not the base64 of an MD5 digest";
        return ERR_INVAL;
    }
    if (meta && !json_is_null(meta) && !json_is_object(meta)) {
        *field = "metadata";
        return ERR_INVAL;
    }
    uint8_t raw[28];
    rand_bytes(raw, sizeof raw);
    store_upload_t up = {.community_id = d->community_id,
                         .member_id = member,
                         .filename = (char *)name,
                         .content_type = (char *)type,
                         .checksum = (char *)json_string_value(sum),
                         .byte_size = json_integer_value(size)};
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < sizeof raw; i++) up.key[i] = alphabet[raw[i] % 36];
    up.key[sizeof raw] = '\0';
    char *metadata = json_is_object(meta) ? json_dumps(meta, JSON_COMPACT) : NULL;
    up.metadata = metadata;
    int rc = d->store->ops->upload_create(d->store, &up);
    if (rc == 0) {
        domain_sgid_key_t k;
        chat_key(d, &k);
        *out = upload_json(&k, &up, 1);
    }
    free(metadata);
    return rc;
}

/* ---- bytes -------------------------------------------------------------------------------- */

static int write_file(const char *path, const void *body, size_t len)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return -errno;
    const char *p = body;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return -e;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    return 0;
}

long long domain_upload_token(const domain_sgid_key_t *k, const char *token, size_t len,
                              int64_t now)
{
    return domain_signed_token_verify(k, PURPOSE_PUT, token, len, now);
}

int domain_upload_put(const domain_chat_t *d, const domain_uploads_t *u, const char *token,
                      size_t len, const void *body, size_t body_len, const char **problem)
{
    if (!u->dir) return ERR_FORBIDDEN;
    domain_sgid_key_t k;
    chat_key(d, &k);
    long long id = domain_signed_token_verify(&k, PURPOSE_PUT, token, len, now_s());
    if (id <= 0) return ERR_NOT_FOUND;
    store_upload_t up;
    int rc = d->store->ops->upload_get(d->store, d->community_id, id, &up);
    if (rc) return rc;
    if (up.uploaded_at) {
        store_upload_clear(&up);
        return ERR_CONFLICT;
    }
    unsigned char md5[16], b64[32];
    unsigned int n = sizeof md5;
    EVP_Digest(body, body_len, md5, &n, EVP_md5(), NULL);
    EVP_EncodeBlock(b64, md5, 16);
    if ((long long)body_len != up.byte_size) {
        *problem = "The file's size is not the byte_size of its upload";
        rc = ERR_INVAL;
    } else if (strcmp((const char *)b64, up.checksum) != 0) {
        *problem = "The file's MD5 is not the checksum of its upload";
        rc = ERR_INVAL;
    } else {
        char dir[4200], path[4200];
        snprintf(dir, sizeof dir, "%s/uploads", u->dir);
        mkdir(u->dir, 0750);
        mkdir(dir, 0750);
        file_path(u, up.key, path, sizeof path);
        int w = write_file(path, body, body_len);
        if (w != 0) {
            log_error("uploads write failed upload=%lld err=%s", id, strerror(-w));
            rc = ERR_STORE;
        } else {
            rc = d->store->ops->upload_done(d->store, id, domain_now_ms());
            if (rc == ERR_NOT_FOUND) rc = ERR_CONFLICT; /* a concurrent PUT won */
        }
    }
    store_upload_clear(&up);
    return rc;
}

int domain_upload_read(const domain_chat_t *d, const domain_uploads_t *u, const char *token,
                       size_t len, char **bytes, size_t *n, char **content_type, char **filename)
{
    if (!u->dir) return ERR_NOT_FOUND;
    domain_sgid_key_t k;
    chat_key(d, &k);
    long long id = domain_signed_token_verify(&k, PURPOSE_GET, token, len, now_s());
    if (id <= 0) return ERR_NOT_FOUND;
    store_upload_t up;
    int rc = d->store->ops->upload_get(d->store, d->community_id, id, &up);
    if (rc) return rc;
    if (!up.uploaded_at) {
        store_upload_clear(&up);
        return ERR_NOT_FOUND;
    }
    char path[4200];
    file_path(u, up.key, path, sizeof path);
    FILE *f = fopen(path, "rb");
    rc = ERR_NOT_FOUND;
    if (f) {
        *bytes = xmalloc((size_t)up.byte_size + 1);
        *n = fread(*bytes, 1, (size_t)up.byte_size, f);
        fclose(f);
        if ((long long)*n == up.byte_size) {
            *content_type = xstrdup(up.content_type);
            *filename = xstrdup(up.filename);
            rc = 0;
        } else {
            free(*bytes);
            *bytes = NULL;
        }
    }
    store_upload_clear(&up);
    return rc;
}

/* ---- attachments of messages ---------------------------------------------------------------- */

/* The upload an attachment names (a signed id or an attachable sgid, or an
 * object with one), 0 when none. */
static long long attachment_id(const domain_sgid_key_t *k, const json_t *a)
{
    if (json_is_object(a)) {
        json_t *v = json_object_get(a, "attachable_sgid");
        if (!json_is_string(v)) v = json_object_get(a, "signed_id");
        if (!json_is_string(v)) v = json_object_get(a, "sgid");
        a = v;
    }
    if (!json_is_string(a)) return 0;
    long long id = domain_sgid_verify(k, MODEL_UPLOAD, json_string_value(a), json_string_length(a));
    if (!id) id = domain_sgid_verify(k, MODEL_BLOB, json_string_value(a), json_string_length(a));
    return id;
}

int domain_uploads_check(const domain_chat_t *d, long long member, const json_t *attachments,
                         json_t **stored, const char **problem)
{
    domain_sgid_key_t k;
    chat_key(d, &k);
    *stored = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(attachments, i, a)
    {
        long long id = attachment_id(&k, a);
        store_upload_t up;
        int rc =
            id > 0 ? d->store->ops->upload_get(d->store, d->community_id, id, &up) : ERR_NOT_FOUND;
        if (rc && rc != ERR_NOT_FOUND) {
            json_decref(*stored);
            *stored = NULL;
            return rc;
        }
        int ok = rc == 0 && up.uploaded_at && up.member_id == member;
        if (rc == 0) store_upload_clear(&up);
        if (!ok) {
            *problem = "has an attachment that is not an upload of the sender";
            json_decref(*stored);
            *stored = NULL;
            return ERR_INVAL;
        }
        char sgid[DOMAIN_SGID_MAX];
        domain_sgid_make(&k, MODEL_UPLOAD, id, sgid);
        json_array_append_new(*stored, json_string(sgid));
    }
    return 0;
}

int domain_uploads_of_messages(const domain_chat_t *d, const store_message_t *rows, size_t n,
                               json_t **out)
{
    *out = NULL;
    domain_sgid_key_t k;
    chat_key(d, &k);
    /* Every message's attachments, then their uploads in one read. */
    json_t *per = json_array();
    long long *ids = NULL;
    size_t nids = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *list = chat_text_attachments(rows[i].rich_text_body);
        json_t *found = json_array();
        size_t j;
        json_t *a;
        json_array_foreach(list, j, a)
        {
            long long id = attachment_id(&k, a);
            if (id <= 0) continue;
            json_array_append_new(found, json_integer(id));
            if (nids == cap) {
                cap = cap ? 2 * cap : 8;
                ids = xrealloc(ids, cap * sizeof *ids);
            }
            ids[nids++] = id;
        }
        json_decref(list);
        json_array_append_new(per, found);
    }
    if (nids == 0) {
        json_decref(per);
        free(ids);
        return 0;
    }
    store_upload_t *ups;
    size_t nups;
    int rc = d->store->ops->uploads_of(d->store, d->community_id, ids, nids, &ups, &nups);
    free(ids);
    if (rc) {
        json_decref(per);
        return rc;
    }
    *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *found = json_array_get(per, i);
        if (json_array_size(found) == 0) {
            json_array_append_new(*out, json_null());
            continue;
        }
        json_t *objs = json_array();
        size_t j;
        json_t *v;
        json_array_foreach(found, j, v)
        {
            for (size_t x = 0; x < nups; x++)
                if (ups[x].id == json_integer_value(v)) {
                    json_array_append_new(objs, upload_json(&k, &ups[x], 0));
                    break;
                }
        }
        json_array_append_new(*out, objs);
    }
    store_uploads_free(ups, nups);
    json_decref(per);
    return 0;
}
