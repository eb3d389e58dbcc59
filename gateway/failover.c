/* failover: picking a provider per request. See failover.h. A request counts as a failure
 * for the breaker when none of its messages went and some were RETRY-class; a request with
 * any accepted message closes the circuit again. */
#include "failover.h"

#include <string.h>

void failover_init(struct failover *f)
{
	memset(f, 0, sizeof(*f));
}

void failover_add(struct failover *f, int pidx, const struct provider_config *pc, int max_batch,
		  int64_t now_ms)
{
	struct failover_member *m;

	if (f->n >= CONFIG_MAX_PROVIDERS)
		return;
	m = &f->m[f->n++];
	m->pidx = pidx;
	m->pc = pc;
	m->max_batch = max_batch > 0 ? max_batch : 1;
	rate_init(&m->rate, pc->rate_per_s, now_ms);
	throttle_init(&m->thr);
	breaker_init(&m->br, pc->breaker_threshold, (int64_t)pc->breaker_cooldown_s * 1000);
	m->inflight = 0;
}

static bool may_take(const struct failover_member *m, int64_t now_ms, bool mind_breaker)
{
	return (!mind_breaker || breaker_allows(&m->br, now_ms)) &&
		!throttle_paused(&m->thr, now_ms) && m->inflight < m->pc->concurrency &&
		rate_wait_ms(&m->rate, now_ms) == 0;
}

static int pick(struct failover *f, int64_t now_ms, int want, bool mind_breaker, int *granted)
{
	for (int i = 0; i < f->n; i++) {
		struct failover_member *m = &f->m[i];
		int n = want < m->max_batch ? want : m->max_batch;

		if (!may_take(m, now_ms, mind_breaker))
			continue;
		if ((n = rate_take(&m->rate, now_ms, n)) == 0)
			continue;
		*granted = n;
		return i;
	}
	return -1;
}

/* Open circuits keep traffic on the other providers; when every provider's circuit is
 * open there is nowhere better to go, so the messages' own backoff is the only brake. */
int failover_pick(struct failover *f, int64_t now_ms, int want, int *granted, int *passed)
{
	int i = pick(f, now_ms, want, true, granted);

	if (i < 0 && !failover_any_closed(f, now_ms))
		i = pick(f, now_ms, want, false, granted);
	*passed = i;
	return i;
}

bool failover_any_closed(const struct failover *f, int64_t now_ms)
{
	for (int i = 0; i < f->n; i++)
		if (breaker_allows(&f->m[i].br, now_ms))
			return true;
	return false;
}

void failover_started(struct failover *f, int i, int64_t now_ms)
{
	f->m[i].inflight++;
	breaker_started(&f->m[i].br, now_ms);
}

bool failover_done(struct failover *f, int i, int ok, int retry, int throttled, int retry_after_ms,
		   int64_t now_ms)
{
	struct failover_member *m = &f->m[i];

	m->inflight--;
	if (throttled > 0)
		throttle_hit(&m->thr, now_ms, retry_after_ms);
	if (ok > 0) {
		throttle_ok(&m->thr);
		breaker_success(&m->br);
		return false;
	}
	if (retry > 0)
		return breaker_failure(&m->br, now_ms);
	return false;
}

bool failover_blocked(const struct failover *f, int64_t now_ms, int64_t *until)
{
	int64_t earliest = INT64_MAX;

	for (int i = 0; i < f->n; i++) {
		const struct failover_member *m = &f->m[i];
		int64_t t = now_ms;

		if (throttle_paused(&m->thr, now_ms) && m->thr.paused_until_ms > t)
			t = m->thr.paused_until_ms;
		if (t <= now_ms)
			return false;
		if (t < earliest)
			earliest = t;
	}
	*until = earliest;
	return f->n > 0;
}
