/* fuzz/fuzz_token: auth_token_verify and auth_bearer_parse on arbitrary bytes.
 *
 * The input is tried as a whole token under a fixed key, then as an
 * Authorization header value whose token (when it parses) is verified too.
 * Invariants: an accepted or expired token has positive ids and a non-empty,
 * terminated jti; a rejected one leaves the claims zeroed; a parsed bearer
 * token lies inside the input and holds no space. LeakSanitizer checks that
 * libjwt's allocations are all released. */
#include "auth/token.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The key the seed corpus is signed with. */
static const uint8_t FUZZ_KEY[] = "fuzz-token-key";
#define FUZZ_NOW ((int64_t)1700000000)

static void check_verify(const char *tok, size_t len)
{
    auth_claims_t c;
    int rc = auth_token_verify(FUZZ_KEY, sizeof FUZZ_KEY - 1, tok, len, FUZZ_NOW, &c);
    if (rc == 0 || rc == ERR_EXPIRED) {
        if (c.community_id <= 0 || c.community_member_id <= 0) abort();
        size_t jl = strnlen(c.jti, sizeof c.jti);
        if (jl == 0 || jl >= sizeof c.jti) abort();
        if ((rc == 0) != (c.exp > FUZZ_NOW)) abort();
    } else if (rc == ERR_AUTH) {
        static const auth_claims_t zero;
        if (memcmp(&c, &zero, sizeof c) != 0) abort();
    } else {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    check_verify(in, size);

    const char *tok = NULL;
    size_t tok_len = 0;
    if (auth_bearer_parse(in, size, &tok, &tok_len)) {
        if (tok < in || tok_len == 0 || tok + tok_len != in + size) abort();
        if (memchr(tok, ' ', tok_len)) abort();
        check_verify(tok, tok_len);
    }
    return 0;
}
