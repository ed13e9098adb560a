/* store/sqlite_internal.h: what the files of the SQLite adapter share:
 * the connection and store structs and the statement helpers. Included by
 * store/sqlite*.c only. */
#ifndef STORE_SQLITE_INTERNAL_H
#define STORE_SQLITE_INTERNAL_H

#include "core/list.h"
#include "store/sqlite_sql.h"
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    list_t node;
};

struct store_sqlite {
    store_t base;
    char *uri;
    pthread_key_t key;           /* this thread's struct conn */
    pthread_mutex_t lock;        /* guards 'conns' and 'spare' */
    list_t conns;                /* every connection */
    struct conn **spare;         /* opened at start, not yet taken by a thread */
    size_t spare_count;
    char *path;                  /* the database file; NULL for an in-memory database */
    dev_t dev;                   /* the file the connections have open, */
    ino_t ino;                   /* to tell when the one at 'path' is another */
    atomic_int gone;             /* the file at 'path' is not ours any more: fail every call */
    atomic_int disk_failing;     /* a write failed for the disk: full (1), other error (2) */
    pthread_t watch_thread;      /* looks at the file and the disk every second */
    pthread_mutex_t watch_lock;
    pthread_cond_t watch_cond;
    int watch_started, watch_stop;
};

/* Wall-clock unix milliseconds. */
int64_t sqlite__now_ms(void);
/* This thread's prepared statement 'id', reset and with bindings cleared;
 * NULL on failure (logged). '*db' receives the connection when non-NULL. */
sqlite3_stmt *sqlite__stmt(struct store_sqlite *s, enum stmt_id id, sqlite3 **db);
/* Map a failed step to ERR_CONFLICT (unique constraint) or ERR_STORE (logged). */
int sqlite__fail(sqlite3_stmt *st, const char *what);
/* Step a statement that returns no rows. */
int sqlite__run(sqlite3_stmt *st, const char *what);
/* Prepare and run a statement without parameters (BEGIN, COMMIT, ...). */
int sqlite__simple(struct store_sqlite *s, enum stmt_id id);
/* Column text as an owned string, NULL for SQL NULL. */
char *sqlite__col_text(sqlite3_stmt *st, int i);
/* Step 'st' once: read its row into 'row' with 'read' and return 0, or
 * return ERR_NOT_FOUND when there is none, or the error. */
int sqlite__one(sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *row), void *row,
                const char *what);
/* Step 'st' to its end, reading each row with 'read' into a growing array
 * of 'size'-byte elements. Returns the array owned (NULL when empty) with
 * its length in *count, and *rc = 0. On failure the elements read so far
 * are released with 'clear' (NULL: nothing to release), the array is
 * freed, NULL is returned and *rc holds the error. */
void *sqlite__collect(sqlite3_stmt *st, size_t size, void (*read)(sqlite3_stmt *st, void *row),
                      void (*clear)(void *row), size_t *count, int *rc, const char *what);
/* Bind text, or NULL when 'v' is NULL. */
void sqlite__bind_text(sqlite3_stmt *st, int i, const char *v);

#endif
