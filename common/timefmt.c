/* timefmt: ISO 8601 parsing and formatting with explicit offsets. Uses timegm/gmtime_r
 * on shifted values so that the process time zone never matters. */
#include "timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int parse_offset(const char *p, int *off_min)
{
	int h, m, sign;

	if (*p == 'Z' && p[1] == '\0') {
		*off_min = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p == '-' ? -1 : 1;
	p++;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (*p == ':')
		p++;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != '\0')
		return -1;
	m = (p[0] - '0') * 10 + (p[1] - '0');
	if (h > 14 || m > 59)
		return -1;
	*off_min = sign * (h * 60 + m);
	return 0;
}

int timefmt_parse(const char *s, int64_t *out_ms, struct err *e)
{
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, n = 0, off;
	const char *p;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n == 0)
		goto bad;
	p = s + n;
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
			goto bad;
		sec = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == '\0')
		return err_set(e, ERR_INVALID, NULL,
			       "\"%s\" has no UTC offset; write it like "
			       "2026-11-23T09:00:00+08:00",
			       s);
	if (parse_offset(p, &off) < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != d) /* timegm normalised 2026-02-30 into March */
		goto bad;
	*out_ms = ((int64_t)t - (int64_t)off * 60) * 1000;
	return 0;
bad:
	return err_set(e, ERR_INVALID, NULL,
		       "\"%s\" is not a valid time; write it like "
		       "2026-11-23T09:00:00+08:00",
		       s);
}

static void local_tm(int64_t ms, int utc_offset_min, struct tm *tm)
{
	int64_t secs = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
	time_t t = (time_t)(secs + (int64_t)utc_offset_min * 60);

	gmtime_r(&t, tm);
}

void timefmt_iso(int64_t ms, int utc_offset_min, char out[32])
{
	struct tm tm;
	int off = (utc_offset_min < 0 ? -utc_offset_min : utc_offset_min) % (24 * 60);
	size_t n;

	local_tm(ms, utc_offset_min, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, "%c%02d:%02d", utc_offset_min < 0 ? '-' : '+', off / 60,
		 off % 60);
}

void timefmt_cn(int64_t ms, int utc_offset_min, char out[32])
{
	struct tm tm;

	local_tm(ms, utc_offset_min, &tm);
	snprintf(out, 32, "%d月%d日%02d:%02d", (tm.tm_mon + 1) % 13, tm.tm_mday % 32,
		 tm.tm_hour % 24, tm.tm_min % 60);
}

int timefmt_local_minute(int64_t ms, int utc_offset_min)
{
	struct tm tm;

	local_tm(ms, utc_offset_min, &tm);
	return tm.tm_hour * 60 + tm.tm_min;
}
