/* Unit tests for channels/access_cache: an allowed pair counts only at the
 * access version it was checked at; uuids map to rooms; clear forgets. */
#include "test.h"

#include "channels/access_cache.h"

TEST(access_cache_allows_only_at_the_version_checked)
{
    access_cache_clear();
    ASSERT_EQ(access_cache_allowed(5, 7, 0), 0);
    access_cache_allow(5, 7, 3);
    ASSERT_EQ(access_cache_allowed(5, 7, 3), 1);
    /* A removal moved the room's version: stale. */
    ASSERT_EQ(access_cache_allowed(5, 7, 4), 0);
    /* Another member, another room: not allowed. */
    ASSERT_EQ(access_cache_allowed(5, 8, 3), 0);
    ASSERT_EQ(access_cache_allowed(6, 7, 3), 0);
    /* Checked again at the new version. */
    access_cache_allow(5, 7, 4);
    ASSERT_EQ(access_cache_allowed(5, 7, 4), 1);
    ASSERT_EQ(access_cache_allowed(5, 7, 3), 0);

    ASSERT_EQ(access_cache_room("5a0c7c1e-0000-4000-8000-000000000001"), 0);
    access_cache_room_add("5a0c7c1e-0000-4000-8000-000000000001", 5);
    ASSERT_EQ(access_cache_room("5a0c7c1e-0000-4000-8000-000000000001"), 5);
    access_cache_clear();
    ASSERT_EQ(access_cache_allowed(5, 7, 4), 0);
    ASSERT_EQ(access_cache_room("5a0c7c1e-0000-4000-8000-000000000001"), 0);
}
