/* store_notices: notices and the durable outbox, as stored.
 * Part of the store module (see store.h); the SQL text is in store.c's table.
 * A notice's recipients are resolved into temp.recip (areas and everything below them for a
 * first notice; the first notice's recipients for a follow-up), then turned into outbox rows
 * by INSERT ... SELECT inside one transaction, so a notice is either wholly enqueued or not
 * at all. Outbox states: queued -> sending -> sent | failed | queued (retry);
 * queued -> superseded | expired; skipped is final from the start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static int fill_recipients(struct store *s, const struct notice *n, const char *const *areas,
			   int nareas, struct err *e)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = store_run(s, store_q(s, ST_TMP_CLEAR_RECIP), e, "resolving recipients")) < 0)
		return rc;
	if (n->references_id != 0) {
		q = store_q(s, ST_TMP_FROM_OUTAGE);
		sqlite3_bind_int64(q, 1, n->outage_id);
		return store_run(s, q, e, "resolving the outage's recipients");
	}
	if ((rc = store_run(s, store_q(s, ST_TMP_CLEAR_AREAS), e, "resolving areas")) < 0)
		return rc;
	for (int i = 0; i < nareas; i++) {
		q = store_q(s, ST_TMP_ADD_AREA);
		store_bind_text(q, 1, areas[i]);
		if ((rc = store_run(s, q, e, "resolving areas")) < 0)
			return rc;
	}
	return store_run(s, store_q(s, ST_TMP_FROM_AREAS), e, "resolving recipients");
}

static int count_recipients(struct store *s, const struct notice *n, struct notice_counts *c,
			    struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_PREVIEW);
	int rc;

	sqlite3_bind_int(q, 1, n->channels);
	sqlite3_bind_int(q, 2, n->urgent);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		c->residents = sqlite3_column_int64(q, 0);
		c->recipients_sms = sqlite3_column_int64(q, 1);
		c->recipients_wechat = sqlite3_column_int64(q, 2);
		c->skipped_opted_out = sqlite3_column_int64(q, 3);
		c->skipped_no_channel = sqlite3_column_int64(q, 4);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : store_db_err(s, e, "counting recipients");
}

int store_notice_preview(struct store *s, const struct notice *n, const char *const *areas,
			 int nareas, struct notice_counts *out, struct err *e)
{
	int rc;

	if ((rc = store_begin(s, e)) < 0)
		return rc;
	rc = fill_recipients(s, n, areas, nareas, e);
	if (rc == 0)
		rc = count_recipients(s, n, out, e);
	store_rollback(s);
	return rc;
}

static int insert_notice(struct store *s, struct notice *n, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_NOTICE_INSERT);
	int rc;

	if (n->outage_id != 0)
		sqlite3_bind_int64(q, 1, n->outage_id);
	if (n->references_id != 0)
		sqlite3_bind_int64(q, 2, n->references_id);
	store_bind_text(q, 3, n->kind);
	store_bind_text(q, 4, n->utility);
	sqlite3_bind_int64(q, 5, n->start_ms);
	sqlite3_bind_int64(q, 6, n->end_ms);
	store_bind_text_or_null(q, 7, n->reason);
	store_bind_text_or_null(q, 8, n->hotline);
	sqlite3_bind_int(q, 9, n->channels);
	sqlite3_bind_int(q, 10, n->urgent);
	store_bind_text_or_null(q, 11, n->forced);
	store_bind_text(q, 12, n->text_sms);
	store_bind_text(q, 13, n->text_wechat);
	sqlite3_bind_int(q, 14, n->sms_parts);
	sqlite3_bind_int64(q, 15, n->created_ms);
	sqlite3_bind_int64(q, 16, n->expires_ms);
	store_bind_text(q, 17, n->vars_json);
	if ((rc = store_run(s, q, e, "storing a notice")) < 0)
		return rc;
	n->id = sqlite3_last_insert_rowid(s->db);
	if (n->outage_id == 0) {
		/* A first notice starts its own outage. */
		n->outage_id = n->id;
		if (sqlite3_exec(s->db, "UPDATE notices SET outage_id = id WHERE outage_id = 0",
				 NULL, NULL, NULL) != SQLITE_OK)
			return store_db_err(s, e, "storing a notice");
	}
	return 0;
}

static int insert_areas(struct store *s, const struct notice *n, const char *const *areas,
			int nareas, struct err *e)
{
	for (int i = 0; i < nareas; i++) {
		sqlite3_stmt *q = store_q(s, ST_NOTICE_AREA_ADD);
		int rc;

		sqlite3_bind_int64(q, 1, n->id);
		store_bind_text(q, 2, areas[i]);
		if ((rc = store_run(s, q, e, "storing a notice's areas")) < 0)
			return rc;
	}
	return 0;
}

static int enqueue(struct store *s, const struct notice *n, int64_t not_before, struct err *e)
{
	static const struct {
		int bit;
		enum st id;
	} chans[] = {
		{ STORE_CH_SMS, ST_OB_SMS },
		{ STORE_CH_WECHAT, ST_OB_WECHAT },
		{ ~0, ST_OB_NONE },
	};
	int rc;

	for (size_t i = 0; i < sizeof(chans) / sizeof(chans[0]); i++) {
		sqlite3_stmt *q;

		if ((n->channels & chans[i].bit) == 0)
			continue;
		q = store_q(s, chans[i].id);
		sqlite3_bind_int64(q, 1, n->id);
		sqlite3_bind_int(q, 2, n->urgent);
		sqlite3_bind_int64(q, 3, n->created_ms);
		sqlite3_bind_int64(q, 4, not_before);
		sqlite3_bind_int64(q, 5, n->expires_ms);
		if (chans[i].id == ST_OB_SMS)
			sqlite3_bind_int(q, 6, (n->channels & STORE_CH_SMS_ELSE) != 0);
		if ((rc = store_run(s, q, e, "enqueueing messages")) < 0)
			return rc;
	}
	return 0;
}

int store_notice_create(struct store *s, struct notice *n, const char *const *areas, int nareas,
			struct notice_counts *out, struct err *e)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = insert_notice(s, n, e)) < 0 || (rc = insert_areas(s, n, areas, nareas, e)) < 0)
		goto fail;
	if ((rc = fill_recipients(s, n, areas, nareas, e)) < 0)
		goto fail;
	if (out != NULL && (rc = count_recipients(s, n, out, e)) < 0)
		goto fail;
	if ((rc = enqueue(s, n, n->created_ms, e)) < 0)
		goto fail;
	q = store_q(s, ST_SUPERSEDE);
	sqlite3_bind_int64(q, 1, n->outage_id);
	sqlite3_bind_int64(q, 2, n->id);
	sqlite3_bind_int64(q, 3, n->created_ms);
	if ((rc = store_run(s, q, e, "superseding earlier messages")) < 0)
		goto fail;
	return store_commit(s, e);
fail:
	store_rollback(s);
	return rc;
}

static void copy_col(sqlite3_stmt *q, int i, char *buf, size_t sz, const char **dst)
{
	const char *v = store_col_text(q, i);

	snprintf(buf, sz, "%s", v ? v : "");
	*dst = v ? buf : NULL;
}

static json_t *notice_areas_json(struct store *s, int64_t id, bool codes_only)
{
	sqlite3_stmt *q = store_q(s, ST_NOTICE_AREAS);
	json_t *arr = json_array();

	sqlite3_bind_int64(q, 1, id);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (codes_only)
			json_array_append_new(arr, json_string(store_col_text(q, 0)));
		else
			json_array_append_new(arr,
					      json_pack("{s:s, s:s}", "code", store_col_text(q, 0),
							"name", store_col_text(q, 1)));
	}
	sqlite3_reset(q);
	return arr;
}

int store_notice_load(struct store *s, int64_t id, struct notice *out, json_t **areas,
		      struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_NOTICE_ROW);
	int rc;

	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return store_db_err(s, e, "reading a notice");
		return err_set(e, ERR_NOTFOUND, "references", "no notice with id %lld",
			       (long long)id);
	}
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->outage_id = sqlite3_column_int64(q, 1);
	out->references_id = sqlite3_column_int64(q, 2);
	copy_col(q, 3, s->kind_buf, sizeof(s->kind_buf), &out->kind);
	copy_col(q, 4, s->utility_buf, sizeof(s->utility_buf), &out->utility);
	out->start_ms = sqlite3_column_int64(q, 5);
	out->end_ms = sqlite3_column_int64(q, 6);
	copy_col(q, 7, s->reason_buf, sizeof(s->reason_buf), &out->reason);
	copy_col(q, 8, s->hotline_buf, sizeof(s->hotline_buf), &out->hotline);
	out->channels = sqlite3_column_int(q, 9);
	out->urgent = sqlite3_column_int(q, 10);
	out->created_ms = sqlite3_column_int64(q, 15);
	out->expires_ms = sqlite3_column_int64(q, 16);
	sqlite3_reset(q);
	if (areas != NULL)
		*areas = notice_areas_json(s, out->outage_id, true);
	return 0;
}

/* {"reason": r, "count": n} rows of a grouping statement. */
static json_t *reason_counts(struct store *s, enum st id, int64_t notice)
{
	sqlite3_stmt *q = store_q(s, id);
	json_t *arr = json_array();

	sqlite3_bind_int64(q, 1, notice);
	while (sqlite3_step(q) == SQLITE_ROW)
		json_array_append_new(arr,
				      json_pack("{s:s, s:I}", "reason", store_col_text(q, 0),
						"count", (json_int_t)sqlite3_column_int64(q, 1)));
	sqlite3_reset(q);
	return arr;
}

static void add_progress(struct store *s, json_t *obj, int64_t id)
{
	sqlite3_stmt *q = store_q(s, ST_NOTICE_PROGRESS);
	int64_t counts[MSG_STATE_COUNT] = { 0 }, total = 0;
	json_t *p = json_object();

	sqlite3_bind_int64(q, 1, id);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int st = sqlite3_column_int(q, 0);
		if (st >= 0 && st < MSG_STATE_COUNT)
			counts[st] = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	for (int i = 0; i < MSG_STATE_COUNT; i++) {
		json_object_set_new(p, store_state_name(i), json_integer(counts[i]));
		total += counts[i];
	}
	json_object_set_new(obj, "progress", p);
	json_object_set_new(obj, "messages", json_integer(total));
	json_object_set_new(obj, "recipients", json_integer(total - counts[MSG_SKIPPED]));
	json_object_set_new(obj, "done",
			    json_boolean(counts[MSG_QUEUED] == 0 && counts[MSG_SENDING] == 0));
}

static json_t *channels_json(int bits)
{
	json_t *arr = json_array();

	if (bits & STORE_CH_SMS)
		json_array_append_new(arr, json_string("sms"));
	if (bits & STORE_CH_WECHAT)
		json_array_append_new(arr, json_string("wechat"));
	return arr;
}

static const char *routing_name(int bits)
{
	if ((bits & STORE_CH_SMS_ELSE) && (bits & STORE_CH_WECHAT) && (bits & STORE_CH_SMS))
		return "wechat-else-sms";
	if ((bits & STORE_CH_WECHAT) && (bits & STORE_CH_SMS))
		return "both";
	return bits & STORE_CH_SMS ? "sms" : "wechat";
}

int store_notice_get(struct store *s, int64_t id, json_t **out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_NOTICE_ROW);
	json_t *obj;
	int rc;

	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return store_db_err(s, e, "reading a notice");
		return err_set(e, ERR_NOTFOUND, "id", "no notice with id %lld", (long long)id);
	}
	obj = json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:o, s:b, s:s?, s:{s:s?, s:s?}, s:i}",
			"id", (json_int_t)id, "outage_id", (json_int_t)sqlite3_column_int64(q, 1),
			"kind", store_col_text(q, 3), "utility", store_col_text(q, 4), "reason",
			store_col_text(q, 7), "hotline", store_col_text(q, 8), "channels",
			channels_json(sqlite3_column_int(q, 9)), "urgent",
			sqlite3_column_int(q, 10), "forced", store_col_text(q, 11), "texts", "sms",
			store_col_text(q, 12), "wechat", store_col_text(q, 13),
			"sms_parts_per_message", sqlite3_column_int(q, 14));
	if (obj == NULL) {
		sqlite3_reset(q);
		return err_set(e, ERR_INTERNAL, "id",
			       "notice %lld cannot be shown: a stored text "
			       "is not valid UTF-8",
			       (long long)id);
	}
	json_object_set_new(obj, "routing", json_string(routing_name(sqlite3_column_int(q, 9))));
	json_object_set_new(obj, "references",
			    sqlite3_column_type(q, 2) == SQLITE_NULL
				    ? json_null()
				    : json_integer(sqlite3_column_int64(q, 2)));
	store_json_time(s, obj, "start", q, 5);
	store_json_time(s, obj, "end", q, 6);
	store_json_time(s, obj, "created_at", q, 15);
	store_json_time(s, obj, "expires_at", q, 16);
	sqlite3_reset(q);
	json_object_set_new(obj, "areas", notice_areas_json(s, id, false));
	add_progress(s, obj, id);
	json_object_set_new(obj, "failures", reason_counts(s, ST_NOTICE_FAILURES, id));
	json_object_set_new(obj, "skips", reason_counts(s, ST_NOTICE_SKIPS, id));
	*out = obj;
	return 0;
}

int store_notice_list(struct store *s, int limit, json_t **out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_NOTICE_LIST);
	json_t *ids = json_array(), *arr = json_array(), *one;
	int rc;

	sqlite3_bind_int(q, 1, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(sqlite3_column_int64(q, 0)));
	sqlite3_reset(q);
	for (size_t i = 0; rc == SQLITE_DONE && i < json_array_size(ids); i++) {
		int64_t id = json_integer_value(json_array_get(ids, i));
		if (store_notice_get(s, id, &one, e) < 0)
			continue;
		json_object_del(one, "texts");
		json_object_del(one, "skips");
		json_array_append_new(arr, one);
	}
	json_decref(ids);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return store_db_err(s, e, "listing notices");
	}
	*out = json_pack("{s:o}", "notices", arr);
	return 0;
}

/* ---- outbox ---- */

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
		const char *addr = store_col_text(q, 5);

		m->id = sqlite3_column_int64(q, 0);
		m->notice_id = sqlite3_column_int64(q, 1);
		m->expires_ms = sqlite3_column_int64(q, 2);
		m->attempts = sqlite3_column_int(q, 3);
		m->urgent = sqlite3_column_int(q, 4);
		snprintf(m->channel, sizeof(m->channel), "%s", channel);
		snprintf(m->address, sizeof(m->address), "%s", addr ? addr : "");
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

int store_notice_text(struct store *s, int64_t notice_id, const char *channel, char **out,
		      char kind[16], struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_TEXT);
	char *text = NULL;
	int rc;

	sqlite3_bind_int64(q, 1, notice_id);
	store_bind_text(q, 2, channel);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && store_col_text(q, 0) != NULL) {
		text = strdup(store_col_text(q, 0));
		snprintf(kind, 16, "%s", store_col_text(q, 1));
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_db_err(s, e, "reading a notice text");
	if (text == NULL)
		return err_set(e, ERR_NOTFOUND, NULL, "notice %lld has no %s text",
			       (long long)notice_id, channel);
	*out = text;
	return 0;
}

int store_notice_vars(struct store *s, int64_t notice_id, char **out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_NOTICE_VARS);
	const char *v;
	char *copy = NULL;
	int rc;

	sqlite3_bind_int64(q, 1, notice_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		v = store_col_text(q, 0);
		copy = strdup(v ? v : "{}");
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE
			? err_set(e, ERR_NOTFOUND, NULL, "no notice %lld", (long long)notice_id)
			: store_db_err(s, e, "reading a notice's variables");
	if (copy == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	*out = copy;
	return 0;
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

static void copy_text(sqlite3_stmt *q, int i, char *out, size_t sz)
{
	const char *v = store_col_text(q, i);

	snprintf(out, sz, "%s", v ? v : "");
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
		copy_text(q, 1, c->phone, sizeof(c->phone));
		copy_text(q, 2, c->ref, sizeof(c->ref));
		copy_text(q, 3, c->out_id, sizeof(c->out_id));
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
