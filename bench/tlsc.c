/* bench/tlsc: non-blocking OpenSSL client sessions. See tlsc.h. */
#include "tlsc.h"

#include "wsc.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static SSL_CTX *ctx;

int tlsc_init(const char *ca_file)
{
    /* OpenSSL writes with write(2), not send(MSG_NOSIGNAL). */
    signal(SIGPIPE, SIG_IGN);
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return -1;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* Partial writes and a moving buffer: tlsc_flush consumes what went
     * out and retries from the buffer's new head. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            fprintf(stderr, "fanout: --tls-ca %s: cannot load it\n", ca_file);
            return -1;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    return 0;
}

void tlsc_deinit(void)
{
    SSL_CTX_free(ctx);
    ctx = NULL;
}

tlsc_t *tlsc_new(int fd)
{
    SSL *s = SSL_new(ctx);
    if (!s) return NULL;
    if (SSL_set_fd(s, fd) != 1) {
        SSL_free(s);
        return NULL;
    }
    SSL_set_connect_state(s);
    return s;
}

void tlsc_free(tlsc_t *t)
{
    SSL_free(t);
}

int tlsc_handshake(tlsc_t *t, int *want_write, char *err, size_t cap)
{
    ERR_clear_error();
    int r = SSL_do_handshake(t);
    if (r == 1) return 1;
    int e = SSL_get_error(t, r);
    *want_write = e == SSL_ERROR_WANT_WRITE;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    unsigned long code = ERR_peek_last_error();
    snprintf(err, cap, "%s", code ? ERR_reason_error_string(code) : "connection closed");
    ERR_clear_error();
    return -1;
}

/* errno for an SSL_read or SSL_write that returned 'r'; -1 or 0. */
static ssize_t failed(tlsc_t *t, int r)
{
    int e = SSL_get_error(t, r);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    if (e == SSL_ERROR_SYSCALL && errno == 0) return 0; /* EOF without close_notify */
    if (e != SSL_ERROR_SYSCALL) errno = EIO;
    return -1;
}

/* One SSL_read returns one record at most; a plain read returns all the
 * socket holds. Records are read until the socket is empty or 'p' has no
 * room for another, so a wakeup costs the same as a plain one. */
#define TLSC_RECORD 16384

ssize_t tlsc_read(tlsc_t *t, int fd, void *p, size_t len)
{
    if (!t) return read(fd, p, len);
    size_t total = 0;
    for (;;) {
        size_t got = 0;
        ERR_clear_error();
        errno = 0;
        int r = SSL_read_ex(t, (char *)p + total, len - total, &got);
        if (r != 1) {
            /* What was read goes first; an error or the end shows next call. */
            if (total > 0) {
                ERR_clear_error();
                return (ssize_t)total;
            }
            return failed(t, r);
        }
        total += got;
        if (len - total < TLSC_RECORD) return (ssize_t)total;
    }
}

ssize_t tlsc_send(tlsc_t *t, int fd, const void *p, size_t len)
{
    if (!t) return send(fd, p, len, MSG_NOSIGNAL);
    size_t done = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write_ex(t, p, len, &done);
    return r == 1 ? (ssize_t)done : failed(t, r);
}

int tlsc_flush(tlsc_t *t, int fd, buf_t *out)
{
    if (!t) return wsc_flush(fd, out);
    while (out->len) {
        ssize_t n = tlsc_send(t, fd, buf_head(out), out->len);
        if (n < 0) {
            if (errno == EAGAIN) return 1;
            return -(errno ? errno : EIO);
        }
        buf_consume(out, (size_t)n);
    }
    return 0;
}
