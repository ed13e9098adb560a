/* core/metrics: process-wide counters, exported as Prometheus text by
 * GET /metrics. Relaxed atomics: each counter is independent and a scrape
 * needs no consistent snapshot. */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include "core/buf.h"

#include <stdatomic.h>

#define METRICS_MAP(X)                                                                  \
    X(connections_total, counter, "WebSocket connections accepted")                     \
    X(connections, gauge, "WebSocket connections open")                                 \
    X(subscriptions, gauge, "Channel subscriptions open")                               \
    X(streams, gauge, "Streams with subscribers on this node")                          \
    X(broadcasts_total, counter, "Broadcasts fanned out by this node")                  \
    X(deliveries_total, counter, "Broadcast frames queued to subscribers")              \
    X(drops_total, counter, "Broadcast frames dropped because a client was too slow")   \
    X(bytes_out_total, counter, "Broadcast bytes queued to subscribers")                \
    X(http_requests_total, counter, "HTTP requests answered")                           \
    X(http_timeouts_total, counter, "HTTP requests too slow in head or body (408)")     \
    X(http_refused_head_total, counter, "HTTP requests refused from their head alone")  \
    X(http_busy_total, counter, "HTTP requests or connections refused by a cap (503)")  \
    X(disconnect_unauthorized_total, counter, "Disconnects with reason unauthorized")   \
    X(disconnect_token_expired_total, counter, "Disconnects with reason token_expired") \
    X(disconnect_server_restart_total, counter, "Disconnects with reason server_restart") \
    X(disconnect_remote_total, counter, "Disconnects with reason remote")               \
    X(disconnect_too_slow_total, counter, "Disconnects with reason too_slow")           \
    X(protocol_errors_total, counter, "WebSocket connections closed for a protocol error") \
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
    X(token_refreshes_rejected_total, counter, "refresh_token commands refused")

struct metrics {
#define METRICS_FIELD(name, type, help) atomic_long name;
    METRICS_MAP(METRICS_FIELD)
#undef METRICS_FIELD
};

extern struct metrics metrics;

#define METRIC_ADD(name, n) atomic_fetch_add_explicit(&metrics.name, (n), memory_order_relaxed)
#define METRIC_INC(name) METRIC_ADD(name, 1)
#define METRIC_DEC(name) METRIC_ADD(name, -1)

/* Append every counter in the Prometheus text format, names prefixed "cabled_". */
void metrics_append_text(buf_t *out);

#endif
