/* store_staff: the queue of staff alerts for the departments' WeCom robots. Part of the store
 * module (store.h); called by the staff module (staff.c): the API adds and lists, the
 * sender thread takes the waiting alerts and records each try.
 * States are read from two columns: sent_at NULL is pending; sent_at set is sent, or failed
 * when reason is set too. Only a pending alert changes, so a sent alert never turns back.
 * Never logs; alert texts may name residents and stay in the database. */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

int store_staff_add(struct store *s, const char *department, const char *text, int64_t now_ms,
		    int64_t *id, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_STAFF_ADD);
	int rc;

	store_bind_text(q, 1, department);
	store_bind_text(q, 2, text);
	sqlite3_bind_int64(q, 3, now_ms);
	if ((rc = store_run(s, q, e, "queueing a staff alert")) < 0)
		return rc;
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Copies src into dst (size sz), cut on a UTF-8 character boundary when it is too long. */
static void copy_text(char *dst, size_t sz, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= sz) {
		n = sz - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int store_staff_pending(struct store *s, const char *department, struct store_staff_alert *out,
			int max, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_STAFF_PENDING);
	int n = 0, rc = SQLITE_DONE;

	store_bind_text(q, 1, department);
	sqlite3_bind_int(q, 2, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		out[n].id = sqlite3_column_int64(q, 0);
		copy_text(out[n].text, sizeof(out[n].text), store_col_text(q, 1));
		out[n].attempts = sqlite3_column_int(q, 2);
		n++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(s, e, "reading waiting staff alerts");
	return n;
}

/* Applies update id to each of ids[0..n) in one transaction: ST_STAFF_SENT (?2: *at) or
 * ST_STAFF_TRIED (?2: reason, ?3: *at, NULL when at is NULL). */
static int update_all(struct store *s, enum st id, const int64_t *ids, int n, const char *reason,
		      const int64_t *at, struct err *e)
{
	int rc;

	if ((rc = store_begin(s, e)) < 0)
		return rc;
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *q = store_q(s, id);

		sqlite3_bind_int64(q, 1, ids[i]);
		if (id == ST_STAFF_TRIED)
			store_bind_text(q, 2, reason);
		if (at != NULL)
			sqlite3_bind_int64(q, id == ST_STAFF_TRIED ? 3 : 2, *at);
		if ((rc = store_run(s, q, e, "recording a staff alert's try")) < 0) {
			store_rollback(s);
			return rc;
		}
	}
	return store_commit(s, e);
}

int store_staff_sent(struct store *s, const int64_t *ids, int n, int64_t now_ms, struct err *e)
{
	return update_all(s, ST_STAFF_SENT, ids, n, NULL, &now_ms, e);
}

int store_staff_tried(struct store *s, const int64_t *ids, int n, const char *reason, bool give_up,
		      int64_t now_ms, struct err *e)
{
	return update_all(s, ST_STAFF_TRIED, ids, n, reason ? reason : "failed",
			  give_up ? &now_ms : NULL, e);
}

/* One row of ST_STAFF_LIST as JSON. */
static json_t *alert_json(struct store *s, sqlite3_stmt *q)
{
	bool settled = sqlite3_column_type(q, 4) != SQLITE_NULL;
	bool failed = settled && sqlite3_column_type(q, 6) != SQLITE_NULL;
	json_t *o =
		json_pack("{s:I, s:s, s:s, s:s, s:i}", "id", (json_int_t)sqlite3_column_int64(q, 0),
			  "department", store_col_text(q, 1), "text", store_col_text(q, 2), "state",
			  failed            ? "failed"
				  : settled ? "sent"
					    : "pending",
			  "attempts", sqlite3_column_int(q, 5));

	if (o == NULL)
		return NULL;
	store_json_time(s, o, "created_at", q, 3);
	json_object_set_new(o, "sent_at", json_null());
	json_object_set_new(o, "failed_at", json_null());
	if (settled)
		store_json_time(s, o, failed ? "failed_at" : "sent_at", q, 4);
	json_object_set_new(o, "reason",
			    store_col_text(q, 6) ? json_string(store_col_text(q, 6)) : json_null());
	return o;
}

static int count_waiting(struct store *s, const char *department, json_int_t *out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_STAFF_WAITING);
	int rc;

	store_bind_text(q, 1, department);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_db_err(s, e, "counting waiting staff alerts");
}

int store_staff_list(struct store *s, const char *department, int limit, json_t **out,
		     struct err *e)
{
	sqlite3_stmt *q;
	json_t *arr = json_array(), *one;
	json_int_t waiting = 0;
	int rc;

	if (arr == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory listing staff alerts");
	if ((rc = count_waiting(s, department, &waiting, e)) < 0) {
		json_decref(arr);
		return rc;
	}
	q = store_q(s, ST_STAFF_LIST);
	store_bind_text(q, 1, department);
	sqlite3_bind_int(q, 2, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((one = alert_json(s, q)) != NULL)
			json_array_append_new(arr, one);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return store_db_err(s, e, "listing staff alerts");
	}
	*out = json_pack("{s:I, s:o}", "pending", waiting, "alerts", arr);
	return *out ? 0 : err_set(e, ERR_NOMEM, NULL, "out of memory listing staff alerts");
}
