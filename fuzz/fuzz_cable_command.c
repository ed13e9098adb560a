/* fuzz/fuzz_cable_command: one client text message through cable/protocol
 * and core/json.
 *
 * Invariants checked (abort on violation):
 *   - a parsed command's confirm and message frames are valid JSON, already
 *     compact (compacting them again gives the same bytes), and decode to the
 *     client's identifier byte for byte;
 *   - json_append_compact is idempotent: compacting its output again gives
 *     the same bytes;
 *   - spans returned by json_span_member / json_span_next are themselves
 *     valid JSON of the kind json_span_kind reports;
 *   - json_decode agrees with jansson wherever jansson decodes, and decodes
 *     beyond it only input the scanner finds valid (numbers jansson refuses);
 *   - an extended command's parts hold: a whisper's data is compact JSON, a
 *     history request either parses into a valid position (an epoch of
 *     URL-safe characters, since >= 0) or is refused with a reason and a
 *     zeroed request, and every extended frame built from the command is
 *     valid compact JSON naming its identifier. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cable/ext_protocol.h"
#include "cable/protocol.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

/* 'frame' must be valid, compact JSON whose "identifier" member is the
 * string 'id'. The member is picked out as raw text and only that string is
 * decoded with jansson: the rest of a message frame may hold numbers jansson
 * refuses (12345678901234567000). */
static void check_frame(const buf_t *frame, const char *id, size_t id_len)
{
    buf_t again = BUF_INIT;
    CHECK(json_append_compact(&again, buf_head(frame), frame->len) == 0);
    CHECK(again.len == frame->len && memcmp(buf_head(&again), buf_head(frame), frame->len) == 0);
    buf_deinit(&again);

    json_span_t span;
    CHECK(json_span_member(buf_head(frame), frame->len, "identifier", &span) == 1);
    CHECK(json_span_kind(span) == 's');
    json_t *got = json_loadb(span.p, span.len, JSON_DECODE_ANY, NULL);
    CHECK(json_is_string(got));
    CHECK(json_string_length(got) == id_len && memcmp(json_string_value(got), id, id_len) == 0);
    json_decref(got);
}

static void check_span(json_span_t s)
{
    buf_t b = BUF_INIT;
    CHECK(json_append_compact(&b, s.p, s.len) == 0);
    CHECK(json_span_kind(s) != 0);
    buf_deinit(&b);
}

static void fuzz_extended(const cable_command_t *cmd)
{
    if (cmd->type == CABLE_CMD_WHISPER) {
        CHECK(cmd->data != NULL);
        buf_t again = BUF_INIT;
        CHECK(json_append_compact(&again, cmd->data, cmd->data_len) == 0);
        CHECK(again.len == cmd->data_len && memcmp(buf_head(&again), cmd->data, again.len) == 0);
        buf_deinit(&again);
    }
    if (cmd->history) {
        static const cable_history_req_t zero;
        cable_history_req_t req;
        const char *why = NULL;
        /* The identifier stands in for a stream name: any string will do. */
        int rc = cable_history_parse(cmd->history, cmd->identifier, &req, &why);
        if (rc != 0) {
            CHECK(rc == ERR_PROTO && why != NULL);
            CHECK(memcmp(&req, &zero, sizeof req) == 0);
        } else {
            CHECK(req.since >= 0);
            if (req.has_position) CHECK(cable_epoch_valid(req.epoch, strlen(req.epoch)));
            else CHECK(req.epoch[0] == '\0' && req.offset == 0);
        }
    }
    if (!cmd->identifier) return;
    buf_t frame = BUF_INIT;
    cable_ext_append_reject_history(&frame, cmd->identifier, cmd->identifier_len, cmd->identifier);
    check_frame(&frame, cmd->identifier, cmd->identifier_len);
    buf_reset(&frame);
    cable_ext_append_presence(&frame, cmd->identifier, cmd->identifier_len, "{\"type\":\"error\"}",
                              16);
    check_frame(&frame, cmd->identifier, cmd->identifier_len);
    if (cmd->data && cmd->type == CABLE_CMD_WHISPER) {
        buf_reset(&frame);
        cable_ext_append_message(&frame, cmd->identifier, cmd->identifier_len, cmd->data,
                                 cmd->data_len, cmd->identifier, cmd->identifier_len, "ep", 1);
        check_frame(&frame, cmd->identifier, cmd->identifier_len);
    }
    buf_deinit(&frame);
}

static void fuzz_protocol(const char *in, size_t len)
{
    cable_command_t cmd;
    const char *why = NULL;
    if (cable_command_parse(in, len, &cmd, &why) != 0) {
        CHECK(why != NULL);
        CHECK(cmd.identifier == NULL && cmd.data == NULL && cmd.history == NULL &&
              cmd.token == NULL);
        return;
    }
    CHECK(cmd.type >= CABLE_CMD_SUBSCRIBE && cmd.type <= CABLE_CMD_REFRESH_TOKEN);
    fuzz_extended(&cmd);
    if (cmd.type == CABLE_CMD_PONG || cmd.type == CABLE_CMD_REFRESH_TOKEN) {
        CHECK(cmd.identifier == NULL);
        CHECK((cmd.type == CABLE_CMD_REFRESH_TOKEN) == (cmd.token != NULL));
        cable_command_deinit(&cmd);
        return;
    }
    CHECK(cmd.identifier != NULL && cmd.identifier[cmd.identifier_len] == '\0');
    CHECK(memchr(cmd.identifier, '\0', cmd.identifier_len) == NULL);

    buf_t frame = BUF_INIT;
    cable_append_confirm(&frame, cmd.identifier, cmd.identifier_len);
    check_frame(&frame, cmd.identifier, cmd.identifier_len);

    /* Frame the identifier's own compact form as a message, when it is JSON. */
    buf_t msg = BUF_INIT;
    if (json_append_compact(&msg, cmd.identifier, cmd.identifier_len) != 0) buf_puts(&msg, "null");
    buf_reset(&frame);
    cable_append_message(&frame, cmd.identifier, cmd.identifier_len, buf_head(&msg), msg.len);
    check_frame(&frame, cmd.identifier, cmd.identifier_len);
    json_span_t span;
    CHECK(json_span_member(buf_head(&frame), frame.len, "message", &span) == 1);
    CHECK(span.len == msg.len && memcmp(span.p, buf_head(&msg), msg.len) == 0);
    buf_deinit(&msg);
    buf_deinit(&frame);

    why = NULL;
    json_t *params = cable_identifier_parse(cmd.identifier, cmd.identifier_len, &why);
    if (params) {
        long long id = 0;
        int rc = cable_param_id(params, "community_member_id", &id);
        CHECK(rc == -1 || rc == 0 || (rc == 1 && id > 0));
        rc = cable_param_id(params, "chat_room_id", &id);
        CHECK(rc == -1 || rc == 0 || (rc == 1 && id > 0));
        json_decref(params);
    } else {
        CHECK(why != NULL);
    }

    if (cmd.data) {
        const char *action = NULL;
        why = NULL;
        json_t *data = cable_data_parse(cmd.data, cmd.data_len, &action, &why);
        if (data) {
            CHECK(action == NULL || action[0] != '\0');
            json_decref(data);
        } else {
            CHECK(why != NULL && action == NULL);
        }
    }
    cable_command_deinit(&cmd);
}

static void fuzz_json(const char *in, size_t len)
{
    buf_t once = BUF_INIT, twice = BUF_INIT;
    int rc = json_append_compact(&once, in, len);
    if (rc == 0) {
        CHECK(json_append_compact(&twice, buf_head(&once), once.len) == 0);
        CHECK(twice.len == once.len && memcmp(buf_head(&twice), buf_head(&once), once.len) == 0);
    } else {
        CHECK(once.len == 0);
    }
    buf_deinit(&once);
    buf_deinit(&twice);

    json_span_t s;
    int found = json_span_member(in, len, "command", &s);
    CHECK(found == 1 || found == 0 || found < 0);
    CHECK((found < 0) == (rc < 0));
    if (found == 1) check_span(s);

    size_t pos = 0;
    int n = 0;
    while ((found = json_span_next(in, len, &pos, &s)) == 1) {
        CHECK(rc == 0);
        check_span(s);
        CHECK(++n <= (int)len);
    }
    CHECK(pos <= len);
}

static void fuzz_decode(const char *in, size_t len)
{
    const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
    json_t *plain = json_loadb(in, len, flags, NULL);
    json_t *wide = json_decode(in, len, flags);
    if (plain) {
        CHECK(wide != NULL && json_equal(plain, wide));
    } else if (wide) {
        buf_t b = BUF_INIT;
        CHECK(json_append_compact(&b, in, len) == 0);
        buf_deinit(&b);
    }
    if (wide) {
        /* Whatever was decoded encodes back to valid JSON. */
        buf_t b = BUF_INIT, c = BUF_INIT;
        json_append_value(&b, wide);
        CHECK(json_append_compact(&c, buf_head(&b), b.len) == 0);
        buf_deinit(&b);
        buf_deinit(&c);
    }
    json_decref(plain);
    json_decref(wide);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_protocol((const char *)data, size);
    fuzz_json((const char *)data, size);
    fuzz_decode((const char *)data, size);
    return 0;
}
