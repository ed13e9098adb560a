/* core/metrics: process-wide counters, exported as Prometheus text by
 * GET /metrics. Relaxed atomics: each counter is independent and a scrape
 * needs no consistent snapshot.
 *
 * Three kinds:
 *   - plain counters and gauges (METRICS_MAP), one atomic each;
 *   - labelled series (METRICS_FAMILIES): one family, one value per set of
 *     label values, found in a small table under a lock. For events counted
 *     at most once per request or per connection, never per broadcast;
 *   - the broadcast delivery histogram: sharded by event loop, each shard
 *     written by one thread only, so an observation is a few plain stores. */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include "core/buf.h"

#include <stdatomic.h>
#include <stdint.h>

#define METRICS_MAP(X)                                                                  \
    X(connections_total, counter, "WebSocket connections accepted")                     \
    X(connections, gauge, "WebSocket connections open")                                 \
    X(subscriptions, gauge, "Channel subscriptions open")                               \
    X(streams, gauge, "Streams with subscribers on this node")                          \
    X(broadcasts_total, counter, "Broadcasts fanned out by this node")                  \
    X(deliveries_total, counter, "Broadcast frames queued to subscribers")              \
    X(drops_total, counter, "Broadcast frames dropped because a client was too slow")   \
    X(bytes_out_total, counter, "Broadcast bytes queued to subscribers")                \
    X(http_timeouts_total, counter, "HTTP requests too slow in head or body (408)")     \
    X(http_refused_head_total, counter, "HTTP requests refused from their head alone")  \
    X(http_busy_total, counter, "HTTP requests or connections refused by a cap (503)")  \
    X(disconnect_unauthorized_total, counter, "Disconnects with reason unauthorized")   \
    X(disconnect_token_expired_total, counter, "Disconnects with reason token_expired") \
    X(disconnect_server_restart_total, counter, "Disconnects with reason server_restart") \
    X(disconnect_remote_total, counter, "Disconnects with reason remote")               \
    X(disconnect_too_slow_total, counter, "Disconnects with reason too_slow")           \
    X(protocol_errors_total, counter, "WebSocket connections closed for a protocol error") \
    X(deflate_frames_total, counter, "Frames compressed with permessage-deflate (a broadcast counts once per loop)") \
    X(inflate_bytes, gauge, "Bytes of zlib state held to inflate clients' compressed messages") \
    X(control_messages_total, counter, "Control messages acted on (revocations, removals)") \
    X(pubsub_published_total, counter, "Messages published to the cluster pub/sub")      \
    X(pubsub_received_total, counter, "Messages received from the cluster pub/sub")      \
    X(pubsub_dropped_total, counter, "Messages dropped: malformed, or over the outage queue") \
    X(pubsub_reconnects_total, counter, "Connections to the cluster pub/sub re-established") \
    X(sessions_restored_total, counter, "Sessions restored on reconnect (extended protocol)") \
    X(sessions_not_restored_total, counter, "Session ids not restored: unknown, expired, taken or another member's") \
    X(histories_served_total, counter, "History requests answered with confirm_history")   \
    X(histories_rejected_total, counter, "History requests answered with reject_history")  \
    X(presence_joins_total, counter, "Presence joins by connections of this node")        \
    X(presence_leaves_total, counter, "Presence leaves asked by connections of this node") \
    X(presence_infos_total, counter, "Presence info requests answered")                   \
    X(whispers_total, counter, "Whispers sent on")                                        \
    X(whispers_rejected_total, counter, "Whispers refused: not allowed, too large or over the rate") \
    X(token_refreshes_total, counter, "Tokens replaced in band (refresh_token)")          \
    X(token_refreshes_rejected_total, counter, "refresh_token commands refused")          \
    X(tls_handshakes_total, counter, "TLS handshakes completed")                          \
    X(tls_handshake_failures_total, counter, "TLS handshakes failed: bad input, no shared version or cipher") \
    X(tls_handshake_timeouts_total, counter, "TLS handshakes closed at their deadline") \
    X(writes_batched_total, counter, "Socket writes sent through io_uring with the others of their loop pass") \
    X(write_submissions_total, counter, "io_uring submissions that carried those writes")

struct metrics {
#define METRICS_FIELD(name, type, help) atomic_long name;
    METRICS_MAP(METRICS_FIELD)
#undef METRICS_FIELD
};

extern struct metrics metrics;

#define METRIC_ADD(name, n) atomic_fetch_add_explicit(&metrics.name, (n), memory_order_relaxed)
#define METRIC_INC(name) METRIC_ADD(name, 1)
#define METRIC_DEC(name) METRIC_ADD(name, -1)

/* Labelled families: name, type, help, label names (comma separated). */
#define METRICS_FAMILIES(X)                                                                     \
    X(http_requests_total, counter, "HTTP requests answered, by route pattern, method and status", \
      "route,method,status")                                                                    \
    X(disconnects_total, counter, "WebSocket connections ended, by reason", "reason")           \
    X(channel_subscriptions, gauge, "Channel subscriptions open, by channel", "channel")

enum metrics_family_id {
#define METRICS_FAMILY_ID(name, type, help, labels) METRICS_##name,
    METRICS_FAMILIES(METRICS_FAMILY_ID)
#undef METRICS_FAMILY_ID
        METRICS_FAMILY_COUNT
};

/* Most series one family keeps; later label sets are counted under
 * the values "other". */
#define METRICS_SERIES_MAX 512

/* Add 'n' to the series of family 'f' with these label values, one per
 * label name of the family, in order (borrowed; copied on first use).
 * Thread-safe. */
void metrics_series_add(enum metrics_family_id f, const char *const *values, long n);
/* The value of one series (0 when it does not exist). For tests. */
long metrics_series_get(enum metrics_family_id f, const char *const *values);

/* Broadcast delivery latency: from the moment the hub takes a broadcast
 * from the pub/sub adapter to the moment its frame is queued on a
 * subscriber's connection. Buckets in seconds, as Prometheus expects. */
#define METRICS_DELIVERY_BUCKETS_US                                                              \
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,      \
        2500000
/* Count 'count' deliveries that took 'us' microseconds. 'shard' is the
 * calling event loop's index: each shard must have one writer thread. */
void metrics_delivery_observe(unsigned shard, uint64_t us, long count);

/* Append every metric in the Prometheus text format, names prefixed "cabled_". */
void metrics_append_text(buf_t *out);
/* Append 'value' as a Prometheus label value: '\\', '"' and newline escaped. */
void metrics_append_label_value(buf_t *out, const char *value);

#endif
