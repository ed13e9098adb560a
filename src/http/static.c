/* http/static: small files read at start and served from memory. See
 * static.h. */
#include "http/static.h"

#include "core/alloc.h"
#include "core/err.h"
#include "http/server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct static_file {
    char *url;        /* the route's pattern */
    const char *type; /* static */
    char *data;
    size_t len;
};

struct http_static {
    struct static_file files[HTTP_STATIC_MAX_FILES];
    size_t count;
};

/* Scripts, styles, images and WebSocket connections from this server only;
 * no plugins, no framing by other sites. */
static const char html_headers[] =
    "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'\r\n";
static const char other_headers[] =
    "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n";

const char *http_static_content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    if (!dot) return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return NULL;
}

/* A file name we serve: [A-Za-z0-9._-]+, not starting with '.'. */
static int safe_name(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.') return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* "/" or "/" followed by safe segments joined by '/'. */
static int safe_url(const char *url)
{
    if (url[0] != '/') return 0;
    if (url[1] == '\0') return 1;
    for (const char *s = url + 1;;) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (!safe_name(s, len)) return 0;
        if (!slash) return 1;
        s = slash + 1;
    }
}

http_static_t *http_static_new(void)
{
    return xcalloc(1, sizeof(http_static_t));
}

void http_static_free(http_static_t *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->count; i++) {
        free(st->files[i].url);
        free(st->files[i].data);
    }
    free(st);
}

static int read_file(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return ERR_INVAL;
    }
    if (sb.st_size > HTTP_STATIC_MAX_FILE) {
        close(fd);
        return ERR_LIMIT;
    }
    size_t size = (size_t)sb.st_size, got = 0;
    char *buf = xmalloc(size + 1);
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

int http_static_add_file(http_static_t *st, const char *url, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *type = http_static_content_type(slash ? slash + 1 : path);
    if (!type || !safe_url(url)) return ERR_INVAL;
    if (st->count == HTTP_STATIC_MAX_FILES) return ERR_LIMIT;
    struct static_file *f = &st->files[st->count];
    int rc = read_file(path, &f->data, &f->len);
    if (rc) return rc;
    f->url = xstrdup(url);
    f->type = type;
    st->count++;
    return 0;
}

int http_static_add_dir(http_static_t *st, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -errno;
    int added = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (!safe_name(name, strlen(name)) || !http_static_content_type(name)) continue;
        char path[4096], url[300];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        snprintf(url, sizeof url, "/%s", name);
        if (http_static_add_file(st, url, path) != 0) continue;
        added++;
        if (strcmp(name, "index.html") == 0 && http_static_add_file(st, "/", path) == 0) added++;
    }
    closedir(d);
    return added;
}

int http_static_has(const http_static_t *st, const char *url)
{
    for (size_t i = 0; i < st->count; i++)
        if (strcmp(st->files[i].url, url) == 0) return 1;
    return 0;
}

static void on_file(http_exchange_t *x, void *data)
{
    const struct static_file *f = data;
    int html = strncmp(f->type, "text/html", 9) == 0;
    http_respond(x, 200, f->type, html ? html_headers : other_headers, f->data, f->len);
}

void http_static_register(const http_static_t *st, http_router_t *r)
{
    for (size_t i = 0; i < st->count; i++)
        http_router_add(r, HTTP_GET, st->files[i].url, on_file, (void *)&st->files[i]);
}
