/* net/loop: one libuv loop per thread, an inbox per loop, and end-of-pass
 * deferred work. See loop.h. */
#include "net/loop.h"

#include "net/batch.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* A one-off task of net_loop_post: the post and its arguments. */
struct net_task {
    net_post_t post;
    net_task_cb cb;
    void *arg;
};

/* In net/conn.c: close the loop's connections that were idle too long. */
void net__sweep_idle(uv_timer_t *t);

static net_loop_t *loops;
static unsigned loops_count;
static net_loop_hook_cb loops_hook;
static _Thread_local net_loop_t *current_loop;
static int batch_writes = 1;

static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static unsigned ready_count;

/* Run every post in the inbox, oldest first. */
static void run_inbox(net_loop_t *loop)
{
    /* Take the whole inbox in one exchange: senders never wait for the
     * posts to run. It is a stack (newest first); reverse it. */
    net_post_t *p = atomic_exchange_explicit(&loop->_inbox, NULL, memory_order_acquire);
    net_post_t *fifo = NULL;
    while (p) {
        net_post_t *next = p->_next;
        p->_next = fifo;
        fifo = p;
        p = next;
    }
    while (fifo) {
        net_post_t *next = fifo->_next;
        fifo->cb(loop, fifo);
        fifo = next;
    }
}

static void on_wakeup(uv_async_t *a)
{
    run_inbox(a->data);
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
     * may wake another connection); run until the list is empty. The
     * flushes queue their writes in the batch; its results may queue more. */
    loop->_in_check = 1;
    for (;;) {
        while (!list_empty(&loop->_deferred)) {
            list_t *n = loop->_deferred.next;
            list_unlink(n);
            net_deferred_t *d = LIST_ENTRY(n, net_deferred_t, _node);
            d->cb(d);
        }
        if (!loop->_batch || !net_batch_pending(loop->_batch)) break;
        net_batch_finish(loop->_batch);
    }
    loop->_in_check = 0;
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

int net_loop_send(net_loop_t *loop, net_post_t *post)
{
    /* The count of senders lets net_loop_stop wait until nobody can still
     * push after it closed the inbox (both sides are sequentially
     * consistent, so one of them sees the other). */
    atomic_fetch_add(&loop->_senders, 1);
    if (atomic_load(&loop->_closed)) {
        atomic_fetch_sub(&loop->_senders, 1);
        return ERR_CLOSED;
    }
    net_post_t *head = atomic_load_explicit(&loop->_inbox, memory_order_relaxed);
    do {
        post->_next = head;
    } while (!atomic_compare_exchange_weak_explicit(&loop->_inbox, &head, post,
                                                    memory_order_release, memory_order_relaxed));
    /* Only the post that found the inbox empty wakes the loop: every later
     * one is taken by the same wakeup. */
    if (!head) uv_async_send(&loop->_wakeup);
    atomic_fetch_sub(&loop->_senders, 1);
    return 0;
}

static void run_task(net_loop_t *loop, net_post_t *post)
{
    struct net_task *t = (struct net_task *)post;
    t->cb(loop, t->arg);
    free(t);
}

int net_loop_post(net_loop_t *loop, net_task_cb cb, void *arg)
{
    struct net_task *t = xmalloc(sizeof *t);
    t->post.cb = run_task;
    t->cb = cb;
    t->arg = arg;
    int rc = net_loop_send(loop, &t->post);
    if (rc) free(t);
    return rc;
}

static void *loop_main(void *arg)
{
    net_loop_t *loop = arg;
    current_loop = loop;
    if (batch_writes) {
        const char *why = NULL;
        loop->_batch = net_batch_new(&why);
        if (!loop->_batch && loop->index == 0)
            log_info("net writes go one system call each: %s", why);
    }
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
    net_batch_free(loop->_batch);
    loop->_batch = NULL;
    return NULL;
}

void net_loops_set_batch_writes(int on)
{
    batch_writes = on;
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
        atomic_init(&loop->_inbox, NULL);
        atomic_init(&loop->_senders, 0);
        atomic_init(&loop->_closed, 0);
        list_init(&loop->_deferred);
        list_init(&loop->_conns);
        list_init(&loop->_timed);
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
    atomic_store(&loop->_closed, 1);
    while (atomic_load(&loop->_senders) != 0) sched_yield();
    /* Run any task that was posted before the stop, then close our own
     * handles; uv_run returns once nothing else is active. */
    run_inbox(loop);
    uv_close((uv_handle_t *)&loop->_wakeup, on_loop_handle_closed);
    uv_close((uv_handle_t *)&loop->_idle, on_loop_handle_closed);
    uv_close((uv_handle_t *)&loop->_check, on_loop_handle_closed);
    uv_close((uv_handle_t *)&loop->_sweep, on_loop_handle_closed);
}

void net_loops_join(void)
{
    /* Join every thread before freeing any loop: a loop that is still
     * running may post to one that has stopped. */
    for (unsigned i = 0; i < loops_count; i++) pthread_join(loops[i]._thread, NULL);
    for (unsigned i = 0; i < loops_count; i++)
        while (loops[i]._spare_in_n > 0) free(loops[i]._spare_in[--loops[i]._spare_in_n]);
    free(loops);
    loops = NULL;
    loops_count = 0;
    ready_count = 0;
}
