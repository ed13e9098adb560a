/* store/pg: the PostgreSQL adapter (Debian's libpq), for several cabled
 * processes sharing one database.
 *
 * The same schema, migrations and behaviour as store/sqlite: the domain
 * layer cannot tell the two apart. A fixed pool of connections, opened at
 * start, is shared by the worker threads: an operation borrows one (waiting
 * when all are busy) and gives it back. Statements are prepared lazily on
 * each connection and always take their values as parameters.
 *
 * Migrations are versioned in the table cabled_migrations and applied at
 * open, each in its own transaction, under a session advisory lock so that
 * processes starting together against one database migrate it once.
 *
 * Outages: when the server goes away (connection lost, shutdown, restart,
 * SQLSTATE class 08, 57P01..57P03), operations return ERR_UNAVAILABLE at
 * once instead of failing slowly. A broken connection reconnects on a later
 * use, no sooner than its backoff (100 ms doubling to 2 s) allows; a monitor
 * thread also probes idle connections every second, so the store notices a
 * departure and a return even without traffic. Nothing waits for the
 * server to come back: callers answer 503 and clients retry. */
#ifndef STORE_PG_H
#define STORE_PG_H

#include "store/store.h"

#include <stddef.h>

/* Connections in the pool when none is asked for: libuv's default worker
 * pool size, so every worker can run a store operation at once. */
#define STORE_PG_POOL_DEFAULT 4
#define STORE_PG_POOL_MAX 256

/* Connect 'pool_size' connections (0: STORE_PG_POOL_DEFAULT) to 'url'
 * (postgres://user:password@host:port/dbname?param=value, or a libpq
 * "key=value" string) and migrate the database. Returns owned (free with
 * store_destroy), or NULL with a message in err when the URL is invalid,
 * the server is unreachable, or the schema is newer than this cabled. The
 * message never contains the password. */
store_t *store_pg_open(const char *url, unsigned pool_size, char *err, size_t err_cap);

/* Whether the store can reach its database, as last seen by an operation
 * or the monitor (it never blocks: safe on an event loop). Returns 1, or 0
 * with a reason in 'why' ("postgres unavailable for 1200 ms: ..."). Any
 * store that is not a PostgreSQL one is healthy. Thread-safe. */
int store_pg_healthy(store_t *s, char *why, size_t cap);

/* Copy 'url' into 'out' (size 'cap') with its password replaced by "***",
 * for messages and logs. */
void store_pg_redact(const char *url, char *out, size_t cap);

#endif
