/* tests/unit/store/store_cases.h: the store contract (store/store.h) as
 * test cases that run against any adapter. Each adapter's test file
 * (test_sqlite.c, test_sqlite_chat.c, test_pg.c) wraps every case in a
 * TEST of its own name with a fixture that opens its kind of database, so
 * both adapters are held to the same observable behaviour: ordering,
 * pagination, counts, conflicts, cascades, ids and timestamps. */
#ifndef TESTS_UNIT_STORE_CASES_H
#define TESTS_UNIT_STORE_CASES_H

#include "store/store.h"

/* How a case gets its databases. */
typedef struct store_fixture {
    /* A new, empty, migrated database; NULL after printing why. */
    store_t *(*open)(void);
    /* The database of the last open() again, as a restarted process sees
     * it; NULL after printing why. */
    store_t *(*reopen)(void);
    /* Remove the database of the last open(). */
    void (*remove)(void);
} store_fixture_t;

void store_case_community_roundtrip(const store_fixture_t *f);
void store_case_members_unique_and_paged(const store_fixture_t *f);
void store_case_members_deactivate_and_delete(const store_fixture_t *f);
void store_case_tokens_and_reopen(const store_fixture_t *f);
void store_case_chat_rooms_and_participants(const store_fixture_t *f);
void store_case_chat_messages_threads_unread(const store_fixture_t *f);
void store_case_chat_reads_and_order(const store_fixture_t *f);
void store_case_notifications(const store_fixture_t *f);
void store_case_chat_people_and_reactions(const store_fixture_t *f);
void store_case_notification_kinds_and_preferences(const store_fixture_t *f);
void store_case_uploads(const store_fixture_t *f);

#endif
