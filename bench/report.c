/* bench/report: summary lines, report files and their merge. See report.h. */
#include "report.h"

#include "fanout.h"
#include "hist.h"
#include "publisher.h"
#include "subscribers.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAGIC   "fanout-report 1"
#define MERGE_MAX_GENS 64 /* report files one merge reads */

/* ---- summary lines ------------------------------------------------------- */

/* " p50_us=… p90_us=… p99_us=… p999_us=… max_us=… mean_us=…" */
static void print_latency(const hist_t *h)
{
    printf(" p50_us=%" PRIu64 " p90_us=%" PRIu64 " p99_us=%" PRIu64 " p999_us=%" PRIu64
           " max_us=%" PRIu64 " mean_us=%.0f",
           hist_quantile(h, 0.50), hist_quantile(h, 0.90), hist_quantile(h, 0.99),
           hist_quantile(h, 0.999), h->max, hist_mean(h));
}

static double seconds(mono_us_t from, mono_us_t to)
{
    return from && to > from ? (double)(to - from) / 1e6 : 0;
}

static void print_rate(void)
{
    if (fanout_opt.rate > 0)
        printf(" rate=%g/s", fanout_opt.rate);
    else
        printf(" rate=max");
}

static void print_cpu(void)
{
    const fanout_run_t *r = &fanout_run;
    printf(" client_cpu_s=%.2f", r->client_cpu_end - r->client_cpu_start);
    if (r->server_cpu_start >= 0 && r->server_cpu_end >= 0)
        printf(" server_cpu_s=%.2f", r->server_cpu_end - r->server_cpu_start);
}

static void print_rss(void)
{
    const fanout_run_t *r = &fanout_run;
    if (r->rss_before_kb >= 0 && r->rss_after_kb >= 0)
        printf(" rss_before_kb=%ld rss_after_kb=%ld rss_per_conn_bytes=%.0f", r->rss_before_kb,
               r->rss_after_kb,
               (double)(r->rss_after_kb - r->rss_before_kb) * 1024.0 / fanout_opt.subscribers);
}

static void print_end(void)
{
    printf("%s%s\n", fanout_run.timed_out ? " timeout=1" : "",
           fanout_run.interrupted ? " interrupted=1" : "");
    fflush(stdout);
}

static uint64_t lost(void)
{
    return (uint64_t)fanout_opt.subscribers * fanout_opt.broadcasts - subs_stats.delivered;
}

/* Subscribe and publish in one process: the line `make bench` prints. */
static int print_both(void)
{
    const subs_stats_t *s = &subs_stats;
    const fanout_run_t *r = &fanout_run;
    mono_us_t end = s->last_delivery > pub_stats.start ? s->last_delivery : pub_stats.start;
    double secs = seconds(pub_stats.start, end);
    uint64_t deliveries = s->delivered + s->dups;
    printf("fanout subscribers=%u broadcasts=%u", fanout_opt.subscribers, fanout_opt.broadcasts);
    print_rate();
    printf(" payload_bytes=%u pipeline=%u deliveries=%" PRIu64
           " duration_s=%.3f deliveries_per_s=%.0f broadcasts_per_s=%.1f",
           fanout_opt.payload_bytes, fanout_opt.pipeline, deliveries, secs,
           secs > 0 ? (double)deliveries / secs : 0, secs > 0 ? (double)pub_stats.acked / secs : 0);
    print_latency(&s->latency);
    printf(" lost=%" PRIu64 " dup=%" PRIu64 " ack_mean_us=%.0f ack_max_us=%" PRIu64
           " short_subscribers=%u dropped=%u refused=%u bad=%" PRIu64 " connect_s=%.3f",
           lost(), s->dups, pub_stats.acked ? (double)pub_stats.ack_sum_us / pub_stats.acked : 0,
           pub_stats.ack_max_us, subs_short(), s->dropped, pub_stats.refused, s->bad,
           seconds(r->connect_start, r->connect_end));
    if (pub_stats.start) print_cpu();
    print_rss();
    print_end();
    return lost() || s->dups || pub_stats.refused || s->bad || r->failed || r->timed_out ||
           r->interrupted;
}

/* A generator: its subscribers only. The window starts at the publish time
 * the earliest broadcast carried. */
static int print_subscribe(void)
{
    const subs_stats_t *s = &subs_stats;
    const fanout_run_t *r = &fanout_run;
    double secs = seconds(s->first_t, s->last_delivery);
    uint64_t deliveries = s->delivered + s->dups;
    printf("fanout role=subscribe subscribers=%u broadcasts=%u deliveries=%" PRIu64
           " duration_s=%.3f deliveries_per_s=%.0f",
           fanout_opt.subscribers, fanout_opt.broadcasts, deliveries, secs,
           secs > 0 ? (double)deliveries / secs : 0);
    print_latency(&s->latency);
    printf(" lost=%" PRIu64 " dup=%" PRIu64 " short_subscribers=%u dropped=%u bad=%" PRIu64
           " connect_s=%.3f",
           lost(), s->dups, subs_short(), s->dropped, s->bad,
           seconds(r->connect_start, r->connect_end));
    if (s->latency.count) print_cpu();
    print_rss();
    if (r->rss_end_kb >= 0) printf(" rss_end_kb=%ld", r->rss_end_kb);
    print_end();
    return lost() || s->dups || s->bad || r->failed || r->timed_out || r->interrupted;
}

/* The publisher alone: its requests and their answers. */
static int print_publish(void)
{
    const pub_stats_t *p = &pub_stats;
    const fanout_run_t *r = &fanout_run;
    double secs = seconds(p->start, p->last_ack);
    printf("fanout role=publish broadcasts=%u", fanout_opt.broadcasts);
    print_rate();
    printf(" payload_bytes=%u pipeline=%u sent=%u acked=%u refused=%u duration_s=%.3f "
           "broadcasts_per_s=%.1f ack_mean_us=%.0f ack_max_us=%" PRIu64,
           fanout_opt.payload_bytes, fanout_opt.pipeline, p->sent, p->acked, p->refused, secs,
           secs > 0 ? (double)p->acked / secs : 0, p->acked ? (double)p->ack_sum_us / p->acked : 0,
           p->ack_max_us);
    if (p->start) printf(" client_cpu_s=%.2f", r->client_cpu_end - r->client_cpu_start);
    print_end();
    return p->acked < fanout_opt.broadcasts || p->refused || r->failed || r->timed_out ||
           r->interrupted;
}

int report_print(void)
{
    switch (fanout_opt.role) {
    case FANOUT_ROLE_SUBSCRIBE:
        return print_subscribe();
    case FANOUT_ROLE_PUBLISH:
        return print_publish();
    case FANOUT_ROLE_BOTH:
    default:
        return print_both();
    }
}

/* ---- report files -------------------------------------------------------- */

int report_write(const char *path)
{
    const subs_stats_t *s = &subs_stats;
    const fanout_run_t *r = &fanout_run;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "fanout: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, REPORT_MAGIC "\n");
    fprintf(f, "subscribers %u\nbroadcasts %u\n", fanout_opt.subscribers, fanout_opt.broadcasts);
    fprintf(f, "delivered %" PRIu64 "\ndups %" PRIu64 "\nbad %" PRIu64 "\n", s->delivered, s->dups,
            s->bad);
    fprintf(f, "dropped %u\nshort %u\n", s->dropped, subs_short());
    fprintf(f, "first_t_us %" PRIu64 "\nlast_delivery_us %" PRIu64 "\n", s->first_t,
            s->last_delivery);
    fprintf(f, "connect_us %" PRIu64 "\n", r->connect_end ? r->connect_end - r->connect_start : 0);
    fprintf(f, "hist_sum %" PRIu64 "\nhist_max %" PRIu64 "\n", s->latency.sum, s->latency.max);
    fprintf(f, "rss_before_kb %ld\nrss_after_kb %ld\nrss_end_kb %ld\n", r->rss_before_kb,
            r->rss_after_kb, r->rss_end_kb);
    fprintf(f, "client_cpu_s %.3f\n", r->client_cpu_end - r->client_cpu_start);
    fprintf(f, "server_cpu_s %.3f\n",
            r->server_cpu_start >= 0 && r->server_cpu_end >= 0
                ? r->server_cpu_end - r->server_cpu_start
                : -1.0);
    fprintf(f, "failed %d\n", r->failed || r->timed_out || r->interrupted);
    hist_write(&s->latency, f);
    if (fclose(f) != 0) {
        fprintf(stderr, "fanout: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- merge --------------------------------------------------------------- */

/* One generator's report file, as read back. */
typedef struct gen_report {
    uint64_t subscribers, broadcasts, delivered, dups, bad, dropped, short_subs;
    uint64_t first_t_us, last_delivery_us, connect_us, hist_sum, hist_max;
    long rss_before_kb, rss_after_kb, rss_end_kb;
    double client_cpu_s, server_cpu_s;
    int failed;
} gen_report_t;

static hist_t merged; /* 256 KiB: static rather than on the stack */

/* Read 'path' into *g and add its buckets to 'merged'. Returns 0, or -1
 * with a message on stderr. */
static int read_report(const char *path, gen_report_t *g)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fanout: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256];
    if (!fgets(line, sizeof line, f) || strncmp(line, REPORT_MAGIC "\n", sizeof line) != 0) {
        fprintf(stderr, "fanout: %s: not a report file\n", path);
        fclose(f);
        return -1;
    }
    *g = (gen_report_t){.rss_before_kb = -1, .rss_after_kb = -1, .rss_end_kb = -1};
    struct {
        const char *key;
        uint64_t *u;
        long *l;
        double *d;
        int *i;
    } keys[] = {
        {"subscribers", &g->subscribers, NULL, NULL, NULL},
        {"broadcasts", &g->broadcasts, NULL, NULL, NULL},
        {"delivered", &g->delivered, NULL, NULL, NULL},
        {"dups", &g->dups, NULL, NULL, NULL},
        {"bad", &g->bad, NULL, NULL, NULL},
        {"dropped", &g->dropped, NULL, NULL, NULL},
        {"short", &g->short_subs, NULL, NULL, NULL},
        {"first_t_us", &g->first_t_us, NULL, NULL, NULL},
        {"last_delivery_us", &g->last_delivery_us, NULL, NULL, NULL},
        {"connect_us", &g->connect_us, NULL, NULL, NULL},
        {"hist_sum", &g->hist_sum, NULL, NULL, NULL},
        {"hist_max", &g->hist_max, NULL, NULL, NULL},
        {"rss_before_kb", NULL, &g->rss_before_kb, NULL, NULL},
        {"rss_after_kb", NULL, &g->rss_after_kb, NULL, NULL},
        {"rss_end_kb", NULL, &g->rss_end_kb, NULL, NULL},
        {"client_cpu_s", NULL, NULL, &g->client_cpu_s, NULL},
        {"server_cpu_s", NULL, NULL, &g->server_cpu_s, NULL},
        {"failed", NULL, NULL, NULL, &g->failed},
    };
    int rc = 0, lineno = 1;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char key[32];
        size_t index;
        uint64_t count;
        if (sscanf(line, "hist %zu %" SCNu64, &index, &count) == 2) {
            if (hist_add(&merged, index, count) != 0) rc = -1;
            continue;
        }
        char value[64];
        rc = -1;
        if (sscanf(line, "%31s %63s", key, value) != 2) break;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (strcmp(key, keys[k].key) != 0) continue;
            if (keys[k].u) *keys[k].u = strtoull(value, NULL, 10);
            if (keys[k].l) *keys[k].l = strtol(value, NULL, 10);
            if (keys[k].d) *keys[k].d = strtod(value, NULL);
            if (keys[k].i) *keys[k].i = atoi(value);
            rc = 0;
            break;
        }
    }
    if (rc != 0) fprintf(stderr, "fanout: %s:%d: unreadable line: %s", path, lineno, line);
    fclose(f);
    return rc;
}

int report_merge(int n, char **paths)
{
    static gen_report_t gens[MERGE_MAX_GENS];
    if (n < 1 || n > MERGE_MAX_GENS) {
        fprintf(stderr, "fanout: --merge: expected 1 to %d report files\n", MERGE_MAX_GENS);
        return 2;
    }
    uint64_t subscribers = 0, expected = 0, delivered = 0, dups = 0, bad = 0, dropped = 0,
             short_subs = 0, sum = 0, max = 0, first = 0, last = 0, connect_max = 0;
    double client_cpu = 0, server_cpu = 0;
    int failed_gens = 0, broadcasts_differ = 0;
    for (int i = 0; i < n; i++) {
        gen_report_t *g = &gens[i];
        if (read_report(paths[i], g) != 0) return 2;
        subscribers += g->subscribers;
        expected += g->subscribers * g->broadcasts;
        delivered += g->delivered;
        dups += g->dups;
        bad += g->bad;
        dropped += g->dropped;
        short_subs += g->short_subs;
        sum += g->hist_sum;
        if (g->hist_max > max) max = g->hist_max;
        if (g->first_t_us && (!first || g->first_t_us < first)) first = g->first_t_us;
        if (g->last_delivery_us > last) last = g->last_delivery_us;
        if (g->connect_us > connect_max) connect_max = g->connect_us;
        client_cpu += g->client_cpu_s;
        if (g->server_cpu_s > 0) server_cpu += g->server_cpu_s;
        failed_gens += g->failed != 0;
        broadcasts_differ |= g->broadcasts != gens[0].broadcasts;
    }
    merged.sum = sum;
    merged.max = max;
    uint64_t deliveries = delivered + dups, lost = expected - delivered;
    double secs = seconds(first, last);
    printf("cluster generators=%d subscribers=%" PRIu64 " broadcasts=%" PRIu64
           " deliveries=%" PRIu64 " duration_s=%.3f deliveries_per_s=%.0f",
           n, subscribers, gens[0].broadcasts, deliveries, secs,
           secs > 0 ? (double)deliveries / secs : 0);
    print_latency(&merged);
    printf(" lost=%" PRIu64 " dup=%" PRIu64 " short_subscribers=%" PRIu64 " dropped=%" PRIu64
           " bad=%" PRIu64 " connect_s_max=%.3f client_cpu_s=%.2f server_cpu_s=%.2f",
           lost, dups, short_subs, dropped, bad, (double)connect_max / 1e6, client_cpu, server_cpu);
    /* Memory per node: each generator drives one node. */
    printf(" rss_per_conn_bytes=");
    for (int i = 0; i < n; i++) {
        const gen_report_t *g = &gens[i];
        if (g->rss_before_kb >= 0 && g->rss_after_kb >= 0 && g->subscribers)
            printf("%s%.0f", i ? "," : "",
                   (double)(g->rss_after_kb - g->rss_before_kb) * 1024.0 / (double)g->subscribers);
        else
            printf("%s-", i ? "," : "");
    }
    printf(" failed_generators=%d\n", failed_gens);
    fflush(stdout);

    int bad_run = 0;
    if (broadcasts_differ) {
        fprintf(stderr, "cluster: FAIL: the generators expected different broadcast counts\n");
        bad_run = 1;
    }
    if (lost || dups || bad) {
        fprintf(stderr,
                "cluster: FAIL: %" PRIu64 " deliveries lost, %" PRIu64 " duplicated, %" PRIu64
                " unreadable, of %" PRIu64 " expected\n",
                lost, dups, bad, expected);
        bad_run = 1;
    }
    if (failed_gens) {
        fprintf(stderr, "cluster: FAIL: %d generator(s) failed or timed out\n", failed_gens);
        bad_run = 1;
    }
    return bad_run;
}
