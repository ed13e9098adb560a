/* Unit tests for net/port_owner: a socket this process listens on is found
 * and named; a free port is not. */
#include "test.h"

#include "core/err.h"
#include "net/port_owner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(struct sockaddr_storage *ss, const char *ip)
{
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    a->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a->sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = sizeof *a;
    if (fd < 0 || bind(fd, (struct sockaddr *)a, len) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)a, &len) != 0)
        return -1;
    return fd;
}

TEST(net_port_owner_names_the_listener)
{
    struct sockaddr_storage ss;
    int fd = listen_on(&ss, "127.0.0.1");
    ASSERT(fd >= 0);
    pid_t pid = 0;
    char cmd[256];
    ASSERT_EQ(net_port_owner(&ss, &pid, cmd, sizeof cmd), 0);
    ASSERT_EQ(pid, getpid());
    ASSERT(strstr(cmd, "run_tests") != NULL);
    close(fd);
    /* Nobody listens there any more. */
    ASSERT_EQ(net_port_owner(&ss, &pid, cmd, sizeof cmd), ERR_NOT_FOUND);
}

TEST(net_port_owner_wildcard_listener)
{
    struct sockaddr_storage any;
    int fd = listen_on(&any, "0.0.0.0");
    ASSERT(fd >= 0);
    /* Asked about 127.0.0.1 on the port the wildcard holds. */
    struct sockaddr_storage ss = any;
    inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&ss)->sin_addr);
    pid_t pid = 0;
    char cmd[8];
    ASSERT_EQ(net_port_owner(&ss, &pid, cmd, sizeof cmd), 0);
    ASSERT_EQ(pid, getpid());
    ASSERT(strlen(cmd) < sizeof cmd);
    close(fd);
}
