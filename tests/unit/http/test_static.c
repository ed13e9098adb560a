/* Unit tests for http/static: content types, which files of a directory
 * are served and at which paths. */
#include "test.h"

#include "core/err.h"
#include "http/router.h"
#include "http/static.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

TEST(http_static_content_types)
{
    ASSERT_STR_EQ(http_static_content_type("index.html"), "text/html; charset=utf-8");
    ASSERT_STR_EQ(http_static_content_type("a.b.js"), "text/javascript; charset=utf-8");
    ASSERT_STR_EQ(http_static_content_type("style.css"), "text/css; charset=utf-8");
    ASSERT_STR_EQ(http_static_content_type("x.svg"), "image/svg+xml");
    ASSERT_NULL(http_static_content_type("Makefile"));
    ASSERT_NULL(http_static_content_type("notes.md"));
    ASSERT_NULL(http_static_content_type("index.html.bak"));
}

TEST(http_static_dir_serves_only_safe_files)
{
    char dir[] = "/tmp/cabled-static-XXXXXX";
    ASSERT_NOT_NULL(mkdtemp(dir));
    put(dir, "index.html", "<p>hi</p>");
    put(dir, "app.js", "1");
    put(dir, ".secret.js", "no");
    put(dir, "notes.md", "no");
    put(dir, "we ird.js", "no");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0700);
    put(sub, "deep.js", "no");

    http_static_t *st = http_static_new();
    ASSERT_EQ(http_static_add_dir(st, dir), 3); /* index.html twice: "/" and "/index.html" */
    ASSERT(http_static_has(st, "/"));
    ASSERT(http_static_has(st, "/index.html"));
    ASSERT(http_static_has(st, "/app.js"));
    ASSERT(!http_static_has(st, "/.secret.js"));
    ASSERT(!http_static_has(st, "/notes.md"));
    ASSERT(!http_static_has(st, "/sub/deep.js"));
    ASSERT(!http_static_has(st, "/we ird.js"));
    /* URLs must be safe too, and the file's type known. */
    char path[600];
    snprintf(path, sizeof path, "%s/app.js", dir);
    ASSERT_EQ(http_static_add_file(st, "/../app.js", path), ERR_INVAL);
    ASSERT_EQ(http_static_add_file(st, "/a//b.js", path), ERR_INVAL);
    ASSERT_EQ(http_static_add_file(st, "/vendor/app.js", path), 0);
    snprintf(path, sizeof path, "%s/notes.md", dir);
    ASSERT_EQ(http_static_add_file(st, "/notes.md", path), ERR_INVAL);
    snprintf(path, sizeof path, "%s/missing.js", dir);
    ASSERT(http_static_add_file(st, "/missing.js", path) < 0);

    http_router_t *r = http_router_new();
    http_static_register(st, r);
    http_handler_cb cb;
    void *data;
    http_route_params_t ps;
    ASSERT_EQ(http_router_match(r, HTTP_GET, "/", 1, &cb, &data, &ps), 200);
    ASSERT_STR_EQ(ps.pattern, "/");
    ASSERT_EQ(http_router_match(r, HTTP_GET, "/vendor/app.js", 14, &cb, &data, &ps), 200);
    ASSERT_EQ(http_router_match(r, HTTP_GET, "/vendor/../app.js", 17, &cb, &data, &ps), 404);
    ASSERT_EQ(http_router_match(r, HTTP_POST, "/app.js", 7, &cb, &data, &ps), 405);
    http_router_free(r);
    http_static_free(st);

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}
