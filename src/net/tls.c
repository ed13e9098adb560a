/* net/tls: OpenSSL behind a BIO of our own. See tls.h. */
#include "net/tls.h"

#include "core/alloc.h"
#include "core/err.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TLS 1.2 suites: forward secrecy and AEAD only (ECDHE with AES-GCM or
 * ChaCha20-Poly1305), as Mozilla's "intermediate" profile without DHE.
 * TLS 1.3 keeps OpenSSL's suites, which are all of that kind. */
#define TLS12_CIPHERS                                                                  \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                       \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                       \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS   "X25519:P-256:P-384"
/* Plaintext gathered into one record: small frames queued in one pass go
 * out as one record, not one record (and 22 bytes of overhead) each. */
#define TLS_RECORD 16384

struct net_tls_ctx {
    pthread_mutex_t lock; /* guards 'ssl_ctx' against a reload */
    SSL_CTX *ssl_ctx;     /* for new handshakes; one reference is ours */
    net_tls_config_t cfg;
};

struct net_tls {
    SSL *ssl;
    buf_t out;           /* ciphertext to send */
    const char *in;      /* ciphertext received, borrowed during net_tls_read */
    size_t in_len;
    const char *error;   /* why it failed: a static string */
    unsigned ready : 1;  /* handshake done */
    unsigned shut : 1;   /* close_notify queued */
};

/* ---- the BIO between OpenSSL and the connection ---------------------------
 * Reads take from the bytes net_tls_read was given, and report "retry" when
 * they are used up (OpenSSL keeps a partial record in its own buffer);
 * writes append to t->out and always succeed. */

static BIO_METHOD *bio_method;

/* OpenSSL could not allocate a BIO or an SSL object: like xmalloc, abort. */
static void out_of_memory(const char *what)
{
    fprintf(stderr, "cabled: out of memory creating %s\n", what);
    abort();
}
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *b, const char *data, int len)
{
    net_tls_t *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0) return 0;
    buf_append(&t->out, data, (size_t)len);
    return len;
}

static int bio_read(BIO *b, char *data, int len)
{
    net_tls_t *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (t->in_len == 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = (size_t)len < t->in_len ? (size_t)len : t->in_len;
    memcpy(data, t->in, n);
    t->in += n;
    t->in_len -= n;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    net_tls_t *t = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING: return t ? (long)t->in_len : 0;
    case BIO_CTRL_WPENDING: return 0;
    default: return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void bio_method_init(void)
{
    bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cabled conn");
    if (!bio_method || !BIO_meth_set_write(bio_method, bio_write) ||
        !BIO_meth_set_read(bio_method, bio_read) || !BIO_meth_set_ctrl(bio_method, bio_ctrl) ||
        !BIO_meth_set_create(bio_method, bio_create))
        out_of_memory("the TLS BIO method");
}

/* ---- the context ---------------------------------------------------------- */

/* The reason of the last OpenSSL error, for a message. */
static void ssl_reason(char *err, size_t cap, const char *what, const char *file)
{
    unsigned long e = ERR_peek_last_error();
    char why[256] = "unknown error";
    if (e) ERR_error_string_n(e, why, sizeof why);
    ERR_clear_error();
    snprintf(err, cap, "%s %s: %s", what, file, why);
}

/* RFC 7301: we speak http/1.1 only. A client that offers ALPN without it
 * (h2 alone, say) could not talk to us: it gets no_application_protocol. */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *sel;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof ours - 1, in, inlen) !=
            OPENSSL_NPN_NEGOTIATED ||
        *outlen != 8 || memcmp(sel, "http/1.1", 8) != 0)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *build(const net_tls_config_t *cfg, char *err, size_t cap)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_reason(err, cap, "cannot create a TLS context", "");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Buffers are freed whenever they are empty: an idle connection keeps
     * none of OpenSSL's 17 KiB read and write buffers. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    /* Resumption by stateless ticket only: no session cache shared (and
     * locked) between the loops. One ticket is enough for one reconnect. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
    if (!SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) ||
        !SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) || !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS)) {
        ssl_reason(err, cap, "cannot set the ciphers", "");
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
        ssl_reason(err, cap, "cannot load the certificate", cfg->cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
        ssl_reason(err, cap, "cannot load the key", cfg->key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_reason(err, cap, "the key does not match the certificate", cfg->cert_file);
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

net_tls_ctx_t *net_tls_ctx_new(const net_tls_config_t *cfg, char *err, size_t cap)
{
    pthread_once(&bio_once, bio_method_init);
    SSL_CTX *ssl_ctx = build(cfg, err, cap);
    if (!ssl_ctx) return NULL;
    net_tls_ctx_t *ctx = xcalloc(1, sizeof *ctx);
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->ssl_ctx = ssl_ctx;
    ctx->cfg = *cfg;
    return ctx;
}

int net_tls_ctx_reload(net_tls_ctx_t *ctx, char *err, size_t cap)
{
    SSL_CTX *fresh = build(&ctx->cfg, err, cap);
    if (!fresh) return ERR_INVAL;
    pthread_mutex_lock(&ctx->lock);
    SSL_CTX *old = ctx->ssl_ctx;
    ctx->ssl_ctx = fresh;
    pthread_mutex_unlock(&ctx->lock);
    /* Sessions started on the old one hold their own references. */
    SSL_CTX_free(old);
    return 0;
}

void net_tls_ctx_free(net_tls_ctx_t *ctx)
{
    if (!ctx) return;
    SSL_CTX_free(ctx->ssl_ctx);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

unsigned net_tls_ctx_handshake_ms(const net_tls_ctx_t *ctx)
{
    return ctx->cfg.handshake_ms;
}

void net_tls_ctx_describe(net_tls_ctx_t *ctx, char *out, size_t cap)
{
    out[0] = '\0';
    pthread_mutex_lock(&ctx->lock);
    X509 *x = SSL_CTX_get0_certificate(ctx->ssl_ctx);
    if (x) {
        char subject[256] = "";
        X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
        BIO *mem = BIO_new(BIO_s_mem());
        char until[64] = "";
        if (mem && ASN1_TIME_print(mem, X509_get0_notAfter(x)) == 1) {
            int n = BIO_read(mem, until, sizeof until - 1);
            until[n > 0 ? n : 0] = '\0';
        }
        BIO_free(mem);
        snprintf(out, cap, "subject=\"%s\" not_after=\"%s\"", subject, until);
    }
    pthread_mutex_unlock(&ctx->lock);
}

/* ---- a connection -------------------------------------------------------- */

net_tls_t *net_tls_new(net_tls_ctx_t *ctx)
{
    net_tls_t *t = xcalloc(1, sizeof *t);
    pthread_mutex_lock(&ctx->lock);
    t->ssl = SSL_new(ctx->ssl_ctx);
    pthread_mutex_unlock(&ctx->lock);
    BIO *bio = t->ssl ? BIO_new(bio_method) : NULL;
    if (!bio) out_of_memory("a TLS session");
    BIO_set_data(bio, t);
    /* One BIO both ways: SSL_set_bio takes the one reference. */
    SSL_set_bio(t->ssl, bio, bio);
    SSL_set_accept_state(t->ssl);
    return t;
}

void net_tls_free(net_tls_t *t)
{
    if (!t) return;
    SSL_free(t->ssl);
    buf_deinit(&t->out);
    free(t);
}

/* Why OpenSSL failed, as a static string for logs. */
static const char *failure(SSL *ssl, int rc)
{
    int e = SSL_get_error(ssl, rc);
    unsigned long code = ERR_peek_last_error();
    const char *why = code ? ERR_reason_error_string(code) : NULL;
    ERR_clear_error();
    if (why) return why;
    return e == SSL_ERROR_SYSCALL ? "unexpected eof" : "tls error";
}

int net_tls_read(net_tls_t *t, const char *data, size_t len, buf_t *plain)
{
    /* Decrypted in a buffer of the thread's, then appended: a handshake
     * alone never grows the connection's input buffer. */
    static _Thread_local char clear[TLS_RECORD];
    int rc = NET_TLS_OK;
    t->in = data;
    t->in_len = len;
    ERR_clear_error();
    for (;;) {
        size_t got = 0;
        int r = SSL_read_ex(t->ssl, clear, sizeof clear, &got);
        if (r == 1) {
            buf_append(plain, clear, got);
            continue;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            rc = NET_TLS_EOF;
            break;
        }
        t->error = failure(t->ssl, r);
        rc = NET_TLS_FAILED;
        break;
    }
    if (!t->ready && SSL_is_init_finished(t->ssl)) t->ready = 1;
    t->in = NULL;
    t->in_len = 0;
    return rc;
}

/* Encrypt one piece; our BIO takes everything, so a write is whole. */
static int seal(net_tls_t *t, const void *p, size_t len)
{
    size_t done = 0;
    int r = SSL_write_ex(t->ssl, p, len, &done);
    if (r == 1 && done == len) return 0;
    t->error = failure(t->ssl, r);
    return -1;
}

long net_tls_write(net_tls_t *t, const uv_buf_t *iov, size_t n, size_t max)
{
    static _Thread_local char stage[TLS_RECORD];
    size_t staged = 0, taken = 0;
    if (!t->ready || t->shut) return 0;
    ERR_clear_error();
    for (size_t i = 0; i < n && taken < max; i++) {
        const char *p = iov[i].base;
        size_t len = iov[i].len;
        if (len > max - taken) len = max - taken;
        taken += len;
        if (staged == 0 && len >= sizeof stage) {
            /* A large frame goes straight from the shared payload. */
            if (seal(t, p, len) != 0) return -1;
            continue;
        }
        while (len > 0) {
            size_t k = sizeof stage - staged < len ? sizeof stage - staged : len;
            memcpy(stage + staged, p, k);
            staged += k;
            p += k;
            len -= k;
            if (staged == sizeof stage) {
                if (seal(t, stage, staged) != 0) return -1;
                staged = 0;
            }
        }
    }
    if (staged && seal(t, stage, staged) != 0) return -1;
    return (long)taken;
}

void net_tls_shutdown(net_tls_t *t)
{
    if (t->shut || !t->ready) return;
    t->shut = 1;
    ERR_clear_error();
    SSL_shutdown(t->ssl);
    ERR_clear_error();
}

buf_t *net_tls_out(net_tls_t *t)
{
    return &t->out;
}

int net_tls_ready(const net_tls_t *t)
{
    return t->ready;
}

const char *net_tls_error(const net_tls_t *t)
{
    return t->error ? t->error : "tls error";
}

const char *net_tls_version(const net_tls_t *t)
{
    return SSL_get_version(t->ssl);
}
