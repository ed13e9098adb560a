/* net/batch: the socket writes of one loop pass, handed to the kernel in one
 * io_uring submission instead of one write() each.
 *
 * A broadcast reaches every subscriber of a loop in the same pass, so the
 * pass ends with thousands of small writes, one per socket. Each write() is
 * a system call, and with page-table isolation every entry and exit costs
 * about as much as the send itself on loopback. Submitted together, the
 * sends run inside a few io_uring_enter calls: at 10,000 subscribers the
 * server spends 0.44x the CPU per delivery of one write() each, and the
 * p99 is halved (bench/compare.sh B with cabled-write; bench/README.md).
 *
 * Semantics stay those of a non-blocking write: each send carries
 * MSG_DONTWAIT, so the kernel never parks one to retry later; it completes
 * at once with the bytes it took or -EAGAIN. The batch is submitted and its
 * completions read before the loop pass ends (net/loop.c on_check), and the
 * connection handles the result exactly as it would a write()'s
 * (net/conn.c net__conn_batch_done). The buffers handed over are the
 * connection's queued payloads, kept until then by the connection's
 * in-flight count.
 *
 * Where io_uring is not there (an old kernel, a seccomp profile that denies
 * it) or --no-io-uring says so, a loop has no batch and connections write
 * directly. */
#ifndef NET_BATCH_H
#define NET_BATCH_H

#include <stddef.h>
#include <sys/uio.h>

typedef struct net_batch net_batch_t;
struct net_conn;

/* A batch for one loop, or NULL when io_uring cannot be used (the reason
 * goes to *why, a static string). Loop thread only from then on. */
net_batch_t *net_batch_new(const char **why);
void net_batch_free(net_batch_t *b);
/* Queue a send of iov[0..n) on fd for connection 'c'. Returns 0, or -1 when
 * the batch cannot take it (the caller writes directly). The iovecs are
 * copied; the bytes they point to must stay until net_batch_finish. */
int net_batch_add(net_batch_t *b, int fd, const struct iovec *iov, size_t n, struct net_conn *c);
/* 1 when sends are queued. */
int net_batch_pending(const net_batch_t *b);
/* Submit what is queued and give each connection its result (bytes written
 * or a negative errno) through net__conn_batch_done, in the order queued.
 * Connections may queue again from there; the caller loops while pending. */
void net_batch_finish(net_batch_t *b);
/* In net/conn.c: the result of a send queued for 'c'. */
void net__conn_batch_done(struct net_conn *c, int result);

#endif
