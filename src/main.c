/* main: flags and environment, the adapters, the loops, and the signals.
 * Nothing else lives here.
 *
 *   cabled [flags]                        run the server
 *   cabled token --member ID [flags]      print a member access token
 *
 * Every flag also reads CABLED_<FLAG> from the environment (upper case,
 * '-' -> '_'); a flag on the command line wins. */
#include "api/api.h"
#include "api/demo.h"
#include "auth/community.h"
#include "auth/members.h"
#include "auth/origin.h"
#include "auth/revoked.h"
#include "auth/token.h"
#include "cable/server.h"
#include "channels/access_cache.h"
#include "channels/channels.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rand.h"
#include "domain/auth.h"
#include "domain/community.h"
#include "domain/demo.h"
#include "domain/members.h"
#include "domain/time.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"
#include "hub/hub.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"
#include "net/port_owner.h"
#include "net/tls.h"
#include "pubsub/local.h"
#include "pubsub/redis.h"
#include "state/memory.h"
#include "store/pg.h"
#include "store/sqlite.h"
#include "ws/deflate.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEMO_APP_TOKEN "demo-app-token"
#define DEMO_MEMBERS 3
/* The Origin of the seed's script (examples/websocket-connection-test.js)
 * when CABLE_ORIGIN is not set: allowed in the demo unless origins are given. */
#define DEMO_SEED_ORIGIN "https://your-whitelisted-domain.com"
/* The checkout the binary was built from (the Makefile sets it): the demo
 * page and the npm client it serves are found there unless --demo-dir says. */
#ifndef CABLED_SOURCE_DIR
#define CABLED_SOURCE_DIR "."
#endif
/* Where the official client sits in node_modules, beside the demo page. */
#define DEMO_CLIENT_PATH "node_modules/@rails/actioncable/app/assets/javascripts/actioncable.esm.js"

/* ---- configuration ------------------------------------------------------- */

struct config {
    const char *listen;
    const char *db;
    const char *pubsub;
    const char *redis_prefix;
    long long pubsub_queue_bytes;
    const char *community_name;
    const char *app_token;
    const char *secret;
    const char *log_level;
    const char *log_format;
    const char *demo_dir;
    const char *origins[32];
    size_t origins_count;
    long long community_id;
    long long access_token_ttl;
    long long ping_interval;
    long long threads;
    long long max_message_size;
    long long max_identifier;
    long long max_subscriptions;
    long long max_outbuf;
    long long max_body_size;
    long long max_header_size;
    long long header_timeout_ms, body_timeout_ms, body_min_rate, max_request_memory;
    long long max_connections;
    long long drain_ms;
    long long db_pool;
    const char *data_dir;
    const char *tls_cert, *tls_key;
    long long tls_handshake_timeout_ms;
    long long history_limit, history_ttl, sessions_ttl, presence_ttl, whisper_rate;
    long long deflate_min_bytes;
    int no_deflate;
    int no_io_uring;
    int demo;
    /* token subcommand */
    long long member;
    long long ttl;
};

enum {
    OPT_LISTEN = 256, OPT_DB, OPT_PUBSUB, OPT_REDIS_PREFIX, OPT_PUBSUB_QUEUE, OPT_COMMUNITY_NAME, OPT_APP_TOKEN, OPT_SECRET, OPT_ORIGIN, OPT_COMMUNITY, OPT_TTL_ACCESS,
    OPT_PING, OPT_THREADS, OPT_MAX_MESSAGE, OPT_MAX_IDENTIFIER, OPT_MAX_SUBSCRIPTIONS, OPT_MAX_OUTBUF, OPT_MAX_BODY, OPT_MAX_HEADER,
    OPT_DRAIN, OPT_DEMO, OPT_LOG_LEVEL, OPT_MEMBER, OPT_COMMUNITY_SHORT, OPT_TTL, OPT_HELP,
    OPT_DB_POOL,
    OPT_HEADER_TIMEOUT, OPT_BODY_TIMEOUT, OPT_BODY_MIN_RATE, OPT_MAX_REQUEST_MEMORY,
    OPT_MAX_CONNECTIONS, OPT_LOG_FORMAT, OPT_DEMO_DIR, OPT_DATA_DIR,
    OPT_HISTORY_LIMIT, OPT_HISTORY_TTL, OPT_SESSIONS_TTL, OPT_PRESENCE_TTL, OPT_WHISPER_RATE,
    OPT_NO_DEFLATE, OPT_DEFLATE_MIN, OPT_NO_IO_URING,
    OPT_TLS_CERT, OPT_TLS_KEY, OPT_TLS_HANDSHAKE_TIMEOUT,
};

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"db", required_argument, NULL, OPT_DB},
    {"db-pool", required_argument, NULL, OPT_DB_POOL},
    {"pubsub", required_argument, NULL, OPT_PUBSUB},
    {"redis-channel-prefix", required_argument, NULL, OPT_REDIS_PREFIX},
    {"pubsub-queue-bytes", required_argument, NULL, OPT_PUBSUB_QUEUE},
    {"community-name", required_argument, NULL, OPT_COMMUNITY_NAME},
    {"app-token", required_argument, NULL, OPT_APP_TOKEN},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"allowed-origin", required_argument, NULL, OPT_ORIGIN},
    {"community-id", required_argument, NULL, OPT_COMMUNITY},
    {"access-token-ttl", required_argument, NULL, OPT_TTL_ACCESS},
    {"ping-interval", required_argument, NULL, OPT_PING},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-message-size", required_argument, NULL, OPT_MAX_MESSAGE},
    {"max-identifier-bytes", required_argument, NULL, OPT_MAX_IDENTIFIER},
    {"max-subscriptions", required_argument, NULL, OPT_MAX_SUBSCRIPTIONS},
    {"max-outbuf", required_argument, NULL, OPT_MAX_OUTBUF},
    {"max-body-size", required_argument, NULL, OPT_MAX_BODY},
    {"max-header-size", required_argument, NULL, OPT_MAX_HEADER},
    {"header-timeout-ms", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"body-timeout-ms", required_argument, NULL, OPT_BODY_TIMEOUT},
    {"body-min-rate", required_argument, NULL, OPT_BODY_MIN_RATE},
    {"max-request-memory", required_argument, NULL, OPT_MAX_REQUEST_MEMORY},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"drain-ms", required_argument, NULL, OPT_DRAIN},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"history-limit", required_argument, NULL, OPT_HISTORY_LIMIT},
    {"history-ttl", required_argument, NULL, OPT_HISTORY_TTL},
    {"sessions-ttl", required_argument, NULL, OPT_SESSIONS_TTL},
    {"presence-ttl", required_argument, NULL, OPT_PRESENCE_TTL},
    {"whisper-rate", required_argument, NULL, OPT_WHISPER_RATE},
    {"no-deflate", no_argument, NULL, OPT_NO_DEFLATE},
    {"no-io-uring", no_argument, NULL, OPT_NO_IO_URING},
    {"deflate-min-bytes", required_argument, NULL, OPT_DEFLATE_MIN},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"tls-handshake-timeout-ms", required_argument, NULL, OPT_TLS_HANDSHAKE_TIMEOUT},
    {"demo", no_argument, NULL, OPT_DEMO},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"demo-dir", required_argument, NULL, OPT_DEMO_DIR},
    {"member", required_argument, NULL, OPT_MEMBER},
    {"community", required_argument, NULL, OPT_COMMUNITY_SHORT},
    {"ttl", required_argument, NULL, OPT_TTL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("usage: cabled [flags]\n"
          "       cabled token --member ID [--community ID] [--ttl SECONDS] [--secret KEY | --db URL]\n"
          "\n"
          "  --listen HOST:PORT         where HTTP and WebSocket are served (127.0.0.1:8080)\n"
          "  --db URL                   sqlite:PATH or postgres://USER@HOST:PORT/DB (sqlite:cabled.db)\n"
          "  --db-pool N                PostgreSQL connections shared by the workers (4)\n"
          "  --pubsub URL               local, or redis://[:PASSWORD@]HOST[:PORT][/DB] for a cluster (local)\n"
          "  --redis-channel-prefix P   prefix of every Redis channel, as Action Cable's channel_prefix ('')\n"
          "  --pubsub-queue-bytes N     publishes kept while Redis is unreachable (16777216)\n"
          "  --community-name NAME      the community's name when it is created (cabled)\n"
          "  --app-token TOKEN          the Headless Auth app token for server-to-server calls\n"
          "  --allowed-origin ORIGIN    a whitelisted Origin (repeatable)\n"
          "  --secret KEY               HS256 key for member access tokens (generated and stored)\n"
          "  --access-token-ttl SECONDS access token lifetime (3600)\n"
          "  --ping-interval SECONDS    Action Cable ping cadence (3)\n"
          "  --threads N                event-loop threads (number of cores)\n"
          "  --max-message-size BYTES   largest WebSocket message, also once inflated (1048576)\n"
          "  --max-identifier-bytes N   longest subscription identifier (4096)\n"
          "  --max-subscriptions N      subscriptions one connection may hold (256)\n"
          "  --max-outbuf BYTES         output queued per client before too_slow (4194304)\n"
          "  --no-deflate               never agree on permessage-deflate (agreed when offered)\n"
          "  --deflate-min-bytes BYTES  shorter messages go uncompressed even with deflate (256)\n"
          "  --no-io-uring              one write() per socket instead of one io_uring\n"
          "                             submission per loop pass (used where the kernel allows)\n"
          "  --max-body-size BYTES      largest HTTP request body (1048576)\n"
          "  --max-header-size BYTES    largest HTTP request head (16384)\n"
          "  --header-timeout-ms MS     time for a request head from its first byte (10000)\n"
          "  --body-timeout-ms MS       grace for a request body after its head (10000)\n"
          "  --body-min-rate BYTES      ...then it must arrive at this many bytes/s (1024)\n"
          "  --max-request-memory BYTES held by all incomplete requests together (67108864)\n"
          "  --max-connections N        open connections, more get 503 (ulimit -n less a reserve)\n"
          "  --drain-ms MS              spread server_restart over this window (1000)\n"
          "  --data-dir DIR             keep uploaded files under DIR/uploads (none: uploads off)\n"
          "  --history-limit N          messages kept per stream for catch-up, 0 for none (100)\n"
          "  --history-ttl SECONDS      how long a stream keeps a message (300)\n"
          "  --sessions-ttl SECONDS     how long a dropped session can be restored, 0 for never (300)\n"
          "  --presence-ttl SECONDS     how long a dropped connection stays present (15)\n"
          "  --whisper-rate N           whispers one connection may send per second (5)\n"
          "  --tls-cert FILE            serve HTTPS and wss:// with this PEM certificate (its chain\n"
          "                             after it); TLS 1.2 and 1.3, ALPN http/1.1. SIGHUP reloads it\n"
          "  --tls-key FILE             the certificate's PEM private key (with --tls-cert)\n"
          "  --tls-handshake-timeout-ms MS  a TLS handshake not done by then is closed (10000)\n"
          "  --demo                     demo data, the demo page at /, tokens and ready commands\n"
          "  --demo-dir DIR             the demo page's files (the checkout's demo/)\n"
          "  --log-level LEVEL          debug, info, warn, error (info)\n"
          "  --log-format FORMAT        text, or json: one object per line (text)\n"
          "\n"
          "Every flag also reads CABLED_<FLAG> from the environment (CABLED_APP_TOKEN, ...).\n",
          f);
}

static int parse_int(const char *name, const char *s, long long min, long long max,
                     long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "cabled: --%s: expected an integer in %lld..%lld, got \"%s\"\n", name,
                min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int apply(struct config *cfg, int opt, const char *name, const char *val)
{
    switch (opt) {
    case OPT_LISTEN: cfg->listen = val; return 0;
    case OPT_DB: cfg->db = val; return 0;
    case OPT_PUBSUB: cfg->pubsub = val; return 0;
    case OPT_REDIS_PREFIX: cfg->redis_prefix = val; return 0;
    case OPT_PUBSUB_QUEUE: return parse_int(name, val, 0, 1LL << 34, &cfg->pubsub_queue_bytes);
    case OPT_COMMUNITY_NAME: cfg->community_name = val; return 0;
    case OPT_APP_TOKEN: cfg->app_token = val; return 0;
    case OPT_SECRET: cfg->secret = val; return 0;
    case OPT_LOG_LEVEL: cfg->log_level = val; return 0;
    case OPT_LOG_FORMAT: cfg->log_format = val; return 0;
    case OPT_DEMO_DIR: cfg->demo_dir = val; return 0;
    case OPT_DATA_DIR: cfg->data_dir = val; return 0;
    case OPT_TLS_CERT: cfg->tls_cert = val; return 0;
    case OPT_TLS_KEY: cfg->tls_key = val; return 0;
    case OPT_TLS_HANDSHAKE_TIMEOUT:
        return parse_int(name, val, 100, 600000, &cfg->tls_handshake_timeout_ms);
    case OPT_DEMO: cfg->demo = 1; return 0;
    case OPT_NO_DEFLATE: cfg->no_deflate = 1; return 0;
    case OPT_NO_IO_URING: cfg->no_io_uring = 1; return 0;
    case OPT_DEFLATE_MIN: return parse_int(name, val, 0, 64LL << 20, &cfg->deflate_min_bytes);
    case OPT_ORIGIN:
        if (cfg->origins_count == sizeof cfg->origins / sizeof cfg->origins[0]) {
            fprintf(stderr, "cabled: too many --allowed-origin values\n");
            return -1;
        }
        cfg->origins[cfg->origins_count++] = val;
        return 0;
    case OPT_COMMUNITY: return parse_int(name, val, 1, INT64_MAX, &cfg->community_id);
    case OPT_TTL_ACCESS: return parse_int(name, val, 1, 365LL * 86400, &cfg->access_token_ttl);
    case OPT_PING: return parse_int(name, val, 1, 3600, &cfg->ping_interval);
    case OPT_THREADS: return parse_int(name, val, 1, 64, &cfg->threads);
    case OPT_MAX_MESSAGE: return parse_int(name, val, 1024, 64LL << 20, &cfg->max_message_size);
    case OPT_MAX_IDENTIFIER: return parse_int(name, val, 64, 1 << 20, &cfg->max_identifier);
    case OPT_MAX_SUBSCRIPTIONS: return parse_int(name, val, 1, 65536, &cfg->max_subscriptions);
    case OPT_MAX_OUTBUF: return parse_int(name, val, 4096, 1LL << 30, &cfg->max_outbuf);
    case OPT_MAX_BODY: return parse_int(name, val, 1024, 64LL << 20, &cfg->max_body_size);
    case OPT_MAX_HEADER: return parse_int(name, val, 1024, 1LL << 20, &cfg->max_header_size);
    case OPT_HEADER_TIMEOUT: return parse_int(name, val, 100, 3600000, &cfg->header_timeout_ms);
    case OPT_BODY_TIMEOUT: return parse_int(name, val, 100, 3600000, &cfg->body_timeout_ms);
    case OPT_BODY_MIN_RATE: return parse_int(name, val, 1, 1LL << 30, &cfg->body_min_rate);
    case OPT_MAX_REQUEST_MEMORY:
        return parse_int(name, val, 1LL << 20, 1LL << 40, &cfg->max_request_memory);
    case OPT_MAX_CONNECTIONS: return parse_int(name, val, 1, 1LL << 30, &cfg->max_connections);
    case OPT_DRAIN: return parse_int(name, val, 0, 60000, &cfg->drain_ms);
    case OPT_DB_POOL: return parse_int(name, val, 1, STORE_PG_POOL_MAX, &cfg->db_pool);
    case OPT_HISTORY_LIMIT: return parse_int(name, val, 0, 10000, &cfg->history_limit);
    case OPT_HISTORY_TTL: return parse_int(name, val, 1, 86400, &cfg->history_ttl);
    case OPT_SESSIONS_TTL: return parse_int(name, val, 0, 86400, &cfg->sessions_ttl);
    case OPT_PRESENCE_TTL: return parse_int(name, val, 1, 3600, &cfg->presence_ttl);
    case OPT_WHISPER_RATE: return parse_int(name, val, 0, 1000, &cfg->whisper_rate);
    case OPT_MEMBER: return parse_int(name, val, 1, INT64_MAX, &cfg->member);
    case OPT_COMMUNITY_SHORT: return parse_int(name, val, 1, INT64_MAX, &cfg->community_id);
    case OPT_TTL: return parse_int(name, val, -365LL * 86400, 365LL * 86400, &cfg->ttl);
    default: return -1;
    }
}

/* Environment first, so that flags given on the command line win. */
static int apply_env(struct config *cfg)
{
    for (const struct option *o = options; o->name; o++) {
        if (o->val == OPT_HELP || o->val == OPT_MEMBER || o->val == OPT_COMMUNITY_SHORT ||
            o->val == OPT_TTL)
            continue;
        char var[64] = "CABLED_";
        size_t n = strlen(var);
        for (const char *p = o->name; *p && n < sizeof var - 1; p++)
            var[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *v = getenv(var);
        if (!v) continue;
        if (o->has_arg == no_argument) {
            if (strcmp(v, "") != 0 && strcmp(v, "0") != 0 && strcmp(v, "false") != 0)
                apply(cfg, o->val, o->name, v);
            continue;
        }
        if (o->val == OPT_ORIGIN) {
            /* A list in one variable: comma or space separated. */
            char *copy = xstrdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
                if (apply(cfg, OPT_ORIGIN, o->name, xstrdup(t)) != 0) return -1;
            free(copy);
            continue;
        }
        if (apply(cfg, o->val, o->name, v) != 0) return -1;
    }
    return 0;
}

static int parse_args(struct config *cfg, int argc, char **argv)
{
    *cfg = (struct config){
        .listen = "127.0.0.1:8080",
        .db = "sqlite:cabled.db",
        .pubsub = "local",
        .redis_prefix = "",
        .pubsub_queue_bytes = 16 << 20,
        .log_level = "info",
        .log_format = "text",
        .demo_dir = CABLED_SOURCE_DIR "/demo",
        .community_id = 1,
        .access_token_ttl = 3600,
        .ping_interval = 3,
        .threads = 0,
        .max_message_size = 1 << 20,
        .max_identifier = 4096,
        .max_subscriptions = 256,
        .max_outbuf = 4 << 20,
        .max_body_size = 1 << 20,
        .max_header_size = 16384,
        .header_timeout_ms = 10000,
        .body_timeout_ms = 10000,
        .body_min_rate = 1024,
        .max_request_memory = 64LL << 20,
        .drain_ms = 1000,
        .db_pool = STORE_PG_POOL_DEFAULT,
        .history_limit = 100,
        .history_ttl = 300,
        .sessions_ttl = 300,
        .presence_ttl = 15,
        .whisper_rate = 5,
        .deflate_min_bytes = WS_DEFLATE_MIN_BYTES,
        .tls_handshake_timeout_ms = 10000,
        .ttl = 0,
    };
    if (apply_env(cfg) != 0) return -1;
    size_t env_origins = cfg->origins_count;
    int opt, idx, cli_origin = 0;
    while ((opt = getopt_long(argc, argv, "h", options, &idx)) != -1) {
        if (opt == 'h' || opt == OPT_HELP) {
            usage(stdout);
            exit(0);
        }
        if (opt == '?') return -1;
        if (opt == OPT_ORIGIN && !cli_origin) {
            /* Origins on the command line replace those of the environment. */
            cli_origin = 1;
            cfg->origins_count = 0;
        }
        if (apply(cfg, opt, options[idx].name, optarg) != 0) return -1;
    }
    (void)env_origins;
    if (optind < argc) {
        fprintf(stderr, "cabled: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* ---- the token subcommand ------------------------------------------------ */

/* --db as messages show it: without a password. */
static const char *db_shown(const char *url)
{
    static char shown[512];
    store_pg_redact(url, shown, sizeof shown);
    return shown;
}

/* Open the store named by --db with a pool of 'pool' connections (for
 * PostgreSQL). Returns NULL after printing why. */
static store_t *open_store(const char *url, unsigned pool)
{
    char err[512];
    if (strncmp(url, "sqlite:", 7) == 0) {
        store_t *s = store_sqlite_open(url + 7, err, sizeof err);
        if (!s) fprintf(stderr, "cabled: --db %s: %s\n", url, err);
        return s;
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        store_t *s = store_pg_open(url, pool, err, sizeof err);
        if (!s) fprintf(stderr, "cabled: --db %s: %s\n", db_shown(url), err);
        return s;
    }
    fprintf(stderr, "cabled: --db: expected sqlite:PATH or postgres://..., got \"%s\"\n", url);
    return NULL;
}

static int cmd_token(int argc, char **argv)
{
    struct config cfg;
    if (parse_args(&cfg, argc, argv) != 0) return 2;
    if (!cfg.member) {
        fprintf(stderr, "cabled token: --member ID is required\n");
        return 2;
    }
    uint8_t key[64];
    size_t key_len = 0;
    if (cfg.secret && cfg.secret[0]) {
        key_len = strlen(cfg.secret) < sizeof key ? strlen(cfg.secret) : sizeof key;
        memcpy(key, cfg.secret, key_len);
    } else {
        /* The key the server generated and keeps in its database. */
        /* One connection is all a single lookup needs. */
        store_t *s = open_store(cfg.db, 1);
        if (!s) return 1;
        int rc = domain_community_secret(s, cfg.community_id, key, &key_len);
        store_destroy(s);
        if (rc) {
            fprintf(stderr, "cabled token: community %lld is not in %s (start the server once, "
                            "or pass --secret)\n", cfg.community_id, db_shown(cfg.db));
            return 1;
        }
    }
    long long ttl = cfg.ttl ? cfg.ttl : cfg.access_token_ttl;
    auth_claims_t claims = {
        .community_id = cfg.community_id,
        .community_member_id = cfg.member,
        .exp = clock_unix_s() + ttl,
    };
    char *tok = auth_token_sign(key, key_len, &claims);
    if (!tok) {
        fprintf(stderr, "cabled token: signing failed\n");
        return 1;
    }
    printf("%s\n", tok);
    free(tok);
    return 0;
}

/* ---- the server ---------------------------------------------------------- */

/* Connections the descriptor limit leaves room for, once each loop has its
 * own descriptors (epoll, wakeup, libuv's reserve) and a reserve is kept to
 * answer 503 to the connections past the cap rather than reset them. */
static size_t default_max_connections(unsigned threads)
{
    long avail = net_fds_available();
    long reserve = 32 + 4L * threads;
    if (avail < 0) return 0;
    if (avail - reserve < 8) {
        log_warn("main few descriptors left (%ld): raise ulimit -n", avail);
        return avail > 16 ? (size_t)(avail / 2) : 8;
    }
    return (size_t)(avail - reserve);
}

struct loop_state {
    net_listener_t listener;
    int fd;                     /* bound socket handed to this loop */
    int error;
};

static struct config cfg;
static const char *prog = "cabled";
static hub_t *hub;
static state_t *state;
static store_t *store;
static http_server_config_t http_cfg;
static size_t max_outbuf;
static struct loop_state *loop_states;
static net_tls_ctx_t *tls;        /* NULL: plain HTTP and ws:// */
static const char *http_scheme = "http", *ws_scheme = "ws";

static void on_accept(net_listener_t *l, uv_stream_t *server)
{
    net_conn_t *c = net_conn_accept(l->loop, server, max_outbuf);
    if (!c) return;
    if (tls) net_conn_use_tls(c, tls);
    http_server_attach(c, &http_cfg);
}

static void loop_hook(net_loop_t *loop, int stopping)
{
    struct loop_state *st = &loop_states[loop->index];
    if (stopping) {
        cable_thread_free(loop);
        hub_thread_deinit(hub, loop);
        return;
    }
    loop->data = st;
    hub_thread_init(hub, loop);
    cable_thread_init(loop);
    st->error = net_listener_start(&st->listener, loop, st->fd, on_accept);
}

static void on_drained(net_loop_t *loop)
{
    /* Cable clients are gone; plain HTTP keep-alive connections go now. */
    net_loop_close_conns(loop);
    cable_thread_deinit(loop);
    net_loop_stop(loop);
}

static void shutdown_loop(net_loop_t *loop, void *arg)
{
    (void)arg;
    struct loop_state *st = loop->data;
    net_listener_close(&st->listener);
    cable_thread_drain(loop, on_drained);
}

static uv_signal_t sig_term, sig_int, sig_hup;
static uv_timer_t state_tick;

static void on_state_tick(uv_timer_t *t)
{
    (void)t;
    state->ops->tick(state);
}

static void on_signal(uv_signal_t *s, int signum)
{
    log_info("main signal=%s draining", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    api_health_set_draining(1);
    for (unsigned i = 0; i < net_loops_count(); i++)
        net_loop_post(net_loops_get(i), shutdown_loop, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&sig_hup, NULL);
    uv_close((uv_handle_t *)&state_tick, NULL);
    (void)s;
}

/* SIGHUP: read the certificate and key again. Connections keep the
 * certificate they started with; new handshakes get the new one. A file
 * that does not load leaves the old certificate in use. */
static void on_hup(uv_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    if (!tls) {
        log_info("main signal=SIGHUP ignored: no --tls-cert to reload");
        return;
    }
    char err[512], desc[512];
    if (net_tls_ctx_reload(tls, err, sizeof err) != 0) {
        log_error("main signal=SIGHUP tls reload failed, keeping the previous certificate: %s", err);
        return;
    }
    net_tls_ctx_describe(tls, desc, sizeof desc);
    log_info("main signal=SIGHUP tls reloaded cert=%s %s", cfg.tls_cert, desc);
}

/* What --demo prints, the page first: where to point a browser, every
 * allowed Origin, the tokens with their lifetime and how to mint more,
 * ready commands, and how to start over. */
struct demo_print {
    const char *url_host;           /* as URLs spell it: "127.0.0.1", "[::1]" */
    int port;
    const domain_auth_t *auth;
    const api_demo_t *members;
    const char *app_token;
    const char *prog;               /* argv[0], for the token command */
    long long room_id;              /* the Welcome room, 0 when none */
    const char *room_uuid;
};

static void print_demo(const struct demo_print *p)
{
    const auth_origins_t *origins = p->auth->community->origins;
    const char *h = p->url_host;
    int port = p->port;
    const char *first_origin =
        auth_origins_count(origins) ? auth_origins_get(origins, 0) : "(none)";
    printf("\ncabled demo: community %lld, %zu members\n", p->auth->community->id,
           p->members->count);
    printf("  Chat page   %s://%s:%d/   <- open it in a browser\n", http_scheme, h, port);
    printf("  WebSocket   %s://%s:%d/cable\n", ws_scheme, h, port);
    if (tls)
        printf("  TLS         %s: a self-signed certificate is its own CA: tell clients with\n"
               "                curl --cacert %s, NODE_EXTRA_CA_CERTS=%s\n",
               cfg.tls_cert, cfg.tls_cert, cfg.tls_cert);
    printf("  App token   %s\n", p->app_token ? p->app_token : "(as stored)");
    printf("  Allowed Origins (a page served from anywhere else gets 403 on /cable):\n");
    for (size_t i = 0; i < auth_origins_count(origins); i++)
        printf("    %s\n", auth_origins_get(origins, i));
    if (strncmp(cfg.db, "sqlite:", 7) == 0) {
        const char *path = cfg.db + 7;
        printf("  Data        %s. To start over, stop cabled and remove it:\n"
               "                rm -f %s %s-wal %s-shm   (or: make demo-reset)\n",
               cfg.db, path, path, path);
    } else {
        printf("  Data        %s. To start over, stop cabled, drop and create that database "
               "(make cluster: rm -rf .cluster).\n",
               db_shown(cfg.db));
    }
    char until[32];
    domain_time_iso((clock_unix_s() + p->auth->access_ttl) * 1000, until);
    printf("\nThe access tokens below are valid for %llds (--access-token-ttl), until %s.\n"
           "The chat page gets fresh ones by itself. For a script, mint a fresh one with:\n"
           "  %s token --member ID %s%s\n\n",
           (long long)p->auth->access_ttl, until, p->prog, cfg.secret ? "--secret KEY" : "--db ",
           cfg.secret ? "" : db_shown(cfg.db));
    for (size_t i = 0; i < p->members->count; i++) {
        long long id = p->members->members[i].id;
        domain_grant_t g;
        if (domain_auth_issue(p->auth, id, 0, clock_unix_s(), &g) != 0) continue;
        printf("Member %lld (%s) access token:\n  %s\n", id, p->members->members[i].name,
               g.access_token);
        printf("Connect as member %lld with the script from Circle's WebSocket guide:\n"
               "  CABLE_URL=%s://%s:%d/cable CABLE_ORIGIN=%s CABLE_TOKEN=%s "
               "CABLE_MEMBER_ID=%lld node examples/websocket-connection-test.js\n",
               id, ws_scheme, h, port, first_origin, g.access_token, id);
        char stream[HUB_STREAM_MAX];
        hub_stream_member_rooms(stream, id);
        printf("Broadcast to that member's chat-room stream from another terminal:\n"
               "  curl -X POST %s://%s:%d/api/v1/broadcast -H 'Authorization: Bearer %s' "
               "-d '{\"stream\":\"%s\",\"data\":{\"event\":\"hello\"}}'\n\n",
               http_scheme, h, port, p->app_token ? p->app_token : "APP_TOKEN", stream);
        domain_grant_clear(&g);
    }
    if (p->room_id && p->members->count) {
        domain_grant_t g;
        long long member = p->members->members[0].id;
        if (domain_auth_issue(p->auth, member, 0, clock_unix_s(), &g) == 0) {
            printf("The demo room \"Welcome\" (id %lld, uuid %s) has all three members; the chat "
                   "page shows it live.\n"
                   "A script subscribes to it with the identifier "
                   "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":%lld}. Post to it as "
                   "member %lld:\n"
                   "  curl -X POST %s://%s:%d/api/headless/v1/messages/%s/chat_room_messages "
                   "-H 'Authorization: Bearer %s' -d '{\"body\":\"Hello from curl\"}'\n\n",
                   p->room_id, p->room_uuid, p->room_id, member, http_scheme, h, port, p->room_uuid,
                   g.access_token);
            domain_grant_clear(&g);
        }
    }
    fflush(stdout);
}

/* The demo's Origins: the listen address as a browser spells it, on this
 * port (localhost and 127.0.0.1 both, whichever the user types), then those
 * given with --allowed-origin, or the seed script's default when none is. */
static void demo_origins(const struct sockaddr_storage *addr, int port)
{
    static char own[3][96];
    size_t given = cfg.origins_count, n = 0;
    const char *kept[32];
    memcpy(kept, cfg.origins, given * sizeof kept[0]);
    snprintf(own[n++], sizeof own[0], "%s://localhost:%d", http_scheme, port);
    snprintf(own[n++], sizeof own[0], "%s://127.0.0.1:%d", http_scheme, port);
    char host[64] = "";
    if (addr->ss_family == AF_INET) {
        uv_ip4_name((const struct sockaddr_in *)addr, host, sizeof host);
        if (strcmp(host, "0.0.0.0") != 0 && strcmp(host, "127.0.0.1") != 0)
            snprintf(own[n++], sizeof own[0], "%s://%s:%d", http_scheme, host, port);
    } else {
        uv_ip6_name((const struct sockaddr_in6 *)addr, host, sizeof host);
        if (strcmp(host, "::") != 0)
            snprintf(own[n++], sizeof own[0], "%s://[%s]:%d", http_scheme, host, port);
    }
    cfg.origins_count = 0;
    for (size_t i = 0; i < n; i++) cfg.origins[cfg.origins_count++] = own[i];
    for (size_t i = 0; i < given && cfg.origins_count < 32; i++) {
        int dup = 0;
        for (size_t j = 0; j < n; j++) dup |= strcmp(kept[i], own[j]) == 0;
        if (!dup) cfg.origins[cfg.origins_count++] = kept[i];
    }
    if (!given) cfg.origins[cfg.origins_count++] = DEMO_SEED_ORIGIN;
}

/* Serve the demo page and the official client it loads. Missing files are
 * said once; the rest of the demo works without them. */
static http_static_t *demo_files(void)
{
    http_static_t *st = http_static_new();
    int n = http_static_add_dir(st, cfg.demo_dir);
    if (n < 0 || !http_static_has(st, "/"))
        log_warn("main demo page not found in %s (--demo-dir): GET / will be 404", cfg.demo_dir);
    char client[4200];
    snprintf(client, sizeof client, "%s/../%s", cfg.demo_dir, DEMO_CLIENT_PATH);
    if (http_static_add_file(st, "/vendor/actioncable.esm.js", client) != 0)
        log_warn("main the @rails/actioncable client is missing (%s): run npm ci "
                 "(make run does); the demo page cannot connect without it",
                 client);
    return st;
}

/* state_announce_cb: a presence event goes out through the hub. */
static void announce_presence(void *ud, const char *stream, payload_t *event)
{
    hub_presence_event(ud, stream, event);
}

/* The pub/sub adapter named by --pubsub, reporting to the hub, and the
 * state that goes with it (in memory for the local adapter). Returns NULL
 * after printing why. */
static pubsub_t *open_pubsub(hub_t *h, const state_config_t *sc)
{
    if (strcmp(cfg.pubsub, "local") == 0) {
        state = state_memory_new(sc, announce_presence, h);
        pubsub_history_t history = {state_memory_keep, state};
        return pubsub_local_new(&hub_pubsub_events, h, sc->history_limit ? &history : NULL);
    }
    if (strncmp(cfg.pubsub, "redis://", 8) == 0) {
        char err[256];
        pubsub_redis_config_t rc = {
            .url = cfg.pubsub,
            .prefix = cfg.redis_prefix,
            .queue_bytes = (size_t)cfg.pubsub_queue_bytes,
            .history_limit = sc->history_limit,
            .history_ttl_s = sc->history_ttl_s,
        };
        pubsub_t *ps = pubsub_redis_new(&rc, &hub_pubsub_events, h, err, sizeof err);
        if (!ps) fprintf(stderr, "cabled: --pubsub %s: %s\n", cfg.pubsub, err);
        else state = pubsub_redis_state(ps, sc);
        return ps;
    }
    fprintf(stderr, "cabled: --pubsub: expected local or redis://HOST:PORT[/DB], got \"%s\"\n",
            cfg.pubsub);
    return NULL;
}

/* cable_config_t.member_check: on a worker thread. */
static int check_member(long long community_id, long long member_id)
{
    return domain_member_active(store, community_id, member_id);
}

static int run_server(void)
{
    if (log_set_level(cfg.log_level) != 0) {
        fprintf(stderr, "cabled: --log-level: expected debug, info, warn or error\n");
        return 2;
    }
    if (log_set_format(cfg.log_format) != 0) {
        fprintf(stderr, "cabled: --log-format: expected text or json\n");
        return 2;
    }
    struct sockaddr_storage addr;
    if (net_addr_parse(cfg.listen, &addr) != 0) {
        fprintf(stderr, "cabled: --listen: expected HOST:PORT, got \"%s\"\n", cfg.listen);
        return 2;
    }
    if (!cfg.tls_cert != !cfg.tls_key) {
        fprintf(stderr, "cabled: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (cfg.tls_cert) {
        char err[512];
        net_tls_config_t tc = {
            .cert_file = cfg.tls_cert,
            .key_file = cfg.tls_key,
            .handshake_ms = (unsigned)cfg.tls_handshake_timeout_ms,
        };
        tls = net_tls_ctx_new(&tc, err, sizeof err);
        if (!tls) {
            fprintf(stderr, "cabled: --tls-cert: %s\n", err);
            return 2;
        }
        http_scheme = "https";
        ws_scheme = "wss";
    }
    int cluster = strcmp(cfg.pubsub, "local") != 0;
    if (cluster) {
        pubsub_redis_url_t url;
        const char *why = "expected local or redis://HOST:PORT[/DB]";
        if (strncmp(cfg.pubsub, "redis://", 8) != 0 ||
            pubsub_redis_parse_url(cfg.pubsub, &url, &why) != 0) {
            fprintf(stderr, "cabled: --pubsub: %s, got \"%s\"\n", why, cfg.pubsub);
            return 2;
        }
    }
    /* Our listeners share the port with SO_REUSEPORT, which would let a
     * second process share it too, silently splitting the clients between
     * two processes that cannot reach each other's subscribers. Only a
     * cluster pub/sub makes that safe. */
    int port_given = addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port != 0
                                               : ((struct sockaddr_in6 *)&addr)->sin6_port != 0;
    if (!cluster && port_given) {
        int probe = net_listener_probe(&addr);
        if (probe == -EADDRINUSE) {
            pid_t pid;
            char cmd[256], who[320] = "(another cabled?)";
            if (net_port_owner(&addr, &pid, cmd, sizeof cmd) == 0)
                snprintf(who, sizeof who, "by pid %ld (%s)", (long)pid, cmd[0] ? cmd : "?");
            fprintf(stderr,
                    "cabled: --listen %s: the address is in use %s. Processes can share a port "
                    "only with a cluster pub/sub: start every one with --pubsub redis://HOST:PORT\n",
                    cfg.listen, who);
            return 1;
        }
    }
    unsigned threads = cfg.threads ? (unsigned)cfg.threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads == 0) threads = 1;
    if (threads > 64) threads = 64; /* the hub names loops by a bit of a 64-bit mask */
    /* Bound first: with port 0 the port is known only now, and the demo's
     * Origins follow it. */
    loop_states = xcalloc(threads, sizeof *loop_states);
    for (unsigned i = 0; i < threads; i++) {
        loop_states[i].fd = net_listener_bind(&addr);
        if (loop_states[i].fd < 0) {
            fprintf(stderr, "cabled: cannot listen on %s: %s\n", cfg.listen,
                    strerror(-loop_states[i].fd));
            return 1;
        }
    }
    int port = addr.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&addr)->sin_port)
                                         : ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    if (cfg.demo) {
        if (!cfg.app_token) cfg.app_token = DEMO_APP_TOKEN;
        demo_origins(&addr, port);
    }
    auth_origins_t *check = auth_origins_new();
    for (size_t i = 0; i < cfg.origins_count; i++) {
        if (auth_origins_add(check, cfg.origins[i]) != 0) {
            fprintf(stderr, "cabled: --allowed-origin: \"%s\" is not scheme://host[:port]\n",
                    cfg.origins[i]);
            auth_origins_free(check);
            return 2;
        }
    }
    auth_origins_free(check);

    store = open_store(cfg.db, (unsigned)cfg.db_pool);
    if (!store) return 1;
    domain_community_flags_t flags = {
        .id = cfg.community_id,
        .name = cfg.community_name,
        .app_token = cfg.app_token,
        .origins = cfg.origins,
        .origins_count = cfg.origins_count,
        .secret = cfg.secret,
    };
    static auth_community_t community;
    char err[512];
    if (domain_community_setup(store, &flags, &community, err, sizeof err) != 0) {
        fprintf(stderr, "cabled: %s\n", err);
        store_destroy(store);
        return 1;
    }
    if (domain_community_load_revoked(store) != 0) {
        fprintf(stderr, "cabled: cannot load revoked tokens from %s\n", db_shown(cfg.db));
        return 1;
    }
    if (auth_origins_count(community.origins) == 0)
        log_warn("main no --allowed-origin given: every WebSocket upgrade will be refused");
    if (!community.has_app_token)
        log_warn("main no --app-token given: the server-to-server API will refuse every call");
    long long demo_ids[3];
    int demo_count = 0;
    if (cfg.demo && (demo_count = domain_demo_members(store, community.id, demo_ids)) < 0) {
        fprintf(stderr, "cabled: cannot create the demo members in %s\n", db_shown(cfg.db));
        return 1;
    }

    max_outbuf = (size_t)cfg.max_outbuf;

    signal(SIGPIPE, SIG_IGN);
    hub = hub_new(&cable_hub_output, threads);
    state_config_t state_cfg = {
        .history_limit = (unsigned)cfg.history_limit,
        .history_ttl_s = (unsigned)cfg.history_ttl,
        .sessions_ttl_s = (unsigned)cfg.sessions_ttl,
        .presence_ttl_s = (unsigned)cfg.presence_ttl,
    };
    pubsub_t *ps = open_pubsub(hub, &state_cfg);
    if (!ps) return 2;
    if (hub_start(hub, ps) != 0) {
        fprintf(stderr, "cabled: --pubsub: cannot subscribe to the control stream\n");
        return 1;
    }

    domain_auth_t auth = {
        .store = store,
        .hub = hub,
        .community = &community,
        .access_ttl = cfg.access_token_ttl,
    };
    domain_chat_t chat = {
        .store = store, .hub = hub, .community_id = community.id, .community = &community};
    channels_register(&chat);
    char demo_room_uuid[40] = "";
    long long demo_room_id = 0;
    if (cfg.demo && demo_count == 3 &&
        domain_demo_chat(&chat, demo_ids, demo_room_uuid, &demo_room_id) != 0) {
        fprintf(stderr, "cabled: cannot create the demo room in %s\n", db_shown(cfg.db));
        return 1;
    }
    cable_config_t cable_cfg = {
        .community = &community,
        .hub = hub,
        .ping_interval_ms = (unsigned)cfg.ping_interval * 1000u,
        .max_message = (size_t)cfg.max_message_size,
        .max_identifier = (size_t)cfg.max_identifier,
        .max_subscriptions = (size_t)cfg.max_subscriptions,
        .member_check = check_member,
        .linger_ms = 2000,
        .drain_ms = (unsigned)cfg.drain_ms,
        .state = state,
        .whisper_rate = (unsigned)cfg.whisper_rate,
        .deflate = !cfg.no_deflate,
        .deflate_min_bytes = (size_t)cfg.deflate_min_bytes,
    };
    cable_server_init(&cable_cfg);

    http_router_t *router = http_router_new();
    domain_uploads_t uploads = {cfg.data_dir, (size_t)cfg.max_body_size};
    api_context_t api_ctx = {
        .community = &community,
        .hub = hub,
        .store = store,
        .auth = &auth,
        .uploads = cfg.data_dir ? &uploads : NULL,
    };
    http_router_add(router, HTTP_GET, "/cable", cable_handle_upgrade, NULL);
    api_register(router, &api_ctx);
    static api_demo_t demo;
    http_static_t *demo_page = NULL;
    if (cfg.demo) {
        if (api_demo_init(&demo, &auth, demo_ids, (size_t)demo_count) != 0) {
            fprintf(stderr, "cabled: cannot read the demo members in %s\n", db_shown(cfg.db));
            return 1;
        }
        api_demo_register(router, &demo);
        demo_page = demo_files();
        http_static_register(demo_page, router);
    }
    http_cfg = (http_server_config_t){
        .max_head = (size_t)cfg.max_header_size,
        .max_body = (size_t)cfg.max_body_size,
        .router = router,
        .head_timeout_ms = (unsigned)cfg.header_timeout_ms,
        .body_timeout_ms = (unsigned)cfg.body_timeout_ms,
        .body_min_rate = (unsigned)cfg.body_min_rate,
        .max_pending = (size_t)cfg.max_request_memory,
        .max_connections = (size_t)cfg.max_connections,
        .check_head = api_check_head,
        .check_data = &api_ctx,
    };

    if (!cfg.max_connections) http_cfg.max_connections = default_max_connections(threads);
    net_loops_set_batch_writes(!cfg.no_io_uring);
    int rc = net_loops_start(threads, loop_hook);
    int failed = rc != 0;
    for (unsigned i = 0; i < threads && !failed; i++) failed = loop_states[i].error != 0;
    if (failed) {
        fprintf(stderr, "cabled: cannot start the event loops on %s\n", cfg.listen);
        return 1;
    }

    char host[64] = "127.0.0.1", url_host[72];
    if (addr.ss_family == AF_INET) {
        uv_ip4_name((struct sockaddr_in *)&addr, host, sizeof host);
        snprintf(url_host, sizeof url_host, "%s", strcmp(host, "0.0.0.0") ? host : "127.0.0.1");
    } else {
        uv_ip6_name((struct sockaddr_in6 *)&addr, host, sizeof host);
        snprintf(url_host, sizeof url_host, "[%s]", strcmp(host, "::") ? host : "::1");
    }
    printf("cabled listening on %s://%s:%d\n", http_scheme, host, port);
    fflush(stdout);
    log_info("main listening addr=%s:%d threads=%u pubsub=%s max_connections=%zu tls=%s", host,
             port, threads, ps->name, http_cfg.max_connections, tls ? "on" : "off");
    if (tls) {
        char desc[512];
        net_tls_ctx_describe(tls, desc, sizeof desc);
        log_info("main tls cert=%s %s", cfg.tls_cert, desc);
    }
    for (size_t i = 0; i < auth_origins_count(community.origins); i++)
        log_info("main allowed_origin=%s", auth_origins_get(community.origins, i));
    if (cfg.demo) {
        struct demo_print dp = {
            .url_host = url_host,
            .port = port,
            .auth = &auth,
            .members = &demo,
            .app_token = cfg.app_token,
            .prog = prog,
            .room_id = demo_room_id,
            .room_uuid = demo_room_uuid,
        };
        print_demo(&dp);
    }

    uv_loop_t *main_loop = uv_default_loop();
    uv_signal_init(main_loop, &sig_term);
    uv_signal_init(main_loop, &sig_int);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_init(main_loop, &sig_hup);
    uv_signal_start(&sig_hup, on_hup, SIGHUP);
    uv_timer_init(main_loop, &state_tick);
    uv_timer_start(&state_tick, on_state_tick, 1000, 1000);
    uv_run(main_loop, UV_RUN_DEFAULT);

    hub_stop(hub);
    net_loops_join();
    uv_loop_close(main_loop);
    free(loop_states);
    http_router_free(router);
    http_static_free(demo_page);
    /* The state first: Redis's is a view of the adapter's connection. */
    state_destroy(state);
    pubsub_destroy(ps);
    hub_free(hub);
    store_destroy(store);
    net_tls_ctx_free(tls);
    auth_community_deinit(&community);
    auth_revoked_clear();
    auth_members_clear();
    access_cache_clear();
    log_info("main stopped");
    return 0;
}

int main(int argc, char **argv)
{
    prog = argv[0];
    if (argc > 1 && strcmp(argv[1], "token") == 0) return cmd_token(argc - 1, argv + 1);
    if (parse_args(&cfg, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    return run_server();
}
