/* net/port_owner: which process listens on a TCP address, so a refusal to
 * start on a busy port can name it.
 *
 * Linux only, best effort: the listening socket is found by its port (and
 * address) in /proc/net/tcp and /proc/net/tcp6, which give its inode, and
 * the process by a descriptor in /proc/PID/fd that links to
 * "socket:[INODE]". Processes of other users are not visible to a process
 * without the privilege to read their descriptors; the answer is then "not
 * found". Blocking file reads: call at start, never from a loop. */
#ifndef NET_PORT_OWNER_H
#define NET_PORT_OWNER_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Find a process with a socket listening on 'addr' (or on the wildcard
 * address of its port). Returns 0 and fills *pid and 'cmd' (size 'cap', at
 * least 2: its command line, arguments joined by spaces, truncated), or
 * ERR_NOT_FOUND. */
int net_port_owner(const struct sockaddr_storage *addr, pid_t *pid, char *cmd, size_t cap);

#endif
