/* Unit tests for core/health: reasons by component and the /health body. */
#include "test.h"

#include "core/health.h"

static const char *report(buf_t *b)
{
    buf_reset(b);
    health_report(b);
    buf_append(b, "", 1);
    b->len--;
    return buf_head(b);
}

TEST(health_reasons_by_component)
{
    buf_t b = BUF_INIT;
    ASSERT(health_ok());
    ASSERT_STR_EQ(report(&b), "");
    health_set("disk", "the database disk is full");
    health_set("database", "the file is \"gone\"");
    ASSERT(!health_ok());
    ASSERT(health_is_set("disk"));
    ASSERT(!health_is_set("redis"));
    ASSERT_STR_EQ(report(&b), "{\"status\":\"unhealthy\",\"reasons\":[\"disk: the database disk is "
                              "full\",\"database: the file is \\\"gone\\\"\"]}");
    /* A component holds one reason, the last set; clearing one keeps the other. */
    health_set("disk", "I/O error");
    health_set("database", NULL);
    ASSERT_STR_EQ(report(&b), "{\"status\":\"unhealthy\",\"reasons\":[\"disk: I/O error\"]}");
    health_set("database", NULL);
    health_set("disk", NULL);
    ASSERT(health_ok());
    ASSERT_EQ(health_report(&b), 0);
    buf_deinit(&b);
}
