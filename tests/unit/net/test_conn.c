/* Unit tests for net/conn over a real loopback socket: what a client that
 * stopped reading still gets once the payloads it has not started to receive
 * are dropped. */
#include "test.h"

#include "core/payload.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAYLOAD  65536
#define PAYLOADS 200

static struct {
    net_listener_t listener;
    int fd;
    net_conn_t *conn;
    atomic_int accepted;
    atomic_int dropped_done;
    atomic_size_t pending_after_drop;
} t;

static void on_conn_read(net_conn_t *c)
{
    buf_consume(&c->in, c->in.len);
}

static void on_conn_close(net_conn_t *c)
{
    (void)c;
    t.conn = NULL;
}

static const net_conn_handler_t handler = {.on_read = on_conn_read, .on_close = on_conn_close};

static void on_accept(net_listener_t *l, uv_stream_t *server)
{
    t.conn = net_conn_accept(l->loop, server, (size_t)1 << 30);
    if (t.conn) net_conn_set_handler(t.conn, &handler, NULL);
    atomic_store(&t.accepted, 1);
}

static void hook(net_loop_t *loop, int stopping)
{
    if (!stopping) net_listener_start(&t.listener, loop, t.fd, on_accept);
}

/* Queue PAYLOADS payloads of PAYLOAD bytes, payload i filled with byte i. */
static void fill(net_loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    char *data = malloc(PAYLOAD);
    for (int i = 0; i < PAYLOADS; i++) {
        memset(data, i & 0xff, PAYLOAD);
        payload_t *p = payload_copy(data, PAYLOAD);
        net_conn_send(t.conn, p);
        payload_unref(p);
    }
    free(data);
}

static void drop(net_loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    net_conn_drop_unsent(t.conn);
    atomic_store(&t.pending_after_drop, net_conn_pending(t.conn));
    net_conn_close_after_flush(t.conn, 2000);
    atomic_store(&t.dropped_done, 1);
}

static void finish(net_loop_t *loop, void *arg)
{
    (void)arg;
    net_listener_close(&t.listener);
    if (t.conn) net_conn_close(t.conn);
    net_loop_stop(loop);
}

/* Read what is there, waiting at most 'wait_ms' for more each time, up to
 * 'max' bytes; each byte is checked against the payload it belongs to.
 * Returns the bytes read, or -1 when a byte is out of place. */
static long read_checked(int fd, long *total, long max, int wait_ms)
{
    static char buf[65536];
    long got = 0;
    while (got < max) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, wait_ms) <= 0) break;
        size_t want = sizeof buf;
        if ((long)want > max - got) want = (size_t)(max - got);
        ssize_t n = recv(fd, buf, want, 0);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++)
            if ((unsigned char)buf[i] != (unsigned char)(((*total + i) / PAYLOAD) & 0xff))
                return -1;
        *total += n;
        got += n;
    }
    return got;
}

TEST(net_conn_drop_unsent_keeps_only_the_payload_being_written)
{
    memset(&t, 0, sizeof t);
    struct sockaddr_storage addr;
    ASSERT_EQ(net_addr_parse("127.0.0.1:0", &addr), 0);
    t.fd = net_listener_bind(&addr);
    ASSERT(t.fd >= 0);
    ASSERT_EQ(net_loops_start(1, hook), 0);
    net_loop_t *loop = net_loops_get(0);

    int client = socket(AF_INET, SOCK_STREAM, 0);
    int small = 16384;
    setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ASSERT_EQ(connect(client, (struct sockaddr *)&addr, sizeof(struct sockaddr_in)), 0);
    for (int i = 0; i < 500 && !atomic_load(&t.accepted); i++) usleep(2000);
    ASSERT(atomic_load(&t.accepted));

    /* The client reads part of the stream and stops: the kernel buffers
     * fill, the server's queue holds the rest, and each time the kernel took
     * something the server handed more to libuv. */
    ASSERT_EQ(net_loop_post(loop, fill, NULL), 0);
    long total = 0;
    ASSERT(read_checked(client, &total, 3 * PAYLOAD + 123, 1000) > 0);
    usleep(200000);
    ASSERT(read_checked(client, &total, 5 * PAYLOAD, 200) >= 0);
    usleep(200000);

    /* Dropped as a slow client: only the payload partly written may stay,
     * and the client then gets it whole and nothing after it. */
    ASSERT_EQ(net_loop_post(loop, drop, NULL), 0);
    for (int i = 0; i < 500 && !atomic_load(&t.dropped_done); i++) usleep(2000);
    size_t pending = atomic_load(&t.pending_after_drop);
    if (pending > PAYLOAD) TEST_FAIL_("%zu bytes still queued after the drop", pending);
    ASSERT(read_checked(client, &total, (long)PAYLOADS * PAYLOAD, 1000) >= 0);
    if (total % PAYLOAD != 0)
        TEST_FAIL_("the stream ends %ld bytes into a payload", total % PAYLOAD);
    ASSERT(total < (long)PAYLOADS * PAYLOAD);

    close(client);
    ASSERT_EQ(net_loop_post(loop, finish, NULL), 0);
    net_loops_join();
}
