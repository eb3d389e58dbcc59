/* clock: the one seam to the wall clock.
 * Owns: "what time is it" for the whole program. Everything that schedules (deadlines,
 * retries, quiet hours, expiry) asks a struct clock, never time() or clock_gettime() directly,
 * so that tests can run on a fake clock. */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <stdint.h>

struct clock {
	/* When fake is non-zero, now_ms returns fake_ms + (elapsed real time if running),
	 * else the real time plus offset_ms. */
	int fake;
	int64_t fake_ms;
	int64_t offset_ms; /* shifts the real clock: used by GATEWAYD_CLOCK_START in tests */
};

/* Real clock (offset 0). */
void clock_init_real(struct clock *c);
/* A real clock shifted so that "now" reads start_ms at this moment and then runs on. */
void clock_init_shifted(struct clock *c, int64_t start_ms);
/* A stopped fake clock at start_ms; moved only by clock_advance. */
void clock_init_fake(struct clock *c, int64_t start_ms);
void clock_advance(struct clock *c, int64_t delta_ms);
/* Milliseconds since the Unix epoch. */
int64_t clock_now_ms(const struct clock *c);
/* Monotonic milliseconds, for measuring durations only (never faked). */
int64_t clock_mono_ms(void);

#endif
