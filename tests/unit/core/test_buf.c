/* Unit tests for core/buf and core/payload. */
#include "test.h"

#include "core/buf.h"
#include "core/payload.h"

TEST(buf_append_consume_reclaims)
{
    buf_t b = BUF_INIT;
    for (int i = 0; i < 1000; i++) buf_printf(&b, "%04d", i);
    ASSERT_EQ(b.len, 4000);
    ASSERT_MEM_EQ(buf_head(&b), "00000001", 8);
    buf_consume(&b, 3996);
    ASSERT_EQ(b.len, 4);
    ASSERT_MEM_EQ(buf_head(&b), "0999", 4);
    size_t cap = b.cap;
    /* Reserving what fits after moving the tail down must not grow. */
    buf_reserve(&b, cap - 4);
    ASSERT_EQ(b.cap, cap);
    ASSERT_EQ(b.off, 0);
    ASSERT_MEM_EQ(buf_head(&b), "0999", 4);
    buf_consume(&b, 100);
    ASSERT_EQ(b.len, 0);
    buf_deinit(&b);
    ASSERT_NULL(b.data);
}

TEST(buf_printf_long)
{
    buf_t b = BUF_INIT;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf_printf(&b, "<%s>", big);
    ASSERT_EQ(b.len, 1001);
    ASSERT_EQ(buf_head(&b)[0], '<');
    ASSERT_EQ(buf_head(&b)[1000], '>');
    buf_deinit(&b);
}

TEST(payload_refcount)
{
    payload_t *p = payload_copy("abc", 3);
    ASSERT_EQ(p->len, 3);
    ASSERT_STR_EQ(p->data, "abc");
    ASSERT(payload_ref(p) == p);
    payload_unref(p);
    ASSERT_EQ(atomic_load(&p->refs), 1);
    payload_unref(p);
    payload_unref(NULL);
}
