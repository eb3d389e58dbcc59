/* calendar: the official working-day calendar from config/calendar.ini, one [YEAR] section
 * per year with its holidays and adjusted working days (调休), and the working-day
 * arithmetic on it. Loaded once at start-up, read-only afterwards; see calendar.h.
 * Never logs and never reads the clock; every problem in the file names file and line.
 * Line numbers: Debian's inih is built with INI_HANDLER_LINENO=0, so, as config.c does, we
 * feed ini_parse_stream one line per reader call and count the calls. The reader also
 * strips leading blanks, so inih's multi-line continuation never glues an indented line
 * onto the previous list: a long list is written as several lines with the same key. */
#include "calendar.h"
#include "ini_lines.h"

#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A calendar is a page of text; anything bigger is the wrong file. */
#define CAL_MAX_FILE (64 * 1024)
#define CAL_DAY_MS 86400000LL
#define CAL_MIN_YEAR 2000
#define CAL_MAX_YEAR 2099
/* 9999-12-31T23:59:59.999Z: past it the date arithmetic below leaves four-digit years. */
#define CAL_MAX_MS 253402300799999LL

enum cal_day { DAY_PLAIN, DAY_HOLIDAY, DAY_WORKDAY };

struct cal_year {
	int year;
	unsigned char kind[366]; /* enum cal_day, by day of the year from 0 */
};

struct calendar {
	int nyears;
	struct cal_year years[CALENDAR_MAX_YEARS];
};

/* One calendar_load's state. */
struct cal_loader {
	const char *path; /* as the caller wrote it, for messages */
	size_t len;
	struct ini_lines lines; /* walks text for inih */
	int line; /* the line inih is on */
	int cur; /* index of the current section's year; -1 before any or in a bad one */
	char sec[64]; /* the current section's name, for messages */
	struct calendar *cal;
	int sec_line[CALENDAR_MAX_YEARS]; /* line of each year's header */
	int day_line[CALENDAR_MAX_YEARS][366]; /* line that first listed each day */
	struct calendar_problems probs;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dim[m - 1];
}

static bool is_weekday(int y, int m, int d)
{
	/* 1970-01-01 was a Thursday; 0 = Sunday. */
	int64_t wd = (days_from_civil(y, m, d) + 4) % 7;

	if (wd < 0)
		wd += 7;
	return wd >= 1 && wd <= 5;
}

static int find_year(const struct calendar *cal, int y)
{
	for (int i = 0; i < cal->nyears; i++)
		if (cal->years[i].year == y)
			return i;
	return -1;
}

/* Records "FILE:LINE: [sec] key: what"; line 0 means no line, key may be NULL. */
static void __attribute__((format(printf, 4, 5)))
problem(struct cal_loader *ld, int line, const char *key, const char *fmt, ...)
{
	struct calendar_problems *p = &ld->probs;
	char what[240], at[16] = "", loc[96] = "";
	va_list ap;

	if (p->n == CALENDAR_MAX_PROBLEMS) {
		p->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(at, sizeof(at), "%d:", line);
	if (key != NULL)
		snprintf(loc, sizeof(loc), "[%s] %s: ", ld->sec, key);
	if (snprintf(p->msg[p->n], sizeof(p->msg[0]), "%s:%s %s%s", ld->path, at, loc, what) < 0)
		p->msg[p->n][0] = '\0';
	p->n++;
}

/* Strict YYYY-MM-DD, exactly len bytes of s. */
static bool parse_date(const char *s, size_t len, int *y, int *m, int *d)
{
	static const char shape[] = "dddd-dd-dd";

	if (len != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != '-')
			return false;
	*y = atoi(s);
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

static const char *kind_name(int kind)
{
	return kind == DAY_HOLIDAY ? "a holiday" : "an adjusted working day";
}

/* Marks day doy (from 0) of the current year as kind, unless another line made it the
 * other kind: then it is a problem naming both lines. */
static void mark(struct cal_loader *ld, const char *key, int doy, int kind)
{
	struct cal_year *cy = &ld->cal->years[ld->cur];
	int *first = &ld->day_line[ld->cur][doy];
	int y, m, d;

	if (cy->kind[doy] == DAY_PLAIN) {
		cy->kind[doy] = (unsigned char)kind;
		*first = ld->line;
		return;
	}
	if (cy->kind[doy] == kind)
		return;
	civil_from_days(days_from_civil(cy->year, 1, 1) + doy, &y, &m, &d);
	problem(ld, ld->line, key,
		"%04d-%02d-%02d is both %s (line %d) and %s (line %d); keep the one the State Council's notice gives",
		y, m, d, kind_name(cy->kind[doy]), *first, kind_name(kind), ld->line);
}

/* One item of a list: a date, or a range FIRST..LAST. */
static void parse_item(struct cal_loader *ld, const char *key, const char *s, size_t len, int kind)
{
	const char *dots = memmem(s, len, "..", 2);
	size_t l1 = dots ? (size_t)(dots - s) : len, l2 = dots ? len - l1 - 2 : len;
	const char *s2 = dots ? dots + 2 : s;
	int y1, m1, d1, y2, m2, d2, year = ld->cal->years[ld->cur].year;
	int64_t a, b, jan1 = days_from_civil(year, 1, 1);

	if (!parse_date(s, l1, &y1, &m1, &d1) || !parse_date(s2, l2, &y2, &m2, &d2)) {
		problem(ld, ld->line, key,
			"\"%.*s\" is not a date; write YYYY-MM-DD (e.g. %d-01-01) or a range FIRST..LAST (e.g. %d-10-01..%d-10-07)",
			(int)(len > 40 ? 40 : len), s, year, year, year);
		return;
	}
	a = days_from_civil(y1, m1, d1);
	b = days_from_civil(y2, m2, d2);
	if (b < a) {
		problem(ld, ld->line, key,
			"range %.*s ends before it starts; write the earlier day first", (int)len,
			s);
		return;
	}
	if (y1 != year && y2 != year) {
		problem(ld, ld->line, key, "%.*s is not in %d; move it to the [%d] section",
			(int)len, s, year, y1);
		return;
	}
	if (y1 != year || y2 != year) {
		problem(ld, ld->line, key,
			"%.*s reaches outside %d; end it on the year's last day and list the rest under [%d]",
			(int)len, s, year, y1 != year ? y1 : y2);
		return;
	}
	for (int64_t z = a; z <= b; z++)
		mark(ld, key, (int)(z - jan1), kind);
}

/* inih's handler: one "holidays = ..." or "workdays = ..." line. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct cal_loader *ld = user;
	int kind = strcmp(name, "holidays") == 0 ? DAY_HOLIDAY
		: strcmp(name, "workdays") == 0  ? DAY_WORKDAY
						 : DAY_PLAIN;

	(void)section; /* the reader has seen the header and set ld->cur */
	if (ld->sec[0] == '\0') {
		problem(ld, ld->line, NULL, "%s: is outside a section; put it under its [YEAR]",
			name);
		return 1;
	}
	if (ld->cur < 0)
		return 1; /* the header was reported */
	if (kind == DAY_PLAIN) {
		problem(ld, ld->line, name,
			"unknown key; a year has holidays (days off) and workdays (adjusted working days)");
		return 1;
	}
	for (const char *p = value, *end; *p != '\0'; p = *end ? end + 1 : end) {
		size_t len;

		end = p + strcspn(p, ",");
		for (; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		for (len = (size_t)(end - p); len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t');)
			len--;
		if (len > 0)
			parse_item(ld, name, p, len, kind);
	}
	return 1;
}

/* A [header] line (trimmed): makes its year the current one, or reports why it is none. */
static void start_section(struct cal_loader *ld, const char *s, size_t len)
{
	int y, i;

	ld->cur = -1;
	snprintf(ld->sec, sizeof(ld->sec), "%.*s", (int)(len > 2 ? len - 2 : 0), s + 1);
	if (len < 2 || s[len - 1] != ']' || strlen(ld->sec) != 4 ||
	    strspn(ld->sec, "0123456789") != 4 || (y = atoi(ld->sec)) < CAL_MIN_YEAR ||
	    y > CAL_MAX_YEAR) {
		problem(ld, ld->line, NULL,
			"\"%.*s\" is not a year's header; name each section by its year, e.g. [2027]",
			(int)(len > 40 ? 40 : len), s);
		return;
	}
	i = find_year(ld->cal, y);
	if (i >= 0) {
		problem(ld, ld->line, NULL, "[%d] appears twice (first on line %d); merge the two",
			y, ld->sec_line[i]);
		return;
	}
	if (ld->cal->nyears == CALENDAR_MAX_YEARS) {
		problem(ld, ld->line, NULL, "more than %d years; delete years long past",
			CALENDAR_MAX_YEARS);
		return;
	}
	ld->cur = ld->cal->nyears++;
	ld->cal->years[ld->cur].year = y;
	ld->sec_line[ld->cur] = ld->line;
}

/* inih's fgets-style reader: hands over exactly one trimmed line per call (file header). */
static char *read_line(char *buf, int num, void *stream)
{
	struct cal_loader *ld = stream;
	const char *p;
	size_t len;

	if (!ini_lines_next(&ld->lines, &p, &len))
		return NULL;
	ld->line = ld->lines.line;
	if (num < 1 || len > (size_t)num - 1) {
		problem(ld, ld->line, NULL,
			"line is %zu bytes, longer than the %d the INI reader takes; split the list over several lines with the same key",
			len, num - 1);
		if (*p == '[')
			ld->cur = -1; /* do not file its keys under the previous year */
		len = 0;
	}
	if (len > 0 && *p == '[')
		start_section(ld, p, len);
	else if (len > 0 && memchr(p, '=', len) == NULL)
		problem(ld, ld->line, NULL,
			"not a \"key = value\" line, a [YEAR] header or a ; comment; fix or delete it");
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

int calendar_load(const char *path, struct calendar **out, struct calendar_problems *probs,
		  struct err *e)
{
	struct cal_loader *ld = calloc(1, sizeof(*ld));
	char *text = NULL;
	int rc;

	if (ld == NULL || (ld->cal = calloc(1, sizeof(*ld->cal))) == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "%s: out of memory loading the calendar", path);
		goto out;
	}
	rc = ini_lines_read_file(path, CAL_MAX_FILE, "calendar", &text, e);
	if (rc != 0)
		goto out;
	ld->path = path;
	ld->len = strlen(text);
	ini_lines_init(&ld->lines, text, ld->len);
	ld->cur = -1;
	if (ini_parse_stream(read_line, ld, on_key, ld) == -2)
		problem(ld, 0, NULL, "out of memory parsing the file");
	if (ld->cal->nyears == 0 && ld->probs.n == 0)
		problem(ld, 0, NULL, "no [YEAR] section; add this year's dates");
	if (probs != NULL)
		*probs = ld->probs;
	if (ld->probs.n > 0) {
		rc = err_set(e, ERR_INVALID, NULL, "%s%s", ld->probs.msg[0],
			     ld->probs.n + ld->probs.more > 1 ? " (and more problems)" : "");
		goto out;
	}
	*out = ld->cal;
	ld->cal = NULL;
out:
	if (ld != NULL)
		free(ld->cal);
	free(ld);
	free(text);
	return rc;
}

void calendar_free(struct calendar *cal)
{
	free(cal);
}

bool calendar_has_year(const struct calendar *cal, int y)
{
	return find_year(cal, y) >= 0;
}

bool calendar_is_workday(const struct calendar *cal, int y, int m, int d, bool *provisional)
{
	int i = find_year(cal, y), kind;

	assert(m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m));
	if (provisional != NULL)
		*provisional = i < 0;
	kind = i < 0 ? DAY_PLAIN
		     : cal->years[i].kind[days_from_civil(y, m, d) - days_from_civil(y, 1, 1)];
	if (kind != DAY_PLAIN)
		return kind == DAY_WORKDAY;
	return is_weekday(y, m, d);
}

int calendar_add_workdays(const struct calendar *cal, int64_t start_ms, int n, int utc_offset_min,
			  int64_t *deadline_ms, bool *provisional, struct err *e)
{
	int64_t off_ms = (int64_t)utc_offset_min * 60000, day;
	bool prov = false;

	if (n < 1 || n > CALENDAR_MAX_WORKDAYS)
		return err_set(e, ERR_INVALID, "n", "%d working days: give from 1 to %d", n,
			       CALENDAR_MAX_WORKDAYS);
	if (utc_offset_min < -14 * 60 || utc_offset_min > 14 * 60)
		return err_set(e, ERR_INVALID, "utc_offset",
			       "UTC offset of %d minutes: give from -14:00 to +14:00",
			       utc_offset_min);
	if (start_ms < 0 || start_ms > CAL_MAX_MS - 2 * CALENDAR_MAX_WORKDAYS * CAL_DAY_MS)
		return err_set(e, ERR_INVALID, "start", "acceptance time %lld ms is out of range",
			       (long long)start_ms);
	/* start_ms + off_ms >= -14 h here, so floor division needs the adjustment below. */
	day = (start_ms + off_ms) / CAL_DAY_MS - (start_ms + off_ms < 0);
	for (int counted = 0; counted < n;) {
		int y, m, d;
		bool p;

		civil_from_days(++day, &y, &m, &d);
		counted += calendar_is_workday(cal, y, m, d, &p);
		prov = prov || p;
	}
	*deadline_ms = (day + 1) * CAL_DAY_MS - 1 - off_ms;
	*provisional = prov;
	return 0;
}
