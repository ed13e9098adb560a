/* tests/unit/pubsub/test_envelope.c: cabled's messages between nodes
 * (pubsub/envelope.h), as the publish script and the adapter write them. */
#include "test.h"

#include "core/buf.h"
#include "core/err.h"
#include "pubsub/envelope.h"

static int parse(const char *s, pubsub_envelope_t *e)
{
    size_t len = strlen(s);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, s, len);
    int rc = pubsub_envelope_parse(copy, len, e);
    /* Point data at the caller's string: the copy goes. */
    if (rc == 0 && e->data) e->data = s + (e->data - copy);
    free(copy);
    return rc;
}

TEST(pubsub_envelope_kinds)
{
    pubsub_envelope_t e;
    ASSERT_EQ(parse("{\"k\":\"m\",\"e\":\"aZ2s-_9\",\"o\":43,\"t\":1796177161}", &e), 0);
    ASSERT_EQ(e.kind, 'm');
    ASSERT_STR_EQ(e.epoch, "aZ2s-_9");
    ASSERT_EQ(e.offset, 43);
    ASSERT_EQ(e.time, 1796177161);
    const char *w = "{\"k\":\"w\",\"x\":\"sid-1\",\"d\":{\"a\":[1,2]}}";
    ASSERT_EQ(parse(w, &e), 0);
    ASSERT_EQ(e.kind, 'w');
    ASSERT_STR_EQ(e.exclude, "sid-1");
    ASSERT_MEM_EQ(e.data, "{\"a\":[1,2]}", e.data_len);
    ASSERT_EQ(parse("{\"k\":\"p\",\"d\":{\"type\":\"leave\",\"id\":\"4\"}}", &e), 0);
    ASSERT_EQ(e.kind, 'p');

    buf_t b = BUF_INIT;
    pubsub_envelope_whisper(&b, "sid-1", "{\"a\":[1,2]}", 11);
    ASSERT_EQ(b.len, strlen(w));
    ASSERT_MEM_EQ(buf_head(&b), w, b.len);
    buf_reset(&b);
    pubsub_envelope_presence(&b, "{}", 2);
    ASSERT_MEM_EQ(buf_head(&b), "{\"k\":\"p\",\"d\":{}}", b.len);
    buf_deinit(&b);
}

TEST(pubsub_envelope_refusals)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "not json",
        "{\"k\":\"z\"}",
        "{\"k\":\"mm\",\"e\":\"e\",\"o\":1,\"t\":1}",
        "{\"k\":\"m\",\"e\":\"e\",\"o\":0,\"t\":1}",
        "{\"k\":\"m\",\"e\":\"e\",\"o\":-1,\"t\":1}",
        "{\"k\":\"m\",\"e\":\"e\",\"o\":1.5,\"t\":1}",
        "{\"k\":\"m\",\"e\":\"e\",\"o\":1}",
        "{\"k\":\"m\",\"e\":\"\",\"o\":1,\"t\":1}",
        "{\"k\":\"m\",\"e\":\"a b\",\"o\":1,\"t\":1}",
        "{\"k\":\"m\",\"e\":\"0123456789abcdef\",\"o\":1,\"t\":1}",
        "{\"k\":\"m\",\"e\":\"e\",\"o\":1234567890123456789,\"t\":1}",
        "{\"k\":\"w\",\"d\":{}}",
        "{\"k\":\"w\",\"x\":\"a\\\"b\",\"d\":{}}",
        "{\"k\":\"w\",\"x\":\"s\"}",
        "{\"k\":\"p\",\"d\":[]}",
        "{\"k\":\"p\",\"d\":{}",
        "{\"k\":\"p\"}",
    };
    static const pubsub_envelope_t zero;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pubsub_envelope_t e;
        if (parse(bad[i], &e) != ERR_INVAL) TEST_FAIL_("accepted %s", bad[i]);
        ASSERT(memcmp(&e, &zero, sizeof e) == 0);
    }
}
