/* test_residents: the billing CSV import (residents_import.c) and the resident JSON checks
 * (residents.c), against a real SQLite store in a mkdtemp folder under /tmp (removed by each
 * test) holding a small area tree. Covers UTF-8 and GBK billing exports (the GBK bytes are
 * made with iconv here), error rows with their CSV line numbers, re-imports
 * (updated/unchanged, opt-outs and openids kept), a header without a required column, and
 * create/update of a resident as JSON. The area tree's own tests are in test_areas.c. */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "areas.h"
#include "config.h"
#include "residents.h"
#include "residents_import.h"
#include "store.h"
#include "test.h"

#define NOW 1700000000000LL

struct fx {
	char dir[64], path[128];
	struct store *s;
	struct gw_config cfg;
};

static void fx_open(struct fx *fx)
{
	struct err e;

	strcpy(fx->dir, "/tmp/test_residents.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/gw.db", fx->dir);
	if (store_open(fx->path, &fx->s, &e) < 0) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		exit(2);
	}
	config_defaults(&fx->cfg);
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

/* Releases a result and forgets it, so that a call that fails cannot leave a stale one. */
static void drop(json_t **j)
{
	json_decref(*j);
	*j = NULL;
}

/* District D1 > street S1 > community C1 > buildings B1, B2. */
static void fx_tree(struct fx *fx)
{
	json_t *body = json_loads(
		"{\"areas\":["
		"{\"code\":\"D1\",\"name\":\"上城区\",\"parent\":null,\"level\":\"district\"},"
		"{\"code\":\"S1\",\"name\":\"湖滨街道\",\"parent\":\"D1\",\"level\":\"street\"},"
		"{\"code\":\"C1\",\"name\":\"幸福小区\",\"parent\":\"S1\",\"level\":\"community\"},"
		"{\"code\":\"B1\",\"name\":\"1幢\",\"parent\":\"C1\",\"level\":\"building\"},"
		"{\"code\":\"B2\",\"name\":\"2幢\",\"parent\":\"C1\",\"level\":\"building\"}]}",
		0, NULL);
	json_t *rep = NULL;
	struct err e;

	if (areas_put_json(fx->s, body, &rep, &e) < 0) {
		fprintf(stderr, "fx_tree: %s\n", e.msg);
		exit(2);
	}
	drop(&rep);
	json_decref(body);
}

static int rep_int(const json_t *rep, const char *key)
{
	return (int)json_integer_value(json_object_get(rep, key));
}

static const json_t *rep_error(const json_t *rep, size_t i)
{
	return json_array_get(json_object_get(rep, "errors"), i);
}

static int err_line(const json_t *rep, size_t i)
{
	return (int)json_integer_value(json_object_get(rep_error(rep, i), "line"));
}

static const char *err_field(const json_t *rep, size_t i)
{
	const json_t *f = json_object_get(rep_error(rep, i), "field");

	return json_is_null(f) ? "(null)" : json_string_value(f);
}

static const char *err_msg(const json_t *rep, size_t i)
{
	const char *m = json_string_value(json_object_get(rep_error(rep, i), "message"));

	return m ? m : "";
}

static int import(struct fx *fx, const char *csv, json_t **rep, struct err *e)
{
	return residents_import_csv(fx->s, &fx->cfg, csv, strlen(csv), NOW, rep, e);
}

static json_t *get(struct fx *fx, const char *account)
{
	json_t *r = NULL;
	struct err e;

	if (store_resident_get(fx->s, account, &r, &e) < 0)
		return NULL;
	return r;
}

static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* UTF-8 text in GBK, as Excel on a Chinese Windows machine saves it; caller frees. */
static char *to_gbk(const char *utf8, size_t *out_len)
{
	iconv_t cd = iconv_open("GBK", "UTF-8");
	size_t il = strlen(utf8), ol = il * 2 + 1;
	char *out = malloc(ol), *ip = (char *)utf8, *op = out;

	if (cd == (iconv_t)-1 || out == NULL || iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		perror("iconv");
		exit(2);
	}
	iconv_close(cd);
	*out_len = (size_t)(op - out);
	return out;
}

#define HEADER "户号,户名,手机号,openid,区域编码\n"

TEST(import_utf8)
{
	struct fx fx;
	json_t *rep = NULL, *r;
	struct err e;
	const char *csv = "\xef\xbb\xbf" HEADER "1001,张三,+86 138-1234-5678,oAbc_123-x,B1\r\n"
			  "1002,李四,13912345678,,B1;B2\r\n"
			  "1003,王五,13712345678,,\"B1 | B2\"\r\n"
			  "1004,赵六,13612345678,,B1；B2\r\n";

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(import(&fx, csv, &rep, &e), 0);
	CHECK_STR(str_of(rep, "encoding"), "utf-8");
	CHECK_INT(rep_int(rep, "rows"), 4);
	CHECK_INT(rep_int(rep, "created"), 4);
	CHECK_INT(rep_int(rep, "skipped"), 0);
	CHECK_INT(json_array_size(json_object_get(rep, "errors")), 0);
	drop(&rep);
	r = get(&fx, "1001");
	CHECK_STR(str_of(r, "mobile"), "13812345678");
	CHECK_STR(str_of(r, "openid"), "oAbc_123-x");
	CHECK_STR(str_of(r, "name"), "张三");
	json_decref(r);
	for (int i = 2; i <= 4; i++) {
		char acc[16];

		snprintf(acc, sizeof(acc), "100%d", i);
		r = get(&fx, acc);
		CHECK_INT(json_array_size(json_object_get(r, "areas")), 2);
		CHECK(json_is_null(json_object_get(r, "openid")));
		json_decref(r);
	}
	fx_close(&fx);
}

TEST(import_gbk)
{
	struct fx fx;
	json_t *rep = NULL, *r;
	struct err e;
	size_t len;
	char *gbk = to_gbk(HEADER "2001,张三,13812345678,,B1\n2002,欧阳娜娜,1381234,,B2\n", &len);

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(residents_import_csv(fx.s, &fx.cfg, gbk, len, NOW, &rep, &e), 0);
	CHECK_STR(str_of(rep, "encoding"), "gb18030");
	CHECK_INT(rep_int(rep, "created"), 1);
	CHECK_INT(rep_int(rep, "skipped"), 1);
	CHECK_INT(err_line(rep, 0), 3);
	CHECK_STR(err_field(rep, 0), "手机号");
	drop(&rep);
	r = get(&fx, "2001");
	CHECK_STR(str_of(r, "name"), "张三");
	json_decref(r);
	free(gbk);
	fx_close(&fx);
}

TEST(import_error_rows_and_lines)
{
	struct fx fx;
	json_t *rep = NULL;
	struct err e;
	/* An extra column the import ignores holds a line break: the line numbers after it
	 * must still be those of the file. */
	const char *csv = "户号,户名,手机号,地址,区域编码\n" /* 1 */
			  "3001,张三,13812345678,1幢101,B1\n" /* 2 */
			  "3002,李四,13912345678,\"1幢\n102室\",B1\n" /* 3-4 */
			  "3003,王五,1381234,1幢103,B1\n" /* 5: bad phone */
			  "3004,赵六,13712345678,1幢104,B7\n" /* 6: unknown area */
			  ",钱七,13612345678,1幢105,B1\n" /* 7: no account */
			  "3006,孙八,13512345678,B1\n" /* 8: 4 columns */
			  "3001,周九,13412345678,1幢106,B2\n" /* 9: duplicate of 2 */
			  "3008,,13312345678,1幢107,B2\n" /* 10: no name */
			  "3009,吴十,13212345678,\"x\"y,B2\n" /* 11: malformed */
			  "3010,郑一,13112345678,1幢108,B2\n"; /* 12 */

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(import(&fx, csv, &rep, &e), 0);
	CHECK_INT(rep_int(rep, "rows"), 10);
	CHECK_INT(rep_int(rep, "created"), 3);
	CHECK_INT(rep_int(rep, "skipped"), 7);
	CHECK_INT(rep_int(rep, "errors_total"), 7);
	CHECK_INT(err_line(rep, 0), 5);
	CHECK_STR(err_field(rep, 0), "手机号");
	CHECK(strstr(err_msg(rep, 0), "1381234") != NULL);
	CHECK_INT(err_line(rep, 1), 6);
	CHECK_STR(err_field(rep, 1), "区域编码");
	CHECK(strstr(err_msg(rep, 1), "B7") != NULL);
	CHECK_INT(err_line(rep, 2), 7);
	CHECK_STR(err_field(rep, 2), "户号");
	CHECK_INT(err_line(rep, 3), 8);
	CHECK_STR(err_field(rep, 3), "(null)");
	CHECK(strstr(err_msg(rep, 3), "4 columns") != NULL);
	CHECK(strstr(err_msg(rep, 3), "header has 5") != NULL);
	CHECK_INT(err_line(rep, 4), 9);
	CHECK_STR(err_field(rep, 4), "户号");
	CHECK(strstr(err_msg(rep, 4), "line 2") != NULL);
	CHECK_INT(err_line(rep, 5), 10);
	CHECK_STR(err_field(rep, 5), "户名");
	CHECK_INT(err_line(rep, 6), 11);
	CHECK_STR(err_field(rep, 6), "(null)");
	CHECK(strstr(err_msg(rep, 6), "quote") != NULL);
	drop(&rep);
	rep = get(&fx, "3001");
	CHECK_STR(str_of(rep, "name"), "张三");
	drop(&rep);
	fx_close(&fx);
}

TEST(reimport_counts_and_kept_choices)
{
	struct fx fx;
	json_t *rep = NULL, *body, *out = NULL;
	struct err e;
	const char *first = HEADER "4001,张三,13812345678,,B1\n4002,李四,13912345678,,B2\n"
				   "4003,王五,13712345678,oKeep,B2\n";
	const char *second = HEADER "4001,张三,13812345678,,B1\n4002,李四四,13912345678,,B2\n"
				    "4003,王五,13712345678,,B2\n4004,赵六,13612345678,,B1\n";

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(import(&fx, first, &rep, &e), 0);
	CHECK_INT(rep_int(rep, "created"), 3);
	drop(&rep);
	body = json_loads("{\"opt_out\":{\"sms\":true},\"openid\":\"oBound\"}", 0, NULL);
	CHECK_INT(residents_update_json(fx.s, "4001", body, NOW, &out, &e), 0);
	json_decref(body);
	drop(&out);

	CHECK_INT(import(&fx, second, &rep, &e), 0);
	CHECK_INT(rep_int(rep, "rows"), 4);
	CHECK_INT(rep_int(rep, "created"), 1);
	CHECK_INT(rep_int(rep, "updated"), 1);
	CHECK_INT(rep_int(rep, "unchanged"), 2);
	drop(&rep);
	out = get(&fx, "4001");
	CHECK(json_is_true(json_object_get(json_object_get(out, "opt_out"), "sms")));
	CHECK(json_is_false(json_object_get(json_object_get(out, "opt_out"), "wechat")));
	CHECK_STR(str_of(out, "openid"), "oBound");
	drop(&out);
	out = get(&fx, "4003");
	CHECK_STR(str_of(out, "openid"), "oKeep");
	drop(&out);
	fx_close(&fx);
}

TEST(import_many_rows_in_batches)
{
	struct fx fx;
	json_t *rep = NULL;
	struct err e;
	size_t cap = 3000 * 48 + 64, o = 0;
	char *csv = malloc(cap);

	fx_open(&fx);
	fx_tree(&fx);
	o += (size_t)snprintf(csv + o, cap - o, HEADER);
	for (int i = 0; i < 3000; i++)
		o += (size_t)snprintf(csv + o, cap - o, "%d,某%d,138%08d,,%s\n", 500000 + i, i, i,
				      i % 1000 == 999 ? "B9" : "B1");
	CHECK_INT(import(&fx, csv, &rep, &e), 0);
	CHECK_INT(rep_int(rep, "rows"), 3000);
	CHECK_INT(rep_int(rep, "created"), 2997);
	CHECK_INT(rep_int(rep, "skipped"), 3);
	CHECK_INT(err_line(rep, 2), 3001);
	drop(&rep);
	free(csv);
	fx_close(&fx);
}

TEST(import_unusable_files)
{
	struct fx fx;
	json_t *rep = NULL;
	struct err e;

	fx_open(&fx);
	fx_tree(&fx);
	CHECK_INT(import(&fx, "户号,户名,openid,区域编码\n1,张三,,B1\n", &rep, &e), ERR_INVALID);
	CHECK(rep == NULL);
	CHECK_STR(e.field, "手机号");
	CHECK(strstr(e.msg, "户号,户名,openid,区域编码") != NULL);
	CHECK(strstr(e.msg, "户号,户名,手机号,openid (optional),区域编码") != NULL);
	CHECK_INT(import(&fx, "", &rep, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "empty") != NULL);
	CHECK_INT(import(&fx, "户号,户号,户名,手机号,区域编码\n", &rep, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "twice") != NULL);
	CHECK_INT(residents_import_csv(fx.s, &fx.cfg, "\xff\xff\xff", 3, NOW, &rep, &e),
		  ERR_INVALID);
	CHECK(rep == NULL);
	fx_close(&fx);
}

TEST(import_header_spaces_and_case)
{
	struct fx fx;
	json_t *rep = NULL, *r;
	struct err e;
	const char *csv = " ACCOUNT ,Name,\"Mobile \",Areas\n5001,张三,13812345678,B1\n";

	fx_open(&fx);
	fx_tree(&fx);
	strcpy(fx.cfg.col_account, "account");
	strcpy(fx.cfg.col_name, "name");
	strcpy(fx.cfg.col_mobile, "mobile");
	strcpy(fx.cfg.col_area, "areas");
	CHECK_INT(import(&fx, csv, &rep, &e), 0);
	CHECK_INT(rep_int(rep, "created"), 1);
	drop(&rep);
	r = get(&fx, "5001");
	CHECK(r != NULL);
	json_decref(r);
	fx_close(&fx);
}

TEST(json_create)
{
	struct fx fx;
	json_t *body, *out = NULL;
	struct err e;

	fx_open(&fx);
	fx_tree(&fx);
	body = json_loads("{\"account\":\"6001\",\"name\":\"张三\",\"mobile\":\"0086 13812345678\","
			  "\"areas\":[\"B1\",\"B2\"],\"opt_out\":{\"wechat\":true}}",
			  0, NULL);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), 0);
	CHECK_STR(str_of(out, "mobile"), "13812345678");
	CHECK_INT(json_array_size(json_object_get(out, "areas")), 2);
	CHECK(json_is_true(json_object_get(json_object_get(out, "opt_out"), "wechat")));
	CHECK(json_is_false(json_object_get(json_object_get(out, "opt_out"), "sms")));
	drop(&out);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), ERR_CONFLICT);
	CHECK(out == NULL);
	json_decref(body);

	body = json_loads("{\"account\":\"6002\",\"name\":\"李四\",\"mobile\":\"13912345678\","
			  "\"areas\":[\"B1\"],\"nickname\":\"x\"}",
			  0, NULL);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "nickname");
	json_decref(body);
	body = json_loads("{\"account\":\"6002\",\"name\":\"李四\",\"mobile\":\"1391234\","
			  "\"areas\":[\"B1\"]}",
			  0, NULL);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "mobile");
	json_decref(body);
	body = json_loads("{\"account\":\"6002\",\"name\":\"李四\",\"mobile\":\"13912345678\","
			  "\"areas\":\"B1\"}",
			  0, NULL);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "areas");
	CHECK(strstr(e.msg, "array") != NULL);
	json_decref(body);
	body = json_loads("{\"account\":\"6002\",\"name\":\"李四\",\"mobile\":\"13912345678\","
			  "\"areas\":[\"B1\"],\"opt_out\":{\"email\":true}}",
			  0, NULL);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "opt_out.email");
	json_decref(body);
	body = json_loads("{\"account\":\"6002\",\"name\":\"李四\",\"mobile\":\"13912345678\","
			  "\"areas\":[\"ZZ\"]}",
			  0, NULL);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "areas");
	CHECK(strstr(e.msg, "ZZ") != NULL);
	json_decref(body);
	CHECK(get(&fx, "6002") == NULL);
	fx_close(&fx);
}

TEST(json_update)
{
	struct fx fx;
	json_t *body, *out = NULL;
	struct err e;

	fx_open(&fx);
	fx_tree(&fx);
	body = json_loads("{\"account\":\"7001\",\"name\":\"张三\",\"mobile\":\"13812345678\","
			  "\"openid\":\"oX\",\"areas\":[\"B1\"],\"opt_out\":{\"wechat\":true}}",
			  0, NULL);
	CHECK_INT(residents_create_json(fx.s, body, NOW, &out, &e), 0);
	drop(&out);
	json_decref(body);

	body = json_loads("{\"name\":\"张三丰\",\"areas\":[\"B2\"],\"opt_out\":{\"sms\":true}}", 0,
			  NULL);
	CHECK_INT(residents_update_json(fx.s, "7001", body, NOW + 1000, &out, &e), 0);
	CHECK_STR(str_of(out, "name"), "张三丰");
	CHECK_STR(str_of(out, "mobile"), "13812345678");
	CHECK_STR(str_of(out, "openid"), "oX");
	CHECK_STR(json_string_value(json_array_get(json_object_get(out, "areas"), 0)), "B2");
	CHECK(json_is_true(json_object_get(json_object_get(out, "opt_out"), "sms")));
	CHECK(json_is_true(json_object_get(json_object_get(out, "opt_out"), "wechat")));
	drop(&out);
	json_decref(body);

	body = json_loads("{\"openid\":null,\"mobile\":\"+86 139 1234 5678\"}", 0, NULL);
	CHECK_INT(residents_update_json(fx.s, "7001", body, NOW, &out, &e), 0);
	CHECK(json_is_null(json_object_get(out, "openid")));
	CHECK_STR(str_of(out, "mobile"), "13912345678");
	drop(&out);
	CHECK_INT(residents_update_json(fx.s, "7999", body, NOW, &out, &e), ERR_NOTFOUND);
	json_decref(body);

	body = json_loads("{\"account\":\"7002\"}", 0, NULL);
	CHECK_INT(residents_update_json(fx.s, "7001", body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "account");
	json_decref(body);
	body = json_loads("{\"mobile\":12}", 0, NULL);
	CHECK_INT(residents_update_json(fx.s, "7001", body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "mobile");
	json_decref(body);
	body = json_loads("{\"mobile\":\"12345\"}", 0, NULL);
	CHECK_INT(residents_update_json(fx.s, "7001", body, NOW, &out, &e), ERR_INVALID);
	CHECK_STR(e.field, "mobile");
	json_decref(body);
	out = get(&fx, "7001");
	CHECK_STR(str_of(out, "mobile"), "13912345678");
	drop(&out);
	fx_close(&fx);
}

int main(void)
{
	RUN(import_utf8);
	RUN(import_gbk);
	RUN(import_error_rows_and_lines);
	RUN(reimport_counts_and_kept_choices);
	RUN(import_many_rows_in_batches);
	RUN(import_unusable_files);
	RUN(import_header_spaces_and_case);
	RUN(json_create);
	RUN(json_update);
	return TEST_END();
}
