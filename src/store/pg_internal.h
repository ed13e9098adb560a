/* store/pg_internal.h: what the files of the PostgreSQL adapter share: the
 * pool and connection structs, parameter lists, and the statement helpers
 * that map results and errors onto store.h's return codes. Included by
 * store/pg*.c and the adapter's unit tests only.
 *
 * An operation borrows one connection for its whole duration (a
 * transaction never spans two), runs prepared statements on it and gives
 * it back:
 *
 *   c = pg__acquire(s, &rc)  ─►  pg__one / pg__run / pg__collect (c, ...)  ─►  pg__release(s, c)
 *
 * The single-statement operations use the pg__*_op shortcuts, which do the
 * three steps in one call. */
#ifndef STORE_PG_INTERNAL_H
#define STORE_PG_INTERNAL_H

#include "store/pg_sql.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* The most parameters any statement takes (NOTIFICATION_INSERT has 15). */
#define PG_PARAMS_MAX 15

/* Backoff between reconnection attempts of one connection while the server
 * is away: from the first to the last value, doubling. */
#define PG_BACKOFF_MIN_MS 100
#define PG_BACKOFF_MAX_MS 2000
/* How often the monitor looks at idle connections. */
#define PG_MONITOR_INTERVAL_MS 1000

/* Parameters of one statement, sent in text format except byte strings
 * (binary). Values are borrowed: they must outlive the statement. */
typedef struct pg_params {
    int n;
    const char *values[PG_PARAMS_MAX];
    int lengths[PG_PARAMS_MAX];
    int formats[PG_PARAMS_MAX];
    char num[PG_PARAMS_MAX][24]; /* text of the integer parameters */
} pg_params_t;

/* One connection of the pool. Only its borrower touches it, or the pool
 * under 'lock' while it is idle. */
struct pg_conn {
    PGconn *pg;
    uint8_t prepared[PG_STMT_COUNT]; /* 1 once prepared in this session */
    int broken;                      /* unusable: reconnect before the next statement */
    int64_t retry_at_ms;             /* monotonic; no reconnect attempt before it */
    unsigned retry_epoch;            /* s->up_epoch when retry_at_ms was set */
    unsigned backoff_ms;             /* wait after the next failed attempt */
};

struct store_pg {
    store_t base;
    char *url;                       /* the --db URL (or conninfo string) */
    unsigned size;                   /* connections in the pool */
    struct pg_conn *conns;           /* [size] */

    pthread_mutex_t lock;            /* guards everything below */
    pthread_cond_t returned;         /* a connection went back to 'idle' */
    struct pg_conn **idle;           /* [size]; the first idle_count are free */
    unsigned idle_count;
    int64_t down_since_ms;           /* monotonic; when 'down' was last set */
    char last_error[256];            /* why, for store_pg_healthy */

    atomic_int down;                 /* 1 from a connection failure to the next success */
    atomic_uint up_epoch;            /* bumped on each return of the server */

    pthread_t monitor;               /* notices outages and returns without traffic */
    pthread_cond_t wake;             /* wakes the monitor early (stopping) */
    int monitor_started;
    int stopping;
};

/* Wall-clock unix milliseconds, the unit of every stored time. */
int64_t pg__now_ms(void);

/* ---- parameters ---- */

void pg__int(pg_params_t *p, long long v);
/* Text, or SQL NULL when 'v' is NULL. */
void pg__text(pg_params_t *p, const char *v);
void pg__bytes(pg_params_t *p, const void *v, size_t len);

/* ---- the pool ---- */

/* Borrow a connection, waiting for one to be free, and make sure it is
 * usable (reconnecting a broken one unless its backoff has not passed).
 * Returns it with *rc = 0, or NULL with *rc = ERR_UNAVAILABLE. */
struct pg_conn *pg__acquire(struct store_pg *s, int *rc);
/* Give a borrowed connection back. */
void pg__release(struct store_pg *s, struct pg_conn *c);

/* ---- statements on a borrowed connection ---- */

/* Reads row 'row' of 'r' into 'out'. */
typedef void (*pg_read_cb)(const PGresult *r, int row, void *out);

/* Run a statement and return its result (owned: PQclear), with *rc = 0;
 * or NULL with *rc = ERR_CONFLICT (unique violation), ERR_UNAVAILABLE
 * (the server is unreachable; 'c' is marked for reconnection) or ERR_STORE
 * (logged). 'what' names the operation in logs. */
PGresult *pg__exec(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id,
                   const pg_params_t *p, int *rc, const char *what);
/* A statement without rows; *changed (when not NULL) gets the number of
 * rows it inserted, updated or deleted. Returns 0 or an error of pg__exec. */
int pg__run(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id, const pg_params_t *p,
            long long *changed, const char *what);
/* Read the first row with 'read': 0, ERR_NOT_FOUND when there is none, or
 * an error of pg__exec. */
int pg__one(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id, const pg_params_t *p,
            pg_read_cb read, void *out, const char *what);
/* Read every row into a new array of 'size'-byte elements, zeroed before
 * 'read'. Returns the array owned (NULL when empty) with its length in
 * *count and *rc = 0, or NULL with *count = 0 and the error in *rc. */
void *pg__collect(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id,
                  const pg_params_t *p, size_t size, pg_read_cb read, size_t *count, int *rc,
                  const char *what);
/* The integer in the first column of the first row (0 for NULL or no row),
 * or a negative error of pg__exec. */
long long pg__value(struct store_pg *s, struct pg_conn *c, enum pg_stmt_id id,
                    const pg_params_t *p, const char *what);
/* ROLLBACK after a failed step of a transaction; keeps 'rc' and returns it
 * (ERR_STORE when it is 0). */
int pg__abort(struct store_pg *s, struct pg_conn *c, int rc);

/* ---- one statement as a whole operation: acquire, run, release ---- */

int pg__run_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p, long long *changed,
               const char *what);
int pg__one_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p, pg_read_cb read,
               void *out, const char *what);
void *pg__collect_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p, size_t size,
                     pg_read_cb read, size_t *count, int *rc, const char *what);
long long pg__value_op(struct store_pg *s, enum pg_stmt_id id, const pg_params_t *p,
                       const char *what);

/* ---- columns ---- */

/* The integer at (row, col); 0 for NULL. */
long long pg__col_int(const PGresult *r, int row, int col);
/* The text at (row, col) as an owned string; NULL for SQL NULL. */
char *pg__col_text(const PGresult *r, int row, int col);
/* Copy the text at (row, col) into 'out' (size 'cap'), truncated; "" for NULL. */
void pg__col_copy(const PGresult *r, int row, int col, char *out, size_t cap);
/* Decode the bytea at (row, col) into 'out'; returns the bytes stored
 * (at most 'cap'). */
size_t pg__col_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t cap);

#endif
