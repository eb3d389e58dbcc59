/* test_visit_time: appointment windows, reminder times and return-visit survey times in
 * Beijing time (+08:00) on the real config/calendar.ini (run from the repository root).
 * 2026-11-26 is a Thursday and 11-28 a Saturday; 2026-09-25..27 and 10-01..07 are holidays,
 * 09-20 (Sunday) and 10-10 (Saturday) adjusted working days; 2027 is not in the file. Every
 * expected time below was worked out by hand from those facts. */
#include "visit_time.h"
#include "timefmt.h"

#include "test.h"

#define REAL_CALENDAR "config/calendar.ini"

static struct calendar *load_real(void)
{
	struct calendar *cal = NULL;
	struct err e = { 0 };
	int rc = calendar_load(REAL_CALENDAR, &cal, NULL, &e);

	if (rc != 0)
		fprintf(stderr, "  %s\n", e.msg);
	CHECK_INT(rc, 0);
	return cal;
}

static int64_t ms_of(const char *iso)
{
	int64_t ms = 0;
	struct err e = { 0 };

	CHECK_INT(timefmt_parse(iso, &ms, &e), 0);
	return ms;
}

/* ms as "2026-11-28T14:00:00+08:00" in a static buffer (one use per statement). */
static const char *iso(int64_t ms)
{
	static char buf[32];

	timefmt_iso(ms, 480, buf);
	return buf;
}

/* The defaults: quiet 21:00-08:00, the evening before at 19:00 and 1 h before, survey the
 * next working day at 10:00, answer within two working days. */
static struct visit_policy policy(void)
{
	struct visit_policy p = {
		.utc_offset_min = 480,
		.quiet_start_min = 1260,
		.quiet_end_min = 480,
		.reminders = { { .eve_min = 1140, .before_min = 0 },
			       { .eve_min = -1, .before_min = 60 } },
		.nreminders = 2,
		.survey_at_min = 600,
		.survey_after_workdays = 1,
		.answer_workdays = 2,
	};

	return p;
}

/* Checks the reminders of a visit at start booked at now against want[0..nwant). */
static void check_reminders(const struct visit_policy *p, const char *start, const char *now,
			    const char *const *want, int nwant)
{
	int64_t out[VISIT_MAX_REMINDERS];
	int n = visit_reminders(p, ms_of(start), ms_of(now), out);

	CHECK_INT(n, nwant);
	for (int i = 0; i < n && i < nwant; i++) {
		if (strcmp(iso(out[i]), want[i]) != 0)
			fprintf(stderr, "  visit %s booked %s: reminder %d\n", start, now, i);
		CHECK_STR(iso(out[i]), want[i]);
	}
}

TEST(reminders_evening_before_and_hour_before)
{
	struct visit_policy p = policy();
	const char *sat[] = { "2026-11-27T19:00:00+08:00", "2026-11-28T13:00:00+08:00" };
	const char *early[] = { "2026-11-27T19:00:00+08:00", "2026-11-28T07:30:00+08:00" };
	const char *late_booking[] = { "2026-11-27T09:00:00+08:00" };

	/* A Saturday 14:00 visit booked on Thursday. */
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-26T10:00:00+08:00", sat, 2);
	/* 08:30: the 1 h reminder at 07:30 is inside quiet hours but stays, the visit being
	 * that early. */
	check_reminders(&p, "2026-11-28T08:30:00+08:00", "2026-11-26T10:00:00+08:00", early, 2);
	/* Booked at 20:00 for 10:00 tomorrow: 19:00 has passed. */
	check_reminders(&p, "2026-11-27T10:00:00+08:00", "2026-11-26T20:00:00+08:00", late_booking,
			1);
	/* Rules listed in another order come out ascending. */
	p.reminders[0] = (struct visit_reminder_rule){ .eve_min = -1, .before_min = 60 };
	p.reminders[1] = (struct visit_reminder_rule){ .eve_min = 1140, .before_min = 0 };
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-26T10:00:00+08:00", sat, 2);
}

TEST(reminders_too_late_are_left_out)
{
	struct visit_policy p = policy();
	const char *only_eve[] = { "2026-11-27T19:00:00+08:00" };
	const char *one_hour[] = { "2026-11-28T13:00:00+08:00" };

	/* The 1 h reminder would be at now + 1 minute exactly: too late. */
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-28T12:59:00+08:00", NULL, 0);
	/* A second more of notice and it goes. */
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-28T12:58:59+08:00", one_hour, 1);
	/* Booked 30 minutes ahead: nothing to remind of. */
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-28T13:30:00+08:00", NULL, 0);
	/* A visit in the past has no reminders. */
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-29T10:00:00+08:00", NULL, 0);
	/* Only the evening rule: a rule with neither kind is ignored. */
	p.reminders[1] = (struct visit_reminder_rule){ .eve_min = -1, .before_min = 0 };
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-26T10:00:00+08:00", only_eve, 1);
}

TEST(reminders_in_quiet_hours)
{
	struct visit_policy p = policy();
	const char *moved[] = { "2026-11-27T20:59:00+08:00", "2026-11-28T13:00:00+08:00" };
	const char *kept_eve[] = { "2026-11-27T21:30:00+08:00", "2026-11-28T06:00:00+08:00" };
	const char *late_visit[] = { "2026-11-27T20:59:00+08:00", "2026-11-28T21:00:00+08:00" };
	const char *dedup[] = { "2026-11-27T20:59:00+08:00", "2026-11-28T13:00:00+08:00" };

	/* "eve 21:30" falls in quiet hours: one minute before they begin. */
	p.reminders[0].eve_min = 21 * 60 + 30;
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-26T10:00:00+08:00", moved, 2);
	/* Booked at 20:59:30: the moved reminder is no longer after now + 1 minute. */
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-27T20:59:30+08:00", moved + 1, 1);
	/* A 07:00 visit starts inside the same quiet period: both stay where they fall. */
	check_reminders(&p, "2026-11-28T07:00:00+08:00", "2026-11-26T10:00:00+08:00", kept_eve, 2);
	/* A 22:00 visit: its 1 h reminder at 21:00 is in its own quiet period and stays; the
	 * evening rule is in the night before, another period, and moves. */
	check_reminders(&p, "2026-11-28T22:00:00+08:00", "2026-11-26T10:00:00+08:00", late_visit,
			2);
	/* Two rules landing on one time give one reminder. */
	p.nreminders = 3;
	p.reminders[2] = (struct visit_reminder_rule){ .eve_min = 20 * 60 + 59, .before_min = 0 };
	check_reminders(&p, "2026-11-28T14:00:00+08:00", "2026-11-26T10:00:00+08:00", dedup, 2);
}

TEST(reminders_other_quiet_hours)
{
	struct visit_policy p = policy();
	const char *none[] = { "2026-11-27T19:00:00+08:00", "2026-11-28T07:30:00+08:00" };
	const char *noon[] = { "2026-11-27T11:59:00+08:00", "2026-11-28T13:30:00+08:00" };

	/* No quiet hours: an early reminder stays for any visit. */
	p.quiet_start_min = p.quiet_end_min = 0;
	check_reminders(&p, "2026-11-28T08:30:00+08:00", "2026-11-26T10:00:00+08:00", none, 2);
	/* Quiet hours that do not wrap midnight (12:00-14:00). "eve 12:30" moves to 11:59; a
	 * 15:30 visit's 2 h reminder at 13:30 stays, the visit being less than 2 h after the
	 * quiet hours end (a minutes-before reminder inside quiet hours always is). */
	p.quiet_start_min = 12 * 60;
	p.quiet_end_min = 14 * 60;
	p.reminders[0].eve_min = 12 * 60 + 30;
	p.reminders[1].before_min = 120;
	check_reminders(&p, "2026-11-28T15:30:00+08:00", "2026-11-26T10:00:00+08:00", noon, 2);
}

/* The field visit_check_window names for a window, or "" when it accepts it. */
static const char *window_field(const struct visit_hours *h, const char *start, const char *end,
				const char *now, struct err *e)
{
	struct visit_policy p = policy();
	int rc;

	err_clear(e);
	rc = visit_check_window(&p, h, "heat temperature measurements", ms_of(start), ms_of(end),
				ms_of(now), e);
	CHECK_INT(rc, rc == 0 ? 0 : ERR_INVALID);
	CHECK(rc == 0 || e->msg[0] != '\0');
	return rc == 0 ? "" : e->field;
}

TEST(check_window)
{
	struct visit_hours h = { 480, 1260 }, all_day = { 0, 1440 };
	const char *thu = "2026-11-26T10:00:00+08:00";
	struct err e;

	CHECK_STR(
		window_field(&h, "2026-11-28T14:00:00+08:00", "2026-11-28T16:00:00+08:00", thu, &e),
		"");
	CHECK_STR(
		window_field(&h, "2026-11-28T09:00:00+08:00", "2026-11-28T21:00:00+08:00", thu, &e),
		"");
	/* In the past, or starting right now. */
	CHECK_STR(
		window_field(&h, "2026-11-26T09:00:00+08:00", "2026-11-26T11:00:00+08:00", thu, &e),
		"start");
	CHECK(strstr(e.msg, "future") != NULL);
	CHECK_STR(window_field(&h, thu, "2026-11-26T11:00:00+08:00", thu, &e), "start");
	/* Ending before or when it starts. */
	CHECK_STR(
		window_field(&h, "2026-11-28T14:00:00+08:00", "2026-11-28T13:00:00+08:00", thu, &e),
		"end");
	CHECK_STR(
		window_field(&h, "2026-11-28T14:00:00+08:00", "2026-11-28T14:00:00+08:00", thu, &e),
		"end");
	/* Across midnight, even where the hours would allow it. */
	CHECK_STR(window_field(&all_day, "2026-11-28T20:00:00+08:00", "2026-11-29T01:00:00+08:00",
			       thu, &e),
		  "end");
	CHECK(strstr(e.msg, "midnight") != NULL);
	CHECK_STR(window_field(&all_day, "2026-11-28T20:00:00+08:00", "2026-11-29T00:00:00+08:00",
			       thu, &e),
		  "");
	/* Over 12 hours. */
	CHECK_STR(window_field(NULL, "2026-11-28T07:00:00+08:00", "2026-11-28T19:30:00+08:00", thu,
			       &e),
		  "end");
	CHECK(strstr(e.msg, "12 hours") != NULL);
	CHECK_STR(window_field(NULL, "2026-11-28T07:00:00+08:00", "2026-11-28T19:00:00+08:00", thu,
			       &e),
		  "");
}

/* Outside the booking hours, naming the type and the hours. */
TEST(check_window_booking_hours)
{
	struct visit_hours h = { 480, 1260 };
	const char *thu = "2026-11-26T10:00:00+08:00";
	struct err e;

	CHECK_STR(
		window_field(&h, "2026-11-28T07:00:00+08:00", "2026-11-28T09:00:00+08:00", thu, &e),
		"start");
	CHECK(strstr(e.msg, "heat temperature measurements are booked between 08:00 and 21:00") !=
	      NULL);
	CHECK(strstr(e.msg, "07:00") != NULL);
	CHECK_STR(
		window_field(&h, "2026-11-28T20:00:00+08:00", "2026-11-28T21:30:00+08:00", thu, &e),
		"end");
	CHECK(strstr(e.msg, "21:30") != NULL && strstr(e.msg, "choose a window") != NULL);
	CHECK_STR(
		window_field(&h, "2026-11-28T21:00:00+08:00", "2026-11-28T21:30:00+08:00", thu, &e),
		"start");
	CHECK_STR(
		window_field(&h, "2026-11-28T20:00:00+08:00", "2026-11-28T21:00:01+08:00", thu, &e),
		"end");
}

/* The survey time of a case resolved at resolved (deadline: "" for none), as ISO text. */
static const char *survey(const struct visit_policy *p, const struct calendar *cal,
			  const char *resolved, const char *deadline, bool *prov)
{
	*prov = true;
	return iso(
		visit_survey_at(p, cal, ms_of(resolved), deadline[0] ? ms_of(deadline) : 0, prov));
}

TEST(survey_next_working_day)
{
	struct calendar *cal = load_real();
	struct visit_policy p = policy();
	bool prov;

	if (cal == NULL)
		return;
	/* Friday 09-25 is a holiday and so is the weekend after it; Monday 09-28 works. */
	CHECK_STR(survey(&p, cal, "2026-09-25T16:00:00+08:00", "", &prov),
		  "2026-09-28T10:00:00+08:00");
	CHECK(!prov);
	/* Wednesday 09-30: National Day from 10-01 to 10-07. */
	CHECK_STR(survey(&p, cal, "2026-09-30T11:00:00+08:00", "", &prov),
		  "2026-10-08T10:00:00+08:00");
	/* Saturday 09-19: Sunday 09-20 is an adjusted working day. */
	CHECK_STR(survey(&p, cal, "2026-09-19T15:00:00+08:00", "", &prov),
		  "2026-09-20T10:00:00+08:00");
	/* Resolved late on a Thursday night: the day is the resolution day, Friday. */
	CHECK_STR(survey(&p, cal, "2026-11-26T23:30:00+08:00", "", &prov),
		  "2026-11-27T10:00:00+08:00");
	/* Two working days: 10-08, 10-09; and from 10-08: 10-09, the working Saturday 10-10. */
	p.survey_after_workdays = 2;
	CHECK_STR(survey(&p, cal, "2026-09-30T11:00:00+08:00", "", &prov),
		  "2026-10-09T10:00:00+08:00");
	CHECK_STR(survey(&p, cal, "2026-10-08T11:00:00+08:00", "", &prov),
		  "2026-10-10T10:00:00+08:00");
	/* Another hour of the day. */
	p.survey_after_workdays = 1;
	p.survey_at_min = 14 * 60 + 30;
	CHECK_STR(survey(&p, cal, "2026-09-25T16:00:00+08:00", "", &prov),
		  "2026-09-28T14:30:00+08:00");
	calendar_free(cal);
}

TEST(survey_capped_by_deadline)
{
	struct calendar *cal = load_real();
	struct visit_policy p = policy();
	const char *fri = "2026-09-25T16:00:00+08:00";
	bool prov;

	if (cal == NULL)
		return;
	/* The deadline itself, or later: no cap. */
	CHECK_STR(survey(&p, cal, fri, "2026-09-28T10:00:00+08:00", &prov),
		  "2026-09-28T10:00:00+08:00");
	/* A daytime deadline: the minute before it. */
	CHECK_STR(survey(&p, cal, fri, "2026-09-26T12:00:00+08:00", &prov),
		  "2026-09-26T11:59:00+08:00");
	/* The end of the resolution day: before the quiet hours begin. */
	CHECK_STR(survey(&p, cal, fri, "2026-09-25T23:59:59+08:00", &prov),
		  "2026-09-25T20:59:00+08:00");
	/* 08:00:30 on 09-28: a minute before is in the night's quiet hours, which began on
	 * 09-27 at 21:00. */
	CHECK_STR(survey(&p, cal, fri, "2026-09-28T08:00:30+08:00", &prov),
		  "2026-09-27T20:59:00+08:00");
	/* Almost no time left: at once. */
	CHECK_STR(survey(&p, cal, fri, "2026-09-25T16:00:30+08:00", &prov), fri);
	CHECK(!prov);
	calendar_free(cal);
}

TEST(survey_into_a_year_the_calendar_lacks)
{
	struct calendar *cal = load_real();
	struct visit_policy p = policy();
	bool prov;

	if (cal == NULL)
		return;
	/* 2027-01-01 is a Friday; 2027 counts weekends only, so it is a working day. */
	CHECK_STR(survey(&p, cal, "2026-12-31T15:00:00+08:00", "", &prov),
		  "2027-01-01T10:00:00+08:00");
	CHECK(prov);
	/* Friday 2027-03-05: Monday 03-08. */
	CHECK_STR(survey(&p, cal, "2027-03-05T15:00:00+08:00", "", &prov),
		  "2027-03-08T10:00:00+08:00");
	CHECK(prov);
	CHECK_STR(survey(&p, cal, "2026-12-30T15:00:00+08:00", "", &prov),
		  "2026-12-31T10:00:00+08:00");
	CHECK(!prov);
	calendar_free(cal);
}

TEST(answer_due)
{
	struct calendar *cal = load_real();
	struct visit_policy p = policy();
	int64_t due;
	bool prov = true;

	if (cal == NULL)
		return;
	/* Sent Thursday 11-26: Friday, then Monday 11-30 to its end. */
	due = visit_answer_due(&p, cal, ms_of("2026-11-26T10:00:00+08:00"), &prov);
	CHECK_STR(iso(due), "2026-11-30T23:59:59+08:00");
	CHECK_INT(due % 1000, 999);
	CHECK(!prov);
	/* Sent Wednesday 09-30: 10-08 and 10-09. */
	due = visit_answer_due(&p, cal, ms_of("2026-09-30T10:00:00+08:00"), &prov);
	CHECK_STR(iso(due), "2026-10-09T23:59:59+08:00");
	/* Sent Thursday 2027-01-07: Friday, Monday 01-11, provisional. */
	due = visit_answer_due(&p, cal, ms_of("2027-01-07T10:00:00+08:00"), &prov);
	CHECK_STR(iso(due), "2027-01-11T23:59:59+08:00");
	CHECK(prov);
	calendar_free(cal);
}

TEST(hours_parse)
{
	struct visit_hours h = { -1, -1 };
	struct err e;

	CHECK_INT(visit_hours_parse("08:00-21:00", &h, &e), 0);
	CHECK_INT(h.open_min, 480);
	CHECK_INT(h.close_min, 1260);
	CHECK_INT(visit_hours_parse(" 8:30 - 17:45 ", &h, &e), 0);
	CHECK_INT(h.open_min, 510);
	CHECK_INT(h.close_min, 1065);
	CHECK_INT(visit_hours_parse("00:00-24:00", &h, &e), 0);
	CHECK_INT(h.close_min, 1440);
	h.open_min = h.close_min = -1;
	CHECK_INT(visit_hours_parse("21:00-08:00", &h, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "21:00-08:00") != NULL && strstr(e.msg, "first") != NULL);
	CHECK_INT(visit_hours_parse("08:00-08:00", &h, &e), ERR_INVALID);
	CHECK_INT(visit_hours_parse("8-21", &h, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "HH:MM-HH:MM") != NULL);
	CHECK_INT(visit_hours_parse("08:00-25:00", &h, &e), ERR_INVALID);
	CHECK_INT(visit_hours_parse("08:60-21:00", &h, &e), ERR_INVALID);
	CHECK_INT(visit_hours_parse("24:00-24:00", &h, &e), ERR_INVALID);
	CHECK_INT(visit_hours_parse("08:00", &h, &e), ERR_INVALID);
	CHECK_INT(visit_hours_parse("08:00-21:00-22:00", &h, &e), ERR_INVALID);
	CHECK_INT(visit_hours_parse("", &h, &e), ERR_INVALID);
	CHECK_INT(visit_hours_parse(NULL, &h, &e), ERR_INVALID);
	/* Nothing written on failure. */
	CHECK_INT(h.open_min, -1);
	CHECK_INT(h.close_min, -1);
}

TEST(reminders_parse)
{
	struct visit_policy p = policy();
	struct err e;

	CHECK_INT(visit_reminders_parse("eve 19:00, 60m", &p, &e), 0);
	CHECK_INT(p.nreminders, 2);
	CHECK_INT(p.reminders[0].eve_min, 1140);
	CHECK_INT(p.reminders[0].before_min, 0);
	CHECK_INT(p.reminders[1].eve_min, -1);
	CHECK_INT(p.reminders[1].before_min, 60);
	CHECK_INT(visit_reminders_parse("EVE  20:30,1h", &p, &e), 0);
	CHECK_INT(p.reminders[0].eve_min, 1230);
	CHECK_INT(p.reminders[1].before_min, 60);
	CHECK_INT(visit_reminders_parse("2h", &p, &e), 0);
	CHECK_INT(p.nreminders, 1);
	CHECK_INT(p.reminders[0].eve_min, -1);
	CHECK_INT(p.reminders[0].before_min, 120);
	CHECK_INT(visit_reminders_parse("eve 18:00, 3h, 90min, 15m", &p, &e), 0);
	CHECK_INT(p.nreminders, 4);
	CHECK_INT(p.reminders[2].before_min, 90);
	CHECK_INT(visit_reminders_parse(" off ", &p, &e), 0);
	CHECK_INT(p.nreminders, 0);
}

TEST(reminders_parse_mistakes)
{
	struct visit_policy p = policy();
	struct err e;

	/* Every mistake is refused, says how to fix it, and leaves the rules as they were. */
	CHECK_INT(visit_reminders_parse("", &p, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "off") != NULL);
	CHECK_INT(visit_reminders_parse(NULL, &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("eve 25:00", &p, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "eve 25:00") != NULL && strstr(e.msg, "HH:MM") != NULL);
	CHECK_INT(visit_reminders_parse("eve", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("eve19:00", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("90", &p, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "\"90\"") != NULL);
	CHECK_INT(visit_reminders_parse("0m", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("169h", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("60s", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("-1h", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("60m, 1h", &p, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "twice") != NULL);
	CHECK_INT(visit_reminders_parse("eve 19:00,,60m", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("eve 19:00,", &p, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "empty") != NULL);
	CHECK_INT(visit_reminders_parse("off, 60m", &p, &e), ERR_INVALID);
	CHECK_INT(visit_reminders_parse("1h, 2h, 3h, 4h, 5h", &p, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "at most 4") != NULL);
	CHECK_INT(p.nreminders, 2);
	CHECK_INT(p.reminders[0].eve_min, 1140);
	CHECK_INT(p.reminders[1].before_min, 60);
}

int main(void)
{
	RUN(reminders_evening_before_and_hour_before);
	RUN(reminders_too_late_are_left_out);
	RUN(reminders_in_quiet_hours);
	RUN(reminders_other_quiet_hours);
	RUN(check_window);
	RUN(check_window_booking_hours);
	RUN(survey_next_working_day);
	RUN(survey_capped_by_deadline);
	RUN(survey_into_a_year_the_calendar_lacks);
	RUN(answer_due);
	RUN(hours_parse);
	RUN(reminders_parse);
	RUN(reminders_parse_mistakes);
	return TEST_END();
}
