/* core/rand: random bytes from the kernel and random identifiers. */
#ifndef CORE_RAND_H
#define CORE_RAND_H

#include <stddef.h>

/* Fill 'out' with 'n' random bytes from getrandom(2). Aborts on failure. */
void rand_bytes(void *out, size_t n);
/* Write 'n' random URL-safe characters (A-Z a-z 0-9 _ -) and a NUL into
 * 'out' (size n+1). Used for session ids (21 characters, as nanoid). */
void rand_urlsafe(char *out, size_t n);

#endif
