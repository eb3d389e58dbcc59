/* store_rows: the store's helpers for statements used once (the rare queries of visits,
 * surveys and the case search): preparing one, and reading all its rows as JSON objects
 * keyed by column name, with the time columns as local ISO times. Only store*.c use it,
 * through store_internal.h. */
#include <stdbool.h>
#include <string.h>

#include <sqlite3.h>

#include "store_internal.h"

sqlite3_stmt *store_prepare(struct store *s, const char *sql, struct err *e)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		store_db_err(s, e, "preparing a query");
		return NULL;
	}
	return q;
}

/* Columns named *_at, and answer_due, hold times: shown as local ISO time. */
static bool is_time(const char *name)
{
	size_t n = strlen(name);

	return (n > 3 && strcmp(name + n - 3, "_at") == 0) || strcmp(name, "answer_due") == 0;
}

int store_rows_json(struct store *s, sqlite3_stmt *q, json_t **out, struct err *e)
{
	json_t *arr = json_array();
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < sqlite3_column_count(q); i++) {
			const char *name = sqlite3_column_name(q, i);
			if (sqlite3_column_type(q, i) == SQLITE_NULL)
				json_object_set_new(o, name, json_null());
			else if (is_time(name))
				store_json_time(s, o, name, q, i);
			else if (sqlite3_column_type(q, i) == SQLITE_INTEGER)
				json_object_set_new(o, name,
						    json_integer(sqlite3_column_int64(q, i)));
			else
				json_object_set_new(
					o, name,
					json_string((const char *)sqlite3_column_text(q, i)));
		}
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return store_db_err(s, e, "reading rows");
	}
	*out = arr;
	return 0;
}
