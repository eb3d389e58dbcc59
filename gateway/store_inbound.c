/* store_inbound: what providers push back: delivery receipts, residents' SMS replies, and
 * the decisions recorded in a message's history. Part of the store module (store.h).
 * Receipts are idempotent by (provider, ref, phone); a receipt only ever moves a message
 * from sent to delivered or failed, never back. */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static void receipt_reason(int delivered, const char *code, const char *desc, char *out, size_t sz)
{
	snprintf(out, sz, "%s: %.60s%s%.100s", delivered ? "delivered" : "carrier reported failure",
		 code ? code : "", desc && *desc ? " " : "", desc ? desc : "");
}

static int apply(struct store *s, const char *ref, const char *phone, int delivered,
		 const char *code, const char *desc, int64_t now_ms, int *applied, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RECEIPT_APPLY);
	char reason[200];
	int rc;

	receipt_reason(delivered, code, desc, reason, sizeof(reason));
	store_bind_text(q, 1, ref);
	store_bind_text(q, 2, phone);
	sqlite3_bind_int(q, 3, delivered);
	store_bind_text(q, 4, reason);
	sqlite3_bind_int64(q, 5, now_ms);
	if ((rc = store_run(s, q, e, "applying a receipt")) < 0)
		return rc;
	if (applied)
		*applied = sqlite3_changes(s->db) > 0;
	return 0;
}

static int reconcile(struct store *s, const struct store_receipt *r, int64_t now_ms,
		     int *reconciled, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RECEIPT_UNKNOWN);
	char key[160], reason[200];
	int rc;

	snprintf(key, sizeof(key), "%.63s:%.63s", r->provider, r->out_id);
	receipt_reason(r->delivered, r->code, r->desc, reason, sizeof(reason));
	store_bind_text(q, 1, key);
	store_bind_text(q, 2, r->phone);
	sqlite3_bind_int(q, 3, r->delivered);
	store_bind_text(q, 4, reason);
	sqlite3_bind_int64(q, 5, now_ms);
	store_bind_text(q, 6, r->ref);
	if ((rc = store_run(s, q, e, "settling an unknown send")) < 0)
		return rc;
	*reconciled = sqlite3_changes(s->db) > 0;
	return 0;
}

int store_receipt_add(struct store *s, const struct store_receipt *r, int64_t now_ms, int *applied,
		      int *reconciled, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RECEIPT_ADD);
	int rc;

	*applied = 0;
	*reconciled = 0;
	store_bind_text(q, 1, r->provider);
	store_bind_text(q, 2, r->ref);
	store_bind_text(q, 3, r->phone);
	sqlite3_bind_int(q, 4, r->delivered);
	store_bind_text_or_null(q, 5, r->code);
	store_bind_text_or_null(q, 6, r->desc);
	sqlite3_bind_int64(q, 7, r->at_ms);
	sqlite3_bind_int64(q, 8, now_ms);
	store_bind_text_or_null(q, 9, r->out_id);
	if ((rc = store_run(s, q, e, "storing a receipt")) < 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return 0; /* a repeat */
	rc = apply(s, r->ref, r->phone, r->delivered, r->code, r->desc, now_ms, applied, e);
	if (rc == 0 && !*applied && r->out_id != NULL && *r->out_id)
		rc = reconcile(s, r, now_ms, reconciled, e);
	*applied |= *reconciled;
	return rc;
}

/* Called by store_outbox_record right after a send with a ref is recorded. */
int store_receipt_early(struct store *s, int64_t outbox_id, const char *ref, int64_t now_ms,
			struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RECEIPT_EARLY);
	char code[64] = "", desc[128] = "", phone[136] = "";
	int delivered = -1;

	sqlite3_bind_int64(q, 1, outbox_id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		delivered = sqlite3_column_int(q, 0);
		snprintf(code, sizeof(code), "%s",
			 store_col_text(q, 1) ? store_col_text(q, 1) : "");
		snprintf(desc, sizeof(desc), "%s",
			 store_col_text(q, 2) ? store_col_text(q, 2) : "");
		snprintf(phone, sizeof(phone), "%s",
			 store_col_text(q, 3) ? store_col_text(q, 3) : "");
	}
	sqlite3_reset(q);
	if (delivered < 0)
		return 0;
	return apply(s, ref, phone, delivered, code, desc, now_ms, NULL, e);
}

int store_inbound_add(struct store *s, const char *provider, const char *phone, const char *text,
		      int64_t at_ms, const char *action, int64_t now_ms, int *dup, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_INBOUND_ADD);
	int rc;

	store_bind_text(q, 1, provider);
	store_bind_text(q, 2, phone);
	store_bind_text(q, 3, text);
	sqlite3_bind_int64(q, 4, at_ms);
	sqlite3_bind_int64(q, 5, now_ms);
	store_bind_text(q, 6, action);
	if ((rc = store_run(s, q, e, "storing a reply")) < 0)
		return rc;
	*dup = sqlite3_changes(s->db) == 0;
	if (*dup || strcmp(action, "opt_out") != 0)
		return 0;
	q = store_q(s, ST_OPT_OUT_PHONE);
	store_bind_text(q, 1, phone);
	sqlite3_bind_int64(q, 2, now_ms);
	return store_run(s, q, e, "opting a number out");
}

int store_openid_drop(struct store *s, const char *openid, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_OPENID_DROP);

	store_bind_text(q, 1, openid);
	sqlite3_bind_int64(q, 2, now_ms);
	return store_run(s, q, e, "dropping an openid");
}

/* Called by store_outbox_record for updates that carry a decision or a fallback. */
int store_outbox_decide(struct store *s, const struct outbox_update *u, int64_t now_ms,
			struct err *e)
{
	sqlite3_stmt *q;
	int rc;

	if (u->event != NULL) {
		q = store_q(s, ST_EVENT_ADD);
		sqlite3_bind_int64(q, 1, u->id);
		sqlite3_bind_int64(q, 2, now_ms);
		store_bind_text(q, 3, u->event);
		if ((rc = store_run(s, q, e, "recording a decision")) < 0)
			return rc;
	}
	if (u->fallback == NULL || u->state != MSG_FAILED)
		return 0;
	q = store_q(s, ST_FALLBACK);
	sqlite3_bind_int64(q, 1, u->id);
	store_bind_text(q, 2, u->fallback);
	sqlite3_bind_int64(q, 3, now_ms);
	return store_run(s, q, e, "queueing a fallback");
}

/* The decisions recorded for a resident's messages, newest first. */
json_t *store_events_json(struct store *s, const char *account)
{
	sqlite3_stmt *q = store_q(s, ST_EVENTS_OF);
	json_t *arr = json_array(), *ev;

	store_bind_text(q, 1, account);
	while (sqlite3_step(q) == SQLITE_ROW) {
		ev = json_pack("{s:s, s:I, s:s}", "what", store_col_text(q, 1), "notice_id",
			       (json_int_t)sqlite3_column_int64(q, 2), "channel",
			       store_col_text(q, 3));
		store_json_time(s, ev, "at", q, 0);
		json_array_append_new(arr, ev);
	}
	sqlite3_reset(q);
	return arr;
}

int store_binding_add(struct store *s, const char *token, const char *account, int64_t expires_ms,
		      int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_BIND_ADD);
	int rc;

	store_bind_text(q, 1, token);
	store_bind_text(q, 2, account);
	sqlite3_bind_int64(q, 3, now_ms);
	sqlite3_bind_int64(q, 4, expires_ms);
	if ((rc = store_run(s, q, e, "storing a binding token")) < 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return err_set(e, ERR_NOTFOUND, "account", "no resident with account %.64s",
			       account);
	return 0;
}

int store_binding_use(struct store *s, const char *token, const char *openid, int64_t now_ms,
		      char account[64], struct err *e)
{
	sqlite3_stmt *q;
	int64_t rid = 0;
	int rc, found = 0;

	if ((rc = store_begin(s, e)) < 0)
		return rc;
	q = store_q(s, ST_BIND_USE);
	store_bind_text(q, 1, token);
	store_bind_text(q, 2, openid);
	sqlite3_bind_int64(q, 3, now_ms);
	if (sqlite3_step(q) == SQLITE_ROW) {
		rid = sqlite3_column_int64(q, 0);
		found = 1;
	}
	sqlite3_reset(q);
	if (found) {
		q = store_q(s, ST_RES_SET_OPENID);
		sqlite3_bind_int64(q, 1, rid);
		store_bind_text(q, 2, openid);
		sqlite3_bind_int64(q, 3, now_ms);
		found = sqlite3_step(q) == SQLITE_ROW;
		if (found)
			snprintf(account, 64, "%s", store_col_text(q, 0));
		sqlite3_reset(q);
	}
	if (!found) {
		store_rollback(s);
		return err_set(e, ERR_NOTFOUND, "scene",
			       "the binding code is unknown, used or "
			       "expired");
	}
	return store_commit(s, e);
}

int store_unknown_sent(struct store *s, int64_t id, const char *ref, int64_t now_ms, int *settled,
		       struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_UNKNOWN_SENT);
	int rc;

	sqlite3_bind_int64(q, 1, id);
	store_bind_text(q, 2, ref);
	sqlite3_bind_int64(q, 3, now_ms);
	if ((rc = store_run(s, q, e, "settling an unknown send")) < 0)
		return rc;
	*settled = sqlite3_changes(s->db) > 0;
	return 0;
}
