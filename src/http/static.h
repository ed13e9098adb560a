/* http/static: a few small files served as they were at start.
 *
 * Each file is read once, when it is added, and kept in memory; each gets
 * a GET route of its own with its exact URL path. Serving is then a lookup
 * in the router and a copy: no file system access while the server runs, so
 * no request can reach a file that was not added (no "..", no symbolic link
 * followed later, no directory listing), and a loop never blocks on a disk.
 * Changing a file takes a restart.
 *
 * A directory is added file by file, one level deep: names made of
 * letters, digits, '.', '_' and '-', not starting with '.', with a known
 * extension (content types below); anything else in it is skipped. Every
 * answer carries its exact Content-Type, "X-Content-Type-Options: nosniff"
 * and "Cache-Control: no-cache"; HTML pages also a Content-Security-Policy
 * that lets them load scripts, styles and connections from this server
 * only. */
#ifndef HTTP_STATIC_H
#define HTTP_STATIC_H

#include "http/router.h"

#include <stddef.h>

/* Largest file added, and most files. */
#define HTTP_STATIC_MAX_FILE  (1 << 20)
#define HTTP_STATIC_MAX_FILES 64

typedef struct http_static http_static_t;

/* Return owned an empty set of files. */
http_static_t *http_static_new(void);
/* Free the set (after the router that serves it). NULL: no-op. */
void http_static_free(http_static_t *st);

/* Read 'path' now and serve it at 'url' (an absolute URL path, borrowed:
 * copied). Returns 0; ERR_INVAL for an extension without a known content
 * type, or a URL that is not "/" plus safe segments; ERR_LIMIT for a file
 * over HTTP_STATIC_MAX_FILE or past HTTP_STATIC_MAX_FILES; or -errno. */
int http_static_add_file(http_static_t *st, const char *url, const char *path);
/* Add every servable file directly in 'dir' at "/<name>", and index.html
 * also at "/". Returns how many were added, or -errno when 'dir' cannot be
 * read. */
int http_static_add_dir(http_static_t *st, const char *dir);
/* Whether a file is served at 'url'. */
int http_static_has(const http_static_t *st, const char *url);
/* Add a GET route for every file. 'st' must outlive the router. */
void http_static_register(const http_static_t *st, http_router_t *r);

/* The Content-Type for a file name, by its extension ("text/html;
 * charset=utf-8" for .html), or NULL when it is not one we serve. */
const char *http_static_content_type(const char *name);

#endif
