/* net/listener: a listening socket per loop, all bound to one address with
 * SO_REUSEPORT so the kernel spreads new connections across the loops.
 *
 * libuv 1.44 (Debian 12) cannot set SO_REUSEPORT itself, so the socket is
 * made here and handed to uv_tcp_open. Port 0 is resolved once by the first
 * listener; the others bind the port it got. */
#ifndef NET_LISTENER_H
#define NET_LISTENER_H

#include "net/loop.h"

#include <uv.h>

typedef struct net_listener net_listener_t;
/* Called on the loop thread for every accepted connection. */
typedef void (*net_accept_cb)(net_listener_t *l, uv_stream_t *server);

struct net_listener {
    uv_tcp_t tcp;        /* private */
    net_loop_t *loop;
    net_accept_cb on_accept;
    void *data;
    int closed;
    int at_fd_limit; /* accept failed with EMFILE/ENFILE; logged, not yet recovered */
};

/* Parse "HOST:PORT" ("127.0.0.1:8080", "[::1]:0", "0.0.0.0:80") into 'out'.
 * Returns 0 or ERR_INVAL. */
int net_addr_parse(const char *hostport, struct sockaddr_storage *out);
/* Create a non-blocking SO_REUSEPORT socket bound to 'addr'. If the port
 * in 'addr' is 0 it is replaced by the port the kernel chose, so the next
 * socket binds the same one. Returns the fd or -errno. Any thread. */
int net_listener_bind(struct sockaddr_storage *addr);
/* 0 when no socket listens on 'addr' (its port must not be 0); -EADDRINUSE
 * when one does, SO_REUSEPORT or not (another process, say); another
 * -errno when the address cannot be bound at all. Binds a probe socket
 * without SO_REUSEPORT and closes it. */
int net_listener_probe(const struct sockaddr_storage *addr);
/* Listen on the bound socket 'fd' from 'loop' (on its thread); the
 * listener owns 'fd' from now on, even on failure. Returns 0 or -errno. */
int net_listener_start(net_listener_t *l, net_loop_t *loop, int fd, net_accept_cb on_accept);
/* Stop accepting; the handle is closed asynchronously. */
void net_listener_close(net_listener_t *l);

#endif
