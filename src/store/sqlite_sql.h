/* store/sqlite_sql.h: every SQL text of the SQLite adapter in one place:
 * the migrations (the schema, version by version) and the statements, which
 * are prepared once per connection and reused. Included by store/sqlite*.c
 * only. */
#ifndef STORE_SQLITE_SQL_H
#define STORE_SQLITE_SQL_H

#define ROOM_COLUMNS                                                                           \
    "id, uuid, community_id, kind, identifier, name, description, show_history, "             \
    "pinned_message_id, creator_id, created_at, updated_at"
#define ROOM_COLUMNS_R                                                                         \
    "r.id, r.uuid, r.community_id, r.kind, r.identifier, r.name, r.description, "             \
    "r.show_history, r.pinned_message_id, r.creator_id, r.created_at, r.updated_at"
#define PARTICIPANT_COLUMNS                                                                    \
    "id, chat_room_id, community_member_id, last_read_message_id, pinned_at, created_at, "    \
    "muted, archived"
/* Top-level messages of others after a participant's read position: its unread count. */
#define UNREAD_OF(p, what)                                                                     \
    "(SELECT " what " FROM chat_messages x WHERE x.chat_room_id = " p ".chat_room_id AND "    \
    "x.parent_message_id = 0 AND x.id > " p ".last_read_message_id AND x.sender_id != "       \
    p ".community_member_id)"
#define MESSAGE_COLUMNS                                                                        \
    "id, chat_room_id, participant_id, sender_id, body, rich_text_body, creation_uuid, "      \
    "parent_message_id, replies_count, edited_at, created_at"

#define NOTIFICATION_COLUMNS                                                                   \
    "id, community_id, community_member_id, actor_id, actor_name, action, display_action, "  \
    "notifiable_type, notifiable_id, notifiable_title, action_web_url, extra, created_at, "  \
    "read_at, kind, archived_at, parent_type, parent_id"
/* The filters of a member search: a pattern on the name or the email, a status. */
#define MEMBERS_MATCH(q)                                                                       \
    "AND (" q "2 IS NULL OR name LIKE " q "2 ESCAPE '\\' OR email LIKE " q "2 ESCAPE '\\') "   \
    "AND (" q "3 = 2 OR (" q "3 = 0 AND deactivated_at = 0) OR (" q "3 = 1 AND "              \
    "deactivated_at != 0))"
#define UPLOAD_COLUMNS                                                                         \
    "id, community_id, community_member_id, key, filename, content_type, byte_size, checksum, " \
    "metadata, created_at, uploaded_at"
#define MESSAGE_COLUMNS_M                                                                      \
    "m.id, m.chat_room_id, m.participant_id, m.sender_id, m.body, m.rich_text_body, "         \
    "m.creation_uuid, m.parent_message_id, m.replies_count, m.edited_at, m.created_at"

#define STMTS(X)                                                                                   \
    X(COMMUNITY_GET, "SELECT id, name, secret, app_token_sha256 FROM communities WHERE id = ?1")   \
    X(COMMUNITY_ORIGINS, "SELECT origin FROM community_origins WHERE community_id = ?1 "           \
                         "ORDER BY rowid")                                                         \
    X(COMMUNITY_UPSERT, "INSERT INTO communities (id, name, secret, app_token_sha256) "           \
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET name = ?2, "       \
                        "secret = ?3, app_token_sha256 = ?4")                                      \
    X(ORIGINS_DELETE, "DELETE FROM community_origins WHERE community_id = ?1")                    \
    X(ORIGIN_INSERT, "INSERT OR IGNORE INTO community_origins (community_id, origin) "            \
                     "VALUES (?1, ?2)")                                                            \
    X(MEMBER_INSERT, "INSERT INTO community_members (community_id, email, name, sso_user_id, "    \
                     "avatar_url, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)")    \
    X(MEMBER_GET, "SELECT id, community_id, email, name, sso_user_id, avatar_url, created_at, "   \
                  "updated_at, deactivated_at FROM community_members WHERE community_id = ?1 AND id = ?2")         \
    X(MEMBER_BY_EMAIL, "SELECT id, community_id, email, name, sso_user_id, avatar_url, "          \
                       "created_at, updated_at, deactivated_at FROM community_members "                           \
                       "WHERE community_id = ?1 AND email = ?2")                                   \
    X(MEMBER_BY_SSO, "SELECT id, community_id, email, name, sso_user_id, avatar_url, "            \
                     "created_at, updated_at, deactivated_at FROM community_members "                             \
                     "WHERE community_id = ?1 AND sso_user_id = ?2")                               \
    X(MEMBER_LIST, "SELECT id, community_id, email, name, sso_user_id, avatar_url, created_at, "  \
                   "updated_at, deactivated_at FROM community_members WHERE community_id = ?1 "   \
                   "ORDER BY id LIMIT ?2 OFFSET ?3")                                               \
    /* ?2: a LIKE pattern or NULL; ?3: 0 active, 1 inactive, 2 all; ?4: 0 oldest, 1 latest,    \
     * 2 alphabetical. */                                                                          \
    X(MEMBERS_SEARCH, "SELECT id, community_id, email, name, sso_user_id, avatar_url, created_at, " \
                      "updated_at, deactivated_at FROM community_members WHERE community_id = ?1 " \
                      MEMBERS_MATCH("?") " ORDER BY CASE WHEN ?4 = 2 THEN lower(name) END, "      \
                      "CASE WHEN ?4 = 1 THEN -id ELSE id END LIMIT ?5 OFFSET ?6")                 \
    X(MEMBERS_SEARCH_COUNT, "SELECT count(*) FROM community_members WHERE community_id = ?1 "     \
                            MEMBERS_MATCH("?"))                                                    \
    X(MEMBER_DEACTIVATE, "UPDATE community_members SET deactivated_at = ?3, updated_at = ?3 "     \
                         "WHERE community_id = ?1 AND id = ?2 AND deactivated_at = 0")             \
    X(MEMBER_DELETE, "DELETE FROM community_members WHERE community_id = ?1 AND id = ?2")         \
    X(MEMBER_COUNT, "SELECT count(*) FROM community_members WHERE community_id = ?1")             \
    X(REFRESH_INSERT, "INSERT INTO refresh_tokens (token_sha256, community_id, "                  \
                      "community_member_id, expires_at) VALUES (?1, ?2, ?3, ?4)")                  \
    X(REFRESH_GET, "SELECT community_id, community_member_id, expires_at, revoked_at "            \
                   "FROM refresh_tokens WHERE token_sha256 = ?1")                                  \
    X(REFRESH_REVOKE, "UPDATE refresh_tokens SET revoked_at = ?2 "                                 \
                      "WHERE token_sha256 = ?1 AND revoked_at = 0")                                \
    X(ACCESS_REVOKE, "INSERT INTO revoked_access_tokens (jti, community_id, expires_at) "         \
                     "VALUES (?1, ?2, ?3)")                                                        \
    X(ACCESS_REVOKED_LIST, "SELECT jti, expires_at FROM revoked_access_tokens "                   \
                           "WHERE expires_at > ?1")                                                \
    X(ACCESS_REVOKED_PRUNE, "DELETE FROM revoked_access_tokens WHERE expires_at <= ?1")            \
    X(ROOM_INSERT, "INSERT INTO chat_rooms (uuid, community_id, kind, identifier, name, "         \
                   "description, show_history, creator_id, created_at, updated_at) "              \
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)")                               \
    X(ROOM_BY_ID, "SELECT " ROOM_COLUMNS " FROM chat_rooms WHERE community_id = ?1 AND id = ?2")  \
    X(ROOM_BY_UUID, "SELECT " ROOM_COLUMNS " FROM chat_rooms WHERE community_id = ?1 "            \
                    "AND uuid = ?2")                                                               \
    X(ROOM_BY_IDENTIFIER, "SELECT " ROOM_COLUMNS " FROM chat_rooms WHERE community_id = ?1 "      \
                          "AND identifier = ?2")                                                   \
    X(ROOM_UPDATE, "UPDATE chat_rooms SET name = ?2, description = ?3, show_history = ?4, "       \
                   "pinned_message_id = ?5, updated_at = ?6 WHERE id = ?1")                        \
    X(ROOM_DELETE, "DELETE FROM chat_rooms WHERE id = ?1")                                         \
    X(ROOMS_OF_MEMBER, "SELECT " ROOM_COLUMNS_R " FROM chat_rooms r JOIN chat_room_participants p " \
                       "ON p.chat_room_id = r.id WHERE r.community_id = ?1 AND "                   \
                       "p.community_member_id = ?2 ORDER BY p.pinned_at DESC, r.updated_at DESC, " \
                       "r.id DESC LIMIT ?3 OFFSET ?4")                                             \
    X(ROOMS_OF_MEMBER_COUNT, "SELECT count(*) FROM chat_rooms r JOIN chat_room_participants p "   \
                             "ON p.chat_room_id = r.id WHERE r.community_id = ?1 AND "             \
                             "p.community_member_id = ?2")                                         \
    X(ROOM_TOUCH, "UPDATE chat_rooms SET updated_at = ?2 WHERE id = ?1")                           \
    X(PARTICIPANT_INSERT, "INSERT OR IGNORE INTO chat_room_participants (chat_room_id, "          \
                          "community_member_id, created_at) VALUES (?1, ?2, ?3)")                  \
    X(PARTICIPANT_GET, "SELECT " PARTICIPANT_COLUMNS " FROM chat_room_participants "              \
                       "WHERE chat_room_id = ?1 AND community_member_id = ?2")                     \
    X(PARTICIPANTS, "SELECT " PARTICIPANT_COLUMNS " FROM chat_room_participants "                 \
                    "WHERE chat_room_id = ?1 ORDER BY id")                                         \
    X(PARTICIPANT_UPDATE, "UPDATE chat_room_participants SET last_read_message_id = ?2, "         \
                          "pinned_at = ?3, muted = ?4, archived = ?5 WHERE id = ?1")               \
    /* A room's participants with their members; the unread counts of ?2 only (0: of all). */     \
    X(ROOM_PEOPLE, "SELECT p.id, p.community_member_id, m.name, m.email, m.avatar_url, "          \
                   "p.last_read_message_id, p.pinned_at, p.created_at, p.muted, p.archived, "     \
                   "CASE WHEN ?2 IN (0, p.community_member_id) THEN " UNREAD_OF("p", "count(*)")  \
                   " ELSE 0 END, CASE WHEN ?2 IN (0, p.community_member_id) THEN "               \
                   UNREAD_OF("p", "min(x.id)") " END FROM chat_room_participants p "              \
                   "LEFT JOIN community_members m ON m.id = p.community_member_id "               \
                   "WHERE p.chat_room_id = ?1 ORDER BY p.id")                                     \
    X(PARTICIPANT_DELETE, "DELETE FROM chat_room_participants WHERE chat_room_id = ?1 AND "       \
                          "community_member_id = ?2")                                              \
    X(UNREAD_COUNT, "SELECT count(*) FROM chat_messages WHERE chat_room_id = ?1 AND "             \
                    "parent_message_id = 0 AND id > ?2 AND sender_id != ?3")                       \
    X(MESSAGE_INSERT, "INSERT INTO chat_messages (chat_room_id, participant_id, sender_id, body, " \
                      "rich_text_body, creation_uuid, parent_message_id, created_at) "            \
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                   \
    X(MESSAGE_GET, "SELECT " MESSAGE_COLUMNS " FROM chat_messages WHERE chat_room_id = ?1 "       \
                   "AND id = ?2")                                                                  \
    X(MESSAGE_FIND, "SELECT " MESSAGE_COLUMNS " FROM chat_messages WHERE id = ?1")                 \
    X(MESSAGE_LAST, "SELECT " MESSAGE_COLUMNS " FROM chat_messages WHERE chat_room_id = ?1 "      \
                    "AND parent_message_id = 0 ORDER BY id DESC LIMIT 1")                          \
    X(MESSAGES_BEFORE, "SELECT " MESSAGE_COLUMNS " FROM chat_messages WHERE chat_room_id = ?1 "   \
                       "AND parent_message_id = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4")         \
    X(MESSAGES_AFTER, "SELECT " MESSAGE_COLUMNS " FROM chat_messages WHERE chat_room_id = ?1 "    \
                      "AND parent_message_id = ?2 AND id > ?3 ORDER BY id ASC LIMIT ?4")           \
    X(MESSAGES_COUNT, "SELECT count(*) FROM chat_messages WHERE chat_room_id = ?1 AND "          \
                      "parent_message_id = ?2")                                                    \
    X(MESSAGE_UPDATE, "UPDATE chat_messages SET body = ?2, rich_text_body = ?3, edited_at = ?4 "  \
                      "WHERE id = ?1")                                                             \
    X(MESSAGE_DELETE, "DELETE FROM chat_messages WHERE id = ?1 OR parent_message_id = ?1")         \
    X(MESSAGE_REPLIES_ADD, "UPDATE chat_messages SET replies_count = replies_count + ?2 "         \
                           "WHERE id = ?1")                                                        \
    X(THREAD_SENDERS, "SELECT sender_id FROM chat_messages WHERE id = ?1 UNION "                  \
                      "SELECT sender_id FROM chat_messages WHERE parent_message_id = ?1")          \
    X(THREADS_OF_MEMBER, "SELECT " MESSAGE_COLUMNS_M " FROM chat_messages m JOIN chat_rooms r "   \
                         "ON r.id = m.chat_room_id WHERE r.community_id = ?1 AND "               \
                         "m.parent_message_id = 0 AND m.replies_count > 0 AND (m.sender_id = ?2 " \
                         "OR EXISTS (SELECT 1 FROM chat_messages x WHERE "                        \
                         "x.parent_message_id = m.id AND x.sender_id = ?2)) AND EXISTS (SELECT 1 " \
                         "FROM chat_room_participants p WHERE p.chat_room_id = m.chat_room_id "  \
                         "AND p.community_member_id = ?2) ORDER BY m.id DESC LIMIT ?3 OFFSET ?4") \
    X(THREAD_LAST_REPLY_AT, "SELECT coalesce(max(created_at), 0) FROM chat_messages "             \
                            "WHERE parent_message_id = ?1")                                        \
    X(REACTION_INSERT, "INSERT INTO chat_message_reactions (chat_message_id, community_member_id, " \
                       "emoji, created_at) VALUES (?1, ?2, ?3, ?4)")                               \
    X(REACTION_DELETE, "DELETE FROM chat_message_reactions WHERE chat_message_id = ?1 AND "       \
                       "community_member_id = ?2 AND emoji = ?3")                                  \
    /* ?1 is a JSON array of message ids. */                                                       \
    X(REACTIONS_OF, "SELECT chat_message_id, community_member_id, emoji, created_at "             \
                    "FROM chat_message_reactions WHERE chat_message_id IN "                       \
                    "(SELECT value FROM json_each(?1)) ORDER BY chat_message_id, emoji, "         \
                    "created_at, community_member_id")                                             \
    X(THREAD_LAST_REPLY, "SELECT max(id) FROM chat_messages WHERE parent_message_id = ?1")        \
    X(THREAD_UNREAD, "SELECT count(*) FROM chat_messages WHERE parent_message_id = ?1 AND "       \
                     "id > ?2 AND sender_id != ?3")                                                \
    X(THREAD_READ_GET, "SELECT last_read_message_id FROM chat_thread_reads "                      \
                       "WHERE parent_message_id = ?1 AND community_member_id = ?2")                \
    X(THREAD_READ_SET, "INSERT INTO chat_thread_reads (parent_message_id, community_member_id, "  \
                       "last_read_message_id) VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET "    \
                       "last_read_message_id = max(last_read_message_id, ?3)")                    \
    X(NOTIFICATION_INSERT, "INSERT INTO notifications (community_id, community_member_id, "     \
                           "actor_id, actor_name, action, display_action, notifiable_type, "    \
                           "notifiable_id, notifiable_title, action_web_url, extra, created_at, " \
                           "kind, parent_type, parent_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "  \
                           "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")                                \
    X(NOTIFICATION_GET, "SELECT " NOTIFICATION_COLUMNS " FROM notifications "                     \
                        "WHERE community_member_id = ?1 AND id = ?2")                              \
    /* The member's inbox: archived notifications are out of it. */                              \
    X(NOTIFICATIONS_LIST, "SELECT " NOTIFICATION_COLUMNS " FROM notifications "                   \
                          "WHERE community_member_id = ?1 AND archived_at = 0 AND (?2 = 0 OR "   \
                          "(?2 = 1 AND read_at != 0) OR (?2 = 2 AND read_at = 0)) "              \
                          "ORDER BY id DESC LIMIT ?3 OFFSET ?4")                                   \
    X(NOTIFICATIONS_COUNT, "SELECT count(*) FROM notifications WHERE community_member_id = ?1 "  \
                           "AND archived_at = 0 AND (?2 = 0 OR (?2 = 1 AND read_at != 0) OR "    \
                           "(?2 = 2 AND read_at = 0))")                                            \
    X(NOTIFICATION_MARK_READ, "UPDATE notifications SET read_at = CASE WHEN read_at = 0 "        \
                              "THEN ?3 ELSE read_at END WHERE community_member_id = ?1 AND id = ?2") \
    X(NOTIFICATIONS_MARK_ALL_READ, "UPDATE notifications SET read_at = ?2 "                       \
                                   "WHERE community_member_id = ?1 AND read_at = 0 AND "         \
                                   "(?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR "               \
                                   "(parent_type = ?4 AND parent_id = ?5))")                      \
    X(NOTIFICATIONS_NEW_COUNT, "SELECT count(*) FROM notifications WHERE community_member_id = ?1 " \
                               "AND read_at = 0 AND archived_at = 0 AND (?2 IS NULL OR kind = ?2) " \
                               "AND id > coalesce((SELECT reset_at_id FROM "                       \
                               "notification_resets WHERE community_member_id = ?1), 0)")          \
    X(NOTIFICATION_ARCHIVE, "UPDATE notifications SET archived_at = CASE WHEN archived_at = 0 "   \
                            "THEN ?3 ELSE archived_at END WHERE community_member_id = ?1 AND id = ?2") \
    X(NOTIFICATION_DELETE, "DELETE FROM notifications WHERE community_member_id = ?1 AND id = ?2") \
    X(PREFERENCES_GET, "SELECT kind, enabled FROM notification_preferences "                      \
                       "WHERE community_member_id = ?1 AND medium = ?2 ORDER BY kind")            \
    X(PREFERENCE_SET, "INSERT INTO notification_preferences (community_member_id, medium, kind, " \
                      "enabled) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET "               \
                      "enabled = excluded.enabled")                                                \
    X(NOTIFICATIONS_RESET, "INSERT INTO notification_resets (community_member_id, reset_at_id) "  \
                           "VALUES (?1, coalesce((SELECT max(id) FROM notifications "             \
                           "WHERE community_member_id = ?1), 0)) ON CONFLICT DO UPDATE SET "      \
                           "reset_at_id = max(reset_at_id, excluded.reset_at_id)")                 \
    X(UPLOAD_INSERT, "INSERT INTO uploads (community_id, community_member_id, key, filename, "   \
                     "content_type, byte_size, checksum, metadata, created_at) "                  \
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                                \
    X(UPLOAD_GET, "SELECT " UPLOAD_COLUMNS " FROM uploads WHERE community_id = ?1 AND id = ?2")   \
    X(UPLOAD_DONE, "UPDATE uploads SET uploaded_at = ?2 WHERE id = ?1 AND uploaded_at = 0")      \
    /* ?2 is a JSON array of upload ids. */                                                        \
    X(UPLOADS_OF, "SELECT " UPLOAD_COLUMNS " FROM uploads WHERE community_id = ?1 AND id IN "    \
                  "(SELECT value FROM json_each(?2))")                                             \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                    \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")

enum stmt_id {
#define STMT_ENUM(name, sql) STMT_##name,
    STMTS(STMT_ENUM)
#undef STMT_ENUM
        STMT_COUNT
};

#endif
