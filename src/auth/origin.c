/* auth/origin: exact-match Origin allow-list. See origin.h.
 *
 * The list is a plain array of owned strings with their lengths. It holds a
 * handful of entries (one per configured front end), so a linear scan with a
 * length check first beats any index. Validation happens once, in
 * auth_origins_add; lookups only compare bytes. */
#include "auth/origin.h"

#include "core/alloc.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

struct origin_entry {
    char *str;  /* owned, NUL-terminated */
    size_t len; /* strlen(str) */
};

struct auth_origins {
    struct origin_entry *items; /* owned array of 'count' entries */
    size_t count, cap;
};

auth_origins_t *auth_origins_new(void)
{
    return xcalloc(1, sizeof(auth_origins_t));
}

void auth_origins_free(auth_origins_t *o)
{
    if (!o) return;
    for (size_t i = 0; i < o->count; i++) free(o->items[i].str);
    free(o->items);
    free(o);
}

static int is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A registered name or IPv4 address: RFC 3986 unreserved characters only.
 * Percent-encoding and sub-delimiters never appear in the Origin a browser
 * serializes, so they are refused rather than half-supported. */
static int is_host_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* scheme://host[:port], RFC 3986 section 3.1 for the scheme, section 3.2.2 for
 * the host (a bracketed IPv6 literal is accepted), section 3.2.3 for the port
 * (1 to 5 digits, at most 65535). Nothing may follow. */
static int origin_valid(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0 || !is_alpha((unsigned char)s[0])) return 0;
    while (i < len && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
                       s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (len - i < 3 || memcmp(s + i, "://", 3) != 0) return 0;
    i += 3;

    size_t host_start = i;
    if (i < len && s[i] == '[') {
        i++;
        size_t inner = i;
        while (i < len && (is_hex((unsigned char)s[i]) || s[i] == ':' || s[i] == '.')) i++;
        if (i == inner || i >= len || s[i] != ']') return 0;
        i++;
    } else {
        while (i < len && is_host_char((unsigned char)s[i])) i++;
    }
    if (i == host_start) return 0;

    if (i < len && s[i] == ':') {
        i++;
        size_t digits = 0;
        unsigned long port = 0;
        while (i < len && is_digit((unsigned char)s[i]) && digits < 6) {
            port = port * 10 + (unsigned long)(s[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || digits > 5 || port > 65535) return 0;
    }
    return i == len;
}

int auth_origins_add(auth_origins_t *o, const char *origin)
{
    if (!o || !origin) return ERR_INVAL;
    size_t len = strlen(origin);
    if (!origin_valid(origin, len)) return ERR_INVAL;
    if (auth_origins_allowed(o, origin, len)) return 0;
    if (o->count == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 4;
        o->items = xrealloc(o->items, o->cap * sizeof *o->items);
    }
    o->items[o->count].str = xstrndup(origin, len);
    o->items[o->count].len = len;
    o->count++;
    return 0;
}

int auth_origins_allowed(const auth_origins_t *o, const char *origin, size_t len)
{
    if (!o || !origin || len == 0) return 0;
    for (size_t i = 0; i < o->count; i++) {
        if (o->items[i].len == len && memcmp(o->items[i].str, origin, len) == 0) return 1;
    }
    return 0;
}

size_t auth_origins_count(const auth_origins_t *o)
{
    return o ? o->count : 0;
}

const char *auth_origins_get(const auth_origins_t *o, size_t i)
{
    if (!o || i >= o->count) return NULL;
    return o->items[i].str;
}
