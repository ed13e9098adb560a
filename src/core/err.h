/* core/err: the project's error codes.
 *
 * Functions returning int use 0 for success and a negative value for
 * failure: either one of the codes below or -errno from a system call. The
 * table is an X-macro so names and messages never drift from the values. */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#define ERR_MAP(X)                                                        \
    X(AGAIN, -1000, "operation would block, try again later")            \
    X(INVAL, -1001, "invalid argument")                                   \
    X(LIMIT, -1002, "limit exceeded")                                     \
    X(PROTO, -1100, "protocol error")                                     \
    X(UTF8, -1101, "invalid UTF-8")                                       \
    X(TOO_BIG, -1102, "message too big")                                  \
    X(JSON, -1103, "malformed JSON")                                      \
    X(DEFLATE, -1104, "invalid compressed data")                          \
    X(AUTH, -1200, "invalid token")                                       \
    X(EXPIRED, -1201, "token expired")                                    \
    X(FORBIDDEN, -1202, "not allowed")                                    \
    X(NOT_FOUND, -1203, "not found")                                      \
    X(CONFLICT, -1204, "already exists")                                  \
    X(NO_MESSAGE, -1205, "message not found")                             \
    X(NO_RECORD, -1206, "record not found")                               \
    X(STORE, -1400, "storage failure")                                    \
    X(UNAVAILABLE, -1401, "storage unavailable")                          \
    X(CLOSED, -1300, "connection closed")

enum err_code {
#define ERR_ENUM(name, value, msg) ERR_##name = (value),
    ERR_MAP(ERR_ENUM)
#undef ERR_ENUM
};

/* Return a static string naming 'code' ("ERR_LIMIT", "ENOENT", ...). */
const char *err_name(int code);
/* Return a static human-readable message for 'code'. */
const char *err_str(int code);

#endif
