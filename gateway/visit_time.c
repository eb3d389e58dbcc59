/* visit_time: the times of appointment reminders and return-visit surveys (see
 * visit_time.h). Local time is UTC plus the policy's fixed offset (China has no daylight
 * saving); quiet hours are a daily period that may wrap midnight (21:00-08:00), so every
 * moment inside them belongs to one quiet period with a start and an end in absolute time.
 * Working days come from the calendar module only. Pure: no I/O, never reads the clock,
 * never logs; also parses the two configuration values this module reads. */
#include "visit_time.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define VT_MIN_MS 60000LL
#define VT_DAY_MS 86400000LL
#define VT_MAX_WINDOW_MS (12 * 60 * VT_MIN_MS)
/* A reminder further ahead than a week is not a reminder any more. */
#define VT_MAX_BEFORE_MIN (7 * 24 * 60)

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 of the local date of t. */
static int64_t local_day(const struct visit_policy *p, int64_t t)
{
	return floor_div(t + (int64_t)p->utc_offset_min * VT_MIN_MS, VT_DAY_MS);
}

/* The moment local day starts. */
static int64_t day_start(const struct visit_policy *p, int64_t day)
{
	return day * VT_DAY_MS - (int64_t)p->utc_offset_min * VT_MIN_MS;
}

/* Milliseconds since local midnight of t. */
static int64_t time_of_day(const struct visit_policy *p, int64_t t)
{
	return t - day_start(p, local_day(p, t));
}

/* Whether t lies in quiet hours; if so, [*qs, *qe) is the quiet period holding it. */
static bool quiet_period(const struct visit_policy *p, int64_t t, int64_t *qs, int64_t *qe)
{
	int64_t day = local_day(p, t), tod = time_of_day(p, t);
	int64_t s = p->quiet_start_min * VT_MIN_MS, e = p->quiet_end_min * VT_MIN_MS;

	if (s == e)
		return false;
	if (s < e ? (tod < s || tod >= e) : (tod < s && tod >= e))
		return false;
	/* A wrapping period that holds t in its morning part began the evening before. */
	if (s > e && tod < e)
		day--;
	*qs = day_start(p, day) + s;
	*qe = day_start(p, s < e ? day : day + 1) + e;
	return true;
}

/* "2026-11-28 14:00", local; out: 64 bytes, room for any int the fields could hold. */
static void fmt_local(const struct visit_policy *p, int64_t t, char out[64])
{
	time_t secs = (time_t)floor_div(t + (int64_t)p->utc_offset_min * VT_MIN_MS, 1000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL ||
	    snprintf(out, 64, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min) < 0)
		snprintf(out, 64, "%lld ms", (long long)t);
}

/* "08:00" for minutes after midnight (1440 is "24:00"); out: 8 bytes. */
static void fmt_hhmm(int min, char out[8])
{
	snprintf(out, 8, "%02d:%02d", (min / 60) % 100, min % 60);
}

/* The hours rule: the window lies inside [open, close) of its local day. */
static int check_hours(const struct visit_policy *p, const struct visit_hours *hours,
		       const char *label, int64_t start_ms, int64_t end_ms, struct err *e)
{
	int start_min = (int)(time_of_day(p, start_ms) / VT_MIN_MS);
	/* A window ending at midnight ends at minute 1440 of its own day. */
	int end_min = (int)(time_of_day(p, end_ms - 1) / VT_MIN_MS) + 1;
	const char *field = NULL, *what = NULL;
	char open[8], close[8], at[8];

	if (start_min < hours->open_min || start_min >= hours->close_min) {
		field = "start";
		what = "starts";
		fmt_hhmm(start_min, at);
	} else if (end_min > hours->close_min) {
		field = "end";
		what = "ends";
		fmt_hhmm((int)((time_of_day(p, end_ms - 1) + 1) / VT_MIN_MS), at);
	} else {
		return 0;
	}
	fmt_hhmm(hours->open_min, open);
	fmt_hhmm(hours->close_min, close);
	return err_set(
		e, ERR_INVALID, field,
		"the window %s at %s, but %s are booked between %s and %s; choose a window inside those hours",
		what, at, label, open, close);
}

int visit_check_window(const struct visit_policy *p, const struct visit_hours *hours,
		       const char *type_label, int64_t start_ms, int64_t end_ms, int64_t now_ms,
		       struct err *e)
{
	const char *label = type_label != NULL ? type_label : "visits";
	char a[64], b[64];

	fmt_local(p, start_ms, a);
	fmt_local(p, end_ms, b);
	if (start_ms <= now_ms) {
		char now[64];

		fmt_local(p, now_ms, now);
		return err_set(
			e, ERR_INVALID, "start",
			"the window starts at %s, which is not in the future (it is now %s); choose a later start",
			a, now);
	}
	if (end_ms <= start_ms)
		return err_set(
			e, ERR_INVALID, "end",
			"the window ends at %s, not after its start at %s; give an end later than the start",
			b, a);
	if (end_ms - start_ms > VT_MAX_WINDOW_MS)
		return err_set(
			e, ERR_INVALID, "end",
			"the window %s to %s lasts over 12 hours; book a shorter window, or one visit per day",
			a, b);
	if (local_day(p, start_ms) != local_day(p, end_ms - 1))
		return err_set(e, ERR_INVALID, "end",
			       "the window %s to %s crosses midnight; end it on the day it starts",
			       a, b);
	return hours != NULL ? check_hours(p, hours, label, start_ms, end_ms, e) : 0;
}

/* When rule r reminds of a visit at start_ms booked at now_ms; false when it does not. */
static bool reminder_at(const struct visit_policy *p, const struct visit_reminder_rule *r,
			int64_t start_ms, int64_t now_ms, int64_t *out)
{
	int64_t before = (int64_t)r->before_min * VT_MIN_MS, t, qs, qe;

	if (r->eve_min >= 0)
		t = day_start(p, local_day(p, start_ms) - 1) + r->eve_min * VT_MIN_MS;
	else if (r->before_min > 0)
		t = start_ms - before;
	else
		return false;
	if (t <= now_ms + VT_MIN_MS)
		return false;
	/* A quiet reminder stays when the visit is that early: it starts in the same quiet
	 * period, or so soon after it that "before_min before" falls inside it. */
	if (quiet_period(p, t, &qs, &qe) && !(start_ms >= qs && start_ms < qe + before)) {
		t = qs - VT_MIN_MS;
		if (t <= now_ms + VT_MIN_MS)
			return false;
	}
	*out = t;
	return true;
}

int visit_reminders(const struct visit_policy *p, int64_t start_ms, int64_t now_ms,
		    int64_t out[VISIT_MAX_REMINDERS])
{
	int n = 0;

	assert(p->nreminders >= 0 && p->nreminders <= VISIT_MAX_REMINDERS);
	for (int i = 0; i < p->nreminders; i++) {
		int64_t t;
		int j;

		if (!reminder_at(p, &p->reminders[i], start_ms, now_ms, &t))
			continue;
		/* Insertion into the sorted list, dropping a time already there. */
		for (j = n; j > 0 && out[j - 1] > t; j--)
			;
		if (j > 0 && out[j - 1] == t)
			continue;
		memmove(&out[j + 1], &out[j], (size_t)(n - j) * sizeof(out[0]));
		out[j] = t;
		n++;
	}
	return n;
}

/* The latest moment before deadline_ms outside quiet hours, not before resolved_ms. */
static int64_t capped(const struct visit_policy *p, int64_t resolved_ms, int64_t deadline_ms)
{
	int64_t t = deadline_ms - VT_MIN_MS, qs, qe;

	if (quiet_period(p, t, &qs, &qe))
		t = qs - VT_MIN_MS;
	return t < resolved_ms ? resolved_ms : t;
}

int64_t visit_survey_at(const struct visit_policy *p, const struct calendar *cal,
			int64_t resolved_ms, int64_t deadline_ms, bool *provisional)
{
	int64_t end_ms = 0, t;
	bool prov = false;

	/* calendar_add_workdays steps from the day after the resolution, as the survey does;
	 * only its day is wanted here. It fails only on a policy or a time out of range,
	 * and then the survey goes at once rather than never. */
	if (calendar_add_workdays(cal, resolved_ms, p->survey_after_workdays, p->utc_offset_min,
				  &end_ms, &prov, NULL) != 0)
		t = resolved_ms;
	else
		t = day_start(p, local_day(p, end_ms)) + p->survey_at_min * VT_MIN_MS;
	if (deadline_ms != 0 && t > deadline_ms)
		t = capped(p, resolved_ms, deadline_ms);
	if (provisional != NULL)
		*provisional = prov;
	return t;
}

int64_t visit_answer_due(const struct visit_policy *p, const struct calendar *cal, int64_t sent_ms,
			 bool *provisional)
{
	int64_t due = sent_ms;
	bool prov = false;

	/* On a policy or a time out of range the answer is due at once: staff phone. */
	if (calendar_add_workdays(cal, sent_ms, p->answer_workdays, p->utc_offset_min, &due, &prov,
				  NULL) != 0)
		due = sent_ms;
	if (provisional != NULL)
		*provisional = prov;
	return due;
}

/* "H:MM" or "HH:MM", exactly len bytes, 00:00 to 23:59 (24:00 too when allow_24). */
static bool parse_hhmm(const char *s, size_t len, bool allow_24, int *min)
{
	size_t hl = len == 4 ? 1 : 2;
	int h = 0, m;

	if ((len != 4 && len != 5) || s[hl] != ':')
		return false;
	for (size_t i = 0; i < len; i++)
		if (i != hl && (s[i] < '0' || s[i] > '9'))
			return false;
	for (size_t i = 0; i < hl; i++)
		h = h * 10 + (s[i] - '0');
	m = (s[hl + 1] - '0') * 10 + (s[hl + 2] - '0');
	if (m > 59 || h > 24 || (h == 24 && (!allow_24 || m != 0)))
		return false;
	*min = h * 60 + m;
	return true;
}

/* s[0..*len) without the blanks around it. */
static const char *trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

int visit_hours_parse(const char *s, struct visit_hours *out, struct err *e)
{
	const char *dash = s != NULL ? strchr(s, '-') : NULL, *a, *b;
	size_t la, lb;
	int open, close;

	if (dash == NULL)
		goto bad;
	la = (size_t)(dash - s);
	lb = strlen(dash + 1);
	a = trim(s, &la);
	b = trim(dash + 1, &lb);
	if (!parse_hhmm(a, la, false, &open) || !parse_hhmm(b, lb, true, &close))
		goto bad;
	if (close <= open)
		return err_set(
			e, ERR_INVALID, NULL,
			"hours \"%s\" close before they open; write the opening time first, within one day, e.g. 08:00-21:00",
			s);
	out->open_min = open;
	out->close_min = close;
	return 0;
bad:
	return err_set(e, ERR_INVALID, NULL,
		       "hours \"%.40s\" are not a time range; write HH:MM-HH:MM, e.g. 08:00-21:00",
		       s != NULL ? s : "");
}

/* One item of a reminder list: "eve HH:MM", "Nm", "Nmin" or "Nh". */
static int parse_rule(const char *s, size_t len, struct visit_reminder_rule *r, struct err *e)
{
	size_t digits = 0;
	long n = 0;

	if (len > 3 && strncasecmp(s, "eve", 3) == 0 && (s[3] == ' ' || s[3] == '\t')) {
		size_t tl = len - 3;
		const char *t = trim(s + 3, &tl);

		r->before_min = 0;
		if (parse_hhmm(t, tl, false, &r->eve_min))
			return 0;
		return err_set(
			e, ERR_INVALID, NULL,
			"reminder \"%.*s\": the evening before needs a time HH:MM, e.g. eve 19:00",
			(int)(len > 40 ? 40 : len), s);
	}
	for (; digits < len && digits < 6 && s[digits] >= '0' && s[digits] <= '9'; digits++)
		n = n * 10 + (s[digits] - '0');
	if (digits > 0 && len - digits == 1 && (s[digits] == 'h' || s[digits] == 'H'))
		n *= 60;
	else if (digits == 0 ||
		 !((len - digits == 1 && (s[digits] == 'm' || s[digits] == 'M')) ||
		   (len - digits == 3 && strncasecmp(s + digits, "min", 3) == 0)))
		return err_set(
			e, ERR_INVALID, NULL,
			"reminder \"%.*s\" is not understood; write eve HH:MM (the evening before), Nm or Nh (before the visit), e.g. eve 19:00, 60m",
			(int)(len > 40 ? 40 : len), s);
	if (n < 1 || n > VT_MAX_BEFORE_MIN)
		return err_set(e, ERR_INVALID, NULL,
			       "reminder \"%.*s\": give from 1 minute to %d hours before the visit",
			       (int)(len > 40 ? 40 : len), s, VT_MAX_BEFORE_MIN / 60);
	r->eve_min = -1;
	r->before_min = (int)n;
	return 0;
}

/* Parses item t[0..len) of the list whole into rules[n], after the n already there. */
static int add_rule(struct visit_reminder_rule *rules, int n, const char *t, size_t len,
		    const char *whole, struct err *e)
{
	int rc;

	if (len == 0)
		return err_set(
			e, ERR_INVALID, NULL,
			"reminders \"%.60s\" have an empty item; separate the reminders with single commas",
			whole);
	if (n == VISIT_MAX_REMINDERS)
		return err_set(e, ERR_INVALID, NULL,
			       "more than %d reminders in \"%.60s\"; keep at most %d",
			       VISIT_MAX_REMINDERS, whole, VISIT_MAX_REMINDERS);
	rc = parse_rule(t, len, &rules[n], e);
	if (rc != 0)
		return rc;
	for (int i = 0; i < n; i++)
		if (rules[i].eve_min == rules[n].eve_min &&
		    rules[i].before_min == rules[n].before_min)
			return err_set(e, ERR_INVALID, NULL,
				       "reminder \"%.*s\" is listed twice; keep one",
				       (int)(len > 40 ? 40 : len), t);
	return 0;
}

int visit_reminders_parse(const char *s, struct visit_policy *p, struct err *e)
{
	struct visit_reminder_rule rules[VISIT_MAX_REMINDERS];
	size_t all = s != NULL ? strlen(s) : 0;
	const char *whole = trim(s != NULL ? s : "", &all);
	int n = 0;

	if (all == 3 && strncasecmp(whole, "off", 3) == 0) {
		p->nreminders = 0;
		return 0;
	}
	if (all == 0)
		return err_set(e, ERR_INVALID, NULL,
			       "no reminders given; list them (e.g. eve 19:00, 60m) or write off");
	for (const char *item = whole, *stop = whole + all;;) {
		const char *end = memchr(item, ',', (size_t)(stop - item)), *t;
		size_t len = (size_t)((end != NULL ? end : stop) - item);
		int rc;

		t = trim(item, &len);
		rc = add_rule(rules, n, t, len, whole, e);
		if (rc != 0)
			return rc;
		n++;
		if (end == NULL)
			break;
		item = end + 1;
	}
	memcpy(p->reminders, rules, (size_t)n * sizeof(rules[0]));
	p->nreminders = n;
	return 0;
}
