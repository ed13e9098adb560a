/* tests/unit/core/test_utf8.c: core/utf8 validation.
 *
 * Named edge cases (overlongs, surrogates, the U+10FFFF ceiling, truncated
 * sequences, every encoding-length boundary), then a differential check
 * against a slow reference decoder written straight from RFC 3629, and the
 * incremental API fed at every split point and one byte at a time. */
#include "test.h"

#include "core/utf8.h"

#include <stdint.h>

/* Reference: decode one code point at a time, the slow obvious way. */
static int ref_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t b = s[i];
        size_t n;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            n = 1, cp = b & 0x1F, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            n = 2, cp = b & 0x0F, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            n = 3, cp = b & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (len - i - 1 < n) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += n + 1;
    }
    return 1;
}

static size_t encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Incremental verdict for 's' fed in two pieces split at 'at'. */
static int feed_split(const uint8_t *s, size_t len, size_t at)
{
    utf8_state_t st;
    utf8_state_init(&st);
    if (utf8_feed(&st, s, at) < 0) return 0;
    if (utf8_feed(&st, s + at, len - at) < 0) return 0;
    return utf8_complete(&st);
}

#define V(lit) utf8_valid(lit, sizeof(lit) - 1)

TEST(utf8_empty)
{
    ASSERT_EQ(utf8_valid(NULL, 0), 1);
    ASSERT_EQ(utf8_valid("", 0), 1);
    utf8_state_t s;
    utf8_state_init(&s);
    ASSERT_EQ(utf8_complete(&s), 1);
    ASSERT_EQ(utf8_feed(&s, NULL, 0), 0);
    ASSERT_EQ(utf8_complete(&s), 1);
}

TEST(utf8_ascii)
{
    ASSERT_EQ(V("hello"), 1);
    ASSERT_EQ(V("{\"command\":\"subscribe\",\"identifier\":\"{}\"}"), 1);
    ASSERT_EQ(utf8_valid("\0\x01\x7f", 3), 1);
}

TEST(utf8_boundaries_valid)
{
    ASSERT_EQ(V("\x7F"), 1);             /* U+007F, last 1-byte */
    ASSERT_EQ(V("\xC2\x80"), 1);         /* U+0080, first 2-byte */
    ASSERT_EQ(V("\xDF\xBF"), 1);         /* U+07FF, last 2-byte */
    ASSERT_EQ(V("\xE0\xA0\x80"), 1);     /* U+0800, first 3-byte */
    ASSERT_EQ(V("\xED\x9F\xBF"), 1);     /* U+D7FF, just below the surrogates */
    ASSERT_EQ(V("\xEE\x80\x80"), 1);     /* U+E000, just above the surrogates */
    ASSERT_EQ(V("\xEF\xBF\xBF"), 1);     /* U+FFFF, last 3-byte */
    ASSERT_EQ(V("\xF0\x90\x80\x80"), 1); /* U+10000, first 4-byte */
    ASSERT_EQ(V("\xF4\x8F\xBF\xBF"), 1); /* U+10FFFF, the last code point */
    ASSERT_EQ(V("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"), 1); /* "kosme" in Greek */
}

TEST(utf8_overlong)
{
    ASSERT_EQ(V("\xC0\x80"), 0);         /* NUL as 2 bytes */
    ASSERT_EQ(V("\xC1\xBF"), 0);         /* U+007F as 2 bytes */
    ASSERT_EQ(V("\xE0\x80\x80"), 0);     /* NUL as 3 bytes */
    ASSERT_EQ(V("\xE0\x9F\xBF"), 0);     /* U+07FF as 3 bytes */
    ASSERT_EQ(V("\xF0\x80\x80\x80"), 0); /* NUL as 4 bytes */
    ASSERT_EQ(V("\xF0\x8F\xBF\xBF"), 0); /* U+FFFF as 4 bytes */
    ASSERT_EQ(V("\xF8\x88\x80\x80\x80"), 0);
}

TEST(utf8_surrogates)
{
    ASSERT_EQ(V("\xED\xA0\x80"), 0);             /* U+D800 */
    ASSERT_EQ(V("\xED\xAD\xBF"), 0);             /* U+DB7F */
    ASSERT_EQ(V("\xED\xB0\x80"), 0);             /* U+DC00 */
    ASSERT_EQ(V("\xED\xBF\xBF"), 0);             /* U+DFFF */
    ASSERT_EQ(V("\xED\xA0\x80\xED\xB0\x80"), 0); /* a CESU-8 pair */
}

TEST(utf8_above_max)
{
    ASSERT_EQ(V("\xF4\x90\x80\x80"), 0); /* U+110000 */
    ASSERT_EQ(V("\xF7\xBF\xBF\xBF"), 0);
    for (int b = 0xF5; b <= 0xFF; b++) {
        uint8_t s[4] = {(uint8_t)b, 0x80, 0x80, 0x80};
        ASSERT_EQ(utf8_valid(s, 4), 0);
    }
}

TEST(utf8_truncated)
{
    ASSERT_EQ(V("\xC2"), 0);
    ASSERT_EQ(V("\xE2\x82"), 0);
    ASSERT_EQ(V("\xF0\x9F\x98"), 0);
    ASSERT_EQ(V("abc\xF0\x9F"), 0);
    ASSERT_EQ(V("\xE2\x82 "), 0); /* cut short by an ASCII byte */
    ASSERT_EQ(V("\x80"), 0);      /* lone continuation */
    ASSERT_EQ(V("a\xBFz"), 0);
    ASSERT_EQ(V("\xC2\x80\x80"), 0); /* one continuation too many */
    ASSERT_EQ(V("\xFE"), 0);
    ASSERT_EQ(V("\xFF"), 0);
}

/* Every code point (surrogates excluded) encodes to valid UTF-8, and both
 * ends of every range agree with the reference. */
TEST(utf8_every_code_point)
{
    uint8_t s[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n = encode(cp, s);
        int expect = !(cp >= 0xD800 && cp <= 0xDFFF);
        if (utf8_valid(s, n) != expect) TEST_FAIL_("code point U+%04X", (unsigned)cp);
    }
}

/* Every 1-, 2- and 3-byte string, against the reference decoder. */
TEST(utf8_exhaustive_short_vs_reference)
{
    uint8_t s[3];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (uint8_t)a;
        ASSERT_EQ(utf8_valid(s, 1), ref_valid(s, 1));
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (uint8_t)b;
            ASSERT_EQ(utf8_valid(s, 2), ref_valid(s, 2));
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (uint8_t)c;
                if (utf8_valid(s, 3) != ref_valid(s, 3))
                    TEST_FAIL_("bytes %02x %02x %02x", a, b, c);
            }
        }
    }
}

/* Random strings biased toward interesting bytes, against the reference, as
 * a whole and split at every offset. */
TEST(utf8_random_vs_reference)
{
    static const uint8_t pick[] = {'a',  0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2,
                                   0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
    uint32_t seed = 12345;
    uint8_t s[40];
    for (int iter = 0; iter < 20000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % sizeof s;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            s[i] = pick[(seed >> 16) % sizeof pick];
        }
        int expect = ref_valid(s, len);
        ASSERT_EQ(utf8_valid(s, len), expect);
        for (size_t at = 0; at <= len; at++) ASSERT_EQ(feed_split(s, len, at), expect);
    }
}

/* The word-at-a-time ASCII skip must not hide a bad byte at any position,
 * nor lose a sequence that straddles a word boundary. */
TEST(utf8_ascii_fast_path_positions)
{
    uint8_t s[64];
    for (size_t pos = 0; pos < sizeof s; pos++) {
        memset(s, 'x', sizeof s);
        s[pos] = 0x80;
        ASSERT_EQ(utf8_valid(s, sizeof s), 0);
        s[pos] = 0xC3; /* truncated, unless followed by a continuation */
        ASSERT_EQ(utf8_valid(s, sizeof s), 0);
        if (pos + 1 < sizeof s) {
            s[pos + 1] = 0xA9; /* "é" */
            ASSERT_EQ(utf8_valid(s, sizeof s), 1);
        }
        if (pos + 3 < sizeof s) {
            memcpy(s + pos, "\xF0\x9F\x98\x80", 4); /* U+1F600 */
            ASSERT_EQ(utf8_valid(s, sizeof s), 1);
            ASSERT_EQ(utf8_valid(s, pos + 3), 0);
        }
    }
}

TEST(utf8_feed_split_valid_sequence)
{
    const uint8_t s[] = "a\xE2\x82\xACz\xF0\x9F\x98\x80z"; /* "a€z😀z" */
    size_t len = sizeof s - 1;
    for (size_t at = 0; at <= len; at++) ASSERT_EQ(feed_split(s, len, at), 1);

    /* One byte at a time: mid-sequence is "still valid" but not complete. */
    utf8_state_t st;
    utf8_state_init(&st);
    ASSERT_EQ(utf8_feed(&st, "\xE2", 1), 0);
    ASSERT_EQ(utf8_complete(&st), 0);
    ASSERT_EQ(utf8_feed(&st, "\x82", 1), 0);
    ASSERT_EQ(utf8_complete(&st), 0);
    ASSERT_EQ(utf8_feed(&st, "\xAC", 1), 0);
    ASSERT_EQ(utf8_complete(&st), 1);
}

TEST(utf8_feed_fails_at_first_bad_byte)
{
    utf8_state_t st;
    utf8_state_init(&st);
    ASSERT_EQ(utf8_feed(&st, "ok\xED", 3), 0);
    ASSERT_EQ(utf8_feed(&st, "\xA0", 1), -1); /* would be a surrogate */
    ASSERT_EQ(utf8_complete(&st), 0);
    /* Sticky: nothing brings it back. */
    ASSERT_EQ(utf8_feed(&st, "abc", 3), -1);
    ASSERT_EQ(utf8_feed(&st, NULL, 0), -1);
    ASSERT_EQ(utf8_complete(&st), 0);

    utf8_state_init(&st);
    ASSERT_EQ(utf8_feed(&st, "\xF4", 1), 0);
    ASSERT_EQ(utf8_feed(&st, "\x90", 1), -1); /* above U+10FFFF */
    utf8_state_init(&st);
    ASSERT_EQ(utf8_feed(&st, "\xE0", 1), 0);
    ASSERT_EQ(utf8_feed(&st, "\x9F", 1), -1); /* overlong */
}
