/* store_surveys: SQL for return-visit surveys and the replies kept with cases; see
 * store_visits.h. Statements are prepared per call, as in store_visits.c: these run at
 * human rates. A survey changes state only from the state its caller read (WHERE state =
 * from), so a reply that arrives twice, or after an agent recorded the answer by phone,
 * changes nothing the second time. */
#include "store_visits.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_internal.h"

int store_survey_schedule(struct store *s, int64_t case_id, int round, int64_t send_ms,
			  int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "INSERT OR IGNORE INTO surveys(case_id, round, state, send_at,"
			      " created_at) VALUES(?1, ?2, 'scheduled', ?3, ?4)",
			      e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, case_id);
	sqlite3_bind_int(q, 2, round);
	sqlite3_bind_int64(q, 3, send_ms);
	sqlite3_bind_int64(q, 4, now_ms);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_db_err(s, e, "scheduling a survey");
}

static void survey_from_row(sqlite3_stmt *q, struct store_survey *v)
{
	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(q, 0);
	v->case_id = sqlite3_column_int64(q, 1);
	v->round = sqlite3_column_int(q, 2);
	store_col_copy(q, 3, v->state, sizeof(v->state));
	v->send_ms = sqlite3_column_int64(q, 4);
	v->sent_ms = sqlite3_column_int64(q, 5);
	v->answer_due_ms = sqlite3_column_int64(q, 6);
	store_col_copy(q, 7, v->number, sizeof(v->number));
	store_col_copy(q, 8, v->mobile, sizeof(v->mobile));
	store_col_copy(q, 9, v->answer, sizeof(v->answer));
}

static int list(struct store *s, const char *sql, int64_t now_ms, struct store_survey *out, int max,
		struct err *e)
{
	sqlite3_stmt *q = store_prepare(s, sql, e);
	int n = 0, rc = SQLITE_DONE;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, now_ms);
	sqlite3_bind_int(q, 2, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW)
		survey_from_row(q, &out[n++]);
	sqlite3_finalize(q);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? n : store_db_err(s, e, "listing surveys");
}

int store_surveys_to_send(struct store *s, int64_t now_ms, struct store_survey *out, int max,
			  struct err *e)
{
	return list(s,
		    "SELECT " STORE_SURVEY_COLS " FROM surveys v JOIN cases c ON c.id = v.case_id"
		    " WHERE v.state = 'scheduled' AND v.send_at <= ?1 ORDER BY v.send_at LIMIT ?2",
		    now_ms, out, max, e);
}

int store_surveys_overdue(struct store *s, int64_t now_ms, struct store_survey *out, int max,
			  struct err *e)
{
	return list(s,
		    "SELECT " STORE_SURVEY_COLS " FROM surveys v JOIN cases c ON c.id = v.case_id"
		    " WHERE v.state = 'sent' AND v.answer_due <= ?1 ORDER BY v.answer_due LIMIT ?2",
		    now_ms, out, max, e);
}

int store_survey_move(struct store *s, int64_t id, const char *from, const char *to,
		      int64_t answer_due_ms, const char *answer, const char *by, const char *via,
		      int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_prepare(
		s,
		"UPDATE surveys SET state = ?3,"
		" sent_at = CASE WHEN ?3 = 'sent' THEN ?7 ELSE sent_at END,"
		" answer_due = coalesce(?4, answer_due), answer = coalesce(?5, answer),"
		" answered_by = coalesce(?6, answered_by), via = coalesce(?8, via),"
		" answered_at = CASE WHEN ?3 = 'answered' THEN ?7 ELSE answered_at END"
		" WHERE id = ?1 AND state = ?2",
		e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, id);
	store_bind_text(q, 2, from);
	store_bind_text(q, 3, to);
	if (answer_due_ms != 0)
		sqlite3_bind_int64(q, 4, answer_due_ms);
	store_bind_text_or_null(q, 5, answer);
	store_bind_text_or_null(q, 6, by);
	sqlite3_bind_int64(q, 7, now_ms);
	store_bind_text_or_null(q, 8, via);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return store_db_err(s, e, "moving a survey");
	return sqlite3_changes(s->db) ? 0 : 1;
}

int store_survey_open(struct store *s, const char *mobile, int64_t case_id,
		      struct store_survey *out, struct err *e)
{
	/* Every tracking page asks by case: kept statements, one per index they use. */
	sqlite3_stmt *q = store_cq(s, mobile ? CST_SURVEY_OF_MOBILE : CST_SURVEY_OF_CASE);
	int rc;

	memset(out, 0, sizeof(*out));
	if (mobile)
		store_bind_text(q, 1, mobile);
	else
		sqlite3_bind_int64(q, 1, case_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		survey_from_row(q, out);
	sqlite3_reset(q);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : store_db_err(s, e, "finding a survey");
}

int store_survey_phone_list(struct store *s, int limit, json_t **out, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "SELECT c.number, v.round AS survey_round, v.sent_at, v.answer_due,"
			      " c.kind, c.department, c.name, c.mobile FROM surveys v JOIN cases c"
			      " ON c.id = v.case_id WHERE v.state = 'phone' ORDER BY v.answer_due"
			      " LIMIT ?1",
			      e);
	json_t *tasks = NULL;
	int rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int(q, 1, limit);
	if ((rc = store_rows_json(s, q, &tasks, e)) < 0)
		return rc;
	*out = json_pack("{s:o}", "tasks", tasks);
	return 0;
}

int store_survey_list(struct store *s, int64_t case_id, json_t **out, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "SELECT round, state, send_at, sent_at, answer_due, answer,"
			      " answered_at, answered_by, via FROM surveys WHERE case_id = ?1"
			      " ORDER BY round DESC",
			      e);

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, case_id);
	return store_rows_json(s, q, out, e);
}

int store_case_reply(struct store *s, int64_t case_id, int64_t survey_id, int64_t appt_id,
		     const char *phone, const char *text, const char *outcome, int64_t at_ms,
		     struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "INSERT INTO case_replies(case_id, survey_id, appointment_id, phone,"
			      " text, outcome, at) VALUES(nullif(?1, 0), nullif(?2, 0),"
			      " nullif(?3, 0), ?4, ?5, ?6, ?7)",
			      e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, case_id);
	sqlite3_bind_int64(q, 2, survey_id);
	sqlite3_bind_int64(q, 3, appt_id);
	store_bind_text_or_null(q, 4, phone);
	store_bind_text(q, 5, text);
	store_bind_text(q, 6, outcome);
	sqlite3_bind_int64(q, 7, at_ms);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_db_err(s, e, "keeping a reply");
}

int store_case_replies(struct store *s, int64_t case_id, json_t **out, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "SELECT text, outcome, at FROM case_replies WHERE case_id = ?1"
			      " ORDER BY id DESC LIMIT 100",
			      e);

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, case_id);
	return store_rows_json(s, q, out, e);
}
