/* pubsub/envelope: what cabled's nodes tell each other on the channel
 * P_cabled:x:<stream> next to Action Cable's P<stream> (redis_scripts.h),
 * for the extended protocol. One JSON object per message:
 *
 *   {"k":"m","e":"<epoch>","o":<offset>,"t":<unix s>}   the position of the
 *        broadcast that follows at once on P<stream> (the publish script
 *        sends both in one step, so nothing comes between them)
 *   {"k":"w","x":"<sid>","d":<data>}   a whisper, for every connection but sid's
 *   {"k":"p","d":<event>}              a presence event ({"type":"join",…})
 *
 * Pure: encodes and parses, no allocation (the parse points into its
 * input), no logging. The parser reads bytes from Redis and has a fuzz
 * target (fuzz/fuzz_envelope.c). */
#ifndef PUBSUB_ENVELOPE_H
#define PUBSUB_ENVELOPE_H

#include "core/buf.h"
#include "pubsub/pubsub.h"

#include <stddef.h>
#include <stdint.h>

/* Longest session id in a whisper (ours are 21 characters). */
#define PUBSUB_SID_MAX 32

typedef struct pubsub_envelope {
    char kind;                    /* 'm', 'w' or 'p' */
    char epoch[PUBSUB_EPOCH_MAX]; /* 'm': 1..15 URL-safe characters */
    uint64_t offset;              /* 'm': >= 1 */
    int64_t time;                 /* 'm': >= 0 */
    char exclude[PUBSUB_SID_MAX]; /* 'w': 1..31 URL-safe characters */
    const char *data;             /* 'w', 'p': the value's raw JSON text, inside the input */
    size_t data_len;
} pubsub_envelope_t;

/* Parse one message. Returns 0 and fills *out; or ERR_INVAL (out zeroed)
 * for anything else: not a JSON object, an unknown kind, a field missing
 * or out of its range, 'p' data that is not an object. */
int pubsub_envelope_parse(const char *in, size_t len, pubsub_envelope_t *out);
/* Append a whisper's / a presence event's envelope. 'exclude' is URL-safe;
 * 'data' / 'event' is compact JSON, copied as it is. */
void pubsub_envelope_whisper(buf_t *out, const char *exclude, const char *data, size_t len);
void pubsub_envelope_presence(buf_t *out, const char *event, size_t len);

#endif
