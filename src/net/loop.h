/* net/loop: event-loop threads.
 *
 * cabled runs one libuv loop per thread. Each loop owns its connections,
 * its timers and its share of the stream index; nothing of one loop is
 * touched by another thread. The only way in from outside is the loop's
 * inbox, a lock-free multi-producer queue of posts:
 *
 *   net_loop_send()   queue a post embedded in the caller's own object (a
 *                     broadcast carries one per loop), so sending allocates
 *                     nothing and takes no lock; the loop is woken with
 *                     uv_async only when its inbox was empty.
 *   net_loop_post()   the same for a one-off task: allocates the post.
 *
 * Posts run in the order they were queued, on the loop's thread; the loop
 * takes its whole inbox at once per wakeup.
 *
 * Within a loop, net_loop_defer() schedules work for the end of the current
 * loop pass (a uv_check handle, with a uv_idle handle held active meanwhile
 * so the poll phase does not block while work is pending). Connections use
 * it to coalesce everything queued in one pass into one writev; the writevs
 * of every connection of the pass then go to the kernel in one io_uring
 * submission (net/batch.h). */
#ifndef NET_LOOP_H
#define NET_LOOP_H

#include "core/list.h"

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

typedef struct net_loop net_loop_t;

/* Spare read buffers a loop keeps (see struct net_loop). */
#define NET_LOOP_SPARE_IN 8
typedef void (*net_task_cb)(net_loop_t *loop, void *arg);

/* A message for a loop's inbox, embedded in its owner. 'cb' runs once on
 * the loop's thread with the post itself; the owner must stay alive until
 * then. A post is on at most one inbox at a time. */
typedef struct net_post {
    void (*cb)(net_loop_t *loop, struct net_post *post);
    struct net_post *_next;
} net_post_t;

/* Work for the end of this loop pass. Embedded in its owner. */
typedef struct net_deferred {
    list_t _node;
    void (*cb)(struct net_deferred *d);
} net_deferred_t;

struct net_loop {
    /* read-only after start */
    uv_loop_t uv;
    unsigned index;          /* 0 .. count-1 */
    void *data;              /* the application's per-loop state */
    /* private */
    pthread_t _thread;
    uv_async_t _wakeup;
    _Atomic(net_post_t *) _inbox; /* newest first; taken whole by the loop */
    atomic_uint _senders;    /* threads inside net_loop_send right now */
    atomic_int _closed;      /* the inbox refuses posts */
    list_t _deferred;        /* of net_deferred_t, loop thread only */
    list_t _conns;           /* every open net_conn of this loop */
    list_t _timed;           /* those with an idle timeout or a deadline: what the sweep looks at */
    uv_idle_t _idle;
    uv_check_t _check;
    uv_timer_t _sweep;       /* closes connections past their idle deadline */
    /* Read buffers of connections that emptied theirs, kept for the next
     * read on this loop (net/conn.c): a connect or a request does not pay
     * for a fresh 64 KiB allocation and its release to the kernel. */
    char *_spare_in[NET_LOOP_SPARE_IN];
    unsigned _spare_in_n;
    /* The writes of the pass being finished go to the kernel together
     * (net/batch.h); NULL: each connection writes directly. */
    struct net_batch *_batch;
    int _in_check;           /* running the deferred work: writes may be batched */
    int _stopping;
};

/* Called on the loop's own thread before it starts running, and once more
 * after uv_run returns (stopping = 1) so the caller can release what it set
 * up. */
typedef void (*net_loop_hook_cb)(net_loop_t *loop, int stopping);

/* Create 'count' loops and start a thread for each. 'hook' runs on each
 * thread first; net_loops_start returns after every hook has returned, so
 * listeners are accepting when it returns 0. Returns 0 or -errno. */
int net_loops_start(unsigned count, net_loop_hook_cb hook);
/* Whether loops started from now on batch their writes through io_uring
 * (default: yes, where the kernel allows it). Before net_loops_start. */
void net_loops_set_batch_writes(int on);
/* The loops, valid after net_loops_start until net_loops_join returns. */
net_loop_t *net_loops_get(unsigned i);
unsigned net_loops_count(void);
/* The loop of the calling thread, or NULL on a thread that is not a loop. */
net_loop_t *net_loop_current(void);

/* Queue 'post' (p->cb set by the caller) to run on 'loop's thread.
 * Thread-safe, lock-free, allocates nothing. Returns 0, and p->cb then runs
 * exactly once; or ERR_CLOSED when the loop has stopped, and it never runs. */
int net_loop_send(net_loop_t *loop, net_post_t *post);
/* Queue 'cb(loop, arg)' to run on 'loop's thread (allocates the post).
 * Thread-safe. Returns 0, and the callback then runs exactly once; or
 * ERR_CLOSED when the loop has stopped, and the callback never runs (the
 * caller still owns 'arg'). */
int net_loop_post(net_loop_t *loop, net_task_cb cb, void *arg);
/* Run d->cb at the end of the current loop pass, once, however often this
 * is called before then. Loop thread only. */
void net_loop_defer(net_loop_t *loop, net_deferred_t *d);
/* Forget a pending deferred call (when its owner goes away). */
void net_loop_cancel(net_deferred_t *d);
static inline void net_deferred_init(net_deferred_t *d, void (*cb)(net_deferred_t *))
{
    list_init(&d->_node);
    d->cb = cb;
}
/* Ask the loop to stop once its own handles are closed: the hook (stopping)
 * runs on its thread after uv_run returns. Call from the loop thread after
 * closing the application's handles. */
void net_loop_stop(net_loop_t *loop);
/* Close every connection of this loop now (the last step of a shutdown). */
void net_loop_close_conns(net_loop_t *loop);
/* Wait for every loop thread to finish and free the loops. */
void net_loops_join(void);

#endif
