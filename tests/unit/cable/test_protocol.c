/* tests/unit/cable/test_protocol.c: Action Cable commands and frames
 * (cable/protocol). The expected frames are the bytes captured from a Rails
 * 6.1 server (reference §(b), §(d), §(f), §(h), §(i), §(k), §(m)). */
#include "test.h"

#include "cable/protocol.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

static const char *cstr(buf_t *b)
{
    buf_append(b, "", 1);
    b->len--;
    return buf_head(b);
}

/* Parse a whole message given as a C string. */
static int parse(const char *msg, cable_command_t *cmd, const char **why)
{
    *why = NULL;
    /* Exact-size copy, so ASan sees any read past the end. */
    size_t len = strlen(msg);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, msg, len);
    int rc = cable_command_parse(copy, len, cmd, why);
    free(copy);
    return rc;
}

/* §(b): subscribe with 'command', expect the confirm frame 'frame' of 'len'
 * bytes (0: strlen(frame)). Returns a description of the failure or NULL. */
static const char *check_confirm(const char *command, const char *identifier, const char *frame,
                                 size_t len)
{
    static char msg[256];
    cable_command_t cmd;
    const char *why;
    if (parse(command, &cmd, &why) != 0) return why;
    if (cmd.type != CABLE_CMD_SUBSCRIBE) return "type";
    if (strcmp(cmd.identifier, identifier) != 0 || cmd.identifier_len != strlen(identifier))
        return "identifier";
    if (cmd.data != NULL) return "data";
    buf_t b = BUF_INIT;
    cable_append_confirm(&b, cmd.identifier, cmd.identifier_len);
    const char *got = cstr(&b);
    const char *fail = NULL;
    if (len == 0) len = strlen(frame);
    if (b.len != len || strcmp(got, frame) != 0) {
        snprintf(msg, sizeof msg, "got %zu bytes: %s", b.len, got);
        fail = msg;
    }
    buf_deinit(&b);
    cable_command_deinit(&cmd);
    return fail;
}

TEST(cable_protocol_confirm_channels)
{
    const char *fail;
    fail = check_confirm(
        "{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":\\\"NotificationChannel\\\","
        "\\\"community_member_id\\\":1}\"}",
        "{\"channel\":\"NotificationChannel\",\"community_member_id\":1}",
        "{\"identifier\":\"{\\\"channel\\\":\\\"NotificationChannel\\\","
        "\\\"community_member_id\\\":1}\",\"type\":\"confirm_subscription\"}",
        110);
    if (fail) TEST_FAIL_("NotificationChannel: %s", fail);
    fail = check_confirm(
        "{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":\\\"ChatRoomChannel\\\","
        "\\\"community_member_id\\\":1}\"}",
        "{\"channel\":\"ChatRoomChannel\",\"community_member_id\":1}",
        "{\"identifier\":\"{\\\"channel\\\":\\\"ChatRoomChannel\\\","
        "\\\"community_member_id\\\":1}\",\"type\":\"confirm_subscription\"}",
        106);
    if (fail) TEST_FAIL_("ChatRoomChannel: %s", fail);
    fail = check_confirm(
        "{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":\\\"Chats::RoomChannel\\\","
        "\\\"chat_room_id\\\":42}\"}",
        "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":42}",
        "{\"identifier\":\"{\\\"channel\\\":\\\"Chats::RoomChannel\\\",\\\"chat_room_id\\\":42}\","
        "\"type\":\"confirm_subscription\"}",
        103);
    if (fail) TEST_FAIL_("Chats::RoomChannel: %s", fail);
    fail = check_confirm(
        "{\"command\":\"subscribe\",\"identifier\":"
        "\"{\\\"channel\\\":\\\"Chats::CommunityMemberThreadsChannel\\\","
        "\\\"community_member_id\\\":1}\"}",
        "{\"channel\":\"Chats::CommunityMemberThreadsChannel\",\"community_member_id\":1}",
        "{\"identifier\":\"{\\\"channel\\\":\\\"Chats::CommunityMemberThreadsChannel\\\","
        "\\\"community_member_id\\\":1}\",\"type\":\"confirm_subscription\"}",
        127);
    if (fail) TEST_FAIL_("Chats::CommunityMemberThreadsChannel: %s", fail);
}

TEST(cable_protocol_confirm_echoes_spacing)
{
    const char *fail = check_confirm(
        "{\"command\":\"subscribe\",\"identifier\":\"{ \\\"community_member_id\\\" : 1 , "
        "\\\"channel\\\":\\\"NotificationChannel\\\" }\"}",
        "{ \"community_member_id\" : 1 , \"channel\":\"NotificationChannel\" }",
        "{\"identifier\":\"{ \\\"community_member_id\\\" : 1 , "
        "\\\"channel\\\":\\\"NotificationChannel\\\" }\","
        "\"type\":\"confirm_subscription\"}",
        0);
    if (fail) TEST_FAIL_("%s", fail);
    /* Escapes the client used inside the identifier string are decoded; the
     * echo is Action Cable's own escaping of the same characters. */
    fail = check_confirm("{\"identifier\":\"{\\\"channel\\\":\\u0022Notification\\/Channel\\\"}\","
                         "\"command\":\"subscribe\"}",
                         "{\"channel\":\"Notification/Channel\"}",
                         "{\"identifier\":\"{\\\"channel\\\":\\\"Notification/Channel\\\"}\","
                         "\"type\":\"confirm_subscription\"}",
                         0);
    if (fail) TEST_FAIL_("%s", fail);
}

TEST(cable_protocol_reject_frame)
{
    buf_t b = BUF_INIT;
    const char *id = "{\"channel\":\"NotificationChannel\",\"community_member_id\":2}";
    cable_append_reject(&b, id, strlen(id));
    ASSERT_STR_EQ(cstr(&b), "{\"identifier\":\"{\\\"channel\\\":\\\"NotificationChannel\\\","
                            "\\\"community_member_id\\\":2}\","
                            "\"type\":\"reject_subscription\"}");
    ASSERT_EQ(b.len, 109);
    buf_deinit(&b);
}

TEST(cable_protocol_welcome_ping_disconnect)
{
    buf_t b = BUF_INIT;
    cable_append_welcome(&b, "JnehncGjAQuLBIBoImSMk");
    ASSERT_STR_EQ(cstr(&b), "{\"type\":\"welcome\",\"sid\":\"JnehncGjAQuLBIBoImSMk\"}");
    buf_reset(&b);
    cable_append_ping(&b, 1795592177);
    ASSERT_STR_EQ(cstr(&b), "{\"type\":\"ping\",\"message\":1795592177}");
    ASSERT_EQ(b.len, 36);
    buf_reset(&b);
    cable_append_ping(&b, 1729855056);
    ASSERT_STR_EQ(cstr(&b), "{\"type\":\"ping\",\"message\":1729855056}");
    buf_reset(&b);
    cable_append_disconnect(&b, "unauthorized", 0);
    ASSERT_STR_EQ(cstr(&b),
                  "{\"type\":\"disconnect\",\"reason\":\"unauthorized\",\"reconnect\":false}");
    ASSERT_EQ(b.len, 63);
    buf_reset(&b);
    cable_append_disconnect(&b, "server_restart", 1);
    ASSERT_STR_EQ(cstr(&b),
                  "{\"type\":\"disconnect\",\"reason\":\"server_restart\",\"reconnect\":true}");
    ASSERT_EQ(b.len, 64);
    buf_reset(&b);
    cable_append_disconnect(&b, "remote", 1);
    ASSERT_STR_EQ(cstr(&b), "{\"type\":\"disconnect\",\"reason\":\"remote\",\"reconnect\":true}");
    buf_deinit(&b);
}

/* §(k): compact the publisher's payload, then frame it. */
static const char *message_frame(buf_t *b, const char *id, const char *payload)
{
    buf_t m = BUF_INIT;
    buf_reset(b);
    if (json_append_compact(&m, payload, strlen(payload)) != 0) {
        buf_deinit(&m);
        return "(invalid payload)";
    }
    cable_append_message(b, id, strlen(id), buf_head(&m), m.len);
    buf_deinit(&m);
    return cstr(b);
}

/* The start of a frame for the NotificationChannel and Chats::RoomChannel
 * identifiers of §(k). */
#define NC_HEAD                                                                                    \
    "{\"identifier\":\"{\\\"channel\\\":\\\"NotificationChannel\\\","                              \
    "\\\"community_member_id\\\":1}\","
#define RC_HEAD                                                                                    \
    "{\"identifier\":\"{\\\"channel\\\":\\\"Chats::RoomChannel\\\",\\\"chat_room_id\\\":42}\","

TEST(cable_protocol_broadcast_frames)
{
    buf_t b = BUF_INIT;
    const char *nc = "{\"channel\":\"NotificationChannel\",\"community_member_id\":1}";
    const char *rc = "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":42}";
    ASSERT_STR_EQ(message_frame(&b, nc,
                                "{\"event\":\"newNotification\","
                                "\"data\":{\"id\":7,\"title\":\"Hi\"}}"),
                  NC_HEAD "\"message\":{\"event\":\"newNotification\","
                          "\"data\":{\"id\":7,\"title\":\"Hi\"}}}");
    ASSERT_STR_EQ(message_frame(&b, rc,
                                "{\"event\":\"newMessage\",\"data\":{\"body\":"
                                "\"<b>x</b> & \\\"q\\\" é 😀 \xe2\x80\xa8\",\"n\":1.5,"
                                "\"big\":12345678901234567000,\"nil\":null,\"arr\":[1,\"a\"]}}"),
                  RC_HEAD "\"message\":{\"event\":\"newMessage\",\"data\":{\"body\":"
                          "\"\\u003cb\\u003ex\\u003c/b\\u003e \\u0026 \\\"q\\\" é 😀 \\u2028\","
                          "\"n\":1.5,\"big\":12345678901234567000,\"nil\":null,"
                          "\"arr\":[1,\"a\"]}}}");
    ASSERT_STR_EQ(message_frame(&b, nc, "\"plain string\""),
                  NC_HEAD "\"message\":\"plain string\"}");
    ASSERT_STR_EQ(message_frame(&b, nc, "42"), NC_HEAD "\"message\":42}");
    ASSERT_STR_EQ(message_frame(&b, nc, "null"), NC_HEAD "\"message\":null}");
    ASSERT_STR_EQ(message_frame(&b, nc, "[1, 2]"), NC_HEAD "\"message\":[1,2]}");
    /* §(f), a channel transmit. */
    ASSERT_STR_EQ(message_frame(&b, rc, "{\"action\":\"echo\",\"text\":\"héllo <b>&\"}"),
                  RC_HEAD "\"message\":{\"action\":\"echo\","
                          "\"text\":\"héllo \\u003cb\\u003e\\u0026\"}}");
    buf_deinit(&b);
}

TEST(cable_protocol_parse_commands)
{
    cable_command_t cmd;
    const char *why;
    ASSERT_EQ(parse("{\"command\":\"unsubscribe\",\"identifier\":\"{\\\"channel\\\":\\\"X\\\"}\"}",
                    &cmd, &why),
              0);
    ASSERT_EQ(cmd.type, CABLE_CMD_UNSUBSCRIBE);
    ASSERT_STR_EQ(cmd.identifier, "{\"channel\":\"X\"}");
    ASSERT_NULL(cmd.data);
    cable_command_deinit(&cmd);
    ASSERT_NULL(cmd.identifier);

    ASSERT_EQ(parse("{\"command\":\"message\",\"identifier\":\"{\\\"channel\\\":\\\"X\\\"}\","
                    "\"data\":\"{\\\"action\\\":\\\"foo\\\",\\\"body\\\":\\\"a\\\\u0000b\\\"}\"}",
                    &cmd, &why),
              0);
    ASSERT_EQ(cmd.type, CABLE_CMD_MESSAGE);
    ASSERT_STR_EQ(cmd.data, "{\"action\":\"foo\",\"body\":\"a\\u0000b\"}");
    ASSERT_EQ(cmd.data_len, strlen(cmd.data));
    cable_command_deinit(&cmd);

    /* A message without data (Action Cable logs a TypeError later). */
    ASSERT_EQ(parse("{\"command\":\"message\",\"identifier\":\"x\"}", &cmd, &why), 0);
    ASSERT_NULL(cmd.data);
    cable_command_deinit(&cmd);
    ASSERT_EQ(parse("{\"command\":\"message\",\"identifier\":\"x\",\"data\":null}", &cmd, &why), 0);
    ASSERT_NULL(cmd.data);
    cable_command_deinit(&cmd);

    /* Data on a subscribe is ignored, whatever its type. */
    ASSERT_EQ(parse("{\"command\":\"subscribe\",\"identifier\":\"x\",\"data\":{}}", &cmd, &why), 0);
    ASSERT_NULL(cmd.data);
    cable_command_deinit(&cmd);

    /* The last duplicate wins, as with Ruby's JSON.parse. */
    ASSERT_EQ(parse("{\"command\":\"frobnicate\",\"identifier\":\"a\",\"command\":\"subscribe\","
                    "\"identifier\":\"b\"}",
                    &cmd, &why),
              0);
    ASSERT_EQ(cmd.type, CABLE_CMD_SUBSCRIBE);
    ASSERT_STR_EQ(cmd.identifier, "b");
    cable_command_deinit(&cmd);

    /* Other members are ignored, and the empty identifier is still a string. */
    ASSERT_EQ(parse(" {\"x\":[1],\"identifier\":\"\",\"command\":\"subscribe\"} ", &cmd, &why), 0);
    ASSERT_EQ(cmd.identifier_len, 0);
    ASSERT_STR_EQ(cmd.identifier, "");
    cable_command_deinit(&cmd);
}

TEST(cable_protocol_parse_malformed)
{
    static const struct {
        const char *msg;
        int rc;
        const char *why;
    } rows[] = {
        /* §(h) */
        {"{\"command\":\"subscribe\",", ERR_JSON, "invalid JSON"},
        {"not json at all", ERR_JSON, "invalid JSON"},
        {"", ERR_JSON, "invalid JSON"},
        {"{\"command\":\"frobnicate\",\"identifier\":\"x\"}", ERR_PROTO, "unknown command"},
        {"{\"command\":\"subscribe\"}", ERR_PROTO, "identifier must be a string"},
        {"{\"command\":\"unsubscribe\"}", ERR_PROTO, "identifier must be a string"},
        {"{\"command\":\"message\",\"data\":\"{}\"}", ERR_PROTO, "identifier must be a string"},
        {"[]", ERR_PROTO, "not an object"},
        {"42", ERR_PROTO, "not an object"},
        {"\"str\"", ERR_PROTO, "not an object"},
        /* §(g), the seed's message */
        {"{\"action\":\"message\",\"data\":\"Hello Server!\"}", ERR_PROTO, "missing command"},
        /* §(f), data as an object */
        {"{\"command\":\"message\",\"identifier\":\"x\",\"data\":{\"action\":\"foo\"}}", ERR_PROTO,
         "data must be a string"},
        {"{\"command\":\"message\",\"identifier\":\"x\",\"data\":1}", ERR_PROTO,
         "data must be a string"},
        {"{\"command\":null,\"identifier\":\"x\"}", ERR_PROTO, "missing command"},
        {"{\"command\":1,\"identifier\":\"x\"}", ERR_PROTO, "unknown command"},
        {"{\"command\":\"Subscribe\",\"identifier\":\"x\"}", ERR_PROTO, "unknown command"},
        {"{\"command\":\"subscribe\\u0000\",\"identifier\":\"x\"}", ERR_PROTO, "unknown command"},
        {"{\"command\":\"subscribe\",\"identifier\":{\"channel\":\"X\"}}", ERR_PROTO,
         "identifier must be a string"},
        {"{\"command\":\"subscribe\",\"identifier\":null}", ERR_PROTO,
         "identifier must be a string"},
        {"{\"command\":\"subscribe\",\"identifier\":\"a\\u0000b\"}", ERR_PROTO,
         "identifier contains NUL"},
        {"{\"command\":\"subscribe\",\"identifier\":\"x\"} x", ERR_JSON, "invalid JSON"},
        {"{\"command\":\"subscribe\",\"identifier\":\"\\ud800\"}", ERR_JSON, "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cable_command_t cmd;
        const char *why;
        int rc = parse(rows[i].msg, &cmd, &why);
        if (rc != rows[i].rc || !why || strcmp(why, rows[i].why) != 0)
            TEST_FAIL_("%s: got %d \"%s\", expected %d \"%s\"", rows[i].msg, rc,
                       why ? why : "(null)", rows[i].rc, rows[i].why);
        if (cmd.identifier || cmd.data || cmd.type)
            TEST_FAIL_("%s: command not zeroed", rows[i].msg);
    }
}

TEST(cable_protocol_identifier_parse)
{
    const char *why = NULL;
    const char *id = "{ \"community_member_id\" : 1 , \"channel\":\"NotificationChannel\" }";
    json_t *o = cable_identifier_parse(id, strlen(id), &why);
    ASSERT_NOT_NULL(o);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "channel")), "NotificationChannel");
    long long n = 0;
    ASSERT_EQ(cable_param_id(o, "community_member_id", &n), 1);
    ASSERT_EQ(n, 1);
    json_decref(o);

    static const struct {
        const char *id;
        const char *why;
    } bad[] = {
        {"", "identifier is not valid JSON"},
        {"not json", "identifier is not valid JSON"},
        {"{\"channel\":\"X\"", "identifier is not valid JSON"},
        {"[\"channel\"]", "identifier is not an object"},
        {"\"NotificationChannel\"", "identifier is not an object"},
        {"{}", "channel must be a string"},
        {"{\"community_member_id\":1}", "channel must be a string"},
        {"{\"channel\":1}", "channel must be a string"},
        {"{\"channel\":null}", "channel must be a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        o = cable_identifier_parse(bad[i].id, strlen(bad[i].id), &why);
        if (o || !why || strcmp(why, bad[i].why) != 0)
            TEST_FAIL_("%s: got \"%s\", expected \"%s\"", bad[i].id, why ? why : "(null)",
                       bad[i].why);
    }
}

/* Ruby's JSON reads any number, so Action Cable takes identifiers and
 * commands holding numbers beyond 64 bits; the identifier is echoed from the
 * client's text, and an id too big for us is simply not a valid id. */
TEST(cable_protocol_big_numbers)
{
    const char *why = NULL;
    static const char *const ids[] = {
        "{\"channel\":\"NotificationChannel\",\"n\":12345678901234567890}",
        "{\"channel\":\"NotificationChannel\",\"n\":-1.5E+999,\"m\":[1e400]}",
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        json_t *o = cable_identifier_parse(ids[i], strlen(ids[i]), &why);
        if (!o) TEST_FAIL_("%s: %s", ids[i], why);
        ASSERT_STR_EQ(json_string_value(json_object_get(o, "channel")), "NotificationChannel");
        json_decref(o);
    }
    static const char *const too_big[] = {
        "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":12345678901234567890}",
        "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":9223372036854775808}",
        "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":1e400}",
        "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":-1e400}",
    };
    for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
        json_t *o = cable_identifier_parse(too_big[i], strlen(too_big[i]), &why);
        if (!o) TEST_FAIL_("%s: %s", too_big[i], why);
        long long n = 77;
        int rc = cable_param_id(o, "chat_room_id", &n);
        json_decref(o);
        if (rc != -1 || n != 77) TEST_FAIL_("%s: got %d, id %lld", too_big[i], rc, n);
    }

    cable_command_t cmd;
    const char *id = "{\"channel\":\"NotificationChannel\",\"n\":12345678901234567890}";
    ASSERT_EQ(parse("{\"command\":\"subscribe\",\"x\":12345678901234567890,\"y\":[1e400],"
                    "\"identifier\":\"{\\\"channel\\\":\\\"NotificationChannel\\\",\\\"n\\\":"
                    "12345678901234567890}\"}",
                    &cmd, &why),
              0);
    ASSERT_EQ(cmd.type, CABLE_CMD_SUBSCRIBE);
    ASSERT_STR_EQ(cmd.identifier, id);
    cable_command_deinit(&cmd);

    const char *action = NULL;
    const char *data = "{\"action\":\"go\",\"n\":1e400}";
    json_t *d = cable_data_parse(data, strlen(data), &action, &why);
    ASSERT_NOT_NULL(d);
    ASSERT_STR_EQ(action, "go");
    json_decref(d);
}

TEST(cable_protocol_param_id)
{
    json_t *p = json_loads(
        "{\"one\":1,\"str\":\"1\",\"zero_lead\":\"01\",\"x\":\"x\",\"zero\":0,\"neg\":-1,"
        "\"real\":1.5,\"real_int\":1.0,\"big\":9223372036854775807,"
        "\"big_str\":\"9223372036854775807\",\"over_str\":\"9223372036854775808\","
        "\"empty\":\"\",\"space\":\" 1\",\"plus\":\"+1\",\"neg_str\":\"-1\","
        "\"zero_str\":\"0\",\"bool\":true,\"null\":null,\"arr\":[1],\"nul\":\"1\\u0000\"}",
        JSON_ALLOW_NUL, NULL);
    ASSERT_NOT_NULL(p);
    long long n = 0;
    ASSERT_EQ(cable_param_id(p, "one", &n), 1);
    ASSERT_EQ(n, 1);
    n = 0;
    ASSERT_EQ(cable_param_id(p, "str", &n), 1);
    ASSERT_EQ(n, 1);
    n = 0;
    ASSERT_EQ(cable_param_id(p, "zero_lead", &n), 1);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(cable_param_id(p, "big", &n), 1);
    ASSERT_EQ(n, 9223372036854775807LL);
    n = 0;
    ASSERT_EQ(cable_param_id(p, "big_str", &n), 1);
    ASSERT_EQ(n, 9223372036854775807LL);
    static const char *const invalid[] = {"x",        "zero",  "neg",   "real", "real_int",
                                          "over_str", "empty", "space", "plus", "neg_str",
                                          "zero_str", "bool",  "arr",   "nul"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        n = 77;
        if (cable_param_id(p, invalid[i], &n) != -1 || n != 77)
            TEST_FAIL_("accepted %s", invalid[i]);
    }
    n = 77;
    ASSERT_EQ(cable_param_id(p, "absent", &n), 0);
    ASSERT_EQ(cable_param_id(p, "null", &n), 0);
    ASSERT_EQ(n, 77);
    json_decref(p);
}

TEST(cable_protocol_data_parse)
{
    const char *action = "junk", *why = NULL;
    json_t *d = cable_data_parse("{\"action\":\"foo\",\"body\":\"x\"}", 27, &action, &why);
    ASSERT_NOT_NULL(d);
    ASSERT_STR_EQ(action, "foo");
    json_decref(d);

    static const char *const receive[] = {"{\"body\":\"x\"}", "{}", "{\"action\":\"\"}",
                                          "{\"action\":null}"};
    for (size_t i = 0; i < sizeof receive / sizeof receive[0]; i++) {
        action = "junk";
        d = cable_data_parse(receive[i], strlen(receive[i]), &action, &why);
        if (!d || action != NULL) TEST_FAIL_("%s", receive[i]);
        json_decref(d);
    }

    static const struct {
        const char *data;
        const char *why;
    } bad[] = {
        {"", "data is not valid JSON"},
        {"Hello Server!", "data is not valid JSON"},
        {"[1]", "data is not an object"},
        {"\"foo\"", "data is not an object"},
        {"{\"action\":1}", "action must be a string"},
        {"{\"action\":[\"foo\"]}", "action must be a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        d = cable_data_parse(bad[i].data, strlen(bad[i].data), &action, &why);
        if (d || !why || strcmp(why, bad[i].why) != 0)
            TEST_FAIL_("%s: got \"%s\", expected \"%s\"", bad[i].data, why ? why : "(null)",
                       bad[i].why);
    }
}
