/* auth/members: the known active members. See members.h. */
#include "auth/members.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <uthash.h>

struct known {
    long long id;
    UT_hash_handle hh;
};

static struct known *set;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

int auth_members_known(long long id)
{
    struct known *k;
    pthread_rwlock_rdlock(&lock);
    HASH_FIND(hh, set, &id, sizeof id, k);
    pthread_rwlock_unlock(&lock);
    return k != NULL;
}

static void clear_locked(void)
{
    struct known *k, *tmp;
    HASH_ITER(hh, set, k, tmp)
    {
        HASH_DEL(set, k);
        free(k);
    }
}

void auth_members_add(long long id)
{
    pthread_rwlock_wrlock(&lock);
    struct known *k;
    HASH_FIND(hh, set, &id, sizeof id, k);
    if (!k) {
        /* Forgetting everyone costs one store lookup per member later; it
         * keeps the set from growing without end. */
        if (HASH_COUNT(set) >= AUTH_MEMBERS_MAX) clear_locked();
        k = xmalloc(sizeof *k);
        k->id = id;
        HASH_ADD(hh, set, id, sizeof k->id, k);
    }
    pthread_rwlock_unlock(&lock);
}

void auth_members_forget(long long id)
{
    pthread_rwlock_wrlock(&lock);
    struct known *k;
    HASH_FIND(hh, set, &id, sizeof id, k);
    if (k) {
        HASH_DEL(set, k);
        free(k);
    }
    pthread_rwlock_unlock(&lock);
}

size_t auth_members_count(void)
{
    pthread_rwlock_rdlock(&lock);
    size_t n = HASH_COUNT(set);
    pthread_rwlock_unlock(&lock);
    return n;
}

void auth_members_clear(void)
{
    pthread_rwlock_wrlock(&lock);
    clear_locked();
    pthread_rwlock_unlock(&lock);
}
