/* net/loop: event-loop threads.
 *
 * cabled runs one libuv loop per thread. Each loop owns its connections,
 * its timers and its share of the stream index; nothing of one loop is
 * touched by another thread. The only ways in from outside are:
 *
 *   net_loop_post()   queue a task on the loop's inbox (MPSC, mutex + list)
 *                     and wake it with uv_async; tasks run in FIFO order on
 *                     the loop's thread.
 *
 * Within a loop, net_loop_defer() schedules work for the end of the current
 * loop pass (a uv_check handle, with a uv_idle handle held active meanwhile
 * so the poll phase does not block while work is pending). Connections use
 * it to coalesce everything queued in one pass into one writev. */
#ifndef NET_LOOP_H
#define NET_LOOP_H

#include "core/list.h"

#include <pthread.h>
#include <uv.h>

typedef struct net_loop net_loop_t;
typedef void (*net_task_cb)(net_loop_t *loop, void *arg);

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
    pthread_mutex_t _lock;
    list_t _inbox;           /* of struct net_task, guarded by _lock */
    list_t _deferred;        /* of net_deferred_t, loop thread only */
    list_t _conns;           /* every open net_conn of this loop */
    uv_idle_t _idle;
    uv_check_t _check;
    uv_timer_t _sweep;       /* closes connections past their idle deadline */
    int _stopping;
    int _closed;             /* inbox refuses posts; guarded by _lock */
};

/* Called on the loop's own thread before it starts running, and once more
 * after uv_run returns (stopping = 1) so the caller can release what it set
 * up. */
typedef void (*net_loop_hook_cb)(net_loop_t *loop, int stopping);

/* Create 'count' loops and start a thread for each. 'hook' runs on each
 * thread first; net_loops_start returns after every hook has returned, so
 * listeners are accepting when it returns 0. Returns 0 or -errno. */
int net_loops_start(unsigned count, net_loop_hook_cb hook);
/* The loops, valid after net_loops_start until net_loops_join returns. */
net_loop_t *net_loops_get(unsigned i);
unsigned net_loops_count(void);
/* The loop of the calling thread, or NULL on a thread that is not a loop. */
net_loop_t *net_loop_current(void);

/* Queue 'cb(loop, arg)' to run on 'loop's thread. Thread-safe. Returns 0,
 * and the callback then runs exactly once; or ERR_CLOSED when the loop has
 * stopped, and the callback never runs (the caller still owns 'arg'). */
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
