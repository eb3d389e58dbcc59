/* test_case_stats: the case statistics. store_case_stats on a real SQLite database in a
 * mkdtemp folder, filled through a second connection with a small fixture whose every
 * number is counted by hand below (merged, reopened, late, unmet-but-not-yet-due and
 * past-due clocks, answered and unanswered satisfaction, return-visit surveys in every
 * state and answered every way, appointments in every status, cases just outside the
 * range, months in local time); the period parser (months, quarters, date ranges, local
 * time, every refusal); the labels from hand-built rules; and the CSV (BOM, CRLF,
 * quoting, percentages, the return-visit and appointment columns). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "case_stats.h"
#include "store.h"
#include "store_cases.h"
#include "test.h"
#include "timefmt.h"

#define NOW_LOCAL "2026-11-20 12:00" /* Beijing time, as the fixture writes times */
#define NOW_ISO NOW_LOCAL ":00+08:00"

struct fx {
	char dir[64], path[128];
	struct store *s;
	sqlite3 *db; /* the second connection that writes the fixture */
};

static int64_t ms_of(const char *iso)
{
	int64_t ms = 0;
	struct err e = { 0 };

	CHECK_INT(timefmt_parse(iso, &ms, &e), 0);
	return ms;
}

/* ms('2026-11-01 09:00') in the fixture's SQL: Beijing time to Unix ms, as stored. */
static void sql_ms(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *local = (const char *)sqlite3_value_text(argv[0]);
	char iso[64];

	(void)argc;
	snprintf(iso, sizeof(iso), "%.30s:00+08:00", local ? local : "");
	if (local != NULL) /* else the result stays NULL */
		sqlite3_result_int64(ctx, ms_of(iso));
}

/* The return-visit surveys: (case, round, state, sent, answer, via). In November (A-E):
 * sent 5 (A0, A1, B0 on the phone list, C0, E0 waiting; D0 was answered on the tracking
 * page before its SMS went, C1 was cancelled, D1 is still scheduled), answered 4 (A0 sms,
 * A1 page, C0 phone, D0 page), responded 2 (A0, A1: D0 was never sent), phone visits 2
 * (B0, C0), answers 1 satisfied (A1), 1 basically (D0), 2 unsatisfied (A0, C0). F's is
 * merged away; G's (October, sms, satisfied) and H's (December, phone list) count in Q4. */
#define SURVEYS_SQL                                                                                \
	"CREATE TEMP TABLE fxs(number, round, state, sent, answer, via);"                          \
	"INSERT INTO fxs VALUES"                                                                   \
	" ('A', 0, 'answered', '2026-11-02 09:00', 'unsatisfied', 'sms'),"                         \
	" ('A', 1, 'answered', '2026-11-09 09:00', 'satisfied', 'page'),"                          \
	" ('B', 0, 'phone', '2026-11-05 09:00', NULL, NULL),"                                      \
	" ('C', 0, 'answered', '2026-11-06 09:00', 'unsatisfied', 'phone'),"                       \
	" ('C', 1, 'cancelled', NULL, NULL, NULL),"                                                \
	" ('D', 0, 'answered', NULL, 'basically', 'page'),"                                        \
	" ('D', 1, 'scheduled', NULL, NULL, NULL),"                                                \
	" ('E', 0, 'sent', '2026-11-19 12:00', NULL, NULL),"                                       \
	" ('F', 0, 'answered', '2026-11-06 09:00', 'satisfied', 'sms'),"                           \
	" ('G', 0, 'answered', '2026-11-03 09:00', 'satisfied', 'sms'),"                           \
	" ('H', 0, 'phone', '2026-12-03 09:00', NULL, NULL);"                                      \
	"INSERT INTO surveys(case_id, round, state, send_at, sent_at, answer, answered_at, via,"   \
	" created_at) SELECT c.id, s.round, s.state, c.created_at, ms(s.sent), s.answer,"          \
	" CASE WHEN s.state = 'answered' THEN c.created_at END, s.via, c.created_at"               \
	" FROM fxs s JOIN cases c ON c.number = s.number;"

/* The appointments. In November: total 10, done 4 (A twice, B, D), missed 2 (B, E),
 * cancelled 1 (C), open 3 (C confirmed, E proposed and rescheduled): kept 4/6, missed 2/6.
 * F's is merged away; G's (done) and H's (missed) count in Q4. */
#define APPOINTMENTS_SQL                                                                           \
	"CREATE TEMP TABLE fxa(number, status);"                                                   \
	"INSERT INTO fxa VALUES ('A', 'done'), ('A', 'done'), ('B', 'missed'), ('B', 'done'),"     \
	" ('C', 'cancelled'), ('C', 'confirmed'), ('D', 'done'), ('E', 'proposed'),"               \
	" ('E', 'rescheduled'), ('E', 'missed'), ('F', 'missed'), ('G', 'done'), ('H', 'missed');" \
	"INSERT INTO appointments(case_id, type, start_at, end_at, status, created_by,"            \
	" created_at, updated_at) SELECT c.id, 'repair', c.created_at,"                            \
	" c.created_at + 7200000, a.status, 'agent', c.created_at, c.created_at"                   \
	" FROM fxa a JOIN cases c ON c.number = a.number;"

/* Cases A-E count in November; F is a duplicate of A (merged: counted only as merged, its
 * late clock and its answer left out); G and H lie just before and exactly at the end of
 * the month (local time). The clocks: A's first contact met exactly at its limit (in time), B's
 * resolution and C's return visit met late, E's first contact unmet past its limit (late),
 * E's on-site due exactly at NOW (not late yet), E's resolution not yet due (not counted). */
static const char fixture_sql[] =
	"INSERT INTO areas(code, name, parent, level) VALUES ('D01', '东区', NULL, 'district'),"
	" ('D02', '西区,新城', NULL, 'district');"
	"CREATE TEMP TABLE fx(number, kind, category, source, department, owner, area, state,"
	" reopen_count, satisfaction, created);"
	"INSERT INTO fx VALUES"
	" ('A', 'repair', 'leak', 'phone', 'network', '王五', 'D01', 'visited', 1, 'satisfied',"
	"  '2026-11-01 00:00'),"
	" ('B', 'repair', 'leak', 'phone', 'network', '王五', 'D01', 'resolved', 0, NULL,"
	"  '2026-11-02 09:00'),"
	" ('C', 'complaint', 'attitude', '12345', 'branch', '李四', 'D02', 'visited', 0,"
	"  'unsatisfied', '2026-11-03 09:00'),"
	" ('D', 'consultation', NULL, 'wechat', NULL, '李四', NULL, 'explained', 0, 'basically',"
	"  '2026-11-04 09:00'),"
	" ('E', 'repair', 'pressure', 'visit', 'network', '王五', 'D02', 'dispatched', 0, NULL,"
	"  '2026-11-19 09:00'),"
	" ('F', 'repair', 'leak', 'phone', 'network', '李四', 'D01', 'merged', 1, 'unsatisfied',"
	"  '2026-11-05 09:00'),"
	" ('G', 'theft', NULL, 'phone', 'enforce', '赵六', 'D01', 'resolved', 1, 'satisfied',"
	"  '2026-10-31 23:59'),"
	" ('H', 'quality', NULL, 'phone', 'lab', '赵六', 'D01', 'visited', 0, 'satisfied',"
	"  '2026-12-01 00:00');"
	"INSERT INTO cases(number, token, token_hash, source, kind, category, class, content,"
	" area, owner, department, state, reopen_count, satisfaction, created_at, updated_at)"
	" SELECT number, number, number, source, kind, category, 'general', 'text', area, owner,"
	" department, state, reopen_count, satisfaction, ms(created), ms(created) FROM fx;"
	"UPDATE cases SET merged_into = (SELECT id FROM cases WHERE number = 'A')"
	" WHERE number = 'F';"
	"CREATE TEMP TABLE fxk(number, clock, due, met);"
	"INSERT INTO fxk VALUES"
	" ('A', 0, '2026-11-01 00:20', '2026-11-01 00:20'),"
	" ('A', 2, '2026-11-02 00:00', '2026-11-01 10:00'),"
	" ('B', 1, '2026-11-02 10:00', '2026-11-02 09:50'),"
	" ('B', 2, '2026-11-03 09:00', '2026-11-04 09:00'),"
	" ('C', 2, '2026-11-08 09:00', '2026-11-05 09:00'),"
	" ('C', 3, '2026-11-09 09:00', '2026-11-10 09:00'),"
	" ('E', 0, '2026-11-19 09:20', NULL), ('E', 1, '" NOW_LOCAL "', NULL),"
	" ('E', 2, '2026-11-26 09:00', NULL), ('G', 2, '2026-11-01 09:00', '2026-11-02 09:00'),"
	" ('F', 2, '2026-11-06 09:00', '2026-11-07 09:00');"
	"INSERT INTO case_clocks(case_id, clock, start_at, due_at, warn_at, met_at)"
	" SELECT c.id, k.clock, c.created_at, ms(k.due), ms(k.due), ms(k.met)"
	" FROM fxk k JOIN cases c ON c.number = k.number;" SURVEYS_SQL APPOINTMENTS_SQL;

static void fx_open(struct fx *fx)
{
	struct err e = { 0 };
	char *msg = NULL;

	strcpy(fx->dir, "/tmp/test_case_stats.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/gw.db", fx->dir);
	if (store_open(fx->path, &fx->s, &e) < 0 || sqlite3_open(fx->path, &fx->db) != SQLITE_OK) {
		fprintf(stderr, "opening %s: %s\n", fx->path, e.msg);
		exit(2);
	}
	sqlite3_busy_timeout(fx->db, 5000);
	sqlite3_create_function(fx->db, "ms", 1, SQLITE_UTF8, NULL, sql_ms, NULL, NULL);
	if (sqlite3_exec(fx->db, fixture_sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "fixture: %s\n", msg);
		exit(2);
	}
	sqlite3_free(msg);
}

static void fx_close(struct fx *fx)
{
	static const char *const files[] = { "", "-wal", "-shm" };
	char p[160];

	sqlite3_close(fx->db);
	store_close(fx->s);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, files[i]);
		unlink(p);
	}
	rmdir(fx->dir);
}

/* November 2026 in Beijing time (or, empty, January 2027), counted at NOW. */
static json_t *stats_of(struct fx *fx, const char *from, const char *to)
{
	json_t *st = NULL;
	struct err e = { 0 };
	int rc = store_case_stats(fx->s, ms_of(from), ms_of(to), ms_of(NOW_ISO), &st, &e);

	if (rc != 0)
		fprintf(stderr, "  store_case_stats: %s\n", e.msg);
	CHECK_INT(rc, 0);
	return st;
}
#define NOVEMBER "2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00"

/* The value at a dotted path ("on_time.resolution.rate"). */
static json_t *at(json_t *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

/* Checks "path=want path=want ...": want an integer, a rate (a real, to 1e-9) or null. */
static void check_all(json_t *o, const char *spec)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');
		json_t *v;
		bool ok;

		*eq = '\0';
		v = at(o, w);
		if (strcmp(eq + 1, "null") == 0)
			ok = json_is_null(v);
		else if (json_is_integer(v))
			ok = json_integer_value(v) == strtoll(eq + 1, NULL, 10) &&
				!strchr(eq + 1, '.');
		else
			ok = json_is_real(v) &&
				fabs(json_real_value(v) - strtod(eq + 1, NULL)) < 1e-9;
		if (!ok)
			fprintf(stderr, "  %s is %s, expected %s\n", w,
				v ? (json_is_null(v) ? "null" : "a different number") : "missing",
				eq + 1);
		CHECK(ok);
	}
}

TEST(summary_counts)
{
	struct fx fx;
	json_t *st;

	fx_open(&fx);
	st = stats_of(&fx, NOVEMBER);
	CHECK_STR(json_string_value(at(st, "from")), "2026-11-01T00:00:00+08:00");
	CHECK_STR(json_string_value(at(st, "to")), "2026-12-01T00:00:00+08:00");
	check_all(st, "total=5 merged=1 handled=4 handling_rate=0.8 reopened=1 reopen_rate=0.25");
	check_all(at(st, "satisfaction"),
		  "answered=3 satisfied=1 basically=1 unsatisfied=1 rate=0.6667");
	check_all(at(st, "on_time.first_contact"), "due=2 on_time=1 late=1 rate=0.5");
	check_all(at(st, "on_time.on_site"), "due=1 on_time=1 late=0 rate=1"); /* E: due now */
	check_all(at(st, "on_time.resolution"), "due=3 on_time=2 late=1 rate=0.6667");
	check_all(at(st, "on_time.return_visit"), "due=1 on_time=0 late=1 rate=0");
	json_decref(st);
	fx_close(&fx);
}

TEST(return_visits_and_appointments)
{
	struct fx fx;
	json_t *st;

	fx_open(&fx);
	st = stats_of(&fx, NOVEMBER);
	/* Responses 2 of 5 sent: D's page answer came before any SMS, so it is no response. */
	check_all(at(st, "return_visits"),
		  "sent=5 answered=4 responded=2 answered_by.sms=1 answered_by.page=2"
		  " answered_by.phone=1 response_rate=0.4 phone_visits=2");
	check_all(at(st, "return_visits.satisfaction"),
		  "satisfied=1 basically=1 unsatisfied=2 rate=0.5");
	check_all(at(st, "appointments"),
		  "total=10 done=4 missed=2 cancelled=1 open=3 kept_rate=0.6667"
		  " missed_rate=0.3333");
	/* The cases' own satisfaction is what it was: A satisfied, C unsatisfied, D basically. */
	check_all(at(st, "satisfaction"), "answered=3 rate=0.6667");
	json_decref(st);
	/* The fourth quarter adds G (October: sent, answered by SMS, satisfied, kept) and H
	 * (December: on the phone list, missed). */
	st = stats_of(&fx, "2026-10-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00");
	check_all(at(st, "return_visits"),
		  "sent=7 answered=5 responded=3 answered_by.sms=2 answered_by.page=2"
		  " answered_by.phone=1 response_rate=0.4286 phone_visits=3"
		  " satisfaction.satisfied=2 satisfaction.unsatisfied=2 satisfaction.rate=0.6");
	check_all(at(st, "appointments"),
		  "total=12 done=5 missed=3 cancelled=1 open=3 kept_rate=0.625 missed_rate=0.375");
	json_decref(st);
	fx_close(&fx);
}

/* "key:count,key:count" of one "by" list, in its order (out: 256 bytes). */
static const char *keys_of(json_t *st, const char *dim, char *out)
{
	json_t *row;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(at(at(st, "by"), dim), i, row)
	{
		used += (size_t)snprintf(out + used, 256 - used, "%s%s:%d", i ? "," : "",
					 json_string_value(json_object_get(row, "key")),
					 (int)json_integer_value(json_object_get(row, "count")));
		if (used >= 256)
			break;
	}
	return out;
}

static json_t *row_of(json_t *st, const char *dim, const char *key)
{
	json_t *row;
	size_t i;

	json_array_foreach(at(at(st, "by"), dim), i, row)
	{
		if (strcmp(json_string_value(json_object_get(row, "key")), key) == 0)
			return row;
	}
	fprintf(stderr, "  no row %s in by.%s\n", key, dim);
	CHECK(0);
	return NULL;
}

TEST(groups_sorted_and_their_rates)
{
	struct fx fx;
	json_t *st;
	char k[256];

	fx_open(&fx);
	st = stats_of(&fx, NOVEMBER);
	CHECK_STR(keys_of(st, "kind", k), "repair:3,complaint:1,consultation:1");
	CHECK_STR(keys_of(st, "category", k), "leak:2,:1,attitude:1,pressure:1");
	CHECK_STR(keys_of(st, "source", k), "phone:2,12345:1,visit:1,wechat:1");
	CHECK_STR(keys_of(st, "department", k), "network:3,:1,branch:1");
	CHECK_STR(keys_of(st, "agent", k), "王五:3,李四:2");
	CHECK_STR(keys_of(st, "area", k), "D01:2,D02:2,:1");
	CHECK_STR(keys_of(st, "month", k), "2026-11:5");
	/* A, B, E: A resolved in time, B late, E still running; only A answered. */
	check_all(row_of(st, "kind", "repair"),
		  "count=3 handled=2 handling_rate=0.6667 on_time_rate=0.5 satisfaction_rate=1");
	/* D: no clocks, basically satisfied. */
	check_all(row_of(st, "kind", "consultation"),
		  "count=1 handled=1 on_time_rate=null satisfaction_rate=1");
	check_all(row_of(st, "area", "D02"), /* C, E */
		  "count=2 handled=1 handling_rate=0.5 on_time_rate=1 satisfaction_rate=0");
	check_all(row_of(st, "agent", "李四"), "count=2 satisfaction_rate=0.5"); /* F merged */
	/* A, B, E: 2 responses (A0, A1) of 4 sent (and B0, E0); appointments done 3 (A, A, B),
	 * missed 2 (B, E). */
	check_all(row_of(st, "department", "network"),
		  "on_time_rate=0.5 response_rate=0.5 kept_rate=0.6 missed_rate=0.4");
	/* C: its one sent survey was answered by phone, not by the resident; its
	 * appointments were cancelled or are still open. */
	check_all(row_of(st, "department", "branch"),
		  "response_rate=0 kept_rate=null missed_rate=null");
	/* D: nothing sent (its answer came first), its one appointment done. */
	check_all(row_of(st, "department", ""), "response_rate=null kept_rate=1 missed_rate=0");
	check_all(row_of(st, "month", "2026-11"),
		  "count=5 handled=4 response_rate=0.4 kept_rate=0.6667 missed_rate=0.3333");
	check_all(row_of(st, "source", "wechat"), "handling_rate=1 on_time_rate=null");
	CHECK_STR(json_string_value(at(row_of(st, "area", "D02"), "name")), "西区,新城");
	CHECK(json_is_null(at(row_of(st, "area", ""), "name")));
	CHECK(at(row_of(st, "department", "network"), "name") == NULL); /* only areas have it */
	json_decref(st);
	fx_close(&fx);
}

/* Months in the store's local time, in calendar order however many cases each has: A
 * (1 November 00:00 in Beijing) and H (1 December 00:00) lie in the month before in UTC. */
TEST(months_of_a_quarter)
{
	struct fx fx;
	json_t *st;
	char k[256];

	fx_open(&fx);
	st = stats_of(&fx, "2026-10-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00");
	CHECK_STR(keys_of(st, "month", k), "2026-10:1,2026-11:5,2026-12:1");
	/* G: resolved, its one survey answered by SMS after it went, its appointment kept. */
	check_all(row_of(st, "month", "2026-10"),
		  "count=1 handled=1 response_rate=1 kept_rate=1 missed_rate=0");
	/* H: visited, its survey on the phone list, its appointment missed. */
	check_all(row_of(st, "month", "2026-12"),
		  "count=1 handled=1 satisfaction_rate=1 response_rate=0 kept_rate=0"
		  " missed_rate=1");
	check_all(row_of(st, "month", "2026-11"), "count=5 response_rate=0.4");
	json_decref(st);
	store_set_utc_offset(fx.s, 0);
	st = stats_of(&fx, "2026-10-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00");
	CHECK_STR(keys_of(st, "month", k), "2026-10:2,2026-11:5");
	json_decref(st);
	fx_close(&fx);
}

TEST(empty_period)
{
	struct fx fx;
	json_t *st;

	fx_open(&fx);
	st = stats_of(&fx, "2027-01-01T00:00:00+08:00", "2027-02-01T00:00:00+08:00");
	check_all(
		st,
		"total=0 merged=0 handled=0 handling_rate=null reopen_rate=null"
		" satisfaction.answered=0 satisfaction.rate=null on_time.resolution.due=0"
		" on_time.return_visit.rate=null return_visits.sent=0 return_visits.answered=0"
		" return_visits.response_rate=null return_visits.satisfaction.rate=null"
		" appointments.total=0 appointments.kept_rate=null appointments.missed_rate=null");
	CHECK(json_array_size(at(st, "by.kind")) == 0 && json_array_size(at(st, "by.area")) == 0);
	CHECK(json_is_array(at(st, "by.month")) && json_array_size(at(st, "by.month")) == 0);
	json_decref(st);
	fx_close(&fx);
}

/* ---- the period ---- */

/* Parses a period at now (NULL: NOW_ISO); out: "FROM TO LABEL", times in UTC to the minute. */
static int period(const char *month, const char *quarter, const char *from, const char *to,
		  const char *now, int off, char out[128], struct err *e)
{
	int64_t fm = -7, tm = -7;
	char f[32], t[32], label[32];
	int rc = case_stats_period(month, quarter, from, to, ms_of(now ? now : NOW_ISO), off, &fm,
				   &tm, label, e);

	if (rc < 0) {
		CHECK(fm == -7 && tm == -7); /* nothing written on failure */
		return rc;
	}
	timefmt_iso(fm, 0, f);
	timefmt_iso(tm, 0, t);
	snprintf(out, 128, "%.16s %.16s %s", f, t, label);
	return rc;
}

TEST(period_forms)
{
	static const struct {
		const char *month, *quarter, *from, *to;
		int off;
		const char *want;
	} cases[] = {
		{ "2026-11", NULL, NULL, NULL, 480, "2026-10-31T16:00 2026-11-30T16:00 2026-11" },
		{ "2026-12", NULL, NULL, NULL, 480, "2026-11-30T16:00 2026-12-31T16:00 2026-12" },
		{ "2026-11", NULL, NULL, NULL, -300, "2026-11-01T05:00 2026-12-01T05:00 2026-11" },
		{ NULL, "2026-Q4", NULL, NULL, 480, "2026-09-30T16:00 2026-12-31T16:00 2026-Q4" },
		{ NULL, "2026-q1", NULL, NULL, 480, "2025-12-31T16:00 2026-03-31T16:00 2026-Q1" },
		{ NULL, "2026-Q2", NULL, NULL, 0, "2026-04-01T00:00 2026-07-01T00:00 2026-Q2" },
		{ NULL, "2026-Q3", NULL, NULL, 480, "2026-06-30T16:00 2026-09-30T16:00 2026-Q3" },
		{ NULL, NULL, "2026-11-01", "2026-11-30", 480,
		  "2026-10-31T16:00 2026-11-30T16:00 2026-11-01..2026-11-30" },
		{ NULL, NULL, "2028-02-29", "2028-02-29", 480,
		  "2028-02-28T16:00 2028-02-29T16:00 2028-02-29..2028-02-29" },
	};
	char got[128];
	struct err e = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(period(cases[i].month, cases[i].quarter, cases[i].from, cases[i].to, NULL,
				 cases[i].off, got, &e),
			  0);
		CHECK_STR(got, cases[i].want);
	}
	/* None: the month of now in local time; 20:00 UTC on 30 November is already 1 December
	 * in Beijing. */
	CHECK_INT(period(NULL, NULL, NULL, NULL, "2026-11-30T20:00:00Z", 480, got, &e), 0);
	CHECK_STR(got, "2026-11-30T16:00 2026-12-31T16:00 2026-12");
	CHECK_INT(period(NULL, NULL, NULL, NULL, "2026-11-30T20:00:00Z", 0, got, &e), 0);
	CHECK_STR(got, "2026-11-01T00:00 2026-12-01T00:00 2026-11");
}

/* A refused period: the error's field and a piece of its message. */
static void refused(const char *month, const char *quarter, const char *from, const char *to,
		    const char *field, const char *says)
{
	char got[128];
	struct err e = { 0 };

	CHECK_INT(period(month, quarter, from, to, NULL, 480, got, &e), ERR_INVALID);
	CHECK_STR(e.field, field);
	if (strstr(e.msg, says) == NULL)
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", e.msg, says);
	CHECK(strstr(e.msg, says) != NULL);
}

TEST(period_refusals)
{
	refused("2026-13", NULL, NULL, NULL, "month", "like 2026-11");
	refused("2026/11", NULL, NULL, NULL, "month", "like 2026-11");
	refused("2026-1", NULL, NULL, NULL, "month", "\"2026-1\"");
	refused("", NULL, NULL, NULL, "month", "like 2026-11");
	refused(NULL, "2026-Q5", NULL, NULL, "quarter", "like 2026-Q4");
	refused(NULL, "2026-Q0", NULL, NULL, "quarter", "Q1 to Q4");
	refused(NULL, "2026-4", NULL, NULL, "quarter", "like 2026-Q4");
	refused(NULL, NULL, "2026-02-29", "2026-03-01", "from", "like 2026-11-01");
	refused(NULL, NULL, "2026-11-01", "2026-11-31", "to", "\"2026-11-31\"");
	refused(NULL, NULL, "2026-11-30", "2026-11-01", "from", "after to");
	refused(NULL, NULL, "2026-11-02", "2026-11-01", "from", "after to");
	refused(NULL, NULL, "2026-11-01", NULL, "to", "to is missing");
	refused(NULL, NULL, NULL, "2026-11-30", "from", "from is missing");
	refused("2026-11", "2026-Q4", NULL, NULL, "quarter", "both month and quarter");
	refused("2026-11", NULL, "2026-11-01", "2026-11-30", "from", "both month and from/to");
	refused(NULL, "2026-Q4", "2026-11-01", NULL, "from", "quarter=2026-Q4");
}

/* ---- labels and CSV ---- */

/* Rules as case_rules_load would give them, for the labels: two departments, two
 * categories (the fixture's "pressure" is in neither). */
static const struct case_rules rules = {
	.depts = { { "network", "管网部" }, { "branch", "营业分公司" } },
	.ndepts = 2,
	.categories = { { "leak", "漏水" }, { "attitude", "服务态度" } },
	.ncategories = 2,
};

static const char *label_of(json_t *st, const char *dim, const char *key)
{
	return json_string_value(json_object_get(row_of(st, dim, key), "label"));
}

/* Whether the CSV has want as a whole line. */
static bool has_line(const char *csv, const char *want)
{
	char line[512];

	snprintf(line, sizeof(line), "\r\n%s\r\n", want);
	if (csv != NULL && strstr(csv, line) != NULL)
		return true;
	fprintf(stderr, "  no CSV line \"%s\"\n", want);
	return false;
}

TEST(labels_and_csv_of_the_fixture)
{
	/* The BOM, the header, the total and the first clock's line come first. */
	static const char head[] = "\xEF\xBB\xBF"
				   "分组,键,名称,数量,已办结,办结率,按时办结率,满意率,"
				   "回访响应率,预约履约率,预约爽约率\r\n"
				   "合计,,全部,5,4,80.0%,66.7%,66.7%,40.0%,66.7%,33.3%\r\n"
				   "按时率,first_contact,首次联系,2,,,50.0%,,,,\r\n";
	static const char tail[] = "\r\n按区域,,未指定,1,1,100.0%,,100.0%,,100.0%,0.0%\r\n";
	struct err e = { 0 };
	struct fx fx;
	char *csv = NULL;
	size_t len = 0, lf = 0, crlf = 0;
	json_t *st;

	fx_open(&fx);
	st = stats_of(&fx, NOVEMBER);
	case_stats_label(st, &rules);
	CHECK_STR(label_of(st, "kind", "repair"), "报修");
	CHECK_STR(label_of(st, "source", "12345"), "12345市民热线");
	CHECK_STR(label_of(st, "category", "leak"), "漏水");
	CHECK_STR(label_of(st, "category", "pressure"), "pressure"); /* not in the rules */
	CHECK_STR(label_of(st, "category", ""), "未指定");
	CHECK_STR(label_of(st, "department", "branch"), "营业分公司");
	CHECK_STR(label_of(st, "agent", "王五"), "王五");
	CHECK_STR(label_of(st, "area", "D01"), "东区");
	CHECK_STR(label_of(st, "month", "2026-11"), "2026-11");
	CHECK_INT(case_stats_csv(st, &csv, &len, &e), 0);
	CHECK_INT(strlen(csv), len);
	CHECK(len > sizeof(head) && memcmp(csv, head, sizeof(head) - 1) == 0);
	CHECK(len > sizeof(tail) && strcmp(csv + len - (sizeof(tail) - 1), tail) == 0);
	for (size_t i = 0; i < len; i++) {
		lf += csv[i] == '\n';
		crlf += csv[i] == '\n' && i > 0 && csv[i - 1] == '\r';
	}
	CHECK_INT(crlf, lf);
	/* header, summary, 回访 and 预约, the month and the six other groups */
	CHECK_INT(lf, 1 + 7 + 2 + 1 + 3 + 4 + 4 + 3 + 2 + 3);
	CHECK(has_line(csv, "按时率,on_site,到达现场,1,,,100.0%,,,,"));
	CHECK(has_line(csv, "按时率,return_visit,回访,1,,,0.0%,,,,"));
	CHECK(has_line(csv, "重开率,reopened,重开,1,4,25.0%,,,,,"));
	CHECK(has_line(csv,
		       "满意率,satisfaction,满意（含基本满意）,3,,,,66.7%,,,\r\n"
		       "回访,return_visits,回访（已发出）,5,,,,50.0%,40.0%,,\r\n"
		       "预约,appointments,预约,10,,,,,,66.7%,33.3%\r\n"
		       "按月,2026-11,2026-11,5,4,80.0%,66.7%,66.7%,40.0%,66.7%,33.3%\r\n"
		       "按类型,repair,报修,3,2,66.7%,50.0%,100.0%,50.0%,60.0%,40.0%"));
	CHECK(has_line(csv, "按类型,consultation,咨询,1,1,100.0%,,100.0%,,100.0%,0.0%"));
	CHECK(has_line(csv, "按部门,,未指定,1,1,100.0%,,100.0%,,100.0%,0.0%"));
	CHECK(has_line(csv, "按部门,branch,营业分公司,1,1,100.0%,100.0%,0.0%,0.0%,,"));
	CHECK(has_line(csv, "按受理人,王五,王五,3,2,66.7%,50.0%,100.0%,50.0%,60.0%,40.0%"));
	CHECK(has_line(csv, "按区域,D02,\"西区,新城\",2,1,50.0%,100.0%,0.0%,0.0%,0.0%,100.0%"));
	free(csv);
	json_decref(st);
	fx_close(&fx);
}

TEST(csv_quoting_and_empty_rates)
{
	json_t *st = json_pack("{s:I, s:I, s:n, s:{s:[{s:s, s:s, s:I, s:I, s:n, s:f, s:n, s:f}]}}",
			       "total", (json_int_t)0, "handled", (json_int_t)0, "handling_rate",
			       "by", "agent", "key", "O\"Neil, Jr\r\n", "label", "say \"hi\"",
			       "count", (json_int_t)7, "handled", (json_int_t)0, "handling_rate",
			       "on_time_rate", 0.9996, "satisfaction_rate", "kept_rate", 0.25);
	struct err e = { 0 };
	char *csv = NULL;
	size_t len = 0;

	CHECK(st != NULL);
	CHECK_INT(case_stats_csv(st, &csv, &len, &e), 0);
	CHECK(has_line(csv, "合计,,全部,0,0,,,,,,"));
	CHECK(has_line(csv, "回访,return_visits,回访（已发出）,,,,,,,,"));
	CHECK(has_line(csv,
		       "按受理人,\"O\"\"Neil, Jr\r\n\",\"say \"\"hi\"\"\",7,0,,100.0%,,,25.0%,"));
	free(csv);
	json_decref(st);
	CHECK_INT(case_stats_csv(NULL, &csv, &len, &e), ERR_INVALID);
}

int main(void)
{
	RUN(summary_counts);
	RUN(return_visits_and_appointments);
	RUN(groups_sorted_and_their_rates);
	RUN(months_of_a_quarter);
	RUN(empty_period);
	RUN(period_forms);
	RUN(period_refusals);
	RUN(labels_and_csv_of_the_fixture);
	RUN(csv_quoting_and_empty_rates);
	return TEST_END();
}
