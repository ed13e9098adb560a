/* net/tls: TLS on a net_conn, with OpenSSL, driven by the loop's own reads
 * and writes.
 *
 * This module owns the server's TLS configuration (one SSL_CTX: the
 * certificate chain, the key, protocol versions, ciphers, ALPN) and, per
 * connection, the SSL object and the ciphertext not yet written. It owns no
 * socket and makes no system call: net/conn reads the socket, hands the
 * ciphertext to net_tls_read, which decrypts into the connection's input
 * buffer; at flush time net/conn hands the queued payloads (the same shared,
 * refcounted frames a plain connection writes) to net_tls_write, which
 * encrypts them into net_tls_out, and writes that with one write. OpenSSL
 * talks to a small BIO of our own: reads come from the bytes just received
 * (borrowed for the call), writes are appended to the connection's output.
 * So OpenSSL never touches the socket and never blocks; a handshake that
 * stalls only waits for more bytes, and net/conn closes it at its deadline.
 *
 *   socket ─► conn on_read ─► net_tls_read ─► SSL_read ─► conn->in ─► handler
 *   queue of payloads ─► net_tls_write ─► SSL_write ─► net_tls_out ─► writev
 *
 * Memory of an idle connection: the SSL object and its cipher state. The
 * record buffers are released whenever they are empty
 * (SSL_MODE_RELEASE_BUFFERS), and the ciphertext buffer is freed once it
 * is written, so a quiet connection holds no buffer of its own.
 *
 * Reload: net_tls_ctx_reload builds a new SSL_CTX from the same files and
 * swaps it in. Connections that exist keep the SSL_CTX they started with
 * (OpenSSL counts its references), new handshakes use the new one, and a
 * reload that fails keeps the old one. Thread-safe: any loop may start a
 * connection while another thread reloads. */
#ifndef NET_TLS_H
#define NET_TLS_H

#include "core/buf.h"

#include <stddef.h>
#include <uv.h>

typedef struct net_tls_ctx net_tls_ctx_t;
typedef struct net_tls net_tls_t;

/* What a server's TLS is built from. Strings are borrowed and must stay
 * valid as long as the context (they are read again on reload). */
typedef struct net_tls_config {
    const char *cert_file;     /* PEM: the certificate, then its chain */
    const char *key_file;      /* PEM: the private key */
    unsigned handshake_ms;     /* a handshake not done by then is closed */
} net_tls_config_t;

/* Load the certificate and key and build the context. Returns owned (free
 * with net_tls_ctx_free), or NULL with the reason in 'err'. */
net_tls_ctx_t *net_tls_ctx_new(const net_tls_config_t *cfg, char *err, size_t cap);
/* Read the files again and use them for new handshakes. Returns 0, or
 * ERR_INVAL with the reason in 'err' (the previous certificate stays in
 * use). Any thread. */
int net_tls_ctx_reload(net_tls_ctx_t *ctx, char *err, size_t cap);
/* Free the context; connections still open keep what they use. NULL: no-op. */
void net_tls_ctx_free(net_tls_ctx_t *ctx);
/* The handshake deadline, in milliseconds. */
unsigned net_tls_ctx_handshake_ms(const net_tls_ctx_t *ctx);
/* Describe the certificate in use ("subject ... not after ...") into 'out'. */
void net_tls_ctx_describe(net_tls_ctx_t *ctx, char *out, size_t cap);

/* A server-side TLS session on the context's current certificate. Returns
 * owned (free with net_tls_free). Any loop thread. */
net_tls_t *net_tls_new(net_tls_ctx_t *ctx);
void net_tls_free(net_tls_t *t);

/* Results of net_tls_read. */
#define NET_TLS_OK     0  /* all input taken; plaintext (if any) appended */
#define NET_TLS_EOF    1  /* the peer sent close_notify */
#define NET_TLS_FAILED -1 /* handshake or record failure: close (an alert may be in net_tls_out) */

/* Take 'len' bytes of ciphertext from the peer (borrowed for the call) and
 * append the plaintext they complete to 'plain'. Handshake messages and
 * alerts to send are appended to net_tls_out. Returns NET_TLS_OK,
 * NET_TLS_EOF or NET_TLS_FAILED (then net_tls_error says why). */
int net_tls_read(net_tls_t *t, const char *data, size_t len, buf_t *plain);
/* Encrypt up to 'max' bytes from 'iov' (in order) into net_tls_out.
 * Returns the plaintext bytes taken: all of them unless 'max' cut it, 0
 * before the handshake is done or after net_tls_shutdown, or -1 when
 * OpenSSL failed (net_tls_error says why; close the connection). */
long net_tls_write(net_tls_t *t, const uv_buf_t *iov, size_t n, size_t max);
/* Queue a close_notify alert (once). */
void net_tls_shutdown(net_tls_t *t);
/* Ciphertext to send, in order. The caller consumes what it wrote. */
buf_t *net_tls_out(net_tls_t *t);
/* 1 once the handshake is complete. */
int net_tls_ready(const net_tls_t *t);
/* Why the last net_tls_read failed: a static string. */
const char *net_tls_error(const net_tls_t *t);
/* The negotiated protocol version ("TLSv1.3"), for logs. */
const char *net_tls_version(const net_tls_t *t);

#endif
