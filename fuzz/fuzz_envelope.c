/* fuzz/fuzz_envelope: pubsub_envelope_parse on arbitrary bytes, as they
 * may arrive from Redis on a stream's cabled channel.
 *
 * Invariants: a refused message leaves the struct zeroed; an accepted one
 * has a known kind with its fields in range ('m': a URL-safe epoch and an
 * offset >= 1; 'w': a URL-safe sid), its data is valid JSON lying inside
 * the input, and a whisper or presence envelope built from it parses back
 * to the same data. */
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "pubsub/envelope.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static int urlsafe(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    pubsub_envelope_t e;
    int rc = pubsub_envelope_parse(in, size, &e);
    if (rc != 0) {
        static const pubsub_envelope_t zero;
        CHECK(rc == ERR_INVAL && memcmp(&e, &zero, sizeof e) == 0);
        return 0;
    }
    switch (e.kind) {
    case 'm':
        CHECK(urlsafe(e.epoch) && e.offset >= 1 && e.time >= 0 && e.data == NULL);
        return 0;
    case 'w':
        CHECK(urlsafe(e.exclude));
        break;
    case 'p':
        break;
    default:
        abort();
    }
    CHECK(e.data >= in && e.data + e.data_len <= in + size);
    buf_t compact = BUF_INIT, env = BUF_INIT;
    CHECK(json_append_compact(&compact, e.data, e.data_len) == 0);
    if (e.kind == 'w')
        pubsub_envelope_whisper(&env, e.exclude, buf_head(&compact), compact.len);
    else
        pubsub_envelope_presence(&env, buf_head(&compact), compact.len);
    pubsub_envelope_t again;
    CHECK(pubsub_envelope_parse(buf_head(&env), env.len, &again) == 0);
    CHECK(again.kind == e.kind && strcmp(again.exclude, e.exclude) == 0);
    CHECK(again.data_len == compact.len &&
          memcmp(again.data, buf_head(&compact), compact.len) == 0);
    buf_deinit(&compact);
    buf_deinit(&env);
    return 0;
}
