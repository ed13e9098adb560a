/* Unit tests for the chat part of store/sqlite: the shared chat cases
 * (store_cases.c) on private in-memory databases: rooms with participants,
 * the unique direct-room identifier, messages with replies counted on the
 * parent, paging in both directions, unread counts, thread senders and
 * reads, ordering, and cascading deletes. */
#include "store_cases.h"
#include "test.h"

#include "store/sqlite.h"

static store_t *open_memory(void)
{
    char err[128] = "";
    store_t *s = store_sqlite_open(":memory:", err, sizeof err);
    if (!s) fprintf(stdout, "# open failed: %s\n", err);
    return s;
}

static void remove_nothing(void) {}

static const store_fixture_t memory_fixture = {open_memory, NULL, remove_nothing};

TEST(store_sqlite_chat_rooms_and_participants)
{
    store_case_chat_rooms_and_participants(&memory_fixture);
}

TEST(store_sqlite_chat_messages_threads_unread)
{
    store_case_chat_messages_threads_unread(&memory_fixture);
}

TEST(store_sqlite_chat_reads_and_order)
{
    store_case_chat_reads_and_order(&memory_fixture);
}

TEST(store_sqlite_chat_people_and_reactions)
{
    store_case_chat_people_and_reactions(&memory_fixture);
}

TEST(store_sqlite_notification_kinds_and_preferences)
{
    store_case_notification_kinds_and_preferences(&memory_fixture);
}

TEST(store_sqlite_uploads)
{
    store_case_uploads(&memory_fixture);
}
