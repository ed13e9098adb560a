/* domain/chat_text: message text in and out, mentions and their sgids.
 * See chat_text.h. */
#include "domain/chat_text.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"

#include <stdlib.h>
#include <string.h>

#define MODEL_MEMBER "CommunityMember"

json_t *chat_rich_text_from_body(const char *body)
{
    /* One paragraph per line, as an editor would have made it. */
    json_t *content = json_array();
    const char *p = body;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_t *para = json_pack("{s:s}", "type", "paragraph");
        if (n > 0)
            json_object_set_new(para, "content",
                                json_pack("[{s:s, s:s%}]", "type", "text", "text", p, n));
        else
            json_object_set_new(para, "content", json_array());
        json_array_append_new(content, para);
        if (!nl) break;
        p = nl + 1;
    }
    return json_pack("{s:s, s:o}", "type", "doc", "content", content);
}

static void append_text(buf_t *out, const json_t *node, int *first_block)
{
    const char *type = json_string_value(json_object_get(node, "type"));
    if (!type) return;
    if (strcmp(type, "text") == 0) {
        json_t *t = json_object_get(node, "text");
        if (json_is_string(t)) buf_append(out, json_string_value(t), json_string_length(t));
        return;
    }
    if (strcmp(type, "mention") == 0) {
        const char *label =
            json_string_value(json_object_get(json_object_get(node, "attrs"), "label"));
        if (label) {
            buf_puts(out, "@");
            buf_puts(out, label);
        }
        return;
    }
    if (strcmp(type, "hardBreak") == 0) {
        buf_puts(out, "\n");
        return;
    }
    int block = strcmp(type, "paragraph") == 0 || strcmp(type, "heading") == 0 ||
                strcmp(type, "listItem") == 0 || strcmp(type, "blockquote") == 0 ||
                strcmp(type, "codeBlock") == 0;
    if (block) {
        if (!*first_block) buf_puts(out, "\n");
        *first_block = 0;
    }
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(node, "content"), i, child)
        append_text(out, child, first_block);
}

/* 1 when 'v' nests arrays and objects at most 'left' levels deep. Stops
 * descending past the limit, so the stack stays bounded too. */
static int depth_within(const json_t *v, int left)
{
    if (!json_is_object(v) && !json_is_array(v)) return 1;
    if (left == 0) return 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) if (!depth_within(child, left - 1)) return 0;
        return 1;
    }
    const char *key;
    json_t *child;
    json_object_foreach((json_t *)v, key, child) if (!depth_within(child, left - 1)) return 0;
    return 1;
}

static int is_doc(const json_t *doc)
{
    const char *type = json_string_value(json_object_get(doc, "type"));
    return json_is_object(doc) && type && strcmp(type, "doc") == 0 &&
           json_is_array(json_object_get(doc, "content"));
}

char *chat_body_from_rich_text(const json_t *doc)
{
    if (!is_doc(doc) || !depth_within(doc, CHAT_RICH_TEXT_MAX_DEPTH)) return NULL;
    buf_t b = BUF_INIT;
    int first = 1;
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(doc, "content"), i, child) append_text(&b, child, &first);
    char *out = xstrndup(b.len ? buf_head(&b) : "", b.len);
    buf_deinit(&b);
    return out;
}

/* ---- mentions ------------------------------------------------------------------------------- */

struct mentions {
    const domain_sgid_key_t *k;
    long long *ids;
    size_t n, cap;
    int bad;     /* a mention that names nobody this server signed */
    int collect; /* collect ids (reading a request) */
};

/* A positive member id from attrs.id (a number or a numeric string), 0 when
 * absent, -1 when malformed. */
static long long attr_id(const json_t *v)
{
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) return json_integer_value(v) > 0 ? json_integer_value(v) : -1;
    if (!json_is_string(v)) return -1;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0 || len > 18 || strspn(s, "0123456789") != len) return -1;
    long long id = strtoll(s, NULL, 10);
    return id > 0 ? id : -1;
}

/* Give a mention node its member: attrs.id (integer) and attrs.sgid, from
 * whichever of the two it carries. Older rows have only the id. */
static void mention(struct mentions *ms, json_t *node)
{
    json_t *attrs = json_object_get(node, "attrs");
    if (!json_is_object(attrs)) {
        if (ms->collect) ms->bad = 1;
        return;
    }
    json_t *sgid = json_object_get(attrs, "sgid");
    long long by_id = attr_id(json_object_get(attrs, "id"));
    long long by_sgid = 0;
    if (sgid && !json_is_null(sgid)) {
        by_sgid = json_is_string(sgid)
                      ? domain_sgid_verify(ms->k, MODEL_MEMBER, json_string_value(sgid),
                                           json_string_length(sgid))
                      : 0;
        if (by_sgid == 0) by_sgid = -1;
    }
    long long id = by_sgid ? by_sgid : by_id;
    if (id <= 0 || by_id < 0 || (by_sgid > 0 && by_id > 0 && by_id != by_sgid)) {
        if (ms->collect) ms->bad = 1;
        return;
    }
    char s[DOMAIN_SGID_MAX];
    domain_sgid_make(ms->k, MODEL_MEMBER, id, s);
    json_object_set_new(attrs, "id", json_integer(id));
    json_object_set_new(attrs, "sgid", json_string(s));
    if (!ms->collect) return;
    for (size_t i = 0; i < ms->n; i++)
        if (ms->ids[i] == id) return;
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 8;
        ms->ids = xrealloc(ms->ids, ms->cap * sizeof *ms->ids);
    }
    ms->ids[ms->n++] = id;
}

static void walk(struct mentions *ms, json_t *node)
{
    if (!json_is_object(node)) return;
    const char *type = json_string_value(json_object_get(node, "type"));
    if (type && strcmp(type, "mention") == 0) mention(ms, node);
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(node, "content"), i, child) walk(ms, child);
}

/* ---- reading a request ---------------------------------------------------------------------- */

void chat_text_clear(chat_text_t *t)
{
    free(t->body);
    free(t->stored);
    free(t->mentions);
    json_decref(t->attachments);
    memset(t, 0, sizeof *t);
}

static int fail(chat_text_t *out, json_t *doc, const char *field, const char *problem,
                const char **why, const char **what)
{
    json_decref(doc);
    chat_text_clear(out);
    *why = field;
    *what = problem;
    return ERR_INVAL;
}

int chat_text_read(const json_t *in, const domain_sgid_key_t *k, chat_text_t *out, const char **why,
                   const char **problem)
{
    memset(out, 0, sizeof *out);
    json_t *r = json_object_get(in, "rich_text_body");
    json_t *b = json_object_get(in, "body");
    json_t *doc = NULL, *attachments = NULL;
    const char *field = "rich_text_body";
    if (r && !json_is_null(r)) {
        json_t *v = json_is_string(r) ? json_loads(json_string_value(r), 0, NULL)
                                      : json_incref((json_t *)r);
        if (!json_is_object(v)) {
            json_decref(v);
            return fail(out, NULL, field, "is invalid", why, problem);
        }
        json_t *inner = json_object_get(v, "body");
        if (json_is_object(inner)) {
            /* Circle's wrapper: {"body": doc, "attachments": [...], ...}. */
            doc = json_deep_copy(inner);
            attachments = json_object_get(v, "attachments");
            if (attachments && !json_is_null(attachments) && !json_is_array(attachments)) {
                json_decref(v);
                return fail(out, doc, field, "attachments must be an array", why, problem);
            }
            attachments = json_is_array(attachments) ? json_incref(attachments) : NULL;
        } else {
            doc = json_deep_copy(v);
        }
        json_decref(v);
    } else if (json_is_string(b) && json_string_length(b) > 0) {
        field = "body";
        if (!utf8_valid(json_string_value(b), json_string_length(b)) ||
            json_string_length(b) > CHAT_BODY_MAX_LEN)
            return fail(out, NULL, field, "is invalid", why, problem);
        doc = chat_rich_text_from_body(json_string_value(b));
    } else if (b && !json_is_null(b) && !json_is_string(b)) {
        return fail(out, NULL, "body", "must be a string", why, problem);
    } else if (json_is_string(b)) {
        return fail(out, NULL, "body", "can't be blank", why, problem);
    } else {
        return fail(out, NULL, field, "can't be blank", why, problem);
    }
    out->attachments = attachments ? attachments : json_array();
    if (!is_doc(doc)) return fail(out, doc, field, "is not a rich text document", why, problem);
    if (!depth_within(doc, CHAT_RICH_TEXT_MAX_DEPTH))
        return fail(out, doc, field, "is nested too deeply", why, problem);
    struct mentions ms = {.k = k, .collect = 1};
    walk(&ms, doc);
    out->mentions = ms.ids;
    out->mentions_count = ms.n;
    if (ms.bad) return fail(out, doc, field, "has a mention of an unknown member", why, problem);
    out->body = chat_body_from_rich_text(doc);
    if (!out->body || strlen(out->body) > CHAT_BODY_MAX_LEN ||
        !utf8_valid(out->body, strlen(out->body)))
        return fail(out, doc, field, "is too long or not valid UTF-8", why, problem);
    if (out->body[0] == '\0' && json_array_size(out->attachments) == 0 && out->mentions_count == 0)
        return fail(out, doc, field, "can't be blank", why, problem);
    json_t *stored = json_pack("{s:o, s:O}", "body", doc, "attachments", out->attachments);
    out->stored = json_dumps(stored, JSON_COMPACT);
    json_decref(stored);
    if (!out->stored || strlen(out->stored) > 4 * CHAT_BODY_MAX_LEN) {
        chat_text_clear(out);
        *why = field;
        *problem = "is too long";
        return ERR_INVAL;
    }
    return 0;
}

/* ---- showing a stored text ------------------------------------------------------------------ */

json_t *chat_text_attachments(const char *stored)
{
    json_t *v = stored ? json_loads(stored, 0, NULL) : NULL;
    json_t *a = is_doc(v) ? NULL : json_object_get(v, "attachments");
    json_t *out = json_is_array(a) ? json_incref(a) : json_array();
    json_decref(v);
    return out;
}

json_t *chat_text_json(const char *stored, const char *body, const domain_sgid_key_t *k,
                       const json_t *attachments)
{
    json_t *v = stored ? json_loads(stored, 0, NULL) : NULL;
    json_t *doc;
    if (is_doc(v)) {
        doc = json_incref(v); /* an older row: the bare document */
    } else {
        doc = json_object_get(v, "body");
        doc = is_doc(doc) ? json_incref(doc) : chat_rich_text_from_body(body ? body : "");
    }
    json_t *att = attachments ? json_deep_copy(attachments) : NULL;
    if (!att) {
        json_t *a = is_doc(v) ? NULL : json_object_get(v, "attachments");
        att = json_is_array(a) ? json_incref(a) : json_array();
    }
    json_decref(v);
    /* Circle's schema: every top-level block has its content; every mention its sgid. */
    size_t i;
    json_t *block;
    json_array_foreach(json_object_get(doc, "content"), i, block)
    {
        if (json_is_object(block) && !json_is_array(json_object_get(block, "content")))
            json_object_set_new(block, "content", json_array());
    }
    struct mentions ms = {.k = k};
    walk(&ms, doc);
    return json_pack("{s:o, s:s, s:o, s:[], s:{}, s:s, s:[], s:[], s:[], s:[]}", "body", doc,
                     "circle_ios_fallback_text", body ? body : "", "attachments", att,
                     "inline_attachments", "sgids_to_object_map", "format", "chat",
                     "community_members", "entities", "group_mentions", "polls");
}
