/* core/list: intrusive circular doubly linked list.
 *
 * The node lives inside its owner, so linking never allocates. An empty
 * list is a head pointing at itself; a node not on any list should be
 * initialised with list_init so list_unlink on it is harmless. */
#ifndef CORE_LIST_H
#define CORE_LIST_H

#include <stddef.h>

typedef struct list {
    struct list *prev, *next;
} list_t;

#define LIST_ENTRY(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define LIST_FOREACH_SAFE(it, tmp, head) \
    for ((it) = (head)->next, (tmp) = (it)->next; (it) != (head); (it) = (tmp), (tmp) = (it)->next)

static inline void list_init(list_t *l) { l->prev = l->next = l; }
static inline int list_empty(const list_t *l) { return l->next == l; }
static inline int list_linked(const list_t *n) { return n->next != n; }

static inline void list_insert_tail(list_t *head, list_t *n)
{
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

static inline void list_unlink(list_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list_init(n);
}

#endif
