/* cable/protocol: the Action Cable wire format, bytes <-> commands.
 *
 * Pure code, no sockets and no logging. A client text message is one JSON
 * object, {"command":"subscribe"|"unsubscribe"|"message","identifier":"<JSON
 * string>","data":"<JSON string>"}, or one of the extended protocol's
 * commands (actioncable-v1-ext-json, cable/ext_protocol.h says what they
 * carry): history, whisper, join, leave, presence, pong, refresh_token.
 * cable_command_parse checks its shape and
 * hands back the identifier exactly as the client wrote it (decoded from its
 * JSON string form, but never re-parsed or normalised): Action Cable compares
 * identifiers as raw strings and echoes them byte for byte, spacing and key
 * order included. The identifier's and the data's inner JSON are parsed
 * separately, on demand, by cable_identifier_parse and cable_data_parse.
 *
 * The cable_append_* functions write the server's messages with Action
 * Cable's key order and escaping (core/json.h), so the frames match a Rails
 * server's byte for byte, except that our welcome carries a "sid".
 *
 * Reasons returned through 'why' are static strings, fit for a log line. */
#ifndef CABLE_PROTOCOL_H
#define CABLE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"

enum cable_command_type {
    CABLE_CMD_SUBSCRIBE = 1,
    CABLE_CMD_UNSUBSCRIBE,
    CABLE_CMD_MESSAGE,
    /* The extended protocol's; a plain connection treats them as unknown. */
    CABLE_CMD_HISTORY,
    CABLE_CMD_WHISPER,
    CABLE_CMD_JOIN,
    CABLE_CMD_LEAVE,
    CABLE_CMD_PRESENCE,
    CABLE_CMD_PONG,          /* no identifier */
    CABLE_CMD_REFRESH_TOKEN, /* no identifier */
};

/* One parsed client command. Plain data; release with cable_command_deinit. */
typedef struct cable_command {
    int type;              /* enum cable_command_type */
    char *identifier;      /* owned, the client's exact string, NUL-terminated, no inner NUL;
                              NULL for PONG and REFRESH_TOKEN */
    size_t identifier_len; /* bytes in 'identifier' */
    char *data;            /* owned, NUL-terminated; MESSAGE: the data string; WHISPER: the
                              data value as compact JSON; NULL when absent */
    size_t data_len;       /* bytes in 'data' (may contain NUL bytes) */
    json_t *history;       /* owned; SUBSCRIBE, HISTORY: the "history" member, NULL when absent
                              or null (cable_history_parse reads it) */
    int presence;          /* SUBSCRIBE, JOIN: a "presence" member is present (its content is
                              never used: the server knows who the member is); PRESENCE: the
                              records are wanted (data.return_records is not false) */
    char *token;           /* owned; REFRESH_TOKEN: the new access token (a string) */
} cable_command_t;

/* Parse one client text message 'msg' (borrowed, 'len' bytes). Returns 0 and
 * fills *cmd, which the caller releases with cable_command_deinit; or
 * ERR_JSON with *why = "invalid JSON" (this includes an empty message), or
 * ERR_PROTO with *why one of:
 *   "not an object"                 the message is JSON but not an object;
 *   "missing command"               no "command", or it is null (the seed's
 *                                   {"action":"message","data":"Hello Server!"});
 *   "unknown command"               "command" is not one of the ten strings;
 *   "identifier must be a string"   "identifier" absent or not a string
 *                                   (every command but pong and refresh_token);
 *   "identifier contains NUL"       the identifier string holds a U+0000;
 *   "data must be a string"         a message whose "data" is present, not
 *                                   null, and not a string;
 *   "whisper without data"          a whisper with no "data" (or null);
 *   "token must be a string"        a refresh_token without a non-empty string
 *                                   "token".
 * On error *cmd is zeroed and needs no deinit. Duplicate members: the last
 * one wins, as in Ruby. */
int cable_command_parse(const char *msg, size_t len, cable_command_t *cmd, const char **why);

/* Free what *cmd owns and zero it. Safe on a zeroed command. */
void cable_command_deinit(cable_command_t *cmd);

/* Parse an identifier string (borrowed) as JSON. It must be an object with a
 * string "channel". Returns owned json_t* (release with json_decref), or NULL
 * with *why = "identifier is not valid JSON", "identifier is not an object"
 * or "channel must be a string". */
json_t *cable_identifier_parse(const char *identifier, size_t len, const char **why);

/* Read the positive integer id 'key' from 'params' (borrowed object, for
 * instance the parsed identifier). It may be a JSON integer (12) or a string
 * of decimal digits ("12"; leading zeros allowed, no sign or spaces). Returns
 * 1 and sets *out when present and valid; 0 when absent or null; -1 when
 * present but not a positive integer that fits in a long long (0, -1, 1.5,
 * "x", "", true, ...). */
int cable_param_id(const json_t *params, const char *key, long long *out);

/* Parse the 'data' string (borrowed) of a message command: it must be a JSON
 * object. Returns owned json_t* (json_decref) and sets *action to its
 * "action" member (borrowed from the returned object, valid while it lives),
 * or to NULL when "action" is absent, null or "" (Action Cable then calls
 * receive). Returns NULL with *why = "data is not valid JSON", "data is not
 * an object" or "action must be a string". */
json_t *cable_data_parse(const char *data, size_t len, const char **action, const char **why);

/* Server messages. Each appends to 'out' the exact bytes Action Cable sends;
 * string arguments are borrowed and must be valid UTF-8.
 *   {"type":"welcome","sid":"<sid>"}
 *   {"type":"ping","message":<unix_s>}
 *   {"identifier":"<identifier>","type":"confirm_subscription"}
 *   {"identifier":"<identifier>","type":"reject_subscription"}
 *   {"type":"disconnect","reason":"<reason>","reconnect":true|false}
 *   {"identifier":"<identifier>","message":<message_json>}
 * cable_append_message copies 'message_json' verbatim: the caller passes
 * compact, valid JSON (json_append_compact output). */
void cable_append_welcome(buf_t *out, const char *sid);
void cable_append_ping(buf_t *out, int64_t unix_s);
void cable_append_confirm(buf_t *out, const char *identifier, size_t len);
void cable_append_reject(buf_t *out, const char *identifier, size_t len);
void cable_append_disconnect(buf_t *out, const char *reason, int reconnect);
void cable_append_message(buf_t *out, const char *identifier, size_t id_len,
                          const char *message_json, size_t message_len);

#endif
