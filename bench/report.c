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

#define REPORT_MAGIC   "fanout-report 2"
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

/* The server's CPU seconds over window 'c', or -1 if unknown. */
static double server_cpu(const fanout_cpu_t *c)
{
    return c->started && c->server_start >= 0 && c->server_end >= 0
               ? c->server_end - c->server_start
               : -1.0;
}

static double client_cpu(const fanout_cpu_t *c)
{
    return c->started ? c->client_end - c->client_start : 0;
}

/* " PREFIXclient_cpu_s=… [PREFIXserver_cpu_s=…]" over window 'c'. */
static void print_cpu_window(const char *prefix, const fanout_cpu_t *c)
{
    if (!c->started) return;
    printf(" %sclient_cpu_s=%.2f", prefix, client_cpu(c));
    if (server_cpu(c) >= 0) printf(" %sserver_cpu_s=%.2f", prefix, server_cpu(c));
}

/* The CPU spent over the publish window of round 'r'. */
static void print_cpu(uint32_t r)
{
    print_cpu_window("", &fanout_run.cpu[r]);
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

double report_step_rate(uint32_t r)
{
    double rate = fanout_opt.ramp ? fanout_opt.round_rate[r] : fanout_opt.rate;
    uint32_t lo = fanout_round_first(r), m = fanout_opt.round_size[r];
    if (rate <= 0 || m < 2 || subs_lost(r)) return 0;
    /* A server that keeps up delivers each broadcast in about the same
     * time, so latency stays flat through the step; one that does not
     * falls further behind with every broadcast, and latency grows with
     * the backlog. The least-squares slope of each broadcast's mean
     * latency (over its N deliveries: stable where one slowest delivery is
     * not) against its scheduled time is the backlog built per second of
     * schedule, and the server kept up with rate / (1 + slope) broadcasts
     * per second. Every broadcast of the step counts, so a hiccup of the
     * machine moves the slope less than it moves any one broadcast. */
    double n = 0, st = 0, sl = 0, stt = 0, stl = 0;
    mono_us_t t0 = subs_seq_scheduled(lo);
    for (uint32_t k = lo; k < lo + m; k++) {
        double l = subs_seq_mean_latency(k);
        if (l < 0) continue;
        double t = (double)(subs_seq_scheduled(k) - t0);
        n++;
        st += t;
        sl += l;
        stt += t * t;
        stl += t * l;
    }
    double var = n * stt - st * st;
    double slope = n >= 2 && var > 0 ? (n * stl - st * sl) / var : 0;
    if (slope < 0) slope = 0;
    return (double)subs_reading() * rate / (1 + slope);
}

/* " KEY=V" per delivery of the server's CPU (µs) and system calls over
 * window 'c', for 'deliveries'. */
static void print_per_delivery(const fanout_cpu_t *c, uint64_t deliveries)
{
    double d = deliveries ? (double)deliveries : 1;
    if (server_cpu(c) >= 0) printf(" server_cpu_us_per_delivery=%.2f", server_cpu(c) * 1e6 / d);
    printf(" client_cpu_us_per_delivery=%.2f", client_cpu(c) * 1e6 / d);
    if (c->syscalls >= 0)
        printf(" server_syscalls=%lld syscalls_per_delivery=%.3f sends_per_delivery=%.3f"
               " waits_per_delivery=%.3f",
               c->syscalls, (double)c->syscalls / d, (double)c->sends / d, (double)c->waits / d);
}

/* The keys every line of the default role ends with. */
static void print_common(void)
{
    const fanout_run_t *r = &fanout_run;
    printf(" connect_s=%.3f", seconds(r->connect_start, r->connect_end));
    print_cpu_window("connect_", &r->connect_cpu);
    if (fanout_opt.stalled)
        printf(" stalled=%u stalled_closed=%u stalled_drained_bytes=%" PRIu64, fanout_opt.stalled,
               subs_stats.stalled_closed, subs_stats.stalled_bytes);
    printf(" dropped=%u bad=%" PRIu64, subs_stats.dropped, subs_stats.bad);
    if (subs_stats.data_frames)
        printf(" frame_bytes_per_delivery=%.1f compressed=%" PRIu64,
               (double)subs_stats.data_bytes / (double)subs_stats.data_frames,
               subs_stats.compressed);
    if (subs_stats.other) printf(" other=%" PRIu64, subs_stats.other);
    print_rss();
    if (r->rss_max_kb >= 0) printf(" rss_max_kb=%ld rss_end_kb=%ld", r->rss_max_kb, r->rss_end_kb);
}

/* Connected, then idle for --hold: what each connection costs the server. */
static void print_hold(void)
{
    const fanout_run_t *r = &fanout_run;
    const fanout_cpu_t *h = &r->hold_cpu;
    double secs = seconds(h->start, h->end), n = fanout_opt.subscribers;
    printf(" hold_s=%.1f pings=%" PRIu64 " pings_per_conn=%.2f", secs, r->hold_pings,
           (double)r->hold_pings / n);
    if (server_cpu(h) >= 0 && secs > 0)
        printf(" idle_server_cpu_s=%.2f idle_server_cpu_pct=%.2f", server_cpu(h),
               server_cpu(h) / secs * 100);
    printf(" idle_client_cpu_s=%.2f", client_cpu(h));
    if (r->sock_mem_bytes >= 0)
        printf(" server_sockets=%ld sock_buf_bytes_per_conn=%.0f", r->sock_count,
               (double)r->sock_mem_bytes / n);
    if (r->slab_before_kb >= 0 && r->slab_after_kb >= 0)
        printf(" slab_per_conn_bytes=%.0f",
               (double)(r->slab_after_kb - r->slab_before_kb) * 1024.0 / n);
}

/* One line per step of a ramp, then the summary: the best step that
 * passed. */
static int print_ramp(void)
{
    const fanout_run_t *r = &fanout_run;
    int best = -1, failed_step = -1, bad = 0, failed_steps = 0;
    uint32_t n = subs_reading();
    for (uint32_t k = 0; k < r->rounds_run; k++) {
        const subs_round_t *s = &subs_stats.rounds[k];
        uint64_t deliveries = s->delivered + s->dups, lost = subs_lost(k);
        double rate = fanout_opt.round_rate[k], got = report_step_rate(k);
        int pass = fanout_step_passed(k);
        printf("fanout step=%u rate=%g/s subscribers=%u broadcasts=%u offered_per_s=%.0f"
               " deliveries=%" PRIu64 " deliveries_per_s=%.0f ratio=%.3f",
               k + 1, rate, n, fanout_opt.round_size[k], rate * n, deliveries, got,
               got / (rate * n));
        print_latency(&s->latency);
        printf(" lost=%" PRIu64 " dup=%" PRIu64, lost, s->dups);
        print_cpu(k);
        print_per_delivery(&r->cpu[k], deliveries);
        printf(" pass=%d\n", pass);
        bad |= lost || s->dups;
        if (pass && (best < 0 || got > report_step_rate((uint32_t)best))) best = (int)k;
        /* The ramp ends at the first step clearly overloaded (the last
         * one run, unless the ramp ran out): where the server saturated. */
        if (!pass) {
            failed_steps++;
            if (fanout_step_overloaded(k)) failed_step = (int)k;
        }
    }
    printf("fanout ramp subscribers=%u steps=%u step_s=%g publish=%s batch=%u", n, r->rounds_run,
           fanout_opt.step_s, fanout_opt.pub == FANOUT_PUB_WS ? "ws" : "http", fanout_opt.batch);
    if (best >= 0) {
        const subs_round_t *s = &subs_stats.rounds[best];
        printf(" max_rate=%g/s max_deliveries_per_s=%.0f p50_us=%" PRIu64 " p99_us=%" PRIu64,
               fanout_opt.round_rate[best], report_step_rate((uint32_t)best),
               hist_quantile(&s->latency, 0.5), hist_quantile(&s->latency, 0.99));
        print_per_delivery(&r->cpu[best], s->delivered + s->dups);
    } else {
        printf(" max_rate=0 max_deliveries_per_s=0");
    }
    if (failed_step >= 0)
        printf(" saturated_rate=%g/s saturated_deliveries_per_s=%.0f",
               fanout_opt.round_rate[failed_step], report_step_rate((uint32_t)failed_step));
    else
        printf(" saturated_rate=none");
    printf(" failed_steps=%d late_max_us=%" PRIu64 " refused=%u", failed_steps,
           pub_stats.late_max_us, pub_stats.refused);
    print_common();
    print_end();
    return bad || pub_stats.refused || subs_stats.bad || subs_stats.dropped || r->failed ||
           r->timed_out || r->interrupted;
}

/* Subscribe and publish in one process, one round: the line `make bench`
 * prints (and the lines of --hold and --ramp). */
static int print_both(void)
{
    const subs_round_t *s = &subs_stats.rounds[0];
    const fanout_run_t *r = &fanout_run;
    if (fanout_opt.ramp) return print_ramp();
    if (fanout_opt.broadcasts == 0) {
        printf("fanout idle subscribers=%u", fanout_opt.subscribers);
        print_hold();
        print_common();
        print_end();
        return subs_stats.bad || subs_stats.dropped || r->failed || r->timed_out || r->interrupted;
    }
    mono_us_t end = s->last_delivery > pub_stats.start ? s->last_delivery : pub_stats.start;
    double secs = seconds(pub_stats.start, end);
    uint64_t deliveries = s->delivered + s->dups, lost = subs_lost(0);
    printf("fanout subscribers=%u broadcasts=%u", subs_reading(), fanout_opt.broadcasts);
    print_rate();
    printf(" payload_bytes=%u pipeline=%u batch=%u deliveries=%" PRIu64
           " duration_s=%.3f deliveries_per_s=%.0f broadcasts_per_s=%.1f",
           fanout_opt.payload_bytes, fanout_opt.pipeline, fanout_opt.batch, deliveries, secs,
           secs > 0 ? (double)deliveries / secs : 0, secs > 0 ? (double)pub_stats.acked / secs : 0);
    print_latency(&s->latency);
    if (pub_stats.reconnects) printf(" reconnects=%u", pub_stats.reconnects);
    printf(" lost=%" PRIu64 " dup=%" PRIu64 " late_max_us=%" PRIu64 " requests=%u"
           " ack_mean_us=%.0f ack_max_us=%" PRIu64 " short_subscribers=%u refused=%u",
           lost, s->dups, pub_stats.late_max_us, pub_stats.requests,
           pub_stats.requests ? (double)pub_stats.ack_sum_us / pub_stats.requests : 0,
           pub_stats.ack_max_us, subs_short(0), pub_stats.refused);
    print_cpu(0);
    print_per_delivery(&r->cpu[0], deliveries);
    if (fanout_opt.hold_s > 0) print_hold();
    print_common();
    print_end();
    return lost || s->dups || pub_stats.refused || subs_stats.bad || subs_stats.dropped ||
           r->failed || r->timed_out || r->interrupted;
}

/* A generator: its subscribers only, one line per round. A round's window
 * starts at the publish time its earliest broadcast carried. */
static int print_subscribe(void)
{
    const fanout_run_t *r = &fanout_run;
    int bad_run = subs_stats.bad || r->failed || r->timed_out || r->interrupted;
    for (uint32_t k = 0; k < fanout_opt.rounds; k++) {
        const subs_round_t *s = &subs_stats.rounds[k];
        double secs = seconds(s->first_t, s->last_delivery);
        uint64_t deliveries = s->delivered + s->dups, lost = subs_lost(k);
        printf("fanout role=subscribe round=%u subscribers=%u broadcasts=%u deliveries=%" PRIu64
               " duration_s=%.3f deliveries_per_s=%.0f",
               k + 1, fanout_opt.subscribers, fanout_opt.round_size[k], deliveries, secs,
               secs > 0 ? (double)deliveries / secs : 0);
        print_latency(&s->latency);
        printf(" lost=%" PRIu64 " dup=%" PRIu64 " short_subscribers=%u dropped=%u bad=%" PRIu64
               " connect_s=%.3f",
               lost, s->dups, subs_short(k), subs_stats.dropped, subs_stats.bad,
               seconds(r->connect_start, r->connect_end));
        print_cpu_window("connect_", &r->connect_cpu);
        print_cpu(k);
        print_rss();
        if (r->rss_end_kb >= 0) printf(" rss_end_kb=%ld", r->rss_end_kb);
        print_end();
        bad_run |= lost || s->dups;
    }
    return bad_run;
}

/* The publisher alone: its requests and their answers. */
static int print_publish(void)
{
    const pub_stats_t *p = &pub_stats;
    const fanout_run_t *r = &fanout_run;
    double secs = seconds(p->start, p->last_ack);
    printf("fanout role=publish broadcasts=%u first_seq=%u", fanout_opt.broadcasts,
           fanout_opt.first_seq);
    print_rate();
    printf(" payload_bytes=%u pipeline=%u batch=%u sent=%u acked=%u refused=%u duration_s=%.3f "
           "broadcasts_per_s=%.1f ack_mean_us=%.0f ack_max_us=%" PRIu64 " late_max_us=%" PRIu64,
           fanout_opt.payload_bytes, fanout_opt.pipeline, fanout_opt.batch, p->sent, p->acked,
           p->refused, secs, secs > 0 ? (double)p->acked / secs : 0,
           p->requests ? (double)p->ack_sum_us / p->requests : 0, p->ack_max_us, p->late_max_us);
    print_cpu(0);
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
    const fanout_run_t *r = &fanout_run;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "fanout: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* The generator as a whole, then one section per round. */
    fprintf(f, REPORT_MAGIC "\n");
    fprintf(f, "subscribers %u\nrounds %u\n", fanout_opt.subscribers, fanout_opt.rounds);
    fprintf(f, "bad %" PRIu64 "\ndropped %u\n", subs_stats.bad, subs_stats.dropped);
    fprintf(f, "connect_us %" PRIu64 "\n", r->connect_end ? r->connect_end - r->connect_start : 0);
    fprintf(f, "connect_client_cpu_s %.3f\nconnect_server_cpu_s %.3f\n",
            client_cpu(&r->connect_cpu), server_cpu(&r->connect_cpu));
    fprintf(f, "rss_before_kb %ld\nrss_after_kb %ld\nrss_end_kb %ld\n", r->rss_before_kb,
            r->rss_after_kb, r->rss_end_kb);
    fprintf(f, "failed %d\n", r->failed || r->timed_out || r->interrupted);
    for (uint32_t k = 0; k < fanout_opt.rounds; k++) {
        const subs_round_t *s = &subs_stats.rounds[k];
        const fanout_cpu_t *c = &r->cpu[k];
        fprintf(f, "round %u\n", k + 1);
        fprintf(f, "broadcasts %u\n", fanout_opt.round_size[k]);
        fprintf(f, "delivered %" PRIu64 "\ndups %" PRIu64 "\nshort %u\n", s->delivered, s->dups,
                subs_short(k));
        fprintf(f, "first_t_us %" PRIu64 "\nlast_delivery_us %" PRIu64 "\n", s->first_t,
                s->last_delivery);
        fprintf(f, "hist_sum %" PRIu64 "\nhist_max %" PRIu64 "\n", s->latency.sum, s->latency.max);
        fprintf(f, "client_cpu_s %.3f\nserver_cpu_s %.3f\n", client_cpu(c), server_cpu(c));
        hist_write(&s->latency, f);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "fanout: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- merge --------------------------------------------------------------- */

/* One round of one generator, as read back. */
typedef struct gen_round {
    uint64_t broadcasts, delivered, dups, short_subs;
    uint64_t first_t_us, last_delivery_us, hist_sum, hist_max;
    double client_cpu_s, server_cpu_s;
} gen_round_t;

/* One generator's report file, as read back. */
typedef struct gen_report {
    uint64_t subscribers, rounds, bad, dropped, connect_us;
    double connect_client_cpu_s, connect_server_cpu_s;
    long rss_before_kb, rss_after_kb, rss_end_kb;
    int failed;
    gen_round_t round[FANOUT_ROUNDS_MAX];
} gen_report_t;

/* One key of a report file and where its value goes. */
typedef struct report_key {
    const char *name;
    char type; /* 'u' uint64_t, 'l' long, 'd' double, 'i' int */
    void *to;
} report_key_t;

static hist_t merged[FANOUT_ROUNDS_MAX]; /* 256 KiB each: static rather than on the stack */

static int set_key(const report_key_t *keys, size_t n, const char *name, const char *value)
{
    for (size_t k = 0; k < n; k++) {
        if (strcmp(name, keys[k].name) != 0) continue;
        switch (keys[k].type) {
        case 'u':
            *(uint64_t *)keys[k].to = strtoull(value, NULL, 10);
            break;
        case 'l':
            *(long *)keys[k].to = strtol(value, NULL, 10);
            break;
        case 'd':
            *(double *)keys[k].to = strtod(value, NULL);
            break;
        default:
            *(int *)keys[k].to = atoi(value);
            break;
        }
        return 0;
    }
    return -1;
}

/* Read 'path' into *g and add its buckets to merged[round]. Returns 0, or
 * -1 with a message on stderr. */
static int read_report(const char *path, gen_report_t *g)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fanout: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256];
    if (!fgets(line, sizeof line, f) || strcmp(line, REPORT_MAGIC "\n") != 0) {
        fprintf(stderr, "fanout: %s: not a report file\n", path);
        fclose(f);
        return -1;
    }
    *g = (gen_report_t){.rss_before_kb = -1, .rss_after_kb = -1, .rss_end_kb = -1};
    const report_key_t head[] = {
        {"subscribers", 'u', &g->subscribers},
        {"rounds", 'u', &g->rounds},
        {"bad", 'u', &g->bad},
        {"dropped", 'u', &g->dropped},
        {"connect_us", 'u', &g->connect_us},
        {"rss_before_kb", 'l', &g->rss_before_kb},
        {"rss_after_kb", 'l', &g->rss_after_kb},
        {"rss_end_kb", 'l', &g->rss_end_kb},
        {"failed", 'i', &g->failed},
        {"connect_client_cpu_s", 'd', &g->connect_client_cpu_s},
        {"connect_server_cpu_s", 'd', &g->connect_server_cpu_s},
    };
    report_key_t keys[10];
    const report_key_t *cur = head;
    size_t ncur = sizeof head / sizeof head[0];
    int rc = 0, lineno = 1, round = -1;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char name[32], value[64];
        size_t index;
        uint64_t count;
        unsigned r;
        rc = -1;
        if (round >= 0 && sscanf(line, "hist %zu %" SCNu64, &index, &count) == 2) {
            rc = hist_add(&merged[round], index, count);
        } else if (sscanf(line, "round %u", &r) == 1) {
            if (r < 1 || r > FANOUT_ROUNDS_MAX || r > g->rounds) break;
            round = (int)r - 1;
            gen_round_t *gr = &g->round[round];
            report_key_t k[] = {
                {"broadcasts", 'u', &gr->broadcasts},
                {"delivered", 'u', &gr->delivered},
                {"dups", 'u', &gr->dups},
                {"short", 'u', &gr->short_subs},
                {"first_t_us", 'u', &gr->first_t_us},
                {"last_delivery_us", 'u', &gr->last_delivery_us},
                {"hist_sum", 'u', &gr->hist_sum},
                {"hist_max", 'u', &gr->hist_max},
                {"client_cpu_s", 'd', &gr->client_cpu_s},
                {"server_cpu_s", 'd', &gr->server_cpu_s},
            };
            memcpy(keys, k, sizeof k);
            cur = keys;
            ncur = sizeof k / sizeof k[0];
            rc = 0;
        } else if (sscanf(line, "%31s %63s", name, value) == 2) {
            rc = set_key(cur, ncur, name, value);
        }
    }
    if (rc != 0) {
        fprintf(stderr, "fanout: %s:%d: unreadable line: %s", path, lineno, line);
    } else if (g->rounds < 1 || g->rounds > FANOUT_ROUNDS_MAX || round + 1 != (int)g->rounds) {
        fprintf(stderr, "fanout: %s: %" PRIu64 " rounds announced, %d found\n", path, g->rounds,
                round + 1);
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* Print the "cluster" line of round 'r' over generators 'gens[0..n)'.
 * Returns 1 if anything was lost, duplicated or unreadable. */
static int merge_round(const gen_report_t *gens, int n, uint32_t r)
{
    uint64_t subscribers = 0, expected = 0, delivered = 0, dups = 0, bad = 0, dropped = 0,
             short_subs = 0, sum = 0, max = 0, first = 0, last = 0, connect_max = 0;
    double client_cpu = 0, server_cpu = 0, connect_client_cpu = 0, connect_server_cpu = 0;
    for (int i = 0; i < n; i++) {
        const gen_report_t *g = &gens[i];
        const gen_round_t *gr = &g->round[r];
        subscribers += g->subscribers;
        expected += g->subscribers * gr->broadcasts;
        delivered += gr->delivered;
        dups += gr->dups;
        bad += g->bad;
        dropped += g->dropped;
        short_subs += gr->short_subs;
        sum += gr->hist_sum;
        if (gr->hist_max > max) max = gr->hist_max;
        if (gr->first_t_us && (!first || gr->first_t_us < first)) first = gr->first_t_us;
        if (gr->last_delivery_us > last) last = gr->last_delivery_us;
        if (g->connect_us > connect_max) connect_max = g->connect_us;
        client_cpu += gr->client_cpu_s;
        if (gr->server_cpu_s > 0) server_cpu += gr->server_cpu_s;
        connect_client_cpu += g->connect_client_cpu_s;
        if (g->connect_server_cpu_s > 0) connect_server_cpu += g->connect_server_cpu_s;
    }
    hist_t *h = &merged[r];
    h->sum = sum;
    h->max = max;
    uint64_t deliveries = delivered + dups, lost = expected - delivered;
    double secs = seconds(first, last);
    printf("cluster round=%u generators=%d subscribers=%" PRIu64 " broadcasts=%" PRIu64
           " deliveries=%" PRIu64 " duration_s=%.3f deliveries_per_s=%.0f",
           r + 1, n, subscribers, gens[0].round[r].broadcasts, deliveries, secs,
           secs > 0 ? (double)deliveries / secs : 0);
    print_latency(h);
    printf(" lost=%" PRIu64 " dup=%" PRIu64 " short_subscribers=%" PRIu64 " dropped=%" PRIu64
           " bad=%" PRIu64 " connect_s_max=%.3f connect_client_cpu_s=%.2f connect_server_cpu_s=%.2f"
           " client_cpu_s=%.2f server_cpu_s=%.2f",
           lost, dups, short_subs, dropped, bad, (double)connect_max / 1e6, connect_client_cpu,
           connect_server_cpu, client_cpu, server_cpu);
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
    printf("\n");
    fflush(stdout);
    if (lost || dups || bad) {
        fprintf(stderr,
                "cluster: FAIL: round %u: %" PRIu64 " deliveries lost, %" PRIu64
                " duplicated, %" PRIu64 " unreadable frames, of %" PRIu64 " expected\n",
                r + 1, lost, dups, bad, expected);
        return 1;
    }
    return 0;
}

int report_merge(int n, char **paths)
{
    static gen_report_t gens[MERGE_MAX_GENS];
    if (n < 1 || n > MERGE_MAX_GENS) {
        fprintf(stderr, "fanout: --merge: expected 1 to %d report files\n", MERGE_MAX_GENS);
        return 2;
    }
    int failed_gens = 0, bad_run = 0;
    for (int i = 0; i < n; i++) {
        if (read_report(paths[i], &gens[i]) != 0) return 2;
        failed_gens += gens[i].failed != 0;
        int same = gens[i].rounds == gens[0].rounds;
        for (uint32_t r = 0; same && r < gens[0].rounds; r++)
            same = gens[i].round[r].broadcasts == gens[0].round[r].broadcasts;
        if (!same) {
            fprintf(stderr, "fanout: %s: other rounds than %s\n", paths[i], paths[0]);
            return 2;
        }
    }
    for (uint32_t r = 0; r < gens[0].rounds; r++) bad_run |= merge_round(gens, n, r);
    if (failed_gens) {
        fprintf(stderr, "cluster: FAIL: %d generator(s) failed or timed out\n", failed_gens);
        bad_run = 1;
    }
    return bad_run;
}
