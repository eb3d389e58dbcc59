/* spool: the kiosk's durable queue in its own SQLite file; see spool.h for the contract.
 * Two tables: reservations (pairs fetched from the gateway, used once, in insert order) and
 * requests (what residents asked for, with the pair they were given). WAL with
 * synchronous=FULL, because a ticket is printed, and a case number promised, right after
 * spool_take commits: that commit must survive a power cut. The file is created 0600, since
 * it holds tracking tokens and residents' mobile numbers. Single-threaded (one kiosk loop);
 * statements are prepared per call, which is plenty at the rate people walk up to a screen.
 * States of a request: stored (sent 0, printed 0) -> printed and/or sent, in either order. */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define SPOOL_BUSY_MS 2000
#define ITEM_COLS "id, number, token, tracking_url, body, created_at, sent, printed"

struct spool {
	sqlite3 *db;
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS reservations(number TEXT PRIMARY KEY, token TEXT NOT NULL,"
	" tracking_url TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS requests(id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE,"
	" token TEXT NOT NULL, tracking_url TEXT NOT NULL, body TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0,"
	" printed INTEGER NOT NULL DEFAULT 0);";

static int db_err(struct spool *s, struct err *e, const char *what)
{
	return err_set(e, ERR_IO, NULL, "spool: %s failed: %s", what, sqlite3_errmsg(s->db));
}

static int exec_sql(struct spool *s, const char *sql, const char *what, struct err *e)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_err(s, e, what);
}

static int prepare(struct spool *s, const char *sql, sqlite3_stmt **st, struct err *e)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(s, e, "preparing a statement");
	return 0;
}

/* Creates the file 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
 * same mode), so that tokens and mobile numbers are not world-readable. */
static int create_private(const char *path, struct err *e)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_set(e, ERR_IO, "spool", "cannot open the spool file %s: %s", path,
			       strerror(errno));
	close(fd);
	return 0;
}

/* journal_mode answers with the mode in force; anything but "wal" means the file system
 * refused it, and the durability argument in the header would no longer hold. */
static int set_wal(struct spool *s, struct err *e)
{
	sqlite3_stmt *st = NULL;
	const char *mode = NULL;
	int rc = prepare(s, "PRAGMA journal_mode=WAL", &st, e);

	if (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(st, 0);
	if (rc == 0 && (mode == NULL || strcmp(mode, "wal") != 0))
		rc = err_set(e, ERR_IO, "spool",
			     "the spool file cannot use write-ahead logging (%s); put it on a "
			     "local file system",
			     sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc;
}

int spool_open(const char *path, struct spool **out, struct err *e)
{
	struct spool *s = NULL;
	int rc = create_private(path, e);

	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory opening the spool");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		rc = err_set(e, ERR_IO, "spool", "cannot open the spool %s: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, SPOOL_BUSY_MS);
	if ((rc = set_wal(s, e)) < 0 ||
	    (rc = exec_sql(s, "PRAGMA synchronous=FULL", "setting synchronous", e)) < 0 ||
	    (rc = exec_sql(s, schema_sql, "creating the tables", e)) < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	spool_close(s);
	return rc;
}

void spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	free(s);
}

/* A string member of o that is non-empty and shorter than size, or NULL. */
static const char *str_fit(const json_t *o, const char *key, size_t size)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && v[0] != '\0' && strlen(v) < size ? v : NULL;
}

static int add_one(struct spool *s, sqlite3_stmt *st, const json_t *r, size_t i, struct err *e)
{
	const struct spool_item *k = NULL;
	const char *num = str_fit(r, "number", sizeof(k->number));
	const char *tok = str_fit(r, "token", sizeof(k->token));
	const char *url = str_fit(r, "tracking_url", sizeof(k->tracking_url));

	if (num == NULL || tok == NULL || url == NULL)
		return err_set(e, ERR_INVALID, "reservations",
			       "reservation %zu lacks a number, token or tracking_url that fits "
			       "the spool (at most %zu, %zu and %zu bytes)",
			       i, sizeof(k->number) - 1, sizeof(k->token) - 1,
			       sizeof(k->tracking_url) - 1);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, num, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tok, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, url, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(s, e, "storing a reservation");
}

int spool_add_reservations(struct spool *s, const json_t *answer, struct err *e)
{
	const json_t *list = json_object_get(answer, "reservations");
	sqlite3_stmt *st = NULL;
	int rc;

	if (!json_is_array(list))
		return err_set(e, ERR_INVALID, "reservations",
			       "the gateway's answer has no \"reservations\" list");
	if ((rc = exec_sql(s, "BEGIN IMMEDIATE", "starting a transaction", e)) < 0)
		return rc;
	/* OR IGNORE: the same answer added twice (a retry) must not fail or duplicate. */
	rc = prepare(s,
		     "INSERT OR IGNORE INTO reservations(number, token, tracking_url)"
		     " VALUES(?,?,?)",
		     &st, e);
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++)
		rc = add_one(s, st, json_array_get(list, i), i, e);
	sqlite3_finalize(st);
	/* All or nothing: a half-stored answer would hide which pairs were refused. */
	if (rc == 0)
		rc = exec_sql(s, "COMMIT", "committing reservations", e);
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* The single integer a query answers, or a negative code (for the counting calls). */
static int count_of(struct spool *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int n = ERR_IO;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int spool_reserved_left(struct spool *s)
{
	return count_of(s, "SELECT count(*) FROM reservations WHERE used = 0");
}

int spool_pending(struct spool *s)
{
	return count_of(s, "SELECT count(*) FROM requests WHERE sent = 0");
}

void spool_item_free(struct spool_item *it)
{
	if (it == NULL)
		return;
	free(it->body);
	it->body = NULL;
}

/* Copies a text column into dst; false when it is missing or would be cut (the values were
 * checked on the way in, so that means the file was changed behind the kiosk's back). */
static int col_copy(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	size_t n = v != NULL ? strlen(v) : size;

	if (n >= size)
		return 0;
	memcpy(dst, v, n + 1);
	return 1;
}

/* Fills it from a row of ITEM_COLS. */
static int item_of_row(sqlite3_stmt *st, struct spool_item *it, struct err *e)
{
	const char *body = (const char *)sqlite3_column_text(st, 4);

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(st, 0);
	if (!col_copy(st, 1, it->number, sizeof(it->number)) ||
	    !col_copy(st, 2, it->token, sizeof(it->token)) ||
	    !col_copy(st, 3, it->tracking_url, sizeof(it->tracking_url)) || body == NULL)
		return err_set(e, ERR_IO, "spool", "spool request %lld is damaged",
			       (long long)it->id);
	it->created_ms = sqlite3_column_int64(st, 5);
	it->sent = sqlite3_column_int(st, 6) != 0;
	it->printed = sqlite3_column_int(st, 7) != 0;
	it->body = strdup(body);
	return it->body != NULL ? 0
				: err_set(e, ERR_NOMEM, NULL, "out of memory reading the spool");
}

/* The oldest unused pair, marked used, into it (number, token, tracking_url). */
static int take_pair(struct spool *s, struct spool_item *it, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t rowid = 0;
	int rc = prepare(s,
			 "SELECT rowid, number, token, tracking_url FROM reservations"
			 " WHERE used = 0 ORDER BY rowid LIMIT 1",
			 &st, e);

	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = err_set(e, ERR_CONFLICT, "reservations",
			     "no reserved case number is left; new requests must wait until the "
			     "gateway can be reached");
	else if (rc != SQLITE_ROW)
		rc = db_err(s, e, "reading reservations");
	else if ((rowid = sqlite3_column_int64(st, 0)) <= 0 ||
		 !col_copy(st, 1, it->number, sizeof(it->number)) ||
		 !col_copy(st, 2, it->token, sizeof(it->token)) ||
		 !col_copy(st, 3, it->tracking_url, sizeof(it->tracking_url)))
		rc = err_set(e, ERR_IO, "spool", "a reserved pair in the spool is damaged");
	else
		rc = 0;
	sqlite3_finalize(st);
	if (rc == 0)
		rc = prepare(s, "UPDATE reservations SET used = 1 WHERE rowid = ?", &st, e);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, rowid);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(s, e, "using a reservation");
		sqlite3_finalize(st);
	}
	return rc;
}

/* The request body with "reservation" set, as compact JSON text (malloc'd) in it->body. */
static int build_body(const json_t *request, struct spool_item *it, struct err *e)
{
	json_t *copy = json_deep_copy(request);
	json_t *pair = json_pack("{s:s, s:s}", "number", it->number, "token", it->token);
	int rc = 0;

	if (copy == NULL || pair == NULL || json_object_set(copy, "reservation", pair) < 0 ||
	    (it->body = json_dumps(copy, JSON_COMPACT)) == NULL)
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory building a spooled request");
	json_decref(pair);
	json_decref(copy);
	return rc;
}

static int insert_request(struct spool *s, struct spool_item *it, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s,
			 "INSERT INTO requests(number, token, tracking_url, body, created_at)"
			 " VALUES(?,?,?,?,?)",
			 &st, e);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, it->number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->token, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->tracking_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, it->created_ms);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(s, e, "storing a request");
	sqlite3_finalize(st);
	if (rc == 0)
		it->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int spool_take(struct spool *s, const json_t *request, int64_t now_ms, struct spool_item *out,
	       struct err *e)
{
	struct spool_item it = { .created_ms = now_ms };
	int rc;

	if (!json_is_object(request))
		return err_set(e, ERR_INVALID, "request",
			       "a spooled request must be a JSON object");
	if ((rc = exec_sql(s, "BEGIN IMMEDIATE", "starting a transaction", e)) < 0)
		return rc;
	if ((rc = take_pair(s, &it, e)) < 0 || (rc = build_body(request, &it, e)) < 0 ||
	    (rc = insert_request(s, &it, e)) < 0 ||
	    (rc = exec_sql(s, "COMMIT", "committing a request", e)) < 0)
		goto out;
	*out = it;
	it.body = NULL;
out:
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	spool_item_free(&it);
	return rc;
}

int spool_next_unsent(struct spool *s, struct spool_item *out, struct err *e)
{
	struct spool_item it = { 0 };
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, "SELECT " ITEM_COLS " FROM requests WHERE sent = 0 ORDER BY id LIMIT 1",
			 &st, e);

	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = item_of_row(st, &it, e);
	else
		rc = rc == SQLITE_DONE ? 0 : db_err(s, e, "reading the next request");
	sqlite3_finalize(st);
	if (rc == 0)
		*out = it;
	return rc;
}

static int mark(struct spool *s, const char *sql, int64_t id, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, sql, &st, e);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(s, e, "marking a request");
	sqlite3_finalize(st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = err_set(e, ERR_NOTFOUND, "id", "no spooled request %lld", (long long)id);
	return rc;
}

int spool_mark_sent(struct spool *s, int64_t id, struct err *e)
{
	return mark(s, "UPDATE requests SET sent = 1 WHERE id = ?", id, e);
}

int spool_mark_printed(struct spool *s, int64_t id, struct err *e)
{
	return mark(s, "UPDATE requests SET printed = 1 WHERE id = ?", id, e);
}

int spool_unprinted(struct spool *s, struct spool_item *out, int max, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	if (max <= 0)
		return 0;
	rc = prepare(s,
		     "SELECT " ITEM_COLS " FROM requests WHERE printed = 0 ORDER BY id DESC"
		     " LIMIT ?",
		     &st, e);
	if (rc < 0)
		return rc;
	sqlite3_bind_int(st, 1, max);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = item_of_row(st, &out[n], e)) == 0)
			n++;
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = db_err(s, e, "reading unprinted requests");
	sqlite3_finalize(st);
	/* On failure no item is handed over, so none may keep a body. */
	for (int i = 0; rc < 0 && i < n; i++)
		spool_item_free(&out[i]);
	return rc < 0 ? rc : n;
}
