/* store/pg_sql.h: every SQL text of the PostgreSQL adapter in one place:
 * the migrations (the schema of store/sqlite_sql.h and store/sqlite.c,
 * version by version, in PostgreSQL types) and the statements, prepared
 * lazily on each connection of the pool and reused. Values are always
 * parameters ($1, $2, ...); nothing here is ever formatted with a value.
 * Included by store/pg*.c only. */
#ifndef STORE_PG_SQL_H
#define STORE_PG_SQL_H

/* Migration N brings the schema from version N to N+1; the versions
 * applied are rows of cabled_migrations. Never edit one that has shipped;
 * add the next. The same steps as SQLite's user_version 1..5. */
#define PG_MIGRATIONS(X)                                                                           \
    X("CREATE TABLE communities ("                                                                 \
      "  id BIGINT PRIMARY KEY,"                                                                   \
      "  name TEXT NOT NULL,"                                                                      \
      "  secret BYTEA NOT NULL,"                                                                   \
      "  app_token_sha256 TEXT NOT NULL DEFAULT ''"                                                \
      ");"                                                                                         \
      /* 'id' keeps the insertion order SQLite reads from its rowid. */                           \
      "CREATE TABLE community_origins ("                                                           \
      "  id BIGSERIAL NOT NULL,"                                                                   \
      "  community_id BIGINT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"               \
      "  origin TEXT NOT NULL,"                                                                    \
      "  PRIMARY KEY (community_id, origin)"                                                       \
      ");"                                                                                         \
      "CREATE TABLE community_members ("                                                           \
      "  id BIGSERIAL PRIMARY KEY,"                                                                \
      "  community_id BIGINT NOT NULL REFERENCES communities(id),"                                 \
      "  email TEXT NOT NULL,"                                                                     \
      "  name TEXT NOT NULL,"                                                                      \
      "  sso_user_id TEXT,"                                                                        \
      "  avatar_url TEXT,"                                                                         \
      "  created_at BIGINT NOT NULL,"                                                              \
      "  updated_at BIGINT NOT NULL"                                                               \
      ");"                                                                                         \
      "CREATE UNIQUE INDEX community_members_email ON community_members(community_id, email);"    \
      "CREATE UNIQUE INDEX community_members_sso ON community_members(community_id, sso_user_id)"  \
      "  WHERE sso_user_id IS NOT NULL;"                                                           \
      "CREATE TABLE refresh_tokens ("                                                              \
      "  token_sha256 BYTEA PRIMARY KEY,"                                                          \
      "  community_id BIGINT NOT NULL,"                                                            \
      "  community_member_id BIGINT NOT NULL,"                                                     \
      "  expires_at BIGINT NOT NULL,"                                                              \
      "  revoked_at BIGINT NOT NULL DEFAULT 0"                                                     \
      ");"                                                                                         \
      "CREATE TABLE revoked_access_tokens ("                                                       \
      "  jti TEXT PRIMARY KEY,"                                                                    \
      "  community_id BIGINT NOT NULL,"                                                            \
      "  expires_at BIGINT NOT NULL"                                                               \
      ");")                                                                                        \
    X("CREATE TABLE chat_rooms ("                                                                  \
      "  id BIGSERIAL PRIMARY KEY,"                                                                \
      "  uuid TEXT NOT NULL UNIQUE,"                                                               \
      "  community_id BIGINT NOT NULL,"                                                            \
      "  kind TEXT NOT NULL,"                                                                      \
      "  identifier TEXT,"                                                                         \
      "  name TEXT,"                                                                               \
      "  description TEXT,"                                                                        \
      "  show_history INTEGER NOT NULL DEFAULT 1,"                                                 \
      "  pinned_message_id BIGINT NOT NULL DEFAULT 0,"                                             \
      "  creator_id BIGINT NOT NULL,"                                                              \
      "  created_at BIGINT NOT NULL,"                                                              \
      "  updated_at BIGINT NOT NULL"                                                               \
      ");"                                                                                         \
      "CREATE UNIQUE INDEX chat_rooms_identifier ON chat_rooms(community_id, identifier)"          \
      "  WHERE identifier IS NOT NULL;"                                                            \
      "CREATE TABLE chat_room_participants ("                                                      \
      "  id BIGSERIAL PRIMARY KEY,"                                                                \
      "  chat_room_id BIGINT NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,"                \
      "  community_member_id BIGINT NOT NULL,"                                                     \
      "  last_read_message_id BIGINT NOT NULL DEFAULT 0,"                                          \
      "  pinned_at BIGINT NOT NULL DEFAULT 0,"                                                     \
      "  created_at BIGINT NOT NULL,"                                                              \
      "  UNIQUE (chat_room_id, community_member_id)"                                               \
      ");"                                                                                         \
      "CREATE INDEX chat_room_participants_member ON chat_room_participants(community_member_id);" \
      "CREATE TABLE chat_messages ("                                                               \
      "  id BIGSERIAL PRIMARY KEY,"                                                                \
      "  chat_room_id BIGINT NOT NULL REFERENCES chat_rooms(id) ON DELETE CASCADE,"                \
      "  participant_id BIGINT NOT NULL,"                                                          \
      "  sender_id BIGINT NOT NULL,"                                                               \
      "  body TEXT NOT NULL,"                                                                      \
      "  rich_text_body TEXT NOT NULL,"                                                            \
      "  creation_uuid TEXT,"                                                                      \
      "  parent_message_id BIGINT NOT NULL DEFAULT 0,"                                             \
      "  replies_count BIGINT NOT NULL DEFAULT 0,"                                                 \
      "  edited_at BIGINT NOT NULL DEFAULT 0,"                                                     \
      "  created_at BIGINT NOT NULL"                                                               \
      ");"                                                                                         \
      "CREATE INDEX chat_messages_room ON chat_messages(chat_room_id, parent_message_id, id);"     \
      "CREATE INDEX chat_messages_thread ON chat_messages(parent_message_id, id);")                \
    X("CREATE TABLE chat_thread_reads ("                                                           \
      "  parent_message_id BIGINT NOT NULL,"                                                       \
      "  community_member_id BIGINT NOT NULL,"                                                     \
      "  last_read_message_id BIGINT NOT NULL DEFAULT 0,"                                          \
      "  PRIMARY KEY (parent_message_id, community_member_id)"                                     \
      ");"                                                                                         \
      "CREATE TABLE notifications ("                                                               \
      "  id BIGSERIAL PRIMARY KEY,"                                                                \
      "  community_id BIGINT NOT NULL,"                                                            \
      "  community_member_id BIGINT NOT NULL,"                                                     \
      "  actor_id BIGINT NOT NULL DEFAULT 0,"                                                      \
      "  actor_name TEXT,"                                                                         \
      "  action TEXT NOT NULL,"                                                                    \
      "  display_action TEXT,"                                                                     \
      "  notifiable_type TEXT,"                                                                    \
      "  notifiable_id BIGINT NOT NULL DEFAULT 0,"                                                 \
      "  notifiable_title TEXT,"                                                                   \
      "  action_web_url TEXT,"                                                                     \
      "  extra TEXT,"                                                                              \
      "  created_at BIGINT NOT NULL,"                                                              \
      "  read_at BIGINT NOT NULL DEFAULT 0"                                                        \
      ");"                                                                                         \
      "CREATE INDEX notifications_member ON notifications(community_member_id, id);"               \
      "CREATE TABLE notification_resets ("                                                         \
      "  community_member_id BIGINT PRIMARY KEY,"                                                  \
      "  reset_at_id BIGINT NOT NULL DEFAULT 0"                                                    \
      ");")                                                                                        \
    X("ALTER TABLE community_members ADD COLUMN deactivated_at BIGINT NOT NULL DEFAULT 0")         \
    X("ALTER TABLE chat_room_participants ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;"            \
      "ALTER TABLE chat_room_participants ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"         \
      "DROP INDEX chat_rooms_identifier;"                                                          \
      "UPDATE chat_rooms SET identifier = kind || '-' || uuid WHERE identifier IS NULL;"           \
      "CREATE UNIQUE INDEX chat_rooms_direct ON chat_rooms(community_id, identifier)"              \
      "  WHERE kind = 'direct';"                                                                   \
      "CREATE TABLE chat_message_reactions ("                                                      \
      "  chat_message_id BIGINT NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,"          \
      "  community_member_id BIGINT NOT NULL,"                                                     \
      "  emoji TEXT NOT NULL,"                                                                     \
      "  created_at BIGINT NOT NULL,"                                                              \
      "  PRIMARY KEY (chat_message_id, community_member_id, emoji)"                                \
      ");"                                                                                         \
      "ALTER TABLE notifications ADD COLUMN kind TEXT;"                                            \
      "ALTER TABLE notifications ADD COLUMN archived_at BIGINT NOT NULL DEFAULT 0;"                \
      "ALTER TABLE notifications ADD COLUMN parent_type TEXT;"                                     \
      "ALTER TABLE notifications ADD COLUMN parent_id BIGINT NOT NULL DEFAULT 0;"                  \
      "CREATE TABLE notification_preferences ("                                                    \
      "  community_member_id BIGINT NOT NULL,"                                                     \
      "  medium TEXT NOT NULL,"                                                                    \
      "  kind TEXT NOT NULL,"                                                                      \
      "  enabled INTEGER NOT NULL,"                                                                \
      "  PRIMARY KEY (community_member_id, medium, kind)"                                          \
      ");"                                                                                         \
      "CREATE TABLE uploads ("                                                                     \
      "  id BIGSERIAL PRIMARY KEY,"                                                                \
      "  community_id BIGINT NOT NULL,"                                                            \
      "  community_member_id BIGINT NOT NULL,"                                                     \
      "  key TEXT NOT NULL UNIQUE,"                                                                \
      "  filename TEXT NOT NULL,"                                                                  \
      "  content_type TEXT NOT NULL,"                                                              \
      "  byte_size BIGINT NOT NULL,"                                                               \
      "  checksum TEXT NOT NULL,"                                                                  \
      "  metadata TEXT,"                                                                           \
      "  created_at BIGINT NOT NULL,"                                                              \
      "  uploaded_at BIGINT NOT NULL DEFAULT 0"                                                    \
      ");")

/* SQLite reads a negative LIMIT as "no limit" and a negative OFFSET as 0;
 * PostgreSQL refuses both. These keep SQLite's meaning. */
#define PG_LIMIT(n) " LIMIT CASE WHEN $" n "::bigint < 0 THEN NULL ELSE $" n "::bigint END"
#define PG_OFFSET(n) " OFFSET GREATEST($" n "::bigint, 0)"

#define PG_ROOM_COLUMNS                                                                            \
    "id, uuid, community_id, kind, identifier, name, description, show_history, "                 \
    "pinned_message_id, creator_id, created_at, updated_at"
#define PG_ROOM_COLUMNS_R                                                                          \
    "r.id, r.uuid, r.community_id, r.kind, r.identifier, r.name, r.description, "                 \
    "r.show_history, r.pinned_message_id, r.creator_id, r.created_at, r.updated_at"
#define PG_PARTICIPANT_COLUMNS                                                                     \
    "id, chat_room_id, community_member_id, last_read_message_id, pinned_at, created_at, muted, "  \
    "archived"
/* Top-level messages of others after a participant's read position: its unread count. */
#define PG_UNREAD_OF(p, what)                                                                      \
    "(SELECT " what " FROM chat_messages x WHERE x.chat_room_id = " p ".chat_room_id AND "        \
    "x.parent_message_id = 0 AND x.id > " p ".last_read_message_id AND x.sender_id <> "           \
    p ".community_member_id)"
#define PG_MESSAGE_COLUMNS                                                                         \
    "id, chat_room_id, participant_id, sender_id, body, rich_text_body, creation_uuid, "          \
    "parent_message_id, replies_count, edited_at, created_at"
#define PG_MESSAGE_COLUMNS_M                                                                       \
    "m.id, m.chat_room_id, m.participant_id, m.sender_id, m.body, m.rich_text_body, "             \
    "m.creation_uuid, m.parent_message_id, m.replies_count, m.edited_at, m.created_at"
#define PG_MEMBER_COLUMNS                                                                          \
    "id, community_id, email, name, sso_user_id, avatar_url, created_at, updated_at, "           \
    "deactivated_at"
#define PG_NOTIFICATION_COLUMNS                                                                    \
    "id, community_id, community_member_id, actor_id, actor_name, action, display_action, "       \
    "notifiable_type, notifiable_id, notifiable_title, action_web_url, extra, created_at, "       \
    "read_at, kind, archived_at, parent_type, parent_id"
/* The filters of a member search, as store/sqlite_sql.h's (ILIKE: SQLite's LIKE ignores case). */
#define PG_MEMBERS_MATCH                                                                           \
    "AND ($2::text IS NULL OR name ILIKE $2 ESCAPE '\\' OR email ILIKE $2 ESCAPE '\\') "        \
    "AND ($3::int = 2 OR ($3::int = 0 AND deactivated_at = 0) OR ($3::int = 1 AND "              \
    "deactivated_at <> 0))"
#define PG_UPLOAD_COLUMNS                                                                          \
    "id, community_id, community_member_id, key, filename, content_type, byte_size, checksum, "  \
    "metadata, created_at, uploaded_at"
/* The status filter of the notification list: 0 all, 1 read, 2 unread. */
#define PG_STATUS_FILTER(n)                                                                        \
    "($" n "::int = 0 OR ($" n "::int = 1 AND read_at <> 0) OR ($" n "::int = 2 AND read_at = 0))"

/* The statements, in the order and with the names of store/sqlite_sql.h.
 * Inserts answer the new id from its sequence (RETURNING id). */
#define PG_STMTS(X)                                                                                \
    X(COMMUNITY_GET, "SELECT id, name, secret, app_token_sha256 FROM communities WHERE id = $1")   \
    X(COMMUNITY_ORIGINS, "SELECT origin FROM community_origins WHERE community_id = $1 "           \
                         "ORDER BY id")                                                            \
    X(COMMUNITY_UPSERT, "INSERT INTO communities (id, name, secret, app_token_sha256) "           \
                        "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "                 \
                        "name = EXCLUDED.name, secret = EXCLUDED.secret, "                        \
                        "app_token_sha256 = EXCLUDED.app_token_sha256")                            \
    X(ORIGINS_DELETE, "DELETE FROM community_origins WHERE community_id = $1")                    \
    X(ORIGIN_INSERT, "INSERT INTO community_origins (community_id, origin) VALUES ($1, $2) "      \
                     "ON CONFLICT DO NOTHING")                                                     \
    X(MEMBER_INSERT, "INSERT INTO community_members (community_id, email, name, sso_user_id, "    \
                     "avatar_url, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) "    \
                     "RETURNING id")                                                               \
    X(MEMBER_GET, "SELECT " PG_MEMBER_COLUMNS " FROM community_members "                         \
                  "WHERE community_id = $1 AND id = $2")                                           \
    X(MEMBER_BY_EMAIL, "SELECT " PG_MEMBER_COLUMNS " FROM community_members "                    \
                       "WHERE community_id = $1 AND email = $2")                                   \
    X(MEMBER_BY_SSO, "SELECT " PG_MEMBER_COLUMNS " FROM community_members "                      \
                     "WHERE community_id = $1 AND sso_user_id = $2")                               \
    X(MEMBER_LIST, "SELECT " PG_MEMBER_COLUMNS " FROM community_members WHERE community_id = $1 " \
                   "ORDER BY id" PG_LIMIT("2") PG_OFFSET("3"))                                     \
    X(MEMBER_COUNT, "SELECT count(*) FROM community_members WHERE community_id = $1")             \
    /* $2: an ILIKE pattern or NULL; $3: 0 active, 1 inactive, 2 all; $4: 0 oldest, 1 latest,    \
     * 2 alphabetical. */                                                                          \
    X(MEMBERS_SEARCH, "SELECT " PG_MEMBER_COLUMNS " FROM community_members "                     \
                      "WHERE community_id = $1 " PG_MEMBERS_MATCH " ORDER BY CASE WHEN $4::int = 2 " \
                      "THEN lower(name) END COLLATE \"C\", CASE WHEN $4::int = 1 THEN -id ELSE id END" \
                      PG_LIMIT("5") PG_OFFSET("6"))                                                \
    X(MEMBERS_SEARCH_COUNT, "SELECT count(*) FROM community_members WHERE community_id = $1 "     \
                            PG_MEMBERS_MATCH)                                                      \
    X(MEMBER_DEACTIVATE, "UPDATE community_members SET deactivated_at = $3, updated_at = $3 "     \
                         "WHERE community_id = $1 AND id = $2 AND deactivated_at = 0")             \
    /* One statement, so one transaction: the member and what is theirs. */                        \
    X(MEMBER_DELETE, "WITH m AS (DELETE FROM community_members WHERE community_id = $1 AND id = $2 " \
                     "RETURNING id), "                                                             \
                     "p AS (DELETE FROM chat_room_participants WHERE community_member_id IN "      \
                     "(SELECT id FROM m)), "                                                       \
                     "r AS (DELETE FROM refresh_tokens WHERE community_member_id IN "              \
                     "(SELECT id FROM m)), "                                                       \
                     "n AS (DELETE FROM notifications WHERE community_member_id IN "               \
                     "(SELECT id FROM m)), "                                                       \
                     "nr AS (DELETE FROM notification_resets WHERE community_member_id IN "        \
                     "(SELECT id FROM m)), "                                                       \
                     "t AS (DELETE FROM chat_thread_reads WHERE community_member_id IN "           \
                     "(SELECT id FROM m)), "                                                       \
                     "x AS (DELETE FROM chat_message_reactions WHERE community_member_id IN "      \
                     "(SELECT id FROM m)), "                                                       \
                     "np AS (DELETE FROM notification_preferences WHERE community_member_id IN "   \
                     "(SELECT id FROM m)) "                                                        \
                     "SELECT count(*) FROM m")                                                     \
    X(REFRESH_INSERT, "INSERT INTO refresh_tokens (token_sha256, community_id, "                  \
                      "community_member_id, expires_at) VALUES ($1, $2, $3, $4)")                  \
    X(REFRESH_GET, "SELECT community_id, community_member_id, expires_at, revoked_at "            \
                   "FROM refresh_tokens WHERE token_sha256 = $1")                                  \
    X(REFRESH_REVOKE, "UPDATE refresh_tokens SET revoked_at = $2 "                                 \
                      "WHERE token_sha256 = $1 AND revoked_at = 0")                                \
    X(ACCESS_REVOKE, "INSERT INTO revoked_access_tokens (jti, community_id, expires_at) "         \
                     "VALUES ($1, $2, $3)")                                                        \
    X(ACCESS_REVOKED_LIST, "SELECT jti, expires_at FROM revoked_access_tokens "                   \
                           "WHERE expires_at > $1")                                                \
    X(ACCESS_REVOKED_PRUNE, "DELETE FROM revoked_access_tokens WHERE expires_at <= $1")            \
    X(ROOM_INSERT, "INSERT INTO chat_rooms (uuid, community_id, kind, identifier, name, "         \
                   "description, show_history, creator_id, created_at, updated_at) "              \
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id")                 \
    X(ROOM_BY_ID, "SELECT " PG_ROOM_COLUMNS " FROM chat_rooms WHERE community_id = $1 "           \
                  "AND id = $2")                                                                   \
    X(ROOM_BY_UUID, "SELECT " PG_ROOM_COLUMNS " FROM chat_rooms WHERE community_id = $1 "         \
                    "AND uuid = $2")                                                               \
    X(ROOM_BY_IDENTIFIER, "SELECT " PG_ROOM_COLUMNS " FROM chat_rooms WHERE community_id = $1 "   \
                          "AND identifier = $2")                                                   \
    X(ROOM_UPDATE, "UPDATE chat_rooms SET name = $2, description = $3, show_history = $4, "       \
                   "pinned_message_id = $5, updated_at = $6 WHERE id = $1")                        \
    X(ROOM_DELETE, "DELETE FROM chat_rooms WHERE id = $1")                                         \
    X(ROOMS_OF_MEMBER, "SELECT " PG_ROOM_COLUMNS_R " FROM chat_rooms r "                          \
                       "JOIN chat_room_participants p ON p.chat_room_id = r.id "                  \
                       "WHERE r.community_id = $1 AND p.community_member_id = $2 "                \
                       "ORDER BY p.pinned_at DESC, r.updated_at DESC, r.id DESC" PG_LIMIT("3")     \
                           PG_OFFSET("4"))                                                         \
    X(ROOMS_OF_MEMBER_COUNT, "SELECT count(*) FROM chat_rooms r JOIN chat_room_participants p "   \
                             "ON p.chat_room_id = r.id WHERE r.community_id = $1 AND "             \
                             "p.community_member_id = $2")                                         \
    X(ROOM_TOUCH, "UPDATE chat_rooms SET updated_at = $2 WHERE id = $1")                           \
    X(PARTICIPANT_INSERT, "INSERT INTO chat_room_participants (chat_room_id, "                    \
                          "community_member_id, created_at) VALUES ($1, $2, $3) "                 \
                          "ON CONFLICT DO NOTHING")                                                \
    X(PARTICIPANT_INSERT_ID, "INSERT INTO chat_room_participants (chat_room_id, "                 \
                             "community_member_id, created_at) VALUES ($1, $2, $3) RETURNING id")  \
    X(PARTICIPANT_GET, "SELECT " PG_PARTICIPANT_COLUMNS " FROM chat_room_participants "           \
                       "WHERE chat_room_id = $1 AND community_member_id = $2")                     \
    X(PARTICIPANTS, "SELECT " PG_PARTICIPANT_COLUMNS " FROM chat_room_participants "              \
                    "WHERE chat_room_id = $1 ORDER BY id")                                         \
    X(PARTICIPANT_UPDATE, "UPDATE chat_room_participants SET last_read_message_id = $2, "         \
                          "pinned_at = $3, muted = $4, archived = $5 WHERE id = $1")               \
    /* A room's participants with their members; the unread counts of $2 only (0: of all). */     \
    X(ROOM_PEOPLE, "SELECT p.id, p.community_member_id, m.name, m.email, m.avatar_url, "          \
                   "p.last_read_message_id, p.pinned_at, p.created_at, p.muted, p.archived, "     \
                   "CASE WHEN $2::bigint IN (0, p.community_member_id) THEN "                     \
                   PG_UNREAD_OF("p", "count(*)") " ELSE 0 END, "                                  \
                   "CASE WHEN $2::bigint IN (0, p.community_member_id) THEN "                     \
                   PG_UNREAD_OF("p", "min(x.id)") " END "                                         \
                   "FROM chat_room_participants p LEFT JOIN community_members m "                 \
                   "ON m.id = p.community_member_id WHERE p.chat_room_id = $1 ORDER BY p.id")     \
    X(PARTICIPANT_DELETE, "DELETE FROM chat_room_participants WHERE chat_room_id = $1 AND "       \
                          "community_member_id = $2")                                              \
    X(UNREAD_COUNT, "SELECT count(*) FROM chat_messages WHERE chat_room_id = $1 AND "             \
                    "parent_message_id = 0 AND id > $2 AND sender_id <> $3")                       \
    X(MESSAGE_INSERT, "INSERT INTO chat_messages (chat_room_id, participant_id, sender_id, body, " \
                      "rich_text_body, creation_uuid, parent_message_id, created_at) "            \
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")                      \
    X(MESSAGE_GET, "SELECT " PG_MESSAGE_COLUMNS " FROM chat_messages WHERE chat_room_id = $1 "    \
                   "AND id = $2")                                                                  \
    X(MESSAGE_FIND, "SELECT " PG_MESSAGE_COLUMNS " FROM chat_messages WHERE id = $1")              \
    X(MESSAGE_LAST, "SELECT " PG_MESSAGE_COLUMNS " FROM chat_messages WHERE chat_room_id = $1 "   \
                    "AND parent_message_id = 0 ORDER BY id DESC LIMIT 1")                          \
    X(MESSAGES_BEFORE, "SELECT " PG_MESSAGE_COLUMNS " FROM chat_messages "                        \
                       "WHERE chat_room_id = $1 AND parent_message_id = $2 AND id < $3 "          \
                       "ORDER BY id DESC" PG_LIMIT("4"))                                           \
    X(MESSAGES_AFTER, "SELECT " PG_MESSAGE_COLUMNS " FROM chat_messages "                         \
                      "WHERE chat_room_id = $1 AND parent_message_id = $2 AND id > $3 "           \
                      "ORDER BY id ASC" PG_LIMIT("4"))                                             \
    X(MESSAGES_COUNT, "SELECT count(*) FROM chat_messages WHERE chat_room_id = $1 AND "          \
                      "parent_message_id = $2")                                                    \
    X(MESSAGE_UPDATE, "UPDATE chat_messages SET body = $2, rich_text_body = $3, edited_at = $4 "  \
                      "WHERE id = $1")                                                             \
    X(MESSAGE_DELETE, "DELETE FROM chat_messages WHERE id = $1 OR parent_message_id = $1")         \
    X(MESSAGE_REPLIES_ADD, "UPDATE chat_messages SET replies_count = replies_count + $2 "         \
                           "WHERE id = $1")                                                        \
    /* SQLite's UNION answers in ascending order; say so explicitly here. */                      \
    X(THREAD_SENDERS, "SELECT sender_id FROM chat_messages WHERE id = $1 UNION "                  \
                      "SELECT sender_id FROM chat_messages WHERE parent_message_id = $1 "         \
                      "ORDER BY 1")                                                                \
    X(THREADS_OF_MEMBER, "SELECT " PG_MESSAGE_COLUMNS_M " FROM chat_messages m "                  \
                         "JOIN chat_rooms r ON r.id = m.chat_room_id WHERE r.community_id = $1 "  \
                         "AND m.parent_message_id = 0 AND m.replies_count > 0 AND "              \
                         "(m.sender_id = $2 OR EXISTS (SELECT 1 FROM chat_messages x WHERE "      \
                         "x.parent_message_id = m.id AND x.sender_id = $2)) AND EXISTS (SELECT 1 " \
                         "FROM chat_room_participants p WHERE p.chat_room_id = m.chat_room_id "  \
                         "AND p.community_member_id = $2) ORDER BY m.id DESC" PG_LIMIT("3")        \
                             PG_OFFSET("4"))                                                       \
    X(THREAD_LAST_REPLY_AT, "SELECT coalesce(max(created_at), 0) FROM chat_messages "             \
                            "WHERE parent_message_id = $1")                                        \
    X(REACTION_INSERT, "INSERT INTO chat_message_reactions (chat_message_id, community_member_id, " \
                       "emoji, created_at) VALUES ($1, $2, $3, $4)")                               \
    X(REACTION_DELETE, "DELETE FROM chat_message_reactions WHERE chat_message_id = $1 AND "       \
                       "community_member_id = $2 AND emoji = $3")                                  \
    /* $1 is an array of message ids, '{1,2,3}'. */                                                \
    X(REACTIONS_OF, "SELECT chat_message_id, community_member_id, emoji, created_at "             \
                    "FROM chat_message_reactions WHERE chat_message_id = ANY($1::bigint[]) "      \
                    "ORDER BY chat_message_id, emoji COLLATE \"C\", created_at, community_member_id") \
    X(THREAD_LAST_REPLY, "SELECT max(id) FROM chat_messages WHERE parent_message_id = $1")        \
    X(THREAD_UNREAD, "SELECT count(*) FROM chat_messages WHERE parent_message_id = $1 AND "       \
                     "id > $2 AND sender_id <> $3")                                                \
    X(THREAD_READ_GET, "SELECT last_read_message_id FROM chat_thread_reads "                      \
                       "WHERE parent_message_id = $1 AND community_member_id = $2")                \
    X(THREAD_READ_SET, "INSERT INTO chat_thread_reads (parent_message_id, community_member_id, "  \
                       "last_read_message_id) VALUES ($1, $2, $3) ON CONFLICT "                   \
                       "(parent_message_id, community_member_id) DO UPDATE SET "                  \
                       "last_read_message_id = GREATEST(chat_thread_reads.last_read_message_id, " \
                       "EXCLUDED.last_read_message_id)")                                           \
    X(NOTIFICATION_INSERT, "INSERT INTO notifications (community_id, community_member_id, "     \
                           "actor_id, actor_name, action, display_action, notifiable_type, "    \
                           "notifiable_id, notifiable_title, action_web_url, extra, created_at, " \
                           "kind, parent_type, parent_id) VALUES ($1, $2, $3, $4, $5, $6, $7, "  \
                           "$8, $9, $10, $11, $12, $13, $14, $15) RETURNING id")                   \
    X(NOTIFICATION_GET, "SELECT " PG_NOTIFICATION_COLUMNS " FROM notifications "                  \
                        "WHERE community_member_id = $1 AND id = $2")                              \
    X(NOTIFICATIONS_LIST, "SELECT " PG_NOTIFICATION_COLUMNS " FROM notifications "                \
                          "WHERE community_member_id = $1 AND archived_at = 0 AND "               \
                          PG_STATUS_FILTER("2") " ORDER BY id DESC" PG_LIMIT("3") PG_OFFSET("4")) \
    X(NOTIFICATIONS_COUNT, "SELECT count(*) FROM notifications WHERE community_member_id = $1 "  \
                           "AND archived_at = 0 AND " PG_STATUS_FILTER("2"))                       \
    X(NOTIFICATION_MARK_READ, "UPDATE notifications SET read_at = CASE WHEN read_at = 0 "        \
                              "THEN $3 ELSE read_at END WHERE community_member_id = $1 AND id = $2") \
    X(NOTIFICATIONS_MARK_ALL_READ, "UPDATE notifications SET read_at = $2 "                       \
                                   "WHERE community_member_id = $1 AND read_at = 0 AND "         \
                                   "($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR "   \
                                   "(parent_type = $4 AND parent_id = $5))")                      \
    X(NOTIFICATIONS_NEW_COUNT, "SELECT count(*) FROM notifications WHERE community_member_id = $1 " \
                               "AND read_at = 0 AND archived_at = 0 AND ($2::text IS NULL OR "     \
                               "kind = $2) AND id > coalesce((SELECT reset_at_id FROM "            \
                               "notification_resets WHERE community_member_id = $1), 0)")          \
    X(NOTIFICATION_ARCHIVE, "UPDATE notifications SET archived_at = CASE WHEN archived_at = 0 "   \
                            "THEN $3 ELSE archived_at END WHERE community_member_id = $1 AND id = $2") \
    X(NOTIFICATION_DELETE, "DELETE FROM notifications WHERE community_member_id = $1 AND id = $2") \
    X(PREFERENCES_GET, "SELECT kind, enabled FROM notification_preferences "                      \
                       "WHERE community_member_id = $1 AND medium = $2 ORDER BY kind COLLATE \"C\"") \
    X(PREFERENCE_SET, "INSERT INTO notification_preferences (community_member_id, medium, kind, " \
                      "enabled) VALUES ($1, $2, $3, $4) ON CONFLICT (community_member_id, medium, " \
                      "kind) DO UPDATE SET enabled = EXCLUDED.enabled")                            \
    X(NOTIFICATIONS_RESET, "INSERT INTO notification_resets (community_member_id, reset_at_id) "  \
                           "VALUES ($1, coalesce((SELECT max(id) FROM notifications "             \
                           "WHERE community_member_id = $1), 0)) ON CONFLICT "                    \
                           "(community_member_id) DO UPDATE SET reset_at_id = "                   \
                           "GREATEST(notification_resets.reset_at_id, EXCLUDED.reset_at_id)")      \
    X(UPLOAD_INSERT, "INSERT INTO uploads (community_id, community_member_id, key, filename, "   \
                     "content_type, byte_size, checksum, metadata, created_at) "                  \
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")                  \
    X(UPLOAD_GET, "SELECT " PG_UPLOAD_COLUMNS " FROM uploads WHERE community_id = $1 AND id = $2") \
    X(UPLOAD_DONE, "UPDATE uploads SET uploaded_at = $2 WHERE id = $1 AND uploaded_at = 0")      \
    /* $2 is an array of upload ids, '{1,2,3}'. */                                                 \
    X(UPLOADS_OF, "SELECT " PG_UPLOAD_COLUMNS " FROM uploads WHERE community_id = $1 AND "       \
                  "id = ANY($2::bigint[])")                                                        \
    X(BEGIN, "BEGIN")                                                                              \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")

enum pg_stmt_id {
#define PG_STMT_ENUM(name, sql) PG_STMT_##name,
    PG_STMTS(PG_STMT_ENUM)
#undef PG_STMT_ENUM
        PG_STMT_COUNT
};

#endif
