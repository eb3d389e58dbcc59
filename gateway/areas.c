/* areas: the area tree from outside, checked before it is stored.
 * Called by the HTTP API for the area CSV (code,name,parent,level) and for JSON bodies.
 * A CSV may list a row before its parent: such rows wait, copied, until the parent has been
 * stored, and a row whose parent never comes is reported, not guessed. JSON is all or
 * nothing in one transaction. The CSV goes through residents_import_run, so that both imports
 * decode, map headers, batch and report alike; the JSON keys follow residents' key rules. */
#include "areas.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "residents.h"
#include "residents_import.h"
#include "utf8.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Area rows waiting for a parent further down the file; more means a badly sorted file. */
#define AREAS_MAX_PENDING 100000

/* ---- areas CSV ---- */

enum { A_CODE, A_NAME, A_PARENT, A_LEVEL, A_COUNT };

/* A row whose parent comes later in the file, kept (copied) until the parent is stored. */
struct pending_area {
	int line;
	char *f[A_COUNT]; /* f[A_CODE] NULL once written */
};

struct area_queue {
	struct pending_area *v;
	size_t n, cap;
};

static void pending_drop(struct pending_area *p)
{
	for (int i = 0; i < A_COUNT; i++) {
		free(p->f[i]);
		p->f[i] = NULL;
	}
}

static void queue_free(struct area_queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		pending_drop(&q->v[i]);
	free(q->v);
}

static int queue_push(struct area_queue *q, int line, const char *const *f, struct err *e)
{
	struct pending_area *p;
	size_t cap = q->cap ? q->cap * 2 : 64;

	if (q->n == AREAS_MAX_PENDING)
		return err_set(e, ERR_TOOBIG, NULL,
			       "more than %d rows come before their parent; "
			       "sort the file so that parents come first",
			       AREAS_MAX_PENDING);
	if (q->n == q->cap) {
		p = realloc(q->v, (cap > AREAS_MAX_PENDING ? AREAS_MAX_PENDING : cap) * sizeof(*p));
		if (p == NULL)
			return err_set(e, ERR_NOMEM, NULL, "out of memory importing areas");
		q->v = p;
		q->cap = cap > AREAS_MAX_PENDING ? AREAS_MAX_PENDING : cap;
	}
	p = &q->v[q->n++];
	p->line = line;
	for (int i = 0; i < A_COUNT; i++)
		p->f[i] = strdup(f[i]);
	for (int i = 0; i < A_COUNT; i++)
		if (p->f[i] == NULL)
			return err_set(e, ERR_NOMEM, NULL, "out of memory importing areas");
	return 0;
}

/* The store names area fields code/name/parent/level; the report uses the file's names. */
static const char *area_column(const struct residents_import_columns *cols, const char *store_field)
{
	static const char *const fields[A_COUNT] = { "code", "name", "parent", "level" };

	for (int i = 0; i < A_COUNT; i++)
		if (strcmp(fields[i], store_field) == 0)
			return cols->name[i];
	return NULL;
}

static int area_write(struct residents_import *im, const struct residents_import_columns *cols,
		      int line, const char *const *f, struct err *e)
{
	struct area a = { f[A_CODE], f[A_NAME], f[A_PARENT], f[A_LEVEL] };
	struct err werr;
	int created = 0, rc;

	if ((rc = residents_import_batch_open(im, e)) < 0)
		return rc;
	if (store_area_upsert(im->s, &a, &created, &werr) < 0) {
		residents_import_error(im, line, area_column(cols, werr.field), werr.msg);
		im->skipped++;
	} else {
		residents_import_count(im, created ? STORE_CREATED : STORE_UPDATED);
	}
	return residents_import_batch_row_done(im, e);
}

/* Writes the rows whose parent has been stored since, pass after pass until a pass makes
 * no progress; the rest name a parent that is nowhere. */
static int areas_retry(struct residents_import *im, const struct residents_import_columns *cols,
		       struct area_queue *q, struct err *e)
{
	char msg[200];
	bool progress = true;
	int rc;

	while (progress) {
		progress = false;
		for (size_t i = 0; i < q->n; i++) {
			struct pending_area *p = &q->v[i];

			if (p->f[A_CODE] == NULL || !store_area_exists(im->s, p->f[A_PARENT]))
				continue;
			if ((rc = area_write(im, cols, p->line, (const char *const *)p->f, e)) < 0)
				return rc;
			pending_drop(p);
			progress = true;
		}
	}
	for (size_t i = 0; i < q->n; i++) {
		if (q->v[i].f[A_CODE] == NULL)
			continue;
		snprintf(msg, sizeof(msg),
			 "parent \"%.*s\" exists neither in the database nor "
			 "in this file",
			 (int)utf8_prefix_bytes(q->v[i].f[A_PARENT], 40), q->v[i].f[A_PARENT]);
		residents_import_error(im, q->v[i].line, cols->name[A_PARENT], msg);
		im->skipped++;
	}
	return 0;
}

/* A residents_import_rows_fn; arg is unused. */
static int import_areas(struct residents_import *im, const struct residents_import_columns *cols,
			struct csv_reader *rd, void *arg, struct err *e)
{
	struct area_queue q = { 0 };
	struct csv_record rec;
	struct err rerr;
	const char *f[A_COUNT];
	int rc;

	(void)arg;
	while ((rc = csv_next(rd, &rec, &rerr)) != 0) {
		if ((rc = residents_import_next_row(im, cols, rc, &rec, &rerr)) < 0) {
			err_set(e, rc, NULL, "%s", rerr.msg);
			goto out;
		}
		if (rc == 0)
			continue;
		for (int i = 0; i < A_COUNT; i++)
			f[i] = rec.fields[cols->idx[i]];
		if (*f[A_PARENT] != '\0' && !store_area_exists(im->s, f[A_PARENT]))
			rc = queue_push(&q, rec.line, f, e);
		else
			rc = area_write(im, cols, rec.line, f, e);
		if (rc < 0)
			goto out;
	}
	if ((rc = areas_retry(im, cols, &q, e)) == 0)
		rc = residents_import_batch_finish(im, e);
out:
	queue_free(&q);
	return rc;
}

int areas_import_csv(struct store *s, const char *data, size_t len, json_t **report, struct err *e)
{
	static const char *const want[A_COUNT] = { "code", "name", "parent", "level" };
	static const bool required[A_COUNT] = { true, true, true, true };
	static const struct residents_import_format f = { want, required, A_COUNT, false,
							  import_areas };

	return residents_import_run(s, data, len, &f, NULL, report, e);
}

/* ---- JSON bodies ---- */

static const struct residents_key_rule area_rules[] = {
	{ "code", RESIDENTS_T_STR, "a string" },
	{ "name", RESIDENTS_T_STR, "a string" },
	{ "parent", RESIDENTS_T_STR | RESIDENTS_T_NULL, "a string or null" },
	{ "level", RESIDENTS_T_STR,
	  "one of \"district\", \"street\", \"community\", \"building\"" },
};

/* Puts "areas[i]" in front of an item's error so that the sender finds the item. */
static int item_err(struct err *e, size_t i, int rc)
{
	char field[sizeof(e->field)], msg[sizeof(e->msg)];

	if (e == NULL)
		return rc;
	memcpy(field, e->field, sizeof(field));
	memcpy(msg, e->msg, sizeof(msg));
	err_set(e, rc, NULL, "areas[%zu]: %s", i, msg);
	snprintf(e->field, sizeof(e->field), "areas[%zu]%s%.30s", i & 0xffff, *field ? "." : "",
		 field);
	return rc;
}

static int area_item(struct store *s, const json_t *item, int *created, struct err *e)
{
	struct area a;
	int rc;

	rc = residents_check_object(item,
				    "an area must be an object such as "
				    "{\"code\":\"330102\",\"name\":\"上城区\",\"parent\":null,"
				    "\"level\":\"district\"}",
				    area_rules, ARRAY_LEN(area_rules), e);
	if (rc < 0)
		return rc;
	a.code = json_string_value(json_object_get(item, "code"));
	a.name = json_string_value(json_object_get(item, "name"));
	a.parent = json_string_value(json_object_get(item, "parent"));
	a.level = json_string_value(json_object_get(item, "level"));
	return store_area_upsert(s, &a, created, e);
}

int areas_put_json(struct store *s, const json_t *body, json_t **report, struct err *e)
{
	static const struct residents_key_rule top[] = { { "areas", RESIDENTS_T_ARR,
							   "an array of areas" } };
	const json_t *list = json_object_get(body, "areas");
	int created, ncreated = 0, nupdated = 0, rc;

	if (!json_is_object(body) || list == NULL)
		return err_set(e, ERR_INVALID, "areas",
			       "the body must be {\"areas\":[{\"code\","
			       "\"name\",\"parent\",\"level\"}, ...]}");
	if ((rc = residents_check_keys(body, top, ARRAY_LEN(top), "", e)) < 0)
		return rc;
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	/* In order, so that a parent listed earlier exists when its children come. */
	for (size_t i = 0; i < json_array_size(list); i++) {
		if ((rc = area_item(s, json_array_get(list, i), &created, e)) < 0) {
			rc = item_err(e, i, rc);
			goto out;
		}
		ncreated += created;
		nupdated += !created;
	}
	if ((rc = store_commit(s, e)) < 0)
		goto out;
	*report = json_pack("{s:i, s:i}", "created", ncreated, "updated", nupdated);
out:
	if (rc < 0)
		store_rollback(s);
	return rc;
}
