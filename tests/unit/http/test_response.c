/* tests/unit/http/test_response.c: response serialisation, byte for byte. */
#include "http/response.h"

#include "test.h"

#include <jansson.h>

/* NUL-terminate the buffer's content for string comparison. */
static const char *text(buf_t *b)
{
    *buf_reserve(b, 1) = '\0';
    return buf_head(b);
}

TEST(http_response_simple_200)
{
    buf_t out = BUF_INIT;
    http_response_append(&out, 200, "text/plain", NULL, "hello", 5, 1);
    ASSERT_STR_EQ(text(&out), "HTTP/1.1 200 OK\r\n"
                              "Content-Type: text/plain\r\n"
                              "Content-Length: 5\r\n"
                              "Connection: keep-alive\r\n"
                              "\r\n"
                              "hello");
    /* Appends after what is there; no content type, extra headers, close. */
    buf_reset(&out);
    buf_puts(&out, "X");
    http_response_append(&out, 404, NULL, "X-A: 1\r\nX-B: 2\r\n", NULL, 0, 0);
    ASSERT_STR_EQ(text(&out), "XHTTP/1.1 404 Not Found\r\n"
                              "Content-Length: 0\r\n"
                              "Connection: close\r\n"
                              "X-A: 1\r\n"
                              "X-B: 2\r\n"
                              "\r\n");
    buf_deinit(&out);
}

TEST(http_response_error_shape)
{
    buf_t out = BUF_INIT;
    http_response_append_error(&out, 404, "Not found", 1);
    static const char body[] = "{\"success\":false,\"message\":\"Not found\",\"error_details\":{}}";
    buf_t want = BUF_INIT;
    buf_printf(&want,
               "HTTP/1.1 404 Not Found\r\n"
               "Content-Type: application/json; charset=utf-8\r\n"
               "Content-Length: %zu\r\n"
               "Connection: keep-alive\r\n"
               "\r\n%s",
               sizeof body - 1, body);
    ASSERT_STR_EQ(text(&out), text(&want));
    ASSERT_EQ(sizeof body - 1, 58);
    buf_deinit(&want);
    buf_deinit(&out);
}

TEST(http_response_error_escapes)
{
    static const char msg[] = "bad \"name\" \\ tab\t nl\n ctl\x01 del\x7f caf\xc3\xa9";
    buf_t out = BUF_INIT;
    http_response_append_error(&out, 422, msg, 0);
    const char *all = text(&out);
    ASSERT(strncmp(all, "HTTP/1.1 422 Unprocessable Entity\r\n", 35) == 0);
    ASSERT(strstr(all, "Connection: close\r\n") != NULL);
    const char *body = strstr(all, "\r\n\r\n");
    ASSERT_NOT_NULL(body);
    body += 4;
    size_t body_len = out.len - (size_t)(body - all);
    ASSERT_STR_EQ(body,
                  "{\"success\":false,\"message\":\"bad \\\"name\\\" \\\\ tab\\t nl\\n ctl\\u0001 "
                  "del\\u007f caf\xc3\xa9\",\"error_details\":{}}");
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", body_len);
    ASSERT(strstr(all, cl) != NULL);

    /* A JSON parser reads the message back unchanged. */
    json_error_t jerr;
    json_t *j = json_loadb(body, body_len, 0, &jerr);
    ASSERT_NOT_NULL(j);
    ASSERT(json_is_false(json_object_get(j, "success")));
    int same = strcmp(json_string_value(json_object_get(j, "message")), msg) == 0;
    int has_details = json_is_object(json_object_get(j, "error_details"));
    json_decref(j);
    ASSERT(same);
    ASSERT(has_details);
    buf_deinit(&out);
}

TEST(http_response_json)
{
    buf_t out = BUF_INIT;
    http_response_append_json(&out, 201, "{\"id\":1}", 8, 1);
    ASSERT_STR_EQ(text(&out), "HTTP/1.1 201 Created\r\n"
                              "Content-Type: application/json; charset=utf-8\r\n"
                              "Content-Length: 8\r\n"
                              "Connection: keep-alive\r\n"
                              "\r\n"
                              "{\"id\":1}");
    buf_deinit(&out);
}

TEST(http_response_101_and_204)
{
    buf_t out = BUF_INIT;
    http_response_append(&out, 101, NULL,
                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
                         NULL, 0, 1);
    ASSERT_STR_EQ(text(&out), "HTTP/1.1 101 Switching Protocols\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                              "\r\n");
    buf_reset(&out);
    http_response_append(&out, 204, NULL, NULL, NULL, 0, 1);
    ASSERT_STR_EQ(text(&out), "HTTP/1.1 204 No Content\r\n"
                              "Connection: keep-alive\r\n"
                              "\r\n");
    buf_deinit(&out);
}

TEST(http_response_status_text)
{
    ASSERT_STR_EQ(http_status_text(200), "OK");
    ASSERT_STR_EQ(http_status_text(101), "Switching Protocols");
    ASSERT_STR_EQ(http_status_text(202), "Accepted");
    ASSERT_STR_EQ(http_status_text(204), "No Content");
    ASSERT_STR_EQ(http_status_text(400), "Bad Request");
    ASSERT_STR_EQ(http_status_text(401), "Unauthorized");
    ASSERT_STR_EQ(http_status_text(403), "Forbidden");
    ASSERT_STR_EQ(http_status_text(405), "Method Not Allowed");
    ASSERT_STR_EQ(http_status_text(409), "Conflict");
    ASSERT_STR_EQ(http_status_text(413), "Payload Too Large");
    ASSERT_STR_EQ(http_status_text(422), "Unprocessable Entity");
    ASSERT_STR_EQ(http_status_text(431), "Request Header Fields Too Large");
    ASSERT_STR_EQ(http_status_text(500), "Internal Server Error");
    ASSERT_STR_EQ(http_status_text(503), "Service Unavailable");
    ASSERT_STR_EQ(http_status_text(299), "Unknown");
}
