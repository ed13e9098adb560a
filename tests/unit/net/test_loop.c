/* Unit tests for net/loop and net/listener: cross-thread posting in order,
 * deferred work once per pass, port-0 binding shared by every socket. */
#include "test.h"

#include "core/err.h"
#include "net/listener.h"
#include "net/loop.h"

#include <stdatomic.h>
#include <unistd.h>

static atomic_int seen[2];
static atomic_int order_ok = 1;
static atomic_int stopped;

static void hook(net_loop_t *loop, int stopping)
{
    (void)loop;
    if (stopping) atomic_fetch_add(&stopped, 1);
}

static void record(net_loop_t *loop, void *arg)
{
    int want = (int)(intptr_t)arg;
    int got = atomic_fetch_add(&seen[loop->index], 1);
    if (got != want) atomic_store(&order_ok, 0);
}

static void stop(net_loop_t *loop, void *arg)
{
    (void)arg;
    net_loop_stop(loop);
}

TEST(net_loop_post_runs_in_order_on_each_loop)
{
    ASSERT_EQ(net_loops_start(2, hook), 0);
    ASSERT_EQ(net_loops_count(), 2);
    for (int i = 0; i < 1000; i++) {
        ASSERT_EQ(net_loop_post(net_loops_get(0), record, (void *)(intptr_t)i), 0);
        ASSERT_EQ(net_loop_post(net_loops_get(1), record, (void *)(intptr_t)i), 0);
    }
    net_loop_post(net_loops_get(0), stop, NULL);
    net_loop_post(net_loops_get(1), stop, NULL);
    net_loops_join();
    ASSERT_EQ(atomic_load(&seen[0]), 1000);
    ASSERT_EQ(atomic_load(&seen[1]), 1000);
    ASSERT_EQ(atomic_load(&order_ok), 1);
    ASSERT_EQ(atomic_load(&stopped), 2);
}

static int deferred_runs;
static net_deferred_t deferred;

static void on_deferred(net_deferred_t *d)
{
    (void)d;
    deferred_runs++;
}

static void defer_twice_then_stop(net_loop_t *loop, void *arg)
{
    (void)arg;
    net_deferred_init(&deferred, on_deferred);
    net_loop_defer(loop, &deferred);
    net_loop_defer(loop, &deferred);
}

static void check_then_stop(net_loop_t *loop, void *arg)
{
    (void)arg;
    net_loop_stop(loop);
}

static void noop_hook(net_loop_t *loop, int stopping) { (void)loop, (void)stopping; }

TEST(net_loop_defer_runs_once_per_pass)
{
    ASSERT_EQ(net_loops_start(1, noop_hook), 0);
    net_loop_post(net_loops_get(0), defer_twice_then_stop, NULL);
    usleep(50000);
    net_loop_post(net_loops_get(0), check_then_stop, NULL);
    net_loops_join();
    ASSERT_EQ(deferred_runs, 1);
}

static void stop_now(net_loop_t *loop, void *arg)
{
    (void)arg;
    net_loop_stop(loop);
}

TEST(net_loop_post_after_stop_is_refused)
{
    ASSERT_EQ(net_loops_start(1, noop_hook), 0);
    net_loop_t *loop = net_loops_get(0);
    ASSERT_EQ(net_loop_post(loop, stop_now, NULL), 0);
    /* Wait until the loop refuses posts: it has stopped. */
    int rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++) {
        usleep(5000);
        rc = net_loop_post(loop, record, (void *)(intptr_t)-1);
    }
    ASSERT_EQ(rc, ERR_CLOSED);
    net_loops_join();
}

TEST(net_listener_port_zero_is_shared)
{
    struct sockaddr_storage addr;
    ASSERT_EQ(net_addr_parse("127.0.0.1:0", &addr), 0);
    int a = net_listener_bind(&addr);
    ASSERT(a >= 0);
    int port = ntohs(((struct sockaddr_in *)&addr)->sin_port);
    ASSERT(port > 0);
    int b = net_listener_bind(&addr);
    ASSERT(b >= 0);
    ASSERT_EQ(ntohs(((struct sockaddr_in *)&addr)->sin_port), port);
    close(a);
    close(b);
    ASSERT_EQ(net_addr_parse("nonsense", &addr), ERR_INVAL);
    ASSERT_EQ(net_addr_parse("127.0.0.1:99999", &addr), ERR_INVAL);
    ASSERT_EQ(net_addr_parse("[::1]:8080", &addr), 0);
    ASSERT_EQ(addr.ss_family, AF_INET6);
    ASSERT_EQ(net_addr_parse("localhost:80", &addr), 0);
}
