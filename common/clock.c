/* clock: real, shifted and fake clocks. The only file that reads the system time. */
#include "clock.h"

#include <time.h>

static int64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_init_real(struct clock *c)
{
	c->fake = 0;
	c->fake_ms = 0;
	c->offset_ms = 0;
}

void clock_init_shifted(struct clock *c, int64_t start_ms)
{
	clock_init_real(c);
	c->offset_ms = start_ms - real_ms();
}

void clock_init_fake(struct clock *c, int64_t start_ms)
{
	c->fake = 1;
	c->fake_ms = start_ms;
	c->offset_ms = 0;
}

void clock_advance(struct clock *c, int64_t delta_ms)
{
	if (c->fake)
		c->fake_ms += delta_ms;
	else
		c->offset_ms += delta_ms;
}

int64_t clock_now_ms(const struct clock *c)
{
	if (c->fake)
		return c->fake_ms;
	return real_ms() + c->offset_ms;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
