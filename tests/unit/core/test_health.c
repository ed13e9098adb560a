/* Unit tests for core/health: states by component, levels, and the /health
 * body. */
#include "test.h"

#include "core/health.h"

static const char *report(buf_t *b, enum health_level *level)
{
    buf_reset(b);
    *level = health_append_json(b);
    buf_append(b, "", 1);
    b->len--;
    return buf_head(b);
}

TEST(health_reasons_by_component)
{
    buf_t b = BUF_INIT;
    enum health_level level;
    ASSERT(health_ok());
    ASSERT_STR_EQ(report(&b, &level), "{\"status\":\"ok\"}");
    ASSERT_EQ(level, HEALTH_OK);
    /* Degraded: still ok to serve. */
    health_set("pubsub", HEALTH_DEGRADED, "redis %s unreachable", "127.0.0.1:6379");
    ASSERT(health_ok());
    ASSERT_STR_EQ(report(&b, &level),
                  "{\"status\":\"degraded\",\"problems\":{\"pubsub\":\"redis 127.0.0.1:6379 unreachable\"}}");
    ASSERT_EQ(level, HEALTH_DEGRADED);
    /* Failing components make the node unhealthy. */
    health_set("disk", HEALTH_FAILING, "the database disk is full");
    health_set("database", HEALTH_FAILING, "the file is \"gone\"");
    ASSERT(!health_ok());
    ASSERT(health_is_set("disk"));
    ASSERT(!health_is_set("redis"));
    ASSERT_STR_EQ(report(&b, &level),
                  "{\"status\":\"unhealthy\",\"problems\":{\"pubsub\":\"redis 127.0.0.1:6379 "
                  "unreachable\",\"disk\":\"the database disk is full\",\"database\":\"the file is "
                  "\\\"gone\\\"\"}}");
    ASSERT_EQ(level, HEALTH_FAILING);
    /* A component holds one state, the last set; clearing one keeps the others. */
    health_set("disk", HEALTH_FAILING, "I/O error");
    health_set("database", HEALTH_OK, NULL);
    health_set("pubsub", HEALTH_OK, NULL);
    ASSERT_STR_EQ(report(&b, &level), "{\"status\":\"unhealthy\",\"problems\":{\"disk\":\"I/O error\"}}");
    health_set("database", HEALTH_OK, NULL);
    health_set("disk", HEALTH_DEGRADED, "slow");
    ASSERT(health_ok());
    health_set("disk", HEALTH_OK, NULL);
    ASSERT(health_ok());
    ASSERT_STR_EQ(report(&b, &level), "{\"status\":\"ok\"}");
    buf_deinit(&b);
}
