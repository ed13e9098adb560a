/* bench/options: bench_fanout's command line: the defaults of every
 * option, --help, and the checks that options which go together do. Fills
 * fanout_opt (fanout.h), which the rest of the generator only reads. */
#include "fanout.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fanout_options_t fanout_opt = {
    .role = FANOUT_ROLE_BOTH,
    .proto = FANOUT_PROTO_CABLE,
    .pub = FANOUT_PUB_HTTP,
    .host = "127.0.0.1",
    .port = "8080",
    .origin = "http://localhost",
    .room = 1,
    .subscribers = 1000,
    .sources = 1,
    .broadcasts = 200,
    .rate = 100,
    .pipeline = 0, /* chosen from the mode in parse_args */
    .batch = 0,    /* idem */
    .step_s = 3,
    .connect_concurrency = 256,
    .timeout_s = 30,
};
static char default_identifier[128], default_stream[64];

static void usage(FILE *f)
{
    fputs(
        "usage: bench_fanout [options]                      subscribe, then publish\n"
        "       bench_fanout --role subscribe --broadcasts M [--report FILE] ...\n"
        "       bench_fanout --role publish --broadcasts M ...\n"
        "       bench_fanout --merge REPORT...\n"
        "server and protocol:\n"
        "  --url HOST:PORT          the server (127.0.0.1:8080); ws:// or http:// prefix allowed\n"
        "  --protocol cable|plain   Action Cable (welcome, then subscribe), or plain: subscribe\n"
        "                           right after the upgrade (bench/peers/) (cable)\n"
        "  --ws-path PATH           the subscribers' upgrade path (/cable)\n"
        "  --token TOKEN            bearer token of the subscribers' upgrade (and of chat)\n"
        "  --origin ORIGIN          Origin header; \"\" for none (http://localhost)\n"
        "  --room ID                Chats::RoomChannel chat_room_id: the default identifier\n"
        "                           and stream (1)\n"
        "  --identifier JSON        the subscription identifier, unescaped\n"
        "                           ({\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":ROOM})\n"
        "  --stream NAME            the stream HTTP broadcasts name (chat-room-ROOM-channel)\n"
        "publisher:\n"
        "  --publish http|ws|chat   batched POSTs of [{stream,data}], a WebSocket whose every\n"
        "                           text frame the server publishes, or chat messages (http)\n"
        "  --publish-path PATH      (http: /api/v1/broadcast, ws: /publish; chat: required,\n"
        "                           /api/headless/v1/messages/UUID/chat_room_messages)\n"
        "  --app-token TOKEN        bearer token of the POSTs (and of the ws upgrade)\n"
        "  --broadcasts M           broadcasts to publish, or to expect; 0 with --hold (200)\n"
        "  --rate R                 broadcasts per second; 0 = as fast as answered (100)\n"
        "  --ramp R1,R2,...         steps at these rates, --step-s each, each once the last\n"
        "                           is delivered; one keeps up at 99 %% of the offered\n"
        "                           deliveries/s and a p99 under 1 s; the ramp stops under\n"
        "                           90 %% or past 1 s (at most 16 steps)\n"
        "  --step-s S               seconds of broadcasts per ramp step (3)\n"
        "  --batch B                broadcasts per POST at most (100 with a rate, else 1)\n"
        "  --pipeline P             requests in flight at most (64 with a rate, else 1)\n"
        "  --payload-bytes B        pad each broadcast's data with a string of B bytes (0)\n"
        "subscribers:\n"
        "  --subscribers N          WebSocket connections (1000); one process holds at most\n"
        "                           19,860: run several with --role subscribe for more\n"
        "  --sources K              spread them over 127.0.0.1 .. 127.0.0.K (1)\n"
        "  --stalled K              the last K stop reading once subscribed (0)\n"
        "  --hold S                 stay idle S seconds once subscribed: server CPU, pings and\n"
        "                           socket memory over that window (0)\n"
        "  --connect-concurrency C  handshakes in flight while connecting (256)\n"
        "measurement and roles:\n"
        "  --server-pid PID         report the server's CPU, RSS and socket memory\n"
        "  --perf                   count the server's system calls (perf stat) per round\n"
        "  --deflate                subscribers offer permessage-deflate and inflate what\n"
        "                           arrives compressed (the server must agree)\n"
        "  --tls                    speak TLS to the server (wss://, https://), as tlsc.h says\n"
        "  --tls-ca FILE            verify the server's certificate against this CA (with --tls)\n"
        "  --timeout S              give up S seconds into a phase (30)\n"
        "  --role ROLE              both (default); subscribe: connect, print \"ready\", count\n"
        "                           M broadcasts published by another process; publish\n"
        "  --rounds M1,M2,...       subscribe role: expect M1 broadcasts, then M2 more, ...;\n"
        "                           print \"done round=R\" after each but the last\n"
        "  --first-seq S            publish role: number the broadcasts from S (0)\n"
        "  --report FILE            subscribe role: write counters and histogram to FILE\n"
        "  --merge                  read the report files given as arguments, print one line\n",
        f);
}

static int parse_u32(const char *name, const char *v, uint32_t min, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || end == v || n < min || n > UINT32_MAX / 2) {
        fprintf(stderr, "fanout: --%s: expected an integer >= %u, got \"%s\"\n", name, min, v);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

static int parse_url(const char *v)
{
    if (strncmp(v, "ws://", 5) == 0)
        v += 5;
    else if (strncmp(v, "http://", 7) == 0)
        v += 7;
    const char *colon = strrchr(v, ':');
    size_t hlen = colon ? (size_t)(colon - v) : strlen(v);
    if (!colon || hlen == 0 || hlen >= sizeof fanout_opt.host) return -1;
    memcpy(fanout_opt.host, v, hlen);
    fanout_opt.host[hlen] = '\0';
    size_t plen = strcspn(colon + 1, "/");
    if (plen == 0 || plen >= sizeof fanout_opt.port) return -1;
    memcpy(fanout_opt.port, colon + 1, plen);
    fanout_opt.port[plen] = '\0';
    return 0;
}

/* Match 'v' against 'names' (NULL-terminated); returns the index or -1. */
static int parse_enum(const char *opt, const char *v, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) return i;
    fprintf(stderr, "fanout: --%s: unknown value \"%s\"\n", opt, v);
    return -1;
}

/* A comma-separated list of positive numbers into 'out' (at most
 * FANOUT_ROUNDS_MAX). Returns the count, or -1. */
static int parse_list(const char *opt, const char *v, double *out)
{
    int n = 0;
    for (const char *p = v;;) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || d <= 0 || n == FANOUT_ROUNDS_MAX || (*end && *end != ',')) {
            fprintf(stderr,
                    "fanout: --%s: expected up to %d positive numbers separated by commas, "
                    "got \"%s\"\n",
                    opt, FANOUT_ROUNDS_MAX, v);
            return -1;
        }
        out[n++] = d;
        if (!*end) break;
        p = end + 1;
    }
    return n;
}

int fanout_parse_args(int argc, char **argv)
{
    enum {
        O_URL = 256,
        O_ROLE,
        O_TOKEN,
        O_ORIGIN,
        O_APP,
        O_ROOM,
        O_SUBS,
        O_BCAST,
        O_RATE,
        O_PIPE,
        O_PAD,
        O_PID,
        O_CONC,
        O_TIMEOUT,
        O_ROUNDS,
        O_FIRST_SEQ,
        O_REPORT,
        O_MERGE,
        O_PROTO,
        O_WS_PATH,
        O_IDENT,
        O_STREAM,
        O_PUBLISH,
        O_PUB_PATH,
        O_BATCH,
        O_SOURCES,
        O_STALLED,
        O_HOLD,
        O_RAMP,
        O_STEP,
        O_PERF,
        O_DEFLATE,
        O_TLS,
        O_TLS_CA,
        O_HELP
    };
    static const struct option longopts[] = {
        {"url", required_argument, NULL, O_URL},
        {"role", required_argument, NULL, O_ROLE},
        {"token", required_argument, NULL, O_TOKEN},
        {"origin", required_argument, NULL, O_ORIGIN},
        {"app-token", required_argument, NULL, O_APP},
        {"room", required_argument, NULL, O_ROOM},
        {"subscribers", required_argument, NULL, O_SUBS},
        {"broadcasts", required_argument, NULL, O_BCAST},
        {"rate", required_argument, NULL, O_RATE},
        {"pipeline", required_argument, NULL, O_PIPE},
        {"payload-bytes", required_argument, NULL, O_PAD},
        {"server-pid", required_argument, NULL, O_PID},
        {"connect-concurrency", required_argument, NULL, O_CONC},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"rounds", required_argument, NULL, O_ROUNDS},
        {"first-seq", required_argument, NULL, O_FIRST_SEQ},
        {"report", required_argument, NULL, O_REPORT},
        {"merge", no_argument, NULL, O_MERGE},
        {"protocol", required_argument, NULL, O_PROTO},
        {"ws-path", required_argument, NULL, O_WS_PATH},
        {"identifier", required_argument, NULL, O_IDENT},
        {"stream", required_argument, NULL, O_STREAM},
        {"publish", required_argument, NULL, O_PUBLISH},
        {"publish-path", required_argument, NULL, O_PUB_PATH},
        {"batch", required_argument, NULL, O_BATCH},
        {"sources", required_argument, NULL, O_SOURCES},
        {"stalled", required_argument, NULL, O_STALLED},
        {"hold", required_argument, NULL, O_HOLD},
        {"ramp", required_argument, NULL, O_RAMP},
        {"step-s", required_argument, NULL, O_STEP},
        {"perf", no_argument, NULL, O_PERF},
        {"deflate", no_argument, NULL, O_DEFLATE},
        {"tls", no_argument, NULL, O_TLS},
        {"tls-ca", required_argument, NULL, O_TLS_CA},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    static const char *const roles[] = {"both", "subscribe", "publish", NULL};
    static const char *const protos[] = {"cable", "plain", NULL};
    static const char *const pubs[] = {"http", "ws", "chat", NULL};
    fanout_options_t *o = &fanout_opt;
    double rounds[FANOUT_ROUNDS_MAX], ramp[FANOUT_ROUNDS_MAX];
    int c, idx, merge = 0, nrounds = 0, nramp = 0, v, broadcasts_set = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        const char *name = c >= 256 ? longopts[idx].name : "";
        char *end;
        switch (c) {
        case O_URL:
            if (parse_url(optarg) != 0) {
                fprintf(stderr, "fanout: --url: expected HOST:PORT, got \"%s\"\n", optarg);
                return -1;
            }
            break;
        case O_ROLE:
            if ((v = parse_enum(name, optarg, roles)) < 0) return -1;
            o->role = (fanout_role_t)v;
            break;
        case O_PROTO:
            if ((v = parse_enum(name, optarg, protos)) < 0) return -1;
            o->proto = (fanout_proto_t)v;
            break;
        case O_PUBLISH:
            if ((v = parse_enum(name, optarg, pubs)) < 0) return -1;
            o->pub = (fanout_pub_t)v;
            break;
        case O_TOKEN:
            o->token = optarg;
            break;
        case O_ORIGIN:
            o->origin = *optarg ? optarg : NULL;
            break;
        case O_APP:
            o->app_token = optarg;
            break;
        case O_WS_PATH:
            o->ws_path = optarg;
            break;
        case O_PUB_PATH:
            o->pub_path = optarg;
            break;
        case O_IDENT:
            o->identifier = optarg;
            break;
        case O_STREAM:
            o->stream = optarg;
            break;
        case O_ROOM:
            o->room = strtol(optarg, &end, 10);
            if (*end || o->room < 1) {
                fprintf(stderr, "fanout: --room: expected a positive id\n");
                return -1;
            }
            break;
        case O_SUBS:
            if (parse_u32(name, optarg, 1, &o->subscribers)) return -1;
            break;
        case O_BCAST:
            if (parse_u32(name, optarg, 0, &o->broadcasts)) return -1;
            broadcasts_set = 1;
            break;
        case O_PIPE:
            if (parse_u32(name, optarg, 1, &o->pipeline)) return -1;
            break;
        case O_BATCH:
            if (parse_u32(name, optarg, 1, &o->batch)) return -1;
            break;
        case O_PAD:
            if (parse_u32(name, optarg, 0, &o->payload_bytes)) return -1;
            break;
        case O_CONC:
            if (parse_u32(name, optarg, 1, &o->connect_concurrency)) return -1;
            break;
        case O_SOURCES:
            if (parse_u32(name, optarg, 1, &o->sources)) return -1;
            break;
        case O_STALLED:
            if (parse_u32(name, optarg, 0, &o->stalled)) return -1;
            break;
        case O_RATE:
        case O_TIMEOUT:
        case O_HOLD:
        case O_STEP: {
            double d = strtod(optarg, &end);
            if (*end || end == optarg || d < 0 || ((c == O_TIMEOUT || c == O_STEP) && d <= 0)) {
                fprintf(stderr, "fanout: --%s: expected a number, got \"%s\"\n", name, optarg);
                return -1;
            }
            if (c == O_RATE) o->rate = d;
            if (c == O_TIMEOUT) o->timeout_s = d;
            if (c == O_HOLD) o->hold_s = d;
            if (c == O_STEP) o->step_s = d;
            break;
        }
        case O_PID:
            o->server_pid = strtol(optarg, &end, 10);
            if (*end || o->server_pid <= 0) {
                fprintf(stderr, "fanout: --server-pid: expected a pid\n");
                return -1;
            }
            break;
        case O_DEFLATE:
            o->deflate = 1;
            break;
        case O_TLS:
            o->tls = 1;
            break;
        case O_TLS_CA:
            o->tls_ca = optarg;
            break;
        case O_PERF:
            o->perf = 1;
            break;
        case O_ROUNDS:
            if ((nrounds = parse_list(name, optarg, rounds)) < 0) return -1;
            break;
        case O_RAMP:
            if ((nramp = parse_list(name, optarg, ramp)) < 0) return -1;
            break;
        case O_FIRST_SEQ:
            if (parse_u32(name, optarg, 0, &o->first_seq)) return -1;
            break;
        case O_REPORT:
            o->report_path = optarg;
            break;
        case O_MERGE:
            merge = 1;
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (merge) return 1;
    if (optind < argc) {
        usage(stderr);
        return -1;
    }
    if ((o->report_path || nrounds) && o->role != FANOUT_ROLE_SUBSCRIBE) {
        fprintf(stderr, "fanout: --report and --rounds go with --role subscribe\n");
        return -1;
    }
    if (o->first_seq && o->role != FANOUT_ROLE_PUBLISH) {
        fprintf(stderr, "fanout: --first-seq goes with --role publish\n");
        return -1;
    }
    if ((nramp || o->hold_s > 0 || o->stalled) && o->role != FANOUT_ROLE_BOTH) {
        fprintf(stderr, "fanout: --ramp, --hold and --stalled go with the default role\n");
        return -1;
    }
    if (o->stalled >= o->subscribers) {
        fprintf(stderr, "fanout: --stalled must leave at least one reading subscriber\n");
        return -1;
    }
    if (o->pub == FANOUT_PUB_CHAT && (!o->pub_path || !o->token)) {
        fprintf(stderr, "fanout: --publish chat needs --publish-path and --token\n");
        return -1;
    }
    if (nramp && nrounds) {
        fprintf(stderr, "fanout: --ramp and --rounds exclude each other\n");
        return -1;
    }
    if (nramp && broadcasts_set) {
        fprintf(stderr, "fanout: --ramp sets the broadcasts itself (rate x --step-s per step)\n");
        return -1;
    }
    if (!o->ws_path) o->ws_path = "/cable";
    if (!o->pub_path) o->pub_path = o->pub == FANOUT_PUB_WS ? "/publish" : "/api/v1/broadcast";
    if (!o->identifier) {
        snprintf(default_identifier, sizeof default_identifier,
                 "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":%ld}", o->room);
        o->identifier = default_identifier;
    }
    if (!o->stream) {
        snprintf(default_stream, sizeof default_stream, "chat-room-%ld-channel", o->room);
        o->stream = default_stream;
    }
    if (nramp) {
        o->ramp = 1;
        o->rounds = (uint32_t)nramp;
        for (int i = 0; i < nramp; i++) {
            double n = ramp[i] * o->step_s + 0.5;
            o->round_rate[i] = ramp[i];
            o->round_size[i] = n < 4 ? 4 : (uint32_t)n;
        }
    } else if (nrounds) {
        o->rounds = (uint32_t)nrounds;
        for (int i = 0; i < nrounds; i++) o->round_size[i] = (uint32_t)rounds[i];
    } else {
        o->rounds = 1;
        o->round_size[0] = o->broadcasts;
    }
    uint64_t total = 0;
    for (uint32_t r = 0; r < o->rounds; r++) total += o->round_size[r];
    if (total > UINT32_MAX / 2) {
        fprintf(stderr, "fanout: too many broadcasts\n");
        return -1;
    }
    o->broadcasts = (uint32_t)total;
    if (o->broadcasts == 0 && !(o->hold_s > 0 && o->role == FANOUT_ROLE_BOTH)) {
        fprintf(stderr, "fanout: --broadcasts 0 needs --hold\n");
        return -1;
    }
    double rate = o->ramp ? 1 : o->rate;
    if (!o->pipeline) o->pipeline = rate > 0 ? 64 : 1;
    if (!o->batch) o->batch = rate > 0 ? 100 : 1;
    return 0;
}
