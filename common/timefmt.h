/* timefmt: ISO 8601 times as the API speaks them.
 * Owns: parsing "2026-11-23T09:00:00+08:00" (also "Z", "+0800", a space instead of "T",
 * and fractional seconds, which are accepted and dropped) into Unix milliseconds, and
 * formatting milliseconds in a fixed UTC offset (China has no daylight saving). Pure; no
 * clock reads. */
#ifndef COMMON_TIMEFMT_H
#define COMMON_TIMEFMT_H

#include <stdint.h>

#include "err.h"

/* A time without an offset is refused: the caller must say which zone it means. */
int timefmt_parse(const char *s, int64_t *out_ms, struct err *e);
/* "2026-11-23T09:00:00+08:00"; out: 32 bytes. */
void timefmt_iso(int64_t ms, int utc_offset_min, char out[32]);
/* "11月23日09:00" for message texts; out: 32 bytes. */
void timefmt_cn(int64_t ms, int utc_offset_min, char out[32]);
/* Local minutes after midnight and days since the epoch, for quiet hours and the calendar. */
int timefmt_local_minute(int64_t ms, int utc_offset_min);

#endif
