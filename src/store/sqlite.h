/* store/sqlite: the SQLite adapter (Debian's libsqlite3), the default.
 *
 * One database file in WAL mode, so readers never wait for the writer.
 * Each worker thread gets its own connection, with its statements prepared
 * once and reused; one connection per thread of libuv's worker pool is
 * opened at start, so no request needs a new file descriptor (at the
 * descriptor limit it would not get one). Commits are synchronous=FULL:
 * a row answered 201 survives a crash of the process or of the machine.
 * Migrations are versioned with PRAGMA user_version and applied at open,
 * each in its own transaction. */
#ifndef STORE_SQLITE_H
#define STORE_SQLITE_H

#include "store/store.h"

/* Open (creating if needed) the database at 'path' and migrate it. A path
 * of ":memory:" is a private in-memory database shared by this store's
 * connections (tests). Returns owned, or NULL with a message in err. */
store_t *store_sqlite_open(const char *path, char *err, size_t err_cap);

#endif
