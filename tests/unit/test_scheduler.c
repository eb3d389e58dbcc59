/* Unit tests for scheduler: backoff bounds, quiet hours (wrapping midnight, Beijing time),
 * release times, token buckets over simulated time and throttle pauses. Fixed times only. */
#include <stdint.h>
#include <time.h>

#include "scheduler.h"
#include "test.h"

/* Epoch milliseconds of a wall-clock time at UTC offset off_min (test helper only). */
static int64_t at(int y, int mo, int d, int h, int mi, int s, int off_min)
{
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = mo - 1,
			 .tm_mday = d,
			 .tm_hour = h,
			 .tm_min = mi,
			 .tm_sec = s };

	return ((int64_t)timegm(&tm) - (int64_t)off_min * 60) * 1000;
}

static struct sched_policy beijing(void)
{
	struct sched_policy p = {
		.quiet_start_min = 21 * 60,
		.quiet_end_min = 8 * 60,
		.utc_offset_min = 480,
		.retry_base_ms = 2000,
		.retry_max_ms = 600000,
		.max_attempts = 8,
	};
	return p;
}

TEST(quiet_hours_wrap_midnight)
{
	struct sched_policy p = beijing();

	CHECK(!sched_in_quiet(&p, at(2026, 11, 22, 20, 59, 59, 480)));
	CHECK(sched_in_quiet(&p, at(2026, 11, 22, 21, 0, 0, 480)));
	CHECK(sched_in_quiet(&p, at(2026, 11, 22, 23, 59, 59, 480)));
	CHECK(sched_in_quiet(&p, at(2026, 11, 23, 0, 0, 0, 480)));
	CHECK(sched_in_quiet(&p, at(2026, 11, 23, 7, 59, 59, 480)));
	CHECK(!sched_in_quiet(&p, at(2026, 11, 23, 8, 0, 0, 480)));
	CHECK(!sched_in_quiet(&p, at(2026, 11, 23, 12, 0, 0, 480)));
	/* 13:00 UTC is 21:00 in Beijing: the offset, not UTC, decides. */
	CHECK(sched_in_quiet(&p, at(2026, 11, 22, 13, 0, 0, 0)));
}

TEST(quiet_hours_same_day_and_none)
{
	struct sched_policy p = beijing();

	p.quiet_start_min = 12 * 60;
	p.quiet_end_min = 14 * 60;
	CHECK(!sched_in_quiet(&p, at(2026, 11, 22, 11, 59, 59, 480)));
	CHECK(sched_in_quiet(&p, at(2026, 11, 22, 12, 0, 0, 480)));
	CHECK(!sched_in_quiet(&p, at(2026, 11, 22, 14, 0, 0, 480)));
	p.quiet_end_min = p.quiet_start_min;
	CHECK(!sched_in_quiet(&p, at(2026, 11, 22, 12, 30, 0, 480)));
	CHECK_INT(sched_release_at(&p, at(2026, 11, 22, 12, 30, 0, 480), false),
		  at(2026, 11, 22, 12, 30, 0, 480));
	/* Negative offsets and times before 1970 still map to the right local minute. */
	p = beijing();
	p.utc_offset_min = -300;
	CHECK(sched_in_quiet(&p, at(1969, 12, 31, 22, 0, 0, -300)));
	CHECK(!sched_in_quiet(&p, at(1969, 12, 31, 10, 0, 0, -300)));
}

TEST(release_at)
{
	struct sched_policy p = beijing();
	int64_t evening = at(2026, 11, 22, 21, 30, 0, 480);
	int64_t morning = at(2026, 11, 23, 7, 59, 0, 480);
	int64_t day = at(2026, 11, 23, 9, 0, 0, 480);

	CHECK_INT(sched_release_at(&p, evening, false), at(2026, 11, 23, 8, 0, 0, 480));
	CHECK_INT(sched_release_at(&p, morning, false), at(2026, 11, 23, 8, 0, 0, 480));
	CHECK_INT(sched_release_at(&p, evening, true), evening);
	CHECK_INT(sched_release_at(&p, day, false), day);
	/* Across a month end. */
	CHECK_INT(sched_release_at(&p, at(2026, 11, 30, 23, 0, 0, 480), false),
		  at(2026, 12, 1, 8, 0, 0, 480));
}

TEST(backoff_bounds)
{
	struct sched_policy p = beijing();
	int64_t prev_hi = 0;

	for (int a = 1; a <= 20; a++) {
		int64_t d = (int64_t)p.retry_base_ms << (a - 1);
		int64_t lo, hi, mid;

		if (d > p.retry_max_ms)
			d = p.retry_max_ms;
		lo = sched_backoff_ms(&p, a, 0);
		hi = sched_backoff_ms(&p, a, UINT64_MAX);
		mid = sched_backoff_ms(&p, a, 0x9e3779b97f4a7c15ULL);
		CHECK_INT(lo, d / 2);
		CHECK_INT(hi, d);
		CHECK(mid >= lo && mid <= hi);
		CHECK(hi >= prev_hi);
		prev_hi = hi;
	}
	CHECK_INT(sched_backoff_ms(&p, 1, 0), 1000);
	CHECK_INT(sched_backoff_ms(&p, 1, UINT64_MAX), 2000);
	CHECK_INT(sched_backoff_ms(&p, 20, UINT64_MAX), 600000);
	CHECK_INT(sched_backoff_ms(&p, 100000, UINT64_MAX), 600000);
}

/* Simulates a worker asking for `want` every step_ms for secs seconds. */
static long simulate(int rate, int step_ms, int want, int secs)
{
	struct rate_limiter r;
	int64_t t0 = at(2026, 11, 22, 10, 0, 0, 480);
	long total = 0;

	rate_init(&r, rate, t0);
	for (int64_t t = t0; t < t0 + secs * 1000LL; t += step_ms)
		total += rate_take(&r, t, want);
	return total;
}

TEST(rate_limit_over_time)
{
	long burst;

	/* ~rate per second, plus at most the initial burst (rate/10). */
	burst = 100;
	CHECK(simulate(1000, 1, 50, 10) >= 10000 - 10);
	CHECK(simulate(1000, 1, 50, 10) <= 10000 + burst);
	CHECK(simulate(1000, 37, 500, 10) >= 10000 - 40);
	CHECK(simulate(1000, 37, 500, 10) <= 10000 + burst);
	CHECK(simulate(5, 1, 1, 10) >= 50 - 1);
	CHECK(simulate(5, 1, 1, 10) <= 50 + 1);
	CHECK(simulate(10000, 10, 1000, 2) >= 20000 - 100);
	CHECK(simulate(10000, 10, 1000, 2) <= 20000 + 1000);
	/* Unlimited. */
	CHECK_INT(simulate(0, 100, 777, 1), 7770);
}

TEST(rate_wait)
{
	struct rate_limiter r;
	int64_t t = 1000000;
	int64_t w;

	rate_init(&r, 0, t);
	CHECK_INT(rate_wait_ms(&r, t), 0);
	rate_init(&r, 5, t);
	CHECK_INT(rate_take(&r, t, 10), 1); /* burst 1 */
	CHECK_INT(rate_take(&r, t, 1), 0);
	w = rate_wait_ms(&r, t);
	CHECK_INT(w, 200);
	CHECK_INT(rate_take(&r, t + w - 1, 1), 0);
	CHECK_INT(rate_wait_ms(&r, t + w), 0);
	CHECK_INT(rate_take(&r, t + w, 1), 1);
	/* A step back in time neither refills nor breaks the bucket. */
	CHECK_INT(rate_take(&r, t, 1), 0);
	rate_init(&r, 3, t);
	CHECK_INT(rate_take(&r, t, 1), 1);
	w = rate_wait_ms(&r, t);
	CHECK_INT(w, 334);
	CHECK_INT(rate_take(&r, t + w, 1), 1);
	CHECK_INT(rate_take(&r, t, 0), 0);
}

TEST(throttle)
{
	struct throttle th;
	int64_t t = 5000000;

	throttle_init(&th);
	CHECK(!throttle_paused(&th, t));
	throttle_hit(&th, t, 0);
	CHECK(throttle_paused(&th, t + 999));
	CHECK(!throttle_paused(&th, t + 1000));
	/* An answer from a request already in flight does not double the pause. */
	throttle_hit(&th, t + 10, 0);
	CHECK(!throttle_paused(&th, t + 1000));
	t += 1000;
	throttle_hit(&th, t, 0);
	CHECK(throttle_paused(&th, t + 1999));
	CHECK(!throttle_paused(&th, t + 2000));
	for (int i = 0; i < 10; i++) {
		t += 100000;
		throttle_hit(&th, t, 0);
	}
	CHECK(throttle_paused(&th, t + 59999));
	CHECK(!throttle_paused(&th, t + 60000));
	/* Retry-after wins, and lengthens even a running pause. */
	throttle_hit(&th, t + 1, 120000);
	CHECK(throttle_paused(&th, t + 120000));
	CHECK(!throttle_paused(&th, t + 120001));
	throttle_ok(&th);
	CHECK(throttle_paused(&th, t + 100000));
	t += 200000;
	throttle_hit(&th, t, 0);
	CHECK(!throttle_paused(&th, t + 1000));
}

TEST(breaker_opens_cools_down_and_recovers)
{
	struct breaker b;
	int64_t t = 1000000;

	breaker_init(&b, 3, 60000);
	CHECK(breaker_allows(&b, t));
	CHECK(!breaker_failure(&b, t));
	CHECK(!breaker_failure(&b, t));
	breaker_success(&b); /* a success in between resets the count */
	CHECK(!breaker_failure(&b, t));
	CHECK(!breaker_failure(&b, t));
	CHECK(breaker_failure(&b, t)); /* the third in a row opens it */
	CHECK(breaker_open(&b, t + 1));
	CHECK(!breaker_allows(&b, t + 59999));
	CHECK(breaker_allows(&b, t + 60000)); /* half open: one trial */
	breaker_started(&b, t + 60000);
	CHECK(!breaker_allows(&b, t + 60001));
	CHECK(breaker_failure(&b, t + 60010)); /* the trial failed: open again */
	CHECK(!breaker_allows(&b, t + 60011));
	CHECK(breaker_allows(&b, t + 120010));
	breaker_started(&b, t + 120010);
	breaker_success(&b);
	CHECK(breaker_allows(&b, t + 120011));
	CHECK(!breaker_open(&b, t + 120011));
}

int main(void)
{
	RUN(quiet_hours_wrap_midnight);
	RUN(quiet_hours_same_day_and_none);
	RUN(release_at);
	RUN(backoff_bounds);
	RUN(rate_limit_over_time);
	RUN(rate_wait);
	RUN(throttle);
	RUN(breaker_opens_cools_down_and_recovers);
	return TEST_END();
}
