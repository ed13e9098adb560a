/* libFuzzer target: rich text documents from clients (rich_text_body of a
 * chat message). Decodes the input with jansson, reads it as a message's
 * text (the document or Circle's wrapper, mentions and their sgids) and
 * shows what is stored again; turns arbitrary text into a document and
 * back, which must give the text again. */
#include "domain/chat_text.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static domain_sgid_key_t key;
    static int keyed;
    if (!keyed) domain_sgid_key_init(&key, (const uint8_t *)"fuzz", 4), keyed = 1;
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    if (doc) {
        char *body = chat_body_from_rich_text(doc);
        free(body);
        json_t *in = json_pack("{s:O}", "rich_text_body", doc);
        chat_text_t t;
        const char *why, *problem;
        if (chat_text_read(in, &key, &t, &why, &problem) == 0) {
            for (size_t i = 0; i < t.mentions_count; i++)
                if (t.mentions[i] <= 0) abort();
            json_t *shown = chat_text_json(t.stored, t.body, &key, NULL);
            if (!shown) abort();
            json_decref(shown);
            chat_text_clear(&t);
        }
        json_decref(in);
        json_decref(doc);
    }
    /* Round trip: plain text (no NUL, valid for jansson) -> document -> text. */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    /* Only text jansson accepts as a string (valid UTF-8) can round trip. */
    json_t *probe = json_string(text);
    json_t *made = probe ? chat_rich_text_from_body(text) : NULL;
    json_decref(probe);
    if (made) {
        char *back = chat_body_from_rich_text(made);
        if (!back || strcmp(back, text) != 0) abort();
        free(back);
        json_decref(made);
    }
    free(text);
    return 0;
}
