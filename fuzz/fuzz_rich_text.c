/* libFuzzer target: rich text documents from clients (rich_text_body of a
 * chat message). Decodes the input with jansson, turns a document into a
 * plain body and collects its mentions; turns arbitrary text into a
 * document and back, which must give the text again. */
#include "domain/chat_json.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void on_mention(void *ud, long long id)
{
    if (id <= 0) abort();
    (*(int *)ud)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    if (doc) {
        char *body = chat_body_from_rich_text(doc);
        free(body);
        int n = 0;
        chat_rich_text_mentions(doc, on_mention, &n);
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
