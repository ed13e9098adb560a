/* core/utf8: UTF-8 validation, see utf8.h.
 *
 * Each byte maps to one of twelve classes, and a 9x12 transition table moves
 * between nine states. The lead byte decides which continuation range the
 * next byte must fall in; the special leads carry the RFC 3629 exclusions:
 *
 *   E0 -> A0..BF (no overlong 3-byte forms)   ED -> 80..9F (no surrogates)
 *   F0 -> 90..BF (no overlong 4-byte forms)   F4 -> 80..8F (max U+10FFFF)
 *
 * C0, C1 and F5..FF can never appear. While the DFA is between code points,
 * ASCII is skipped a 64-bit word at a time, which is what chat traffic
 * (JSON) mostly is. */
#include "core/utf8.h"

#include <string.h>

enum {
    S_ACCEPT = 0, /* between code points */
    S_REJECT = 1, /* invalid, sticky */
    S_CONT1 = 2,  /* one more 80..BF needed */
    S_CONT2 = 3,  /* two more */
    S_CONT3 = 4,  /* three more */
    S_E0 = 5,     /* after E0: A0..BF, then one more */
    S_ED = 6,     /* after ED: 80..9F, then one more */
    S_F0 = 7,     /* after F0: 90..BF, then two more */
    S_F4 = 8,     /* after F4: 80..8F, then two more */
    S_COUNT = 9
};

/* Byte classes: 0 ASCII, 1 80..8F, 2 90..9F, 3 A0..BF, 4 never valid
 * (C0, C1, F5..FF), 5 C2..DF, 6 E0, 7 E1..EC and EE..EF, 8 ED, 9 F0,
 * 10 F1..F3, 11 F4. */
/* clang-format off */
static const uint8_t byte_class[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 00 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 10 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 20 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 30 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 40 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 50 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 60 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 70 */
    1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  /* 80 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 90 */
    3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  /* A0 */
    3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  /* B0 */
    4,  4,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  /* C0 */
    5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  /* D0 */
    6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  8,  7,  7,  /* E0 */
    9,  10, 10, 10, 11, 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  /* F0 */
};

/* Rows are states, columns byte classes (named by their first byte). */
#define OK S_ACCEPT
#define R S_REJECT
#define C1 S_CONT1
#define C2 S_CONT2
#define C3 S_CONT3
#define E0 S_E0
#define ED S_ED
#define F0 S_F0
#define F4 S_F4
static const uint8_t transition[S_COUNT][12] = {
    /*            asc  80  90  A0  bad  C2  E0  E1  ED  F0  F1  F4 */
    [S_ACCEPT] = {OK,  R,  R,  R,  R,   C1, E0, C2, ED, F0, C3, F4},
    [S_REJECT] = {R,   R,  R,  R,  R,   R,  R,  R,  R,  R,  R,  R},
    [S_CONT1] =  {R,   OK, OK, OK, R,   R,  R,  R,  R,  R,  R,  R},
    [S_CONT2] =  {R,   C1, C1, C1, R,   R,  R,  R,  R,  R,  R,  R},
    [S_CONT3] =  {R,   C2, C2, C2, R,   R,  R,  R,  R,  R,  R,  R},
    [S_E0] =     {R,   R,  R,  C1, R,   R,  R,  R,  R,  R,  R,  R},
    [S_ED] =     {R,   C1, C1, R,  R,   R,  R,  R,  R,  R,  R,  R},
    [S_F0] =     {R,   R,  C2, C2, R,   R,  R,  R,  R,  R,  R,  R},
    [S_F4] =     {R,   C2, R,  R,  R,   R,  R,  R,  R,  R,  R,  R},
};
#undef OK
#undef R
#undef C1
#undef C2
#undef C3
#undef E0
#undef ED
#undef F0
#undef F4
/* clang-format on */

#define HIGH_BITS UINT64_C(0x8080808080808080)

/* Run the DFA from 'state' over [c, end); returns the final state, or
 * S_REJECT as soon as it is reached. */
static uint32_t run(uint32_t state, const uint8_t *c, const uint8_t *end)
{
    while (c < end) {
        if (state == S_ACCEPT) {
            /* Between code points: skip whole words of ASCII, then single
             * ASCII bytes, and hand the first non-ASCII byte to the DFA. */
            while ((size_t)(end - c) >= 8) {
                uint64_t w;
                memcpy(&w, c, 8);
                if (w & HIGH_BITS) break;
                c += 8;
            }
            while (c < end && *c < 0x80) c++;
            if (c == end) break;
        }
        state = transition[state][byte_class[*c++]];
        if (state == S_REJECT) break;
    }
    return state;
}

int utf8_valid(const void *p, size_t len)
{
    if (len == 0) return 1;
    const uint8_t *c = p;
    return run(S_ACCEPT, c, c + len) == S_ACCEPT;
}

void utf8_state_init(utf8_state_t *s)
{
    s->state = S_ACCEPT;
}

int utf8_feed(utf8_state_t *s, const void *p, size_t len)
{
    if (s->state == S_REJECT) return -1;
    if (len == 0) return 0;
    const uint8_t *c = p;
    s->state = run(s->state, c, c + len);
    return s->state == S_REJECT ? -1 : 0;
}

int utf8_complete(const utf8_state_t *s)
{
    return s->state == S_ACCEPT;
}
