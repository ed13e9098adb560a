/* store/pg: the PostgreSQL store adapter: the connection pool, outages and
 * reconnection, statements and their errors, migrations, and the
 * community, member and token operations. Chat and notifications are in
 * store/pg_chat.c and store/pg_notifications.c. See pg.h.
 *
 * Pool: 'conns' is a fixed array; 'idle' a stack of the free ones under
 * 'lock'. A borrower owns its connection outright until it gives it back,
 * so no statement ever runs under the lock.
 *
 * Outages: a connection is 'broken' once a statement failed for want of
 * the server, or its socket was found closed while idle. A broken
 * connection is reset (PQreset) before its next use, but not before
 * 'retry_at_ms': each failed attempt doubles the wait, from
 * PG_BACKOFF_MIN_MS to PG_BACKOFF_MAX_MS, so a server that is down is asked
 * a few times a second at most. When one connection gets through, every
 * wait is forgotten (up_epoch) so the others reconnect at their next use.
 * The monitor thread tries idle broken connections once a second, outside
 * any backoff, so an outage and its end are seen without traffic
 * (store_pg_healthy) and a server that came back is used at once. */
#include "store/pg.h"
#include "store/pg_chat.h"
#include "store/pg_internal.h"
#include "store/pg_notifications.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/health.h"
#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* The key of the session advisory lock held while migrating: "cabled" in
 * ASCII followed by 1. Advisory locks are per database. */
#define MIGRATION_LOCK_KEY "7233173838708850689"

static const char *const migrations[] = {
#define PG_MIGRATION(sql) sql,
    PG_MIGRATIONS(PG_MIGRATION)
#undef PG_MIGRATION
};

static const char *const stmt_sql[] = {
#define PG_STMT_SQL(name, sql) sql,
    PG_STMTS(PG_STMT_SQL)
#undef PG_STMT_SQL
};

static const struct store_ops pg_ops;

/* ---- time and text ---------------------------------------------------------------------------- */

int64_t pg__now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int64_t mono_ms(void)
{
    return (int64_t)(clock_mono_us() / 1000u);
}

/* libpq messages end with a newline and may span lines: one line for logs. */
static void one_line(char *out, size_t cap, const char *msg)
{
    snprintf(out, cap, "%s", msg && *msg ? msg : "unknown error");
    for (char *p = out; *p; p++) {
        if ((unsigned char)*p < 0x20) *p = ' ';
        if (*p == '"') *p = '\''; /* it is quoted in key="value" log fields */
    }
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == ' ') out[--n] = '\0';
}

void store_pg_redact(const char *url, char *out, size_t cap)
{
    snprintf(out, cap, "%s", url);
    /* URL form: scheme://user:password@host... */
    char *scheme = strstr(out, "://");
    if (scheme) {
        char *user = scheme + 3;
        char *at = strchr(user, '@');
        char *slash = strchr(user, '/');
        char *colon = strchr(user, ':');
        if (at && (!slash || at < slash) && colon && colon < at) {
            size_t tail = strlen(at);
            if ((size_t)(colon + 1 - out) + 3 + tail < cap) {
                memmove(colon + 4, at, tail + 1);
                memcpy(colon + 1, "***", 3);
            }
        }
    }
    /* password=... as a URL parameter or a conninfo keyword. */
    for (char *p = strstr(out, "password="); p; p = strstr(p + 1, "password=")) {
        if (p != out && !strchr("?& \t", p[-1])) continue;
        char *v = p + 9, *end = v + strcspn(v, "& \t");
        size_t tail = strlen(end);
        if ((size_t)(v - out) + 3 + tail < cap) {
            memmove(v + 3, end, tail + 1);
            memcpy(v, "***", 3);
        }
    }
}

/* ---- parameters ------------------------------------------------------------------------------- */

void pg__int(pg_params_t *p, long long v)
{
    int i = p->n++;
    snprintf(p->num[i], sizeof p->num[i], "%lld", v);
    p->values[i] = p->num[i];
    p->lengths[i] = 0;
    p->formats[i] = 0;
}

void pg__text(pg_params_t *p, const char *v)
{
    int i = p->n++;
    p->values[i] = v;
    p->lengths[i] = 0;
    p->formats[i] = 0;
}

void pg__bytes(pg_params_t *p, const void *v, size_t len)
{
    int i = p->n++;
    p->values[i] = v ? v : "";
    p->lengths[i] = (int)len;
    p->formats[i] = 1;
}

/* ---- columns ---------------------------------------------------------------------------------- */

long long pg__col_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

char *pg__col_text(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) return NULL;
    return xstrndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

void pg__col_copy(const PGresult *r, int row, int col, char *out, size_t cap)
{
    snprintf(out, cap, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

size_t pg__col_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t cap)
{
    if (PQgetisnull(r, row, col)) return 0;
    size_t len = 0;
    unsigned char *b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &len);
    if (!b) return 0;
    if (len > cap) len = cap;
    memcpy(out, b, len);
    PQfreemem(b);
    return len;
}

/* ---- health ----------------------------------------------------------------------------------- */

static void set_down_locked(struct store_pg *s, const char *why)
{
    one_line(s->last_error, sizeof s->last_error, why);
    /* Degraded, not failing: sockets and broadcasts go on without the
     * database, and every node loses it at once. */
    health_set("store", HEALTH_DEGRADED,
               "postgres unavailable (%s): the API answers 503 until it is back", s->last_error);
    if (atomic_load(&s->down)) return;
    s->down_since_ms = mono_ms();
    atomic_store(&s->down, 1);
    log_warn("store pg unavailable reason=\"%s\"", s->last_error);
}

static void set_down(struct store_pg *s, const char *why)
{
    pthread_mutex_lock(&s->lock);
    set_down_locked(s, why);
    pthread_mutex_unlock(&s->lock);
}

/* A statement or a connection got through: the server is back. */
static void set_up(struct store_pg *s)
{
    if (!atomic_load(&s->down)) return;
    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->down)) {
        atomic_fetch_add(&s->up_epoch, 1);
        atomic_store(&s->down, 0);
        health_set("store", HEALTH_OK, NULL);
        log_info("store pg available again after_ms=%lld", (long long)(mono_ms() - s->down_since_ms));
    }
    pthread_mutex_unlock(&s->lock);
}

int store_pg_healthy(store_t *base, char *why, size_t cap)
{
    if (cap) why[0] = '\0';
    if (!base || base->ops != &pg_ops) return 1;
    struct store_pg *s = (struct store_pg *)base;
    if (!atomic_load(&s->down)) return 1;
    pthread_mutex_lock(&s->lock);
    if (cap)
        snprintf(why, cap, "postgres unavailable for %lld ms: %s",
                 (long long)(mono_ms() - s->down_since_ms), s->last_error);
    int healthy = !atomic_load(&s->down);
    pthread_mutex_unlock(&s->lock);
    return healthy;
}

/* ---- connections ------------------------------------------------------------------------------ */

/* Server notices (and the FATAL a server sends an idle session it ends)
 * would go to stderr; they belong in the log, at debug level. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    char line[256];
    one_line(line, sizeof line, message);
    log_debug("store pg notice=\"%s\"", line);
}

static PGconn *connect_one(const char *url)
{
    /* Defaults first: whatever the URL says wins (libpq keeps the last
     * value of a keyword), except the client encoding, which we need. */
    const char *const keys[] = {
        "connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname", "client_encoding", NULL,
    };
    const char *const values[] = {"5", "cabled", "10", "5", "3", "15000", url, "UTF8", NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (pg) PQsetNoticeProcessor(pg, on_notice, NULL);
    return pg;
}

/* Whether an idle connection is unusable: its server closed it (seen
 * without blocking: libpq's socket is non-blocking), or it is not idle. */
static int conn_dropped(struct pg_conn *c)
{
    if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE) return 1;
    int fd = PQsocket(c->pg);
    if (fd < 0) return 1;
    for (int i = 0; i < 4; i++) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) <= 0) break;
        /* Readable while idle: a notice, or the end of the session. */
        if (!PQconsumeInput(c->pg)) return 1;
        PGnotify *n;
        while ((n = PQnotifies(c->pg)) != NULL) PQfreemem(n);
        if (PQstatus(c->pg) != CONNECTION_OK) return 1;
    }
    return 0;
}

/* Whether a broken connection may try to reconnect now. */
static int retry_due(struct store_pg *s, const struct pg_conn *c)
{
    return c->retry_epoch != atomic_load(&s->up_epoch) || mono_ms() >= c->retry_at_ms;
}

/* Reset a broken connection (blocking, up to connect_timeout). Returns 0
 * when it works again, else -1; a failed attempt made for a borrower
 * ('on_use') also sets the connection's next backoff. The monitor's own
 * attempts, once a second, leave it alone: a server that came back while
 * nobody asked is used at once. */
static int reconnect(struct store_pg *s, struct pg_conn *c, int on_use)
{
    PQreset(c->pg);
    if (PQstatus(c->pg) == CONNECTION_OK) {
        memset(c->prepared, 0, sizeof c->prepared);
        c->broken = 0;
        c->backoff_ms = 0;
        log_debug("store pg reconnected conn=%d", (int)(c - s->conns));
        set_up(s);
        return 0;
    }
    if (on_use) {
        c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : PG_BACKOFF_MIN_MS;
        if (c->backoff_ms > PG_BACKOFF_MAX_MS) c->backoff_ms = PG_BACKOFF_MAX_MS;
        c->retry_at_ms = mono_ms() + c->backoff_ms;
        c->retry_epoch = atomic_load(&s->up_epoch);
    }
    set_down(s, PQerrorMessage(c->pg));
    return -1;
}

struct pg_conn *pg__acquire(struct store_pg *s, int *rc)
{
    pthread_mutex_lock(&s->lock);
    while (s->idle_count == 0) pthread_cond_wait(&s->returned, &s->lock);
    /* The most recently used connection that may be used now: one still
     * waiting out its backoff only when there is no other. */
    unsigned pick = s->idle_count - 1;
    for (unsigned i = s->idle_count; i-- > 0;) {
        if (!s->idle[i]->broken || retry_due(s, s->idle[i])) {
            pick = i;
            break;
        }
    }
    struct pg_conn *c = s->idle[pick];
    memmove(&s->idle[pick], &s->idle[pick + 1], (s->idle_count - pick - 1) * sizeof *s->idle);
    s->idle_count--;
    pthread_mutex_unlock(&s->lock);
    *rc = 0;
    if (!c->broken && !conn_dropped(c)) return c;
    /* Closed under us (a restart, an idle timeout): a server that is
     * back answers the reset at once, one still away costs a refused
     * connect, then the backoff answers for it. */
    c->broken = 1;
    if (retry_due(s, c) && reconnect(s, c, 1) == 0) return c;
    pg__release(s, c);
    *rc = ERR_UNAVAILABLE;
    return NULL;
}

void pg__release(struct store_pg *s, struct pg_conn *c)
{
    pthread_mutex_lock(&s->lock);
    s->idle[s->idle_count++] = c;
    pthread_cond_signal(&s->returned);
    pthread_mutex_unlock(&s->lock);
}

/* ---- the monitor ------------------------------------------------------------------------------ */

/* An idle broken connection, taken out of the pool; NULL when there is
 * none. */
static struct pg_conn *take_broken_locked(struct store_pg *s)
{
    for (unsigned i = 0; i < s->idle_count; i++) {
        struct pg_conn *c = s->idle[i];
        if (!c->broken) continue;
        s->idle[i] = s->idle[--s->idle_count];
        return c;
    }
    return NULL;
}

static void *monitor_main(void *arg)
{
    struct store_pg *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += PG_MONITOR_INTERVAL_MS / 1000;
        until.tv_nsec += (long)(PG_MONITOR_INTERVAL_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT) {
        }
        if (s->stopping) break;
        /* Sockets the server closed: seen without blocking, so under the lock. */
        for (unsigned i = 0; i < s->idle_count; i++)
            if (!s->idle[i]->broken && conn_dropped(s->idle[i])) s->idle[i]->broken = 1;
        /* Reconnect the broken ones, outside the lock; stop at the first
         * failure: the server is still away, ask again next time. */
        struct pg_conn *c;
        while (!s->stopping && (c = take_broken_locked(s)) != NULL) {
            pthread_mutex_unlock(&s->lock);
            int rc = reconnect(s, c, 0);
            pthread_mutex_lock(&s->lock);
            s->idle[s->idle_count++] = c;
            pthread_cond_signal(&s->returned);
            if (rc != 0) break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- statements ------------------------------------------------------------------------------- */

/* SQLSTATEs that mean the server is not there to answer: connection
 * exceptions (class 08), and the server shutting down, crashing or
 * starting (57P01, 57P02, 57P03). */
static int state_unavailable(const char *state)
{
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
           strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

static int fail(struct store_pg *s, struct pg_conn *c, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "23505") == 0) return ERR_CONFLICT;
    char msg[256];
    one_line(msg, sizeof msg, r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r)
                                                            : PQerrorMessage(c->pg));
    if (PQstatus(c->pg) != CONNECTION_OK || (state && state_unavailable(state))) {
        c->broken = 1;
        log_debug("store pg %s unavailable sqlstate=%s err=\"%s\"", what, state ? state : "-",
                  msg);
        set_down(s, msg);
        return ERR_UNAVAILABLE;
    }
    log_error("store pg %s failed sqlstate=%s err=\"%s\"", what, state ? state : "-", msg);
    return ERR_STORE;
}

PGresult *pg__exec(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id,
                   const pg_params_t *p, int *rc, const char *what)
{
    char name[24];
    snprintf(name, sizeof name, "cabled_%d", (int)id);
    if (!c->prepared[id]) {
        /* Prepared statements belong to the session, not to a
         * transaction: a ROLLBACK keeps them. */
        PGresult *r = PQprepare(c->pg, name, stmt_sql[id], 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *rc = fail(s, c, r, what);
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        c->prepared[id] = 1;
    }
    PGresult *r = PQexecPrepared(c->pg, name, p ? p->n : 0, p ? p->values : NULL,
                                 p ? p->lengths : NULL, p ? p->formats : NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *rc = 0;
        set_up(s);
        return r;
    }
    *rc = fail(s, c, r, what);
    PQclear(r);
    return NULL;
}

int pg__run(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id, const pg_params_t *p,
            long long *changed, const char *what)
{
    int rc;
    PGresult *r = pg__exec(s, c, id, p, &rc, what);
    if (!r) return rc;
    if (changed) *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

int pg__one(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id, const pg_params_t *p,
            pg_read_cb read, void *out, const char *what)
{
    int rc;
    PGresult *r = pg__exec(s, c, id, p, &rc, what);
    if (!r) return rc;
    rc = PQntuples(r) > 0 ? 0 : ERR_NOT_FOUND;
    if (rc == 0) read(r, 0, out);
    PQclear(r);
    return rc;
}

void *pg__collect(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id,
                  const pg_params_t *p, size_t size, pg_read_cb read, size_t *count, int *rc,
                  const char *what)
{
    *count = 0;
    PGresult *r = pg__exec(s, c, id, p, rc, what);
    if (!r) return NULL;
    size_t n = (size_t)PQntuples(r);
    char *arr = n ? xcalloc(n, size) : NULL;
    for (size_t i = 0; i < n; i++) read(r, (int)i, arr + i * size);
    PQclear(r);
    *count = n;
    return arr;
}

long long pg__value(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id,
                    const pg_params_t *p, const char *what)
{
    int rc;
    PGresult *r = pg__exec(s, c, id, p, &rc, what);
    if (!r) return rc;
    long long v = PQntuples(r) > 0 ? pg__col_int(r, 0, 0) : 0;
    PQclear(r);
    return v;
}

int pg__abort(struct store_pg *s, struct pg_conn *c, int rc)
{
    /* On a lost connection the ROLLBACK fails too; the server rolls back. */
    if (!c->broken) pg__run(s, c, PG_STMT_ROLLBACK, NULL, NULL, "rollback");
    return rc ? rc : ERR_STORE;
}

int pg__run_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p, long long *changed,
               const char *what)
{
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    rc = pg__run(s, c, id, p, changed, what);
    pg__release(s, c);
    return rc;
}

int pg__one_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p, pg_read_cb read,
               void *out, const char *what)
{
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    rc = pg__one(s, c, id, p, read, out, what);
    pg__release(s, c);
    return rc;
}

void *pg__collect_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p, size_t size,
                     pg_read_cb read, size_t *count, int *rc, const char *what)
{
    *count = 0;
    struct pg_conn *c = pg__acquire(s, rc);
    if (!c) return NULL;
    void *rows = pg__collect(s, c, id, p, size, read, count, rc, what);
    pg__release(s, c);
    return rows;
}

long long pg__value_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p,
                       const char *what)
{
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    long long v = pg__value(s, c, id, p, what);
    pg__release(s, c);
    return v;
}

#define S(base) ((struct store_pg *)(base))

/* ---- communities ------------------------------------------------------------------------------ */

static void read_community(const PGresult *r, int row, void *out)
{
    store_community_t *c = out;
    c->id = pg__col_int(r, row, 0);
    c->name = pg__col_text(r, row, 1);
    c->secret_len = pg__col_bytes(r, row, 2, c->secret, sizeof c->secret);
    pg__col_copy(r, row, 3, c->app_token_sha256, sizeof c->app_token_sha256);
}

static void read_origin(const PGresult *r, int row, void *out)
{
    *(char **)out = pg__col_text(r, row, 0);
}

static int community_get(store_t *base, long long id, store_community_t *out)
{
    struct store_pg *s = S(base);
    memset(out, 0, sizeof *out);
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t p = {0};
    pg__int(&p, id);
    rc = pg__one(s, c, PG_STMT_COMMUNITY_GET, &p, read_community, out, "community_get");
    if (rc == 0) {
        size_t n;
        char **origins = pg__collect(s, c, PG_STMT_COMMUNITY_ORIGINS, &p, sizeof *origins,
                                     read_origin, &n, &rc, "community_origins");
        for (size_t i = 0; i < n; i++) {
            if (out->origins_count < STORE_ORIGINS_MAX)
                out->origins[out->origins_count++] = origins[i];
            else
                free(origins[i]);
        }
        free(origins);
        if (rc) store_community_clear(out);
    }
    pg__release(s, c);
    return rc;
}

static int community_put(store_t *base, const store_community_t *in)
{
    struct store_pg *s = S(base);
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t id = {0};
    pg__int(&id, in->id);
    pg_params_t p = {0};
    pg__int(&p, in->id);
    pg__text(&p, in->name ? in->name : "");
    pg__bytes(&p, in->secret, in->secret_len);
    pg__text(&p, in->app_token_sha256);
    if ((rc = pg__run(s, c, PG_STMT_BEGIN, NULL, NULL, "begin")) != 0 ||
        (rc = pg__run(s, c, PG_STMT_COMMUNITY_UPSERT, &p, NULL, "community_upsert")) != 0 ||
        (rc = pg__run(s, c, PG_STMT_ORIGINS_DELETE, &id, NULL, "origins_delete")) != 0)
        goto fail;
    for (size_t i = 0; i < in->origins_count; i++) {
        pg_params_t o = {0};
        pg__int(&o, in->id);
        pg__text(&o, in->origins[i]);
        if ((rc = pg__run(s, c, PG_STMT_ORIGIN_INSERT, &o, NULL, "origin_insert")) != 0) goto fail;
    }
    rc = pg__run(s, c, PG_STMT_COMMIT, NULL, NULL, "commit");
    pg__release(s, c);
    return rc;
fail:
    rc = pg__abort(s, c, rc);
    pg__release(s, c);
    return rc;
}

/* ---- members ---------------------------------------------------------------------------------- */

static void read_member(const PGresult *r, int row, void *out)
{
    store_member_t *m = out;
    m->id = pg__col_int(r, row, 0);
    m->community_id = pg__col_int(r, row, 1);
    m->email = pg__col_text(r, row, 2);
    m->name = pg__col_text(r, row, 3);
    m->sso_user_id = pg__col_text(r, row, 4);
    m->avatar_url = pg__col_text(r, row, 5);
    m->created_at = pg__col_int(r, row, 6);
    m->updated_at = pg__col_int(r, row, 7);
    m->deactivated_at = pg__col_int(r, row, 8);
}

static void read_id(const PGresult *r, int row, void *out)
{
    *(long long *)out = pg__col_int(r, row, 0);
}

static int member_create(store_t *base, store_member_t *m)
{
    int64_t now = pg__now_ms();
    pg_params_t p = {0};
    pg__int(&p, m->community_id);
    pg__text(&p, m->email);
    pg__text(&p, m->name);
    pg__text(&p, m->sso_user_id);
    pg__text(&p, m->avatar_url);
    pg__int(&p, now);
    long long id = 0;
    int rc = pg__one_op(S(base), PG_STMT_MEMBER_INSERT, &p, read_id, &id, "member_insert");
    if (rc) return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
    m->id = id;
    m->created_at = m->updated_at = now;
    return 0;
}

static int member_get(store_t *base, long long community_id, long long id, store_member_t *out)
{
    memset(out, 0, sizeof *out);
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__int(&p, id);
    return pg__one_op(S(base), PG_STMT_MEMBER_GET, &p, read_member, out, "member_get");
}

static int member_find(store_t *base, long long community_id, const char *field, const char *value,
                       store_member_t *out)
{
    memset(out, 0, sizeof *out);
    enum pg_stmt_id id =
        strcmp(field, "email") == 0 ? PG_STMT_MEMBER_BY_EMAIL : PG_STMT_MEMBER_BY_SSO;
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__text(&p, value);
    return pg__one_op(S(base), id, &p, read_member, out, "member_find");
}

static long long member_count(store_t *base, long long community_id)
{
    pg_params_t p = {0};
    pg__int(&p, community_id);
    return pg__value_op(S(base), PG_STMT_MEMBER_COUNT, &p, "member_count");
}

static int member_list(store_t *base, long long community_id, long long offset, long long limit,
                       store_member_t **rows, size_t *count, long long *total)
{
    struct store_pg *s = S(base);
    *rows = NULL;
    *count = 0;
    *total = 0;
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t p = {0};
    pg__int(&p, community_id);
    *total = pg__value(s, c, PG_STMT_MEMBER_COUNT, &p, "member_count");
    if (*total < 0) {
        rc = (int)*total;
        *total = 0;
    } else {
        pg__int(&p, limit);
        pg__int(&p, offset);
        *rows = pg__collect(s, c, PG_STMT_MEMBER_LIST, &p, sizeof **rows, read_member, count, &rc,
                            "member_list");
    }
    pg__release(s, c);
    return rc;
}

/* ---- tokens ----------------------------------------------------------------------------------- */

static int members_search(store_t *base, long long community_id, const char *text, int status,
                          int order, long long offset, long long limit, store_member_t **rows,
                          size_t *count, long long *total)
{
    struct store_pg *s = (struct store_pg *)base;
    *rows = NULL;
    *count = 0;
    *total = 0;
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__text(&p, text);
    pg__int(&p, status);
    long long n = pg__value(s, c, PG_STMT_MEMBERS_SEARCH_COUNT, &p, "members_search_count");
    if (n < 0) {
        rc = (int)n;
    } else {
        *total = n;
        pg__int(&p, order);
        pg__int(&p, limit);
        pg__int(&p, offset);
        *rows = pg__collect(s, c, PG_STMT_MEMBERS_SEARCH, &p, sizeof **rows, read_member, count,
                            &rc, "members_search");
    }
    pg__release(s, c);
    return rc;
}

static int refresh_create(store_t *base, const uint8_t hash[32], long long community_id,
                          long long member_id, int64_t expires_at)
{
    pg_params_t p = {0};
    pg__bytes(&p, hash, 32);
    pg__int(&p, community_id);
    pg__int(&p, member_id);
    pg__int(&p, expires_at);
    return pg__run_op(S(base), PG_STMT_REFRESH_INSERT, &p, NULL, "refresh_insert");
}

static void read_refresh(const PGresult *r, int row, void *out)
{
    store_refresh_t *t = out;
    t->community_id = pg__col_int(r, row, 0);
    t->member_id = pg__col_int(r, row, 1);
    t->expires_at = pg__col_int(r, row, 2);
    t->revoked_at = pg__col_int(r, row, 3);
}

static int refresh_get(store_t *base, const uint8_t hash[32], store_refresh_t *out)
{
    pg_params_t p = {0};
    pg__bytes(&p, hash, 32);
    return pg__one_op(S(base), PG_STMT_REFRESH_GET, &p, read_refresh, out, "refresh_get");
}

static int member_deactivate(store_t *base, long long community_id, long long id, int64_t now)
{
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__int(&p, id);
    pg__int(&p, now);
    long long changed = 0;
    int rc = pg__run_op(S(base), PG_STMT_MEMBER_DEACTIVATE, &p, &changed, "member_deactivate");
    if (rc) return rc;
    return changed == 1 ? 0 : ERR_NOT_FOUND;
}

static int member_delete(store_t *base, long long community_id, long long id)
{
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__int(&p, id);
    long long n = pg__value_op(S(base), PG_STMT_MEMBER_DELETE, &p, "member_delete");
    if (n < 0) return (int)n;
    return n == 1 ? 0 : ERR_NOT_FOUND;
}

static int refresh_revoke(store_t *base, const uint8_t hash[32], int64_t now)
{
    pg_params_t p = {0};
    pg__bytes(&p, hash, 32);
    pg__int(&p, now);
    long long changed = 0;
    int rc = pg__run_op(S(base), PG_STMT_REFRESH_REVOKE, &p, &changed, "refresh_revoke");
    if (rc) return rc;
    return changed == 1 ? 0 : ERR_NOT_FOUND;
}

static int access_revoke(store_t *base, const char *jti, long long community_id, int64_t expires_at)
{
    pg_params_t p = {0};
    pg__text(&p, jti);
    pg__int(&p, community_id);
    pg__int(&p, expires_at);
    return pg__run_op(S(base), PG_STMT_ACCESS_REVOKE, &p, NULL, "access_revoke");
}

static int access_revoked_each(store_t *base, int64_t now,
                               void (*cb)(void *ud, const char *jti, int64_t expires_at), void *ud)
{
    struct store_pg *s = S(base);
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t p = {0};
    pg__int(&p, now);
    /* Expired entries can never matter again: drop them first. */
    rc = pg__run(s, c, PG_STMT_ACCESS_REVOKED_PRUNE, &p, NULL, "access_revoked_prune");
    PGresult *r = rc ? NULL : pg__exec(s, c, PG_STMT_ACCESS_REVOKED_LIST, &p, &rc,
                                       "access_revoked_list");
    pg__release(s, c);
    if (!r) return rc;
    /* The connection is back in the pool before any callback runs. */
    for (int i = 0; i < PQntuples(r); i++) cb(ud, PQgetvalue(r, i, 0), pg__col_int(r, i, 1));
    PQclear(r);
    return 0;
}

/* ---- lifetime --------------------------------------------------------------------------------- */

static void pg_destroy(store_t *base)
{
    struct store_pg *s = S(base);
    /* Called once no worker uses the store any more. */
    if (s->monitor_started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->monitor, NULL);
    }
    for (unsigned i = 0; i < s->size; i++)
        if (s->conns[i].pg) PQfinish(s->conns[i].pg);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->returned);
    pthread_mutex_destroy(&s->lock);
    free(s->conns);
    free(s->idle);
    free(s->url);
    free(s);
}

static const struct store_ops pg_ops = {
    .community_get = community_get,
    .community_put = community_put,
    .member_create = member_create,
    .member_get = member_get,
    .member_deactivate = member_deactivate,
    .member_delete = member_delete,
    .member_find = member_find,
    .member_list = member_list,
    .member_count = member_count,
    .members_search = members_search,
    .refresh_create = refresh_create,
    .refresh_get = refresh_get,
    .refresh_revoke = refresh_revoke,
    .access_revoke = access_revoke,
    .access_revoked_each = access_revoked_each,
    .room_create = pg__room_create,
    .room_get = pg__room_get,
    .room_find_identifier = pg__room_find_identifier,
    .room_update = pg__room_update,
    .room_delete = pg__room_delete,
    .rooms_of_member = pg__rooms_of_member,
    .participants = pg__participants,
    .room_people = pg__room_people,
    .participant_get = pg__participant_get,
    .participant_add = pg__participant_add,
    .participant_remove = pg__participant_remove,
    .participant_update = pg__participant_update,
    .unread_count = pg__unread_count,
    .message_create = pg__message_create,
    .message_get = pg__message_get,
    .message_find = pg__message_find,
    .message_last = pg__message_last,
    .messages_page = pg__messages_page,
    .messages_count = pg__messages_count,
    .message_update = pg__message_update,
    .message_delete = pg__message_delete,
    .thread_senders = pg__thread_senders,
    .thread_last_reply_at = pg__thread_last_reply_at,
    .reaction_add = pg__reaction_add,
    .reaction_remove = pg__reaction_remove,
    .reactions_of = pg__reactions_of,
    .threads_of_member = pg__threads_of_member,
    .thread_unread_count = pg__thread_unread_count,
    .thread_last_reply = pg__thread_last_reply,
    .thread_read_get = pg__thread_read_get,
    .thread_read_set = pg__thread_read_set,
    .notification_create = pg__notification_create,
    .notification_get = pg__notification_get,
    .notifications_list = pg__notifications_list,
    .notification_mark_read = pg__notification_mark_read,
    .notifications_mark_all_read = pg__notifications_mark_all_read,
    .notifications_new_count = pg__notifications_new_count,
    .notifications_new_count_of = pg__notifications_new_count_of,
    .notification_archive = pg__notification_archive,
    .notification_delete = pg__notification_delete,
    .preferences_get = pg__preferences_get,
    .preference_set = pg__preference_set,
    .notifications_reset = pg__notifications_reset,
    .upload_create = pg__upload_create,
    .upload_get = pg__upload_get,
    .upload_done = pg__upload_done,
    .uploads_of = pg__uploads_of,
    .destroy = pg_destroy,
};

/* ---- migrations ------------------------------------------------------------------------------- */

/* Run SQL without parameters (DDL, the lock). Returns 0, or -1 with the
 * server's message in err. */
static int exec_plain(PGconn *pg, const char *sql, PGresult **out, char *err, size_t cap)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        one_line(err, cap, PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
                                                      : PQerrorMessage(pg));
        PQclear(r);
        return -1;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

static int migrate(PGconn *pg, char *err, size_t cap)
{
    /* One migrator per database at a time; the others wait here and then
     * find nothing left to do. The lock is the session's: a process that
     * dies while migrating releases it with its connection. */
    if (exec_plain(pg, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", NULL, err, cap) != 0)
        return -1;
    PGresult *r = NULL;
    int rc = -1;
    if (exec_plain(pg,
                   "CREATE TABLE IF NOT EXISTS cabled_migrations ("
                   "  version INTEGER PRIMARY KEY,"
                   "  applied_at BIGINT NOT NULL"
                   ")",
                   NULL, err, cap) != 0 ||
        exec_plain(pg, "SELECT coalesce(max(version), 0) FROM cabled_migrations", &r, err, cap) !=
            0)
        goto unlock;
    int version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    const int latest = (int)(sizeof migrations / sizeof migrations[0]);
    if (version > latest) {
        snprintf(err, cap, "database schema version %d is newer than this cabled (%d)", version,
                 latest);
        goto unlock;
    }
    for (int v = version; v < latest; v++) {
        char ver[16], now[24];
        snprintf(ver, sizeof ver, "%d", v + 1);
        snprintf(now, sizeof now, "%" PRId64, pg__now_ms());
        const char *const values[] = {ver, now};
        if (exec_plain(pg, "BEGIN", NULL, err, cap) != 0) goto unlock;
        if (exec_plain(pg, migrations[v], NULL, err, cap) != 0) goto rollback;
        r = PQexecParams(pg, "INSERT INTO cabled_migrations (version, applied_at) VALUES ($1, $2)",
                         2, NULL, values, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            one_line(err, cap, PQresultErrorMessage(r));
            PQclear(r);
            goto rollback;
        }
        PQclear(r);
        if (exec_plain(pg, "COMMIT", NULL, err, cap) != 0) goto unlock;
        log_info("store pg migrated to version=%d", v + 1);
    }
    rc = 0;
    goto unlock;
rollback:;
    char ignore[64];
    exec_plain(pg, "ROLLBACK", NULL, ignore, sizeof ignore);
unlock:;
    char ignore2[64];
    exec_plain(pg, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", NULL, ignore2,
               sizeof ignore2);
    return rc;
}

/* ---- open ------------------------------------------------------------------------------------- */

store_t *store_pg_open(const char *url, unsigned pool_size, char *err, size_t err_cap)
{
    if (pool_size == 0) pool_size = STORE_PG_POOL_DEFAULT;
    if (pool_size > STORE_PG_POOL_MAX) pool_size = STORE_PG_POOL_MAX;
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts) {
        char msg[256];
        one_line(msg, sizeof msg, perr ? perr : "out of memory");
        snprintf(err, err_cap, "invalid PostgreSQL URL: %s", msg);
        PQfreemem(perr);
        return NULL;
    }
    PQconninfoFree(opts);

    struct store_pg *s = xcalloc(1, sizeof *s);
    s->base.ops = &pg_ops;
    s->base.name = "postgres";
    s->url = xstrdup(url);
    s->size = pool_size;
    s->conns = xcalloc(pool_size, sizeof *s->conns);
    s->idle = xcalloc(pool_size, sizeof *s->idle);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->returned, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);

    /* Every connection now: a wrong URL or an unreachable server is a
     * start-up error, not a surprise on the first request. */
    for (unsigned i = 0; i < pool_size; i++) {
        struct pg_conn *c = &s->conns[i];
        c->pg = connect_one(url);
        if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
            char msg[256];
            one_line(msg, sizeof msg, c->pg ? PQerrorMessage(c->pg) : "out of memory");
            snprintf(err, err_cap, "cannot connect to PostgreSQL: %s", msg);
            pg_destroy(&s->base);
            return NULL;
        }
        s->idle[s->idle_count++] = c;
    }
    if (migrate(s->conns[0].pg, err, err_cap) != 0) {
        pg_destroy(&s->base);
        return NULL;
    }
    if (pthread_create(&s->monitor, NULL, monitor_main, s) != 0) {
        snprintf(err, err_cap, "cannot start the connection monitor");
        pg_destroy(&s->base);
        return NULL;
    }
    s->monitor_started = 1;
    log_info("store pg open pool=%u server_version=%d", pool_size,
             PQserverVersion(s->conns[0].pg));
    return &s->base;
}
