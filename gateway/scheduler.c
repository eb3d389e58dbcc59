/* scheduler: the arithmetic of *when* a message may go: backoff, quiet hours, token
 * buckets and throttle pauses. Called by the worker (and the outbox when it schedules a
 * retry) with the time it read from its clock. Pure: it must never read the clock, sleep,
 * log or allocate, so every rule here is tested on fixed times. */
#include "scheduler.h"

#include <assert.h>

#define MS_PER_MIN 60000LL
#define MS_PER_DAY (1440LL * MS_PER_MIN)
#define THROTTLE_FIRST_MS 1000
#define THROTTLE_MAX_MS 60000

/* Floor modulo: times before 1970 or negative offsets must still land inside [0, m). */
static int64_t mod_floor(int64_t a, int64_t m)
{
	int64_t r = a % m;

	return r < 0 ? r + m : r;
}

int64_t sched_backoff_ms(const struct sched_policy *p, int attempts, uint64_t rnd)
{
	int64_t max = p->retry_max_ms > 0 ? p->retry_max_ms : 0;
	int64_t d = p->retry_base_ms > 0 ? p->retry_base_ms : 0;
	int64_t half, span;

	assert(attempts >= 1);
	/* Doubling stops at the cap, so attempt 1000 cannot overflow. */
	for (int i = 1; i < attempts && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	half = d / 2;
	span = d - half;
	/* Scale the top 32 bits of rnd onto [0, span]: rnd 0 gives d/2 and UINT64_MAX gives d
	 * exactly (a plain modulo would not reach d). span < 2^31, so the product fits. */
	return half + (int64_t)(((rnd >> 32) * (uint64_t)(span + 1)) >> 32);
}

/* Local milliseconds since local midnight. */
static int64_t local_day_ms(const struct sched_policy *p, int64_t now_ms)
{
	return mod_floor(now_ms + (int64_t)p->utc_offset_min * MS_PER_MIN, MS_PER_DAY);
}

bool sched_in_quiet(const struct sched_policy *p, int64_t now_ms)
{
	int64_t t = local_day_ms(p, now_ms);
	int64_t start = (int64_t)p->quiet_start_min * MS_PER_MIN;
	int64_t end = (int64_t)p->quiet_end_min * MS_PER_MIN;

	if (start == end)
		return false;
	if (start < end)
		return t >= start && t < end;
	return t >= start || t < end; /* the window wraps midnight, e.g. 21:00-08:00 */
}

int64_t sched_release_at(const struct sched_policy *p, int64_t now_ms, bool urgent)
{
	int64_t wait;

	if (urgent || !sched_in_quiet(p, now_ms))
		return now_ms;
	/* Inside quiet hours the next local quiet_end is the end of this period: later today,
	 * or tomorrow when the window wrapped and we are before midnight. */
	wait = (int64_t)p->quiet_end_min * MS_PER_MIN - local_day_ms(p, now_ms);
	if (wait <= 0)
		wait += MS_PER_DAY;
	return now_ms + wait;
}

/* The burst is a tenth of a second's worth of tokens, at least one: a worker that polls
 * every few tens of milliseconds still reaches the full rate, while a provider never sees
 * more than 100 ms of traffic at once (its own limits are usually counted per second, so a
 * burst of a whole second on top of the steady rate could trip them). The bucket starts
 * full. */
void rate_init(struct rate_limiter *r, int rate_per_s, int64_t now_ms)
{
	assert(rate_per_s >= 0);
	r->rate_per_s = rate_per_s;
	r->burst = rate_per_s / 10 > 1 ? rate_per_s / 10 : 1;
	r->tokens = r->burst;
	r->last_ms = now_ms;
}

/* Tokens the bucket holds at now_ms. A clock that stepped back adds nothing. */
static double rate_level(const struct rate_limiter *r, int64_t now_ms)
{
	double t = r->tokens;

	if (now_ms > r->last_ms)
		t += (double)(now_ms - r->last_ms) * r->rate_per_s / 1000.0;
	return t < r->burst ? t : r->burst;
}

/* Rounding slack: refills computed in double may land a hair under a whole token. */
#define RATE_EPS 1e-9

int rate_take(struct rate_limiter *r, int64_t now_ms, int want)
{
	int got;

	if (want <= 0)
		return 0;
	if (r->rate_per_s == 0)
		return want;
	r->tokens = rate_level(r, now_ms);
	if (now_ms > r->last_ms)
		r->last_ms = now_ms;
	got = r->tokens + RATE_EPS >= want ? want : (int)(r->tokens + RATE_EPS);
	r->tokens -= got;
	if (r->tokens < 0)
		r->tokens = 0;
	return got;
}

int64_t rate_wait_ms(const struct rate_limiter *r, int64_t now_ms)
{
	double t, ms;
	int64_t w;

	if (r->rate_per_s == 0)
		return 0;
	t = rate_level(r, now_ms);
	if (t + RATE_EPS >= 1.0)
		return 0;
	ms = (1.0 - t) * 1000.0 / r->rate_per_s;
	w = (int64_t)ms;
	return (double)w < ms ? w + 1 : w;
}

void throttle_init(struct throttle *t)
{
	t->paused_until_ms = 0;
	t->next_pause_ms = THROTTLE_FIRST_MS;
}

/* Answers that arrive while a pause is already running come from requests that were in
 * flight when it began; they do not double the pause again (sixteen parallel 429s must not
 * jump straight to 60 s), though an explicit retry-after may still lengthen it. */
void throttle_hit(struct throttle *t, int64_t now_ms, int retry_after_ms)
{
	bool running = throttle_paused(t, now_ms);
	int64_t pause;

	if (retry_after_ms > 0) {
		pause = retry_after_ms;
	} else if (running) {
		return;
	} else {
		pause = t->next_pause_ms;
	}
	if (!running) {
		t->next_pause_ms *= 2;
		if (t->next_pause_ms > THROTTLE_MAX_MS)
			t->next_pause_ms = THROTTLE_MAX_MS;
	}
	if (now_ms + pause > t->paused_until_ms)
		t->paused_until_ms = now_ms + pause;
}

/* An OK ends the escalation, not a pause in progress: it comes from a request sent before
 * the pause, and the provider's retry-after still stands. */
void throttle_ok(struct throttle *t)
{
	t->next_pause_ms = THROTTLE_FIRST_MS;
}

bool throttle_paused(const struct throttle *t, int64_t now_ms)
{
	return now_ms < t->paused_until_ms;
}

void breaker_init(struct breaker *b, int threshold, int64_t cooldown_ms)
{
	b->threshold = threshold > 0 ? threshold : 5;
	b->cooldown_ms = cooldown_ms > 0 ? cooldown_ms : 60000;
	b->failures = 0;
	b->open_until_ms = 0;
	b->trial = false;
}

bool breaker_open(const struct breaker *b, int64_t now_ms)
{
	return b->open_until_ms != 0 && now_ms < b->open_until_ms;
}

bool breaker_allows(const struct breaker *b, int64_t now_ms)
{
	if (b->open_until_ms == 0)
		return true;
	return now_ms >= b->open_until_ms && !b->trial;
}

void breaker_started(struct breaker *b, int64_t now_ms)
{
	if (b->open_until_ms != 0 && now_ms >= b->open_until_ms)
		b->trial = true;
}

void breaker_success(struct breaker *b)
{
	b->failures = 0;
	b->open_until_ms = 0;
	b->trial = false;
}

bool breaker_failure(struct breaker *b, int64_t now_ms)
{
	/* A failed trial re-opens at once; otherwise count towards the threshold. */
	if (b->trial || ++b->failures >= b->threshold) {
		bool was_closed = b->open_until_ms == 0 || b->trial;

		b->open_until_ms = now_ms + b->cooldown_ms;
		b->trial = false;
		b->failures = 0;
		return was_closed;
	}
	return false;
}
