/* core/rand: kernel randomness, see rand.h. */
#include "core/rand.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

void rand_urlsafe(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    unsigned char raw[64];
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < sizeof raw ? n - done : sizeof raw;
        rand_bytes(raw, chunk);
        /* 64 symbols: the low six bits of each byte are uniform. */
        for (size_t i = 0; i < chunk; i++) out[done + i] = alphabet[raw[i] & 63];
        done += chunk;
    }
    out[n] = '\0';
}
