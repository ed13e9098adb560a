/* bench/wsc: sockets, upgrade and masked frames of the generator's clients.
 * See wsc.h. */
#include "wsc.h"

#include "ws/frame.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

/* RFC 6455 section 1.3: this key's accept value is the one below. */
#define WS_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* A fixed masking key: the mask protects intermediaries from a hostile
 * page's bytes (section 10.3), which a load generator on loopback is not. */
static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};

int wsc_socket(const struct sockaddr_storage *server, uint32_t index, uint32_t sources, int rcvbuf)
{
    int fd = socket(server->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    const struct sockaddr_in *sin = (const struct sockaddr_in *)server;
    if (sources > 1 && server->ss_family == AF_INET && (ntohl(sin->sin_addr.s_addr) >> 24) == 127) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001u + index % sources);
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
            int e = errno;
            close(fd);
            return -e;
        }
    }
    socklen_t alen =
        server->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (connect(fd, (const struct sockaddr *)server, alen) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int wsc_connected(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return -errno;
    return -err;
}

void wsc_upgrade_request(buf_t *out, const char *host, const char *port, const char *path,
                         const char *origin, const char *token)
{
    buf_printf(out,
               "GET %s HTTP/1.1\r\n"
               "Host: %s:%s\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n"
               "Sec-WebSocket-Key: " WS_KEY "\r\n"
               "Sec-WebSocket-Version: 13\r\n",
               path, host, port);
    if (origin) buf_printf(out, "Origin: %s\r\n", origin);
    if (token) {
        /* The token is data, not a format. */
        buf_puts(out, "Authorization: Bearer ");
        buf_puts(out, token);
        buf_puts(out, "\r\n");
    }
    buf_puts(out, "\r\n");
}

long wsc_upgrade_response(const char *p, size_t len)
{
    const char *end = memmem(p, len, "\r\n\r\n", 4);
    if (!end) return len > WSC_HEAD_MAX ? -1 : 0;
    size_t head = (size_t)(end - p) + 4;
    if (len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0 || !memmem(p, head, WS_ACCEPT, 28))
        return -1;
    return (long)head;
}

void wsc_append_text(buf_t *out, const void *data, size_t len)
{
    ws_frame_append_masked(out, WS_OP_TEXT, 1, mask, data, len);
}

void wsc_append_pong(buf_t *out, const void *data, size_t len)
{
    ws_frame_append_masked(out, WS_OP_PONG, 1, mask, data, len);
}

int wsc_flush(int fd, buf_t *out)
{
    while (out->len) {
        ssize_t n = send(fd, buf_head(out), out->len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
            return -errno;
        }
        buf_consume(out, (size_t)n);
    }
    return 0;
}
