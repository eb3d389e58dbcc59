/* store_cases: SQL for cases; see store_cases.h for the contract.
 * Invariants: a case's number and token hash are unique; a state change names the version
 * it was decided on, so of two agents moving one case at once exactly one wins (the other
 * gets ERR_CONFLICT); a clock is announced at most once per warning and once per breach,
 * because the mark is written in the same statement that checks it is still unmarked. */
#include "store_cases.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_internal.h"

const char *const store_case_sql[CST_COUNT] = {
	[CST_SERIAL] = "INSERT INTO case_serials(month, last) VALUES(?1, 1)"
		       " ON CONFLICT(month) DO UPDATE SET last = last + 1 RETURNING last",
	[CST_INSERT] =
		"INSERT INTO cases(number, token, token_hash, source, kind, category, class, major,"
		" reply, name, mobile, address, account, content, request, area, owner, state,"
		" created_at, updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
		" ?15,?16,?17,?18,?19,?19)",
	[CST_LOAD] =
		"SELECT id, number, token, state, source, kind, category, class, department,"
		" area, mobile, account, name, owner, version, major, reply, reopen_count,"
		" created_at, accepted_at, resolved_at, merged_into FROM cases WHERE number = ?",
	[CST_CHANGE] =
		"UPDATE cases SET state = ?3, department = coalesce(?4, department),"
		" routed = coalesce(?5, routed), class = coalesce(?6, class),"
		" accepted_at = coalesce(?7, accepted_at), resolved_at = coalesce(?8, resolved_at),"
		" closed_at = coalesce(?9, closed_at), merged_into = coalesce(?10, merged_into),"
		" reopen_count = reopen_count + ?11, satisfaction = coalesce(?12, satisfaction),"
		" version = version + 1, updated_at = ?13 WHERE id = ?1 AND version = ?2",
	[CST_EVENT] = "INSERT INTO case_events(case_id, at, actor, action, from_state, to_state,"
		      " note, public) VALUES(?,?,?,?,?,?,?,?)",
	[CST_CLOCK_SET] = "INSERT OR REPLACE INTO case_clocks(case_id, clock, start_at, due_at,"
			  " warn_at, provisional) VALUES(?,?,?,?,?,?)",
	[CST_CLOCK_MET] = "UPDATE case_clocks SET met_at = ?3 WHERE case_id = ?1 AND clock = ?2"
			  " AND met_at IS NULL",
	[CST_CLOCK_DROP] = "DELETE FROM case_clocks WHERE case_id = ?1 AND clock = ?2",
	[CST_CLOCK_STARTS] = "SELECT clock, start_at FROM case_clocks WHERE case_id = ?1"
			     " AND met_at IS NULL",
	/* Warnings due and breaches due, both from their partial indexes. A clock already
	 * past its limit gets the breach alone (marking it warned as well). */
	[CST_DUE_LIST] =
		"SELECT k.case_id, c.number, coalesce(c.department, ''), c.kind, k.clock, k.b,"
		" k.start_at, k.due_at FROM (SELECT case_id, clock, 0 AS b, start_at, due_at,"
		" warn_at AS t FROM case_clocks WHERE met_at IS NULL AND warned_at IS NULL"
		" AND warn_at <= ?1 AND due_at > ?1 UNION ALL SELECT case_id, clock, 1, start_at, due_at, due_at"
		" FROM case_clocks WHERE met_at IS NULL AND breached_at IS NULL AND due_at <= ?1)"
		" k JOIN cases c ON c.id = k.case_id ORDER BY k.t LIMIT ?2",
	[CST_DUE_WARNED] = "UPDATE case_clocks SET warned_at = ?3 WHERE case_id = ?1"
			   " AND clock = ?2 AND warned_at IS NULL",
	/* A breach implies the warning: a clock found late at once is not warned after. */
	[CST_DUE_BREACHED] = "UPDATE case_clocks SET breached_at = ?3,"
			     " warned_at = coalesce(warned_at, ?3) WHERE case_id = ?1"
			     " AND clock = ?2 AND breached_at IS NULL",
	[CST_CLUSTER_FIND] = "SELECT id, count, reported_at, numbers FROM case_clusters"
			     " WHERE key = ?1 AND last_at >= ?2 ORDER BY id DESC LIMIT 1",
	[CST_CLUSTER_ADD] = "INSERT INTO case_clusters(key, first_at, last_at, count, numbers)"
			    " VALUES(?1, ?2, ?2, 1, ?3)",
	[CST_CLUSTER_GROW] = "UPDATE case_clusters SET last_at = ?2, count = count + 1,"
			     " numbers = CASE WHEN length(numbers) < 400 THEN numbers || ',' || ?3"
			     " ELSE numbers END WHERE id = ?1",
	[CST_CLUSTER_REPORTED] = "UPDATE case_clusters SET reported_at = ?2 WHERE id = ?1",
	/* The area's name as the public sees it: a building with its community in front. */
	[CST_ROW_BY_NUMBER] =
		"SELECT c.*, CASE WHEN a.level = 'building' THEN coalesce(p.name, '') || a.name"
		" ELSE a.name END AS area_name FROM cases c LEFT JOIN areas a ON a.code = c.area"
		" LEFT JOIN areas p ON p.code = a.parent WHERE c.number = ?",
	[CST_ROW_BY_HASH] =
		"SELECT c.*, CASE WHEN a.level = 'building' THEN coalesce(p.name, '') || a.name"
		" ELSE a.name END AS area_name FROM cases c LEFT JOIN areas a ON a.code = c.area"
		" LEFT JOIN areas p ON p.code = a.parent WHERE c.token_hash = ?",
	[CST_CLOCKS_OF] =
		"SELECT clock, start_at, due_at, warn_at, provisional, met_at,"
		" warned_at, breached_at FROM case_clocks WHERE case_id = ? ORDER BY clock",
	[CST_EVENTS_OF] = "SELECT at, actor, action, from_state AS 'from', to_state AS 'to', note,"
			  " public FROM case_events WHERE case_id = ? ORDER BY id",
	[CST_MSG_OB] =
		"INSERT INTO outbox(notice_id, resident_id, channel, address, state, urgent,"
		" not_before, expires_at, created_at, updated_at) VALUES(?1, (SELECT id FROM"
		" residents WHERE account = ?2 AND deleted_at IS NULL), ?3, ?4, 0, ?7, ?5, ?6,"
		" ?5, ?5)",
	[CST_OPENID] = "SELECT coalesce(openid, '') FROM residents WHERE account = ?1"
		       " AND deleted_at IS NULL AND opt_out_wechat = 0",
	[CST_NOTICE_CASE] = "UPDATE notices SET case_id = ?2 WHERE id = ?1",
	[CST_TOKEN_KNOWN] = "SELECT 1 FROM cases WHERE token_hash = ?1",
	[CST_APPT_OF_CASE] = "SELECT " STORE_APPT_COLS " FROM appointments a WHERE a.case_id = ?1"
			     " AND a.status IN " STORE_APPT_ACTIVE " ORDER BY a.id DESC LIMIT 1",
	[CST_SURVEY_OF_CASE] = "SELECT " STORE_SURVEY_COLS " FROM surveys v JOIN cases c"
			       " ON c.id = v.case_id WHERE v.case_id = ?1 ORDER BY v.round DESC"
			       " LIMIT 1",
	[CST_SURVEY_OF_MOBILE] = "SELECT " STORE_SURVEY_COLS " FROM cases c JOIN surveys v"
				 " ON v.case_id = c.id WHERE c.mobile = ?1"
				 " ORDER BY c.id DESC, v.round DESC LIMIT 1",
	[CST_UNFOLLOWED] = "SELECT 1 FROM residents WHERE account = ?1 AND deleted_at IS NULL"
			   " AND coalesce(openid, '') = ''",
};

int store_case_next_number(struct store *s, const char *prefix, const char *month, char number[40],
			   struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_SERIAL);
	int serial, rc;

	store_bind_text(q, 1, month);
	if (sqlite3_step(q) != SQLITE_ROW) {
		rc = store_db_err(s, e, "numbering a case");
		sqlite3_reset(q);
		return rc;
	}
	serial = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (serial > 99999)
		return err_set(e, ERR_CONFLICT, NULL,
			       "month %s has used all 99999 case numbers; the numbering cannot go "
			       "on until next month",
			       month);
	snprintf(number, 40, "%s%.6s-%05d", prefix ? prefix : "", month, serial);
	return 0;
}

int store_case_insert_numbered(struct store *s, const struct store_case_new *c, const char *num,
			       int64_t *id, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_INSERT);
	int rc;

	store_bind_text(q, 1, num);
	store_bind_text(q, 2, c->token);
	store_bind_text(q, 3, c->token_hash);
	store_bind_text(q, 4, c->source);
	store_bind_text(q, 5, c->kind);
	store_bind_text_or_null(q, 6, c->category);
	store_bind_text(q, 7, c->cls);
	sqlite3_bind_int(q, 8, c->major);
	sqlite3_bind_int(q, 9, c->reply);
	store_bind_text_or_null(q, 10, c->name);
	store_bind_text_or_null(q, 11, c->mobile);
	store_bind_text_or_null(q, 12, c->address);
	store_bind_text_or_null(q, 13, c->account);
	store_bind_text(q, 14, c->content);
	store_bind_text_or_null(q, 15, c->request);
	store_bind_text_or_null(q, 16, c->area);
	store_bind_text(q, 17, c->owner);
	store_bind_text(q, 18, c->state);
	sqlite3_bind_int64(q, 19, c->created_ms);
	if ((rc = store_run(s, q, e, "storing a case")) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int store_case_reserve(struct store *s, const char *number, const char *token,
		       const char *token_hash, const char *kiosk, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_prepare(s,
					"INSERT INTO case_reservations(number, token, token_hash,"
					" kiosk, reserved_at) VALUES(?,?,?,?,?)",
					e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	store_bind_text(q, 1, number);
	store_bind_text(q, 2, token);
	store_bind_text(q, 3, token_hash);
	store_bind_text(q, 4, kiosk);
	sqlite3_bind_int64(q, 5, now_ms);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_db_err(s, e, "reserving a case number");
}

int store_case_reservation(struct store *s, const char *number, const char *token_hash,
			   const char *kiosk, int64_t *case_id, struct err *e)
{
	sqlite3_stmt *q = store_prepare(s,
					"SELECT coalesce(case_id, 0) FROM case_reservations"
					" WHERE number = ?1 AND token_hash = ?2 AND kiosk = ?3",
					e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	store_bind_text(q, 1, number);
	store_bind_text(q, 2, token_hash);
	store_bind_text(q, 3, kiosk);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*case_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? err_set(e, ERR_INVALID, "reservation",
					   "%.40s is not a number this kiosk reserved with that "
					   "token; ask for a new block",
					   number)
				 : store_db_err(s, e, "reading a reservation");
}

int store_case_reservation_used(struct store *s, const char *number, int64_t case_id, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s, "UPDATE case_reservations SET case_id = ?2 WHERE number = ?1", e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	store_bind_text(q, 1, number);
	sqlite3_bind_int64(q, 2, case_id);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_db_err(s, e, "using a reservation");
}

int store_case_load(struct store *s, const char *number, struct store_case *out, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_LOAD);
	struct store_case c;
	int rc;

	store_bind_text(q, 1, number);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? err_set(e, ERR_NOTFOUND, "number", "no case %.40s", number)
				       : store_db_err(s, e, "reading a case");
		sqlite3_reset(q);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.id = sqlite3_column_int64(q, 0);
	store_col_copy(q, 1, c.number, sizeof(c.number));
	store_col_copy(q, 2, c.token, sizeof(c.token));
	store_col_copy(q, 3, c.state, sizeof(c.state));
	store_col_copy(q, 4, c.source, sizeof(c.source));
	store_col_copy(q, 5, c.kind, sizeof(c.kind));
	store_col_copy(q, 6, c.category, sizeof(c.category));
	store_col_copy(q, 7, c.cls, sizeof(c.cls));
	store_col_copy(q, 8, c.department, sizeof(c.department));
	store_col_copy(q, 9, c.area, sizeof(c.area));
	store_col_copy(q, 10, c.mobile, sizeof(c.mobile));
	store_col_copy(q, 11, c.account, sizeof(c.account));
	store_col_copy(q, 12, c.name, sizeof(c.name));
	store_col_copy(q, 13, c.owner, sizeof(c.owner));
	c.version = sqlite3_column_int(q, 14);
	c.major = sqlite3_column_int(q, 15);
	c.reply = sqlite3_column_int(q, 16);
	c.reopen_count = sqlite3_column_int(q, 17);
	c.created_ms = sqlite3_column_int64(q, 18);
	c.accepted_ms = sqlite3_column_int64(q, 19);
	c.resolved_ms = sqlite3_column_int64(q, 20);
	c.merged_into = sqlite3_column_int64(q, 21);
	sqlite3_reset(q);
	*out = c;
	return 0;
}

static void bind_ms_or_null(sqlite3_stmt *q, int i, int64_t v)
{
	if (v != 0)
		sqlite3_bind_int64(q, i, v);
}

int store_case_change(struct store *s, int64_t id, int expect_version,
		      const struct store_case_change *c, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_CHANGE);
	int rc;

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, expect_version);
	store_bind_text(q, 3, c->state);
	store_bind_text_or_null(q, 4, c->department);
	store_bind_text_or_null(q, 5, c->routed);
	store_bind_text_or_null(q, 6, c->cls);
	bind_ms_or_null(q, 7, c->accepted_ms);
	bind_ms_or_null(q, 8, c->resolved_ms);
	bind_ms_or_null(q, 9, c->closed_ms);
	bind_ms_or_null(q, 10, c->merged_into);
	sqlite3_bind_int(q, 11, c->reopened ? 1 : 0);
	store_bind_text_or_null(q, 12, c->satisfaction);
	sqlite3_bind_int64(q, 13, now_ms);
	if ((rc = store_run(s, q, e, "changing a case")) < 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return err_set(e, ERR_CONFLICT, "version",
			       "the case was changed by someone else meanwhile (it is no longer "
			       "version %d); reload it and decide again",
			       expect_version);
	return 0;
}

int store_case_event(struct store *s, int64_t id, int64_t at_ms, const char *actor,
		     const char *action, const char *from, const char *to, const char *note,
		     int public_note, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_EVENT);

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, at_ms);
	store_bind_text(q, 3, actor);
	store_bind_text(q, 4, action);
	store_bind_text_or_null(q, 5, from);
	store_bind_text_or_null(q, 6, to);
	store_bind_text_or_null(q, 7, note);
	sqlite3_bind_int(q, 8, public_note);
	return store_run(s, q, e, "recording a case's history");
}

int store_case_clock_set(struct store *s, int64_t id, int clock, int64_t start_ms, int64_t due_ms,
			 int64_t warn_ms, bool provisional, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_CLOCK_SET);

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, clock);
	sqlite3_bind_int64(q, 3, start_ms);
	sqlite3_bind_int64(q, 4, due_ms);
	sqlite3_bind_int64(q, 5, warn_ms);
	sqlite3_bind_int(q, 6, provisional ? 1 : 0);
	return store_run(s, q, e, "setting a case's deadline");
}

int store_case_clock_met(struct store *s, int64_t id, int clock, int64_t at_ms, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_CLOCK_MET);

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, clock);
	sqlite3_bind_int64(q, 3, at_ms);
	return store_run(s, q, e, "stopping a case's clock");
}

int store_case_clock_drop(struct store *s, int64_t id, int clock, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_CLOCK_DROP);

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, clock);
	return store_run(s, q, e, "removing a case's clock");
}

int store_case_clock_starts(struct store *s, int64_t id, int64_t starts[4], struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_CLOCK_STARTS);
	int rc;

	for (int i = 0; i < 4; i++)
		starts[i] = -1;
	sqlite3_bind_int64(q, 1, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int c = sqlite3_column_int(q, 0);
		if (c >= 0 && c < 4)
			starts[c] = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_db_err(s, e, "reading a case's clocks");
}

int store_case_due_list(struct store *s, int64_t now_ms, struct store_case_due *out, int max,
			struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_DUE_LIST);
	int n = 0, rc;

	sqlite3_bind_int64(q, 1, now_ms);
	sqlite3_bind_int(q, 2, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_case_due *d = &out[n++];
		memset(d, 0, sizeof(*d));
		d->case_id = sqlite3_column_int64(q, 0);
		store_col_copy(q, 1, d->number, sizeof(d->number));
		store_col_copy(q, 2, d->department, sizeof(d->department));
		store_col_copy(q, 3, d->kind, sizeof(d->kind));
		d->clock = sqlite3_column_int(q, 4);
		d->breach = sqlite3_column_int(q, 5);
		d->start_ms = sqlite3_column_int64(q, 6);
		d->due_ms = sqlite3_column_int64(q, 7);
	}
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return store_db_err(s, e, "listing due case clocks");
	}
	sqlite3_reset(q);
	return n;
}

int store_case_due_mark(struct store *s, int64_t id, int clock, int breach, int64_t now_ms,
			struct err *e)
{
	sqlite3_stmt *q = store_cq(s, breach ? CST_DUE_BREACHED : CST_DUE_WARNED);

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, clock);
	sqlite3_bind_int64(q, 3, now_ms);
	return store_run(s, q, e, "marking a case's clock announced");
}

int store_case_cluster_add(struct store *s, const char *key, const char *number, int64_t now_ms,
			   int64_t window_ms, int *count, bool *reported, int64_t *cluster_id,
			   char numbers[512], struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_CLUSTER_FIND);
	int rc = 0;

	store_bind_text(q, 1, key);
	sqlite3_bind_int64(q, 2, now_ms - window_ms);
	if (sqlite3_step(q) == SQLITE_ROW) {
		*cluster_id = sqlite3_column_int64(q, 0);
		*count = sqlite3_column_int(q, 1) + 1;
		*reported = sqlite3_column_type(q, 2) != SQLITE_NULL;
		snprintf(numbers, 512, "%s,%s", (const char *)sqlite3_column_text(q, 3), number);
		sqlite3_reset(q);
		q = store_cq(s, CST_CLUSTER_GROW);
		sqlite3_bind_int64(q, 1, *cluster_id);
		sqlite3_bind_int64(q, 2, now_ms);
		store_bind_text(q, 3, number);
		return store_run(s, q, e, "noting a case cluster");
	}
	sqlite3_reset(q);
	q = store_cq(s, CST_CLUSTER_ADD);
	store_bind_text(q, 1, key);
	sqlite3_bind_int64(q, 2, now_ms);
	store_bind_text(q, 3, number);
	if ((rc = store_run(s, q, e, "noting a case cluster")) < 0)
		return rc;
	*cluster_id = sqlite3_last_insert_rowid(s->db);
	*count = 1;
	*reported = false;
	snprintf(numbers, 512, "%s", number);
	return 0;
}

int store_case_cluster_reported(struct store *s, int64_t cluster_id, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_CLUSTER_REPORTED);

	sqlite3_bind_int64(q, 1, cluster_id);
	sqlite3_bind_int64(q, 2, now_ms);
	return store_run(s, q, e, "marking a case cluster reported");
}
