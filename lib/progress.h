/*
 * Progress of long work, for the tool to show: the library never prints, so
 * a long routine takes an optional callback and reports how far it got. The
 * callback may be called often (say every few thousand records); throttling
 * the display is the caller's business.
 */
#ifndef RLP_PROGRESS_H
#define RLP_PROGRESS_H

#include <stdint.h>

struct rlp_progress {
	/* done of total units (bytes, records, files); done == total means
	 * finished. total may be 0 when unknown. */
	void (*update)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
};

/* Report through p, which may be NULL or have no callback. */
static inline void rlp_progress_report(const struct rlp_progress *p, uint64_t done, uint64_t total)
{
	if (p && p->update)
		p->update(p->ctx, done, total);
}

#endif
