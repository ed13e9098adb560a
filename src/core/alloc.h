/* core/alloc: allocation for sizes we choose ourselves.
 *
 * Small internal allocations (connection structs, list nodes, short strings)
 * go through x*alloc, which aborts on failure: there is no useful recovery
 * from running out of memory for a 200-byte struct, and checking every call
 * site would bury the logic. Sizes a peer controls (frame payloads, request
 * bodies) are bounded by configuration before they reach these calls. */
#ifndef CORE_ALLOC_H
#define CORE_ALLOC_H

#include <stddef.h>

/* Return owned memory, never NULL (abort on failure). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
