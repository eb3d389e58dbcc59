/* store_outbox: the durable outbox, as stored: claiming due messages, recording outcomes,
 * expiry, crash recovery, the queue depth, a number's recent messages and the messages
 * whose status a provider can be asked for. Part of the store module (see store.h); the
 * SQL text is in store.c's table. Rows are created by store_notices.c.
 * Outbox states: queued -> sending -> sent | failed | queued (retry);
 * queued -> superseded | expired; skipped is final from the start. */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

int store_outbox_claim(struct store *s, const char *channel, int64_t now_ms, bool with_non_urgent,
		       struct outbox_msg *out, int max, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_CLAIM);
	int n = 0, rc;

	store_bind_text(q, 1, channel);
	sqlite3_bind_int64(q, 2, now_ms);
	sqlite3_bind_int(q, 3, with_non_urgent);
	sqlite3_bind_int(q, 4, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct outbox_msg *m = &out[n++];

		m->id = sqlite3_column_int64(q, 0);
		m->notice_id = sqlite3_column_int64(q, 1);
		m->expires_ms = sqlite3_column_int64(q, 2);
		m->attempts = sqlite3_column_int(q, 3);
		m->urgent = sqlite3_column_int(q, 4);
		snprintf(m->channel, sizeof(m->channel), "%s", channel);
		store_col_copy(q, 5, m->address, sizeof(m->address));
		m->kind[0] = '\0';
	}
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return store_db_err(s, e, "claiming messages");
	}
	/* RETURNING rows are all produced by the first step; reset finishes the statement. */
	sqlite3_reset(q);
	return n;
}

static int record_one(struct store *s, const struct outbox_update *u, int64_t now_ms, struct err *e)
{
	enum st id;
	sqlite3_stmt *q;

	switch (u->state) {
	case MSG_SENT: id = ST_REC_SENT; break;
	case MSG_FAILED: id = ST_REC_FAILED; break;
	case MSG_EXPIRED: id = ST_REC_EXPIRED; break;
	default: id = ST_REC_REQUEUE; break;
	}
	q = store_q(s, id);
	sqlite3_bind_int64(q, 1, u->id);
	store_bind_text(q, 2, u->provider);
	store_bind_text(q, 3, id == ST_REC_SENT ? u->ref : u->reason);
	sqlite3_bind_int64(q, 4, now_ms);
	if (id == ST_REC_REQUEUE) {
		sqlite3_bind_int64(q, 5, u->not_before);
		sqlite3_bind_int(q, 6, u->undo_attempt ? 1 : 0);
		store_bind_text(q, 7, u->unknown_out);
	}
	return store_run(s, q, e, "recording a delivery outcome");
}

int store_outbox_record(struct store *s, const struct outbox_update *u, int n, int64_t now_ms,
			struct err *e)
{
	int rc;

	if (n == 0)
		return 0;
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	for (int i = 0; i < n; i++) {
		if ((rc = record_one(s, &u[i], now_ms, e)) < 0)
			goto fail;
		if (u[i].state == MSG_SENT && u[i].ref != NULL &&
		    (rc = store_receipt_early(s, u[i].id, u[i].ref, now_ms, e)) < 0)
			goto fail;
		if ((u[i].event || u[i].fallback) &&
		    (rc = store_outbox_decide(s, &u[i], now_ms, e)) < 0)
			goto fail;
	}
	return store_commit(s, e);
fail:
	store_rollback(s);
	return rc;
}

int store_outbox_expire(struct store *s, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_EXPIRE);
	int rc;

	sqlite3_bind_int64(q, 1, now_ms);
	if ((rc = store_run(s, q, e, "expiring messages")) < 0)
		return rc;
	return sqlite3_changes(s->db);
}

int store_outbox_recover(struct store *s, struct err *e)
{
	int rc = store_run(s, store_q(s, ST_RECOVER), e, "recovering in-flight messages");

	return rc < 0 ? rc : sqlite3_changes(s->db);
}

int store_number_usage(struct store *s, const char *phone, const char *text, int64_t now_ms,
		       struct number_usage *out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_NUMBER_ANY);
	int rc;

	/* Most numbers of a broadcast had nothing lately: one index probe settles those. */
	store_bind_text(q, 1, phone);
	sqlite3_bind_int64(q, 2, now_ms - 86400000);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	q = store_q(s, ST_NUMBER_USAGE);
	store_bind_text(q, 1, phone);
	sqlite3_bind_int64(q, 2, now_ms - 30000);
	sqlite3_bind_int64(q, 3, now_ms - 3600000);
	sqlite3_bind_int64(q, 4, now_ms - 86400000);
	store_bind_text(q, 5, text);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->identical_at = sqlite3_column_int64(q, 0);
		out->last_hour = sqlite3_column_int(q, 1);
		out->last_day = sqlite3_column_int(q, 2);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_db_err(s, e, "reading a number's recent messages");
}

int store_status_candidates(struct store *s, const char *provider, int64_t now_ms, int64_t round_ms,
			    struct status_candidate *out, int max, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_STATUS_CANDIDATES);
	int n = 0, rc;

	store_bind_text(q, 1, provider);
	sqlite3_bind_int64(q, 2, now_ms);
	sqlite3_bind_int64(q, 3, round_ms);
	sqlite3_bind_int(q, 4, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct status_candidate *c = &out[n++];

		c->id = sqlite3_column_int64(q, 0);
		store_col_copy(q, 1, c->phone, sizeof(c->phone));
		store_col_copy(q, 2, c->ref, sizeof(c->ref));
		store_col_copy(q, 3, c->out_id, sizeof(c->out_id));
		c->sent_ms = sqlite3_column_int64(q, 4);
	}
	sqlite3_reset(q);
	if (n < max && rc != SQLITE_DONE)
		return store_db_err(s, e, "finding messages to ask about");
	return n;
}

int64_t store_queue_depth(struct store *s)
{
	sqlite3_stmt *q = store_q(s, ST_DEPTH);
	int64_t n = -1;

	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return n;
}
