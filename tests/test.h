/* tests/test.h: the in-tree unit test harness.
 *
 * A test is a function declared with TEST(name) in any file under
 * tests/unit/; the build collects every TEST(...) line into the generated
 * test list, so adding a test is writing it. Assertions are typed and print
 * both sides on failure, then end the test. The runner (tests/runner.c)
 * prints TAP and a final "N passed, N failed" line (", N skipped" added
 * when a test could not run, see TEST_SKIP). */
#ifndef TESTS_TEST_H
#define TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST(name) void test_##name(void)

/* Set by a failing assertion; the runner reads it after the test returns. */
extern int test_failed;
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Set by TEST_SKIP: the test could not run here (a service is missing). */
extern int test_skipped;
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* End the test as skipped, saying why on a "# SKIP" line. */
#define TEST_SKIP(...)             \
    do {                           \
        test_skip(__VA_ARGS__);    \
        return;                    \
    } while (0)

#define TEST_FAIL_(...)                              \
    do {                                             \
        test_fail(__FILE__, __LINE__, __VA_ARGS__);  \
        return;                                      \
    } while (0)

#define ASSERT(cond)                                             \
    do {                                                         \
        if (!(cond)) TEST_FAIL_("assertion failed: %s", #cond);  \
    } while (0)

#define ASSERT_EQ(a, b)                                                                       \
    do {                                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                                   \
        if (a_ != b_) TEST_FAIL_("%s == %s: got %lld, expected %lld", #a, #b, a_, b_);        \
    } while (0)

#define ASSERT_NE(a, b)                                                                       \
    do {                                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                                   \
        if (a_ == b_) TEST_FAIL_("%s != %s: both are %lld", #a, #b, a_);                      \
    } while (0)

#define ASSERT_GE(a, b)                                                                       \
    do {                                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                                   \
        if (a_ < b_) TEST_FAIL_("%s >= %s: got %lld < %lld", #a, #b, a_, b_);                 \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                   \
    do {                                                                                      \
        const char *a_ = (a), *b_ = (b);                                                      \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                \
            TEST_FAIL_("%s == %s:\n  got      \"%s\"\n  expected \"%s\"", #a, #b,             \
                       a_ ? a_ : "(null)", b_ ? b_ : "(null)");                               \
    } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                                \
    do {                                                                                      \
        const void *a_ = (a), *b_ = (b);                                                      \
        size_t n_ = (size_t)(n);                                                              \
        if (memcmp(a_, b_, n_) != 0) {                                                        \
            test_dump_diff(a_, b_, n_);                                                       \
            TEST_FAIL_("%s == %s over %zu bytes", #a, #b, n_);                                \
        }                                                                                     \
    } while (0)

#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)

void test_dump_diff(const void *a, const void *b, size_t n);

#endif
