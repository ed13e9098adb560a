/* core/rand: kernel randomness, see rand.h.
 *
 * Identifiers draw from a per-thread pool filled by one getrandom(2) call
 * for many of them: a connect names its session, and a syscall per connect
 * is measurable at tens of thousands of connects per second. Keys and
 * tokens (rand_bytes) always come straight from the kernel. */
#include "core/rand.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void rand_bytes(void *out, size_t n)
{
    char *p = out;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror("cabled: getrandom");
            abort();
        }
        p += r;
        n -= (size_t)r;
    }
}

#define RAND_POOL 512

static _Thread_local struct {
    unsigned char bytes[RAND_POOL];
    size_t used; /* bytes[used..] are still unused */
    int filled;
} pool;

/* Take 'n' (at most RAND_POOL) pooled random bytes; each is used once and
 * wiped from the pool. */
static void pool_take(unsigned char *out, size_t n)
{
    if (!pool.filled || RAND_POOL - pool.used < n) {
        rand_bytes(pool.bytes, RAND_POOL);
        pool.used = 0;
        pool.filled = 1;
    }
    memcpy(out, pool.bytes + pool.used, n);
    memset(pool.bytes + pool.used, 0, n);
    pool.used += n;
}

void rand_urlsafe(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    unsigned char raw[64];
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < sizeof raw ? n - done : sizeof raw;
        pool_take(raw, chunk);
        /* 64 symbols: the low six bits of each byte are uniform. */
        for (size_t i = 0; i < chunk; i++) out[done + i] = alphabet[raw[i] & 63];
        done += chunk;
    }
    out[n] = '\0';
}
