/* calendar: the official Chinese working-day calendar (public holidays and the adjusted
 * working weekends, 调休), loaded from config/calendar.ini, and "within N working days"
 * deadlines computed on it. The data is published yearly by the State Council, so it is
 * read from a file, never computed. Called once at start-up to load (read-only afterwards)
 * and by whoever sets case deadlines. Pure apart from reading the file; never logs and
 * never reads the clock: callers pass the moment of acceptance. */
#ifndef GATEWAY_CALENDAR_H
#define GATEWAY_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define CALENDAR_MAX_PROBLEMS 20
/* Years a file may hold; a file that grows past this has kept decades of old years. */
#define CALENDAR_MAX_YEARS 64
/* The most working days calendar_add_workdays steps over. */
#define CALENDAR_MAX_WORKDAYS 1000

struct calendar;

struct calendar_problems {
	int n;
	int more; /* problems that did not fit in msg */
	char msg[CALENDAR_MAX_PROBLEMS][300]; /* "config/calendar.ini:7: [2025] holidays: ..." */
};

/* Reads path into a new calendar (*out, free with calendar_free) and checks every date.
 * Returns 0; ERR_IO when the file cannot be read; ERR_INVALID with every problem (file:line,
 * section, key, what and how to fix) in *probs (may be NULL) and the first in e. *out is
 * written only on success. */
int calendar_load(const char *path, struct calendar **out, struct calendar_problems *probs,
		  struct err *e);
/* Accepts NULL. */
void calendar_free(struct calendar *cal);

/* true when the file has a section for year y. */
bool calendar_has_year(const struct calendar *cal, int y);

/* Whether y-m-d (a valid date) is a working day: a holiday is not, an adjusted working day
 * is, any other day is when it falls Monday to Friday. A year the file lacks counts
 * weekends only; *provisional (may be NULL) is set to whether that happened. */
bool calendar_is_workday(const struct calendar *cal, int y, int m, int d, bool *provisional);

/* The deadline "within n working days of acceptance" for a case accepted at start_ms, in
 * the local time utc_offset_min minutes east of UTC: the day of acceptance does not count,
 * the days after it are stepped over one by one counting working days, and the deadline is
 * the last millisecond (23:59:59.999 local) of the n-th. *provisional says whether any day
 * stepped over lies in a year the file lacks. Returns 0, or ERR_INVALID when n is not from
 * 1 to CALENDAR_MAX_WORKDAYS; the out-parameters are written only on success. */
int calendar_add_workdays(const struct calendar *cal, int64_t start_ms, int n, int utc_offset_min,
			  int64_t *deadline_ms, bool *provisional, struct err *e);

#endif
