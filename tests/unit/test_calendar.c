/* test_calendar: the working-day calendar on the real config/calendar.ini (run from the
 * repository root): the 2025 and 2026 holidays and adjusted working days, "within N working
 * days" deadlines across National Day, Spring Festival and into a year the file lacks, and
 * every problem a bad calendar file can have, with its line. */
#include "calendar.h"
#include "timefmt.h"

#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#define REAL_CALENDAR "config/calendar.ini"

static struct calendar *load_real(void)
{
	struct calendar *cal = NULL;
	struct calendar_problems pr = { 0 };
	struct err e = { 0 };
	int rc = calendar_load(REAL_CALENDAR, &cal, &pr, &e);

	if (rc != 0)
		fprintf(stderr, "  %s\n", e.msg);
	CHECK_INT(rc, 0);
	CHECK_INT(pr.n, 0);
	return cal;
}

static int64_t ms_of(const char *iso)
{
	int64_t ms = 0;
	struct err e = { 0 };

	CHECK_INT(timefmt_parse(iso, &ms, &e), 0);
	return ms;
}

/* The deadline of n working days from acceptance at iso, in Beijing time, as ISO text. */
static void deadline(const struct calendar *cal, const char *iso, int n, char out[32], bool *prov)
{
	int64_t ms = 0;
	struct err e = { 0 };

	CHECK_INT(calendar_add_workdays(cal, ms_of(iso), n, 480, &ms, prov, &e), 0);
	timefmt_iso(ms, 480, out);
}

/* Writes text to a fresh file (path: 32 bytes) and loads it; the file is removed after. */
static int load_text(const char *text, char path[32], struct calendar_problems *pr, struct err *e)
{
	struct calendar *cal = NULL;
	int rc;

	if (test_write_tmp("/tmp/test_calendar.XXXXXX", text, path) < 0)
		return -1;
	rc = calendar_load(path, &cal, pr, e);
	unlink(path);
	calendar_free(cal);
	return rc;
}

/* Whether a problem starts "path:line:" and contains what. */
static bool has_problem(const struct calendar_problems *pr, const char *path, int line,
			const char *what)
{
	char at[64];

	snprintf(at, sizeof(at), "%s:%d:", path, line);
	for (int i = 0; i < pr->n; i++)
		if (strncmp(pr->msg[i], at, strlen(at)) == 0 && strstr(pr->msg[i], what) != NULL)
			return true;
	for (int i = 0; i < pr->n; i++)
		fprintf(stderr, "    problem: %s\n", pr->msg[i]);
	return false;
}

TEST(every_listed_holiday_is_off_and_every_adjusted_day_works)
{
	static const char *const holidays[][2] = {
		{ "2025-01-01", "2025-01-01" }, { "2025-01-28", "2025-02-04" },
		{ "2025-04-04", "2025-04-06" }, { "2025-05-01", "2025-05-05" },
		{ "2025-05-31", "2025-06-02" }, { "2025-10-01", "2025-10-08" },
		{ "2026-01-01", "2026-01-03" }, { "2026-02-15", "2026-02-23" },
		{ "2026-04-04", "2026-04-06" }, { "2026-05-01", "2026-05-05" },
		{ "2026-06-19", "2026-06-21" }, { "2026-09-25", "2026-09-27" },
		{ "2026-10-01", "2026-10-07" },
	};
	static const int workdays[][3] = {
		{ 2025, 1, 26 },  { 2025, 2, 8 },  { 2025, 4, 27 },  { 2025, 9, 28 },
		{ 2025, 10, 11 }, { 2026, 1, 4 },  { 2026, 2, 14 },  { 2026, 2, 28 },
		{ 2026, 5, 9 },   { 2026, 9, 20 }, { 2026, 10, 10 },
	};
	struct calendar *cal = load_real();
	int ndays = 0;
	bool prov = true;

	for (size_t i = 0; cal != NULL && i < sizeof(holidays) / sizeof(holidays[0]); i++) {
		char first[32], last[32];

		snprintf(first, sizeof(first), "%sT00:00:00Z", holidays[i][0]);
		snprintf(last, sizeof(last), "%sT00:00:00Z", holidays[i][1]);
		for (int64_t ms = ms_of(first); ms <= ms_of(last); ms += 86400000, ndays++) {
			char iso[32];
			int y, m, d;

			timefmt_iso(ms, 0, iso);
			CHECK_INT(sscanf(iso, "%d-%d-%d", &y, &m, &d), 3);
			if (calendar_is_workday(cal, y, m, d, &prov))
				fprintf(stderr, "  %s counted as a working day\n", iso);
			CHECK(!calendar_is_workday(cal, y, m, d, &prov));
			CHECK(!prov);
		}
	}
	CHECK_INT(ndays, 28 + 33);
	for (size_t i = 0; cal != NULL && i < sizeof(workdays) / sizeof(workdays[0]); i++) {
		CHECK(calendar_is_workday(cal, workdays[i][0], workdays[i][1], workdays[i][2],
					  &prov));
		CHECK(!prov);
	}
	calendar_free(cal);
}

TEST(plain_days_and_unknown_years)
{
	struct calendar *cal = load_real();
	bool prov = true;

	if (cal == NULL)
		return;
	CHECK(calendar_has_year(cal, 2025) && calendar_has_year(cal, 2026));
	CHECK(!calendar_has_year(cal, 2027));
	CHECK(calendar_is_workday(cal, 2025, 3, 7, &prov)); /* a Friday */
	CHECK(!prov);
	CHECK(!calendar_is_workday(cal, 2025, 3, 8, &prov)); /* a Saturday */
	CHECK(!calendar_is_workday(cal, 2026, 1, 3, NULL)); /* a Saturday and a holiday */
	CHECK(calendar_is_workday(cal, 2026, 1, 4, NULL)); /* the working Sunday */
	CHECK(calendar_is_workday(cal, 2027, 1, 1, &prov)); /* New Year, but 2027 is unknown */
	CHECK(prov);
	CHECK(!calendar_is_workday(cal, 2024, 12, 29, &prov)); /* a Sunday */
	CHECK(prov);
	calendar_free(cal);
}

TEST(national_day_2025)
{
	struct calendar *cal = load_real();
	char out[32];
	bool prov = true;

	if (cal == NULL)
		return;
	/* 10-01..08 off; 10-09, 10-10, the working Saturday 10-11, 10-13, 10-14. */
	deadline(cal, "2025-09-30T10:00:00+08:00", 5, out, &prov);
	CHECK_STR(out, "2025-10-14T23:59:59+08:00");
	CHECK(!prov);
	deadline(cal, "2025-09-30T10:00:00+08:00", 3, out, &prov);
	CHECK_STR(out, "2025-10-11T23:59:59+08:00");
	/* The working Sunday before the holiday. */
	deadline(cal, "2025-09-26T18:00:00+08:00", 1, out, &prov);
	CHECK_STR(out, "2025-09-28T23:59:59+08:00");
	calendar_free(cal);
}

TEST(spring_festival_2026)
{
	struct calendar *cal = load_real();
	char out[32];
	bool prov = true;

	if (cal == NULL)
		return;
	/* Friday 02-13: the working Saturday 02-14, then 02-15..23 off, 02-24..27, the working
	 * Saturday 02-28, Monday 03-02. */
	deadline(cal, "2026-02-13T09:00:00+08:00", 1, out, &prov);
	CHECK_STR(out, "2026-02-14T23:59:59+08:00");
	deadline(cal, "2026-02-13T09:00:00+08:00", 2, out, &prov);
	CHECK_STR(out, "2026-02-24T23:59:59+08:00");
	deadline(cal, "2026-02-13T09:00:00+08:00", 6, out, &prov);
	CHECK_STR(out, "2026-02-28T23:59:59+08:00");
	deadline(cal, "2026-02-13T09:00:00+08:00", 7, out, &prov);
	CHECK_STR(out, "2026-03-02T23:59:59+08:00");
	CHECK(!prov);
	calendar_free(cal);
}

TEST(new_year_2026_and_into_2027)
{
	struct calendar *cal = load_real();
	char out[32];
	int64_t ms = 0;
	bool prov = true;
	struct err e = { 0 };

	if (cal == NULL)
		return;
	/* 01-01..03 off, then the working Sunday 01-04. */
	deadline(cal, "2025-12-31T16:00:00+08:00", 1, out, &prov);
	CHECK_STR(out, "2026-01-04T23:59:59+08:00");
	CHECK(!prov);
	/* 12-31, then 2027-01-01 counts as a plain Friday: provisional. */
	deadline(cal, "2026-12-30T16:00:00+08:00", 3, out, &prov);
	CHECK_STR(out, "2027-01-04T23:59:59+08:00");
	CHECK(prov);
	deadline(cal, "2026-12-30T16:00:00+08:00", 1, out, &prov);
	CHECK_STR(out, "2026-12-31T23:59:59+08:00");
	CHECK(!prov);
	/* The very last millisecond of the day. */
	CHECK_INT(calendar_add_workdays(cal, ms_of("2026-12-30T16:00:00+08:00"), 1, 480, &ms, &prov,
					&e),
		  0);
	CHECK_INT(ms, ms_of("2027-01-01T00:00:00+08:00") - 1);
	CHECK_INT(calendar_add_workdays(cal, 0, 0, 480, &ms, &prov, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "from 1 to") != NULL);
	calendar_free(cal);
}

TEST(friday_evening)
{
	struct calendar *cal = load_real();
	char out[32];
	bool prov = true;

	if (cal == NULL)
		return;
	deadline(cal, "2025-03-07T20:30:00+08:00", 1, out, &prov);
	CHECK_STR(out, "2025-03-10T23:59:59+08:00");
	deadline(cal, "2025-03-07T20:30:00+08:00", 5, out, &prov);
	CHECK_STR(out, "2025-03-14T23:59:59+08:00");
	/* Thursday 16:30 UTC is already Friday 00:30 in Beijing: Friday is the day of
	 * acceptance and does not count. */
	deadline(cal, "2025-03-06T16:30:00Z", 1, out, &prov);
	CHECK_STR(out, "2025-03-10T23:59:59+08:00");
	deadline(cal, "2025-03-06T15:30:00Z", 1, out, &prov);
	CHECK_STR(out, "2025-03-07T23:59:59+08:00");
	calendar_free(cal);
}

TEST(bad_file_every_problem_with_its_line)
{
	static const char text[] = "[2025]\n" /* 1 */
				   "holidays = 2025-01-01, 2025-1-02\n" /* 2 */
				   "holidays = 2025-02-04..2025-01-28\n" /* 3 */
				   "holidays = 2024-12-31..2025-01-01, 2026-01-01\n" /* 4 */
				   "holidays = 2025-10-01..2025-10-11\n" /* 5 */
				   "workdays = 2025-10-11\n" /* 6 */
				   "holiday = 2025-05-01\n" /* 7 */
				   "[20x5]\n" /* 8 */
				   "holidays = 2025-05-01\n" /* 9: under a bad header, skipped */
				   "[2026]\n" /* 10 */
				   "workdays = 2026-01-04, 2026-02-30\n"; /* 11 */
	struct calendar_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];

	CHECK_INT(load_text(text, path, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 2,
			  "[2025] holidays: \"2025-1-02\" is not a date; write YYYY-MM-DD"));
	CHECK(has_problem(&pr, path, 3, "range 2025-02-04..2025-01-28 ends before it starts"));
	CHECK(has_problem(
		&pr, path, 4,
		"reaches outside 2025; end it on the year's last day and list the rest under [2024]"));
	CHECK(has_problem(
		&pr, path, 6,
		"2025-10-11 is both a holiday (line 5) and an adjusted working day (line 6)"));
	CHECK(has_problem(&pr, path, 7, "[2025] holiday: unknown key"));
	CHECK(has_problem(&pr, path, 8, "\"[20x5]\" is not a year's header"));
	CHECK(has_problem(&pr, path, 11, "\"2026-02-30\" is not a date"));
	CHECK(has_problem(&pr, path, 4,
			  "2026-01-01 is not in 2025; move it to the [2026] section"));
	CHECK_INT(pr.n, 8);
	CHECK(strncmp(e.msg, pr.msg[0], strlen(pr.msg[0])) == 0);
}

TEST(bad_file_layout)
{
	static const char text[] = "holidays = 2025-01-01\n" /* 1 */
				   "[2025]\n" /* 2 */
				   "workdays 2025-01-26\n" /* 3 */
				   "[2025]\n" /* 4 */
				   "[1999]\n"; /* 5 */
	struct calendar_problems pr = { 0 };
	struct err e = { 0 };
	struct calendar *cal = NULL;
	char path[32];

	CHECK_INT(load_text(text, path, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 1, "outside a section"));
	CHECK(has_problem(&pr, path, 3, "not a \"key = value\" line"));
	CHECK(has_problem(&pr, path, 4, "[2025] appears twice (first on line 2)"));
	CHECK(has_problem(&pr, path, 5, "is not a year's header"));
	CHECK_INT(pr.n, 4);
	CHECK_INT(load_text("; nothing\n", path, &pr, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "no [YEAR] section") != NULL);
	CHECK_INT(calendar_load("/nonexistent/calendar.ini", &cal, &pr, &e), ERR_IO);
	CHECK(cal == NULL); /* written only on success */
	CHECK(strstr(e.msg, "/nonexistent/calendar.ini") != NULL);
}

TEST(too_long_line)
{
	struct calendar_problems pr = { 0 };
	struct err e = { 0 };
	char path[32];
	char longer[300] = "[2025]\nholidays = 2025-01-01";

	for (int i = 0; i < 20; i++)
		strcat(longer, ", 2025-01-01");
	strcat(longer, "\n");
	CHECK_INT(load_text(longer, path, &pr, &e), ERR_INVALID);
	CHECK(has_problem(&pr, path, 2, "longer than the 199 the INI reader takes"));
}

int main(void)
{
	RUN(every_listed_holiday_is_off_and_every_adjusted_day_works);
	RUN(plain_days_and_unknown_years);
	RUN(national_day_2025);
	RUN(spring_festival_2026);
	RUN(new_year_2026_and_into_2027);
	RUN(friday_evening);
	RUN(bad_file_every_problem_with_its_line);
	RUN(bad_file_layout);
	RUN(too_long_line);
	return TEST_END();
}
