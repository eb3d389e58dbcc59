/* worker: delivers one channel's messages through its provider, in its own thread.
 * Owns: the loop claim -> (scheduler says when) -> provider builds -> http_client sends ->
 * provider classifies -> outcome recorded in the outbox, in batches. One worker per
 * channel, each with its own store connection and notice cache; each of its providers
 * has its own HTTP client, rate limiter, throttle and circuit breaker (failover.h).
 * On stop it finishes what is in flight (up to a few seconds), releases what it claimed
 * but did not start, and records every outcome before returning. Never logs personal data. */
#ifndef GATEWAY_WORKER_H
#define GATEWAY_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "clock.h"
#include "config.h"
#include "err.h"
#include "metrics.h"

struct worker_env {
	const struct gw_config *cfg;
	const struct clock *clock;
	struct metrics *metrics;
	atomic_int *stop; /* set to non-zero to ask every worker to stop */
	/* Per provider index: an object the daemon shares for that provider's account (the
	 * WeChat token holder), or NULL; may itself be NULL. */
	void *const *shared;
};

struct worker;

/* Starts a thread delivering channel ("sms" | "wechat") through the providers
 * cfg->providers[providers[0..n)], in that order of preference (failover).
 * sweeper: this worker also expires queued messages whose outage is over. */
int worker_start(const struct worker_env *env, const char *channel, const int *providers,
		 int nproviders, bool sweeper, struct worker **out, struct err *e);
/* Waits for the thread (after *env->stop was set) and frees the worker. */
void worker_join(struct worker *w);

#endif
