/* test_store: the store module against a real SQLite database in a mkdtemp folder under /tmp
 * (removed by each test). Covers the schema (creation, reopening, WAL, a newer schema
 * refused), API keys, the area tree (cycles, labels), residents (upsert results, kept
 * opt-outs, soft delete with history), notices (one row per resident and channel, skipped
 * rows, urgent notices, previews, follow-ups that supersede) and the outbox life cycle
 * (claim, record, expire, recover). Rows are counted through a second, read-only SQLite
 * connection so that the store's own answers are checked against what is really stored.
 * Times are fixed (NOW); the store never reads the clock. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "test.h"
#include "timefmt.h"

#define NOW 1795305600000LL /* 2026-11-22T08:00:00+08:00 */
#define HOUR 3600000LL

struct fx {
	char dir[64], path[128];
	struct store *s;
};

static void fx_open(struct fx *fx)
{
	struct err e;

	strcpy(fx->dir, "/tmp/test_store.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/gw.db", fx->dir);
	if (store_open(fx->path, &fx->s, &e) < 0) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		exit(2);
	}
}

static void fx_close(struct fx *fx)
{
	char p[160];

	store_close(fx->s);
	unlink(fx->path);
	snprintf(p, sizeof(p), "%s-wal", fx->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fx->path);
	unlink(p);
	rmdir(fx->dir);
}

/* Runs a one-value query on a second, read-only connection: the committed truth. Text
 * answers go to buf (may be NULL); the integer answer is returned, -1 on error. */
static long long sql_query(const struct fx *fx, char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static long long sql_query(const struct fx *fx, char *buf, size_t sz, const char *fmt, ...)
{
	char sql[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	long long v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (buf != NULL)
		snprintf(buf, sz, "(no row)");
	if (sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		v = sqlite3_column_int64(q, 0);
		if (buf != NULL)
			snprintf(buf, sz, "%s",
				 sqlite3_column_type(q, 0) == SQLITE_NULL
					 ? "(null)"
					 : (const char *)sqlite3_column_text(q, 0));
	} else {
		fprintf(stderr, "  sql_query(%s): %s\n", sql, db ? sqlite3_errmsg(db) : "no db");
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

#define SQL_INT(fx, ...) sql_query((fx), NULL, 0, __VA_ARGS__)

static void add_area(struct fx *fx, const char *code, const char *name, const char *parent,
		     const char *level)
{
	struct area a = { code, name, parent, level };
	struct err e;

	if (store_area_upsert(fx->s, &a, NULL, &e) < 0) {
		fprintf(stderr, "add_area %s: %s\n", code, e.msg);
		exit(2);
	}
}

/* D1 上城区 > S1 湖滨街道 > C1 幸福小区 > B3 3号楼, B4 4号楼; S1 > C2 阳光花园 > B9 9号楼. */
static void fx_tree(struct fx *fx)
{
	add_area(fx, "D1", "上城区", NULL, "district");
	add_area(fx, "S1", "湖滨街道", "D1", "street");
	add_area(fx, "C1", "幸福小区", "S1", "community");
	add_area(fx, "B3", "3号楼", "C1", "building");
	add_area(fx, "B4", "4号楼", "C1", "building");
	add_area(fx, "C2", "阳光花园", "S1", "community");
	add_area(fx, "B9", "9号楼", "C2", "building");
}

/* Upserts a resident in one or two areas (area2 may be NULL); returns the STORE_* result. */
static int put_res(struct fx *fx, const char *account, const char *mobile, const char *openid,
		   int out_sms, int out_wechat, const char *area1, const char *area2)
{
	const char *areas[2] = { area1, area2 };
	struct resident r = { account, "张三",     mobile, openid,
			      out_sms, out_wechat, areas,  area2 ? 2 : 1 };
	struct err e;
	int result = 0;

	if (store_resident_upsert(fx->s, &r, NOW, &result, &e) < 0) {
		fprintf(stderr, "put_res %s: %s\n", account, e.msg);
		exit(2);
	}
	return result;
}

static void make_notice(struct notice *n, const char *kind, int channels, int urgent,
			int64_t created)
{
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->utility = "water";
	n->reason = "主管道更换";
	n->hotline = "0571-87654321";
	n->start_ms = NOW + 25 * HOUR;
	n->end_ms = NOW + 33 * HOUR;
	n->created_ms = created;
	n->expires_ms = n->end_ms;
	n->channels = channels;
	n->urgent = urgent;
	n->text_sms = (channels & STORE_CH_SMS) ? "【幸福水务】尊敬的用户：停水通知" : NULL;
	n->text_wechat = (channels & STORE_CH_WECHAT) ? "停水通知" : NULL;
	n->sms_parts = n->text_sms ? 1 : 0;
}

/* Creates a notice to the given areas (NULL-terminated); exits on failure. */
static int64_t create_notice(struct fx *fx, struct notice *n, struct notice_counts *c, ...)
{
	const char *areas[8];
	int nareas = 0;
	const char *a;
	struct err e;
	va_list ap;

	va_start(ap, c);
	while (nareas < 8 && (a = va_arg(ap, const char *)) != NULL)
		areas[nareas++] = a;
	va_end(ap);
	if (store_notice_create(fx->s, n, areas, nareas, c, &e) < 0) {
		fprintf(stderr, "create_notice: %s\n", e.msg);
		exit(2);
	}
	return n->id;
}

/* The notice's progress count for a state name, through store_notice_get. */
static long long progress(struct fx *fx, int64_t id, const char *state)
{
	json_t *g = NULL;
	struct err e;
	long long v = -1;

	if (store_notice_get(fx->s, id, &g, &e) == 0)
		v = json_integer_value(json_object_get(json_object_get(g, "progress"), state));
	json_decref(g);
	return v;
}

static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- schema ---- */

TEST(open_creates_schema_in_wal_mode_and_reopen_keeps_it)
{
	struct fx fx;
	struct stat st;
	char wal[160], mode[32];
	struct err e;

	fx_open(&fx);
	CHECK_INT(store_schema_version(fx.s), 8);
	add_area(&fx, "D1", "上城区", NULL, "district");
	snprintf(wal, sizeof(wal), "%s-wal", fx.path);
	CHECK(stat(wal, &st) == 0);
	sql_query(&fx, mode, sizeof(mode), "PRAGMA journal_mode");
	CHECK_STR(mode, "wal");
	CHECK_INT(SQL_INT(&fx, "PRAGMA user_version"), 8);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name"
			  " IN ('api_keys','areas','residents','resident_areas','notices',"
			  "'notice_areas','outbox')"),
		  7);

	store_close(fx.s);
	fx.s = NULL;
	CHECK_INT(store_open(fx.path, &fx.s, &e), 0);
	CHECK_INT(store_schema_version(fx.s), 8);
	CHECK(store_area_exists(fx.s, "D1"));
	fx_close(&fx);
}

TEST(newer_schema_is_refused_with_a_clear_message)
{
	struct fx fx;
	struct store *s2 = (struct store *)&fx; /* must stay untouched on failure */
	sqlite3 *db = NULL;
	struct err e;

	fx_open(&fx);
	store_close(fx.s);
	fx.s = NULL;
	CHECK_INT(sqlite3_open(fx.path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	err_clear(&e);
	CHECK_INT(store_open(fx.path, &s2, &e), ERR_INVALID);
	CHECK(s2 == (struct store *)&fx);
	CHECK(strstr(e.msg, "version 99") != NULL);
	CHECK(strstr(e.msg, "newer") != NULL);
	CHECK_INT(SQL_INT(&fx, "PRAGMA user_version"), 99);
	fx_close(&fx);
}

/* ---- API keys ---- */

TEST(apikeys_add_role_and_unknown)
{
	struct fx fx;
	char role[16] = "untouched";
	struct err e;

	fx_open(&fx);
	CHECK_INT(store_apikey_add(fx.s, "ops", "dispatcher", "ab12", NOW, &e), 0);
	CHECK_INT(store_apikey_role(fx.s, "ab12", role, &e), 0);
	CHECK_STR(role, "dispatcher");

	/* store.h says ERR_NOTFOUND, but api.c maps this code to 401 and expects ERR_UNAUTH,
	 * which is what store.c returns: the implementation and its caller agree. */
	snprintf(role, sizeof(role), "untouched");
	CHECK_INT(store_apikey_role(fx.s, "cd34", role, &e), ERR_UNAUTH);
	CHECK_STR(role, "untouched");

	/* The same hash twice is refused by the UNIQUE constraint. */
	CHECK_INT(store_apikey_add(fx.s, "again", "admin", "ab12", NOW, &e), ERR_CONFLICT);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM api_keys"), 1);
	fx_close(&fx);
}

/* ---- areas ---- */

TEST(area_upsert_create_update_and_refusals)
{
	struct fx fx;
	struct area a = { "D1", "上城区", NULL, "district" };
	char name[64];
	struct err e;
	int created = -1;

	fx_open(&fx);
	CHECK_INT(store_area_upsert(fx.s, &a, &created, &e), 0);
	CHECK_INT(created, 1);
	a.name = "上城";
	CHECK_INT(store_area_upsert(fx.s, &a, &created, &e), 0);
	CHECK_INT(created, 0);
	sql_query(&fx, name, sizeof(name), "SELECT name FROM areas WHERE code = 'D1'");
	CHECK_STR(name, "上城");

	struct area orphan = { "B1", "1号楼", "NOPE", "building" };
	CHECK_INT(store_area_upsert(fx.s, &orphan, NULL, &e), ERR_INVALID);
	CHECK_STR(e.field, "parent");
	CHECK(strstr(e.msg, "NOPE") != NULL);
	CHECK(!store_area_exists(fx.s, "B1"));

	struct area village = { "V1", "某村", "D1", "village" };
	CHECK_INT(store_area_upsert(fx.s, &village, NULL, &e), ERR_INVALID);
	CHECK_STR(e.field, "level");
	CHECK(!store_area_exists(fx.s, "V1"));
	fx_close(&fx);
}

TEST(area_cycle_is_refused)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	add_area(&fx, "A", "甲", NULL, "street");
	add_area(&fx, "B", "乙", "A", "community");
	add_area(&fx, "C", "丙", "B", "building");

	struct area a_under_b = { "A", "甲", "B", "street" };
	CHECK_INT(store_area_upsert(fx.s, &a_under_b, NULL, &e), ERR_INVALID);
	CHECK_STR(e.field, "parent");
	struct area a_under_c = { "A", "甲", "C", "street" };
	CHECK_INT(store_area_upsert(fx.s, &a_under_c, NULL, &e), ERR_INVALID);
	struct area a_under_a = { "A", "甲", "A", "street" };
	CHECK_INT(store_area_upsert(fx.s, &a_under_a, NULL, &e), ERR_INVALID);
	CHECK_STR(e.field, "parent");
	CHECK_INT(SQL_INT(&fx, "SELECT parent IS NULL FROM areas WHERE code = 'A'"), 1);
	fx_close(&fx);
}

TEST(area_within)
{
	struct fx fx;

	fx_open(&fx);
	fx_tree(&fx);
	CHECK(store_area_within(fx.s, "B3", "B3"));
	CHECK(store_area_within(fx.s, "B3", "C1"));
	CHECK(store_area_within(fx.s, "B3", "S1"));
	CHECK(store_area_within(fx.s, "B3", "D1"));
	CHECK(store_area_within(fx.s, "B9", "S1"));
	CHECK(!store_area_within(fx.s, "B3", "C2"));
	CHECK(!store_area_within(fx.s, "B3", "B4"));
	CHECK(!store_area_within(fx.s, "C1", "B3"));
	CHECK(!store_area_within(fx.s, "D1", "S1"));
	CHECK(!store_area_within(fx.s, "NOPE", "D1"));
	fx_close(&fx);
}

TEST(area_label_puts_the_community_in_front_of_a_building)
{
	struct fx fx;
	char out[128], parent[64];
	struct err e;

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(store_area_label(fx.s, "B3", NULL, out, sizeof(out), parent, &e), 0);
	CHECK_STR(out, "幸福小区3号楼");
	CHECK_STR(parent, "C1");
	CHECK_INT(store_area_label(fx.s, "B4", "C1", out, sizeof(out), parent, &e), 0);
	CHECK_STR(out, "4号楼");
	CHECK_INT(store_area_label(fx.s, "B9", "C1", out, sizeof(out), NULL, &e), 0);
	CHECK_STR(out, "阳光花园9号楼");
	CHECK_INT(store_area_label(fx.s, "C1", NULL, out, sizeof(out), parent, &e), 0);
	CHECK_STR(out, "幸福小区");
	CHECK_STR(parent, "S1");
	CHECK_INT(store_area_label(fx.s, "D1", "S1", out, sizeof(out), parent, &e), 0);
	CHECK_STR(out, "上城区");
	CHECK_STR(parent, "");
	CHECK_INT(store_area_label(fx.s, "NOPE", NULL, out, sizeof(out), parent, &e), ERR_INVALID);
	CHECK_STR(e.field, "areas");
	fx_close(&fx);
}

/* ---- residents ---- */

TEST(resident_upsert_created_updated_unchanged)
{
	struct fx fx;
	const char *b3[] = { "B3" }, *b3b4[] = { "B4", "B3" }, *b3b4_sorted[] = { "B3", "B4" };
	struct resident r = { "1001", "张三", "13812345678", NULL, 0, 0, b3, 1 };
	json_t *g = NULL;
	struct err e;
	int result = 0;

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW, &result, &e), 0);
	CHECK_INT(result, STORE_CREATED);
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW + 1, &result, &e), 0);
	CHECK_INT(result, STORE_UNCHANGED);
	r.name = "李四";
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW + 2, &result, &e), 0);
	CHECK_INT(result, STORE_UPDATED);
	r.areas = b3b4;
	r.nareas = 2;
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW + 3, &result, &e), 0);
	CHECK_INT(result, STORE_UPDATED);
	/* The same areas in another order are no change. */
	r.areas = b3b4_sorted;
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW + 4, &result, &e), 0);
	CHECK_INT(result, STORE_UNCHANGED);

	CHECK_INT(store_resident_get(fx.s, "1001", &g, &e), 0);
	CHECK_STR(str_of(g, "name"), "李四");
	CHECK_STR(str_of(g, "mobile"), "13812345678");
	CHECK_INT(json_array_size(json_object_get(g, "areas")), 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(g, "areas"), 0)), "B3");
	CHECK_STR(str_of(g, "created_at"), "2026-11-22T08:00:00+08:00");
	CHECK(str_of(g, "updated_at") != NULL);
	json_decref(g);
	fx_close(&fx);
}

TEST(resident_negative_opt_out_keeps_the_stored_value)
{
	struct fx fx;
	const char *b3[] = { "B3" };
	struct resident r = { "1002", "王五", "13812345678", "o_wang", 1, 0, b3, 1 };
	json_t *g = NULL;
	struct err e;
	int result = 0;

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW, &result, &e), 0);
	r.opt_out_sms = -1;
	r.opt_out_wechat = -1;
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW + 1, &result, &e), 0);
	CHECK_INT(result, STORE_UNCHANGED);
	r.name = "王五五";
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW + 2, &result, &e), 0);
	CHECK_INT(result, STORE_UPDATED);
	CHECK_INT(store_resident_get(fx.s, "1002", &g, &e), 0);
	CHECK(json_is_true(json_object_get(json_object_get(g, "opt_out"), "sms")));
	CHECK(json_is_false(json_object_get(json_object_get(g, "opt_out"), "wechat")));
	json_decref(g);
	/* A new resident with "keep" opt-outs starts opted in. */
	r.account = "1003";
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW, &result, &e), 0);
	CHECK_INT(result, STORE_CREATED);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT opt_out_sms + opt_out_wechat FROM residents"
			  " WHERE account = '1003'"),
		  0);
	fx_close(&fx);
}

TEST(resident_insert_conflict_and_bad_areas)
{
	struct fx fx;
	const char *b3[] = { "B3" }, *nope[] = { "NOPE" };
	struct resident r = { "1004", "赵六", "13812345678", NULL, 0, 0, b3, 1 };
	struct err e;
	int result = 0;

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(store_resident_insert(fx.s, &r, NOW, &e), 0);
	CHECK_INT(store_resident_insert(fx.s, &r, NOW, &e), ERR_CONFLICT);
	CHECK_STR(e.field, "account");
	r.account = "1005";
	r.areas = nope;
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW, &result, &e), ERR_INVALID);
	CHECK_STR(e.field, "areas");
	CHECK(strstr(e.msg, "NOPE") != NULL);
	r.nareas = 0;
	CHECK_INT(store_resident_upsert(fx.s, &r, NOW, &result, &e), ERR_INVALID);
	CHECK_STR(e.field, "areas");
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM residents"), 1);
	fx_close(&fx);
}

TEST(resident_soft_delete_keeps_history)
{
	struct fx fx;
	struct notice n;
	json_t *g = NULL, *h = NULL;
	struct err e;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "1006", "13812345678", NULL, 0, 0, "B3", NULL);
	make_notice(&n, "planned", STORE_CH_SMS, 0, NOW);
	create_notice(&fx, &n, NULL, "C1", NULL);

	CHECK_INT(store_resident_delete(fx.s, "1006", NOW + 1, &e), 0);
	CHECK_INT(store_resident_get(fx.s, "1006", &g, &e), ERR_NOTFOUND);
	CHECK(g == NULL);
	CHECK_INT(store_resident_delete(fx.s, "1006", NOW + 2, &e), ERR_NOTFOUND);
	CHECK_INT(store_resident_history(fx.s, "1006", &h, &e), 0);
	CHECK_STR(str_of(h, "account"), "1006");
	CHECK_INT(json_array_size(json_object_get(h, "messages")), 1);
	json_decref(h);
	CHECK_INT(store_resident_list(fx.s, "D1", 100, 0, &g, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(g, "total")), 0);
	json_decref(g);

	/* Inserting the account again revives it. */
	const char *b4[] = { "B4" };
	struct resident r = { "1006", "张三", "13812345678", NULL, 0, 0, b4, 1 };
	CHECK_INT(store_resident_insert(fx.s, &r, NOW + 3, &e), 0);
	CHECK_INT(store_resident_get(fx.s, "1006", &g, &e), 0);
	json_decref(g);
	fx_close(&fx);
}

static const char *list_account(const json_t *list, size_t i)
{
	return str_of(json_array_get(json_object_get(list, "residents"), i), "account");
}

TEST(resident_list_by_area_includes_descendants)
{
	struct fx fx;
	json_t *l = NULL;
	struct err e;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "2001", "13800000001", NULL, 0, 0, "B3", NULL);
	put_res(&fx, "2002", "13800000002", NULL, 0, 0, "B4", "B3");
	put_res(&fx, "2003", "13800000003", NULL, 0, 0, "B9", NULL);

	CHECK_INT(store_resident_list(fx.s, "C1", 100, 0, &l, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(l, "total")), 2);
	CHECK_INT(json_array_size(json_object_get(l, "residents")), 2);
	CHECK_STR(list_account(l, 0), "2001");
	CHECK_STR(list_account(l, 1), "2002");
	CHECK_STR(str_of(json_array_get(json_object_get(l, "residents"), 1), "mobile"),
		  "13800000002");
	json_decref(l);

	CHECK_INT(store_resident_list(fx.s, "D1", 1, 1, &l, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(l, "total")), 3);
	CHECK_INT(json_array_size(json_object_get(l, "residents")), 1);
	CHECK_STR(list_account(l, 0), "2002");
	json_decref(l);

	CHECK_INT(store_resident_list(fx.s, "B9", 100, 0, &l, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(l, "total")), 1);
	CHECK_STR(list_account(l, 0), "2003");
	json_decref(l);

	CHECK_INT(store_resident_list(fx.s, NULL, 100, 0, &l, &e), 0);
	CHECK_INT(json_integer_value(json_object_get(l, "total")), 3);
	json_decref(l);
	fx_close(&fx);
}

/* ---- notices ---- */

TEST(notice_reaches_each_resident_once_per_channel)
{
	struct fx fx;
	struct notice n;
	struct notice_counts c;
	int64_t id;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "3001", "13800000001", "o_1", 0, 0, "B3", NULL);
	put_res(&fx, "3002", "13800000002", "o_2", 0, 0, "B4", NULL);
	put_res(&fx, "3003", "13800000003", NULL, 0, 0, "B3", "B4");
	put_res(&fx, "3004", "13800000004", "o_4", 0, 0, "B9", NULL);
	make_notice(&n, "planned", STORE_CH_SMS | STORE_CH_WECHAT, 0, NOW);
	/* The community and one of its buildings: 3001 and 3003 are in both. */
	id = create_notice(&fx, &n, &c, "C1", "B3", NULL);
	CHECK(id > 0);
	CHECK_INT(n.outage_id, id);
	CHECK_INT(c.residents, 3);
	CHECK_INT(c.recipients_sms, 3);
	CHECK_INT(c.recipients_wechat, 2);
	CHECK_INT(c.skipped_opted_out, 0);
	CHECK_INT(c.skipped_no_channel, 0);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM outbox WHERE notice_id = %lld", (long long)id),
		  5);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM (SELECT 1 FROM outbox GROUP BY notice_id,"
			  " resident_id, channel HAVING count(*) > 1)"),
		  0);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM outbox o JOIN residents r ON"
			  " r.id = o.resident_id WHERE r.account = '3004'"),
		  0);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM notice_areas WHERE notice_id = %lld",
			  (long long)id),
		  2);
	CHECK_INT(progress(&fx, id, "queued"), 5);
	CHECK_INT(store_queue_depth(fx.s), 5);
	fx_close(&fx);
}

static long long skip_count(struct fx *fx, int64_t id, const char *reason)
{
	json_t *g = NULL, *one;
	struct err e;
	long long v = 0;
	size_t i;

	if (store_notice_get(fx->s, id, &g, &e) < 0)
		return -1;
	json_array_foreach(json_object_get(g, "skips"), i, one)
	{
		if (strcmp(str_of(one, "reason"), reason) == 0)
			v = json_integer_value(json_object_get(one, "count"));
	}
	json_decref(g);
	return v;
}

TEST(notice_skips_opted_out_and_unreachable_residents)
{
	struct fx fx;
	struct notice n;
	struct notice_counts c;
	int64_t id;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "3101", "13800000001", "o_1", 1, 0, "B3", NULL);
	put_res(&fx, "3102", NULL, NULL, 0, 0, "B3", NULL);
	put_res(&fx, "3103", "13800000003", NULL, 0, 0, "B4", NULL);
	make_notice(&n, "planned", STORE_CH_SMS | STORE_CH_WECHAT, 0, NOW);
	id = create_notice(&fx, &n, &c, "C1", NULL);
	CHECK_INT(c.residents, 3);
	CHECK_INT(c.recipients_sms, 1);
	CHECK_INT(c.recipients_wechat, 1);
	CHECK_INT(c.skipped_opted_out, 1);
	CHECK_INT(c.skipped_no_channel, 1);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM outbox o JOIN residents r ON"
			  " r.id = o.resident_id WHERE r.account = '3101' AND o.channel = 'sms'"
			  " AND o.state = %d AND o.reason = 'opted out of sms'",
			  MSG_SKIPPED),
		  1);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM outbox o JOIN residents r ON"
			  " r.id = o.resident_id WHERE r.account = '3102' AND o.channel = 'none'"
			  " AND o.state = %d AND o.reason = 'no usable channel'",
			  MSG_SKIPPED),
		  1);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM outbox WHERE notice_id = %lld", (long long)id),
		  4);
	CHECK_INT(progress(&fx, id, "skipped"), 2);
	CHECK_INT(progress(&fx, id, "queued"), 2);
	CHECK_INT(skip_count(&fx, id, "opted out of sms"), 1);
	CHECK_INT(skip_count(&fx, id, "no usable channel"), 1);
	fx_close(&fx);
}

TEST(urgent_notice_ignores_opt_outs)
{
	struct fx fx;
	struct notice n;
	struct notice_counts c;
	int64_t id;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "3201", "13800000001", "o_1", 1, 1, "B3", NULL);
	make_notice(&n, "emergency", STORE_CH_SMS | STORE_CH_WECHAT, 1, NOW);
	id = create_notice(&fx, &n, &c, "B3", NULL);
	CHECK_INT(c.recipients_sms, 1);
	CHECK_INT(c.recipients_wechat, 1);
	CHECK_INT(c.skipped_opted_out, 0);
	CHECK_INT(progress(&fx, id, "queued"), 2);
	CHECK_INT(progress(&fx, id, "skipped"), 0);
	CHECK_INT(SQL_INT(&fx, "SELECT min(urgent) FROM outbox"), 1);
	fx_close(&fx);
}

TEST(preview_counts_equal_create_and_store_nothing)
{
	struct fx fx;
	struct notice n;
	struct notice_counts p, c;
	const char *areas[] = { "C1", "B4" };
	struct err e;
	int64_t id;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "3301", "13800000001", "o_1", 0, 0, "B3", NULL);
	put_res(&fx, "3302", "13800000002", "o_2", 1, 0, "B4", NULL);
	put_res(&fx, "3303", NULL, "o_3", 0, 1, "B4", NULL);
	put_res(&fx, "3304", NULL, NULL, 0, 0, "B3", NULL);
	put_res(&fx, "3305", "13800000005", NULL, 0, 0, "B9", NULL);
	make_notice(&n, "planned", STORE_CH_SMS | STORE_CH_WECHAT, 0, NOW);
	CHECK_INT(store_notice_preview(fx.s, &n, areas, 2, &p, &e), 0);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM notices"), 0);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM outbox"), 0);
	CHECK_INT(store_queue_depth(fx.s), 0);
	CHECK_INT(p.residents, 4);
	CHECK_INT(p.recipients_sms, 1);
	CHECK_INT(p.recipients_wechat, 2);
	CHECK_INT(p.skipped_opted_out, 2);
	CHECK_INT(p.skipped_no_channel, 1);

	CHECK_INT(store_notice_create(fx.s, &n, areas, 2, &c, &e), 0);
	id = n.id;
	CHECK(memcmp(&p, &c, sizeof(p)) == 0);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM outbox WHERE channel = 'sms' AND state = 0"),
		  p.recipients_sms);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM outbox WHERE channel = 'wechat'"
			  " AND state = 0"),
		  p.recipients_wechat);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM outbox WHERE reason LIKE 'opted out%%'"),
		  p.skipped_opted_out);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM outbox WHERE channel = 'none'"),
		  p.skipped_no_channel);
	CHECK_INT(progress(&fx, id, "queued"), p.recipients_sms + p.recipients_wechat);
	fx_close(&fx);
}

/* Moves the resident to another area, as a re-import would. */
static void move_res(struct fx *fx, const char *account, const char *mobile, const char *openid,
		     const char *area)
{
	CHECK_INT(put_res(fx, account, mobile, openid, -1, -1, area, NULL), STORE_UPDATED);
}

TEST(follow_up_reaches_first_recipients_and_supersedes)
{
	struct fx fx;
	struct notice first, up, loaded;
	struct notice_counts c;
	struct outbox_msg m[4];
	json_t *areas = NULL;
	char who[64];
	struct err e;
	long long queued_before;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "3401", "13800000001", "o_1", 0, 0, "B3", NULL);
	put_res(&fx, "3402", "13800000002", NULL, 0, 0, "B4", NULL);
	make_notice(&first, "planned", STORE_CH_SMS | STORE_CH_WECHAT, 0, NOW);
	create_notice(&fx, &first, NULL, "C1", NULL);
	/* One message is in flight when the update comes: it must not be superseded. */
	CHECK_INT(store_outbox_claim(fx.s, "wechat", NOW, true, m, 4, &e), 1);
	queued_before = progress(&fx, first.id, "queued");
	CHECK_INT(queued_before, 2);

	/* After the first notice: 3401 moves away, 3403 moves in. */
	move_res(&fx, "3401", "13800000001", "o_1", "B9");
	put_res(&fx, "3403", "13800000003", NULL, 0, 0, "B3", NULL);

	CHECK_INT(store_notice_load(fx.s, first.id, &loaded, &areas, &e), 0);
	CHECK_STR(loaded.kind, "planned");
	CHECK_STR(loaded.utility, "water");
	CHECK_STR(loaded.reason, "主管道更换");
	CHECK_INT(loaded.outage_id, first.id);
	CHECK_INT(loaded.end_ms, first.end_ms);
	CHECK_INT(json_array_size(areas), 1);
	CHECK_STR(json_string_value(json_array_get(areas, 0)), "C1");
	json_decref(areas);

	make_notice(&up, "update", STORE_CH_SMS | STORE_CH_WECHAT, loaded.urgent, NOW + HOUR);
	up.references_id = loaded.id;
	up.outage_id = loaded.outage_id;
	CHECK_INT(store_notice_create(fx.s, &up, NULL, 0, &c, &e), 0);
	CHECK_INT(up.outage_id, first.id);
	CHECK_INT(c.residents, 2);
	sql_query(&fx, who, sizeof(who),
		  "SELECT group_concat(account) FROM (SELECT DISTINCT"
		  " r.account FROM outbox o JOIN residents r ON r.id = o.resident_id"
		  " WHERE o.notice_id = %lld ORDER BY 1)",
		  (long long)up.id);
	CHECK_STR(who, "3401,3402");
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM outbox o JOIN residents r"
			  " ON r.id = o.resident_id WHERE o.notice_id = %lld AND r.account IN"
			  " ('3401','3402')",
			  (long long)up.id),
		  3);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM outbox o JOIN residents r"
			  " ON r.id = o.resident_id WHERE o.notice_id = %lld AND"
			  " r.account = '3403'",
			  (long long)up.id),
		  0);
	CHECK_INT(progress(&fx, first.id, "superseded"), queued_before);
	CHECK_INT(progress(&fx, first.id, "queued"), 0);
	CHECK_INT(progress(&fx, first.id, "sending"), 1);
	CHECK_INT(progress(&fx, up.id, "queued"), 3);
	CHECK_INT(
		SQL_INT(&fx, "SELECT references_id FROM notices WHERE id = %lld", (long long)up.id),
		first.id);
	fx_close(&fx);
}

/* ---- outbox ---- */

/* One non-urgent notice (2 sms rows) and one urgent notice (1 sms row). */
static void fx_outbox(struct fx *fx, int64_t *planned, int64_t *urgent)
{
	struct notice n;

	fx_tree(fx);
	put_res(fx, "4001", "13800000001", NULL, 0, 0, "B3", NULL);
	put_res(fx, "4002", "13800000002", NULL, 0, 0, "B4", NULL);
	put_res(fx, "4003", "13800000003", NULL, 0, 0, "B9", NULL);
	make_notice(&n, "planned", STORE_CH_SMS, 0, NOW);
	*planned = create_notice(fx, &n, NULL, "C1", NULL);
	make_notice(&n, "emergency", STORE_CH_SMS, 1, NOW);
	*urgent = create_notice(fx, &n, NULL, "C2", NULL);
}

TEST(claim_urgent_only_then_all)
{
	struct fx fx;
	struct outbox_msg m[8];
	struct err e;
	int64_t planned, urgent;

	fx_open(&fx);
	fx_outbox(&fx, &planned, &urgent);
	/* not_before is the notice's creation time. */
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW - 1, true, m, 8, &e), 0);
	CHECK_INT(store_outbox_claim(fx.s, "wechat", NOW, true, m, 8, &e), 0);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, false, m, 8, &e), 1);
	CHECK_INT(m[0].notice_id, urgent);
	CHECK_INT(m[0].urgent, 1);
	CHECK_INT(m[0].attempts, 1);
	CHECK_STR(m[0].channel, "sms");
	CHECK_STR(m[0].address, "13800000003");
	CHECK_INT(m[0].expires_ms, NOW + 33 * HOUR);
	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", (long long)m[0].id),
		  MSG_SENDING);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, false, m, 8, &e), 0);

	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, true, m, 1, &e), 1);
	CHECK_INT(m[0].notice_id, planned);
	CHECK_INT(m[0].urgent, 0);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, true, m, 8, &e), 1);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, true, m, 8, &e), 0);
	CHECK_INT(SQL_INT(&fx, "SELECT count(*) FROM outbox WHERE state = %d AND attempts = 1",
			  MSG_SENDING),
		  3);
	CHECK_INT(store_queue_depth(fx.s), 3);
	fx_close(&fx);
}

static struct outbox_update upd(int64_t id, int state, const char *reason, const char *ref)
{
	struct outbox_update u = {
		.id = id, .state = state, .reason = reason, .provider = "demo_sms", .ref = ref
	};

	return u;
}

TEST(record_sent_failed_requeue)
{
	struct fx fx;
	struct outbox_msg m[8];
	struct outbox_update u[3];
	char buf[64];
	struct err e;
	int64_t planned, urgent;
	long long a, b, c;

	fx_open(&fx);
	fx_outbox(&fx, &planned, &urgent);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, true, m, 8, &e), 3);
	a = m[0].id, b = m[1].id, c = m[2].id;
	u[0] = upd(a, MSG_SENT, NULL, "ref-1");
	u[1] = upd(b, MSG_FAILED, "HTTP 400: bad number", NULL);
	u[2] = upd(c, MSG_QUEUED, "HTTP 503", NULL);
	u[2].not_before = NOW + 60000;
	u[2].undo_attempt = 1;
	CHECK_INT(store_outbox_record(fx.s, u, 3, NOW + 10, &e), 0);

	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", a), MSG_SENT);
	sql_query(&fx, buf, sizeof(buf),
		  "SELECT provider || '/' || ref FROM outbox WHERE id = %lld", a);
	CHECK_STR(buf, "demo_sms/ref-1");
	CHECK_INT(SQL_INT(&fx, "SELECT sent_at FROM outbox WHERE id = %lld", a), NOW + 10);
	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", b), MSG_FAILED);
	sql_query(&fx, buf, sizeof(buf), "SELECT reason FROM outbox WHERE id = %lld", b);
	CHECK_STR(buf, "HTTP 400: bad number");
	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", c), MSG_QUEUED);
	CHECK_INT(SQL_INT(&fx, "SELECT attempts FROM outbox WHERE id = %lld", c), 0);

	/* The requeued row waits for its not_before. */
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW + 59999, true, m, 8, &e), 0);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW + 60000, true, m, 8, &e), 1);
	CHECK_INT(m[0].id, c);
	CHECK_INT(m[0].attempts, 1);
	/* A counted retry keeps the attempt. */
	u[0] = upd(c, MSG_QUEUED, "timeout", NULL);
	u[0].not_before = NOW + 70000;
	CHECK_INT(store_outbox_record(fx.s, u, 1, NOW + 60001, &e), 0);
	CHECK_INT(SQL_INT(&fx, "SELECT attempts FROM outbox WHERE id = %lld", c), 1);
	CHECK_INT(SQL_INT(&fx, "SELECT not_before FROM outbox WHERE id = %lld", c), NOW + 70000);

	/* Recording on a row that is not sending (sent, queued) changes nothing. */
	u[0] = upd(a, MSG_FAILED, "late", NULL);
	u[1] = upd(c, MSG_SENT, NULL, "ref-x");
	CHECK_INT(store_outbox_record(fx.s, u, 2, NOW + 60002, &e), 0);
	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", a), MSG_SENT);
	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", c), MSG_QUEUED);
	CHECK_INT(store_outbox_record(fx.s, u, 0, NOW, &e), 0);
	fx_close(&fx);
}

TEST(superseded_row_is_never_turned_into_sent)
{
	struct fx fx;
	struct notice first, up;
	struct outbox_update u;
	struct err e;
	long long row;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "4101", "13800000001", NULL, 0, 0, "B3", NULL);
	make_notice(&first, "planned", STORE_CH_SMS, 0, NOW);
	create_notice(&fx, &first, NULL, "B3", NULL);
	row = SQL_INT(&fx, "SELECT id FROM outbox WHERE notice_id = %lld", (long long)first.id);
	make_notice(&up, "cancelled", STORE_CH_SMS, 0, NOW + 1);
	up.references_id = first.id;
	up.outage_id = first.outage_id;
	create_notice(&fx, &up, NULL, NULL);
	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", row), MSG_SUPERSEDED);
	u = upd(row, MSG_SENT, NULL, "ref-late");
	CHECK_INT(store_outbox_record(fx.s, &u, 1, NOW + 2, &e), 0);
	CHECK_INT(SQL_INT(&fx, "SELECT state FROM outbox WHERE id = %lld", row), MSG_SUPERSEDED);
	CHECK_INT(SQL_INT(&fx, "SELECT ref IS NULL FROM outbox WHERE id = %lld", row), 1);
	fx_close(&fx);
}

TEST(expire_and_recover)
{
	struct fx fx;
	struct outbox_msg m[8];
	struct err e;
	int64_t planned, urgent;

	fx_open(&fx);
	fx_outbox(&fx, &planned, &urgent);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, false, m, 8, &e), 1);
	CHECK_INT(store_outbox_expire(fx.s, NOW + 33 * HOUR - 1, &e), 0);
	/* The two queued rows expire; the one in flight is left to its worker. */
	CHECK_INT(store_outbox_expire(fx.s, NOW + 33 * HOUR, &e), 2);
	CHECK_INT(progress(&fx, planned, "expired"), 2);
	CHECK_INT(progress(&fx, urgent, "sending"), 1);
	CHECK_INT(store_outbox_expire(fx.s, NOW + 40 * HOUR, &e), 0);
	CHECK_INT(SQL_INT(&fx,
			  "SELECT count(*) FROM outbox WHERE state = %d AND reason LIKE"
			  " 'expired%%'",
			  MSG_EXPIRED),
		  2);

	CHECK_INT(store_outbox_recover(fx.s, &e), 1);
	CHECK_INT(progress(&fx, urgent, "queued"), 1);
	CHECK_INT(SQL_INT(&fx, "SELECT attempts FROM outbox WHERE notice_id = %lld",
			  (long long)urgent),
		  0);
	CHECK_INT(store_outbox_recover(fx.s, &e), 0);
	CHECK_INT(store_queue_depth(fx.s), 1);
	fx_close(&fx);
}

TEST(notice_text)
{
	struct fx fx;
	struct notice n;
	char *text = NULL, kind[16] = "";
	struct err e;
	int64_t id;

	fx_open(&fx);
	fx_tree(&fx);
	make_notice(&n, "emergency", STORE_CH_SMS, 1, NOW);
	id = create_notice(&fx, &n, NULL, "B3", NULL);
	CHECK_INT(store_notice_text(fx.s, id, "sms", &text, kind, &e), 0);
	CHECK_STR(text, "【幸福水务】尊敬的用户：停水通知");
	CHECK_STR(kind, "emergency");
	free(text);
	text = NULL;
	CHECK_INT(store_notice_text(fx.s, id, "wechat", &text, kind, &e), ERR_NOTFOUND);
	CHECK(text == NULL);
	CHECK_INT(store_notice_text(fx.s, id + 100, "sms", &text, kind, &e), ERR_NOTFOUND);
	CHECK(text == NULL);
	fx_close(&fx);
}

TEST(queue_depth_counts_queued_and_sending)
{
	struct fx fx;
	struct outbox_msg m[8];
	struct outbox_update u;
	struct err e;
	int64_t planned, urgent;

	fx_open(&fx);
	CHECK_INT(store_queue_depth(fx.s), 0);
	fx_outbox(&fx, &planned, &urgent);
	CHECK_INT(store_queue_depth(fx.s), 3);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, true, m, 2, &e), 2);
	CHECK_INT(store_queue_depth(fx.s), 3);
	u = upd(m[0].id, MSG_SENT, NULL, "r");
	CHECK_INT(store_outbox_record(fx.s, &u, 1, NOW, &e), 0);
	CHECK_INT(store_queue_depth(fx.s), 2);
	fx_close(&fx);
}

TEST(resident_history_fields)
{
	struct fx fx;
	struct notice n;
	struct outbox_msg m[4];
	struct outbox_update u;
	json_t *h = NULL, *msgs, *sent, *queued;
	char iso[32];
	struct err e;
	int64_t first, second;

	fx_open(&fx);
	fx_tree(&fx);
	put_res(&fx, "5001", "13800000001", NULL, 0, 0, "B3", NULL);
	make_notice(&n, "planned", STORE_CH_SMS, 0, NOW);
	first = create_notice(&fx, &n, NULL, "B3", NULL);
	CHECK_INT(store_outbox_claim(fx.s, "sms", NOW, true, m, 4, &e), 1);
	u = upd(m[0].id, MSG_SENT, NULL, "ref-9");
	CHECK_INT(store_outbox_record(fx.s, &u, 1, NOW + 5000, &e), 0);
	make_notice(&n, "emergency", STORE_CH_SMS, 1, NOW + HOUR);
	n.utility = "power";
	second = create_notice(&fx, &n, NULL, "C1", NULL);

	CHECK_INT(store_resident_history(fx.s, "5001", &h, &e), 0);
	msgs = json_object_get(h, "messages");
	CHECK_INT(json_array_size(msgs), 2);
	queued = json_array_get(msgs, 0); /* newest first */
	sent = json_array_get(msgs, 1);
	CHECK_INT(json_integer_value(json_object_get(queued, "notice_id")), second);
	CHECK_STR(str_of(queued, "kind"), "emergency");
	CHECK_STR(str_of(queued, "utility"), "power");
	CHECK_STR(str_of(queued, "state"), "queued");
	CHECK(json_is_null(json_object_get(queued, "sent_at")));
	CHECK(json_is_null(json_object_get(queued, "reason")));
	CHECK(json_is_null(json_object_get(queued, "provider")));
	CHECK_INT(json_integer_value(json_object_get(sent, "notice_id")), first);
	CHECK_STR(str_of(sent, "kind"), "planned");
	CHECK_STR(str_of(sent, "utility"), "water");
	CHECK_STR(str_of(sent, "channel"), "sms");
	CHECK_STR(str_of(sent, "state"), "sent");
	CHECK_STR(str_of(sent, "provider"), "demo_sms");
	CHECK_INT(json_integer_value(json_object_get(sent, "attempts")), 1);
	timefmt_iso(NOW, 480, iso);
	CHECK_STR(str_of(sent, "created_at"), iso);
	timefmt_iso(NOW + 5000, 480, iso);
	CHECK_STR(str_of(sent, "sent_at"), iso);
	CHECK_STR(str_of(sent, "updated_at"), iso);
	json_decref(h);

	CHECK_INT(store_resident_history(fx.s, "nobody", &h, &e), 0);
	CHECK_INT(json_array_size(json_object_get(h, "messages")), 0);
	json_decref(h);
	fx_close(&fx);
}

int main(void)
{
	RUN(open_creates_schema_in_wal_mode_and_reopen_keeps_it);
	RUN(newer_schema_is_refused_with_a_clear_message);
	RUN(apikeys_add_role_and_unknown);
	RUN(area_upsert_create_update_and_refusals);
	RUN(area_cycle_is_refused);
	RUN(area_within);
	RUN(area_label_puts_the_community_in_front_of_a_building);
	RUN(resident_upsert_created_updated_unchanged);
	RUN(resident_negative_opt_out_keeps_the_stored_value);
	RUN(resident_insert_conflict_and_bad_areas);
	RUN(resident_soft_delete_keeps_history);
	RUN(resident_list_by_area_includes_descendants);
	RUN(notice_reaches_each_resident_once_per_channel);
	RUN(notice_skips_opted_out_and_unreachable_residents);
	RUN(urgent_notice_ignores_opt_outs);
	RUN(preview_counts_equal_create_and_store_nothing);
	RUN(follow_up_reaches_first_recipients_and_supersedes);
	RUN(claim_urgent_only_then_all);
	RUN(record_sent_failed_requeue);
	RUN(superseded_row_is_never_turned_into_sent);
	RUN(expire_and_recover);
	RUN(notice_text);
	RUN(queue_depth_counts_queued_and_sending);
	RUN(resident_history_fields);
	return TEST_END();
}
