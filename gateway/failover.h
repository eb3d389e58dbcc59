/* failover: the ordered providers of one channel and which of them takes the next request.
 * Owns, per provider: its circuit breaker (taken out after repeated RETRY-class failures,
 * back after a cool-down), its throttle pause, its rate limit and its concurrency. The
 * first provider that may take a request now gets it; the worker records when a message
 * went to a later one. Pure: no I/O, times are passed in. */
#ifndef GATEWAY_FAILOVER_H
#define GATEWAY_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "scheduler.h"

struct failover_member {
	int pidx; /* index into cfg->providers */
	const struct provider_config *pc;
	int max_batch;
	struct rate_limiter rate;
	struct throttle thr;
	struct breaker br;
	int inflight;
};

struct failover {
	struct failover_member m[CONFIG_MAX_PROVIDERS];
	int n;
};

void failover_init(struct failover *f);
/* Appends a provider in priority order. */
void failover_add(struct failover *f, int pidx, const struct provider_config *pc, int max_batch,
		  int64_t now_ms);
/* The first member that may take a request now (breaker closed or on trial, not throttled,
 * below its concurrency, a rate token left); takes up to want tokens (*granted). Returns
 * its index, or -1 when none may. *passed: how many members before it were passed over. */
int failover_pick(struct failover *f, int64_t now_ms, int want, int *granted, int *passed);
/* True when some member's circuit lets requests through. */
bool failover_any_closed(const struct failover *f, int64_t now_ms);
void failover_started(struct failover *f, int i, int64_t now_ms);
/* A request of member i finished: ok/retry/throttled count its messages by outcome.
 * Returns true when this opened the member's circuit. */
bool failover_done(struct failover *f, int i, int ok, int retry, int throttled, int retry_after_ms,
		   int64_t now_ms);
/* True when no member can take anything for a while (every one throttled); *until gets
 * the earliest time one may again. */
bool failover_blocked(const struct failover *f, int64_t now_ms, int64_t *until);

#endif
