/* store_case_stats: the counting behind the case statistics (store_case_stats in
 * store_cases.h; case_stats.h has the shape, adds labels and writes CSV). Part of the store
 * module. A report is asked for a few times a month, so each query is prepared per call
 * instead of living in the shared statement table. The group queries are built from a const
 * table of grouping columns, never from caller text. Merged cases are duplicates of another
 * case: they are counted once as "merged" and left out of every other number, their
 * return visits and appointments included. Never logs; the answer holds counts and the
 * owners' staff names, no resident data. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_cases.h"
#include "store_internal.h"
#include "timefmt.h"

/* The clock numbers of case_rules.h, as keys of "on_time". */
static const char *const clock_keys[] = { "first_contact", "on_site", "resolution",
					  "return_visit" };
#define NCLOCKS ((int)(sizeof(clock_keys) / sizeof(clock_keys[0])))

/* The cases created in [?1, ?2), merged ones included (the outer WHERE drops them). */
#define IN_RANGE "case_id IN (SELECT id FROM cases WHERE created_at >= ?1 AND created_at < ?2)"

/* Per case, its return-visit surveys (every round) and its appointments. A survey was
 * sent when it went out by SMS: it is waiting (sent), went to the phone list (phone), or
 * was answered after it went out; an agent's call or the tracking page may answer one
 * still scheduled, which then was never sent. Only answers to a sent survey by the
 * resident (SMS reply or tracking page) are responses, so the response rate stays a share
 * of what was sent. The phone list is every survey an agent had to (or did) call about. */
#define STATS_VISITS                                                                               \
	"v AS (SELECT case_id,"                                                                    \
	" sum(state IN ('sent', 'phone') OR (state = 'answered' AND sent_at IS NOT NULL))"         \
	" AS sent, sum(state = 'answered') AS answered,"                                           \
	" sum(state = 'answered' AND sent_at IS NOT NULL AND via IN ('sms', 'page'))"              \
	" AS responded, sum(state = 'answered' AND via = 'sms') AS sms,"                           \
	" sum(state = 'answered' AND via = 'page') AS page,"                                       \
	" sum(state = 'answered' AND via = 'phone') AS phone,"                                     \
	" sum(state = 'phone' OR (state = 'answered' AND via = 'phone')) AS phoned,"               \
	" sum(state = 'answered' AND answer = 'satisfied') AS satisfied,"                          \
	" sum(state = 'answered' AND answer = 'basically') AS basically,"                          \
	" sum(state = 'answered' AND answer = 'unsatisfied') AS unsatisfied"                       \
	" FROM surveys WHERE " IN_RANGE " GROUP BY case_id), "                                     \
	"p AS (SELECT case_id, count(*) AS total, sum(status = 'done') AS done,"                   \
	" sum(status = 'missed') AS missed, sum(status = 'cancelled') AS cancelled,"               \
	" sum(status IN ('proposed', 'confirmed', 'rescheduled')) AS open"                         \
	" FROM appointments WHERE " IN_RANGE " GROUP BY case_id), "

/* The cases of [?1, ?2) that are not merged, one row each with what the counts need.
 * res_ok: 1 resolution met in time, 0 late (met late, or unmet and past due at ?3), NULL
 * when the case has no resolution clock or it is still running in time. month: "YYYY-MM"
 * of the creation in local time, ?4 being the store's offset from UTC in seconds. A case
 * without surveys or appointments has NULLs there, which sum() skips. */
#define STATS_BASE                                                                                 \
	"WITH " STATS_VISITS                                                                       \
	"c AS (SELECT c.kind, c.category, c.source, c.department, c.owner, c.area,"                \
	" substr(datetime(c.created_at / 1000 + ?4, 'unixepoch'), 1, 7) AS month,"                 \
	" a.name AS area_name, c.state IN ('resolved', 'visited', 'explained') AS handled,"        \
	" c.reopen_count > 0 AS reopened, c.satisfaction AS sat,"                                  \
	" CASE WHEN k.met_at IS NOT NULL THEN k.met_at <= k.due_at"                                \
	" WHEN k.due_at < ?3 THEN 0 END AS res_ok,"                                                \
	" v.sent AS v_sent, v.answered AS v_answered, v.responded AS v_responded,"                 \
	" v.sms AS v_sms, v.page AS v_page, v.phone AS v_phone, v.phoned AS v_phoned,"             \
	" v.satisfied AS v_satisfied, v.basically AS v_basically,"                                 \
	" v.unsatisfied AS v_unsatisfied, p.total AS a_total, p.done AS a_done,"                   \
	" p.missed AS a_missed, p.cancelled AS a_cancelled, p.open AS a_open"                      \
	" FROM cases c LEFT JOIN areas a ON a.code = c.area"                                       \
	" LEFT JOIN case_clocks k ON k.case_id = c.id AND k.clock = 2"                             \
	" LEFT JOIN v ON v.case_id = c.id LEFT JOIN p ON p.case_id = c.id"                         \
	" WHERE c.created_at >= ?1 AND c.created_at < ?2 AND c.state <> 'merged') "

/* The sums of struct tally, in its order. */
#define STATS_SUMS                                                                                 \
	" count(*), sum(handled), sum(reopened),"                                                  \
	" sum(sat IN ('satisfied', 'basically', 'unsatisfied')), sum(sat = 'satisfied'),"          \
	" sum(sat = 'basically'), sum(sat = 'unsatisfied'), count(res_ok), sum(res_ok),"           \
	" sum(v_sent), sum(v_answered), sum(v_responded), sum(v_sms), sum(v_page), sum(v_phone),"  \
	" sum(v_phoned), sum(v_satisfied), sum(v_basically), sum(v_unsatisfied), sum(a_total),"    \
	" sum(a_done), sum(a_missed), sum(a_cancelled), sum(a_open)"

/* Column 0 key, 1 name, 2.. the sums, then the merged count. Without GROUP BY an
 * aggregate gives its one row even when no case matches. */
static const char summary_sql[] =
	STATS_BASE "SELECT '', NULL," STATS_SUMS ", (SELECT count(*) FROM cases"
		   " WHERE created_at >= ?1 AND created_at < ?2 AND state = 'merged') FROM c";

/* Per clock: (clock, on time, late). */
static const char clocks_sql[] =
	"SELECT k.clock, sum(k.met_at IS NOT NULL AND k.met_at <= k.due_at),"
	" sum(CASE WHEN k.met_at IS NOT NULL THEN k.met_at > k.due_at ELSE k.due_at < ?3 END)"
	" FROM case_clocks k JOIN cases c ON c.id = k.case_id"
	" WHERE c.created_at >= ?1 AND c.created_at < ?2 AND c.state <> 'merged'"
	" GROUP BY k.clock";

/* The groupings of "by": JSON key, the column of c grouped on, and the order of the list:
 * largest first (ties by key), or months in calendar order. */
static const struct {
	const char *name, *column, *order;
} dims[] = {
	{ "kind", "kind", "3 DESC, 1" },     { "category", "category", "3 DESC, 1" },
	{ "source", "source", "3 DESC, 1" }, { "department", "department", "3 DESC, 1" },
	{ "agent", "owner", "3 DESC, 1" },   { "area", "area", "3 DESC, 1" },
	{ "month", "month", "1" },
};
#define NDIMS ((int)(sizeof(dims) / sizeof(dims[0])))

/* The STATS_SUMS columns, in their order. V_: return-visit surveys, A_: appointments. */
enum tally_col {
	T_COUNT,
	T_HANDLED,
	T_REOPENED,
	T_ANSWERED,
	T_SATISFIED,
	T_BASICALLY,
	T_UNSATISFIED,
	T_RES_DUE,
	T_RES_ON_TIME,
	V_SENT,
	V_ANSWERED,
	V_RESPONDED,
	V_SMS,
	V_PAGE,
	V_PHONE,
	V_PHONED,
	V_SATISFIED,
	V_BASICALLY,
	V_UNSATISFIED,
	A_TOTAL,
	A_DONE,
	A_MISSED,
	A_CANCELLED,
	A_OPEN,
	NSUMS
};

struct tally {
	int64_t n[NSUMS];
};

/* Reads the STATS_SUMS columns, starting at column col. */
static void tally_read(sqlite3_stmt *q, int col, struct tally *t)
{
	for (int i = 0; i < NSUMS; i++)
		t->n[i] = sqlite3_column_int64(q, col + i);
}

/* num/den rounded to 4 decimals, or null when there is nothing to divide by. */
static json_t *rate(int64_t num, int64_t den)
{
	if (den <= 0)
		return json_null();
	return json_real(round((double)num / (double)den * 10000.0) / 10000.0);
}

/* A new statement over the range, or an error; ?3 (now) and ?4 (the local offset) are
 * bound only when the text uses them. */
static int prepare(struct store *s, const char *sql, int64_t from_ms, int64_t to_ms, int64_t now_ms,
		   sqlite3_stmt **q, struct err *e)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, q, NULL) != SQLITE_OK) {
		sqlite3_finalize(*q);
		*q = NULL;
		return store_db_err(s, e, "preparing the case statistics");
	}
	sqlite3_bind_int64(*q, 1, from_ms);
	sqlite3_bind_int64(*q, 2, to_ms);
	if (sqlite3_bind_parameter_count(*q) >= 3)
		sqlite3_bind_int64(*q, 3, now_ms);
	if (sqlite3_bind_parameter_count(*q) >= 4)
		sqlite3_bind_int64(*q, 4, (int64_t)s->utc_offset_min * 60);
	return 0;
}

/* Responses (by the resident, to a sent survey) per survey sent. */
static json_t *response_rate(const struct tally *t)
{
	return rate(t->n[V_RESPONDED], t->n[V_SENT]);
}

/* Kept (or missed) appointments among those whose time came and were done or missed;
 * cancelled and still open ones say nothing about keeping a date. */
static json_t *appt_rate(const struct tally *t, enum tally_col which)
{
	return rate(t->n[which], t->n[A_DONE] + t->n[A_MISSED]);
}

/* One row of a "by" list from a group query's row. */
static json_t *group_row(sqlite3_stmt *q, bool with_name)
{
	struct tally t;
	const int64_t *n = t.n;
	json_t *o;

	tally_read(q, 2, &t);
	o = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "key", store_col_text(q, 0),
		      "count", (json_int_t)n[T_COUNT], "handled", (json_int_t)n[T_HANDLED],
		      "handling_rate", rate(n[T_HANDLED], n[T_COUNT]), "on_time_rate",
		      rate(n[T_RES_ON_TIME], n[T_RES_DUE]), "satisfaction_rate",
		      rate(n[T_SATISFIED] + n[T_BASICALLY], n[T_ANSWERED]), "response_rate",
		      response_rate(&t), "kept_rate", appt_rate(&t, A_DONE), "missed_rate",
		      appt_rate(&t, A_MISSED));
	if (o != NULL && with_name) {
		const char *name = store_col_text(q, 1);

		json_object_set_new(o, "name", name ? json_string(name) : json_null());
	}
	return o;
}

/* by[dims[d].name]: the list of groups in the dimension's order. */
static int stats_group(struct store *s, int d, int64_t from_ms, int64_t to_ms, int64_t now_ms,
		       json_t *by, struct err *e)
{
	char sql[sizeof(summary_sql) + 256];
	sqlite3_stmt *q = NULL;
	json_t *list = json_array();
	int rc, n;

	n = snprintf(sql, sizeof(sql),
		     STATS_BASE "SELECT coalesce(%s, ''), max(area_name)," STATS_SUMS
				" FROM c GROUP BY 1 ORDER BY %s",
		     dims[d].column, dims[d].order);
	if (list == NULL || n < 0 || (size_t)n >= sizeof(sql)) {
		rc = err_set(e, ERR_INTERNAL, NULL, "cannot build the statistics by %s",
			     dims[d].name);
		goto out;
	}
	if ((rc = prepare(s, sql, from_ms, to_ms, now_ms, &q, e)) < 0)
		goto out;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(list, group_row(q, strcmp(dims[d].name, "area") == 0));
	if (rc != SQLITE_DONE) {
		rc = store_db_err(s, e, "counting cases by group");
		goto out;
	}
	json_object_set(by, dims[d].name, list);
	rc = 0;
out:
	sqlite3_finalize(q);
	json_decref(list);
	return rc;
}

/* "satisfaction" from the cases' own satisfaction (the last answer each case kept). */
static json_t *case_satisfaction(const int64_t *n)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:o}", "answered", (json_int_t)n[T_ANSWERED],
			 "satisfied", (json_int_t)n[T_SATISFIED], "basically",
			 (json_int_t)n[T_BASICALLY], "unsatisfied", (json_int_t)n[T_UNSATISFIED],
			 "rate", rate(n[T_SATISFIED] + n[T_BASICALLY], n[T_ANSWERED]));
}

/* "return_visits": every survey round counts, so a case asked twice answers twice. */
static json_t *return_visits(const struct tally *t)
{
	const int64_t *n = t->n;
	int64_t rated = n[V_SATISFIED] + n[V_BASICALLY] + n[V_UNSATISFIED];

	return json_pack("{s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:o, s:I, s:{s:I, s:I, s:I, s:o}}",
			 "sent", (json_int_t)n[V_SENT], "answered", (json_int_t)n[V_ANSWERED],
			 "responded", (json_int_t)n[V_RESPONDED], "answered_by", "sms",
			 (json_int_t)n[V_SMS], "page", (json_int_t)n[V_PAGE], "phone",
			 (json_int_t)n[V_PHONE], "response_rate", response_rate(t), "phone_visits",
			 (json_int_t)n[V_PHONED], "satisfaction", "satisfied",
			 (json_int_t)n[V_SATISFIED], "basically", (json_int_t)n[V_BASICALLY],
			 "unsatisfied", (json_int_t)n[V_UNSATISFIED], "rate",
			 rate(n[V_SATISFIED] + n[V_BASICALLY], rated));
}

static json_t *appointments(const struct tally *t)
{
	const int64_t *n = t->n;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "total", (json_int_t)n[A_TOTAL],
			 "done", (json_int_t)n[A_DONE], "missed", (json_int_t)n[A_MISSED],
			 "cancelled", (json_int_t)n[A_CANCELLED], "open", (json_int_t)n[A_OPEN],
			 "kept_rate", appt_rate(t, A_DONE), "missed_rate", appt_rate(t, A_MISSED));
}

/* The top-level counts into out. */
static int stats_summary(struct store *s, int64_t from_ms, int64_t to_ms, int64_t now_ms,
			 json_t *out, struct err *e)
{
	sqlite3_stmt *q = NULL;
	struct tally t;
	const int64_t *n = t.n;
	int rc;

	if ((rc = prepare(s, summary_sql, from_ms, to_ms, now_ms, &q, e)) < 0)
		return rc;
	if (sqlite3_step(q) != SQLITE_ROW) {
		rc = store_db_err(s, e, "counting cases");
		goto out;
	}
	tally_read(q, 2, &t);
	json_object_set_new(out, "total", json_integer(n[T_COUNT]));
	json_object_set_new(out, "merged", json_integer(sqlite3_column_int64(q, 2 + NSUMS)));
	json_object_set_new(out, "handled", json_integer(n[T_HANDLED]));
	json_object_set_new(out, "handling_rate", rate(n[T_HANDLED], n[T_COUNT]));
	json_object_set_new(out, "reopened", json_integer(n[T_REOPENED]));
	json_object_set_new(out, "reopen_rate", rate(n[T_REOPENED], n[T_HANDLED]));
	json_object_set_new(out, "satisfaction", case_satisfaction(n));
	json_object_set_new(out, "return_visits", return_visits(&t));
	json_object_set_new(out, "appointments", appointments(&t));
	rc = 0;
out:
	sqlite3_finalize(q);
	return rc;
}

static json_t *clock_json(int64_t on_time, int64_t late)
{
	return json_pack("{s:I, s:I, s:I, s:o}", "due", (json_int_t)(on_time + late), "on_time",
			 (json_int_t)on_time, "late", (json_int_t)late, "rate",
			 rate(on_time, on_time + late));
}

/* out["on_time"]: every clock, with zeros for a clock no case had. */
static int stats_clocks(struct store *s, int64_t from_ms, int64_t to_ms, int64_t now_ms,
			json_t *out, struct err *e)
{
	int64_t on_time[NCLOCKS] = { 0 }, late[NCLOCKS] = { 0 };
	sqlite3_stmt *q = NULL;
	json_t *o;
	int rc;

	if ((rc = prepare(s, clocks_sql, from_ms, to_ms, now_ms, &q, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int c = sqlite3_column_int(q, 0);

		if (c >= 0 && c < NCLOCKS) {
			on_time[c] = sqlite3_column_int64(q, 1);
			late[c] = sqlite3_column_int64(q, 2);
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_db_err(s, e, "counting the cases' clocks");
	o = json_object();
	for (int c = 0; c < NCLOCKS; c++)
		json_object_set_new(o, clock_keys[c], clock_json(on_time[c], late[c]));
	json_object_set_new(out, "on_time", o);
	return 0;
}

int store_case_stats(struct store *s, int64_t from_ms, int64_t to_ms, int64_t now_ms, json_t **out,
		     struct err *e)
{
	json_t *o = json_object(), *by = json_object();
	char buf[32];
	int rc;

	if (o == NULL || by == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory counting cases");
		goto out;
	}
	timefmt_iso(from_ms, s->utc_offset_min, buf);
	json_object_set_new(o, "from", json_string(buf));
	timefmt_iso(to_ms, s->utc_offset_min, buf);
	json_object_set_new(o, "to", json_string(buf));
	if ((rc = stats_summary(s, from_ms, to_ms, now_ms, o, e)) < 0 ||
	    (rc = stats_clocks(s, from_ms, to_ms, now_ms, o, e)) < 0)
		goto out;
	for (int d = 0; d < NDIMS; d++)
		if ((rc = stats_group(s, d, from_ms, to_ms, now_ms, by, e)) < 0)
			goto out;
	json_object_set(o, "by", by);
	*out = o;
	o = NULL;
out:
	json_decref(by);
	json_decref(o);
	return rc;
}
