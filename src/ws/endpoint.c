/* ws/endpoint: WebSocket messages, pings and the close handshake over a
 * net_conn. See endpoint.h. */
#include "ws/endpoint.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ws/frame.h"
#include "ws/reader.h"

#include <stdlib.h>
#include <string.h>

struct ws_endpoint {
    net_conn_t *conn;
    const ws_endpoint_handler_t *h;
    void *data;
    ws_reader_t reader;
    unsigned linger_ms;
    size_t deflate_min;        /* bytes: shorter text goes uncompressed */
    uint8_t deflate_bits;      /* the window we compress with; 0: no permessage-deflate */
    int close_sent;
    uint16_t close_code;       /* of the first close frame, ours or the peer's; 0: none */
    int closed_by_peer;        /* the peer's close frame came first */
    int started;
    int paused;                /* ws_endpoint_pause: messages wait in the reader */
    int processing;            /* inside process(): resume lets it go on */
};

static void on_ws_read(net_conn_t *c);
static void on_ws_close(net_conn_t *c);

static const net_conn_handler_t ws_conn_handler = {
    .on_read = on_ws_read,
    .on_close = on_ws_close,
};

ws_endpoint_t *ws_endpoint_new(net_conn_t *conn, const ws_endpoint_config_t *cfg,
                               const ws_endpoint_handler_t *h, void *data)
{
    ws_endpoint_t *ep = xcalloc(1, sizeof *ep);
    ep->conn = conn;
    ep->h = h;
    ep->data = data;
    ep->linger_ms = cfg->linger_ms;
    ep->deflate_min = cfg->deflate_min_bytes;
    /* §5.1: a server MUST close the connection on an unmasked client frame. */
    ws_reader_init(&ep->reader, cfg->max_message, 1);
    net_conn_set_handler(conn, &ws_conn_handler, ep);
    return ep;
}

void ws_endpoint_set_deflate(ws_endpoint_t *ep, const ws_deflate_params_t *p)
{
    if (!p->enabled) return;
    ep->deflate_bits = p->server_window_bits;
    ws_reader_set_deflate(&ep->reader, p->client_window_bits, p->client_no_context_takeover);
}

int ws_endpoint_deflate_bits(const ws_endpoint_t *ep)
{
    return ep->deflate_bits;
}

void *ws_endpoint_data(const ws_endpoint_t *ep)
{
    return ep->data;
}

net_conn_t *ws_endpoint_conn(const ws_endpoint_t *ep)
{
    return ep->conn;
}

uint16_t ws_endpoint_close_code(const ws_endpoint_t *ep, int *by_peer)
{
    if (by_peer) *by_peer = ep->closed_by_peer;
    return ep->close_code;
}

int ws_endpoint_is_closing(const ws_endpoint_t *ep)
{
    return ep->close_sent || net_conn_is_closing(ep->conn);
}

int ws_endpoint_send_text(ws_endpoint_t *ep, const char *data, size_t len, int force)
{
    if (ep->close_sent) return ERR_CLOSED;
    payload_t *f = NULL;
    if (ep->deflate_bits && len >= ep->deflate_min)
        f = ws_deflate_frame(WS_OP_TEXT, data, len, ep->deflate_bits);
    if (!f) f = ws_frame_build(WS_OP_TEXT, data, len);
    int rc = force ? net_conn_send_force(ep->conn, f) : net_conn_send(ep->conn, f);
    payload_unref(f);
    return rc;
}

int ws_endpoint_send_frame(ws_endpoint_t *ep, payload_t *frame)
{
    if (ep->close_sent) return ERR_CLOSED;
    return net_conn_send(ep->conn, frame);
}

void ws_endpoint_close(ws_endpoint_t *ep, uint16_t code, const char *reason)
{
    if (ep->close_sent || net_conn_is_closing(ep->conn)) return;
    ep->close_sent = 1;
    ep->close_code = code;
    buf_t b = BUF_INIT;
    ws_frame_append_close(&b, code, reason, reason ? strlen(reason) : 0);
    net_conn_send_copy(ep->conn, buf_head(&b), b.len);
    buf_deinit(&b);
    /* Nothing more is handed to the handler; the socket is read (and
     * discarded) again so the peer's close frame or EOF ends the linger. */
    ep->paused = 0;
    net_conn_resume_read(ep->conn);
    net_conn_close_after_flush(ep->conn, ep->linger_ms);
}

void ws_endpoint_abort(ws_endpoint_t *ep)
{
    net_conn_close(ep->conn);
}

/* The peer sent a close frame (§5.5.1): answer with the same code and
 * reason (as Action Cable's websocket-driver does), or with the error code
 * when the frame itself is invalid, and finish. */
static void on_peer_close(ws_endpoint_t *ep, const char *payload, size_t len)
{
    uint16_t code = 0, fail = 0;
    const char *reason = NULL;
    size_t reason_len = 0;
    if (ws_close_parse(payload, len, &code, &reason, &reason_len, &fail) < 0) {
        log_info("ws conn=%llu close code=%u reason=bad_close_frame",
                 (unsigned long long)ep->conn->id, fail);
        ws_endpoint_close(ep, fail, NULL);
        return;
    }
    if (code == WS_CLOSE_NO_STATUS) code = WS_CLOSE_NORMAL;
    char r[124];
    if (reason_len > sizeof r - 1) reason_len = sizeof r - 1;
    memcpy(r, reason ? reason : "", reason_len);
    r[reason_len] = '\0';
    log_debug("ws conn=%llu peer_close code=%u", (unsigned long long)ep->conn->id, code);
    ep->close_sent = 1;
    ep->close_code = code;
    ep->closed_by_peer = 1;
    buf_t b = BUF_INIT;
    ws_frame_append_close(&b, code, r, reason_len);
    net_conn_send_copy(ep->conn, buf_head(&b), b.len);
    buf_deinit(&b);
    /* The handshake is complete from both sides: close once it is written. */
    net_conn_close_after_flush(ep->conn, ep->linger_ms);
}

static const char *close_reason(int rc, uint16_t code)
{
    if (rc == ERR_DEFLATE) return "Invalid compressed data";
    switch (code) {
    case WS_CLOSE_INVALID_DATA: return "Could not decode a text frame as UTF-8";
    case WS_CLOSE_TOO_BIG: return "Message too big";
    case WS_CLOSE_UNSUPPORTED: return "Binary frames are not supported";
    default: return "Protocol error";
    }
}

static void process(ws_endpoint_t *ep)
{
    net_conn_t *c = ep->conn;
    if (c->in.len > 0) {
        ws_reader_push(&ep->reader, buf_head(&c->in), c->in.len);
        buf_consume(&c->in, c->in.len);
    }
    ep->processing = 1;
    while (!ws_endpoint_is_closing(ep) && !ep->paused) {
        ws_message_t m;
        uint16_t code = 0;
        int rc = ws_reader_next(&ep->reader, &m, &code);
        if (rc == 0) break;
        if (rc < 0) {
            METRIC_INC(protocol_errors_total);
            log_info("ws conn=%llu close code=%u reason=%s", (unsigned long long)c->id, code,
                     close_reason(rc, code));
            ws_endpoint_close(ep, code, close_reason(rc, code));
            break;
        }
        switch (m.opcode) {
        case WS_OP_TEXT: ep->h->on_text(ep, m.data, m.len); break;
        case WS_OP_BINARY:
            METRIC_INC(protocol_errors_total);
            log_info("ws conn=%llu close code=1003 reason=binary_frame", (unsigned long long)c->id);
            ws_endpoint_close(ep, WS_CLOSE_UNSUPPORTED, close_reason(0, WS_CLOSE_UNSUPPORTED));
            ep->processing = 0;
            return;
        case WS_OP_PING: {
            /* Under the output cap: a client that floods pings without
             * reading the pongs gets no more of them (§5.5.3 allows
             * answering only the latest). */
            payload_t *f = ws_frame_build(WS_OP_PONG, m.data, m.len);
            net_conn_send(ep->conn, f);
            payload_unref(f);
            break;
        }
        case WS_OP_PONG: break;
        case WS_OP_CLOSE:
            ep->processing = 0;
            on_peer_close(ep, m.data, m.len);
            return;
        default: break;
        }
    }
    ep->processing = 0;
}

void ws_endpoint_pause(ws_endpoint_t *ep)
{
    if (ep->paused) return;
    ep->paused = 1;
    net_conn_pause_read(ep->conn);
}

void ws_endpoint_resume(ws_endpoint_t *ep)
{
    if (!ep->paused) return;
    ep->paused = 0;
    net_conn_resume_read(ep->conn);
    /* From inside process() its loop simply goes on; otherwise the
     * messages that waited in the reader are handled now. */
    if (!ep->processing && ep->started) process(ep);
}

void ws_endpoint_start(ws_endpoint_t *ep)
{
    ep->started = 1;
    process(ep);
}

static void on_ws_read(net_conn_t *c)
{
    ws_endpoint_t *ep = c->data;
    if (!ep->started) return;
    process(ep);
}

static void on_ws_close(net_conn_t *c)
{
    ws_endpoint_t *ep = c->data;
    if (ep->h->on_close) ep->h->on_close(ep);
    ws_reader_deinit(&ep->reader);
    free(ep);
}
