/* scheduler: decides *when* a message may go. Pure: no I/O, no clock reads (now is passed).
 * Owns: exponential backoff with jitter, quiet hours in local time, per-provider token
 * buckets (rate limits) and throttle pauses (a provider said "slow down"). The outbox
 * stores, the worker delivers; this module only does arithmetic on times. */
#ifndef GATEWAY_SCHEDULER_H
#define GATEWAY_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

struct sched_policy {
	int quiet_start_min; /* local minutes after midnight; quiet when start != end */
	int quiet_end_min;
	int utc_offset_min; /* local = UTC + offset */
	int retry_base_ms;
	int retry_max_ms;
	int max_attempts;
};

/* Delay before attempt number attempts+1 after `attempts` failed tries (attempts >= 1):
 * base * 2^(attempts-1), capped at retry_max_ms, then "equal jitter": a value in
 * [d/2, d] chosen by rnd (any 64-bit random number). */
int64_t sched_backoff_ms(const struct sched_policy *p, int attempts, uint64_t rnd);
/* True when now falls in quiet hours (which may wrap midnight, e.g. 21:00-08:00). */
bool sched_in_quiet(const struct sched_policy *p, int64_t now_ms);
/* When a non-urgent message may go: now outside quiet hours, else the end of the current
 * quiet period (the next local quiet_end_min). */
int64_t sched_release_at(const struct sched_policy *p, int64_t now_ms, bool urgent);

/* Token bucket: rate_per_s tokens a second, burst of max(1, rate_per_s / 10) ... see .c.
 * rate_per_s == 0 means unlimited. */
struct rate_limiter {
	int rate_per_s;
	double tokens;
	double burst;
	int64_t last_ms;
};
void rate_init(struct rate_limiter *r, int rate_per_s, int64_t now_ms);
/* Takes up to want tokens; returns how many were granted (0..want). */
int rate_take(struct rate_limiter *r, int64_t now_ms, int want);
/* Milliseconds until at least one token is available (0 when one is). */
int64_t rate_wait_ms(const struct rate_limiter *r, int64_t now_ms);

/* Throttle: after a THROTTLED answer the provider is paused for everyone. The pause is the
 * provider's retry-after when given, else doubles from 1 s up to 60 s while answers keep
 * saying THROTTLED; an OK answer resets it. */
struct throttle {
	int64_t paused_until_ms;
	int64_t next_pause_ms;
};
void throttle_init(struct throttle *t);
void throttle_hit(struct throttle *t, int64_t now_ms, int retry_after_ms);
void throttle_ok(struct throttle *t);
bool throttle_paused(const struct throttle *t, int64_t now_ms);

/* Circuit breaker: after `threshold` RETRY-class failures in a row a provider is taken
 * out for cooldown_ms and traffic goes to the next one; after the cooldown one request is
 * let through (half open): success closes the circuit, failure opens it again. */
struct breaker {
	int threshold;
	int64_t cooldown_ms;
	int failures;
	int64_t open_until_ms; /* 0 when closed */
	bool trial; /* half open: a trial request is in flight */
};
void breaker_init(struct breaker *b, int threshold, int64_t cooldown_ms);
/* May a request go now? In the half-open state only one at a time. */
bool breaker_allows(const struct breaker *b, int64_t now_ms);
/* Call when a request is started (marks the half-open trial as taken). */
void breaker_started(struct breaker *b, int64_t now_ms);
void breaker_success(struct breaker *b);
/* Returns true when this failure opened (or re-opened) the circuit. */
bool breaker_failure(struct breaker *b, int64_t now_ms);
bool breaker_open(const struct breaker *b, int64_t now_ms);

#endif
