/* store_residents: the area tree and the residents, as stored.
 * Part of the store module (see store.h); the SQL text is in store.c's table.
 * Invariants: an area's parent exists and is not below it (no cycles); a deleted resident
 * keeps its row (soft delete) so that its message history stays answerable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static const char *const area_levels[] = { "district", "street", "community", "building" };

static bool row_exists(struct store *s, enum st id, const char *a, const char *b)
{
	sqlite3_stmt *q = store_q(s, id);
	bool found;

	store_bind_text(q, 1, a);
	if (b != NULL)
		store_bind_text(q, 2, b);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return found;
}

bool store_area_exists(struct store *s, const char *code)
{
	return row_exists(s, ST_AREA_GET, code, NULL);
}

bool store_area_within(struct store *s, const char *code, const char *ancestor)
{
	return row_exists(s, ST_AREA_IS_BELOW, ancestor, code);
}

static int area_check(struct store *s, const struct area *a, struct err *e)
{
	bool level_ok = false;

	if (a->code == NULL || *a->code == '\0' || strlen(a->code) > 32)
		return err_set(e, ERR_INVALID, "code",
			       "an area needs a code of 1 to 32 characters");
	if (a->name == NULL || *a->name == '\0')
		return err_set(e, ERR_INVALID, "name", "area %s needs a name", a->code);
	for (size_t i = 0; i < sizeof(area_levels) / sizeof(area_levels[0]); i++)
		level_ok |= a->level != NULL && strcmp(a->level, area_levels[i]) == 0;
	if (!level_ok)
		return err_set(e, ERR_INVALID, "level",
			       "area %s: level \"%s\" is not one of "
			       "district, street, community, building",
			       a->code, a->level ? a->level : "");
	if (a->parent == NULL || *a->parent == '\0')
		return 0;
	if (!store_area_exists(s, a->parent))
		return err_set(e, ERR_INVALID, "parent",
			       "area %s: parent %s does not exist; "
			       "add the parent first",
			       a->code, a->parent);
	/* A parent equal to or below the area itself would make a cycle. */
	if (store_area_within(s, a->parent, a->code))
		return err_set(e, ERR_INVALID, "parent",
			       "area %s cannot have %s as parent: "
			       "%s is the area itself or lies below it",
			       a->code, a->parent, a->parent);
	return 0;
}

int store_area_upsert(struct store *s, const struct area *a, int *created, struct err *e)
{
	sqlite3_stmt *q;
	bool exists;
	int rc;

	if ((rc = area_check(s, a, e)) < 0)
		return rc;
	exists = store_area_exists(s, a->code);
	q = store_q(s, exists ? ST_AREA_UPDATE : ST_AREA_INSERT);
	store_bind_text(q, 1, a->code);
	store_bind_text(q, 2, a->name);
	store_bind_text_or_null(q, 3, a->parent);
	store_bind_text(q, 4, a->level);
	if ((rc = store_run(s, q, e, "saving an area")) < 0)
		return rc;
	if (created)
		*created = !exists;
	return 0;
}

int store_area_list(struct store *s, json_t **out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_AREA_LIST);
	json_t *arr = json_array();
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_array_append_new(arr,
				      json_pack("{s:s, s:s, s:s?, s:s, s:I}", "code",
						store_col_text(q, 0), "name", store_col_text(q, 1),
						"parent", store_col_text(q, 2), "level",
						store_col_text(q, 3), "residents",
						(json_int_t)sqlite3_column_int64(q, 4)));
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return store_db_err(s, e, "listing areas");
	}
	*out = json_pack("{s:o}", "areas", arr);
	return 0;
}

int store_area_label(struct store *s, const char *code, const char *prev_parent, char *out,
		     size_t outsz, char parent[64], struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_AREA_LABEL);
	const char *name, *level, *par, *pname;
	int rc;

	store_bind_text(q, 1, code);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		return rc == SQLITE_DONE
			? err_set(e, ERR_INVALID, "areas", "unknown area \"%s\"", code)
			: store_db_err(s, e, "naming an area");
	}
	name = store_col_text(q, 0);
	level = store_col_text(q, 1);
	par = store_col_text(q, 2);
	pname = store_col_text(q, 3);
	if (strcmp(level, "building") == 0 && pname != NULL &&
	    !(prev_parent != NULL && par != NULL && strcmp(prev_parent, par) == 0))
		snprintf(out, outsz, "%s%s", pname, name);
	else
		snprintf(out, outsz, "%s", name);
	if (parent != NULL)
		snprintf(parent, 64, "%s", par ? par : "");
	sqlite3_reset(q);
	return 0;
}

/* ---- residents ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The resident's areas sorted and joined with ',' (as group_concat gives them); malloc'd. */
static char *areas_key(const struct resident *r)
{
	size_t count = r->nareas > 0 ? (size_t)r->nareas : 0, len = 1;
	const char **sorted = calloc(count + 1, sizeof(*sorted));
	char *key;

	if (sorted == NULL)
		return NULL;
	for (int i = 0; i < r->nareas; i++) {
		sorted[i] = r->areas[i];
		len += strlen(r->areas[i]) + 1;
	}
	qsort(sorted, count, sizeof(*sorted), cmp_str);
	key = malloc(len);
	if (key != NULL) {
		key[0] = '\0';
		for (int i = 0; i < r->nareas; i++) {
			if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
				continue;
			if (key[0] != '\0')
				strcat(key, ",");
			strcat(key, sorted[i]);
		}
	}
	free(sorted);
	return key;
}

static int check_areas(struct store *s, const struct resident *r, struct err *e)
{
	if (r->nareas == 0)
		return err_set(e, ERR_INVALID, "areas",
			       "resident %s has no area; every resident "
			       "belongs to at least one area (a building code)",
			       r->account);
	for (int i = 0; i < r->nareas; i++) {
		if (!store_area_exists(s, r->areas[i]))
			return err_set(e, ERR_INVALID, "areas",
				       "unknown area \"%s\"; import the "
				       "area tree first or correct the code",
				       r->areas[i]);
	}
	return 0;
}

static int set_areas(struct store *s, int64_t id, const struct resident *r, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RES_AREAS_DEL);
	int rc;

	sqlite3_bind_int64(q, 1, id);
	if ((rc = store_run(s, q, e, "replacing a resident's areas")) < 0)
		return rc;
	for (int i = 0; i < r->nareas; i++) {
		q = store_q(s, ST_RES_AREA_ADD);
		store_bind_text(q, 1, r->areas[i]);
		sqlite3_bind_int64(q, 2, id);
		if ((rc = store_run(s, q, e, "adding a resident's area")) < 0)
			return rc;
	}
	return 0;
}

static bool same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Compares the stored row (from ST_RES_FIND) with r. */
static bool unchanged(sqlite3_stmt *q, const struct resident *r, int sms, int wechat,
		      const char *key)
{
	return sqlite3_column_type(q, 6) == SQLITE_NULL &&
		same_text(store_col_text(q, 1), r->name) &&
		same_text(store_col_text(q, 2), r->mobile) &&
		same_text(store_col_text(q, 3), r->openid) && sqlite3_column_int(q, 4) == sms &&
		sqlite3_column_int(q, 5) == wechat && same_text(store_col_text(q, 7), key);
}

static int write_row(struct store *s, enum st id, int64_t rid, const struct resident *r, int sms,
		     int wechat, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_q(s, id);
	int base = 0; /* both statements number name..updated_at ?2..?7 */

	if (id == ST_RES_UPDATE)
		sqlite3_bind_int64(q, 1, rid);
	else
		store_bind_text(q, 1, r->account);
	store_bind_text(q, base + 2, r->name);
	store_bind_text_or_null(q, base + 3, r->mobile);
	store_bind_text_or_null(q, base + 4, r->openid);
	sqlite3_bind_int(q, base + 5, sms);
	sqlite3_bind_int(q, base + 6, wechat);
	sqlite3_bind_int64(q, base + 7, now_ms);
	if (id == ST_RES_INSERT)
		sqlite3_bind_int64(q, 8, now_ms);
	return store_run(s, q, e, "saving a resident");
}

/* Negative opt-out values in r mean "keep what is stored" (imports carry no opt-outs). */
static int upsert(struct store *s, const struct resident *r, int64_t now_ms, bool insert_only,
		  int *result, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RES_FIND);
	char *key = NULL;
	int64_t id = 0;
	int rc, found, sms = r->opt_out_sms, wechat = r->opt_out_wechat, deleted = 0;

	if ((rc = check_areas(s, r, e)) < 0)
		return rc;
	if ((key = areas_key(r)) == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	store_bind_text(q, 1, r->account);
	found = sqlite3_step(q) == SQLITE_ROW;
	if (found) {
		id = sqlite3_column_int64(q, 0);
		deleted = sqlite3_column_type(q, 6) != SQLITE_NULL;
		sms = sms < 0 ? sqlite3_column_int(q, 4) : sms;
		wechat = wechat < 0 ? sqlite3_column_int(q, 5) : wechat;
		if (insert_only && !deleted) {
			rc = err_set(e, ERR_CONFLICT, "account",
				     "resident %s exists already; "
				     "use PUT to change it",
				     r->account);
			goto out;
		}
		if (unchanged(q, r, sms, wechat, key)) {
			*result = STORE_UNCHANGED;
			goto out;
		}
	}
	sqlite3_reset(q);
	sms = sms < 0 ? 0 : sms;
	wechat = wechat < 0 ? 0 : wechat;
	rc = write_row(s, found ? ST_RES_UPDATE : ST_RES_INSERT, id, r, sms, wechat, now_ms, e);
	if (rc < 0)
		goto out;
	if (!found)
		id = sqlite3_last_insert_rowid(s->db);
	if ((rc = set_areas(s, id, r, e)) < 0)
		goto out;
	*result = (found && !deleted) ? STORE_UPDATED : STORE_CREATED;
out:
	sqlite3_reset(q);
	free(key);
	return rc;
}

int store_resident_upsert(struct store *s, const struct resident *r, int64_t now_ms, int *result,
			  struct err *e)
{
	return upsert(s, r, now_ms, false, result, e);
}

int store_resident_insert(struct store *s, const struct resident *r, int64_t now_ms, struct err *e)
{
	int result;

	return upsert(s, r, now_ms, true, &result, e);
}

static json_t *resident_json(struct store *s, sqlite3_stmt *q)
{
	sqlite3_stmt *aq;
	json_t *areas = json_array(), *obj;

	obj = json_pack("{s:s, s:s, s:s?, s:s?, s:{s:b, s:b}}", "account", store_col_text(q, 1),
			"name", store_col_text(q, 2), "mobile", store_col_text(q, 3), "openid",
			store_col_text(q, 4), "opt_out", "sms", sqlite3_column_int(q, 5), "wechat",
			sqlite3_column_int(q, 6));
	store_json_time(s, obj, "created_at", q, 7);
	store_json_time(s, obj, "updated_at", q, 8);
	aq = store_q(s, ST_RES_AREA_CODES);
	sqlite3_bind_int64(aq, 1, sqlite3_column_int64(q, 0));
	while (sqlite3_step(aq) == SQLITE_ROW)
		json_array_append_new(areas, json_string(store_col_text(aq, 0)));
	sqlite3_reset(aq);
	json_object_set_new(obj, "areas", areas);
	return obj;
}

int store_resident_get(struct store *s, const char *account, json_t **out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RES_ROW);
	int rc;

	store_bind_text(q, 1, account);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = resident_json(s, q);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_db_err(s, e, "reading a resident");
	return err_set(e, ERR_NOTFOUND, "account", "no resident with account %s", account);
}

int store_resident_delete(struct store *s, const char *account, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RES_DELETE);
	int rc;

	store_bind_text(q, 1, account);
	sqlite3_bind_int64(q, 2, now_ms);
	if ((rc = store_run(s, q, e, "deleting a resident")) < 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return err_set(e, ERR_NOTFOUND, "account", "no resident with account %s", account);
	return 0;
}

int store_resident_list(struct store *s, const char *area, int limit, int offset, json_t **out,
			struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RES_LIST);
	json_t *arr = json_array(), *one;
	char account[128];
	int rc;
	int64_t total = 0;

	store_bind_text_or_null(q, 1, area);
	sqlite3_bind_int(q, 2, limit);
	sqlite3_bind_int(q, 3, offset);
	/* Collect accounts first: resident_get reuses other statements on the same handle. */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(arr, json_string(store_col_text(q, 0)));
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		goto fail;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		snprintf(account, sizeof(account), "%s", json_string_value(json_array_get(arr, i)));
		if (store_resident_get(s, account, &one, e) == 0)
			json_array_set_new(arr, i, one);
	}
	q = store_q(s, ST_RES_COUNT);
	store_bind_text_or_null(q, 1, area);
	if (sqlite3_step(q) == SQLITE_ROW)
		total = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	*out = json_pack("{s:o, s:I}", "residents", arr, "total", (json_int_t)total);
	return 0;
fail:
	json_decref(arr);
	return store_db_err(s, e, "listing residents");
}

int store_resident_history(struct store *s, const char *account, json_t **out, struct err *e)
{
	sqlite3_stmt *q = store_q(s, ST_RES_HISTORY);
	json_t *arr = json_array(), *m;
	int rc;

	store_bind_text(q, 1, account);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		m = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:i, s:s?}", "notice_id",
			      (json_int_t)sqlite3_column_int64(q, 0), "kind", store_col_text(q, 1),
			      "utility", store_col_text(q, 2), "channel", store_col_text(q, 3),
			      "state", store_state_name(sqlite3_column_int(q, 4)), "reason",
			      store_col_text(q, 5), "attempts", sqlite3_column_int(q, 6),
			      "provider", store_col_text(q, 7));
		store_json_time(s, m, "created_at", q, 8);
		store_json_time(s, m, "sent_at", q, 9);
		store_json_time(s, m, "updated_at", q, 10);
		json_array_append_new(arr, m);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return store_db_err(s, e, "reading a resident's history");
	}
	*out = json_pack("{s:s, s:o, s:o}", "account", account, "messages", arr, "decisions",
			 store_events_json(s, account));
	return 0;
}
