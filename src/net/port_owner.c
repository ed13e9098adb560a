/* net/port_owner: the owner of a listening port, read from /proc. See
 * port_owner.h. */
#include "net/port_owner.h"

#include "core/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TCP_LISTEN 0x0A

/* The address of 'addr' as /proc/net/tcp{,6} prints it: the bytes of the
 * address as 32-bit words in host order, each "%08X". */
static void proc_hex(const struct sockaddr_storage *addr, char *out, size_t cap, int *port)
{
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        snprintf(out, cap, "%08X", (unsigned)a->sin_addr.s_addr);
        *port = ntohs(a->sin_port);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        uint32_t w[4];
        memcpy(w, &a->sin6_addr, sizeof w);
        snprintf(out, cap, "%08X%08X%08X%08X", (unsigned)w[0], (unsigned)w[1], (unsigned)w[2],
                 (unsigned)w[3]);
        *port = ntohs(a->sin6_port);
    }
}

static int all_zero(const char *hex)
{
    for (; *hex; hex++)
        if (*hex != '0') return 0;
    return 1;
}

/* The inode of a socket listening on 'want' (hex address) : 'port' in
 * table 'path', or 0. A wildcard on either side matches. */
static unsigned long find_inode(const char *path, const char *want, int port)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    unsigned long found = 0;
    if (!fgets(line, sizeof line, f)) goto done; /* the header */
    while (!found && fgets(line, sizeof line, f)) {
        char local[64], remote[64];
        unsigned st, lport;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*[^:]: %63[0-9A-Fa-f]:%x %63s %x %*s %*s %*s %*s %*s %lu", local,
                   &lport, remote, &st, &inode) != 5)
            continue;
        if (st != TCP_LISTEN || (int)lport != port || inode == 0) continue;
        if (strcasecmp(local, want) == 0 || all_zero(local) || all_zero(want)) found = inode;
    }
done:
    fclose(f);
    return found;
}

/* The pid of a process with a descriptor on socket 'inode', or 0. */
static pid_t find_pid(unsigned long inode)
{
    char want[64];
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    DIR *proc = opendir("/proc");
    if (!proc) return 0;
    pid_t found = 0;
    struct dirent *de;
    while (!found && (de = readdir(proc))) {
        if (!isdigit((unsigned char)de->d_name[0])) continue;
        char dir[300];
        snprintf(dir, sizeof dir, "/proc/%s/fd", de->d_name);
        DIR *fds = opendir(dir);
        if (!fds) continue;
        struct dirent *fe;
        while ((fe = readdir(fds))) {
            char link[600], target[64];
            snprintf(link, sizeof link, "%s/%s", dir, fe->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = '\0';
            if (strcmp(target, want) == 0) {
                found = (pid_t)atol(de->d_name);
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    return found;
}

static void read_cmdline(pid_t pid, char *cmd, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
    cmd[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, cmd, cap - 1);
    close(fd);
    if (n <= 0) {
        cmd[0] = '\0';
        return;
    }
    while (n > 0 && cmd[n - 1] == '\0') n--;
    for (ssize_t i = 0; i < n; i++)
        if (cmd[i] == '\0' || !isprint((unsigned char)cmd[i])) cmd[i] = ' ';
    cmd[n] = '\0';
}

int net_port_owner(const struct sockaddr_storage *addr, pid_t *pid, char *cmd, size_t cap)
{
    char hex[40];
    int port;
    proc_hex(addr, hex, sizeof hex, &port);
    /* A v4 address may be held by a dual-stack v6 wildcard, and the other
     * way round: look in both tables. */
    unsigned long inode =
        find_inode(addr->ss_family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6", hex, port);
    if (!inode)
        inode = find_inode(
            addr->ss_family == AF_INET ? "/proc/net/tcp6" : "/proc/net/tcp",
            addr->ss_family == AF_INET ? "00000000000000000000000000000000" : "00000000", port);
    if (!inode) return ERR_NOT_FOUND;
    pid_t p = find_pid(inode);
    if (!p) return ERR_NOT_FOUND;
    *pid = p;
    read_cmdline(p, cmd, cap);
    return 0;
}
