/* store: SQLite access for the whole daemon; see store.h for the contract.
 * Every statement is in the const table below and is prepared once per connection.
 * The schema and its migrations are in store_schema.c.
 * Invariants: an outbox row is unique per (notice, resident, channel); only a row in state
 * sending is moved to a final state by store_outbox_record (so a superseded or expired
 * message is never turned back into sent). Times are Unix milliseconds. */
#include "store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_internal.h"
#include "timefmt.h"

/* Recipients of a notice are collected in temp.recip so that counting (dry run) and
 * enqueueing share one definition. ?1 notice id, ?2 urgent, ?3 now, ?4 not_before,
 * ?5 expires_at in the outbox inserts. */
/* Notices routed "wechat-else-sms" (channel bit 4) send SMS only to residents that WeChat
 * cannot reach: no openid, or opted out of WeChat (which an urgent notice ignores). */
#define WX_USABLE "((?1 & 4) AND coalesce(r.openid,'') <> '' AND (r.opt_out_wechat = 0 OR ?2))"
#define WX_USABLE_6 "(?6 AND coalesce(r.openid,'') <> '' AND (r.opt_out_wechat = 0 OR ?2))"

const char *const store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_KEY_ADD] = "INSERT INTO api_keys(name, role, hash, created_at) VALUES(?,?,?,?)",
	[ST_KEY_ROLE] = "SELECT role, name FROM api_keys WHERE hash = ? AND revoked_at IS NULL",
	[ST_AREA_GET] = "SELECT 1 FROM areas WHERE code = ?",
	[ST_AREA_INSERT] = "INSERT INTO areas(code, name, parent, level) VALUES(?,?,?,?)",
	[ST_AREA_UPDATE] = "UPDATE areas SET name = ?2, parent = ?3, level = ?4 WHERE code = ?1",
	[ST_AREA_LIST] =
		"SELECT a.code, a.name, a.parent, a.level,"
		" (SELECT count(*) FROM resident_areas ra JOIN residents r ON r.id = ra.resident_id"
		"  WHERE ra.area_code = a.code AND r.deleted_at IS NULL)"
		" FROM areas a ORDER BY a.code",
	/* Is ?2 equal to ?1 or below it? Used to refuse cycles. */
	[ST_AREA_IS_BELOW] =
		"WITH RECURSIVE up(code) AS (SELECT ?2 UNION"
		" SELECT a.parent FROM areas a JOIN up ON a.code = up.code WHERE a.parent IS NOT NULL)"
		" SELECT 1 FROM up WHERE code = ?1",
	[ST_AREA_LABEL] = "SELECT a.name, a.level, a.parent, p.name FROM areas a"
			  " LEFT JOIN areas p ON p.code = a.parent WHERE a.code = ?",
	[ST_RES_FIND] =
		"SELECT r.id, r.name, r.mobile, r.openid, r.opt_out_sms, r.opt_out_wechat,"
		" r.deleted_at, (SELECT group_concat(area_code, ',') FROM (SELECT area_code FROM"
		" resident_areas WHERE resident_id = r.id ORDER BY area_code))"
		" FROM residents r WHERE r.account = ?",
	[ST_RES_INSERT] = "INSERT INTO residents(account, name, mobile, openid, opt_out_sms,"
			  " opt_out_wechat, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?)",
	[ST_RES_UPDATE] =
		"UPDATE residents SET name = ?2, mobile = ?3, openid = ?4,"
		" opt_out_sms = ?5, opt_out_wechat = ?6, updated_at = ?7, deleted_at = NULL"
		" WHERE id = ?1",
	[ST_RES_AREAS_DEL] = "DELETE FROM resident_areas WHERE resident_id = ?",
	[ST_RES_AREA_ADD] = "INSERT OR IGNORE INTO resident_areas(area_code, resident_id)"
			    " VALUES(?,?)",
	[ST_RES_AREA_CODES] = "SELECT area_code FROM resident_areas WHERE resident_id = ?"
			      " ORDER BY area_code",
	[ST_RES_ROW] =
		"SELECT id, account, name, mobile, openid, opt_out_sms, opt_out_wechat,"
		" created_at, updated_at FROM residents WHERE account = ? AND deleted_at IS NULL",
	[ST_RES_DELETE] = "UPDATE residents SET deleted_at = ?2, updated_at = ?2"
			  " WHERE account = ?1 AND deleted_at IS NULL",
	[ST_RES_LIST] =
		"WITH RECURSIVE sub(code) AS (SELECT ?1 UNION"
		" SELECT a.code FROM areas a JOIN sub ON a.parent = sub.code)"
		" SELECT r.account FROM residents r WHERE r.deleted_at IS NULL AND (?1 IS NULL OR"
		" r.id IN (SELECT ra.resident_id FROM resident_areas ra JOIN sub"
		" ON ra.area_code = sub.code)) ORDER BY r.account LIMIT ?2 OFFSET ?3",
	[ST_RES_COUNT] =
		"WITH RECURSIVE sub(code) AS (SELECT ?1 UNION"
		" SELECT a.code FROM areas a JOIN sub ON a.parent = sub.code)"
		" SELECT count(*) FROM residents r WHERE r.deleted_at IS NULL AND (?1 IS NULL OR"
		" r.id IN (SELECT ra.resident_id FROM resident_areas ra JOIN sub"
		" ON ra.area_code = sub.code))",
	[ST_RES_HISTORY] =
		"SELECT o.notice_id, n.kind, n.utility, o.channel, o.state, o.reason,"
		" o.attempts, o.provider, o.created_at, o.sent_at, o.updated_at FROM outbox o"
		" JOIN notices n ON n.id = o.notice_id JOIN residents r ON r.id = o.resident_id"
		" WHERE r.account = ? ORDER BY o.id DESC LIMIT 500",
	[ST_TMP_CLEAR_AREAS] = "DELETE FROM temp.sel_areas",
	[ST_TMP_ADD_AREA] = "INSERT OR IGNORE INTO temp.sel_areas(code) VALUES(?)",
	[ST_TMP_CLEAR_RECIP] = "DELETE FROM temp.recip",
	[ST_TMP_FROM_AREAS] =
		"WITH RECURSIVE sub(code) AS (SELECT code FROM temp.sel_areas UNION"
		" SELECT a.code FROM areas a JOIN sub ON a.parent = sub.code)"
		" INSERT OR IGNORE INTO temp.recip(rid) SELECT ra.resident_id FROM resident_areas ra"
		" JOIN sub ON ra.area_code = sub.code",
	[ST_TMP_FROM_OUTAGE] = "INSERT OR IGNORE INTO temp.recip(rid)"
			       " SELECT resident_id FROM outbox WHERE notice_id = ?",
	/* ?1 channels bits, ?2 urgent */
	/* ?1 channel bits (4: SMS only for residents WeChat cannot reach), ?2 urgent */
	[ST_PREVIEW] =
		"SELECT count(*),"
		" coalesce(sum((?1 & 1) AND coalesce(r.mobile,'') <> '' AND NOT " WX_USABLE
		"  AND (r.opt_out_sms = 0 OR ?2)), 0),"
		" coalesce(sum((?1 & 2) AND coalesce(r.openid,'') <> ''"
		"  AND (r.opt_out_wechat = 0 OR ?2)), 0),"
		" coalesce(sum(((?1 & 1) AND coalesce(r.mobile,'') <> '' AND NOT " WX_USABLE
		"  AND r.opt_out_sms AND NOT ?2)"
		"  + ((?1 & 2) AND coalesce(r.openid,'') <> '' AND r.opt_out_wechat AND NOT ?2)), 0),"
		" coalesce(sum(NOT ((?1 & 1) AND coalesce(r.mobile,'') <> '')"
		"  AND NOT ((?1 & 2) AND coalesce(r.openid,'') <> '')), 0)"
		" FROM temp.recip t JOIN residents r ON r.id = t.rid WHERE r.deleted_at IS NULL",
	[ST_NOTICE_INSERT] =
		"INSERT INTO notices(outage_id, references_id, kind, utility,"
		" start_at, end_at, reason, hotline, channels, urgent, forced, text_sms, text_wechat,"
		" sms_parts, created_at, expires_at, vars) VALUES(coalesce(?1, 0),?2,?3,?4,?5,?6,?7,"
		" ?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
	[ST_NOTICE_AREA_ADD] = "INSERT OR IGNORE INTO notice_areas(notice_id, area_code)"
			       " VALUES(?,?)",
	[ST_OB_SMS] =
		"INSERT INTO outbox(notice_id, resident_id, channel, address, state, urgent,"
		" not_before, expires_at, reason, created_at, updated_at)"
		" SELECT ?1, r.id, 'sms', r.mobile, CASE WHEN r.opt_out_sms AND NOT ?2 THEN 5 ELSE 0"
		" END, ?2, ?4, ?5, CASE WHEN r.opt_out_sms AND NOT ?2 THEN 'opted out of sms' END,"
		" ?3, ?3 FROM temp.recip t JOIN residents r ON r.id = t.rid"
		" WHERE r.deleted_at IS NULL AND coalesce(r.mobile, '') <> '' AND NOT " WX_USABLE_6,
	[ST_OB_WECHAT] =
		"INSERT INTO outbox(notice_id, resident_id, channel, address, state,"
		" urgent, not_before, expires_at, reason, created_at, updated_at)"
		" SELECT ?1, r.id, 'wechat', r.openid, CASE WHEN r.opt_out_wechat AND NOT ?2 THEN 5"
		" ELSE 0 END, ?2, ?4, ?5, CASE WHEN r.opt_out_wechat AND NOT ?2 THEN"
		" 'opted out of wechat' END, ?3, ?3 FROM temp.recip t JOIN residents r"
		" ON r.id = t.rid WHERE r.deleted_at IS NULL AND coalesce(r.openid, '') <> ''",
	[ST_OB_NONE] =
		"INSERT INTO outbox(notice_id, resident_id, channel, address, state, urgent,"
		" not_before, expires_at, reason, created_at, updated_at)"
		" SELECT ?1, r.id, 'none', NULL, 5, ?2, ?4, ?5, 'no usable channel', ?3, ?3"
		" FROM temp.recip t JOIN residents r ON r.id = t.rid WHERE r.deleted_at IS NULL"
		" AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.notice_id = ?1"
		" AND o.resident_id = r.id)",
	[ST_SUPERSEDE] = "UPDATE outbox SET state = 6, reason = 'superseded by notice ' || ?2,"
			 " updated_at = ?3 WHERE state = 0 AND notice_id IN"
			 " (SELECT id FROM notices WHERE outage_id = ?1 AND id <> ?2)",
	[ST_NOTICE_ROW] =
		"SELECT id, outage_id, references_id, kind, utility, start_at, end_at,"
		" reason, hotline, channels, urgent, forced, text_sms, text_wechat, sms_parts,"
		" created_at, expires_at FROM notices WHERE id = ?",
	[ST_NOTICE_AREAS] =
		"SELECT na.area_code, a.name FROM notice_areas na JOIN areas a"
		" ON a.code = na.area_code WHERE na.notice_id = ? ORDER BY na.area_code",
	[ST_NOTICE_PROGRESS] = "SELECT state, count(*) FROM outbox WHERE notice_id = ?"
			       " GROUP BY state",
	[ST_NOTICE_FAILURES] =
		"SELECT coalesce(reason, 'unknown'), count(*) FROM outbox"
		" WHERE notice_id = ? AND state = 4 GROUP BY 1 ORDER BY 2 DESC LIMIT 50",
	[ST_NOTICE_SKIPS] = "SELECT coalesce(reason, 'unknown'), count(*) FROM outbox"
			    " WHERE notice_id = ? AND state = 5 GROUP BY 1 ORDER BY 2 DESC",
	[ST_NOTICE_LIST] = "SELECT id FROM notices WHERE case_id IS NULL ORDER BY id DESC LIMIT ?",
	[ST_CLAIM] = "UPDATE outbox SET state = 1, attempts = attempts + 1, updated_at = ?2"
		     " WHERE id IN (SELECT id FROM outbox WHERE state = 0 AND channel = ?1"
		     " AND not_before <= ?2 AND (urgent OR ?3) ORDER BY not_before, id LIMIT ?4)"
		     " RETURNING id, notice_id, expires_at, attempts, urgent, address",
	[ST_REC_SENT] = "UPDATE outbox SET state = 2, provider = ?2, ref = ?3, reason = NULL,"
			" sent_at = ?4, updated_at = ?4, unknown_out = NULL"
			" WHERE id = ?1 AND state = 1",
	[ST_REC_FAILED] = "UPDATE outbox SET state = 4, provider = ?2, reason = ?3,"
			  " updated_at = ?4 WHERE id = ?1 AND state = 1",
	[ST_REC_REQUEUE] = "UPDATE outbox SET state = 0, provider = ?2, reason = ?3,"
			   " updated_at = ?4, not_before = ?5, attempts = attempts - ?6,"
			   " unknown_out = coalesce(?7, unknown_out) WHERE id = ?1 AND state = 1",
	[ST_REC_EXPIRED] = "UPDATE outbox SET state = 7, reason = ?3, updated_at = ?4"
			   " WHERE id = ?1 AND state = 1",
	[ST_EXPIRE] = "UPDATE outbox SET state = 7, updated_at = ?1,"
		      " reason = 'expired: the outage was over before it could be sent'"
		      " WHERE state = 0 AND expires_at <= ?1",
	[ST_RECOVER] = "UPDATE outbox SET state = 0, attempts = max(attempts - 1, 0)"
		       " WHERE state = 1",
	[ST_TEXT] = "SELECT CASE ?2 WHEN 'sms' THEN text_sms ELSE text_wechat END, kind"
		    " FROM notices WHERE id = ?1",
	[ST_NOTICE_VARS] = "SELECT vars FROM notices WHERE id = ?1",
	[ST_RECEIPT_ADD] = "INSERT OR IGNORE INTO receipts(provider, ref, phone, delivered, code,"
			   " description, at, received_at, out_id) VALUES(?,?,?,?,?,?,?,?,?)",
	/* A receipt for a send whose outcome was unknown: it went after all. ?1 provider:out_id,
	 * ?2 phone, ?3 delivered, ?4 reason, ?5 now, ?6 ref. */
	[ST_RECEIPT_UNKNOWN] = "UPDATE outbox SET state = CASE WHEN ?3 THEN 3 ELSE 4 END,"
			       " reason = ?4, ref = ?6, sent_at = ?5, updated_at = ?5,"
			       " unknown_out = NULL WHERE unknown_out = ?1 AND address = ?2"
			       " AND state = 0",
	/* ?1 ref, ?2 phone, ?3 delivered, ?4 reason, ?5 now: only a sent message moves. */
	[ST_RECEIPT_APPLY] = "UPDATE outbox SET state = CASE WHEN ?3 THEN 3 ELSE 4 END,"
			     " reason = ?4, updated_at = ?5 WHERE ref = ?1 AND address = ?2"
			     " AND state = 2",
	/* Receipts that came before the send was recorded: ?1 outbox id. */
	[ST_RECEIPT_EARLY] = "SELECT r.delivered, r.code, r.description, o.address FROM outbox o"
			     " JOIN receipts r ON r.ref = o.ref AND r.phone = o.address"
			     " WHERE o.id = ?1",
	[ST_INBOUND_ADD] = "INSERT OR IGNORE INTO inbound(provider, phone, resident_id, text, at,"
			   " received_at, action) VALUES(?1, ?2, (SELECT id FROM residents"
			   " WHERE mobile = ?2 AND deleted_at IS NULL ORDER BY id LIMIT 1),"
			   " ?3, ?4, ?5, ?6)",
	[ST_OPT_OUT_PHONE] = "UPDATE residents SET opt_out_sms = 1, updated_at = ?2"
			     " WHERE mobile = ?1 AND opt_out_sms = 0",
	[ST_EVENT_ADD] = "INSERT INTO events(outbox_id, at, what) VALUES(?,?,?)",
	[ST_EVENTS_OF] =
		"SELECT e.at, e.what, o.notice_id, o.channel FROM events e JOIN outbox o ON o.id = e.outbox_id"
		" JOIN residents r ON r.id = o.resident_id WHERE r.account = ?1"
		" ORDER BY e.id DESC LIMIT 500",
	[ST_FALLBACK] = "INSERT OR IGNORE INTO outbox(notice_id, resident_id, channel, address,"
			" state, urgent, not_before, expires_at, reason, created_at, updated_at)"
			" SELECT o.notice_id, o.resident_id, ?2, r.mobile, 0, o.urgent, ?3,"
			" o.expires_at, 'fallback from ' || o.channel, ?3, ?3 FROM outbox o"
			" JOIN residents r ON r.id = o.resident_id WHERE o.id = ?1"
			" AND coalesce(r.mobile, '') <> '' AND (r.opt_out_sms = 0 OR o.urgent)",
	[ST_OPENID_DROP] = "UPDATE residents SET openid = NULL, updated_at = ?2 WHERE openid = ?1",
	[ST_BIND_ADD] = "INSERT INTO wx_bindings(token, resident_id, created_at, expires_at)"
			" SELECT ?1, id, ?3, ?4 FROM residents WHERE account = ?2"
			" AND deleted_at IS NULL",
	[ST_BIND_USE] = "UPDATE wx_bindings SET used_at = ?3, openid = ?2 WHERE token = ?1"
			" AND used_at IS NULL AND expires_at > ?3 RETURNING resident_id",
	[ST_RES_SET_OPENID] = "UPDATE residents SET openid = ?2, opt_out_wechat = 0,"
			      " updated_at = ?3 WHERE id = ?1 RETURNING account",
	/* What a number has been sent by SMS lately: ?1 phone, ?2 30 s ago, ?3 an hour ago,
	 * ?4 a day ago, ?5 the text about to go. */
	[ST_NUMBER_USAGE] = "SELECT coalesce(max(CASE WHEN o.sent_at > ?2 AND n.text_sms = ?5"
			    " THEN o.sent_at END), 0), coalesce(sum(o.sent_at > ?3), 0), count(*)"
			    " FROM outbox o JOIN notices n ON n.id = o.notice_id"
			    " WHERE o.address = ?1 AND o.sent_at > ?4 AND o.channel = 'sms'",
	/* The cheap first look: has the number had any SMS in the last 24 h at all? */
	[ST_NUMBER_ANY] = "SELECT 1 FROM outbox WHERE address = ?1 AND sent_at > ?2 LIMIT 1",
	/* Messages whose fate to ask the provider about: sent ones without a receipt as they
	 * turn 10 and 60 minutes old (?3: the width of one polling round), and unknown-outcome
	 * ones about to be sent again. ?1 provider, ?2 now, ?4 limit. */
	[ST_STATUS_CANDIDATES] =
		"SELECT id, address, ref, NULL, sent_at FROM outbox WHERE provider = ?1"
		" AND state = 2 AND ref IS NOT NULL"
		" AND ((sent_at > ?2 - 600000 - ?3 AND sent_at <= ?2 - 600000)"
		"  OR (sent_at > ?2 - 3600000 - ?3 AND sent_at <= ?2 - 3600000))"
		" AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.ref = outbox.ref"
		"  AND r.phone = outbox.address)"
		" UNION ALL SELECT id, address, NULL, substr(unknown_out, length(?1) + 2),"
		" updated_at FROM outbox WHERE unknown_out >= ?1 || ':' AND unknown_out < ?1 || ';'"
		" AND state = 0 AND not_before <= ?2 + ?3 LIMIT ?4",
	/* A status query showed that an unknown-outcome send went: ?1 id, ?2 ref, ?3 now. */
	[ST_UNKNOWN_SENT] = "UPDATE outbox SET state = 2, ref = ?2, sent_at = ?3, updated_at = ?3,"
			    " reason = NULL, unknown_out = NULL WHERE id = ?1 AND state = 0"
			    " AND unknown_out IS NOT NULL",
	[ST_DEPTH] = "SELECT (SELECT count(*) FROM outbox WHERE state = 0)"
		     " + (SELECT count(*) FROM outbox WHERE state = 1)",
	[ST_STAFF_ADD] = "INSERT INTO staff_alerts(department, text, created_at) VALUES(?,?,?)",
	[ST_STAFF_PENDING] = "SELECT id, text, attempts FROM staff_alerts WHERE department = ?1"
			     " AND sent_at IS NULL ORDER BY id LIMIT ?2",
	[ST_STAFF_SENT] = "UPDATE staff_alerts SET sent_at = ?2, attempts = attempts + 1,"
			  " reason = NULL WHERE id = ?1 AND sent_at IS NULL",
	/* A failed try: ?3 NULL keeps the alert waiting, a time gives it up. */
	[ST_STAFF_TRIED] = "UPDATE staff_alerts SET attempts = attempts + 1, reason = ?2,"
			   " sent_at = ?3 WHERE id = ?1 AND sent_at IS NULL",
	[ST_STAFF_LIST] = "SELECT id, department, text, created_at, sent_at, attempts, reason"
			  " FROM staff_alerts WHERE ?1 IS NULL OR department = ?1"
			  " ORDER BY id DESC LIMIT ?2",
	[ST_STAFF_WAITING] = "SELECT count(*) FROM staff_alerts WHERE (?1 IS NULL"
			     " OR department = ?1) AND sent_at IS NULL",
};

static const char *const state_names[MSG_STATE_COUNT] = {
	"queued", "sending", "sent", "delivered", "failed", "skipped", "superseded", "expired",
};

const char *store_state_name(int state)
{
	return (state >= 0 && state < MSG_STATE_COUNT) ? state_names[state] : "unknown";
}

int store_db_err(struct store *s, struct err *e, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);
	int code = (rc & 0xff) == SQLITE_CONSTRAINT ? ERR_CONFLICT : ERR_IO;

	return err_set(e, code, NULL, "database error while %s: %s", what, sqlite3_errmsg(s->db));
}

/* Resets and clears a statement for reuse. */
sqlite3_stmt *store_q(struct store *s, enum st id)
{
	sqlite3_stmt *q = s->st[id];

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return q;
}

sqlite3_stmt *store_cq(struct store *s, enum cst id)
{
	sqlite3_stmt *q = s->cst[id];

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return q;
}

void store_bind_text(sqlite3_stmt *q, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
}

void store_bind_text_or_null(sqlite3_stmt *q, int i, const char *v)
{
	store_bind_text(q, i, (v && *v) ? v : NULL);
}

/* Runs a statement that returns no rows. */
int store_run(struct store *s, sqlite3_stmt *q, struct err *e, const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_db_err(s, e, what);
	return 0;
}

/* SQLite's memory statistics take a global mutex on every allocation: the tracking page's
 * threads fight over it, and nothing here reads the statistics. Must run before SQLite
 * initialises, hence once, before the first open. */
static void sqlite_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, struct store **out, struct err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	struct store *s = calloc(1, sizeof(*s));
	int rc = ERR_IO;

	pthread_once(&once, sqlite_once);
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory opening the database");
	s->utc_offset_min = 480;
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		err_set(e, ERR_IO, "path", "cannot open database %s: %s", path,
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if (store_exec(s,
		       "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		       "PRAGMA temp_store = MEMORY;",
		       e, "configuring") < 0)
		goto out;
	if ((rc = store_migrate(s, e)) < 0)
		goto out;
	rc = store_exec(s,
			"CREATE TEMP TABLE IF NOT EXISTS sel_areas(code TEXT PRIMARY KEY);"
			"CREATE TEMP TABLE IF NOT EXISTS recip(rid INTEGER PRIMARY KEY);",
			e, "creating work tables");
	if (rc < 0)
		goto out;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL) != SQLITE_OK) {
			rc = err_set(e, ERR_INTERNAL, NULL, "cannot prepare statement %d: %s", i,
				     sqlite3_errmsg(s->db));
			goto out;
		}
	}
	for (int i = 0; i < CST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_case_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->cst[i], NULL) != SQLITE_OK) {
			rc = err_set(e, ERR_INTERNAL, NULL, "cannot prepare case statement %d: %s",
				     i, sqlite3_errmsg(s->db));
			goto out;
		}
	}
	*out = s;
	return 0;
out:
	store_close(s);
	return rc < 0 ? rc : ERR_IO;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (int i = 0; i < CST_COUNT; i++)
		sqlite3_finalize(s->cst[i]);
	sqlite3_close(s->db);
	free(s);
}

void store_set_utc_offset(struct store *s, int utc_offset_min)
{
	s->utc_offset_min = utc_offset_min;
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *q = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return v;
}

int store_begin(struct store *s, struct err *e)
{
	return store_run(s, store_q(s, ST_BEGIN), e, "starting a transaction");
}

int store_commit(struct store *s, struct err *e)
{
	return store_run(s, store_q(s, ST_COMMIT), e, "committing");
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_run(s, store_q(s, ST_ROLLBACK), NULL, "rolling back");
}

/* ---- API keys ---- */

int store_apikey_add(struct store *s, const char *name, const char *role, const char *hash_hex,
		     int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_KEY_ADD);

	store_bind_text(q, 1, name);
	store_bind_text(q, 2, role);
	store_bind_text(q, 3, hash_hex);
	sqlite3_bind_int64(q, 4, now_ms);
	return store_run(s, q, e, "storing an API key");
}

int store_apikey_role(struct store *s, const char *hash_hex, char role[16], struct err *e)
{
	char name[64];

	return store_apikey_who(s, hash_hex, role, name, e);
}

int store_apikey_who(struct store *s, const char *hash_hex, char role[16], char name[64],
		     struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_KEY_ROLE);
	int rc;

	store_bind_text(q, 1, hash_hex);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(role, 16, "%s", (const char *)sqlite3_column_text(q, 0));
		store_col_copy(q, 1, name, 64);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return store_db_err(s, e, "checking an API key");
	return err_set(e, ERR_UNAUTH, NULL, "unknown or revoked API key");
}

const char *store_col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

void store_col_copy(sqlite3_stmt *q, int i, char *out, size_t sz)
{
	const char *v = store_col_text(q, i);

	snprintf(out, sz, "%s", v ? v : "");
}

void store_json_time(struct store *s, json_t *obj, const char *key, sqlite3_stmt *q, int i)
{
	char buf[32];

	if (sqlite3_column_type(q, i) == SQLITE_NULL) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	timefmt_iso(sqlite3_column_int64(q, i), s->utc_offset_min, buf);
	json_object_set_new(obj, key, json_string(buf));
}
