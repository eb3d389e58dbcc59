/* test_store_migrate: upgrading a real version-5 database to the current schema.
 * tests/fixtures/gateway-v5.sql is a dump of a database that the gatewayd of commit cf24c0a
 * (schema 5) wrote itself: the demo areas and residents, one planned notice, its sent outbox
 * rows and their retry events. Each test loads it into a new file in a mkdtemp folder, lets
 * store_open migrate it and checks, through a second SQLite connection, that every row of
 * every table is still there, unchanged in every column it had, and that the keys hold.
 * The fixture's path is relative: the test runs from the repository root, as make unit does. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
/* Only for the store's own connection, whose foreign_keys setting no public call shows. */
#include "store_internal.h"
#include "test.h"

#define FIXTURE "tests/fixtures/gateway-v5.sql"
#define FIXTURE_MAX (1L << 20)
#define SCHEMA_NOW 8 /* what this gatewayd migrates to */
#define MAX_OBJS 128
#define NAME_SZ 64
#define OUTBOX_INSERT                                                                              \
	"INSERT INTO outbox(notice_id, resident_id, channel, address, state, urgent,"              \
	" not_before, expires_at, created_at, updated_at) VALUES"
#define RESIDENT_NOT_NULL                                                                          \
	"SELECT \"notnull\" FROM pragma_table_info('outbox') WHERE name = 'resident_id'"

struct fx {
	char dir[64], path[128];
};

/* A table or index as it was at a moment. A table's cols renders a row in the columns the
 * table had when first taken, so that a later snapshot taken "like" it compares those. */
struct obj_snap {
	char name[NAME_SZ];
	char *cols; /* quote("a")||'|'||...: quote() keeps each value's type; NULL: an index */
	long long rows;
	char *text; /* every row through cols, sorted, one a line */
	char *sql; /* its CREATE text in sqlite_master */
};

struct snap {
	int n;
	struct obj_snap o[MAX_OBJS];
};

static void fx_make(struct fx *fx)
{
	strcpy(fx->dir, "/tmp/test_store_migrate.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/gw.db", fx->dir);
}

static void fx_remove(struct fx *fx)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, suffix[i]);
		unlink(p);
	}
	rmdir(fx->dir);
}

/* A new database file holding the version-5 fixture, written by plain SQLite. A fixture
 * that cannot be read stops the test binary: nothing here means anything without it. */
static void fx_load_v5(struct fx *fx)
{
	FILE *f = fopen(FIXTURE, "rb");
	char *sql = malloc(FIXTURE_MAX + 1), *msg = NULL;
	sqlite3 *db = NULL;
	size_t n = 0;

	if (f != NULL && sql != NULL)
		n = fread(sql, 1, FIXTURE_MAX + 1, f);
	if (n == 0 || n > FIXTURE_MAX) {
		fprintf(stderr, "cannot read %s (from the repository root, at most %ld bytes)\n",
			FIXTURE, FIXTURE_MAX);
		exit(2);
	}
	fclose(f);
	sql[n] = '\0';
	fx_make(fx);
	if (sqlite3_open(fx->path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "loading %s: %s\n", FIXTURE, msg ? msg : sqlite3_errmsg(db));
		exit(2);
	}
	sqlite3_free(msg);
	sqlite3_close(db);
	free(sql);
}

/* The first column of the first row of sql on db, as a malloc'd text: "(no row)" when there
 * is none, "(null)" for NULL, "(error)" when the query fails (said on stderr). */
static char *conn_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q = NULL;
	const char *v = "(error)";
	char *out;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "  query %s: %s\n", sql, sqlite3_errmsg(db));
	} else if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		v = sqlite3_column_type(q, 0) == SQLITE_NULL
			? "(null)"
			: (const char *)sqlite3_column_text(q, 0);
	} else if (rc == SQLITE_DONE) {
		v = "(no row)";
	} else {
		fprintf(stderr, "  query %s: %s\n", sql, sqlite3_errmsg(db));
	}
	out = strdup(v);
	sqlite3_finalize(q);
	if (out == NULL)
		exit(2);
	return out;
}

/* The same on a fresh connection to path: what is committed, not what a handle believes. */
static char *db_vtext(const char *path, const char *fmt, va_list ap)
{
	sqlite3 *db = NULL;
	char *sql = sqlite3_vmprintf(fmt, ap), *out;

	if (sql == NULL || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	out = conn_text(db, sql);
	sqlite3_close(db);
	sqlite3_free(sql);
	return out;
}

static char *db_text(const char *path, const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = db_vtext(path, fmt, ap);
	va_end(ap);
	return out;
}

/* An integer answer on a fresh connection; -1 for anything that is not a number. */
static long long db_int(const char *path, const char *fmt, ...)
{
	char *t, *end = NULL;
	long long v;
	va_list ap;

	va_start(ap, fmt);
	t = db_vtext(path, fmt, ap);
	va_end(ap);
	v = strtoll(t, &end, 10);
	if (end == t || *end != '\0')
		v = -1;
	free(t);
	return v;
}

/* The names sql returns (one column), up to max; returns how many. */
static int db_names(const char *path, const char *sql, char (*names)[NAME_SZ], int max)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int n = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "  listing %s: %s\n", sql, db ? sqlite3_errmsg(db) : "?");
		exit(2);
	}
	while (n < max && sqlite3_step(q) == SQLITE_ROW)
		snprintf(names[n++], NAME_SZ, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void snap_columns(const char *path, struct snap *out)
{
	char names[MAX_OBJS][NAME_SZ];
	int ntab;

	ntab = db_names(path,
			"SELECT name FROM sqlite_master WHERE type = 'table'"
			" AND name NOT LIKE 'sqlite%' ORDER BY name",
			names, MAX_OBJS);
	for (int i = 0; i < ntab; i++)
		out->o[i].cols = db_text(path,
					 "SELECT group_concat(e, '||''|''||') FROM"
					 " (SELECT printf('quote(\"%%w\")', name) AS e"
					 " FROM pragma_table_info(%Q) ORDER BY cid)",
					 names[i]);
	out->n = ntab +
		db_names(path,
			 "SELECT name FROM sqlite_master WHERE type = 'index'"
			 " AND sql IS NOT NULL ORDER BY name",
			 names + ntab, MAX_OBJS - ntab);
	for (int i = 0; i < out->n; i++)
		memcpy(out->o[i].name, names[i], NAME_SZ);
}

/* Takes every table's rows and every table's and index's definition; with like, the
 * objects and columns are like's (one gone since then shows as "(error)" or "(no row)"). */
static void snap_take(const char *path, const struct snap *like, struct snap *out)
{
	memset(out, 0, sizeof(*out));
	if (like == NULL) {
		snap_columns(path, out);
	} else {
		out->n = like->n;
		for (int i = 0; i < like->n; i++) {
			memcpy(out->o[i].name, like->o[i].name, NAME_SZ);
			if (like->o[i].cols != NULL)
				out->o[i].cols = strdup(like->o[i].cols);
		}
	}
	for (int i = 0; i < out->n; i++) {
		struct obj_snap *t = &out->o[i];

		t->sql = db_text(path, "SELECT sql FROM sqlite_master WHERE name = %Q", t->name);
		if (t->cols == NULL)
			continue;
		t->rows = db_int(path, "SELECT count(*) FROM \"%w\"", t->name);
		t->text = db_text(path,
				  "SELECT group_concat(r, char(10)) FROM"
				  " (SELECT %s AS r FROM \"%w\" ORDER BY 1)",
				  t->cols, t->name);
	}
}

static void snap_free(struct snap *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->o[i].cols);
		free(s->o[i].text);
		free(s->o[i].sql);
	}
}

/* Whether after holds exactly the rows of before (in before's columns) and the same
 * definitions, except for the tables in changed (",a,b,": a migration rebuilt them).
 * Says on stderr what differs. */
static int snap_same(const struct snap *before, const struct snap *after, const char *changed)
{
	char key[NAME_SZ + 2];
	int same = 1;

	for (int i = 0; i < before->n; i++) {
		const struct obj_snap *b = &before->o[i], *a = &after->o[i];

		snprintf(key, sizeof(key), ",%s,", b->name);
		if (b->cols != NULL && (a->rows != b->rows || strcmp(a->text, b->text) != 0)) {
			fprintf(stderr, "  table %s: %lld rows before, %lld after%s\n", b->name,
				b->rows, a->rows, a->rows == b->rows ? ", values differ" : "");
			same = 0;
		}
		if (strstr(changed, key) == NULL && strcmp(a->sql, b->sql) != 0) {
			fprintf(stderr, "  %s: %s became %s\n", b->name, b->sql, a->sql);
			same = 0;
		}
	}
	return same;
}

static struct store *open_store(const char *path)
{
	struct store *s = NULL;
	struct err e;

	if (store_open(path, &s, &e) < 0) {
		fprintf(stderr, "  store_open: %s\n", e.msg);
		return NULL;
	}
	return s;
}

TEST(fixture_is_a_version_5_database_with_real_rows)
{
	static const char *const filled[] = { "api_keys",       "areas",   "residents",
					      "resident_areas", "notices", "notice_areas",
					      "outbox",         "events" };
	struct fx fx;

	fx_load_v5(&fx);
	CHECK_INT(db_int(fx.path, "PRAGMA user_version"), 5);
	for (size_t i = 0; i < sizeof(filled) / sizeof(filled[0]); i++)
		if (db_int(fx.path, "SELECT count(*) FROM \"%w\"", filled[i]) <= 0) {
			fprintf(stderr, "  the fixture has no %s rows\n", filled[i]);
			CHECK(0);
		}
	/* The events must point at outbox rows, so that the rebuild has references to keep. */
	CHECK(db_int(fx.path, "SELECT count(DISTINCT outbox_id) FROM events") > 1);
	CHECK_INT(db_int(fx.path, RESIDENT_NOT_NULL), 1);
	CHECK_INT(db_int(fx.path, "SELECT count(*) FROM sqlite_master WHERE name = %Q", "cases"),
		  0);
	CHECK_INT(db_int(fx.path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	fx_remove(&fx);
}

/* Upgrades the database at path and checks that every table that was there keeps every
 * row, identical in each column it had, and that the keys hold afterwards. */
static void check_upgrade_keeps_rows(const char *path)
{
	struct snap before, after;
	struct store *s;
	char *fk;

	snap_take(path, NULL, &before);
	s = open_store(path);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_INT(store_schema_version(s), SCHEMA_NOW);
		fk = conn_text(s->db, "PRAGMA foreign_keys");
		CHECK_STR(fk, "1");
		free(fk);
		store_close(s);
	}
	CHECK_INT(db_int(path, "PRAGMA user_version"), SCHEMA_NOW);
	snap_take(path, &before, &after);
	CHECK(before.n >= 12 + 14); /* version 5 had 12 tables and 14 indexes */
	/* Only the rebuilt outbox and notices (a new column) may have a new CREATE text; the
	 * events' REFERENCES outbox must still name the table, not a renamed copy. */
	CHECK(snap_same(&before, &after, ",outbox,notices,"));
	CHECK_INT(db_int(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	snap_free(&before);
	snap_free(&after);
}

TEST(upgrade_keeps_every_row_of_every_table)
{
	struct fx fx;

	fx_load_v5(&fx);
	check_upgrade_keeps_rows(fx.path);
	fx_remove(&fx);
}

/* The file providers that wrote the fixture leave ref, reason and unknown_out NULL and
 * updated_at equal to sent_at, so a rebuild that dropped or swapped such columns would pass
 * the test above. Here some rows get made-up values first (plain SQL on the version-5 file,
 * as if a receipt had come later) until no outbox column is all NULL or equals another. */
TEST(upgrade_keeps_every_outbox_column_apart)
{
	char c[MAX_OBJS][NAME_SZ];
	sqlite3 *db = NULL;
	struct fx fx;
	int n;

	fx_load_v5(&fx);
	if (sqlite3_open(fx.path, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "UPDATE outbox SET ref = 'biz' || (9000 + id) || '^0',"
			 " unknown_out = 'demo_sms:' || id, reason = 'HTTP 503: busy, try ' || id,"
			 " updated_at = updated_at + 4000 WHERE id % 5 = 0",
			 NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "filling %s: %s\n", fx.path, sqlite3_errmsg(db));
		exit(2);
	}
	sqlite3_close(db);
	n = db_names(fx.path, "SELECT name FROM pragma_table_info('outbox')", c, MAX_OBJS);
	CHECK(n >= 17);
	for (int i = 0; i < n; i++)
		for (int j = i; j < n; j++)
			if (db_int(fx.path, "SELECT count(*) FROM outbox WHERE \"%w\" IS NOT %s",
				   c[i], i == j ? "NULL" : c[j]) <= 0) {
				fprintf(stderr, "  outbox.%s is %s in every row\n", c[i],
					i == j ? "NULL" : c[j]);
				CHECK(0);
			}
	check_upgrade_keeps_rows(fx.path);
	fx_remove(&fx);
}

TEST(upgrade_rebuilds_the_outbox_and_adds_the_case_tables)
{
	struct store *s;
	struct fx fx;

	fx_load_v5(&fx);
	s = open_store(fx.path);
	CHECK(s != NULL);
	if (s == NULL)
		goto out;
	CHECK_INT(db_int(fx.path,
			 "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND"
			 " tbl_name = 'outbox' AND name IN ('outbox_due', 'outbox_expiry',"
			 " 'outbox_sending', 'outbox_resident', 'outbox_ref', 'outbox_unknown',"
			 " 'outbox_sms_sent')"),
		  7);
	CHECK_INT(db_int(fx.path,
			 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
			 " name IN ('cases', 'case_events', 'case_clocks', 'case_serials',"
			 " 'case_clusters')"),
		  5);
	CHECK_INT(db_int(fx.path,
			 "SELECT count(*) FROM pragma_table_info(%Q) WHERE name = 'case_id'",
			 "notices"),
		  1);
	CHECK_INT(db_int(fx.path, RESIDENT_NOT_NULL), 0);
	/* A case's message to a caller who is no resident: no resident_id, a real notice. */
	CHECK_INT(sqlite3_exec(s->db,
			       OUTBOX_INSERT "((SELECT min(id) FROM notices), NULL, 'sms',"
					     " '13800000000', 0, 0, 1, 2, 3, 3)",
			       NULL, NULL, NULL),
		  SQLITE_OK);
	/* The rebuilt table still refuses a notice that does not exist. */
	CHECK(sqlite3_exec(s->db,
			   OUTBOX_INSERT "(999999, NULL, 'sms', '13800000001', 0, 0, 1, 2, 3, 3)",
			   NULL, NULL, NULL) != SQLITE_OK);
	store_close(s);
	CHECK_INT(db_int(fx.path, "SELECT count(*) FROM outbox WHERE resident_id IS NULL"), 1);
	CHECK_INT(db_int(fx.path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
out:
	fx_remove(&fx);
}

TEST(second_open_of_an_upgraded_database_changes_nothing)
{
	struct snap first, second;
	struct store *s;
	struct fx fx;

	fx_load_v5(&fx);
	s = open_store(fx.path);
	CHECK(s != NULL);
	store_close(s);
	snap_take(fx.path, NULL, &first);
	s = open_store(fx.path);
	CHECK(s != NULL);
	if (s != NULL)
		CHECK_INT(store_schema_version(s), SCHEMA_NOW);
	store_close(s);
	snap_take(fx.path, &first, &second);
	/* Every table and index of the upgraded schema, with every row, is as it was. */
	CHECK(first.n >= 22 + 31); /* version 8: 22 tables, 31 indexes */
	CHECK(snap_same(&first, &second, ""));
	CHECK_INT(db_int(fx.path, "PRAGMA user_version"), SCHEMA_NOW);
	snap_free(&first);
	snap_free(&second);
	fx_remove(&fx);
}

TEST(database_newer_than_the_binary_is_refused)
{
	struct store *s = NULL;
	sqlite3 *db = NULL;
	struct err e;
	struct fx fx;

	fx_make(&fx);
	if (sqlite3_open(fx.path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE later(x); PRAGMA user_version = 99", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		fprintf(stderr, "cannot make %s\n", fx.path);
		exit(2);
	}
	sqlite3_close(db);
	memset(&e, 0, sizeof(e));
	CHECK(store_open(fx.path, &s, &e) < 0);
	CHECK(s == NULL);
	CHECK(strstr(e.msg, "newer") != NULL);
	/* Refusing must leave the newer database as it was. */
	CHECK_INT(db_int(fx.path, "PRAGMA user_version"), 99);
	CHECK_INT(db_int(fx.path, "SELECT count(*) FROM sqlite_master WHERE type = %Q", "table"),
		  1);
	store_close(s);
	fx_remove(&fx);
}

int main(void)
{
	RUN(fixture_is_a_version_5_database_with_real_rows);
	RUN(upgrade_keeps_every_row_of_every_table);
	RUN(upgrade_keeps_every_outbox_column_apart);
	RUN(upgrade_rebuilds_the_outbox_and_adds_the_case_tables);
	RUN(second_open_of_an_upgraded_database_changes_nothing);
	RUN(database_newer_than_the_binary_is_refused);
	return TEST_END();
}
