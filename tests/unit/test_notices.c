/* test_notices: POST /api/v1/notices as the notices module sees it, against a real SQLite
 * store in a mkdtemp folder under /tmp (removed by each test) and the shipped templates/
 * folder (tests run from the repository root). Covers every validation error and its field,
 * the planned-notice lead times per utility (and force.reason), emergencies at any time, the
 * dry run (texts, counts, SMS parts, nothing stored), and follow-ups (update, restored) that
 * reach the first notice's residents. The time is fixed (NOW); notices never read the clock.
 * A test whose comment ends in "Fails until fixed" documents a known bug in notices.c or the
 * store and is expected to fail until that bug is fixed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "notices.h"
#include "store.h"
#include "templates.h"
#include "test.h"
#include "timefmt.h"
#include "utf8.h"

#define NOW 1795305600000LL /* 2026-11-22T08:00:00+08:00 */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

struct fx {
	char dir[64], path[128];
	struct store *s;
	struct gw_config cfg;
	struct templates *tmpl;
	struct notices_env env;
};

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

static void add_res(struct fx *fx, const char *account, const char *mobile, const char *openid,
		    int out_sms, int out_wechat, const char *area)
{
	const char *areas[1] = { area };
	struct resident r = { account, "张三", mobile, openid, out_sms, out_wechat, areas, 1 };
	struct err e;
	int result;

	if (store_resident_upsert(fx->s, &r, NOW - DAY, &result, &e) < 0) {
		fprintf(stderr, "add_res %s: %s\n", account, e.msg);
		exit(2);
	}
}

/* Areas D1 > S1 > C1 幸福小区 > B3 3号楼, B4 4号楼; S1 > C2 阳光花园 > B9 9号楼.
 * In C1: 6001 (sms + wechat), 6002 (sms), 6003 (wechat, opted out), 6004 (no channel).
 * In C2: 6005 (sms + wechat). */
static void fx_data(struct fx *fx)
{
	add_area(fx, "D1", "上城区", NULL, "district");
	add_area(fx, "S1", "湖滨街道", "D1", "street");
	add_area(fx, "C1", "幸福小区", "S1", "community");
	add_area(fx, "B3", "3号楼", "C1", "building");
	add_area(fx, "B4", "4号楼", "C1", "building");
	add_area(fx, "C2", "阳光花园", "S1", "community");
	add_area(fx, "B9", "9号楼", "C2", "building");
	add_res(fx, "6001", "13800000001", "o_1", 0, 0, "B3");
	add_res(fx, "6002", "13800000002", NULL, 0, 0, "B4");
	add_res(fx, "6003", NULL, "o_3", 0, 1, "B4");
	add_res(fx, "6004", NULL, NULL, 0, 0, "B3");
	add_res(fx, "6005", "13800000005", "o_5", 0, 0, "B9");
}

static void fx_open(struct fx *fx)
{
	struct err e;

	memset(fx, 0, sizeof(*fx));
	strcpy(fx->dir, "/tmp/test_notices.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/gw.db", fx->dir);
	config_defaults(&fx->cfg);
	snprintf(fx->cfg.sms_signature, sizeof(fx->cfg.sms_signature), "【幸福水务】");
	snprintf(fx->cfg.sms_provider, sizeof(fx->cfg.sms_provider), "demo_sms");
	snprintf(fx->cfg.wechat_provider, sizeof(fx->cfg.wechat_provider), "demo_wechat");
	/* Most tests count every channel a resident has; routing_* tests set their own. */
	snprintf(fx->cfg.route_notices, sizeof(fx->cfg.route_notices), "both");
	if (store_open(fx->path, &fx->s, &e) < 0 ||
	    templates_load("templates", fx->cfg.sms_signature, &fx->tmpl, NULL, &e) < 0) {
		fprintf(stderr, "fx_open: %s\n", e.msg);
		exit(2);
	}
	fx->env = (struct notices_env){ &fx->cfg, fx->tmpl, fx->s, NOW };
	fx_data(fx);
}

static void fx_close(struct fx *fx)
{
	char p[160];

	templates_free(fx->tmpl);
	store_close(fx->s);
	unlink(fx->path);
	snprintf(p, sizeof(p), "%s-wal", fx->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fx->path);
	unlink(p);
	rmdir(fx->dir);
}

/* A count on a second, read-only connection: what is really stored. -1 on error. */
static long long sql_count(const struct fx *fx, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	long long v = -1;

	if (sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static long long stored_notices(const struct fx *fx)
{
	return sql_count(fx, "SELECT count(*) FROM notices");
}

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (j == NULL) {
		fprintf(stderr, "bad test JSON at %d:%d: %s\n", je.line, je.column, je.text);
		exit(2);
	}
	return j;
}

static const char *iso(int64_t ms, char buf[32])
{
	timefmt_iso(ms, 480, buf);
	return buf;
}

/* A planned notice of utility from start to end, to C1's two buildings. */
static json_t *planned(const char *utility, int64_t start, int64_t end)
{
	char a[32], b[32];

	return json_pack("{s:s, s:s, s:[s, s], s:s, s:s, s:s, s:s}", "kind", "planned", "utility",
			 utility, "areas", "B3", "B4", "start", iso(start, a), "end", iso(end, b),
			 "reason", "主管道更换", "hotline", "0571-87654321");
}

/* Posts body (reference taken) and returns the result code; *out is NULL on failure. */
static int post(struct fx *fx, json_t *body, bool dry_run, json_t **out, struct err *e)
{
	int rc;

	*out = NULL;
	err_clear(e);
	rc = notices_post(&fx->env, body, dry_run, out, e);
	json_decref(body);
	if (rc == 0 && *out == NULL) {
		fprintf(stderr, "  notices_post returned 0 without an answer\n");
		return ERR_INTERNAL;
	}
	return rc;
}

/* Posts a body that must be refused; returns the offending field ("(ok)" if accepted). */
static const char *refused_field(struct fx *fx, json_t *body, struct err *e)
{
	json_t *out = NULL;
	int rc = post(fx, body, false, &out, e);

	if (rc == 0) {
		json_decref(out);
		return "(ok)";
	}
	if (rc != ERR_INVALID || out != NULL)
		return "(wrong code or answer)";
	return e->field;
}

static json_int_t int_at(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);

	return json_integer_value(b ? json_object_get(v, b) : v);
}

static const char *str_at(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);

	return json_string_value(b ? json_object_get(v, b) : v);
}

/* Posts a valid first notice (water, C1's buildings, 25 h ahead) and returns its id. */
static int64_t first_notice(struct fx *fx)
{
	json_t *out = NULL;
	struct err e;
	int64_t id;

	if (post(fx, planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR), false, &out, &e) < 0) {
		fprintf(stderr, "first_notice: %s\n", e.msg);
		exit(2);
	}
	id = int_at(out, "id", NULL);
	json_decref(out);
	return id;
}

/* ---- validation ---- */

/* The base body with del removed and patch (a JSON object) merged in. */
static json_t *variant(const char *del, const char *patch)
{
	json_t *b = planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR);

	if (del != NULL)
		json_object_del(b, del);
	if (patch != NULL) {
		json_t *p = parse(patch);
		json_object_update(b, p);
		json_decref(p);
	}
	return b;
}

static const struct {
	const char *del, *patch, *field;
} first_cases[] = {
	{ NULL, "{\"colour\":\"red\"}", "colour" },
	{ NULL, "{\"kind\":\"scheduled\"}", "kind" },
	{ "kind", NULL, "kind" },
	{ "utility", NULL, "utility" },
	{ NULL, "{\"utility\":\"gas\"}", "utility" },
	{ "areas", NULL, "areas" },
	{ NULL, "{\"areas\":[]}", "areas" },
	{ NULL, "{\"areas\":[\"B3\",7]}", "areas" },
	{ NULL, "{\"areas\":[\"B3\",\"NOPE\"]}", "areas" },
	{ "start", NULL, "start" },
	{ NULL, "{\"start\":\"tomorrow\"}", "start" },
	{ NULL, "{\"start\":\"2026-11-23T09:00:00\"}", "start" },
	{ "end", NULL, "end" },
	{ "reason", NULL, "reason" },
	{ NULL, "{\"reason\":\"\"}", "reason" },
	{ "hotline", NULL, "hotline" },
	{ NULL, "{\"hotline\":12345}", "hotline" },
	{ NULL, "{\"end\":\"2026-11-22T07:00:00+08:00\",\"start\":\"2026-11-22T06:00:00+08:00\"}",
	  "end" },
	{ NULL, "{\"channels\":[\"sms\",\"fax\"]}", "channels" },
	{ NULL, "{\"channels\":[]}", "channels" },
	{ NULL, "{\"channels\":\"sms\"}", "channels" },
	{ NULL, "{\"force\":{\"why\":\"x\"}}", "force" },
	{ NULL, "{\"force\":{\"reason\":\"\"}}", "force" },
	{ NULL, "{\"references\":1}", "references" },
};

TEST(first_notice_validation_fields)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	for (size_t i = 0; i < sizeof(first_cases) / sizeof(first_cases[0]); i++) {
		const char *field =
			refused_field(&fx, variant(first_cases[i].del, first_cases[i].patch), &e);
		if (strcmp(field, first_cases[i].field) != 0)
			fprintf(stderr, "  case %zu (del %s, patch %s): %s\n", i,
				first_cases[i].del ? first_cases[i].del : "-",
				first_cases[i].patch ? first_cases[i].patch : "-", e.msg);
		CHECK_STR(field, first_cases[i].field);
		CHECK(e.msg[0] != '\0');
	}
	CHECK_INT(stored_notices(&fx), 0);
	CHECK_STR(refused_field(&fx, parse("[1,2]"), &e), "");
	fx_close(&fx);
}

TEST(messages_name_the_problem)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	CHECK_STR(refused_field(&fx, variant(NULL, "{\"colour\":\"red\"}"), &e), "colour");
	CHECK(strstr(e.msg, "colour") != NULL);
	CHECK_STR(refused_field(&fx, variant(NULL, "{\"areas\":[\"B3\",\"NOPE\"]}"), &e), "areas");
	CHECK(strstr(e.msg, "NOPE") != NULL);
	CHECK_STR(refused_field(&fx, variant(NULL, "{\"channels\":[\"sms\",\"fax\"]}"), &e),
		  "channels");
	CHECK(strstr(e.msg, "channels[1]") != NULL);
	fx_close(&fx);
}

/* get_time() in notices.c passes e->msg as an argument of err_set() on the same e: the
 * buffers overlap and the message comes out as "start: start: ow\" is not a valid time…".
 * Fails until fixed. */
TEST(bad_time_message_is_kept_once)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	CHECK_STR(refused_field(&fx, variant(NULL, "{\"start\":\"tomorrow\"}"), &e), "start");
	if (strstr(e.msg, "\"tomorrow\" is not a valid time") == NULL)
		fprintf(stderr, "  message: %s\n", e.msg);
	CHECK(strstr(e.msg, "\"tomorrow\" is not a valid time") != NULL);
	CHECK(strstr(e.msg, "start: start") == NULL);
	fx_close(&fx);
}

/* load_original() in notices.c does err_set(e, …, "%s", e->msg): overlapping buffers, and
 * with glibc the message comes out empty. Fails until fixed. */
TEST(unknown_reference_message_names_the_id)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	first_notice(&fx);
	CHECK_STR(refused_field(&fx, parse("{\"kind\":\"restored\",\"references\":9999}"), &e),
		  "references");
	if (strstr(e.msg, "9999") == NULL)
		fprintf(stderr, "  message: \"%s\"\n", e.msg);
	CHECK(strstr(e.msg, "9999") != NULL);
	fx_close(&fx);
}

/* api.md's error example: "start (…) is after end (…)" with field "start". notices.c
 * answers field "end", message "end must be after start". Fails until one side changes. */
TEST(start_after_end_names_start)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	CHECK_STR(refused_field(&fx,
				variant(NULL,
					"{\"start\":\"2026-11-23T17:00:00+08:00\","
					"\"end\":\"2026-11-23T09:00:00+08:00\"}"),
				&e),
		  "start");
	CHECK(strstr(e.msg, "after") != NULL);
	fx_close(&fx);
}

TEST(channel_without_provider_is_refused)
{
	struct fx fx;
	json_t *out = NULL;
	struct err e;

	fx_open(&fx);
	fx.cfg.wechat_provider[0] = '\0';
	/* Without channels the notice goes on every channel that has a provider: SMS only. */
	CHECK_INT(post(&fx, variant(NULL, NULL), true, &out, &e), 0);
	CHECK(json_object_get(json_object_get(out, "texts"), "wechat") == NULL ||
	      json_is_null(json_object_get(json_object_get(out, "texts"), "wechat")));
	json_decref(out);
	out = NULL;
	CHECK_STR(refused_field(&fx, variant(NULL, "{\"channels\":[\"wechat\"]}"), &e), "channels");
	CHECK(strstr(e.msg, "WeChat") != NULL);
	CHECK_INT(post(&fx, variant(NULL, "{\"channels\":[\"sms\"]}"), true, &out, &e), 0);
	json_decref(out);
	fx.cfg.sms_provider[0] = '\0';
	CHECK_STR(refused_field(&fx, variant(NULL, "{\"channels\":[\"sms\"]}"), &e), "channels");
	fx_close(&fx);
}

TEST(follow_up_validation_fields)
{
	struct fx fx;
	struct err e;
	char body[256];
	int64_t id;

	fx_open(&fx);
	id = first_notice(&fx);
	CHECK_STR(refused_field(&fx,
				parse("{\"kind\":\"update\",\"end\":"
				      "\"2026-11-23T18:00:00+08:00\"}"),
				&e),
		  "references");
	CHECK_STR(refused_field(&fx, parse("{\"kind\":\"update\",\"references\":\"1\"}"), &e),
		  "references");
	CHECK_STR(refused_field(&fx, parse("{\"kind\":\"restored\",\"references\":9999}"), &e),
		  "references");
	snprintf(body, sizeof(body),
		 "{\"kind\":\"update\",\"references\":%lld,"
		 "\"utility\":\"water\"}",
		 (long long)id);
	CHECK_STR(refused_field(&fx, parse(body), &e), "utility");
	snprintf(body, sizeof(body),
		 "{\"kind\":\"update\",\"references\":%lld,"
		 "\"areas\":[\"B3\"]}",
		 (long long)id);
	CHECK_STR(refused_field(&fx, parse(body), &e), "areas");
	snprintf(body, sizeof(body),
		 "{\"kind\":\"restored\",\"references\":%lld,"
		 "\"start\":\"2026-11-23T09:00:00+08:00\"}",
		 (long long)id);
	CHECK_STR(refused_field(&fx, parse(body), &e), "start");
	snprintf(body, sizeof(body),
		 "{\"kind\":\"cancelled\",\"references\":%lld,"
		 "\"end\":\"2026-11-23T19:00:00+08:00\"}",
		 (long long)id);
	CHECK_STR(refused_field(&fx, parse(body), &e), "end");
	CHECK_INT(stored_notices(&fx), 1);
	fx_close(&fx);
}

/* ---- lead times ---- */

/* 0 when accepted (as a dry run), else the code; e gets the message. */
static int try_planned(struct fx *fx, const char *utility, int64_t ahead, int64_t length,
		       struct err *e)
{
	json_t *out = NULL;
	int rc = post(fx, planned(utility, NOW + ahead, NOW + ahead + length), true, &out, e);

	json_decref(out);
	return rc;
}

TEST(water_needs_24_hours)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	CHECK_INT(try_planned(&fx, "water", 23 * HOUR, 8 * HOUR, &e), ERR_INVALID);
	CHECK_STR(e.field, "start");
	CHECK(strstr(e.msg, "23 h") != NULL);
	CHECK_INT(try_planned(&fx, "water", 25 * HOUR, 8 * HOUR, &e), 0);
	CHECK_INT(try_planned(&fx, "water", 24 * HOUR, 12 * HOUR, &e), 0);
	CHECK_INT(try_planned(&fx, "water", -HOUR, 8 * HOUR, &e), ERR_INVALID);
	CHECK_STR(e.field, "start");
	fx_close(&fx);
}

/* notices.c formats 1440 minutes as "1 days" (fmt_hours): the message should say 24 h.
 * Fails until fixed. */
TEST(water_lead_message_says_24_h)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	CHECK_INT(try_planned(&fx, "water", 23 * HOUR, 8 * HOUR, &e), ERR_INVALID);
	if (strstr(e.msg, "24 h") == NULL)
		fprintf(stderr, "  message: %s\n", e.msg);
	CHECK(strstr(e.msg, "24 h") != NULL);
	CHECK(strstr(e.msg, "1 days") == NULL);
	fx_close(&fx);
}

TEST(long_water_stop_heat_and_power_lead_times)
{
	struct fx fx;
	struct err e;

	fx_open(&fx);
	/* A 13-hour water stop needs 48 h. */
	CHECK_INT(try_planned(&fx, "water", 25 * HOUR, 13 * HOUR, &e), ERR_INVALID);
	CHECK_STR(e.field, "start");
	CHECK_INT(try_planned(&fx, "water", 47 * HOUR, 13 * HOUR, &e), ERR_INVALID);
	CHECK_INT(try_planned(&fx, "water", 48 * HOUR, 13 * HOUR, &e), 0);
	CHECK_INT(try_planned(&fx, "heat", 47 * HOUR, 8 * HOUR, &e), ERR_INVALID);
	CHECK_STR(e.field, "start");
	CHECK_INT(try_planned(&fx, "heat", 48 * HOUR, 8 * HOUR, &e), 0);
	CHECK_INT(try_planned(&fx, "power", 6 * DAY, 8 * HOUR, &e), ERR_INVALID);
	CHECK_STR(e.field, "start");
	CHECK(strstr(e.msg, "7 days") != NULL);
	CHECK_INT(try_planned(&fx, "power", 7 * DAY, 8 * HOUR, &e), 0);
	CHECK_INT(stored_notices(&fx), 0);
	fx_close(&fx);
}

TEST(force_reason_skips_the_lead_time_and_is_recorded)
{
	struct fx fx;
	json_t *body, *out = NULL;
	struct err e;

	fx_open(&fx);
	body = planned("water", NOW + 2 * HOUR, NOW + 6 * HOUR);
	json_object_set_new(body, "force", json_pack("{s:s}", "reason", "抢修后续"));
	CHECK_INT(post(&fx, body, false, &out, &e), 0);
	CHECK_STR(str_at(out, "forced", NULL), "抢修后续");
	CHECK_STR(str_at(out, "kind", NULL), "planned");
	json_decref(out);
	CHECK_INT(post(&fx, planned("water", NOW + 25 * HOUR, NOW + 30 * HOUR), false, &out, &e),
		  0);
	CHECK(json_is_null(json_object_get(out, "forced")));
	json_decref(out);
	fx_close(&fx);
}

TEST(emergency_any_time)
{
	struct fx fx;
	json_t *body, *out = NULL;
	struct err e;
	char a[32], b[32];

	fx_open(&fx);
	body = json_pack("{s:s, s:s, s:[s], s:s, s:s, s:s, s:s}", "kind", "emergency", "utility",
			 "power", "areas", "C1", "start", iso(NOW - HOUR, a), "end",
			 iso(NOW + 4 * HOUR, b), "reason", "线路故障", "hotline", "95598");
	CHECK_INT(post(&fx, body, false, &out, &e), 0);
	CHECK(json_is_true(json_object_get(out, "urgent")));
	CHECK_STR(str_at(out, "utility", NULL), "power");
	/* Urgent: the opted-out 6003 is reached on wechat too. */
	CHECK_INT(int_at(out, "progress", "queued"), 4);
	CHECK_INT(int_at(out, "progress", "skipped"), 1);
	json_decref(out);
	fx_close(&fx);
}

/* ---- dry run ---- */

TEST(dry_run_texts_counts_and_parts)
{
	struct fx fx;
	json_t *out = NULL;
	const char *sms;
	struct err e;
	int parts;

	fx_open(&fx);
	/* 2026-11-23 09:00 to 17:00 local, 25 h ahead. */
	CHECK_INT(post(&fx, planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR), true, &out, &e), 0);
	CHECK(json_is_true(json_object_get(out, "dry_run")));
	sms = str_at(out, "texts", "sms");
	CHECK(sms != NULL && strncmp(sms, "【幸福水务】", strlen("【幸福水务】")) == 0);
	CHECK(sms != NULL && strstr(sms, "幸福小区3号楼、4号楼") != NULL);
	CHECK(sms != NULL && strstr(sms, "11月23日09:00至17:00") != NULL);
	CHECK(sms != NULL && strstr(sms, "主管道更换") != NULL);
	CHECK(sms != NULL && strstr(sms, "0571-87654321") != NULL);
	CHECK(str_at(out, "texts", "wechat") != NULL &&
	      strstr(str_at(out, "texts", "wechat"), "幸福小区3号楼、4号楼") != NULL);
	CHECK_INT(int_at(out, "residents", NULL), 4);
	CHECK_INT(int_at(out, "recipients", "sms"), 2);
	CHECK_INT(int_at(out, "recipients", "wechat"), 1);
	CHECK_INT(int_at(out, "skipped", "opted_out"), 1);
	CHECK_INT(int_at(out, "skipped", "no_channel"), 1);
	parts = sms ? sms_parts(utf8_chars(sms)) : -1;
	CHECK_INT(int_at(out, "sms_chars", NULL), sms ? (long long)utf8_chars(sms) : -1);
	CHECK_INT(int_at(out, "sms_parts_per_message", NULL), parts);
	CHECK_INT(int_at(out, "sms_parts_total", NULL), 2 * parts);
	json_decref(out);
	CHECK_INT(stored_notices(&fx), 0);
	CHECK_INT(sql_count(&fx, "SELECT count(*) FROM outbox"), 0);
	CHECK_INT(sql_count(&fx, "SELECT count(*) FROM notice_areas"), 0);
	fx_close(&fx);
}

TEST(dry_run_long_text_counts_several_parts)
{
	struct fx fx;
	json_t *body, *out = NULL;
	struct err e;

	fx_open(&fx);
	body = planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR);
	json_object_set_new(body, "reason",
			    json_string("二次供水设施清洗消毒及主管道阀门更换、"
					"管网冲洗与水质检测等多项工程同时进行"));
	json_object_set_new(body, "channels", json_pack("[s]", "sms"));
	CHECK_INT(post(&fx, body, true, &out, &e), 0);
	CHECK(int_at(out, "sms_chars", NULL) > 70);
	CHECK_INT(int_at(out, "sms_parts_per_message", NULL), 2);
	CHECK_INT(int_at(out, "sms_parts_total", NULL), 4);
	CHECK(json_is_null(json_object_get(json_object_get(out, "texts"), "wechat")));
	CHECK_INT(int_at(out, "recipients", "wechat"), 0);
	/* 6003 has only wechat, which this notice does not use: no usable channel. */
	CHECK_INT(int_at(out, "skipped", "no_channel"), 2);
	json_decref(out);
	CHECK_INT(stored_notices(&fx), 0);
	fx_close(&fx);
}

/* ---- created notices and follow-ups ---- */

TEST(created_notice_answer)
{
	struct fx fx;
	json_t *out = NULL;
	struct err e;

	fx_open(&fx);
	CHECK_INT(post(&fx, planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR), false, &out, &e),
		  0);
	CHECK(int_at(out, "id", NULL) > 0);
	CHECK_INT(int_at(out, "outage_id", NULL), int_at(out, "id", NULL));
	CHECK_STR(str_at(out, "kind", NULL), "planned");
	CHECK_STR(str_at(out, "utility", NULL), "water");
	CHECK_INT(int_at(out, "recipients", NULL), 3);
	CHECK_INT(int_at(out, "progress", "queued"), int_at(out, "recipients", NULL));
	CHECK_INT(int_at(out, "progress", "skipped"), 2);
	CHECK_INT(json_array_size(json_object_get(out, "areas")), 2);
	CHECK_STR(str_at(out, "start", NULL), "2026-11-23T09:00:00+08:00");
	CHECK(json_is_false(json_object_get(out, "done")));
	json_decref(out);
	CHECK_INT(stored_notices(&fx), 1);
	fx_close(&fx);
}

/* Residents reached by notice a but not by notice b. */
static long long only_in(const struct fx *fx, int64_t a, int64_t b)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM (SELECT resident_id FROM outbox WHERE"
		 " notice_id = %lld EXCEPT SELECT resident_id FROM outbox WHERE notice_id = %lld)",
		 (long long)a, (long long)b);
	return sql_count(fx, sql);
}

TEST(update_inherits_utility_and_reaches_the_same_residents)
{
	struct fx fx;
	json_t *out = NULL;
	char body[256];
	struct err e;
	int64_t first, up;

	fx_open(&fx);
	first = first_notice(&fx);
	/* A resident who moves into the area later is not told about this outage. */
	add_res(&fx, "6006", "13800000006", NULL, 0, 0, "B3");
	snprintf(body, sizeof(body),
		 "{\"kind\":\"update\",\"references\":%lld,"
		 "\"start\":\"2026-11-23T10:00:00+08:00\",\"end\":\"2026-11-23T18:00:00+08:00\"}",
		 (long long)first);
	CHECK_INT(post(&fx, parse(body), true, &out, &e), 0);
	CHECK_INT(int_at(out, "residents", NULL), 4);
	CHECK_INT(int_at(out, "recipients", "sms"), 2);
	CHECK_INT(int_at(out, "recipients", "wechat"), 1);
	json_decref(out);
	CHECK_INT(stored_notices(&fx), 1);
	CHECK_INT(post(&fx, parse(body), false, &out, &e), 0);
	up = int_at(out, "id", NULL);
	CHECK_STR(str_at(out, "utility", NULL), "water");
	CHECK_INT(int_at(out, "outage_id", NULL), first);
	CHECK_INT(int_at(out, "references", NULL), first);
	CHECK_STR(str_at(out, "hotline", NULL), "0571-87654321");
	CHECK_STR(str_at(out, "reason", NULL), "主管道更换");
	CHECK(str_at(out, "texts", "sms") != NULL &&
	      strstr(str_at(out, "texts", "sms"), "10:00至18:00") != NULL);
	CHECK(str_at(out, "texts", "sms") != NULL &&
	      strstr(str_at(out, "texts", "sms"), "幸福小区3号楼、4号楼") != NULL);
	CHECK_INT(int_at(out, "recipients", NULL), 3);
	json_decref(out);
	CHECK_INT(only_in(&fx, up, first), 0);
	CHECK_INT(only_in(&fx, first, up), 0);
	CHECK_INT(sql_count(&fx, "SELECT count(DISTINCT resident_id) FROM outbox"), 4);
	CHECK_INT(sql_count(&fx,
			    "SELECT count(*) FROM outbox o JOIN residents r ON"
			    " r.id = o.resident_id WHERE r.account = '6006'"),
		  0);
	CHECK_INT(sql_count(&fx, "SELECT count(*) FROM outbox WHERE state = 6"), 3);
	fx_close(&fx);
}

TEST(restored_expires_after_followup_ttl)
{
	struct fx fx;
	json_t *out = NULL;
	char body[128], want[32];
	struct err e;
	int64_t first;

	fx_open(&fx);
	first = first_notice(&fx);
	fx.env.now_ms = NOW + 34 * HOUR;
	snprintf(body, sizeof(body), "{\"kind\":\"restored\",\"references\":%lld}",
		 (long long)first);
	CHECK_INT(post(&fx, parse(body), false, &out, &e), 0);
	CHECK_STR(str_at(out, "kind", NULL), "restored");
	CHECK_STR(str_at(out, "expires_at", NULL), iso(NOW + 34 * HOUR + 24 * HOUR, want));
	CHECK_INT(int_at(out, "progress", "queued"), 3);
	json_decref(out);
	fx_close(&fx);
}

/* A reason may have 200 characters (600 bytes in Chinese); a follow-up without a reason of
 * its own must carry it whole. notices.c borrows it from the store's 512-byte reason_buf
 * (store_notice_load), which cuts it, mid-character. Fails until fixed. */
TEST(follow_up_keeps_a_long_reason_whole)
{
	struct fx fx;
	json_t *body, *out = NULL;
	char reason[700] = "", ref[64];
	struct err e;

	fx_open(&fx);
	for (int i = 0; i < 200; i++)
		strcat(reason, "管");
	body = planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR);
	json_object_set_new(body, "reason", json_string(reason));
	CHECK_INT(post(&fx, body, false, &out, &e), 0);
	snprintf(ref, sizeof(ref), "{\"kind\":\"update\",\"references\":%lld}",
		 (long long)int_at(out, "id", NULL));
	json_decref(out);
	CHECK_INT(post(&fx, parse(ref), false, &out, &e), 0);
	CHECK_STR(str_at(out, "reason", NULL), reason);
	CHECK(str_at(out, "texts", "sms") != NULL &&
	      strstr(str_at(out, "texts", "sms"), reason) != NULL);
	json_decref(out);
	fx_close(&fx);
}

TEST(lead_minutes_table)
{
	struct gw_config cfg;

	config_defaults(&cfg);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_WATER, 8 * HOUR), 24 * 60);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_WATER, 12 * HOUR), 24 * 60);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_WATER, 12 * HOUR + 60000), 48 * 60);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_WATER, 13 * HOUR), 48 * 60);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_HEAT, 8 * HOUR), 48 * 60);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_HEAT, 30 * HOUR), 48 * 60);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_POWER, 2 * HOUR), 7 * 24 * 60);
	cfg.lead_min[UTIL_WATER] = 600;
	cfg.water_long_threshold_min = 4 * 60;
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_WATER, 4 * HOUR), 600);
	CHECK_INT(notices_lead_minutes(&cfg, UTIL_WATER, 5 * HOUR), 48 * 60);
}

TEST(routing_wechat_else_sms_counts)
{
	struct fx fx;
	json_t *out = NULL;
	struct err e;

	fx_open(&fx);
	snprintf(fx.cfg.route_notices, sizeof(fx.cfg.route_notices), "wechat-else-sms");
	CHECK_INT(post(&fx, planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR), true, &out, &e), 0);
	/* The follower gets WeChat only; of the others one has SMS, one opted out of it. */
	CHECK_INT(int_at(out, "recipients", "wechat"), 1);
	CHECK_INT(int_at(out, "recipients", "sms"), 1);
	json_decref(out);
	out = NULL;
	CHECK_INT(post(&fx, planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR), false, &out, &e),
		  0);
	CHECK_STR(str_at(out, "routing", NULL), "wechat-else-sms");
	CHECK_INT(sql_count(&fx, "SELECT count(*) FROM outbox WHERE channel = 'sms' AND state = 0"),
		  1);
	CHECK_INT(sql_count(&fx,
			    "SELECT count(*) FROM outbox WHERE channel = 'wechat' AND "
			    "state = 0"),
		  1);
	json_decref(out);
	/* Without an SMS provider the routing falls back to what exists. */
	fx.cfg.sms_provider[0] = '\0';
	out = NULL;
	CHECK_INT(post(&fx, planned("water", NOW + 25 * HOUR, NOW + 33 * HOUR), true, &out, &e), 0);
	CHECK_INT(int_at(out, "recipients", "sms"), 0);
	CHECK_INT(int_at(out, "recipients", "wechat"), 1);
	json_decref(out);
	fx_close(&fx);
}

int main(void)
{
	RUN(routing_wechat_else_sms_counts);
	RUN(first_notice_validation_fields);
	RUN(messages_name_the_problem);
	RUN(bad_time_message_is_kept_once);
	RUN(unknown_reference_message_names_the_id);
	RUN(start_after_end_names_start);
	RUN(channel_without_provider_is_refused);
	RUN(follow_up_validation_fields);
	RUN(water_needs_24_hours);
	RUN(water_lead_message_says_24_h);
	RUN(long_water_stop_heat_and_power_lead_times);
	RUN(force_reason_skips_the_lead_time_and_is_recorded);
	RUN(emergency_any_time);
	RUN(dry_run_texts_counts_and_parts);
	RUN(dry_run_long_text_counts_several_parts);
	RUN(created_notice_answer);
	RUN(update_inherits_utility_and_reaches_the_same_residents);
	RUN(restored_expires_after_followup_ttl);
	RUN(follow_up_keeps_a_long_reason_whole);
	RUN(lead_minutes_table);
	return TEST_END();
}
