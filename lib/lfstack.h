/*
 * A lock-free LIFO stack of nodes linked through one of their fields:
 * any number of pushers, and a consumer that takes the whole stack with
 * one exchange (so there is no pop of one node, and no ABA problem).
 * Used for the scheduler's incoming threads, cross-CPU calls, mutex
 * waiters, deferred poll work, RCU callbacks and exited threads.
 */
#ifndef LIB_LFSTACK_H
#define LIB_LFSTACK_H

/* Pushes `node` onto *headp; evaluates to the head it found (NULL: the
 * stack was empty). Sequentially consistent, so a pusher may go on to
 * read what the consumer announced (Dekker-style). */
#define lfstack_push(headp, node, link)                                        \
	({                                                                     \
		__typeof__(*(headp)) lf_old_ =                                 \
			__atomic_load_n((headp), __ATOMIC_RELAXED);            \
		do                                                             \
			(node)->link = lf_old_;                                \
		while (!__atomic_compare_exchange_n((headp), &lf_old_, (node), \
						    true, __ATOMIC_SEQ_CST,    \
						    __ATOMIC_RELAXED));        \
		lf_old_;                                                       \
	})

/* Takes every node, oldest first (the order they were pushed in). */
#define lfstack_take_fifo(headp, link)                                         \
	({                                                                     \
		__typeof__(*(headp)) lf_n_ =                                   \
			__atomic_exchange_n((headp), NULL, __ATOMIC_SEQ_CST);  \
		__typeof__(*(headp)) lf_fifo_ = NULL;                          \
		while (lf_n_) {                                                \
			__typeof__(*(headp)) lf_next_ = lf_n_->link;           \
			lf_n_->link = lf_fifo_;                                \
			lf_fifo_ = lf_n_;                                      \
			lf_n_ = lf_next_;                                      \
		}                                                              \
		lf_fifo_;                                                      \
	})

#endif
