/* net/listener: SO_REUSEPORT listeners, one per loop. See listener.h. */
#include "net/listener.h"

#include "core/err.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_addr_parse(const char *hostport, struct sockaddr_storage *out)
{
    char host[128];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport) return ERR_INVAL;
    size_t hlen = (size_t)(colon - hostport);
    if (hlen >= sizeof host) return ERR_INVAL;
    memcpy(host, hostport, hlen);
    host[hlen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535) return ERR_INVAL;
    memset(out, 0, sizeof *out);
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        if (uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)out) != 0) return ERR_INVAL;
        return 0;
    }
    if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) != 0) return ERR_INVAL;
    return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
    net_listener_t *l = server->data;
    if (status == UV_EMFILE || status == UV_ENFILE) {
        /* libuv has already accepted and closed what was pending, with the
         * descriptor it keeps in reserve for this. Say so once, not once
         * per connection, until an accept works again. */
        if (!l->at_fd_limit)
            log_warn("net accept failed err=%s: at the descriptor limit, new connections are "
                     "closed unanswered until some end",
                     uv_err_name(status));
        l->at_fd_limit = 1;
        return;
    }
    if (status < 0) {
        log_warn("net listen error err=%s", uv_err_name(status));
        return;
    }
    if (l->at_fd_limit) log_info("net accepting again after the descriptor limit");
    l->at_fd_limit = 0;
    l->on_accept(l, server);
}

int net_listener_bind(struct sockaddr_storage *addr)
{
    int family = addr->ss_family;
    socklen_t alen = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)addr, alen) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0) {
        /* Port 0: later sockets must join the port the kernel picked. */
        if (family == AF_INET)
            ((struct sockaddr_in *)addr)->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
        else
            ((struct sockaddr_in6 *)addr)->sin6_port = ((struct sockaddr_in6 *)&bound)->sin6_port;
    }
    return fd;
}

int net_listener_probe(const struct sockaddr_storage *addr)
{
    int family = addr->ss_family;
    socklen_t alen = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    /* SO_REUSEADDR only: a socket in TIME_WAIT does not count, a listener
     * does, whether or not it set SO_REUSEPORT. */
    int one = 1, rc = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)addr, alen) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

int net_listener_start(net_listener_t *l, net_loop_t *loop, int fd, net_accept_cb on_accept)
{
    l->loop = loop;
    l->on_accept = on_accept;
    l->closed = 0;
    l->at_fd_limit = 0;
    uv_tcp_init(&loop->uv, &l->tcp);
    l->tcp.data = l;
    int rc = uv_tcp_open(&l->tcp, fd);
    if (rc != 0) close(fd);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&l->tcp, 1024, on_connection);
    if (rc != 0) {
        net_listener_close(l);
        return rc;
    }
    return 0;
}

void net_listener_close(net_listener_t *l)
{
    if (l->closed) return;
    l->closed = 1;
    uv_close((uv_handle_t *)&l->tcp, NULL);
}
