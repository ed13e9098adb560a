/* Unit tests for http/access_log: the target the access log shows, with
 * credentials filtered out and client bytes escaped. */
#include "test.h"

#include "http/access_log.h"

static const char *target(char *out, size_t cap, const char *path, const char *query)
{
    return http_access_target(out, cap, path, strlen(path), query, query ? strlen(query) : 0);
}
#define TARGET(out, path, query) target(out, sizeof out, path, query)

TEST(http_access_target_filters_credentials)
{
    char out[256];
    ASSERT_STR_EQ(TARGET(out, "/cable", "token=eyJ.abc.def"), "/cable?token=[FILTERED]");
    ASSERT_STR_EQ(TARGET(out, "/x", "page=2&access_token=a&Refresh_Token=b&api_key=c&per_page=5"),
                  "/x?page=2&access_token=[FILTERED]&Refresh_Token=[FILTERED]&api_key=[FILTERED]"
                  "&per_page=5");
    /* Names are decoded as the server decodes them. */
    ASSERT_STR_EQ(TARGET(out, "/cable", "%74oken=secret&t%6Fken=x"),
                  "/cable?%74oken=[FILTERED]&t%6Fken=[FILTERED]");
    ASSERT_STR_EQ(TARGET(out, "/cable", "token"), "/cable?token");
    ASSERT_STR_EQ(TARGET(out, "/health", NULL), "/health");
    ASSERT_STR_EQ(TARGET(out, "/a\"b", "q=\x01"), "/a\\x22b?q=\\x01");
}
