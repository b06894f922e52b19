/* Intrusive circular doubly linked lists. The caller provides exclusion. */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *next, *prev;
};

#define LIST_INIT(name) {&(name), &(name)}

static inline void list_init(struct list *l)
{
	l->next = l->prev = l;
}
static inline bool list_empty(const struct list *l)
{
	return l->next == l;
}
static inline void list_insert_after(struct list *pos, struct list *n)
{
	n->next = pos->next;
	n->prev = pos;
	pos->next->prev = n;
	pos->next = n;
}
static inline void list_push_back(struct list *l, struct list *n)
{
	list_insert_after(l->prev, n);
}
static inline void list_push_front(struct list *l, struct list *n)
{
	list_insert_after(l, n);
}
static inline void list_remove(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}
static inline struct list *list_pop_front(struct list *l)
{
	struct list *n = l->next;

	if (n == l)
		return NULL;
	list_remove(n);
	return n;
}

#define list_for_each(pos, head)                                               \
	for (struct list *pos = (head)->next; pos != (head); pos = pos->next)

#endif
