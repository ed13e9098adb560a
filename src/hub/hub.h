/* hub: the one path every event takes, from whoever produced it to every
 * subscriber on every node.
 *
 *   domain / broadcast API ──hub_publish(streams[], message)──► pub/sub adapter
 *                                                                   │ (local, or Redis:
 *                                                                   │  once per node)
 *   every loop with a subscriber ◄──post, no allocation──  hub ◄─────┘ deliver
 *     └─ stream ─► identifier group ─► frame built once ─► each subscriber's queue
 *
 * Publishing: a message (JSON text, serialized once by the publisher) goes
 * to a list of streams in one call. The adapter carries it to every node;
 * each node's hub knows, per stream, which of its loops have subscribers
 * and posts the broadcast only to those, through a post embedded in the
 * broadcast itself. On a loop, each distinct identifier gets its data frame
 * {"identifier":…,"message":…} built once, and every subscriber of the loop
 * with that identifier queues the same bytes. (A frame is a few hundred
 * bytes: building it once per loop costs less than sharing one between
 * threads, whose reference count every delivery would bounce between
 * cores.)
 *
 * Positions: a broadcast kept in history (pubsub.h) carries each stream's
 * epoch and offset. A subscriber of the extended protocol gets its own
 * frame variant, {"identifier":…,"message":…,"stream_id":…,"epoch":…,
 * "offset":…}; a plain one the plain frame, byte for byte as before. Each
 * variant is built once per identifier per broadcast on each loop. A
 * subscriber that negotiated permessage-deflate gets the compressed twin of
 * its variant, compressed once per identifier, variant and window size per
 * broadcast on each loop (out->deflate). Whispers and
 * presence events reach extended subscribers only (a whisper never its
 * sender's connection).
 *
 * Subscribing (loop thread): the stream's first subscriber on this node
 * makes the adapter subscribe; the subscription is ready (and the client
 * may be told so) once the adapter says messages flow. The last one leaving
 * unsubscribes the node.
 *
 * Control: token revocations, members losing a room (removed, or the room
 * deleted) and disabled members travel as control messages (hub/control.h)
 * on a reserved stream, so every node acts on them. Each room has an access
 * version, bumped before a revocation reaches the loops: a subscribe that
 * read the version before checking access and finds it changed when the
 * check comes back must check again, so a check that raced a removal never
 * becomes a live subscription.
 *
 * One hub runs per process. Its per-loop state is touched only by that
 * loop's thread; the stream table is shared under one lock that is never
 * held across I/O. */
#ifndef HUB_HUB_H
#define HUB_HUB_H

#include "core/list.h"
#include "core/payload.h"
#include "hub/streams.h"
#include "net/loop.h"
#include "pubsub/pubsub.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hub hub_t;
typedef struct hub_sub hub_sub_t;

/* Which frame of a message a subscriber needs. */
typedef struct hub_frame_spec {
    enum pubsub_kind kind;      /* PRESENCE: a presence frame; otherwise a data frame */
    const char *stream;         /* with 'pos': the stream's name and */
    size_t stream_len;
    const pubsub_pos_t *pos;    /*   position; NULL: the plain data frame */
} hub_frame_spec_t;

/* How the hub reaches the connections, supplied by the cable layer. */
typedef struct hub_output {
    /* The frame 'spec' names for 'identifier' and 'message' (JSON text).
     * Returns owned; any thread. */
    payload_t *(*frame)(const char *identifier, size_t len, const payload_t *message,
                        const hub_frame_spec_t *spec);
    /* Queue 'frame' (borrowed: take a reference) for the subscriber (its
     * 'sink' says where, without chasing the owner's structures on the hot
     * path); 'pos' (borrowed, NULL for a frame without one) is where
     * it stands in the stream's history. Returns 0 when queued. Loop
     * thread. */
    int (*send)(hub_sub_t *sub, payload_t *frame, const pubsub_pos_t *pos);
    /* The permessage-deflate variant of 'frame' (borrowed, one that 'frame'
     * built) for subscribers that read compressed frames with a
     * 'window_bits' window. Returns owned: a compressed frame, or a new
     * reference to 'frame' itself when it goes out uncompressed (short, or
     * incompressible). NULL: every subscriber gets the frames as built.
     * Loop thread. */
    payload_t *(*deflate)(payload_t *frame, int window_bits);
    /* An access token was revoked: remember it (any thread). */
    void (*token_revoked)(const char *jti, int64_t exp);
    /* A member was deactivated or deleted: forget it (any thread). */
    void (*member_disabled)(long long member_id);
    /* Cut this loop's connections that use token 'jti' / belong to
     * 'member_id'. Loop thread. */
    void (*kick_token)(net_loop_t *loop, const char *jti);
    void (*kick_member)(net_loop_t *loop, long long member_id);
} hub_output_t;

/* One subscription to one stream, embedded in its owner (a cable
 * subscription), so subscribing allocates nothing per subscriber. */
struct hub_sub {
    /* set by the owner before hub_subscribe; read-only while subscribed */
    const char *identifier;    /* borrowed: the exact identifier string */
    size_t identifier_len;
    long long member_id;       /* whose connection: room revocations match it */
    void *sink;                /* the owner's: where its frames go (borrowed) */
    const char *session;       /* borrowed: the connection's session id (whispers skip it) */
    unsigned ext : 1;          /* the connection speaks the extended protocol */
    unsigned deflate : 4;      /* permessage-deflate: the window bits its frames are
                                  compressed with (9..15); 0: plain frames */
    /* The subscription became ready (ok = 1) after hub_subscribe returned
     * ERR_AGAIN, or was dropped before it did (ok = 0: access revoked). Runs
     * once, on the loop thread; the subscription is then active, or not
     * subscribed at all. */
    void (*on_ready)(hub_sub_t *sub, int ok);
    /* May be NULL. An active subscription lost its stream (access revoked):
     * it is no longer subscribed. Runs on the loop thread. */
    void (*on_dropped)(hub_sub_t *sub);
    /* private */
    list_t _node;              /* in its group's members, or its stream's waiting list */
    void *_group;              /* NULL when not subscribed */
    unsigned _waiting : 1;
};

/* Return owned a hub for 'loops' event loops; 'out' is borrowed for the
 * hub's lifetime. Call before the loops start. */
hub_t *hub_new(const hub_output_t *out, unsigned loops);
/* The events an adapter reports to this hub (pass 'h' as their ud). */
extern const pubsub_events_t hub_pubsub_events;
/* Use 'ps' from now on, and subscribe to the control stream. Returns 0 or
 * the adapter's error. */
int hub_start(hub_t *h, pubsub_t *ps);
/* Stop acting on the adapter's events: when it returns, no event of the
 * adapter touches a loop any more, so the loops can go. Call before
 * joining the loops. */
void hub_stop(hub_t *h);
/* Free the hub (after the loops and the adapter are gone). NULL: no-op. */
void hub_free(hub_t *h);

/* Per-loop state, set up and torn down on the loop's own thread. At
 * teardown every subscription must be gone (a leftover is logged). */
void hub_thread_init(hub_t *h, net_loop_t *loop);
void hub_thread_deinit(hub_t *h, net_loop_t *loop);

/* ---- subscriptions (loop thread) ---------------------------------------- */

/* Start delivering 'stream' to 's' (its public fields set). Returns 0 when
 * it is active now; ERR_AGAIN when it waits for the adapter, and
 * s->on_ready then runs exactly once (unless hub_unsubscribe comes first);
 * or an error. */
int hub_subscribe(hub_t *h, hub_sub_t *s, const char *stream);
/* Stop delivering to 's'. No-op when it is not subscribed (never was, or
 * was dropped by a revocation); no on_ready runs afterwards. */
void hub_unsubscribe(hub_t *h, hub_sub_t *s);
/* 1 while 's' is subscribed (active or waiting). */
static inline int hub_sub_active(const hub_sub_t *s) { return s->_group != NULL; }

/* ---- publishing (any thread) -------------------------------------------- */

/* Publish 'message' (JSON text, borrowed) once to every stream of
 * 'streams'. On a worker thread, returns once every node can see it (the
 * adapter acknowledged it) or after a bounded wait, so a client told "done"
 * never sees the event after a later one; on a loop thread it does not
 * wait. Returns 0, ERR_AGAIN when it waits in the adapter's queue (the link
 * is down), or an error (logged). */
int hub_publish(hub_t *h, const hub_streams_t *streams, payload_t *message);
/* hub_publish of {"event": event, "data": data} (borrowed), serialized once. */
int hub_publish_event(hub_t *h, const hub_streams_t *streams, const char *event,
                      const json_t *data);
/* Publish without waiting: 'done' (may be NULL) reports when every node can
 * see it. Returns 0 ('done' will run) or an error ('done' never runs). */
int hub_publish_async(hub_t *h, const hub_streams_t *streams, payload_t *message,
                      pubsub_done_t *done);
/* A whisper: 'data' (JSON text, borrowed) to every extended subscriber of
 * 'stream' on every node, except the connection whose session id is
 * 'exclude'. Never kept. Does not wait. Returns 0 or an error. */
int hub_whisper(hub_t *h, const char *stream, payload_t *data, const char *exclude);
/* A presence event (JSON text, borrowed: {"type":"join",…}) to every
 * extended subscriber of 'stream' on every node. Never kept. Does not
 * wait. Returns 0 or an error. */
int hub_presence_event(hub_t *h, const char *stream, payload_t *event);

/* ---- control (any thread) ----------------------------------------------- */

/* Tell every node: access token 'jti' (expiring at 'exp') is revoked. */
int hub_revoke_token(hub_t *h, const char *jti, int64_t exp);
/* Tell every node: 'member_id' (0: every member) may no longer receive room
 * 'room_id'. Their subscriptions to it go quiet (they stay, silent, as the
 * client still holds them). */
int hub_revoke_room_access(hub_t *h, long long room_id, long long member_id);
/* Tell every node: 'member_id' is gone; cut their sockets. */
int hub_disable_member(hub_t *h, long long member_id);
/* The access version of room 'room_id': read it before checking whether a
 * member may receive the room, and compare after. */
uint64_t hub_access_version(const hub_t *h, long long room_id);

/* ---- state -------------------------------------------------------------- */

/* Streams with subscribers on this node. */
size_t hub_stream_count(hub_t *h);
/* 1 while the adapter's link is up (always with the local adapter). */
int hub_link_up(const hub_t *h);

#endif
