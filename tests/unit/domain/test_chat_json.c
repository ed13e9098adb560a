/* Unit tests for domain/chat_json: rich text documents. */
#include "test.h"

#include "domain/chat_text.h"

#include <jansson.h>
#include <stdlib.h>

/* A document of exactly 'levels' nested arrays and objects: the doc, its
 * content array, then inline nodes and their content arrays, and a text node
 * at the bottom. 'levels' is at least 3. */
static json_t *nested(int levels)
{
    json_t *node = json_pack("{s:s, s:s}", "type", "text", "text", "deep");
    int left = levels - 3; /* doc, its content array and the text node */
    while (left >= 2) {
        node = json_pack("{s:s, s:[o]}", "type", "span", "content", node);
        left -= 2;
    }
    if (left == 1) json_object_set_new(node, "marks", json_array());
    return json_pack("{s:s, s:[o]}", "type", "doc", "content", node);
}

TEST(chat_rich_text_depth_limit)
{
    for (int levels = 3; levels <= CHAT_RICH_TEXT_MAX_DEPTH; levels++) {
        json_t *doc = nested(levels);
        char *body = chat_body_from_rich_text(doc);
        json_decref(doc);
        if (!body || strcmp(body, "deep") != 0) TEST_FAIL_("%d levels refused", levels);
        free(body);
    }
    for (int levels = CHAT_RICH_TEXT_MAX_DEPTH + 1; levels <= 1400; levels += 97) {
        json_t *doc = nested(levels);
        char *body = chat_body_from_rich_text(doc);
        json_decref(doc);
        if (body) TEST_FAIL_("%d levels accepted", levels);
    }
}
