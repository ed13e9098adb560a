/* tests/unit/auth/test_origin: the exact-match Origin allow-list. */
#include "test.h"

#include "auth/origin.h"
#include "core/err.h"

#define ALLOWED(o, s) auth_origins_allowed((o), (s), strlen(s))

TEST(auth_origins_exact_match)
{
    auth_origins_t *o = auth_origins_new();
    ASSERT_EQ(auth_origins_count(o), 0);
    ASSERT_EQ(auth_origins_add(o, "https://app.example.com"), 0);
    ASSERT_EQ(auth_origins_add(o, "http://localhost:3000"), 0);
    ASSERT_EQ(auth_origins_count(o), 2);
    ASSERT_STR_EQ(auth_origins_get(o, 0), "https://app.example.com");
    ASSERT_STR_EQ(auth_origins_get(o, 1), "http://localhost:3000");
    ASSERT_NULL(auth_origins_get(o, 2));

    int r1 = ALLOWED(o, "https://app.example.com");
    int r2 = ALLOWED(o, "http://localhost:3000");
    /* Not NUL-terminated: only 'len' bytes count. */
    int r3 = auth_origins_allowed(o, "https://app.example.comXYZ", 23);
    auth_origins_free(o);
    ASSERT_EQ(r1, 1);
    ASSERT_EQ(r2, 1);
    ASSERT_EQ(r3, 1);
}

TEST(auth_origins_refuses_near_misses)
{
    auth_origins_t *o = auth_origins_new();
    ASSERT_EQ(auth_origins_add(o, "https://app.example.com"), 0);
    static const char *const refused[] = {
        "https://App.example.com",   /* case differs */
        "HTTPS://app.example.com",   /* scheme case differs */
        "https://app.example.com/",  /* trailing slash */
        "http://app.example.com",    /* other scheme */
        "https://app.example.com:443", /* default port spelled out */
        "https://app.example.co",    /* prefix */
        "https://app.example.com.evil.net",
        "https://evil.example.com",  /* not added */
        "null",
        " https://app.example.com",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (ALLOWED(o, refused[i])) {
            auth_origins_free(o);
            TEST_FAIL_("allowed %s", refused[i]);
        }
    }
    int empty = auth_origins_allowed(o, "", 0);
    int null = auth_origins_allowed(o, NULL, 0);
    int null_len = auth_origins_allowed(o, NULL, 5);
    auth_origins_free(o);
    ASSERT_EQ(empty, 0);
    ASSERT_EQ(null, 0);
    ASSERT_EQ(null_len, 0);
}

TEST(auth_origins_empty_list)
{
    auth_origins_t *o = auth_origins_new();
    int r = ALLOWED(o, "https://app.example.com");
    auth_origins_free(o);
    ASSERT_EQ(r, 0);
    auth_origins_free(NULL);
}

TEST(auth_origins_add_invalid)
{
    auth_origins_t *o = auth_origins_new();
    static const char *const bad[] = {
        "",
        "app.example.com",
        "https://",
        "https:/app.example.com",
        "https://app.example.com/",
        "https://app.example.com/path",
        "https://app.example.com?q=1",
        "https://app.example.com#frag",
        "https://user@app.example.com",
        "https://app.example.com:",
        "https://app.example.com:abc",
        "https://app.example.com:65536",
        "https://app.example.com:123456",
        "https://app .example.com",
        "https://app.example.com ",
        "1http://app.example.com",
        "://app.example.com",
        "https://[::1",
        "https://[]",
        "https://[::1]x",
        "null",
        "*",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = auth_origins_add(o, bad[i]);
        if (rc != ERR_INVAL) {
            auth_origins_free(o);
            TEST_FAIL_("add(\"%s\") returned %d", bad[i], rc);
        }
    }
    int rc_null = auth_origins_add(o, NULL);
    size_t n = auth_origins_count(o);
    auth_origins_free(o);
    ASSERT_EQ(rc_null, ERR_INVAL);
    ASSERT_EQ(n, 0);
}

TEST(auth_origins_add_valid_forms)
{
    auth_origins_t *o = auth_origins_new();
    static const char *const good[] = {
        "http://localhost",
        "http://127.0.0.1:8080",
        "https://[::1]:8443",
        "http://[2001:db8::1]",
        "https://chat.example-app.io:65535",
        "chrome-extension://abcdefghijklmnop",
        "app+custom.v2://host",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = auth_origins_add(o, good[i]);
        if (rc != 0 || !ALLOWED(o, good[i])) {
            auth_origins_free(o);
            TEST_FAIL_("add(\"%s\") returned %d", good[i], rc);
        }
    }
    /* A duplicate is not stored twice. */
    ASSERT_EQ(auth_origins_add(o, "http://localhost"), 0);
    size_t n = auth_origins_count(o);
    auth_origins_free(o);
    ASSERT_EQ(n, sizeof good / sizeof good[0]);
}
