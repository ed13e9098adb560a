/* auth/members: the members this node knows to exist and be active, in
 * memory, so a handshake or a Member API call with a valid token does not
 * ask the store each time.
 *
 * A token proves who signed it, not that its member is still there: a
 * member unknown here is looked up in the store once (off the loop), and
 * remembered when found active. A member deactivated or deleted on any
 * node is forgotten on every node (a control message), so the next use of
 * their token looks again and is refused. Thread-safe (a read-write lock);
 * bounded: past AUTH_MEMBERS_MAX entries the set starts over. */
#ifndef AUTH_MEMBERS_H
#define AUTH_MEMBERS_H

#include <stddef.h>

#define AUTH_MEMBERS_MAX 1000000

/* 1 when member 'id' is known to exist and be active. */
int auth_members_known(long long id);
/* Remember member 'id' as active. */
void auth_members_add(long long id);
/* Forget member 'id' (deactivated or deleted). */
void auth_members_forget(long long id);
size_t auth_members_count(void);
/* Forget everything (at exit, and between tests). */
void auth_members_clear(void);

#endif
