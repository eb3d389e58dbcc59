/* store_notices: notices, as stored: the preview, the create, and reading them back.
 * Part of the store module (see store.h); the SQL text is in store.c's table.
 * A notice's recipients are resolved into temp.recip (areas and everything below them for a
 * first notice; the first notice's recipients for a follow-up), then turned into outbox rows
 * by INSERT ... SELECT inside one transaction, so a notice is either wholly enqueued or not
 * at all. What happens to those rows afterwards is store_outbox.c's. */
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

int store_notice_insert(struct store *s, struct notice *n, struct err *e)
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
	if ((rc = store_notice_insert(s, n, e)) < 0 ||
	    (rc = insert_areas(s, n, areas, nareas, e)) < 0)
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
	store_col_copy(q, i, buf, sz);
	*dst = store_col_text(q, i) ? buf : NULL;
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
