/* channels/access_cache: allowed room subscriptions. See access_cache.h. */
#include "channels/access_cache.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct key {
    long long room_id;
    long long member;
};

struct allowed {
    struct key key;
    uint64_t version;
    UT_hash_handle hh;
};

struct uuid_entry {
    char uuid[40];
    long long room_id;
    UT_hash_handle hh;
};

static struct allowed *allowed;
static struct uuid_entry *uuids;
static size_t entries;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

static void clear_locked(void)
{
    struct allowed *a, *atmp;
    HASH_ITER(hh, allowed, a, atmp)
    {
        HASH_DEL(allowed, a);
        free(a);
    }
    struct uuid_entry *u, *utmp;
    HASH_ITER(hh, uuids, u, utmp)
    {
        HASH_DEL(uuids, u);
        free(u);
    }
    entries = 0;
}

int access_cache_allowed(long long room_id, long long member, uint64_t version)
{
    struct key k = {room_id, member};
    struct allowed *a;
    pthread_rwlock_rdlock(&lock);
    HASH_FIND(hh, allowed, &k, sizeof k, a);
    int ok = a && a->version == version;
    pthread_rwlock_unlock(&lock);
    return ok;
}

void access_cache_allow(long long room_id, long long member, uint64_t version)
{
    struct key k = {room_id, member};
    pthread_rwlock_wrlock(&lock);
    struct allowed *a;
    HASH_FIND(hh, allowed, &k, sizeof k, a);
    if (!a) {
        /* Starting over costs one store lookup per subscriber later; it
         * keeps the cache from growing without end. */
        if (entries >= ACCESS_CACHE_MAX) clear_locked();
        a = xcalloc(1, sizeof *a);
        a->key = k;
        HASH_ADD(hh, allowed, key, sizeof a->key, a);
        entries++;
    }
    a->version = version;
    pthread_rwlock_unlock(&lock);
}

long long access_cache_room(const char *uuid)
{
    struct uuid_entry *u;
    pthread_rwlock_rdlock(&lock);
    HASH_FIND_STR(uuids, uuid, u);
    long long id = u ? u->room_id : 0;
    pthread_rwlock_unlock(&lock);
    return id;
}

void access_cache_room_add(const char *uuid, long long room_id)
{
    if (strlen(uuid) >= sizeof ((struct uuid_entry *)0)->uuid) return;
    pthread_rwlock_wrlock(&lock);
    struct uuid_entry *u;
    HASH_FIND_STR(uuids, uuid, u);
    if (!u) {
        if (entries >= ACCESS_CACHE_MAX) clear_locked();
        u = xcalloc(1, sizeof *u);
        strcpy(u->uuid, uuid);
        HASH_ADD_STR(uuids, uuid, u);
        entries++;
    }
    u->room_id = room_id;
    pthread_rwlock_unlock(&lock);
}

void access_cache_clear(void)
{
    pthread_rwlock_wrlock(&lock);
    clear_locked();
    pthread_rwlock_unlock(&lock);
}
