/* test_areas: the area tree's JSON input and CSV import, against an in-memory SQLite store
 * (areas need no files, unlike the resident tests' on-disk one). Covers created/updated
 * counts, a JSON body that is all or nothing when a later item fails, an unknown key named
 * with its item, and a CSV whose rows come before their parents, with a parent that never
 * comes and a bad level reported by line and column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "areas.h"
#include "store.h"
#include "test.h"

static struct store *open_store(void)
{
	struct store *s = NULL;
	struct err e;

	if (store_open(":memory:", &s, &e) < 0) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		exit(2);
	}
	return s;
}

/* areas_put_json on a body given as text; *rep is written only on success. */
static int put(struct store *s, const char *text, json_t **rep, struct err *e)
{
	json_t *body = json_loads(text, 0, NULL);
	int rc = areas_put_json(s, body, rep, e);

	json_decref(body);
	return rc;
}

/* A key of the report itself (error -1) or of its error number i. */
static const json_t *at(const json_t *rep, int error, const char *key)
{
	if (error >= 0)
		rep = json_array_get(json_object_get(rep, "errors"), (size_t)error);
	return json_object_get(rep, key);
}

static long long num(const json_t *rep, int error, const char *key)
{
	return json_integer_value(at(rep, error, key));
}

/* "(null)" for a JSON null or a missing key, so that checks can compare and search it. */
static const char *text(const json_t *rep, int error, const char *key)
{
	const char *v = json_string_value(at(rep, error, key));

	return v != NULL ? v : "(null)";
}

TEST(areas_json_create_update_and_all_or_nothing)
{
	struct store *s = open_store();
	json_t *rep = NULL;
	struct err e;

	/* District D1 > street S1 > community C1 > building B2. */
	CHECK_INT(put(s,
		      "{\"areas\":[{\"code\":\"D1\",\"name\":\"上城区\",\"parent\":null,"
		      "\"level\":\"district\"},{\"code\":\"S1\",\"name\":\"湖滨街道\",\"parent\":"
		      "\"D1\",\"level\":\"street\"},{\"code\":\"C1\",\"name\":\"幸福小区\","
		      "\"parent\":\"S1\",\"level\":\"community\"},{\"code\":\"B2\",\"name\":"
		      "\"2幢\",\"parent\":\"C1\",\"level\":\"building\"}]}",
		      &rep, &e),
		  0);
	json_decref(rep);
	rep = NULL;
	CHECK_INT(put(s,
		      "{\"areas\":[{\"code\":\"B2\",\"name\":\"二幢\",\"parent\":\"C1\","
		      "\"level\":\"building\"},{\"code\":\"B3\",\"name\":\"3幢\","
		      "\"parent\":\"C1\",\"level\":\"building\"}]}",
		      &rep, &e),
		  0);
	CHECK_INT(num(rep, -1, "created"), 1);
	CHECK_INT(num(rep, -1, "updated"), 1);
	json_decref(rep);
	rep = NULL;

	/* The second item fails, so the first must not be stored either. */
	CHECK_INT(put(s,
		      "{\"areas\":[{\"code\":\"B4\",\"name\":\"4幢\",\"parent\":\"C1\","
		      "\"level\":\"building\"},{\"code\":\"B5\",\"name\":\"5幢\","
		      "\"parent\":\"NOPE\",\"level\":\"building\"}]}",
		      &rep, &e),
		  ERR_INVALID);
	CHECK_STR(e.field, "areas[1].parent");
	CHECK(strstr(e.msg, "NOPE") != NULL);
	CHECK(rep == NULL);
	CHECK(!store_area_exists(s, "B4"));

	CHECK_INT(put(s,
		      "{\"areas\":[{\"code\":\"B6\",\"name\":\"6幢\",\"parent\":\"C1\","
		      "\"level\":\"building\",\"colour\":\"red\"}]}",
		      &rep, &e),
		  ERR_INVALID);
	CHECK_STR(e.field, "areas[0].colour");
	store_close(s);
}

TEST(areas_csv_children_before_parents)
{
	struct store *s = open_store();
	json_t *rep = NULL;
	struct err e;
	const char *csv = "code,name,parent,level\n"
			  "B1,1幢,C1,building\n" /* 2: parent on line 3 */
			  "C1,幸福小区,S1,community\n" /* 3: parent on line 5 */
			  "B9,9幢,C9,building\n" /* 4: parent nowhere */
			  "S1,湖滨街道,D1,street\n" /* 5: parent on line 6 */
			  "D1,上城区,,district\n" /* 6 */
			  "X1,错,D1,village\n"; /* 7: bad level */

	CHECK_INT(areas_import_csv(s, csv, strlen(csv), &rep, &e), 0);
	CHECK_STR(text(rep, -1, "encoding"), "utf-8");
	CHECK_INT(num(rep, -1, "rows"), 6);
	CHECK_INT(num(rep, -1, "created"), 4);
	CHECK_INT(num(rep, -1, "skipped"), 2);
	CHECK_INT(num(rep, -1, "errors_total"), 2);
	CHECK(json_object_get(rep, "unchanged") == NULL);
	/* The bad level is found in the first pass, the missing parent after the retries. */
	CHECK_INT(num(rep, 0, "line"), 7);
	CHECK_STR(text(rep, 0, "field"), "level");
	CHECK_INT(num(rep, 1, "line"), 4);
	CHECK_STR(text(rep, 1, "field"), "parent");
	CHECK(strstr(text(rep, 1, "message"), "C9") != NULL);
	CHECK(store_area_exists(s, "B1"));
	json_decref(rep);
	store_close(s);
}

int main(void)
{
	RUN(areas_json_create_update_and_all_or_nothing);
	RUN(areas_csv_children_before_parents);
	return TEST_END();
}
