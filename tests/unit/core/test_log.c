/* Unit tests for core/log: the JSON line format (fields, numbers, quoted
 * values, escaping, a line too long) and log_escape, whose output can stand
 * between quotes. */
#include "test.h"

#include "core/log.h"

static const char *json(char *out, size_t cap, enum log_level level, const char *line)
{
    size_t n = log_format_json(out, cap, "2024-05-01T12:00:00.123Z", level, line, strlen(line));
    out[n] = '\0';
    return out;
}

TEST(log_json_fields_from_key_values)
{
    char out[1024];
    ASSERT_STR_EQ(json(out, sizeof out, LOG_INFO,
                       "http access conn=4 method=GET path=\"/cable?token=[FILTERED]\" status=101 "
                       "route=/cable duration_ms=0.412"),
                  "{\"time\":\"2024-05-01T12:00:00.123Z\",\"level\":\"info\",\"module\":\"http\","
                  "\"msg\":\"access\",\"conn\":4,\"method\":\"GET\","
                  "\"path\":\"/cable?token=[FILTERED]\",\"status\":101,\"route\":\"/cable\","
                  "\"duration_ms\":0.412}");
    /* Prose stays in msg, in order; a value that is not a JSON number is a string. */
    ASSERT_STR_EQ(
        json(out, sizeof out, LOG_WARN, "main few descriptors left (12): raise ulimit -n"),
        "{\"time\":\"2024-05-01T12:00:00.123Z\",\"level\":\"warn\",\"module\":\"main\","
        "\"msg\":\"few descriptors left (12): raise ulimit -n\"}");
    ASSERT_STR_EQ(json(out, sizeof out, LOG_ERROR, "x a=007 b=-1 c=1. d=1e3 e= f=\"two words\""),
                  "{\"time\":\"2024-05-01T12:00:00.123Z\",\"level\":\"error\",\"module\":\"x\","
                  "\"msg\":\"\",\"a\":\"007\",\"b\":-1,\"c\":\"1.\",\"d\":\"1e3\",\"e\":\"\","
                  "\"f\":\"two words\"}");
    /* Reserved names and odd keys stay words. */
    ASSERT_STR_EQ(json(out, sizeof out, LOG_DEBUG, "m level=9 Key=1 =2 k=v"),
                  "{\"time\":\"2024-05-01T12:00:00.123Z\",\"level\":\"debug\",\"module\":\"m\","
                  "\"msg\":\"level=9 Key=1 =2\",\"k\":\"v\"}");
}

TEST(log_json_escapes_and_truncates)
{
    char out[1024];
    ASSERT_STR_EQ(
        json(out, sizeof out, LOG_INFO, "m a=\"x\\x22y\" b=\\ c=\x01\xc3\xa9"),
        "{\"time\":\"2024-05-01T12:00:00.123Z\",\"level\":\"info\",\"module\":\"m\","
        "\"msg\":\"\",\"a\":\"x\\\\x22y\",\"b\":\"\\\\\",\"c\":\"\\u0001\\u00c3\\u00a9\"}");
    /* Too long for the buffer: still one valid object, its text cut. */
    char line[600];
    memset(line, 'w', sizeof line - 1);
    memcpy(line, "m ", 2);
    line[sizeof line - 1] = '\0';
    char small[200];
    const char *s = json(small, sizeof small, LOG_INFO, line);
    ASSERT(strlen(s) < sizeof small);
    ASSERT(strncmp(s, "{\"time\":", 8) == 0);
    ASSERT_STR_EQ(s + strlen(s) - 2, "\"}");
    /* So small that only the braces fit. */
    char tiny[8];
    ASSERT_STR_EQ(json(tiny, sizeof tiny, LOG_INFO, "m a=1"), "{}");
}

TEST(log_escape_keeps_quotes_out)
{
    char out[64];
    ASSERT_STR_EQ(log_escape(out, sizeof out, "say \"hi\"\\\n", 10), "say \\x22hi\\x22\\x5c\\x0a");
    char cut[16];
    ASSERT_STR_EQ(log_escape(cut, sizeof cut, "0123456789abcdef", 16), "01234567...");
}

TEST(log_set_format_names)
{
    ASSERT_EQ(log_set_format("json"), 0);
    ASSERT_EQ(log_set_format("text"), 0);
    ASSERT(log_set_format("xml") != 0);
}
