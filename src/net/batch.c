/* net/batch: one io_uring submission for the socket writes of a loop pass.
 * See batch.h.
 *
 * Hand-written around liburing rather than left to libuv: Debian 12's libuv
 * (1.44) has no io_uring for sockets, and what is needed is narrow: queue
 * non-blocking sends, submit them at the end of the pass, read each result. */
#include "net/batch.h"

#include "core/alloc.h"
#include "core/log.h"
#include "core/metrics.h"

#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Submission queue size: sends queued before they go to the kernel. A pass
 * with more submits every this many. */
#define BATCH_ENTRIES 1024
/* iovecs copied for the queued sends of several buffers (sendmsg). */
#define BATCH_IOVS 8192

struct net_batch {
    struct io_uring ring;
    /* The sends handed to the ring and not yet submitted, and their
     * storage: a msghdr per send, the iovecs of those with several. */
    unsigned queued;
    struct msghdr msgs[BATCH_ENTRIES];
    struct iovec iovs[BATCH_IOVS];
    size_t iovs_used;
    /* Every send of this pass, in order, with its result once known. */
    struct net_conn **conns;
    int *results;
    size_t count, cap;
    size_t unanswered; /* submitted or queued, completion not yet read */
};

net_batch_t *net_batch_new(const char **why)
{
    net_batch_t *b = xcalloc(1, sizeof *b);
    int rc = io_uring_queue_init(BATCH_ENTRIES, &b->ring, 0);
    if (rc < 0) {
        *why = rc == -EPERM || rc == -ENOSYS ? "io_uring is not allowed here"
                                               : "io_uring_setup failed";
        free(b);
        return NULL;
    }
    struct io_uring_probe *probe = io_uring_get_probe_ring(&b->ring);
    int ok = probe && io_uring_opcode_supported(probe, IORING_OP_SEND) &&
             io_uring_opcode_supported(probe, IORING_OP_SENDMSG);
    if (probe) io_uring_free_probe(probe);
    if (!ok) {
        *why = "the kernel's io_uring has no send";
        io_uring_queue_exit(&b->ring);
        free(b);
        return NULL;
    }
    return b;
}

void net_batch_free(net_batch_t *b)
{
    if (!b) return;
    io_uring_queue_exit(&b->ring);
    free(b->conns);
    free(b->results);
    free(b);
}

int net_batch_pending(const net_batch_t *b)
{
    return b->count > 0;
}

/* Submit what is queued and read completions until every send handed over
 * has its result. MSG_DONTWAIT sends complete inside the submission, so
 * this does not wait on the network. */
static void submit_and_reap(net_batch_t *b)
{
    if (b->unanswered > 0) METRIC_ADD(write_submissions_total, 1);
    while (b->unanswered > 0) {
        int rc = io_uring_submit_and_wait(&b->ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            /* The ring itself is broken (EBADF, EFAULT, EINVAL): nothing
             * sensible can continue on this loop. */
            log_error("net io_uring_enter failed err=%s", strerror(-rc));
            abort();
        }
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&b->ring, head, cqe)
        {
            b->results[cqe->user_data] = cqe->res;
            seen++;
        }
        io_uring_cq_advance(&b->ring, seen);
        b->unanswered -= seen;
    }
    b->queued = 0;
    b->iovs_used = 0;
}

int net_batch_add(net_batch_t *b, int fd, const struct iovec *iov, size_t n, struct net_conn *c)
{
    if (n == 0 || n > BATCH_IOVS) return -1;
    /* Room in the ring and in the iovec store, else what is queued goes now. */
    if (b->queued == BATCH_ENTRIES || (n > 1 && b->iovs_used + n > BATCH_IOVS)) submit_and_reap(b);
    struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
    if (!sqe) return -1;
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->conns = xrealloc(b->conns, b->cap * sizeof *b->conns);
        b->results = xrealloc(b->results, b->cap * sizeof *b->results);
    }
    const int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
    if (n == 1) {
        io_uring_prep_send(sqe, fd, iov[0].iov_base, iov[0].iov_len, flags);
    } else {
        struct iovec *mine = &b->iovs[b->iovs_used];
        memcpy(mine, iov, n * sizeof *iov);
        b->iovs_used += n;
        struct msghdr *msg = &b->msgs[b->queued];
        *msg = (struct msghdr){.msg_iov = mine, .msg_iovlen = n};
        io_uring_prep_sendmsg(sqe, fd, msg, flags);
    }
    io_uring_sqe_set_data64(sqe, b->count);
    b->conns[b->count] = c;
    b->results[b->count] = 0;
    b->count++;
    b->queued++;
    b->unanswered++;
    return 0;
}

void net_batch_finish(net_batch_t *b)
{
    submit_and_reap(b);
    /* Results go out in the order queued; a connection may queue again
     * from its callback, into a batch that starts empty. */
    size_t count = b->count, cap = b->cap;
    struct net_conn **conns = b->conns;
    int *results = b->results;
    b->conns = NULL;
    b->results = NULL;
    b->count = b->cap = 0;
    METRIC_ADD(writes_batched_total, count);
    for (size_t i = 0; i < count; i++) net__conn_batch_done(conns[i], results[i]);
    if (b->conns) {
        /* The callbacks queued again: those arrays are the batch's now. */
        free(conns);
        free(results);
        return;
    }
    b->conns = conns;
    b->results = results;
    b->cap = cap;
}
