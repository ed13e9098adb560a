/* auth/revoked: in-memory revoked-token set. See revoked.h. */
#include "auth/revoked.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct entry {
    char *jti;
    int64_t expires_at;
    UT_hash_handle hh;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct entry *set;
static int64_t next_prune;

static void prune(int64_t now)
{
    struct entry *e, *tmp;
    HASH_ITER(hh, set, e, tmp)
    {
        if (e->expires_at <= now) {
            HASH_DEL(set, e);
            free(e->jti);
            free(e);
        }
    }
}

void auth_revoked_add(const char *jti, int64_t expires_at, int64_t now)
{
    pthread_rwlock_wrlock(&lock);
    /* Revocations are rare; pruning at most once a minute keeps the walk
     * over the set off the common path. */
    if (now >= next_prune) {
        prune(now);
        next_prune = now + 60;
    }
    struct entry *e;
    HASH_FIND_STR(set, jti, e);
    if (!e && expires_at > now) {
        e = xcalloc(1, sizeof *e);
        e->jti = xstrdup(jti);
        e->expires_at = expires_at;
        HASH_ADD_KEYPTR(hh, set, e->jti, strlen(e->jti), e);
    }
    pthread_rwlock_unlock(&lock);
}

int auth_revoked_contains(const char *jti)
{
    pthread_rwlock_rdlock(&lock);
    struct entry *e;
    HASH_FIND_STR(set, jti, e);
    pthread_rwlock_unlock(&lock);
    return e != NULL;
}

size_t auth_revoked_count(void)
{
    pthread_rwlock_rdlock(&lock);
    size_t n = HASH_COUNT(set);
    pthread_rwlock_unlock(&lock);
    return n;
}

void auth_revoked_clear(void)
{
    pthread_rwlock_wrlock(&lock);
    struct entry *e, *tmp;
    HASH_ITER(hh, set, e, tmp)
    {
        HASH_DEL(set, e);
        free(e->jti);
        free(e);
    }
    next_prune = 0;
    pthread_rwlock_unlock(&lock);
}
