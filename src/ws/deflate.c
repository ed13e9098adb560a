/* ws/deflate: permessage-deflate, see deflate.h.
 *
 * Negotiation walks the header once: list elements are split at commas
 * outside quoted strings, and each element is parsed on its own, so one
 * malformed offer costs only itself (RFC 7230 section 7 list syntax; RFC
 * 6455 section 9.1 for the extension grammar).
 *
 * Compressing: deflate with Z_SYNC_FLUSH ends the output on an empty stored
 * block, 00 00 FF FF, which section 7.2.1 removes. Each thread keeps one
 * compressor per window size and resets it before every message, which is
 * what server_no_context_takeover promises.
 *
 * Inflating: section 7.2.2 appends the 00 00 FF FF back before the last
 * inflate call of a message. Output grows in 16 KiB steps and stops one
 * byte past the caller's limit, so a message that inflates a thousandfold
 * costs at most the limit plus a step. zlib allocates through a counting
 * hook so a connection's state is known to the byte (ws_inflate_memory and
 * the cabled_inflate_bytes gauge). */
#include "ws/deflate.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/metrics.h"
#include "ws/frame.h"

#include <assert.h>
#include <limits.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define INFLATE_STEP 16384

/* ---- negotiation ------------------------------------------------------------------------------ */

static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

static const char *token_end(const char *p, const char *end)
{
    while (p < end && is_tchar((unsigned char)*p)) p++;
    return p;
}

static int token_is(const char *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* A window size as section 7.1.2 writes it: 8..15, no leading zero. */
static int window_bits(const char *v, size_t n)
{
    if (n == 1 && (v[0] == '8' || v[0] == '9')) return v[0] - '0';
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
    return 0;
}

/* One list element [p, end). Returns 1 when it is a permessage-deflate
 * offer we accept (filling *out), 0 otherwise. */
static int parse_offer(const char *p, const char *end, ws_deflate_params_t *out)
{
    p = skip_ows(p, end);
    const char *name = p;
    p = token_end(p, end);
    if (p == name || !token_is(name, (size_t)(p - name), "permessage-deflate")) return 0;

    int seen_snct = 0, seen_cnct = 0, seen_smwb = 0, seen_cmwb = 0;
    int server_bits = 0, client_bits = 0;
    for (;;) {
        p = skip_ows(p, end);
        if (p == end) break;
        if (*p != ';') return 0;
        p = skip_ows(p + 1, end);
        const char *pname = p;
        p = token_end(p, end);
        size_t pname_len = (size_t)(p - pname);
        if (pname_len == 0) return 0;
        p = skip_ows(p, end);
        /* The value, unquoted: window sizes are at most two characters, so a
         * small buffer holds every value we could accept. */
        char value[4];
        size_t value_len = 0;
        int has_value = 0, value_too_long = 0;
        if (p < end && *p == '=') {
            has_value = 1;
            p = skip_ows(p + 1, end);
            if (p < end && *p == '"') {
                p++;
                for (;;) {
                    if (p == end) return 0;
                    char c = *p++;
                    if (c == '"') break;
                    if (c == '\\') {
                        if (p == end) return 0;
                        c = *p++;
                    }
                    /* After unescaping, the value must still be a token
                     * (RFC 6455 section 9.1). */
                    if (!is_tchar((unsigned char)c)) return 0;
                    if (value_len < sizeof value)
                        value[value_len++] = c;
                    else
                        value_too_long = 1;
                }
            } else {
                const char *v = p;
                p = token_end(p, end);
                if (p == v) return 0;
                if ((size_t)(p - v) > sizeof value) {
                    value_too_long = 1;
                } else {
                    value_len = (size_t)(p - v);
                    memcpy(value, v, value_len);
                }
            }
            if (value_too_long) value_len = 0;
        }

        if (token_is(pname, pname_len, "server_no_context_takeover")) {
            if (seen_snct++ || has_value) return 0;
        } else if (token_is(pname, pname_len, "client_no_context_takeover")) {
            if (seen_cnct++ || has_value) return 0;
        } else if (token_is(pname, pname_len, "server_max_window_bits")) {
            if (seen_smwb++ || !has_value) return 0;
            server_bits = window_bits(value, value_len);
            if (!server_bits) return 0;
        } else if (token_is(pname, pname_len, "client_max_window_bits")) {
            if (seen_cmwb++) return 0;
            client_bits = 15;
            if (has_value) {
                client_bits = window_bits(value, value_len);
                if (!client_bits) return 0;
            }
        } else {
            /* Section 7.1: an offer with a parameter we do not know is
             * declined. */
            return 0;
        }
    }
    /* zlib refuses a raw deflate stream with a 256-byte window, and a
     * bigger one would break the client's limit: decline (section 7.1.2.1
     * lets the server). */
    if (server_bits == 8) return 0;

    memset(out, 0, sizeof *out);
    out->enabled = 1;
    out->client_no_context_takeover = (uint8_t)seen_cnct;
    out->server_window_bits = (uint8_t)(server_bits ? server_bits : WS_DEFLATE_SERVER_WINDOW_BITS);
    out->answer_server_window = server_bits != 0;
    if (seen_cmwb) {
        /* Section 7.1.2.2: we may name a window no larger than the one
         * offered; a smaller one bounds the state we keep per connection. */
        out->client_window_bits = (uint8_t)(client_bits < WS_DEFLATE_CLIENT_WINDOW_BITS
                                                ? client_bits
                                                : WS_DEFLATE_CLIENT_WINDOW_BITS);
        out->answer_client_window = 1;
    } else {
        out->client_window_bits = 15;
    }
    return 1;
}

int ws_deflate_negotiate(const char *offers, size_t len, ws_deflate_params_t *out)
{
    memset(out, 0, sizeof *out);
    const char *p = offers, *end = offers + len;
    while (p < end) {
        /* The element runs to the next comma outside a quoted string. */
        const char *s = p;
        int quoted = 0;
        while (p < end) {
            if (quoted && *p == '\\' && p + 1 < end) {
                p += 2;
                continue;
            }
            if (*p == '"') quoted = !quoted;
            if (!quoted && *p == ',') break;
            p++;
        }
        if (parse_offer(s, p, out)) return 1;
        if (p < end) p++; /* the comma */
    }
    memset(out, 0, sizeof *out);
    return 0;
}

void ws_deflate_append_response(buf_t *out, const ws_deflate_params_t *p)
{
    buf_puts(out, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover");
    if (p->client_no_context_takeover) buf_puts(out, "; client_no_context_takeover");
    if (p->answer_server_window) buf_printf(out, "; server_max_window_bits=%u", (unsigned)p->server_window_bits);
    if (p->answer_client_window) buf_printf(out, "; client_max_window_bits=%u", (unsigned)p->client_window_bits);
    buf_puts(out, "\r\n");
}

/* ---- compressing ------------------------------------------------------------------------------ */

static _Thread_local struct {
    z_stream *z[16];           /* by window bits; NULL until first used */
    buf_t scratch;             /* compressed bytes before they are framed */
} compressors;

payload_t *ws_deflate_frame(int opcode, const void *data, size_t len, int window_bits)
{
    assert(window_bits >= 9 && window_bits <= 15);
    /* zlib counts in uInt; no frame we send comes near it. */
    if (len > UINT_MAX / 2) return NULL;
    z_stream *z = compressors.z[window_bits];
    if (!z) {
        z = xcalloc(1, sizeof *z);
        if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            free(z);
            return NULL;
        }
        compressors.z[window_bits] = z;
    } else {
        deflateReset(z);
    }
    /* The sync flush adds at most an empty stored block (5 bytes) and a
     * partial byte to deflateBound. */
    size_t bound = deflateBound(z, (uLong)len) + 16;
    buf_t *b = &compressors.scratch;
    buf_reset(b);
    z->next_in = (Bytef *)data;
    z->avail_in = (uInt)len;
    z->next_out = (Bytef *)buf_reserve(b, bound);
    z->avail_out = (uInt)bound;
    int rc = deflate(z, Z_SYNC_FLUSH);
    size_t clen = bound - z->avail_out;
    if (rc != Z_OK || z->avail_in != 0 || clen < 4) return NULL;
    clen -= 4; /* 00 00 FF FF */
    if (clen >= len) return NULL;
    uint8_t header[10];
    size_t header_len = ws_frame_header_encode(header, opcode, 1, clen);
    header[0] |= 0x40; /* RSV1: "Per-Message Compressed" (section 6) */
    payload_t *p = payload_new(header_len + clen);
    memcpy(p->data, header, header_len);
    memcpy(p->data + header_len, buf_head(b), clen);
    METRIC_INC(deflate_frames_total);
    return p;
}

void ws_deflate_thread_free(void)
{
    for (size_t i = 0; i < sizeof compressors.z / sizeof compressors.z[0]; i++) {
        if (!compressors.z[i]) continue;
        deflateEnd(compressors.z[i]);
        free(compressors.z[i]);
        compressors.z[i] = NULL;
    }
    buf_deinit(&compressors.scratch);
}

/* ---- inflating -------------------------------------------------------------------------------- */

/* zlib's allocations for one inflater, counted: each block starts with its
 * size, padded to keep the rest aligned. */
#define ZHDR alignof(max_align_t)
static_assert(ZHDR >= sizeof(size_t), "the size fits in front of the block");

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    ws_inflate_t *z = opaque;
    size_t n = (size_t)items * size;
    char *p = malloc(ZHDR + n);
    if (!p) return Z_NULL;
    memcpy(p, &n, sizeof n);
    z->_bytes += n;
    METRIC_ADD(inflate_bytes, (long)n);
    return p + ZHDR;
}

static void z_free(voidpf opaque, voidpf address)
{
    ws_inflate_t *z = opaque;
    char *p = (char *)address - ZHDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    z->_bytes -= n;
    METRIC_ADD(inflate_bytes, -(long)n);
    free(p);
}

void ws_inflate_init(ws_inflate_t *z, int window_bits, int no_context_takeover)
{
    memset(z, 0, sizeof *z);
    /* A larger window reads anything a smaller one wrote; 9 also covers
     * clients whose zlib turns a 256-byte window into 512 bytes. */
    z->_window_bits = (uint8_t)(window_bits < 9 ? 9 : window_bits > 15 ? 15 : window_bits);
    z->_no_takeover = (uint8_t)(no_context_takeover != 0);
}

static void stream_free(ws_inflate_t *z)
{
    z_stream *s = z->_z;
    if (!s) return;
    inflateEnd(s);
    z->_bytes -= sizeof *s;
    METRIC_ADD(inflate_bytes, -(long)sizeof *s);
    free(s);
    z->_z = NULL;
    z->_ended = 0;
}

void ws_inflate_deinit(ws_inflate_t *z)
{
    stream_free(z);
}

void ws_inflate_idle(ws_inflate_t *z)
{
    if (z->_no_takeover) stream_free(z);
}

static int stream_get(ws_inflate_t *z)
{
    if (z->_z) return 0;
    z_stream *s = xcalloc(1, sizeof *s);
    z->_bytes += sizeof *s;
    METRIC_ADD(inflate_bytes, (long)sizeof *s);
    s->zalloc = z_alloc;
    s->zfree = z_free;
    s->opaque = z;
    z->_z = s;
    if (inflateInit2(s, -(int)z->_window_bits) != Z_OK) {
        /* Only allocation failure gets here; zlib freed its part. */
        z->_bytes -= sizeof *s;
        METRIC_ADD(inflate_bytes, -(long)sizeof *s);
        free(s);
        z->_z = NULL;
        return ERR_DEFLATE;
    }
    return 0;
}

/* Inflate 'len' bytes into 'out' up to 'max_out'. 'tail': these are the
 * 00 00 FF FF we add, which may follow a stream that already ended. */
static int run(ws_inflate_t *z, const void *in, size_t len, int tail, buf_t *out, size_t max_out)
{
    z_stream *s = z->_z;
    if (z->_ended) return tail || len == 0 ? 0 : ERR_DEFLATE;
    s->next_in = (Bytef *)in;
    s->avail_in = (uInt)len;
    for (;;) {
        size_t room = max_out + 1 - out->len;
        size_t step = room < INFLATE_STEP ? room : INFLATE_STEP;
        s->next_out = (Bytef *)buf_reserve(out, step);
        s->avail_out = (uInt)step;
        int rc = inflate(s, Z_SYNC_FLUSH);
        buf_commit(out, step - s->avail_out);
        if (out->len > max_out) return ERR_TOO_BIG;
        if (rc == Z_STREAM_END) {
            /* A final block (BFINAL) ends the client's stream: anything of
             * the message after it is invalid; its next message starts a
             * new stream. */
            z->_ended = 1;
            if (s->avail_in && !tail) return ERR_DEFLATE;
            inflateReset(s);
            return 0;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) return ERR_DEFLATE;
        if (s->avail_out != 0) {
            /* Everything that could come out did: the input is used up, or
             * it stops in the middle of a block (more comes with the next
             * fragment). */
            if (s->avail_in == 0) return 0;
            if (rc == Z_BUF_ERROR) return ERR_DEFLATE;
        }
    }
}

int ws_inflate_feed(ws_inflate_t *z, const void *in, size_t len, int fin, buf_t *out,
                    size_t max_out)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xFF, 0xFF};
    if (len > UINT_MAX / 2 || out->len > max_out) return ERR_TOO_BIG;
    int rc = stream_get(z);
    if (rc == 0) rc = run(z, in, len, 0, out, max_out);
    if (rc == 0 && fin) {
        rc = run(z, tail, sizeof tail, 1, out, max_out);
        z->_ended = 0;
        if (rc == 0 && z->_no_takeover && z->_z) inflateReset(z->_z);
    }
    if (rc < 0 && z->_z) {
        inflateReset(z->_z);
        z->_ended = 0;
    }
    return rc;
}
