/* bench/tlsc: the generator's TLS client, for --tls: OpenSSL on the
 * connection's own non-blocking socket, driven by the same epoll loop.
 *
 * One client SSL_CTX for the process (TLS 1.2 or 1.3, whatever the server
 * picks; --tls-ca FILE verifies the server against that CA, otherwise the
 * certificate is not checked: the bench talks to a server it started on
 * loopback). Each connection's SSL object is given the descriptor; a
 * handshake step, a read or a write returns at once with "want read" or
 * "want write" when the socket is not ready, and the caller waits for that
 * event. Record buffers are released whenever empty (SSL_MODE_RELEASE_BUFFERS)
 * so ten thousand idle subscribers do not hold 34 KiB each. The io helpers
 * take a NULL session for a plain socket, so callers have one path. */
#ifndef BENCH_TLSC_H
#define BENCH_TLSC_H

#include "core/buf.h"

#include <stddef.h>
#include <sys/types.h>

typedef struct ssl_st tlsc_t; /* OpenSSL's SSL */

/* Make the client context. 'ca_file' NULL: do not verify the server.
 * Returns 0, or -1 after printing why. */
int tlsc_init(const char *ca_file);
/* Free the context. */
void tlsc_deinit(void);
/* A client session on the connected socket 'fd'. Returns owned (free with
 * tlsc_free), or NULL. */
tlsc_t *tlsc_new(int fd);
void tlsc_free(tlsc_t *t);

/* One handshake step: 1 done; 0 not yet, *want_write set when it waits
 * to write (else to read); -1 failed (a message in 'err'). */
int tlsc_handshake(tlsc_t *t, int *want_write, char *err, size_t cap);

/* read(2) and send(2) with the semantics of the plain calls (-1 with
 * errno EAGAIN when the socket is not ready, 0 from a read at the peer's
 * end, errno EIO on a TLS failure), through 't' when it is not NULL. */
ssize_t tlsc_read(tlsc_t *t, int fd, void *p, size_t len);
ssize_t tlsc_send(tlsc_t *t, int fd, const void *p, size_t len);
/* wsc_flush through 't': write as much of 'out' as goes, consuming it.
 * Returns 0 (all written), 1 (some left: wait for EPOLLOUT), or -errno. */
int tlsc_flush(tlsc_t *t, int fd, buf_t *out);

#endif
