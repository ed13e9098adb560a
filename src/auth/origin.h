/* auth/origin: the allow-list of WebSocket Origins.
 *
 * An origin is "scheme://host[:port]" (RFC 6454 serialization), and a request
 * is allowed when its Origin header equals one entry byte for byte, as Action
 * Cable compares with `===` on strings: a different case, a trailing slash or
 * a default port spelled out is a different origin and is refused.
 *
 * The list is filled once at startup, then only read. After setup it is
 * shared by every event-loop thread without locks; auth_origins_add must not
 * be called once other threads can see the list. */
#ifndef AUTH_ORIGIN_H
#define AUTH_ORIGIN_H

#include <stddef.h>

typedef struct auth_origins auth_origins_t; /* opaque */

/* Return a new, empty list (owned; free with auth_origins_free). Never NULL. */
auth_origins_t *auth_origins_new(void);
/* Free the list and its strings. NULL is a no-op. */
void auth_origins_free(auth_origins_t *o);
/* Add one origin (borrowed; copied). Returns 0, or ERR_INVAL when it is not of
 * the form scheme://host[:port] with no path, query, fragment, user info or
 * trailing slash. Adding an origin already on the list is a no-op. */
int auth_origins_add(auth_origins_t *o, const char *origin);
/* Return 1 when 'origin' (len bytes, borrowed, not NUL-terminated) is on the
 * list, else 0. A NULL or empty origin is never allowed. Safe to call from any
 * thread once setup is over. */
int auth_origins_allowed(const auth_origins_t *o, const char *origin, size_t len);
/* Number of entries. */
size_t auth_origins_count(const auth_origins_t *o);
/* Entry 'i' (0-based) as a NUL-terminated string owned by the list, or NULL
 * when i >= count. */
const char *auth_origins_get(const auth_origins_t *o, size_t i);

#endif
