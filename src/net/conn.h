/* net/conn: one TCP connection on a loop: input buffer, output queue of
 * shared payloads, coalesced writes, and a careful close.
 *
 * Output: net_conn_send() appends a reference to a payload to the queue and
 * marks the connection dirty; at the end of the loop pass every dirty
 * connection writes its whole queue with one uv_try_write (a writev), and
 * hands only what the kernel did not take to uv_write. The same payload
 * (a broadcast frame) may sit in thousands of queues at once; its bytes are
 * never copied per connection. The bytes queued but not yet written are
 * capped; a send past the cap fails with ERR_LIMIT and the owner decides
 * what to do with a client that does not read.
 *
 * Input: bytes are appended to 'in'; the handler's on_read consumes what it
 * understands and leaves the rest for the next read. Once everything is
 * consumed, a large input buffer is released: an idle connection, or one
 * trickling bytes, holds no read buffer between reads.
 *
 * When the kernel does not take everything, libuv is handed only the rest of
 * the payload at the head of the queue; the payloads behind it are written
 * once that is done. So at most one payload is ever partly written or in
 * libuv's hands, and net_conn_drop_unsent() can drop every other one without
 * cutting a frame.
 *
 * Close: net_conn_close() stops everything at once; net_conn_close_after_flush()
 * writes what is queued, shuts down the write side and keeps reading and
 * discarding until the peer closes or the linger timer fires, so the last
 * frame is not lost to a TCP reset. A peer that is still taking our last
 * bytes when the linger ends (one that stopped reading and started again
 * late) gets the linger again, up to eight times. Either way the handler's
 * on_close runs once, from the libuv close callback (never inside another
 * callback of the same connection), and the connection is freed right after
 * it.
 *
 * TLS: after net_conn_use_tls the connection speaks TLS (net/tls.h). Reads
 * go through a buffer of the loop's and are decrypted into 'in', so the
 * handler sees plaintext as before; at flush time the queued payloads are
 * encrypted into one ciphertext buffer written with one write, and that
 * buffer is freed once the kernel has it. Payloads queued before the
 * handshake is done wait for it. A handshake not done within the context's
 * deadline is closed (the handler's on_deadline does not run for it). A
 * plain connection pays one test of a NULL pointer on each read and flush. */
#ifndef NET_CONN_H
#define NET_CONN_H

#include "core/buf.h"
#include "core/payload.h"
#include "net/loop.h"
#include "net/tls.h"

#include <stdint.h>
#include <uv.h>

typedef struct net_conn net_conn_t;

typedef struct net_conn_handler {
    /* New bytes are in c->in. Consume them with buf_consume. */
    void (*on_read)(net_conn_t *c);
    /* The deadline set with net_conn_set_deadline has passed (it is cleared
     * before the call). NULL: the connection is closed. */
    void (*on_deadline)(net_conn_t *c);
    /* The connection is closed and is freed when this returns. */
    void (*on_close)(net_conn_t *c);
} net_conn_handler_t;

struct net_out {
    payload_t *p;
    size_t off; /* bytes of p already written */
};

/* Queue entries kept inside the connection: a quiet connection, or one
 * that gets a frame or two per loop pass, never allocates a queue. */
#define NET_Q_INLINE 4

/* What only a connection in trouble needs (a write the kernel could not
 * take at once, a close that waits for the peer): allocated on first need,
 * freed with the connection, so every idle connection does not carry it. */
struct net_conn_slow;

struct net_conn {
    /* public, read-only */
    uint64_t id;               /* unique in the process, for logs */
    net_loop_t *loop;
    buf_t in;                  /* received, not yet consumed bytes */
    void *data;                /* the handler's state */
    /* private */
    uv_tcp_t _tcp;
    struct net_conn_slow *_slow; /* NULL until a uv_write or a linger is needed */
    net_tls_t *_tls;           /* NULL: plain TCP */
    net_deferred_t _flush;
    list_t _loop_node;         /* in loop->_conns */
    list_t _timed_node;        /* in loop->_timed while it has a timeout or a deadline */
    const net_conn_handler_t *_handler;
    struct net_out *_q;        /* ring of queued payloads: _q_inline, or on the heap */
    size_t _q_head, _q_len, _q_cap;
    struct net_out _q_inline[NET_Q_INLINE];
    size_t _out_bytes;         /* queued, not yet written */
    size_t _inflight;          /* bytes handed to uv_write or the loop's batch, not yet completed */
    size_t _max_out;           /* cap on _out_bytes */
    uint64_t _idle_ms;         /* 0: no idle timeout */
    uint64_t _idle_deadline;   /* uv_now() value after which the sweep closes it */
    uint64_t _deadline;        /* uv_now() value after which on_deadline runs; 0: none */
    unsigned _writing : 1;     /* a uv_write or a batched send is in flight */
    unsigned _draining : 1;    /* close after flush requested */
    unsigned _shut : 1;        /* write side shut down */
    unsigned _closing : 1;     /* uv_close called */
    unsigned _read_paused : 1;
    unsigned _peer_eof : 1;    /* the peer closed its side while we drain */
};

/* Accept a pending connection from 'server' on 'loop'. Returns owned (freed
 * by the close path) or NULL on failure (logged). */
net_conn_t *net_conn_accept(net_loop_t *loop, uv_stream_t *server, size_t max_out);
/* Speak TLS on this connection, with the certificate 'ctx' has now. Call
 * right after net_conn_accept, before the loop runs again. */
void net_conn_use_tls(net_conn_t *c, net_tls_ctx_t *ctx);
/* 1 when the connection speaks TLS. */
static inline int net_conn_is_tls(const net_conn_t *c) { return c->_tls != NULL; }
/* Route this connection's events to 'h' from now on. */
void net_conn_set_handler(net_conn_t *c, const net_conn_handler_t *h, void *data);
/* Queue a reference to 'p' (the caller keeps its own). Returns 0; ERR_LIMIT
 * when the bytes queued would pass the cap (nothing queued); ERR_CLOSED when
 * the connection is closing or draining. */
int net_conn_send(net_conn_t *c, payload_t *p);
/* Like net_conn_send but ignores the cap: for small control frames (close,
 * pong, disconnect) that must go out even to a slow client. */
int net_conn_send_force(net_conn_t *c, payload_t *p);
/* Copy 'len' bytes into a new payload and queue it, ignoring the cap. */
int net_conn_send_copy(net_conn_t *c, const void *data, size_t len);
/* Write what is queued now instead of at the end of the loop pass: for an
 * answer that must not wait behind the pass's other writes (an HTTP
 * response after a fan-out to thousands of sockets, say). */
void net_conn_flush_now(net_conn_t *c);
/* Drop queued payloads that have not started to go out (for a client that
 * is being dropped: its last frames should not wait behind stale data). The
 * one payload partly written, if any, is kept whole, so the stream still ends
 * on a payload boundary. Returns the bytes dropped. */
size_t net_conn_drop_unsent(net_conn_t *c);
/* 1 when more than the cap is queued (forced sends can pass it). */
int net_conn_over_limit(const net_conn_t *c);
/* Bytes queued and not yet written. */
static inline size_t net_conn_pending(const net_conn_t *c) { return c->_out_bytes; }
/* Write what is queued, then shut down the write side and discard input
 * until EOF or 'linger_ms', then close. Later sends fail with ERR_CLOSED. */
void net_conn_close_after_flush(net_conn_t *c, unsigned linger_ms);
/* Close now; queued output is dropped. Safe to call more than once. */
void net_conn_close(net_conn_t *c);
/* 1 once close or close-after-flush was requested. */
static inline int net_conn_is_closing(const net_conn_t *c) { return c->_closing || c->_draining; }
/* Close the connection when no bytes arrive for 'ms' milliseconds (0: never).
 * Checked by a once-a-second sweep per loop, so no timer per connection. */
void net_conn_set_idle_timeout(net_conn_t *c, uint64_t ms);
/* Run the handler's on_deadline (or close) once the loop time passes 'at_ms'
 * (a net_conn_now() value), whatever arrives meanwhile; 0 clears it. Checked
 * by the same sweep, so it fires up to a second late. Not checked while the
 * connection closes after a flush (the linger bounds that). */
void net_conn_set_deadline(net_conn_t *c, uint64_t at_ms);
/* The loop's time in milliseconds (uv_now), for deadlines. */
static inline uint64_t net_conn_now(const net_conn_t *c) { return uv_now(&c->loop->uv); }
/* Stop / resume reading (back-pressure on a peer that sends too fast). */
void net_conn_pause_read(net_conn_t *c);
void net_conn_resume_read(net_conn_t *c);
/* Write "ip:port" of the peer into out. */
void net_conn_peer(const net_conn_t *c, char *out, size_t cap);
/* Connections open in the process, on every loop, each holding a descriptor
 * (counted from accept until freed). Thread-safe. */
size_t net_conn_count(void);
/* Descriptors this process may still open: the soft RLIMIT_NOFILE less
 * those open now; -errno when that cannot be told. */
long net_fds_available(void);

#endif
