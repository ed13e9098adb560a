/* Unit tests for core/metrics: labelled series in the Prometheus text
 * format (escaping, the series cap) and the delivery histogram's cumulative
 * buckets. */
#include "test.h"

#include "core/metrics.h"

static const char *text(buf_t *b)
{
    buf_reset(b);
    metrics_append_text(b);
    buf_append(b, "", 1);
    b->len--;
    return buf_head(b);
}

TEST(metrics_labelled_series_text)
{
    const char *a[] = {"/api/v1/broadcast", "POST", "202"};
    const char *b[] = {"/api/v1/broadcast", "POST", "400"};
    long before = metrics_series_get(METRICS_http_requests_total, a);
    metrics_series_add(METRICS_http_requests_total, a, 1);
    metrics_series_add(METRICS_http_requests_total, a, 2);
    metrics_series_add(METRICS_http_requests_total, b, 1);
    ASSERT_EQ(metrics_series_get(METRICS_http_requests_total, a), before + 3);
    const char *reason[] = {"too_\"slow\"\\\n"};
    metrics_series_add(METRICS_disconnects_total, reason, 1);
    buf_t out = BUF_INIT;
    const char *t = text(&out);
    ASSERT(strstr(t, "# TYPE cabled_http_requests_total counter\n"));
    char want[200];
    snprintf(want, sizeof want,
             "cabled_http_requests_total{route=\"/api/v1/"
             "broadcast\",method=\"POST\",status=\"202\"} %ld\n",
             before + 3);
    ASSERT(strstr(t, want));
    ASSERT(strstr(t, "cabled_disconnects_total{reason=\"too_\\\"slow\\\"\\\\\\n\"} 1\n"));
    ASSERT(strstr(t, "# TYPE cabled_channel_subscriptions gauge\n"));
    /* The unlabelled counters are still there. */
    ASSERT(strstr(t, "# TYPE cabled_disconnect_too_slow_total counter\n"));
    buf_deinit(&out);
}

TEST(metrics_series_cap)
{
    char name[32];
    for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
        snprintf(name, sizeof name, "Channel%d", i);
        const char *v[] = {name};
        metrics_series_add(METRICS_channel_subscriptions, v, 1);
    }
    const char *other[] = {"other"};
    ASSERT_GE(metrics_series_get(METRICS_channel_subscriptions, other), 10);
}

TEST(metrics_delivery_histogram)
{
    buf_t out = BUF_INIT;
    const char *t = text(&out);
    const char *inf = strstr(t, "cabled_broadcast_delivery_seconds_bucket{le=\"+Inf\"} ");
    ASSERT_NOT_NULL(inf);
    long before = atol(inf + strlen("cabled_broadcast_delivery_seconds_bucket{le=\"+Inf\"} "));
    metrics_delivery_observe(0, 80, 3);      /* <= 100 us */
    metrics_delivery_observe(1, 3000, 2);    /* <= 5 ms */
    metrics_delivery_observe(2, 9000000, 1); /* past every bound */
    t = text(&out);
    ASSERT(strstr(t, "# TYPE cabled_broadcast_delivery_seconds histogram\n"));
    char want[160];
    snprintf(want, sizeof want, "cabled_broadcast_delivery_seconds_bucket{le=\"+Inf\"} %ld\n",
             before + 6);
    ASSERT(strstr(t, want));
    snprintf(want, sizeof want, "cabled_broadcast_delivery_seconds_count %ld\n", before + 6);
    ASSERT(strstr(t, want));
    /* Cumulative: the 5 ms bucket holds the 100 us ones too. */
    const char *b1 = strstr(t, "_bucket{le=\"0.0001\"} ");
    const char *b5 = strstr(t, "_bucket{le=\"0.005\"} ");
    ASSERT(b1 && b5);
    ASSERT_GE(atol(b5 + strlen("_bucket{le=\"0.005\"} ")),
              atol(b1 + strlen("_bucket{le=\"0.0001\"} ")) + 2);
    ASSERT(strstr(t, "cabled_broadcast_delivery_seconds_sum "));
    buf_deinit(&out);
}
