/* net/loop: one libuv loop per thread, an inbox per loop, and end-of-pass
 * deferred work. See loop.h. */
#include "net/loop.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

struct net_task {
    list_t node;
    net_task_cb cb;
    void *arg;
};

/* In net/conn.c: close the loop's connections that were idle too long. */
void net__sweep_idle(uv_timer_t *t);

static net_loop_t *loops;
static unsigned loops_count;
static net_loop_hook_cb loops_hook;
static _Thread_local net_loop_t *current_loop;

static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static unsigned ready_count;

static void on_wakeup(uv_async_t *a)
{
    net_loop_t *loop = a->data;
    list_t batch;
    list_init(&batch);
    pthread_mutex_lock(&loop->_lock);
    if (!list_empty(&loop->_inbox)) {
        /* Take the whole inbox at once so posters wait on the lock only for
         * a pointer swap, not for the tasks to run. */
        batch.next = loop->_inbox.next;
        batch.prev = loop->_inbox.prev;
        batch.next->prev = &batch;
        batch.prev->next = &batch;
        list_init(&loop->_inbox);
    }
    pthread_mutex_unlock(&loop->_lock);
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &batch)
    {
        struct net_task *t = LIST_ENTRY(it, struct net_task, node);
        t->cb(loop, t->arg);
        free(t);
    }
}

static void on_idle(uv_idle_t *h)
{
    /* Nothing to do: being active keeps the poll phase from blocking while
     * deferred work waits for the check phase. */
    (void)h;
}

static void on_check(uv_check_t *h)
{
    net_loop_t *loop = h->data;
    /* Callbacks may defer more work (a flush that completes synchronously
     * may wake another connection); run until the list is empty. */
    while (!list_empty(&loop->_deferred)) {
        list_t *n = loop->_deferred.next;
        list_unlink(n);
        net_deferred_t *d = LIST_ENTRY(n, net_deferred_t, _node);
        d->cb(d);
    }
    uv_idle_stop(&loop->_idle);
}

void net_loop_defer(net_loop_t *loop, net_deferred_t *d)
{
    if (list_linked(&d->_node)) return;
    if (list_empty(&loop->_deferred)) uv_idle_start(&loop->_idle, on_idle);
    list_insert_tail(&loop->_deferred, &d->_node);
}

void net_loop_cancel(net_deferred_t *d)
{
    list_unlink(&d->_node);
}

int net_loop_post(net_loop_t *loop, net_task_cb cb, void *arg)
{
    struct net_task *t = xmalloc(sizeof *t);
    t->cb = cb;
    t->arg = arg;
    pthread_mutex_lock(&loop->_lock);
    if (loop->_closed) {
        pthread_mutex_unlock(&loop->_lock);
        free(t);
        return ERR_CLOSED;
    }
    list_insert_tail(&loop->_inbox, &t->node);
    /* Sent under the lock: net_loop_stop closes the handle only after it
     * has set _closed under the same lock. */
    uv_async_send(&loop->_wakeup);
    pthread_mutex_unlock(&loop->_lock);
    return 0;
}

static void *loop_main(void *arg)
{
    net_loop_t *loop = arg;
    current_loop = loop;
    loops_hook(loop, 0);
    pthread_mutex_lock(&ready_lock);
    ready_count++;
    pthread_cond_broadcast(&ready_cond);
    pthread_mutex_unlock(&ready_lock);

    uv_run(&loop->uv, UV_RUN_DEFAULT);

    loops_hook(loop, 1);
    /* Run what the hook closed, then make sure nothing is left behind. */
    uv_run(&loop->uv, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop->uv) != 0) {
        log_error("loop index=%u close failed: handles still open", loop->index);
    }
    return NULL;
}

int net_loops_start(unsigned count, net_loop_hook_cb hook)
{
    loops = xcalloc(count, sizeof *loops);
    loops_count = count;
    loops_hook = hook;
    for (unsigned i = 0; i < count; i++) {
        net_loop_t *loop = &loops[i];
        int rc = uv_loop_init(&loop->uv);
        if (rc != 0) return rc;
        loop->index = i;
        pthread_mutex_init(&loop->_lock, NULL);
        list_init(&loop->_inbox);
        list_init(&loop->_deferred);
        list_init(&loop->_conns);
        uv_async_init(&loop->uv, &loop->_wakeup, on_wakeup);
        loop->_wakeup.data = loop;
        uv_idle_init(&loop->uv, &loop->_idle);
        uv_check_init(&loop->uv, &loop->_check);
        loop->_check.data = loop;
        uv_check_start(&loop->_check, on_check);
        /* The check handle must not keep the loop alive on its own. */
        uv_unref((uv_handle_t *)&loop->_check);
        uv_timer_init(&loop->uv, &loop->_sweep);
        loop->_sweep.data = loop;
        uv_timer_start(&loop->_sweep, net__sweep_idle, 1000, 1000);
        uv_unref((uv_handle_t *)&loop->_sweep);
    }
    for (unsigned i = 0; i < count; i++) {
        int rc = pthread_create(&loops[i]._thread, NULL, loop_main, &loops[i]);
        if (rc != 0) return -rc;
    }
    pthread_mutex_lock(&ready_lock);
    while (ready_count < count) pthread_cond_wait(&ready_cond, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
    return 0;
}

net_loop_t *net_loops_get(unsigned i)
{
    return i < loops_count ? &loops[i] : NULL;
}

unsigned net_loops_count(void)
{
    return loops_count;
}

net_loop_t *net_loop_current(void)
{
    return current_loop;
}

static void on_loop_handle_closed(uv_handle_t *h)
{
    (void)h;
}

void net_loop_stop(net_loop_t *loop)
{
    if (loop->_stopping) return;
    loop->_stopping = 1;
    pthread_mutex_lock(&loop->_lock);
    loop->_closed = 1;
    pthread_mutex_unlock(&loop->_lock);
    /* Run any task that was posted before the stop, then close our own
     * handles; uv_run returns once nothing else is active. */
    on_wakeup(&loop->_wakeup);
    uv_close((uv_handle_t *)&loop->_wakeup, on_loop_handle_closed);
    uv_close((uv_handle_t *)&loop->_idle, on_loop_handle_closed);
    uv_close((uv_handle_t *)&loop->_check, on_loop_handle_closed);
    uv_close((uv_handle_t *)&loop->_sweep, on_loop_handle_closed);
}

void net_loops_join(void)
{
    /* Join every thread before destroying any lock: a loop that is still
     * running may post to one that has stopped. */
    for (unsigned i = 0; i < loops_count; i++) pthread_join(loops[i]._thread, NULL);
    for (unsigned i = 0; i < loops_count; i++) {
        pthread_mutex_destroy(&loops[i]._lock);
    }
    free(loops);
    loops = NULL;
    loops_count = 0;
    ready_count = 0;
}
