/* fuzz/fuzz_session: cable__session_parse on arbitrary bytes, as a saved
 * session may come back from a Redis other programs can write to.
 *
 * Invariants: a refused session leaves the result zeroed; an accepted one
 * has at most the bound of subscriptions, each identifier non-empty, within
 * the bound and without a NUL, and a record (if any) that is compact JSON;
 * encoding it and parsing the result gives the same session back. */
#include "cable/cable_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

#define MAX_SUBS       8
#define MAX_IDENTIFIER 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cable__session_data_t d;
    int rc = cable__session_parse((const char *)data, size, MAX_SUBS, MAX_IDENTIFIER, &d);
    if (rc != 0) {
        static const cable__session_data_t zero;
        CHECK(rc == ERR_INVAL && memcmp(&d, &zero, sizeof d) == 0);
        return 0;
    }
    CHECK(d.count <= MAX_SUBS);
    for (size_t i = 0; i < d.count; i++) {
        size_t n = strlen(d.subs[i].identifier);
        CHECK(n > 0 && n <= MAX_IDENTIFIER);
        CHECK(d.subs[i].presence == 0 || d.subs[i].presence == 1);
    }
    if (d.record) {
        buf_t again = BUF_INIT;
        CHECK(json_append_compact(&again, d.record, strlen(d.record)) == 0);
        CHECK(again.len == strlen(d.record) && memcmp(buf_head(&again), d.record, again.len) == 0);
        buf_deinit(&again);
    }
    buf_t b = BUF_INIT;
    cable__session_encode(&b, d.record, d.subs, d.count);
    cable__session_data_t e;
    CHECK(cable__session_parse(buf_head(&b), b.len, MAX_SUBS, MAX_IDENTIFIER, &e) == 0);
    CHECK(e.count == d.count && (e.record == NULL) == (d.record == NULL));
    if (d.record) CHECK(strcmp(e.record, d.record) == 0);
    for (size_t i = 0; i < d.count; i++) {
        CHECK(strcmp(e.subs[i].identifier, d.subs[i].identifier) == 0);
        CHECK(e.subs[i].presence == d.subs[i].presence);
    }
    cable__session_data_free(&e);
    cable__session_data_free(&d);
    buf_deinit(&b);
    return 0;
}
