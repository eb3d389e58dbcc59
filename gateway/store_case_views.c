/* store_case_views: reading cases for people (the staff view, the public view's raw data,
 * the staff search) and queueing a case's customer messages. See store_cases.h.
 * The raw views carry personal data: callers mask before anything public sees them. */
#include "store_cases.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_internal.h"

/* The current row as an object keyed by column name, with SQL types kept. */
static json_t *row_json(sqlite3_stmt *q, const char *skip)
{
	json_t *o = json_object();

	for (int i = 0; i < sqlite3_column_count(q); i++) {
		const char *name = sqlite3_column_name(q, i);
		json_t *v;

		if (skip != NULL && strcmp(name, skip) == 0)
			continue;
		switch (sqlite3_column_type(q, i)) {
		case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(q, i)); break;
		case SQLITE_FLOAT: v = json_real(sqlite3_column_double(q, i)); break;
		case SQLITE_NULL: v = json_null(); break;
		default: v = json_string((const char *)sqlite3_column_text(q, i)); break;
		}
		json_object_set_new(o, name, v ? v : json_null());
	}
	return o;
}

static int rows_into(struct store *s, enum cst id, int64_t case_id, json_t *arr, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, id);
	int rc;

	sqlite3_bind_int64(q, 1, case_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(arr, row_json(q, NULL));
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_db_err(s, e, "reading a case");
}

static int view(struct store *s, enum cst id, const char *key, json_t **out, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, id);
	json_t *o = NULL, *clocks = json_array(), *events = json_array();
	int64_t case_id;
	int rc;

	store_bind_text(q, 1, key);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? err_set(e, ERR_NOTFOUND, NULL, "no such case")
				       : store_db_err(s, e, "reading a case");
		sqlite3_reset(q);
		goto out;
	}
	o = row_json(q, "token_hash");
	case_id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if ((rc = rows_into(s, CST_CLOCKS_OF, case_id, clocks, e)) < 0 ||
	    (rc = rows_into(s, CST_EVENTS_OF, case_id, events, e)) < 0)
		goto out;
	json_object_set(o, "clocks", clocks);
	json_object_set(o, "events", events);
	*out = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(clocks);
	json_decref(events);
	return rc < 0 ? rc : 0;
}

int store_case_get(struct store *s, const char *number, json_t **out, struct err *e)
{
	int rc = view(s, CST_ROW_BY_NUMBER, number, out, e);

	if (rc == ERR_NOTFOUND)
		err_set(e, ERR_NOTFOUND, "number", "no case %.40s", number);
	return rc;
}

int store_case_by_token(struct store *s, const char *token_hash, json_t **out, struct err *e)
{
	return view(s, CST_ROW_BY_HASH, token_hash, out, e);
}

/* The search: every filter optional; ?8 overdue at ?9. total comes from a window count. */
static const char find_sql[] =
	"WITH RECURSIVE sub(code) AS (SELECT ?4 UNION"
	" SELECT a.code FROM areas a JOIN sub ON a.parent = sub.code WHERE ?4 IS NOT NULL)"
	" SELECT c.number, c.kind, c.category, c.state, c.department, c.area, c.owner, c.major,"
	" c.created_at, (SELECT min(due_at) FROM case_clocks k WHERE k.case_id = c.id"
	"  AND k.met_at IS NULL) AS due_at,"
	" EXISTS(SELECT 1 FROM case_clocks k WHERE k.case_id = c.id AND k.met_at IS NULL"
	"  AND k.due_at < ?9) AS overdue, count(*) OVER () AS total"
	" FROM cases c WHERE (?1 IS NULL OR c.number = ?1) AND (?2 IS NULL OR c.mobile = ?2)"
	" AND (?3 IS NULL OR c.account = ?3) AND (?4 IS NULL OR c.area IN (SELECT code FROM sub))"
	" AND (?5 IS NULL OR c.state = ?5) AND (?6 IS NULL OR c.department = ?6)"
	" AND (?7 IS NULL OR c.kind = ?7) AND (NOT ?8 OR EXISTS(SELECT 1 FROM case_clocks k"
	"  WHERE k.case_id = c.id AND k.met_at IS NULL AND k.due_at < ?9))"
	" AND (NOT ?10 OR c.state NOT IN ('explained', 'visited', 'merged'))"
	" ORDER BY c.id DESC LIMIT ?11 OFFSET ?12";

static void bind_find(sqlite3_stmt *q, const struct store_case_query *f)
{
	store_bind_text_or_null(q, 1, f->number);
	store_bind_text_or_null(q, 2, f->mobile);
	store_bind_text_or_null(q, 3, f->account);
	store_bind_text_or_null(q, 4, f->area);
	store_bind_text_or_null(q, 5, f->state);
	store_bind_text_or_null(q, 6, f->department);
	store_bind_text_or_null(q, 7, f->kind);
	sqlite3_bind_int(q, 8, f->overdue);
	sqlite3_bind_int64(q, 9, f->now_ms);
	sqlite3_bind_int(q, 10, f->open);
	sqlite3_bind_int(q, 11, f->limit);
	sqlite3_bind_int(q, 12, f->offset);
}

int store_case_find(struct store *s, const struct store_case_query *f, json_t **out, struct err *e)
{
	sqlite3_stmt *q = NULL;
	json_t *list = json_array();
	int64_t total = 0;
	int rc;

	/* Rare and shaped by its filters: prepared per call. */
	if (sqlite3_prepare_v2(s->db, find_sql, -1, &q, NULL) != SQLITE_OK) {
		json_decref(list);
		return store_db_err(s, e, "searching cases");
	}
	bind_find(q, f);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o = row_json(q, "total");
		total = sqlite3_column_int64(q, 11);
		store_json_time(s, o, "created_at", q, 8);
		store_json_time(s, o, "due_at", q, 9);
		json_object_set_new(o, "overdue", json_boolean(sqlite3_column_int(q, 10)));
		json_object_set_new(o, "major", json_boolean(sqlite3_column_int(q, 7)));
		json_array_append_new(list, o);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return store_db_err(s, e, "searching cases");
	}
	*out = json_pack("{s:o, s:I}", "cases", list, "total", (json_int_t)total);
	return 0;
}

static int queue_one(struct store *s, const struct notice *n, const char *account,
		     const char *channel, const char *address, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_MSG_OB);

	sqlite3_bind_int64(q, 1, n->id);
	store_bind_text_or_null(q, 2, account);
	store_bind_text(q, 3, channel);
	store_bind_text(q, 4, address);
	sqlite3_bind_int64(q, 5, n->created_ms);
	sqlite3_bind_int64(q, 6, n->expires_ms);
	sqlite3_bind_int(q, 7, n->urgent);
	return store_run(s, q, e, "queueing a case message");
}

int store_case_message(struct store *s, int64_t case_id, struct notice *n, const char *mobile,
		       const char *resident_account, int *queued, struct err *e)
{
	sqlite3_stmt *q;
	char openid[136] = "";
	int rc, k = 0;

	if ((rc = store_notice_insert(s, n, e)) < 0)
		return rc;
	q = store_cq(s, CST_NOTICE_CASE);
	sqlite3_bind_int64(q, 1, n->id);
	sqlite3_bind_int64(q, 2, case_id);
	if ((rc = store_run(s, q, e, "storing a case message")) < 0)
		return rc;
	if ((n->channels & STORE_CH_WECHAT) && resident_account != NULL &&
	    (rc = store_case_resident_openid(s, resident_account, openid, e)) < 0)
		return rc;
	if ((n->channels & STORE_CH_WECHAT) && openid[0] != '\0') {
		if ((rc = queue_one(s, n, resident_account, "wechat", openid, e)) < 0)
			return rc;
		k++;
	}
	if ((n->channels & STORE_CH_SMS) && mobile != NULL && mobile[0] != '\0' &&
	    !((n->channels & STORE_CH_SMS_ELSE) && k > 0)) {
		if ((rc = queue_one(s, n, resident_account, "sms", mobile, e)) < 0)
			return rc;
		k++;
	}
	*queued = k;
	return 0;
}

int store_case_resident_openid(struct store *s, const char *account, char openid[136],
			       struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_OPENID);
	int rc;

	openid[0] = '\0';
	store_bind_text(q, 1, account);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		store_col_copy(q, 0, openid, 136);
	sqlite3_reset(q);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0
						       : store_db_err(s, e, "reading a resident");
}

bool store_case_unfollowed(struct store *s, const char *account)
{
	sqlite3_stmt *q = store_cq(s, CST_UNFOLLOWED);
	bool yes;

	store_bind_text(q, 1, account);
	yes = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return yes;
}

bool store_case_token_known(struct store *s, const char *token_hash)
{
	sqlite3_stmt *q = store_cq(s, CST_TOKEN_KNOWN);
	bool yes;

	store_bind_text(q, 1, token_hash);
	yes = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return yes;
}

/* Outages whose latest notice is not a restoration or cancellation, not over, starting
 * before until_ms, and announced for the hall's area, an area above it or one below it.
 * ?1 area, ?2 now, ?3 until. */
static const char hall_sql[] =
	"WITH RECURSIVE up(code) AS (SELECT ?1 UNION SELECT a.parent FROM areas a JOIN up"
	"  ON a.code = up.code WHERE a.parent IS NOT NULL),"
	" down(code) AS (SELECT ?1 UNION SELECT a.code FROM areas a JOIN down"
	"  ON a.parent = down.code),"
	" latest AS (SELECT max(id) AS id FROM notices WHERE case_id IS NULL GROUP BY outage_id)"
	" SELECT n.kind, n.utility, n.start_at, n.end_at, n.reason, n.text_wechat"
	" FROM notices n JOIN latest l ON l.id = n.id"
	" WHERE n.kind NOT IN ('restored', 'cancelled') AND n.end_at > ?2 AND n.start_at < ?3"
	" AND EXISTS (SELECT 1 FROM notice_areas na JOIN notices o ON o.id = na.notice_id"
	"  WHERE o.outage_id = n.outage_id AND (na.area_code IN (SELECT code FROM up)"
	"  OR na.area_code IN (SELECT code FROM down)))"
	" ORDER BY n.start_at LIMIT 10";

int store_hall_notices(struct store *s, const char *area, int64_t now_ms, int64_t until_ms,
		       json_t **out, struct err *e)
{
	sqlite3_stmt *q = store_prepare(s, hall_sql, e);

	if (q == NULL)
		return ERR_IO;
	store_bind_text(q, 1, area);
	sqlite3_bind_int64(q, 2, now_ms);
	sqlite3_bind_int64(q, 3, until_ms);
	return store_rows_json(s, q, out, e);
}
