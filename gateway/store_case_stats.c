/* store_case_stats: the counting behind the case statistics (store_case_stats in
 * store_cases.h; case_stats.h adds labels and writes CSV). Part of the store module.
 * A report is asked for a few times a month, so each query is prepared per call instead
 * of living in the shared statement table. The group queries are built from a const table
 * of grouping columns, never from caller text. Merged cases are duplicates of another
 * case: they are counted once as "merged" and left out of every other number.
 * Never logs; the answer holds counts and the owners' staff names, no resident data. */
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

/* The cases of [?1, ?2) that are not merged, one row each with what the counts need.
 * res_ok: 1 resolution met in time, 0 late (met late, or unmet and past due at ?3), NULL
 * when the case has no resolution clock or it is still running in time. */
#define STATS_BASE                                                                                 \
	"WITH c AS (SELECT c.kind, c.category, c.source, c.department, c.owner, c.area,"           \
	" a.name AS area_name, c.state IN ('resolved', 'visited', 'explained') AS handled,"        \
	" c.reopen_count > 0 AS reopened, c.satisfaction AS sat,"                                  \
	" CASE WHEN k.met_at IS NOT NULL THEN k.met_at <= k.due_at"                                \
	" WHEN k.due_at < ?3 THEN 0 END AS res_ok"                                                 \
	" FROM cases c LEFT JOIN areas a ON a.code = c.area"                                       \
	" LEFT JOIN case_clocks k ON k.case_id = c.id AND k.clock = 2"                             \
	" WHERE c.created_at >= ?1 AND c.created_at < ?2 AND c.state <> 'merged') "

/* The sums of struct tally, in its order. */
#define STATS_SUMS                                                                                 \
	" count(*), sum(handled), sum(reopened),"                                                  \
	" sum(sat IN ('satisfied', 'basically', 'unsatisfied')), sum(sat = 'satisfied'),"          \
	" sum(sat = 'basically'), sum(sat = 'unsatisfied'), count(res_ok), sum(res_ok)"

/* Column 0 key, 1 name, 2.. the sums, 11 the merged count. Without GROUP BY an aggregate
 * gives its one row even when no case matches. */
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

/* The groupings of "by": JSON key and the column of c grouped on. */
static const struct {
	const char *name, *column;
} dims[] = {
	{ "kind", "kind" },     { "category", "category" },
	{ "source", "source" }, { "department", "department" },
	{ "agent", "owner" },   { "area", "area" },
};
#define NDIMS ((int)(sizeof(dims) / sizeof(dims[0])))

struct tally {
	int64_t count, handled, reopened, answered, satisfied, basically, unsatisfied;
	int64_t res_due, res_on_time;
};

/* Reads the STATS_SUMS columns, starting at column col. */
static void tally_read(sqlite3_stmt *q, int col, struct tally *t)
{
	int64_t *f[] = { &t->count,       &t->handled,   &t->reopened,
			 &t->answered,    &t->satisfied, &t->basically,
			 &t->unsatisfied, &t->res_due,   &t->res_on_time };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		*f[i] = sqlite3_column_int64(q, col + (int)i);
}

/* num/den rounded to 4 decimals, or null when there is nothing to divide by. */
static json_t *rate(int64_t num, int64_t den)
{
	if (den <= 0)
		return json_null();
	return json_real(round((double)num / (double)den * 10000.0) / 10000.0);
}

/* A new statement over the range, or an error; ?3 is bound only when the text uses it. */
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
	return 0;
}

/* One row of a "by" list from a group query's row. */
static json_t *group_row(sqlite3_stmt *q, bool with_name)
{
	struct tally t;
	json_t *o;

	tally_read(q, 2, &t);
	o = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o}", "key", store_col_text(q, 0), "count",
		      (json_int_t)t.count, "handled", (json_int_t)t.handled, "handling_rate",
		      rate(t.handled, t.count), "on_time_rate", rate(t.res_on_time, t.res_due),
		      "satisfaction_rate", rate(t.satisfied + t.basically, t.answered));
	if (o != NULL && with_name) {
		const char *name = store_col_text(q, 1);

		json_object_set_new(o, "name", name ? json_string(name) : json_null());
	}
	return o;
}

/* by[dims[d].name]: the list of groups, largest first, ties by key. */
static int stats_group(struct store *s, int d, int64_t from_ms, int64_t to_ms, int64_t now_ms,
		       json_t *by, struct err *e)
{
	char sql[sizeof(summary_sql) + 256];
	sqlite3_stmt *q = NULL;
	json_t *list = json_array();
	int rc, n;

	n = snprintf(sql, sizeof(sql),
		     STATS_BASE "SELECT coalesce(%s, ''), max(area_name)," STATS_SUMS
				" FROM c GROUP BY 1 ORDER BY 3 DESC, 1",
		     dims[d].column);
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

/* The top-level counts into out. */
static int stats_summary(struct store *s, int64_t from_ms, int64_t to_ms, int64_t now_ms,
			 json_t *out, struct err *e)
{
	sqlite3_stmt *q = NULL;
	struct tally t;
	int rc;

	if ((rc = prepare(s, summary_sql, from_ms, to_ms, now_ms, &q, e)) < 0)
		return rc;
	if (sqlite3_step(q) != SQLITE_ROW) {
		rc = store_db_err(s, e, "counting cases");
		goto out;
	}
	tally_read(q, 2, &t);
	json_object_set_new(out, "total", json_integer(t.count));
	json_object_set_new(out, "merged", json_integer(sqlite3_column_int64(q, 11)));
	json_object_set_new(out, "handled", json_integer(t.handled));
	json_object_set_new(out, "handling_rate", rate(t.handled, t.count));
	json_object_set_new(out, "reopened", json_integer(t.reopened));
	json_object_set_new(out, "reopen_rate", rate(t.reopened, t.handled));
	json_object_set_new(out, "satisfaction",
			    json_pack("{s:I, s:I, s:I, s:I, s:o}", "answered",
				      (json_int_t)t.answered, "satisfied", (json_int_t)t.satisfied,
				      "basically", (json_int_t)t.basically, "unsatisfied",
				      (json_int_t)t.unsatisfied, "rate",
				      rate(t.satisfied + t.basically, t.answered)));
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
