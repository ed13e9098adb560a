/* tests/unit/core/test_json.c: Action Cable's JSON encoding (core/json).
 *
 * Every input is copied into a heap block of exactly its size before it is
 * scanned, so a read one byte past the end is caught under ASan. */
#include "test.h"

#include <float.h>
#include <limits.h>
#include <math.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

/* Compact 'len' bytes of 'in' into 'b' (reset first) and NUL-terminate the
 * result. Returns the json_append_compact code. */
static int compact_n(buf_t *b, const char *in, size_t len)
{
    buf_reset(b);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, in, len);
    int rc = json_append_compact(b, copy, len);
    free(copy);
    buf_append(b, "", 1);
    b->len--;
    return rc;
}

static int compact(buf_t *b, const char *in)
{
    return compact_n(b, in, strlen(in));
}

static const char *cstr(buf_t *b)
{
    buf_append(b, "", 1);
    b->len--;
    return buf_head(b);
}

TEST(json_string_escapes)
{
    buf_t b = BUF_INIT;
    const char in[] =
        "a\"b\\c/d<e>f&g\b\f\n\r\t\x01\x1f\x7f é 😀 \xe2\x80\xa8\xe2\x80\xa9 \xe2\x80\xa6";
    json_append_string(&b, in, sizeof in - 1);
    ASSERT_STR_EQ(cstr(&b),
                  "\"a\\\"b\\\\c/d\\u003ce\\u003ef\\u0026g\\b\\f\\n\\r\\t\\u0001\\u001f\x7f é 😀 "
                  "\\u2028\\u2029 \xe2\x80\xa6\"");
    buf_deinit(&b);
}

TEST(json_string_nul_and_empty)
{
    buf_t b = BUF_INIT;
    json_append_string(&b, "a\0b", 3);
    ASSERT_STR_EQ(cstr(&b), "\"a\\u0000b\"");
    buf_reset(&b);
    json_append_string(&b, "", 0);
    ASSERT_STR_EQ(cstr(&b), "\"\"");
    /* Other characters led by E2 (U+2026, U+20AC) stay raw. */
    buf_reset(&b);
    json_append_string(&b, "\xe2\x80\xa6\xe2\x82\xac", 6);
    ASSERT_STR_EQ(cstr(&b), "\"\xe2\x80\xa6\xe2\x82\xac\"");
    buf_deinit(&b);
}

TEST(json_compact_whitespace)
{
    buf_t b = BUF_INIT;
    ASSERT_EQ(compact(&b, " \t\r\n{ \"a\" :\n[ 1 , 2 ,{ } ,[ ] , { \"b\" : { \"c\" : null } } ] ,"
                          "\"d\" : true , \"e\":false }\n "),
              0);
    ASSERT_STR_EQ(cstr(&b), "{\"a\":[1,2,{},[],{\"b\":{\"c\":null}}],\"d\":true,\"e\":false}");
    ASSERT_EQ(compact(&b, "  \"x\"  "), 0);
    ASSERT_STR_EQ(cstr(&b), "\"x\"");
    ASSERT_EQ(compact(&b, "42"), 0);
    ASSERT_STR_EQ(cstr(&b), "42");
    ASSERT_EQ(compact(&b, "null"), 0);
    ASSERT_STR_EQ(cstr(&b), "null");
    /* Keys keep their order, duplicates included: only decoding drops them. */
    ASSERT_EQ(compact(&b, "{\"z\":1,\"a\":2,\"z\":3}"), 0);
    ASSERT_STR_EQ(cstr(&b), "{\"z\":1,\"a\":2,\"z\":3}");
    buf_deinit(&b);
}

TEST(json_compact_escapes)
{
    buf_t b = BUF_INIT;
    ASSERT_EQ(compact(&b, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u00E9\\u003c\\u003E\\u0026"
                          "\\u001F\\u0000\\u007f\\u2028\\u2029\\u20ac/\""),
              0);
    ASSERT_STR_EQ(cstr(&b), "\"\\\"\\\\/\\b\\f\\n\\r\\tAéé\\u003c\\u003e\\u0026\\u001f\\u0000\x7f"
                            "\\u2028\\u2029€/\"");
    /* Raw characters are re-escaped the same way. */
    ASSERT_EQ(compact(&b, "\"<b>x</b> & é \xe2\x80\xa8\x7f\""), 0);
    ASSERT_STR_EQ(cstr(&b), "\"\\u003cb\\u003ex\\u003c/b\\u003e \\u0026 é \\u2028\x7f\"");
    /* Object keys too. */
    ASSERT_EQ(compact(&b, "{\"<k>\":\"\\u003c\"}"), 0);
    ASSERT_STR_EQ(cstr(&b), "{\"\\u003ck\\u003e\":\"\\u003c\"}");
    buf_deinit(&b);
}

TEST(json_compact_surrogates)
{
    buf_t b = BUF_INIT;
    ASSERT_EQ(compact(&b, "\"\\ud83d\\ude00\""), 0);
    ASSERT_STR_EQ(cstr(&b), "\"😀\"");
    ASSERT_EQ(compact(&b, "\"a\\uD83D\\uDE00b\\udbff\\udfff\""), 0);
    ASSERT_STR_EQ(cstr(&b), "\"a😀b\xf4\x8f\xbf\xbf\"");
    ASSERT_EQ(compact(&b, "\"😀\""), 0);
    ASSERT_STR_EQ(cstr(&b), "\"😀\"");
    static const char *const lone[] = {
        "\"\\ud83d\"",        "\"\\ude00\"",   "\"\\ud83dx\"",   "\"\\ud83d\\u0041\"",
        "\"\\ud83d\\ud83d\"", "\"\\ud83d\\\"", "\"\\ud83d\\u\"", "\"\\ude00\\ud83d\"",
    };
    for (size_t i = 0; i < sizeof lone / sizeof lone[0]; i++) {
        if (compact(&b, lone[i]) != ERR_JSON) TEST_FAIL_("accepted %s", lone[i]);
    }
    buf_deinit(&b);
}

static void nest(buf_t *b, int depth, const char *open, const char *close)
{
    buf_reset(b);
    for (int i = 0; i < depth; i++) buf_puts(b, open);
    buf_puts(b, "1");
    for (int i = 0; i < depth; i++) buf_puts(b, close);
}

TEST(json_compact_depth)
{
    buf_t in = BUF_INIT, b = BUF_INIT;
    nest(&in, 64, "[", "]");
    ASSERT_EQ(compact_n(&b, buf_head(&in), in.len), 0);
    ASSERT_EQ(b.len, in.len);
    nest(&in, 65, "[", "]");
    ASSERT_EQ(compact_n(&b, buf_head(&in), in.len), ERR_JSON);
    ASSERT_EQ(b.len, 0);
    nest(&in, 64, "{\"a\":", "}");
    ASSERT_EQ(compact_n(&b, buf_head(&in), in.len), 0);
    nest(&in, 65, "{\"a\":", "}");
    ASSERT_EQ(compact_n(&b, buf_head(&in), in.len), ERR_JSON);
    nest(&in, 33, "[{\"a\":", "}]");
    ASSERT_EQ(compact_n(&b, buf_head(&in), in.len), ERR_JSON);
    nest(&in, 32, "[{\"a\":", "}]");
    ASSERT_EQ(compact_n(&b, buf_head(&in), in.len), 0);
    /* Width does not count, only depth. */
    buf_reset(&in);
    buf_puts(&in, "[");
    for (int i = 0; i < 1000; i++) buf_puts(&in, "[],");
    buf_puts(&in, "[]]");
    ASSERT_EQ(compact_n(&b, buf_head(&in), in.len), 0);
    buf_deinit(&in);
    buf_deinit(&b);
}

TEST(json_compact_invalid)
{
    /* clang-format off */
    static const char *const bad[] = {
        "", " ", "{", "}", "[", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{\"a\" 1}", "{1:2}", "{a:1}", "01", "-01", "1.", ".5", "-", "1e", "1e+", "+1", "0x1",
        "1.5.2", "tru", "nul", "True", "NaN", "Infinity", "-Infinity", "'a'", "\"abc",
        "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\", "\"\x01\"", "\"a\tb\"", "\"\xff\"",
        "\"\xc3\"", "\"\xc3(\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
        "\"\xe2\x80\"", "1 2", "{} x", "[1],", "null null", "\"a\"\"b\"", "[1]]", "{}}",
    };
    /* clang-format on */
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (compact(&b, bad[i]) != ERR_JSON) TEST_FAIL_("accepted #%zu \"%s\"", i, bad[i]);
    }
    /* A NUL byte in the text is not whitespace. */
    ASSERT_EQ(compact_n(&b, "1\0", 2), ERR_JSON);
    ASSERT_EQ(compact_n(&b, "\"\0\"", 3), ERR_JSON);
    buf_deinit(&b);
}

TEST(json_compact_error_keeps_output)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "kept");
    ASSERT_EQ(json_append_compact(&b, "{\"a\":[1,2,\"long string\"", 23), ERR_JSON);
    ASSERT_EQ(b.len, 4);
    ASSERT_EQ(json_append_compact(&b, " [1] ", 5), 0);
    ASSERT_STR_EQ(cstr(&b), "kept[1]");
    buf_deinit(&b);
}

TEST(json_compact_numbers_verbatim)
{
    static const char *const nums[] = {
        "0",
        "-0",
        "12345678901234567000",
        "-99999999999999999999999999",
        "1.50",
        "1E+2",
        "1e-7",
        "0.0e-0",
        "3.141592653589793238462643383279",
        "1.0",
    };
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        ASSERT_EQ(compact(&b, nums[i]), 0);
        ASSERT_STR_EQ(cstr(&b), nums[i]);
    }
    buf_deinit(&b);
}

/* Numbers jansson cannot hold do not fail json_decode; everything else
 * decodes exactly as json_loadb would. */
TEST(json_decode_wide_numbers)
{
    static const char doc[] =
        "{\"id\":1,\"big\":12345678901234567890,\"neg\":-98765432109876543210,"
        "\"huge\":1e400,\"tiny\":-1.5E+999,\"under\":1e-400,"
        "\"long\":1"
        "00000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000,"
        "\"s\":\"<\\u0000>\",\"arr\":[9223372036854775807,9223372036854775808]}";
    ASSERT_NULL(json_loadb(doc, sizeof doc - 1, 0, NULL));
    char *copy = malloc(sizeof doc - 1);
    memcpy(copy, doc, sizeof doc - 1);
    json_t *v = json_decode(copy, sizeof doc - 1, JSON_ALLOW_NUL);
    free(copy);
    ASSERT_NOT_NULL(v);
    ASSERT_EQ(json_integer_value(json_object_get(v, "id")), 1);
    ASSERT(json_is_real(json_object_get(v, "big")));
    ASSERT(json_real_value(json_object_get(v, "big")) == 12345678901234567890.0);
    ASSERT(json_real_value(json_object_get(v, "neg")) == -98765432109876543210.0);
    ASSERT(json_real_value(json_object_get(v, "huge")) == DBL_MAX);
    ASSERT(json_real_value(json_object_get(v, "tiny")) == -DBL_MAX);
    ASSERT(json_real_value(json_object_get(v, "under")) == 0.0);
    ASSERT(json_real_value(json_object_get(v, "long")) == DBL_MAX);
    json_t *str = json_object_get(v, "s");
    ASSERT_EQ(json_string_length(str), 3);
    ASSERT_MEM_EQ(json_string_value(str), "<\0>", 3);
    json_t *arr = json_object_get(v, "arr");
    ASSERT(json_is_integer(json_array_get(arr, 0)));
    ASSERT_EQ(json_integer_value(json_array_get(arr, 0)), 9223372036854775807LL);
    ASSERT(json_is_real(json_array_get(arr, 1)));
    json_decref(v);

    /* Ordinary input takes jansson's path untouched; invalid input stays
     * invalid with or without a big number in it. */
    v = json_decode("[1,2.5,\"x\"]", 11, 0);
    ASSERT_NOT_NULL(v);
    ASSERT_EQ(json_array_size(v), 3);
    json_decref(v);
    static const char *const bad[] = {
        "", "{\"a\":1e400", "[1e400,]", "{\"a\":1e400}x", "[1e400,\"\\ud800\"]", "\"\\u0000\"1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (json_decode(bad[i], strlen(bad[i]), JSON_DECODE_ANY)) TEST_FAIL_("decoded %s", bad[i]);
    /* Without JSON_DECODE_ANY a bare number is refused, as json_loadb does. */
    ASSERT_NULL(json_decode("1e400", 5, 0));
    v = json_decode("1e400", 5, JSON_DECODE_ANY);
    ASSERT(json_is_real(v));
    json_decref(v);
}

TEST(json_compact_broadcast_payload)
{
    /* The publisher (node's JSON.stringify) sends U+2028 raw and the big
     * integer as digits; Action Cable's re-encoding is §(k) of the
     * reference. */
    buf_t b = BUF_INIT;
    ASSERT_EQ(compact(&b,
                      "{\"event\": \"newMessage\", \"data\": {\"body\": \"<b>x</b> & \\\"q\\\" é 😀 "
                      "\xe2\x80\xa8\", \"n\": 1.5, \"big\": 12345678901234567000, \"nil\": null, "
                      "\"arr\": [1, \"a\"]}}"),
              0);
    ASSERT_STR_EQ(cstr(&b),
                  "{\"event\":\"newMessage\",\"data\":{\"body\":\"\\u003cb\\u003ex\\u003c/b\\u003e "
                  "\\u0026 \\\"q\\\" é 😀 \\u2028\",\"n\":1.5,\"big\":12345678901234567000,"
                  "\"nil\":null,\"arr\":[1,\"a\"]}}");
    /* The same with everything escaped on the way in. */
    ASSERT_EQ(
        compact(&b,
                "{\"event\":\"newMessage\",\"data\":{\"body\":\"\\u003cb\\u003ex\\u003c\\/b\\u003e "
                "\\u0026 \\\"q\\\" \\u00e9 \\ud83d\\ude00 \\u2028\",\"n\":1.5,"
                "\"big\":12345678901234567000,\"nil\":null,\"arr\":[1,\"a\"]}}"),
        0);
    ASSERT_STR_EQ(cstr(&b),
                  "{\"event\":\"newMessage\",\"data\":{\"body\":\"\\u003cb\\u003ex\\u003c/b\\u003e "
                  "\\u0026 \\\"q\\\" é 😀 \\u2028\",\"n\":1.5,\"big\":12345678901234567000,"
                  "\"nil\":null,\"arr\":[1,\"a\"]}}");
    buf_deinit(&b);
}

TEST(json_compact_idempotent)
{
    static const char *const docs[] = {
        "{ \"a\" : [ \"\\u003c\\ud83d\\ude00\\n\" , 1e5 ] }",
        "\"\\u0000\\u2029\\/\"",
        "[ ]",
    };
    buf_t b = BUF_INIT, again = BUF_INIT;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        ASSERT_EQ(compact(&b, docs[i]), 0);
        ASSERT_EQ(compact_n(&again, buf_head(&b), b.len), 0);
        ASSERT_EQ(again.len, b.len);
        ASSERT_MEM_EQ(buf_head(&again), buf_head(&b), b.len);
    }
    buf_deinit(&b);
    buf_deinit(&again);
}

TEST(json_span_member_basic)
{
    const char *in =
        " { \"stream\" : \"chat-room-1\" , \"data\" : { \"event\" : [1, 2] } , \"n\":-1.5e3 } ";
    json_span_t s = {NULL, 0};
    ASSERT_EQ(json_span_member(in, strlen(in), "data", &s), 1);
    ASSERT_EQ(s.len, strlen("{ \"event\" : [1, 2] }"));
    ASSERT_MEM_EQ(s.p, "{ \"event\" : [1, 2] }", s.len);
    ASSERT_EQ(json_span_kind(s), 'o');
    ASSERT_EQ(json_span_member(in, strlen(in), "stream", &s), 1);
    ASSERT_MEM_EQ(s.p, "\"chat-room-1\"", s.len);
    ASSERT_EQ(json_span_kind(s), 's');
    ASSERT_EQ(json_span_member(in, strlen(in), "n", &s), 1);
    ASSERT_EQ(s.len, 6);
    ASSERT_EQ(json_span_kind(s), 'n');
    /* Nested members are not top-level members. */
    s.p = NULL;
    ASSERT_EQ(json_span_member(in, strlen(in), "event", &s), 0);
    ASSERT_NULL(s.p);
    ASSERT_EQ(json_span_member(in, strlen(in), "", &s), 0);
    ASSERT_EQ(json_span_member(in, strlen(in), "dat", &s), 0);
    ASSERT_EQ(json_span_member(in, strlen(in), "datax", &s), 0);
}

TEST(json_span_member_decoded_key)
{
    const char *in = "{\"a\\/b\":1,\"\\u00e9\":2,\"k\":3,\"k\":[4]}";
    json_span_t s;
    ASSERT_EQ(json_span_member(in, strlen(in), "a/b", &s), 1);
    ASSERT_MEM_EQ(s.p, "1", 1);
    ASSERT_EQ(json_span_member(in, strlen(in), "é", &s), 1);
    ASSERT_MEM_EQ(s.p, "2", 1);
    /* The last duplicate wins, as in Ruby and jansson. */
    ASSERT_EQ(json_span_member(in, strlen(in), "k", &s), 1);
    ASSERT_EQ(s.len, 3);
    ASSERT_MEM_EQ(s.p, "[4]", 3);
    ASSERT_EQ(json_span_kind(s), 'a');
}

TEST(json_span_member_not_object_or_invalid)
{
    json_span_t s;
    ASSERT_EQ(json_span_member("[1,2]", 5, "a", &s), 0);
    ASSERT_EQ(json_span_member("\"a\"", 3, "a", &s), 0);
    ASSERT_EQ(json_span_member("{}", 2, "a", &s), 0);
    ASSERT_EQ(json_span_member("", 0, "a", &s), ERR_JSON);
    ASSERT_EQ(json_span_member("[1,", 3, "a", &s), ERR_JSON);
    ASSERT_EQ(json_span_member("{\"a\":1", 6, "a", &s), ERR_JSON);
    ASSERT_EQ(json_span_member("{\"a\":1} 2", 9, "a", &s), ERR_JSON);
    ASSERT_EQ(json_span_member("{\"a\":1,\"b\":\"\\ud800\"}", 20, "a", &s), ERR_JSON);
}

TEST(json_span_next_elements)
{
    const char *in = " [ 1 , {\"a\": [2]} ,\"x\" , [ ] , true,false,null ] ";
    size_t pos = 0;
    json_span_t s;
    static const char *const want[] = {"1",    "{\"a\": [2]}", "\"x\"", "[ ]",
                                       "true", "false",        "null"};
    static const int kinds[] = {'n', 'o', 's', 'a', 't', 'f', 'z'};
    for (size_t i = 0; i < 7; i++) {
        ASSERT_EQ(json_span_next(in, strlen(in), &pos, &s), 1);
        ASSERT_EQ(s.len, strlen(want[i]));
        ASSERT_MEM_EQ(s.p, want[i], s.len);
        ASSERT_EQ(json_span_kind(s), kinds[i]);
    }
    ASSERT_EQ(json_span_next(in, strlen(in), &pos, &s), 0);
    ASSERT_EQ(json_span_next(in, strlen(in), &pos, &s), 0);

    pos = 0;
    ASSERT_EQ(json_span_next("[]", 2, &pos, &s), 0);
    pos = 0;
    ASSERT_EQ(json_span_next(" [ ] ", 5, &pos, &s), 0);
}

TEST(json_span_next_invalid)
{
    static const char *const bad[] = {"{}", "1",     "\"[1]\"", "[1,]",
                                      "[1", "[1] x", "",        "[\"\\ud800\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t pos = 0;
        json_span_t s;
        if (json_span_next(bad[i], strlen(bad[i]), &pos, &s) != ERR_JSON)
            TEST_FAIL_("accepted \"%s\"", bad[i]);
    }
}

TEST(json_span_kind_values)
{
    ASSERT_EQ(json_span_kind((json_span_t){NULL, 0}), 0);
    ASSERT_EQ(json_span_kind((json_span_t){"x", 0}), 0);
    ASSERT_EQ(json_span_kind((json_span_t){"-1", 2}), 'n');
    ASSERT_EQ(json_span_kind((json_span_t){"0", 1}), 'n');
    ASSERT_EQ(json_span_kind((json_span_t){"null", 4}), 'z');
    ASSERT_EQ(json_span_kind((json_span_t){"x", 1}), 0);
}

static const char *value_str(buf_t *b, json_t *v)
{
    buf_reset(b);
    json_append_value(b, v);
    json_decref(v);
    return cstr(b);
}

TEST(json_value_reals)
{
    buf_t b = BUF_INIT;
    ASSERT_STR_EQ(value_str(&b, json_real(1.5)), "1.5");
    ASSERT_STR_EQ(value_str(&b, json_real(0.1)), "0.1");
    ASSERT_STR_EQ(value_str(&b, json_real(1e300)), "1e+300");
    ASSERT_STR_EQ(value_str(&b, json_real(100.0)), "100.0");
    ASSERT_STR_EQ(value_str(&b, json_real(0.0)), "0.0");
    ASSERT_STR_EQ(value_str(&b, json_real(-0.0)), "-0.0");
    ASSERT_STR_EQ(value_str(&b, json_real(-2.5e-8)), "-2.5e-08");
    ASSERT_STR_EQ(value_str(&b, json_real(1.0 / 3.0)), "0.3333333333333333");
    ASSERT_STR_EQ(value_str(&b, json_real(0.1 + 0.2)), "0.30000000000000004");
    ASSERT_STR_EQ(value_str(&b, json_real(5e-324)), "4.94065645841247e-324");
    ASSERT_NULL(json_real(INFINITY));
    ASSERT_NULL(json_real(NAN));
    buf_deinit(&b);
}

TEST(json_value_integers_and_structures)
{
    buf_t b = BUF_INIT;
    ASSERT_STR_EQ(value_str(&b, json_integer(0)), "0");
    ASSERT_STR_EQ(value_str(&b, json_integer(-5)), "-5");
    ASSERT_STR_EQ(value_str(&b, json_integer(LLONG_MAX)), "9223372036854775807");
    ASSERT_STR_EQ(value_str(&b, json_integer(LLONG_MIN)), "-9223372036854775808");
    ASSERT_STR_EQ(value_str(&b, json_pack("{s:i,s:s,s:[b,b,n],s:{},s:[]}", "z", 1, "a",
                                          "<b>&\xe2\x80\xa8", "m", 1, 0, "e", "l")),
                  "{\"z\":1,\"a\":\"\\u003cb\\u003e\\u0026\\u2028\",\"m\":[true,false,null],\"e\":{"
                  "},\"l\":[]}");
    json_t *o = json_object();
    json_object_setn_new(o, "k\0v", 3, json_stringn("x\0y", 3));
    ASSERT_STR_EQ(value_str(&b, o), "{\"k\\u0000v\":\"x\\u0000y\"}");
    buf_deinit(&b);
}
