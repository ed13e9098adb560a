/* auth/revoked: the set of revoked access tokens (by jti), in memory.
 *
 * The handshake and every member API call check it, so it must be fast
 * and must not touch the disk: the store keeps the durable copy, this set
 * is loaded from it at start and fed by revocation events (from this node
 * or, through pub/sub, from the others). Entries leave once the token
 * would have expired anyway. Thread-safe (a read-write lock). */
#ifndef AUTH_REVOKED_H
#define AUTH_REVOKED_H

#include <stddef.h>
#include <stdint.h>

/* Add 'jti', revoked until 'expires_at' (unix seconds). Also drops entries
 * that expired before 'now'. */
void auth_revoked_add(const char *jti, int64_t expires_at, int64_t now);
/* 1 when 'jti' is revoked. */
int auth_revoked_contains(const char *jti);
size_t auth_revoked_count(void);
/* Forget everything (at exit, and between tests). */
void auth_revoked_clear(void);

#endif
