/* core/metrics: the counters, the labelled series, the delivery histogram
 * and their text export. See metrics.h. */
#include "core/metrics.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct metrics metrics;

/* ---- labelled series ------------------------------------------------------ */

struct series {
    char *key; /* the label values, each followed by '\0' */
    size_t key_len;
    atomic_long value;
    UT_hash_handle hh;
};

struct family {
    const char *name, *type, *help, *labels;
    unsigned nlabels;
    struct series *series; /* in creation order */
    size_t count;
};

static struct family families[METRICS_FAMILY_COUNT] = {
#define METRICS_FAMILY_INIT(n, t, h, l) {.name = #n, .type = #t, .help = h, .labels = l},
    METRICS_FAMILIES(METRICS_FAMILY_INIT)
#undef METRICS_FAMILY_INIT
};

/* Guards the tables, never the values (atomics). */
static pthread_mutex_t series_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned label_count(const char *labels)
{
    unsigned n = 1;
    for (const char *p = labels; *p; p++) n += *p == ',';
    return n;
}

/* The key of 'values' in 'buf' (size 'cap'): each value and a '\0'. */
static size_t make_key(char *buf, size_t cap, unsigned n, const char *const *values)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *v = values[i] ? values[i] : "";
        size_t l = strlen(v);
        if (l > cap - len - 1) l = cap - len - 1;
        memcpy(buf + len, v, l);
        len += l;
        buf[len++] = '\0';
        if (len == cap) break;
    }
    return len;
}

static struct series *find(struct family *fam, const char *key, size_t len)
{
    struct series *s;
    HASH_FIND(hh, fam->series, key, len, s);
    return s;
}

void metrics_series_add(enum metrics_family_id f, const char *const *values, long n)
{
    struct family *fam = &families[f];
    char key[512];
    pthread_mutex_lock(&series_lock);
    if (!fam->nlabels) fam->nlabels = label_count(fam->labels);
    size_t len = make_key(key, sizeof key, fam->nlabels, values);
    struct series *s = find(fam, key, len);
    if (!s && fam->count >= METRICS_SERIES_MAX) {
        /* Label values should come from a small set; if they do not, the
         * table stays bounded. */
        const char *other[8] = {"other", "other", "other", "other",
                                "other", "other", "other", "other"};
        len = make_key(key, sizeof key, fam->nlabels, other);
        s = find(fam, key, len);
    }
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->key = xmalloc(len);
        memcpy(s->key, key, len);
        s->key_len = len;
        atomic_init(&s->value, 0);
        HASH_ADD_KEYPTR(hh, fam->series, s->key, s->key_len, s);
        fam->count++;
    }
    pthread_mutex_unlock(&series_lock);
    atomic_fetch_add_explicit(&s->value, n, memory_order_relaxed);
}

long metrics_series_get(enum metrics_family_id f, const char *const *values)
{
    struct family *fam = &families[f];
    char key[512];
    pthread_mutex_lock(&series_lock);
    if (!fam->nlabels) fam->nlabels = label_count(fam->labels);
    struct series *s = find(fam, key, make_key(key, sizeof key, fam->nlabels, values));
    long v = s ? atomic_load_explicit(&s->value, memory_order_relaxed) : 0;
    pthread_mutex_unlock(&series_lock);
    return v;
}

void metrics_append_label_value(buf_t *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            buf_printf(out, "\\%c", *p);
        else if (*p == '\n')
            buf_append(out, "\\n", 2);
        else
            buf_append(out, p, 1);
    }
}

static void append_family(buf_t *out, struct family *fam)
{
    buf_printf(out, "# HELP cabled_%s %s\n# TYPE cabled_%s %s\n", fam->name, fam->help, fam->name,
               fam->type);
    struct series *s;
    for (s = fam->series; s; s = s->hh.next) {
        buf_printf(out, "cabled_%s{", fam->name);
        const char *label = fam->labels, *value = s->key;
        for (unsigned i = 0; i < fam->nlabels; i++) {
            const char *comma = strchr(label, ',');
            size_t llen = comma ? (size_t)(comma - label) : strlen(label);
            buf_printf(out, "%s%.*s=\"", i ? "," : "", (int)llen, label);
            metrics_append_label_value(out, value);
            buf_append(out, "\"", 1);
            value += strlen(value) + 1;
            label += llen + (comma ? 1 : 0);
        }
        buf_printf(out, "} %ld\n", atomic_load_explicit(&s->value, memory_order_relaxed));
    }
}

/* ---- the delivery histogram ------------------------------------------------- */

static const uint64_t delivery_bounds_us[] = {METRICS_DELIVERY_BUCKETS_US};
#define DELIVERY_BUCKETS (sizeof delivery_bounds_us / sizeof delivery_bounds_us[0] + 1)
#define DELIVERY_SHARDS  64

/* One event loop's observations. A shard has one writer, so a count is a
 * relaxed load and store, no locked instruction; a scrape reads them with
 * relaxed loads. Aligned so that two loops never share a cache line. */
struct delivery_shard {
    _Alignas(64) atomic_long buckets[DELIVERY_BUCKETS]; /* not cumulative */
    atomic_long sum_us;
    atomic_long count;
};

static struct delivery_shard delivery[DELIVERY_SHARDS];

static void bump(atomic_long *a, long n)
{
    atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

void metrics_delivery_observe(unsigned shard, uint64_t us, long count)
{
    struct delivery_shard *sh = &delivery[shard % DELIVERY_SHARDS];
    size_t b = 0;
    while (b < DELIVERY_BUCKETS - 1 && us > delivery_bounds_us[b]) b++;
    bump(&sh->buckets[b], count);
    bump(&sh->sum_us, (long)us * count);
    bump(&sh->count, count);
}

static void append_delivery(buf_t *out)
{
    static const char name[] = "cabled_broadcast_delivery_seconds";
    buf_printf(out,
               "# HELP %s Time from a broadcast reaching the hub to its frame queued on a "
               "subscriber's connection\n# TYPE %s histogram\n",
               name, name);
    long cumulative = 0, sum_us = 0, count = 0;
    for (size_t b = 0; b < DELIVERY_BUCKETS; b++) {
        for (size_t s = 0; s < DELIVERY_SHARDS; s++)
            cumulative += atomic_load_explicit(&delivery[s].buckets[b], memory_order_relaxed);
        if (b < DELIVERY_BUCKETS - 1)
            buf_printf(out, "%s_bucket{le=\"%g\"} %ld\n", name, delivery_bounds_us[b] / 1e6,
                       cumulative);
        else
            buf_printf(out, "%s_bucket{le=\"+Inf\"} %ld\n", name, cumulative);
    }
    for (size_t s = 0; s < DELIVERY_SHARDS; s++) {
        sum_us += atomic_load_explicit(&delivery[s].sum_us, memory_order_relaxed);
        count += atomic_load_explicit(&delivery[s].count, memory_order_relaxed);
    }
    /* The shards are read one after another while loops write: a scrape
     * may see a bucket ahead of the count by a few; the next one agrees. */
    if (cumulative > count) count = cumulative;
    buf_printf(out, "%s_sum %.6f\n%s_count %ld\n", name, sum_us / 1e6, name, count);
}

/* ---- export ----------------------------------------------------------------- */

void metrics_append_text(buf_t *out)
{
#define METRICS_TEXT(name, type, help)                                                             \
    buf_printf(out, "# HELP cabled_%s %s\n# TYPE cabled_%s %s\ncabled_%s %ld\n", #name, help,      \
               #name, #type, #name, atomic_load_explicit(&metrics.name, memory_order_relaxed));
    METRICS_MAP(METRICS_TEXT)
#undef METRICS_TEXT
    pthread_mutex_lock(&series_lock);
    for (size_t f = 0; f < METRICS_FAMILY_COUNT; f++) {
        if (!families[f].nlabels) families[f].nlabels = label_count(families[f].labels);
        append_family(out, &families[f]);
    }
    pthread_mutex_unlock(&series_lock);
    append_delivery(out);
}
