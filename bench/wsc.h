/* bench/wsc: the generator's side of a WebSocket connection, the parts
 * every role shares.
 *
 * Sockets: non-blocking TCP connects to the server, optionally from one of
 * several loopback source addresses (127.0.0.1, 127.0.0.2, ...). The kernel
 * picks an ephemeral port per (source, destination) pair, so K sources give
 * K times the ~28,000 ports of ip_local_port_range: past 64k connections to
 * one server port, across processes, without running out of ports.
 * IP_BIND_ADDRESS_NO_PORT defers the port choice to connect(), where the
 * whole 4-tuple is known.
 *
 * Handshake: a fixed upgrade request (the sample key of RFC 6455 section
 * 1.3, so the expected Sec-WebSocket-Accept is a constant and no SHA-1 is
 * computed per connection) and a check of the 101 response. Frames from the
 * server are parsed with the server's own pure codec (ws/frame.h), which is
 * tested against other clients; frames to the server are masked as section
 * 5.3 requires. */
#ifndef BENCH_WSC_H
#define BENCH_WSC_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WSC_HEAD_MAX 8192 /* longest 101 response accepted */

/* Open a non-blocking TCP socket to 'server' and start connecting. With
 * 'sources' > 1 and an IPv4 loopback server, bind to 127.0.0.(1 + index %
 * sources) first. 'rcvbuf' > 0 sets SO_RCVBUF before the connect (a small
 * window for a client that will stop reading). TCP_NODELAY is set. Returns
 * the descriptor (the connect may still be in progress: wait for
 * EPOLLOUT, then wsc_connected), or -errno. */
int wsc_socket(const struct sockaddr_storage *server, uint32_t index, uint32_t sources, int rcvbuf);

/* The outcome of a non-blocking connect on 'fd': 0, or -errno. */
int wsc_connected(int fd);

/* Append the upgrade request for 'path' to 'out'. 'origin' and 'token' may
 * be NULL (no Origin header, no Authorization header). */
void wsc_upgrade_request(buf_t *out, const char *host, const char *port, const char *path,
                         const char *origin, const char *token);

/* Look at the first 'len' bytes a server sent after the upgrade request.
 * Returns the length of a complete 101 head with the expected accept value,
 * 0 if the head is incomplete (and not over WSC_HEAD_MAX), or -1 if the
 * upgrade was refused or the head is too long. */
long wsc_upgrade_response(const char *p, size_t len);

/* Append one masked text frame carrying 'len' bytes at 'data' to 'out'. */
void wsc_append_text(buf_t *out, const void *data, size_t len);

/* Append a masked pong answering a ping whose payload is 'data'. */
void wsc_append_pong(buf_t *out, const void *data, size_t len);

/* Write as much of 'out' to 'fd' as the socket takes, consuming it.
 * Returns 0 (all written), 1 (some left: wait for EPOLLOUT), or -errno. */
int wsc_flush(int fd, buf_t *out);

#endif
