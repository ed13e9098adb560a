/* tests/unit/cable/test_ext.c: the extended protocol's pure parts: the new
 * commands (cable/protocol), history requests and server messages
 * (cable/ext_protocol), and what a history can answer
 * (cable__history_select). */
#include "test.h"

#include "cable/cable_internal.h"
#include "cable/ext_protocol.h"
#include "cable/protocol.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

static int parse(const char *msg, cable_command_t *cmd, const char **why)
{
    *why = NULL;
    size_t len = strlen(msg);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, msg, len);
    int rc = cable_command_parse(copy, len, cmd, why);
    free(copy);
    return rc;
}

static const char *text(buf_t *b)
{
    buf_append(b, "", 1);
    b->len--;
    return buf_head(b);
}

TEST(cable_ext_commands_parse)
{
    cable_command_t cmd;
    const char *why;
    ASSERT_EQ(parse("{\"command\":\"pong\"}", &cmd, &why), 0);
    ASSERT_EQ(cmd.type, CABLE_CMD_PONG);
    ASSERT_NULL(cmd.identifier);
    cable_command_deinit(&cmd);

    ASSERT_EQ(parse("{\"command\":\"whisper\",\"identifier\":\"I\",\"data\":{ \"a\" : [1, "
                    "12345678901234567890 ] }}",
                    &cmd, &why),
              0);
    ASSERT_EQ(cmd.type, CABLE_CMD_WHISPER);
    ASSERT_STR_EQ(cmd.data, "{\"a\":[1,12345678901234567890]}");
    cable_command_deinit(&cmd);
    ASSERT_EQ(parse("{\"command\":\"whisper\",\"identifier\":\"I\"}", &cmd, &why), ERR_PROTO);
    ASSERT_STR_EQ(why, "whisper without data");

    ASSERT_EQ(parse("{\"command\":\"subscribe\",\"identifier\":\"I\",\"history\":{\"since\":5},"
                    "\"presence\":{\"id\":\"1\"}}",
                    &cmd, &why),
              0);
    ASSERT(cmd.history != NULL);
    ASSERT_EQ(cmd.presence, 1);
    cable_command_deinit(&cmd);
    ASSERT_EQ(parse("{\"command\":\"join\",\"identifier\":\"I\"}", &cmd, &why), 0);
    ASSERT_EQ(cmd.presence, 0);
    cable_command_deinit(&cmd);

    ASSERT_EQ(parse("{\"command\":\"presence\",\"identifier\":\"I\",\"data\":{}}", &cmd, &why), 0);
    ASSERT_EQ(cmd.presence, 1);
    cable_command_deinit(&cmd);
    ASSERT_EQ(
        parse("{\"command\":\"presence\",\"identifier\":\"I\",\"data\":{\"return_records\":false}}",
              &cmd, &why),
        0);
    ASSERT_EQ(cmd.presence, 0);
    cable_command_deinit(&cmd);

    ASSERT_EQ(parse("{\"command\":\"refresh_token\",\"token\":\"a.b.c\"}", &cmd, &why), 0);
    ASSERT_STR_EQ(cmd.token, "a.b.c");
    cable_command_deinit(&cmd);
    ASSERT_EQ(parse("{\"command\":\"refresh_token\",\"token\":7}", &cmd, &why), ERR_PROTO);
    ASSERT_STR_EQ(why, "token must be a string");
    ASSERT_EQ(parse("{\"command\":\"history\"}", &cmd, &why), ERR_PROTO);
    ASSERT_STR_EQ(why, "identifier must be a string");
    ASSERT_EQ(parse("{\"command\":\"ping\"}", &cmd, &why), ERR_PROTO);
    ASSERT_STR_EQ(why, "unknown command");
}

static int history(const char *json, const char *stream, cable_history_req_t *req, const char **why)
{
    json_t *h = json_loads(json, JSON_DECODE_ANY, NULL);
    *why = NULL;
    int rc = cable_history_parse(h, stream, req, why);
    json_decref(h);
    return rc;
}

TEST(cable_ext_history_requests)
{
    cable_history_req_t r;
    const char *why;
    ASSERT_EQ(
        history("{\"since\":1796177161,\"streams\":{\"room/1\":{\"epoch\":\"ep1\",\"offset\":2},"
                "\"other\":{\"epoch\":\"x\",\"offset\":9}}}",
                "room/1", &r, &why),
        0);
    ASSERT_EQ(r.since, 1796177161);
    ASSERT_EQ(r.has_position, 1);
    ASSERT_STR_EQ(r.epoch, "ep1");
    ASSERT_EQ(r.offset, 2);
    ASSERT_EQ(history("{\"since\":12.9,\"streams\":{}}", "s", &r, &why), 0);
    ASSERT_EQ(r.since, 12);
    ASSERT_EQ(r.has_position, 0);
    /* Positions for other streams only: a valid request, nothing for this one. */
    ASSERT_EQ(history("{\"streams\":{\"b\":{\"epoch\":\"e\",\"offset\":0}}}", "a", &r, &why), 0);
    ASSERT_EQ(r.since, 0);
    ASSERT_EQ(r.has_position, 0);

    static const struct {
        const char *json, *why;
    } bad[] = {
        {"[]", "history must be an object"},
        {"{}", "history asks for nothing"},
        {"{\"since\":0,\"streams\":{}}", "history asks for nothing"},
        {"{\"since\":-1}", "since must be a number"},
        {"{\"since\":\"1\"}", "since must be a number"},
        {"{\"since\":1e300}", "since must be a number"},
        {"{\"streams\":[]}", "streams must be an object"},
        {"{\"streams\":{\"a\":{\"epoch\":\"e\",\"offset\":-1}}}", "bad stream position"},
        {"{\"streams\":{\"a\":{\"epoch\":\"e\",\"offset\":1.5}}}", "bad stream position"},
        {"{\"streams\":{\"a\":{\"epoch\":\"\",\"offset\":1}}}", "bad stream position"},
        {"{\"streams\":{\"a\":{\"epoch\":\"e e\",\"offset\":1}}}", "bad stream position"},
        {"{\"streams\":{\"a\":{\"epoch\":\"123456789012345678901234567890123\",\"offset\":1}}}",
         "bad stream position"},
        {"{\"streams\":{\"a\":{\"offset\":1}}}", "bad stream position"},
        {"{\"streams\":{\"a\":1}}", "bad stream position"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.since = 99;
        if (history(bad[i].json, "a", &r, &why) != ERR_PROTO)
            TEST_FAIL_("accepted %s", bad[i].json);
        ASSERT_STR_EQ(why, bad[i].why);
        ASSERT_EQ(r.since, 0);
    }
}

TEST(cable_ext_frames)
{
    buf_t b = BUF_INIT;
    const char *ids[] = {"{\"channel\":\"A\"}", "B"};
    size_t lens[] = {15, 1};
    cable_ext_append_welcome(&b, "sid", ids, lens, 2);
    ASSERT_STR_EQ(text(&b), "{\"type\":\"welcome\",\"sid\":\"sid\",\"restored\":true,"
                            "\"restored_ids\":[\"{\\\"channel\\\":\\\"A\\\"}\",\"B\"]}");
    buf_reset(&b);
    cable_ext_append_welcome(&b, "sid", NULL, NULL, 0);
    ASSERT_STR_EQ(text(&b),
                  "{\"type\":\"welcome\",\"sid\":\"sid\",\"restored\":true,\"restored_ids\":[]}");
    buf_reset(&b);
    cable_ext_append_message(&b, "I", 1, "{\"n\":1}", 7, "s<1>", 4, "ep", 43);
    ASSERT_STR_EQ(text(&b), "{\"identifier\":\"I\",\"message\":{\"n\":1},"
                            "\"stream_id\":\"s\\u003c1\\u003e\",\"epoch\":\"ep\",\"offset\":43}");
    buf_reset(&b);
    cable_ext_append_confirm_history(&b, "I", 1);
    ASSERT_STR_EQ(text(&b), "{\"identifier\":\"I\",\"type\":\"confirm_history\"}");
    buf_reset(&b);
    cable_ext_append_reject_history(&b, "I", 1, "s");
    ASSERT_STR_EQ(text(&b),
                  "{\"identifier\":\"I\",\"type\":\"reject_history\",\"streams\":[\"s\"]}");
    buf_reset(&b);
    cable_ext_append_presence(&b, "I", 1, "{\"type\":\"leave\",\"id\":\"4\"}", 25);
    ASSERT_STR_EQ(text(&b), "{\"type\":\"presence\",\"identifier\":\"I\","
                            "\"message\":{\"type\":\"leave\",\"id\":\"4\"}}");
    buf_reset(&b);
    cable_ext_append_reject_whisper(&b, "I", 1, "rate_limited");
    ASSERT_STR_EQ(text(&b),
                  "{\"identifier\":\"I\",\"type\":\"reject_whisper\",\"reason\":\"rate_limited\"}");
    buf_reset(&b);
    cable_ext_append_token_refreshed(&b, 1700000000);
    ASSERT_STR_EQ(text(&b), "{\"type\":\"token_refreshed\",\"exp\":1700000000}");
    buf_reset(&b);
    cable_ext_append_token_refresh_rejected(&b, "expired");
    ASSERT_STR_EQ(text(&b), "{\"type\":\"token_refresh_rejected\",\"reason\":\"expired\"}");
    buf_deinit(&b);
}

/* A history of offsets first..last (kept), one per second from time 100. */
static state_history_t kept(uint64_t first, uint64_t last, int64_t lost_time, state_entry_t *e)
{
    state_history_t h = {.last = last, .lost_time = lost_time, .entries = e};
    snprintf(h.epoch, sizeof h.epoch, "ep");
    for (uint64_t o = first; first && o <= last; o++)
        e[h.count++] = (state_entry_t){o, 100 + (int64_t)o, NULL};
    return h;
}

TEST(cable_ext_history_select)
{
    state_entry_t e[16];
    size_t from;
    cable_history_req_t at3 = {.has_position = 1, .epoch = "ep", .offset = 3};
    /* Kept 3..8: everything after 3 is there. */
    state_history_t h = kept(3, 8, 0, e);
    ASSERT_EQ(cable__history_select(&h, &at3, &from), 1);
    ASSERT_EQ(from, 1);
    /* Kept 4..8: the client has 3, nothing is missing (not a gap). */
    h = kept(4, 8, 104, e);
    ASSERT_EQ(cable__history_select(&h, &at3, &from), 1);
    ASSERT_EQ(from, 0);
    /* Kept 5..8: 4 is gone. */
    h = kept(5, 8, 105, e);
    ASSERT_EQ(cable__history_select(&h, &at3, &from), 0);
    /* Nothing kept, newest 3: up to date. Newest 8: all gone. */
    h = kept(0, 3, 103, e);
    ASSERT_EQ(cable__history_select(&h, &at3, &from), 1);
    ASSERT_EQ(from, 0);
    h = kept(0, 8, 108, e);
    ASSERT_EQ(cable__history_select(&h, &at3, &from), 0);
    /* Another epoch, an unknown stream, an offset from the future, a
     * history that could not be read. */
    h = kept(1, 8, 0, e);
    cable_history_req_t other = at3;
    snprintf(other.epoch, sizeof other.epoch, "old");
    ASSERT_EQ(cable__history_select(&h, &other, &from), 0);
    cable_history_req_t future = at3;
    future.offset = 9;
    ASSERT_EQ(cable__history_select(&h, &future, &from), 0);
    state_history_t unknown = {0};
    ASSERT_EQ(cable__history_select(&unknown, &at3, &from), 0);
    h.status = ERR_CLOSED;
    ASSERT_EQ(cable__history_select(&h, &at3, &from), 0);

    /* By time: entries at or after 'since', unless something at or after
     * it was lost. */
    cable_history_req_t since = {.since = 105};
    h = kept(1, 8, 0, e);
    ASSERT_EQ(cable__history_select(&h, &since, &from), 1);
    ASSERT_EQ(from, 4);
    h = kept(3, 8, 102, e);
    ASSERT_EQ(cable__history_select(&h, &since, &from), 1);
    ASSERT_EQ(from, 2);
    h = kept(6, 8, 105, e);
    ASSERT_EQ(cable__history_select(&h, &since, &from), 0);
    ASSERT_EQ(cable__history_select(&unknown, &since, &from), 1);
    ASSERT_EQ(from, 0);
    /* Nothing asked of this stream: nothing to send. */
    cable_history_req_t none = {0};
    h = kept(1, 8, 0, e);
    ASSERT_EQ(cable__history_select(&h, &none, &from), 1);
    ASSERT_EQ(from, h.count);
}
