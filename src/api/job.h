/* api/job: running a request's storage work on a worker thread.
 *
 * A handler validates what it can on the loop thread, then starts a job:
 * the exchange is deferred, 'work' runs on libuv's worker pool (where
 * blocking store calls are allowed) and sets the result, and the answer is
 * written back on the loop thread. Work functions never touch sockets; the
 * loop never touches the store.
 *
 *   loop: parse + validate ─► api_job_start ─► worker: work(job) ─► loop: respond */
#ifndef API_JOB_H
#define API_JOB_H

#include "api/api.h"
#include "http/server.h"

#include <jansson.h>
#include <uv.h>

typedef struct api_job api_job_t;
typedef void (*api_job_work_cb)(api_job_t *job);

struct api_job {
    /* inputs, read-only in 'work' */
    const api_context_t *ctx;
    long long member;          /* the member the request acts for (0: none) */
    http_exchange_t *x;        /* deferred; its request stays valid */
    json_t *body;              /* the parsed request body, or NULL */
    void *data;                /* the handler's extra input */
    /* the result, set by 'work' with api_job_ok / api_job_fail */
    int status;
    json_t *out;               /* response body (owned); NULL for 204 */
    char message[256];
    json_t *details;           /* error_details (owned) or NULL */
    char *bytes;               /* a body that is not JSON (owned), or NULL */
    size_t bytes_len;
    char bytes_type[128];      /* its Content-Type */
    char bytes_headers[512];   /* further header lines ("Name: value\r\n"), or "" */
    /* private */
    uv_work_t _w;
    api_job_work_cb _work;
    void (*_free_data)(void *);
};

/* Defer 'x' and run 'work' on a worker. Takes 'body' (may be NULL) and
 * 'data' (freed with free_data when not NULL). */
void api_job_start(http_exchange_t *x, const api_context_t *ctx, json_t *body,
                   api_job_work_cb work, void *data, void (*free_data)(void *));
/* api_job_start for a request that acts for 'member' (from its verified
 * token): before 'work' runs, a member this node does not know yet
 * (auth/members.h) is looked up, and one that does not exist or is
 * deactivated gets 401 "The access token is invalid." instead. */
void api_job_start_as(http_exchange_t *x, const api_context_t *ctx, long long member,
                      json_t *body, api_job_work_cb work, void *data,
                      void (*free_data)(void *));
/* Answer 'status' with 'out' (taken; NULL for an empty 204). */
void api_job_ok(api_job_t *job, int status, json_t *out);
/* Answer 'status' with 'len' bytes of 'content_type' ('bytes' taken; freed
 * with free) and the header lines 'extra' (borrowed; NULL for none). */
void api_job_ok_bytes(api_job_t *job, int status, const char *content_type, char *bytes,
                      size_t len, const char *extra);
/* Answer an error in Circle's shape; 'details' (taken) may be NULL. */
void api_job_fail(api_job_t *job, int status, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Answer a failure the handler has no better answer for: 503 "Service
 * unavailable" when the database cannot be reached (ERR_UNAVAILABLE: the
 * client may retry), 500 "Internal server error" for anything else. */
void api_job_fail_store(api_job_t *job, int rc);

/* Parse the request body as a JSON object. Returns a new reference, or
 * NULL after answering 400 (the handler then returns). */
json_t *api_body_object(http_exchange_t *x);
/* Respond with an error and field details {"<field>":["<problem>"]}. */
void api_respond_field_error(http_exchange_t *x, int status, const char *field,
                             const char *problem);
/* Encode and send a JSON value (borrowed). */
void api_respond_value(http_exchange_t *x, int status, const json_t *v);

#endif
