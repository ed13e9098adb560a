/* store/sqlite: the SQLite store adapter. See sqlite.h. */
#include "store/sqlite.h"
#include "store/sqlite_chat.h"
#include "store/sqlite_internal.h"
#include "store/sqlite_notifications.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/health.h"
#include "core/list.h"
#include "core/log.h"

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>

/* Health components this adapter reports under (core/health.h). */
static const char health_database[] = "database";
static const char health_disk[] = "disk";
/* Values of disk_failing besides 0. */
enum { DISK_FULL = 1, DISK_ERROR = 2 };
/* Free space under which a disk that filled up is still taken as full. */
#define DISK_FREE_MIN (1024 * 1024)
/* Pages in the WAL after which a commit checkpoints it (SQLite's default). */
#define WAL_CHECKPOINT_PAGES 1000

/* ---- schema ------------------------------------------------------------------------------- */

/* Migration N brings the schema from user_version N to N+1. Never edit one
 * that has shipped; add the next. */
static const char *const migrations[] = {
    /* 1: communities, members, tokens */
    "CREATE TABLE communities ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  secret BLOB NOT NULL,"
    "  app_token_sha256 TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE TABLE community_origins ("
    "  community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    "  origin TEXT NOT NULL,"
    "  PRIMARY KEY (community_id, origin)"
    ");"
    "CREATE TABLE community_members ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  community_id INTEGER NOT NULL REFERENCES communities(id),"
    "  email TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  sso_user_id TEXT,"
    "  avatar_url TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE UNIQUE INDEX community_members_email ON community_members(community_id, email);"
    "CREATE UNIQUE INDEX community_members_sso ON community_members(community_id, sso_user_id)"
    "  WHERE sso_user_id IS NOT NULL;"
    "CREATE TABLE refresh_tokens ("
    "  token_sha256 BLOB PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  community_member_id INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  revoked_at INTEGER NOT NULL DEFAULT 0"
    ") WITHOUT ROWID;"
    "CREATE TABLE revoked_access_tokens ("
    "  jti TEXT PRIMARY KEY,"
    "  community_id INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 2: chat rooms, participants, messages */
    "CREATE TABLE chat_rooms ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  community_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  identifier TEXT,"
    "  name TEXT,"
    "  description TEXT,"
    "  show_history INTEGER NOT NULL DEFAULT 1,"
    "  pinned_message_id INTEGER NOT NULL DEFAULT 0,"
    "  creator_id INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE UNIQUE INDEX chat_rooms_identifier ON chat_rooms(community_id, identifier)"
    "  WHERE identifier IS NOT NULL;"
    "CREATE TABLE chat_room_participants ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  chat_room_id INTEGER NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,"
    "  community_member_id INTEGER NOT NULL,"
    "  last_read_message_id INTEGER NOT NULL DEFAULT 0,"
    "  pinned_at INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (chat_room_id, community_member_id)"
    ");"
    "CREATE INDEX chat_room_participants_member ON chat_room_participants(community_member_id);"
    "CREATE TABLE chat_messages ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  chat_room_id INTEGER NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,"
    "  participant_id INTEGER NOT NULL,"
    "  sender_id INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  rich_text_body TEXT NOT NULL,"
    "  creation_uuid TEXT,"
    "  parent_message_id INTEGER NOT NULL DEFAULT 0,"
    "  replies_count INTEGER NOT NULL DEFAULT 0,"
    "  edited_at INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX chat_messages_room ON chat_messages(chat_room_id, parent_message_id, id);"
    "CREATE INDEX chat_messages_thread ON chat_messages(parent_message_id, id);",
    /* 3: thread read positions, notifications */
    "CREATE TABLE chat_thread_reads ("
    "  parent_message_id INTEGER NOT NULL,"
    "  community_member_id INTEGER NOT NULL,"
    "  last_read_message_id INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (parent_message_id, community_member_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE notifications ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  community_id INTEGER NOT NULL,"
    "  community_member_id INTEGER NOT NULL,"
    "  actor_id INTEGER NOT NULL DEFAULT 0,"
    "  actor_name TEXT,"
    "  action TEXT NOT NULL,"
    "  display_action TEXT,"
    "  notifiable_type TEXT,"
    "  notifiable_id INTEGER NOT NULL DEFAULT 0,"
    "  notifiable_title TEXT,"
    "  action_web_url TEXT,"
    "  extra TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  read_at INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX notifications_member ON notifications(community_member_id, id);"
    "CREATE TABLE notification_resets ("
    "  community_member_id INTEGER PRIMARY KEY,"
    "  reset_at_id INTEGER NOT NULL DEFAULT 0"
    ");",
    /* 4: deactivated members; deleting a member deletes what is theirs */
    "ALTER TABLE community_members ADD COLUMN deactivated_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE TRIGGER community_members_deleted AFTER DELETE ON community_members BEGIN"
    "  DELETE FROM chat_room_participants WHERE community_member_id = OLD.id;"
    "  DELETE FROM refresh_tokens WHERE community_member_id = OLD.id;"
    "  DELETE FROM notifications WHERE community_member_id = OLD.id;"
    "  DELETE FROM notification_resets WHERE community_member_id = OLD.id;"
    "  DELETE FROM chat_thread_reads WHERE community_member_id = OLD.id;"
    "END;",
    /* 5: a participant's mute and archive; an identifier for every room, unique for direct
     * rooms only; reactions; notification kinds, archive and preferences; uploads */
    "ALTER TABLE chat_room_participants ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE chat_room_participants ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX chat_rooms_identifier;"
    "UPDATE chat_rooms SET identifier = kind || '-' || uuid WHERE identifier IS NULL;"
    "CREATE UNIQUE INDEX chat_rooms_direct ON chat_rooms(community_id, identifier)"
    "  WHERE kind = 'direct';"
    "CREATE TABLE chat_message_reactions ("
    "  chat_message_id INTEGER NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,"
    "  community_member_id INTEGER NOT NULL,"
    "  emoji TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (chat_message_id, community_member_id, emoji)"
    ") WITHOUT ROWID;"
    "ALTER TABLE notifications ADD COLUMN kind TEXT;"
    "ALTER TABLE notifications ADD COLUMN archived_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE notifications ADD COLUMN parent_type TEXT;"
    "ALTER TABLE notifications ADD COLUMN parent_id INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE notification_preferences ("
    "  community_member_id INTEGER NOT NULL,"
    "  medium TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  enabled INTEGER NOT NULL,"
    "  PRIMARY KEY (community_member_id, medium, kind)"
    ") WITHOUT ROWID;"
    "CREATE TABLE uploads ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  community_id INTEGER NOT NULL,"
    "  community_member_id INTEGER NOT NULL,"
    "  key TEXT NOT NULL UNIQUE,"
    "  filename TEXT NOT NULL,"
    "  content_type TEXT NOT NULL,"
    "  byte_size INTEGER NOT NULL,"
    "  checksum TEXT NOT NULL,"
    "  metadata TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  uploaded_at INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TRIGGER community_members_deleted_5 AFTER DELETE ON community_members BEGIN"
    "  DELETE FROM chat_message_reactions WHERE community_member_id = OLD.id;"
    "  DELETE FROM notification_preferences WHERE community_member_id = OLD.id;"
    "END;",
};

static const char *const stmt_sql[] = {
#define STMT_SQL(name, sql) sql,
    STMTS(STMT_SQL)
#undef STMT_SQL
};

/* ---- the database file ---------------------------------------------------------------------- */

/* A database whose file was removed or replaced keeps working on the old
 * inode, which nobody will ever read again: writes would be acknowledged and
 * lost. So the file at the path must still be the one we opened, before and
 * after every commit and once a second; once it is not, every call fails and
 * /health says why, until a restart. Returns 0, or -1 when it is gone. */
static int file_check(struct store_sqlite *s)
{
    if (!s->path) return 0;
    if (atomic_load(&s->gone)) return -1;
    struct stat st;
    int err = stat(s->path, &st) != 0 ? errno : 0;
    if (!err && st.st_dev == s->dev && st.st_ino == s->ino) return 0;
    if (!atomic_exchange(&s->gone, 1)) {
        log_error("store sqlite database file %s %s: every call fails until a restart", s->path,
                  err ? "is gone" : "was replaced");
        health_set(health_database, HEALTH_FAILING, "the database file is gone or was replaced");
    }
    return -1;
}

/* A write failed, or a commit went through: tell /health about the disk. */
static void disk_failed(struct store_sqlite *s, int code, const char *msg)
{
    char why[HEALTH_REASON_MAX];
    int full = (code & 0xff) == SQLITE_FULL;
    if (full)
        snprintf(why, sizeof why, "the database disk is full");
    else
        snprintf(why, sizeof why, "the database cannot be written: %s", msg);
    atomic_store(&s->disk_failing, full ? DISK_FULL : DISK_ERROR);
    health_set(health_disk, HEALTH_FAILING, "%s", why);
}

static void disk_ok(struct store_sqlite *s)
{
    if (atomic_exchange(&s->disk_failing, 0)) health_set(health_disk, HEALTH_OK, NULL);
}

/* Before a commit: refuse it (it becomes a rollback) when the file is gone. */
static int on_commit(void *arg)
{
    return file_check(arg) != 0;
}

/* After a commit: if the file went away meanwhile, the statement still
 * fails, so the write is never acknowledged. Also checkpoints the WAL as
 * SQLite's own hook would, since setting this hook replaces that one. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store_sqlite *s = arg;
    if (file_check(s) != 0) return SQLITE_READONLY_DBMOVED;
    disk_ok(s);
    if (pages >= WAL_CHECKPOINT_PAGES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* Once a second: the file, and whether a full disk has room again. */
static void *watch_main(void *arg)
{
    struct store_sqlite *s = arg;
    pthread_mutex_lock(&s->watch_lock);
    while (!s->watch_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->watch_cond, &s->watch_lock, &until);
        if (s->watch_stop) break;
        pthread_mutex_unlock(&s->watch_lock);
        /* Only a full disk can be seen to be over from here; any other
         * failure lasts until a write succeeds. */
        if (file_check(s) == 0 && atomic_load(&s->disk_failing) == DISK_FULL) {
            char dir[4200];
            snprintf(dir, sizeof dir, "%s", s->path);
            struct statvfs vfs;
            if (statvfs(dirname(dir), &vfs) == 0 &&
                (unsigned long long)vfs.f_bavail * vfs.f_frsize >= DISK_FREE_MIN)
                disk_ok(s);
        }
        pthread_mutex_lock(&s->watch_lock);
    }
    pthread_mutex_unlock(&s->watch_lock);
    return NULL;
}

static int watch_start(struct store_sqlite *s)
{
    struct stat st;
    if (stat(s->path, &st) != 0) return -1;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->watch_cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&s->watch_lock, NULL);
    if (pthread_create(&s->watch_thread, NULL, watch_main, s) != 0) {
        pthread_cond_destroy(&s->watch_cond);
        pthread_mutex_destroy(&s->watch_lock);
        return -1;
    }
    s->watch_started = 1;
    return 0;
}

static void watch_stop(struct store_sqlite *s)
{
    if (!s->watch_started) return;
    pthread_mutex_lock(&s->watch_lock);
    s->watch_stop = 1;
    pthread_cond_signal(&s->watch_cond);
    pthread_mutex_unlock(&s->watch_lock);
    pthread_join(s->watch_thread, NULL);
    pthread_cond_destroy(&s->watch_cond);
    pthread_mutex_destroy(&s->watch_lock);
    s->watch_started = 0;
}

/* ---- connections ---------------------------------------------------------------------------- */

/* The store whose statement this thread took last (sqlite__stmt), so that a
 * failing step can be put down to the right store's disk. */
static _Thread_local struct store_sqlite *thread_store;

int64_t sqlite__now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void conn_close(struct conn *c)
{
    for (int i = 0; i < STMT_COUNT; i++) sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    free(c);
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t cap)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, cap, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static struct conn *conn_open(struct store_sqlite *s, char *err, size_t cap)
{
    struct conn *c = xcalloc(1, sizeof *c);
    list_init(&c->node);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(s->uri, &c->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, cap, "cannot open %s: %s", s->uri, c->db ? sqlite3_errmsg(c->db) : "?");
        conn_close(c);
        return NULL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_commit_hook(c->db, on_commit, s);
    sqlite3_wal_hook(c->db, on_wal_commit, s);
    /* Writers from several worker threads take turns on the file lock. */
    sqlite3_busy_timeout(c->db, 10000);
    /* Temporary tables and sorts stay in memory: past the start, no query
     * needs a new file descriptor. */
    if (exec(c->db,
             "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
             "PRAGMA temp_store = MEMORY;",
             err, cap) != 0) {
        conn_close(c);
        return NULL;
    }
    return c;
}

/* This thread's connection: one of those opened at start, or (past those)
 * one opened now. */
static struct conn *conn_get(struct store_sqlite *s)
{
    struct conn *c = pthread_getspecific(s->key);
    if (c) return c;
    pthread_mutex_lock(&s->lock);
    if (s->spare_count > 0) c = s->spare[--s->spare_count];
    pthread_mutex_unlock(&s->lock);
    if (!c) {
        char err[256];
        c = conn_open(s, err, sizeof err);
        if (!c) {
            log_error("store sqlite open failed: %s", err);
            return NULL;
        }
        pthread_mutex_lock(&s->lock);
        list_insert_tail(&s->conns, &c->node);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_setspecific(s->key, c);
    return c;
}

/* How many threads will call the store: libuv's worker pool, whose size
 * libuv reads from UV_THREADPOOL_SIZE (4 by default, at most 1024). */
static size_t worker_threads(void)
{
    const char *v = getenv("UV_THREADPOOL_SIZE");
    long n = v ? strtol(v, NULL, 10) : 0;
    if (n <= 0) return 4;
    return n > 1024 ? 1024 : (size_t)n;
}

/* A prepared statement, reset and ready for binding. */
sqlite3_stmt *sqlite__stmt(struct store_sqlite *s, enum stmt_id id, sqlite3 **db)
{
    thread_store = s;
    if (atomic_load(&s->gone)) return NULL;
    struct conn *c = conn_get(s);
    if (!c) return NULL;
    if (!c->stmts[id] && sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                            &c->stmts[id], NULL) != SQLITE_OK) {
        log_error("store sqlite prepare failed stmt=%d err=%s", (int)id, sqlite3_errmsg(c->db));
        return NULL;
    }
    sqlite3_stmt *st = c->stmts[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (db) *db = c->db;
    return st;
}

int sqlite__fail(sqlite3_stmt *st, const char *what)
{
    sqlite3 *db = sqlite3_db_handle(st);
    int code = sqlite3_extended_errcode(db);
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        sqlite3_reset(st);
        return ERR_CONFLICT;
    }
    if (code == SQLITE_CONSTRAINT_COMMITHOOK || code == SQLITE_READONLY_DBMOVED) {
        /* Refused by on_commit or failed by on_wal_commit: the database file
         * is gone, which file_check has logged once. */
        sqlite3_reset(st);
        return ERR_STORE;
    }
    log_error("store sqlite %s failed: %s", what, sqlite3_errmsg(db));
    int primary = code & 0xff;
    if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ||
        primary == SQLITE_READONLY) {
        if (thread_store) disk_failed(thread_store, code, sqlite3_errmsg(db));
    }
    sqlite3_reset(st);
    return ERR_STORE;
}

/* Run a statement that returns no rows. */
int sqlite__run(sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) return sqlite__fail(st, what);
    sqlite3_reset(st);
    return 0;
}

int sqlite__simple(struct store_sqlite *s, enum stmt_id id)
{
    sqlite3_stmt *st = sqlite__stmt(s, id, NULL);
    return st ? sqlite__run(st, stmt_sql[id]) : ERR_STORE;
}

char *sqlite__col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

int sqlite__one(sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *row), void *row,
                const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return sqlite__fail(st, what);
    read(st, row);
    sqlite3_reset(st);
    return 0;
}

void *sqlite__collect(sqlite3_stmt *st, size_t size, void (*read)(sqlite3_stmt *st, void *row),
                      void (*clear)(void *row), size_t *count, int *rc_out, const char *what)
{
    char *arr = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            arr = xrealloc(arr, cap * size);
        }
        memset(arr + n * size, 0, size);
        read(st, arr + n * size);
        n++;
    }
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; clear && i < n; i++) clear(arr + i * size);
        free(arr);
        *count = 0;
        *rc_out = sqlite__fail(st, what);
        return NULL;
    }
    sqlite3_reset(st);
    *count = n;
    *rc_out = 0;
    return arr;
}

void sqlite__bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* ---- communities ---------------------------------------------------------------------------- */

static int community_get(store_t *base, long long id, store_community_t *out)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sqlite__stmt(s, STMT_COMMUNITY_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return ERR_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) return sqlite__fail(st, "community_get");
    out->id = sqlite3_column_int64(st, 0);
    out->name = sqlite__col_text(st, 1);
    size_t n = (size_t)sqlite3_column_bytes(st, 2);
    if (n > STORE_SECRET_MAX) n = STORE_SECRET_MAX;
    memcpy(out->secret, sqlite3_column_blob(st, 2), n);
    out->secret_len = n;
    snprintf(out->app_token_sha256, sizeof out->app_token_sha256, "%s",
             (const char *)sqlite3_column_text(st, 3));
    sqlite3_reset(st);

    st = sqlite__stmt(s, STMT_COMMUNITY_ORIGINS, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->origins_count < STORE_ORIGINS_MAX)
        out->origins[out->origins_count++] = sqlite__col_text(st, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_community_clear(out);
        return sqlite__fail(st, "community_origins");
    }
    sqlite3_reset(st);
    return 0;
}

static int community_put(store_t *base, const store_community_t *c)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    int rc = sqlite__simple(s, STMT_BEGIN);
    if (rc) return rc;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_COMMUNITY_UPSERT, NULL);
    if (!st) goto fail;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite__bind_text(st, 2, c->name ? c->name : "");
    sqlite3_bind_blob(st, 3, c->secret, (int)c->secret_len, SQLITE_TRANSIENT);
    sqlite__bind_text(st, 4, c->app_token_sha256);
    if ((rc = sqlite__run(st, "community_upsert")) != 0) goto fail;
    st = sqlite__stmt(s, STMT_ORIGINS_DELETE, NULL);
    if (!st) goto fail;
    sqlite3_bind_int64(st, 1, c->id);
    if ((rc = sqlite__run(st, "origins_delete")) != 0) goto fail;
    for (size_t i = 0; i < c->origins_count; i++) {
        st = sqlite__stmt(s, STMT_ORIGIN_INSERT, NULL);
        if (!st) goto fail;
        sqlite3_bind_int64(st, 1, c->id);
        sqlite__bind_text(st, 2, c->origins[i]);
        if ((rc = sqlite__run(st, "origin_insert")) != 0) goto fail;
    }
    return sqlite__simple(s, STMT_COMMIT);
fail:
    sqlite__simple(s, STMT_ROLLBACK);
    return rc ? rc : ERR_STORE;
}

/* ---- members -------------------------------------------------------------------------------- */

static void read_member(sqlite3_stmt *st, void *row)
{
    store_member_t *m = row;
    m->id = sqlite3_column_int64(st, 0);
    m->community_id = sqlite3_column_int64(st, 1);
    m->email = sqlite__col_text(st, 2);
    m->name = sqlite__col_text(st, 3);
    m->sso_user_id = sqlite__col_text(st, 4);
    m->avatar_url = sqlite__col_text(st, 5);
    m->created_at = sqlite3_column_int64(st, 6);
    m->updated_at = sqlite3_column_int64(st, 7);
    m->deactivated_at = sqlite3_column_int64(st, 8);
}

static int member_create(store_t *base, store_member_t *m)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_MEMBER_INSERT, &db);
    if (!st) return ERR_STORE;
    int64_t now = sqlite__now_ms();
    sqlite3_bind_int64(st, 1, m->community_id);
    sqlite__bind_text(st, 2, m->email);
    sqlite__bind_text(st, 3, m->name);
    sqlite__bind_text(st, 4, m->sso_user_id);
    sqlite__bind_text(st, 5, m->avatar_url);
    sqlite3_bind_int64(st, 6, now);
    int rc = sqlite__run(st, "member_insert");
    if (rc) return rc;
    m->id = sqlite3_last_insert_rowid(db);
    m->created_at = m->updated_at = now;
    return 0;
}

static int one_member(sqlite3_stmt *st, store_member_t *out, const char *what)
{
    memset(out, 0, sizeof *out);
    return sqlite__one(st, read_member, out, what);
}

static int member_get(store_t *base, long long community_id, long long id, store_member_t *out)
{
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_MEMBER_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, id);
    return one_member(st, out, "member_get");
}

static int member_find(store_t *base, long long community_id, const char *field, const char *value,
                       store_member_t *out)
{
    enum stmt_id id = strcmp(field, "email") == 0 ? STMT_MEMBER_BY_EMAIL : STMT_MEMBER_BY_SSO;
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, id, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite__bind_text(st, 2, value);
    return one_member(st, out, "member_find");
}

static int member_deactivate(store_t *base, long long community_id, long long id, int64_t now)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_MEMBER_DEACTIVATE, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite__run(st, "member_deactivate");
    if (rc) return rc;
    return sqlite3_changes(db) == 1 ? 0 : ERR_NOT_FOUND;
}

static int member_delete(store_t *base, long long community_id, long long id)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_MEMBER_DELETE, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, id);
    /* The trigger of migration 4 deletes the rest, in the same statement. */
    int rc = sqlite__run(st, "member_delete");
    if (rc) return rc;
    return sqlite3_changes(db) == 1 ? 0 : ERR_NOT_FOUND;
}

static long long member_count(store_t *base, long long community_id)
{
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_MEMBER_COUNT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    long long n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

static void clear_member(void *row)
{
    store_member_clear(row);
}

static int member_list(store_t *base, long long community_id, long long offset, long long limit,
                       store_member_t **rows, size_t *count, long long *total)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    *rows = NULL;
    *count = 0;
    *total = member_count(base, community_id);
    if (*total < 0) return ERR_STORE;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_MEMBER_LIST, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, limit);
    sqlite3_bind_int64(st, 3, offset);
    int rc;
    *rows =
        sqlite__collect(st, sizeof **rows, read_member, clear_member, count, &rc, "member_list");
    return rc;
}

static int members_search(store_t *base, long long community_id, const char *text, int status,
                          int order, long long offset, long long limit, store_member_t **rows,
                          size_t *count, long long *total)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    *rows = NULL;
    *count = 0;
    *total = 0;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_MEMBERS_SEARCH_COUNT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite__bind_text(st, 2, text);
    sqlite3_bind_int(st, 3, status);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite__fail(st, "members_search_count");
    *total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    st = sqlite__stmt(s, STMT_MEMBERS_SEARCH, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite__bind_text(st, 2, text);
    sqlite3_bind_int(st, 3, status);
    sqlite3_bind_int(st, 4, order);
    sqlite3_bind_int64(st, 5, limit);
    sqlite3_bind_int64(st, 6, offset);
    int rc;
    *rows =
        sqlite__collect(st, sizeof **rows, read_member, clear_member, count, &rc, "members_search");
    return rc;
}

/* ---- tokens --------------------------------------------------------------------------------- */

static int refresh_create(store_t *base, const uint8_t hash[32], long long community_id,
                          long long member_id, int64_t expires_at)
{
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_REFRESH_INSERT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, community_id);
    sqlite3_bind_int64(st, 3, member_id);
    sqlite3_bind_int64(st, 4, expires_at);
    return sqlite__run(st, "refresh_insert");
}

static void read_refresh(sqlite3_stmt *st, void *row)
{
    store_refresh_t *r = row;
    r->community_id = sqlite3_column_int64(st, 0);
    r->member_id = sqlite3_column_int64(st, 1);
    r->expires_at = sqlite3_column_int64(st, 2);
    r->revoked_at = sqlite3_column_int64(st, 3);
}

static int refresh_get(store_t *base, const uint8_t hash[32], store_refresh_t *out)
{
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_REFRESH_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    return sqlite__one(st, read_refresh, out, "refresh_get");
}

static int refresh_revoke(store_t *base, const uint8_t hash[32], int64_t now)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_REFRESH_REVOKE, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite__run(st, "refresh_revoke");
    if (rc) return rc;
    return sqlite3_changes(db) == 1 ? 0 : ERR_NOT_FOUND;
}

static int access_revoke(store_t *base, const char *jti, long long community_id, int64_t expires_at)
{
    sqlite3_stmt *st = sqlite__stmt((struct store_sqlite *)base, STMT_ACCESS_REVOKE, NULL);
    if (!st) return ERR_STORE;
    sqlite__bind_text(st, 1, jti);
    sqlite3_bind_int64(st, 2, community_id);
    sqlite3_bind_int64(st, 3, expires_at);
    return sqlite__run(st, "access_revoke");
}

static int access_revoked_each(store_t *base, int64_t now,
                               void (*cb)(void *ud, const char *jti, int64_t expires_at), void *ud)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    /* Expired entries can never matter again: drop them first. */
    sqlite3_stmt *st = sqlite__stmt(s, STMT_ACCESS_REVOKED_PRUNE, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, now);
    int rc = sqlite__run(st, "access_revoked_prune");
    if (rc) return rc;
    st = sqlite__stmt(s, STMT_ACCESS_REVOKED_LIST, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, now);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb(ud, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
    if (rc != SQLITE_DONE) return sqlite__fail(st, "access_revoked_list");
    sqlite3_reset(st);
    return 0;
}

/* ---- lifetime ------------------------------------------------------------------------------- */

static void sqlite_destroy(store_t *base)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    watch_stop(s);
    /* Called once no worker uses the store any more. */
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &s->conns)
    {
        conn_close(LIST_ENTRY(it, struct conn, node));
    }
    pthread_key_delete(s->key);
    pthread_mutex_destroy(&s->lock);
    free(s->spare);
    free(s->path);
    free(s->uri);
    free(s);
}

static const struct store_ops sqlite_ops = {
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
    .room_create = sqlite__room_create,
    .room_get = sqlite__room_get,
    .room_find_identifier = sqlite__room_find_identifier,
    .room_update = sqlite__room_update,
    .room_delete = sqlite__room_delete,
    .rooms_of_member = sqlite__rooms_of_member,
    .participants = sqlite__participants,
    .room_people = sqlite__room_people,
    .participant_get = sqlite__participant_get,
    .participant_add = sqlite__participant_add,
    .participant_remove = sqlite__participant_remove,
    .participant_update = sqlite__participant_update,
    .unread_count = sqlite__unread_count,
    .message_create = sqlite__message_create,
    .message_get = sqlite__message_get,
    .message_find = sqlite__message_find,
    .message_last = sqlite__message_last,
    .messages_page = sqlite__messages_page,
    .messages_count = sqlite__messages_count,
    .message_update = sqlite__message_update,
    .message_delete = sqlite__message_delete,
    .thread_senders = sqlite__thread_senders,
    .thread_last_reply_at = sqlite__thread_last_reply_at,
    .reaction_add = sqlite__reaction_add,
    .reaction_remove = sqlite__reaction_remove,
    .reactions_of = sqlite__reactions_of,
    .threads_of_member = sqlite__threads_of_member,
    .thread_unread_count = sqlite__thread_unread_count,
    .thread_last_reply = sqlite__thread_last_reply,
    .thread_read_get = sqlite__thread_read_get,
    .thread_read_set = sqlite__thread_read_set,
    .notification_create = sqlite__notification_create,
    .notification_get = sqlite__notification_get,
    .notifications_list = sqlite__notifications_list,
    .notification_mark_read = sqlite__notification_mark_read,
    .notifications_mark_all_read = sqlite__notifications_mark_all_read,
    .notifications_new_count = sqlite__notifications_new_count,
    .notifications_new_count_of = sqlite__notifications_new_count_of,
    .notification_archive = sqlite__notification_archive,
    .notification_delete = sqlite__notification_delete,
    .preferences_get = sqlite__preferences_get,
    .preference_set = sqlite__preference_set,
    .notifications_reset = sqlite__notifications_reset,
    .upload_create = sqlite__upload_create,
    .upload_get = sqlite__upload_get,
    .upload_done = sqlite__upload_done,
    .uploads_of = sqlite__uploads_of,
    .destroy = sqlite_destroy,
};

static int migrate(sqlite3 *db, char *err, size_t cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, cap, "%s", sqlite3_errmsg(db));
        return -1;
    }
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    const int latest = (int)(sizeof migrations / sizeof migrations[0]);
    if (version > latest) {
        snprintf(err, cap, "database schema version %d is newer than this cabled (%d)", version,
                 latest);
        return -1;
    }
    for (int v = version; v < latest; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d; COMMIT;", v + 1);
        if (exec(db, "BEGIN IMMEDIATE;", err, cap) != 0) return -1;
        if (exec(db, migrations[v], err, cap) != 0 || exec(db, sql, err, cap) != 0) {
            char ignore[64];
            exec(db, "ROLLBACK;", ignore, sizeof ignore);
            return -1;
        }
        log_info("store sqlite migrated to version=%d", v + 1);
    }
    return 0;
}

store_t *store_sqlite_open(const char *path, char *err, size_t err_cap)
{
    static atomic_uint memory_dbs;
    struct store_sqlite *s = xcalloc(1, sizeof *s);
    s->base.ops = &sqlite_ops;
    s->base.name = "sqlite";
    list_init(&s->conns);
    pthread_mutex_init(&s->lock, NULL);
    pthread_key_create(&s->key, NULL);
    char uri[4200];
    if (strcmp(path, ":memory:") == 0) {
        /* One in-memory database shared by every connection of this store. */
        snprintf(uri, sizeof uri, "file:cabled-mem-%u?mode=memory&cache=shared",
                 atomic_fetch_add(&memory_dbs, 1));
    } else {
        /* URI form; '?' and '#' in a file name must be escaped. */
        size_t o = (size_t)snprintf(uri, sizeof uri, "file:");
        for (const char *p = path; *p && o + 4 < sizeof uri; p++) {
            if (*p == '?' || *p == '#' || *p == '%')
                o += (size_t)snprintf(uri + o, sizeof uri - o, "%%%02X", (unsigned char)*p);
            else
                uri[o++] = *p;
        }
        uri[o] = '\0';
    }
    s->uri = xstrdup(uri);
    /* The first connection stays open for the store's lifetime (it keeps
     * an in-memory database alive) and runs the migrations. */
    struct conn *c = conn_open(s, err, err_cap);
    if (!c) {
        sqlite_destroy(&s->base);
        return NULL;
    }
    list_insert_tail(&s->conns, &c->node);
    if (migrate(c->db, err, err_cap) != 0) {
        sqlite_destroy(&s->base);
        return NULL;
    }
    pthread_setspecific(s->key, c);
    /* One connection per worker thread, opened now: a request must never
     * need a new descriptor, which it would not get at the limit. */
    size_t n = worker_threads();
    s->spare = xcalloc(n, sizeof *s->spare);
    for (size_t i = 0; i < n; i++) {
        struct conn *w = conn_open(s, err, err_cap);
        if (!w) {
            sqlite_destroy(&s->base);
            return NULL;
        }
        list_insert_tail(&s->conns, &w->node);
        s->spare[s->spare_count++] = w;
    }
    if (strcmp(path, ":memory:") != 0) {
        s->path = xstrdup(path);
        if (watch_start(s) != 0) {
            snprintf(err, err_cap, "cannot watch %s: %s", path, strerror(errno));
            sqlite_destroy(&s->base);
            return NULL;
        }
    }
    return &s->base;
}
