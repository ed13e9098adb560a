/* cable/ext_protocol: what AnyCable's extended Action Cable protocol
 * (subprotocol actioncable-v1-ext-json) adds to the wire, and nothing else.
 * Pure: no sockets, no logging.
 *
 * Client commands (parsed by cable_command_parse, cable/protocol.h):
 *
 *   {"command":"subscribe","identifier":ID,"history":H,"presence":{…}}
 *   {"command":"history","identifier":ID,"history":H}
 *   {"command":"whisper","identifier":ID,"data":<any JSON>}
 *   {"command":"join","identifier":ID,"presence":{…}}     (its id and info are ignored)
 *   {"command":"leave","identifier":ID}
 *   {"command":"presence","identifier":ID,"data":{}}
 *   {"command":"pong"}
 *   {"command":"refresh_token","token":"<access token>"}   (cabled's own,
 * docs/extended-protocol.md)
 *
 * where H = {"since":<unix s>,"streams":{"<stream>":{"epoch":"<e>","offset":<n>},…}}
 * and cable_history_parse reads it for one stream.
 *
 * Server messages (the cable_ext_append_* functions), keys in this order:
 *
 *   {"type":"welcome","sid":S,"restored":true,"restored_ids":[ID,…]}
 *   {"identifier":ID,"message":M,"stream_id":S,"epoch":E,"offset":N}
 *   {"identifier":ID,"type":"confirm_history"}
 *   {"identifier":ID,"type":"reject_history","streams":[S,…]}   streams: what to refetch
 *   {"type":"presence","identifier":ID,"message":M}             M: join / leave / info / error
 *   {"identifier":ID,"type":"reject_whisper","reason":R}
 *   {"type":"token_refreshed","exp":N}
 *   {"type":"token_refresh_rejected","reason":R}
 *
 * A plain actioncable-v1-json connection never gets any of these. */
#ifndef CABLE_EXT_PROTOCOL_H
#define CABLE_EXT_PROTOCOL_H

#include "core/buf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Longest epoch accepted from a client (ours are shorter). */
#define CABLE_EPOCH_MAX 32

/* What a history request asks of one stream. Plain data. */
typedef struct cable_history_req {
    int64_t since;                   /* unix seconds; 0 when not given */
    int has_position;                /* a position was given for this stream: */
    char epoch[CABLE_EPOCH_MAX + 1]; /*   the epoch the client saw, */
    uint64_t offset;                 /*   and the offset of the last message it has */
} cable_history_req_t;

/* Read history request 'h' (borrowed) for 'stream'. 'h' must be an object;
 * "since" absent, null, or a number >= 0 (seconds; a fraction is dropped);
 * "streams" absent, null, or an object whose every member is
 * {"epoch": string of 1..CABLE_EPOCH_MAX URL-safe characters, "offset":
 * integer >= 0}; members for other streams are checked, then ignored.
 * Returns 0 and fills *out; or ERR_PROTO with *why a static reason
 * ("history must be an object", "since must be a number", "streams must be
 * an object", "bad stream position", "history asks for nothing") and *out
 * zeroed. A request with neither a positive since nor any stream is
 * "history asks for nothing". */
int cable_history_parse(const json_t *h, const char *stream, cable_history_req_t *out,
                        const char **why);

/* 1 when 'epoch' ('len' bytes) is 1..CABLE_EPOCH_MAX URL-safe characters. */
int cable_epoch_valid(const char *epoch, size_t len);

/* Server messages, appended to 'out'. Strings are borrowed and valid UTF-8;
 * 'message' is compact JSON copied verbatim. */
void cable_ext_append_welcome(buf_t *out, const char *sid, const char *const *restored_ids,
                              const size_t *restored_lens, size_t count);
void cable_ext_append_message(buf_t *out, const char *identifier, size_t id_len,
                              const char *message, size_t message_len, const char *stream,
                              size_t stream_len, const char *epoch, uint64_t offset);
void cable_ext_append_confirm_history(buf_t *out, const char *identifier, size_t len);
/* 'stream' (NULL: none named) is the stream the client must refetch. */
void cable_ext_append_reject_history(buf_t *out, const char *identifier, size_t len,
                                     const char *stream);
void cable_ext_append_presence(buf_t *out, const char *identifier, size_t len, const char *message,
                               size_t message_len);
void cable_ext_append_reject_whisper(buf_t *out, const char *identifier, size_t len,
                                     const char *reason);
void cable_ext_append_token_refreshed(buf_t *out, int64_t exp);
void cable_ext_append_token_refresh_rejected(buf_t *out, const char *reason);

#endif
