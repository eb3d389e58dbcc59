/* residents: outside input into the residents and area tables, checked before it is stored.
 * Called by the HTTP API for CSV imports (billing export, area tree) and for resident JSON.
 * Every row is validated here first, so a bad row is reported by line and column and never
 * reaches a transaction; good rows are written through the store in batches of RES_BATCH.
 * An import never changes opt-outs, and an empty or absent openid cell keeps the stored
 * openid (the billing system rarely knows it; residents bind WeChat through the API).
 * Reports name cells and quote values because they go back to the dispatcher who sent the
 * file; nothing here is logged, since every value is a resident's personal data. */
#include "residents.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "csv.h"
#include "phone.h"
#include "utf8.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RES_BATCH 1000
#define RES_MAX_AREAS 32
#define RES_MAX_ACCOUNT 64 /* characters */
#define RES_MAX_NAME 64 /* characters */
#define RES_MAX_OPENID 128 /* bytes; the outbox keeps addresses of up to 135 */
#define COL_NAME_MAX 64
#define COL_MAX 8 /* columns an import looks for */
/* Area rows waiting for a parent further down the file; more means a badly sorted file. */
#define AREAS_MAX_PENDING 100000

/* ---- shared checks: the field name is a CSV column or a JSON key ---- */

/* Bytes of v to quote in a message: at most max_chars characters, never half of one. */
static int clip(const char *v, size_t max_chars)
{
	return (int)utf8_prefix_bytes(v, max_chars);
}

static bool has_control(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	return false;
}

static int check_text(const char *v, const char *field, size_t max_chars, struct err *e)
{
	size_t n;

	if (v == NULL || *v == '\0')
		return err_set(e, ERR_INVALID, field,
			       "%s is empty or missing; every resident "
			       "needs one",
			       field);
	if (has_control(v))
		return err_set(e, ERR_INVALID, field,
			       "%s contains a line break or another "
			       "control character; remove it",
			       field);
	n = utf8_chars(v);
	if (n > max_chars)
		return err_set(e, ERR_INVALID, field,
			       "%s has %zu characters; at most %zu are "
			       "allowed",
			       field, n, max_chars);
	return 0;
}

static int check_openid(const char *v, const char *field, struct err *e)
{
	size_t n = strspn(v,
			  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789-_");

	if (v[n] != '\0' || n > RES_MAX_OPENID)
		return err_set(e, ERR_INVALID, field,
			       "%s \"%.*s\" is not a WeChat openid: it "
			       "has letters, digits, '-' and '_' only, at most %d of them",
			       field, clip(v, 40), v, RES_MAX_OPENID);
	return 0;
}

static int check_mobile(const char *v, const char *field, char out[PHONE_LEN + 1], struct err *e)
{
	int rc = phone_normalize(v, out, e);

	if (rc < 0 && e != NULL)
		snprintf(e->field, sizeof(e->field), "%s", field);
	return rc;
}

static int check_areas(struct store *s, const char *const *codes, int n, const char *field,
		       struct err *e)
{
	if (n == 0)
		return err_set(e, ERR_INVALID, field,
			       "%s is empty; every resident belongs to at "
			       "least one area (a building code)",
			       field);
	if (n > RES_MAX_AREAS)
		return err_set(e, ERR_INVALID, field, "%s lists more than %d areas", field,
			       RES_MAX_AREAS);
	for (int i = 0; i < n; i++) {
		if (!store_area_exists(s, codes[i]))
			return err_set(e, ERR_INVALID, field,
				       "unknown area \"%.*s\"; import the "
				       "area tree first or correct the code",
				       clip(codes[i], 40), codes[i]);
	}
	return 0;
}

/* ---- one import's progress and report ---- */

struct import {
	struct store *s;
	const char *encoding;
	int rows, created, updated, unchanged, skipped;
	int errors_total;
	json_t *errors;
	int in_batch; /* rows written in the open transaction; 0 when none is open */
};

static void import_error(struct import *im, int line, const char *field, const char *msg)
{
	size_t bad = 0;
	char copy[sizeof(((struct err *)0)->msg)];

	/* err_set may have cut a long message inside a character; JSON needs whole ones. */
	if (!utf8_valid(msg, strlen(msg), &bad)) {
		snprintf(copy, sizeof(copy), "%.*s", (int)bad, msg);
		msg = copy;
	}
	im->errors_total++;
	if (json_array_size(im->errors) < RESIDENTS_MAX_REPORTED_ERRORS)
		json_array_append_new(im->errors,
				      json_pack("{s:i, s:s?, s:s}", "line", line, "field",
						(field && *field) ? field : NULL, "message", msg));
}

static void import_count(struct import *im, int result)
{
	if (result == STORE_CREATED)
		im->created++;
	else if (result == STORE_UPDATED)
		im->updated++;
	else
		im->unchanged++;
}

static json_t *import_report(const struct import *im, bool with_unchanged)
{
	json_t *r =
		json_pack("{s:s, s:i, s:i, s:i, s:i, s:O, s:i}", "encoding", im->encoding, "rows",
			  im->rows, "created", im->created, "updated", im->updated, "skipped",
			  im->skipped, "errors", im->errors, "errors_total", im->errors_total);

	if (r != NULL && with_unchanged)
		json_object_set_new(r, "unchanged", json_integer(im->unchanged));
	return r;
}

static int batch_open(struct import *im, struct err *e)
{
	return im->in_batch > 0 ? 0 : store_begin(im->s, e);
}

/* Counts a written row and commits once the batch is full, so that a long import does not
 * hold the write lock for its whole length. */
static int batch_row_done(struct import *im, struct err *e)
{
	if (++im->in_batch < RES_BATCH)
		return 0;
	im->in_batch = 0;
	return store_commit(im->s, e);
}

static int batch_finish(struct import *im, struct err *e)
{
	if (im->in_batch == 0)
		return 0;
	im->in_batch = 0;
	return store_commit(im->s, e);
}

/* ---- header ---- */

struct columns {
	int n; /* columns asked for */
	int idx[COL_MAX]; /* field index in the file, -1 when absent */
	char name[COL_MAX][COL_NAME_MAX]; /* as written in the file, for reports */
	int nfields; /* fields in the header row */
};

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A header cell without a leading BOM and surrounding blanks: returns its length. */
static size_t header_span(const char *cell, const char **start)
{
	size_t n;

	if (strncmp(cell, "\xef\xbb\xbf", 3) == 0)
		cell += 3;
	cell += strspn(cell, " \t");
	for (n = strlen(cell); n > 0 && (cell[n - 1] == ' ' || cell[n - 1] == '\t'); n--)
		;
	*start = cell;
	return n;
}

static bool header_is(const char *cell, const char *want)
{
	const char *p;
	size_t n = header_span(cell, &p);

	if (*want == '\0' || strlen(want) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(p[i]) != ascii_lower(want[i]))
			return false;
	return true;
}

static void join_header(const struct csv_record *rec, char *buf, size_t sz)
{
	size_t o = 0;
	const char *p;

	buf[0] = '\0';
	for (int i = 0; i < rec->nfields && o < sz; i++) {
		size_t n = header_span(rec->fields[i], &p);

		o += (size_t)snprintf(buf + o, sz - o, "%s%.*s", i ? "," : "", (int)n, p);
	}
}

static int header_missing(const struct csv_record *rec, const char *const *want,
			  const bool *required, int n, int missing, struct err *e)
{
	char found[200], expected[200];
	size_t o = 0;

	join_header(rec, found, sizeof(found));
	expected[0] = '\0';
	for (int i = 0; i < n && o < sizeof(expected); i++)
		o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s%s", i ? "," : "",
				      want[i], required[i] ? "" : " (optional)");
	return err_set(e, ERR_INVALID, want[missing],
		       "the header has no column \"%s\": found "
		       "\"%s\", expected %s (the names come from [import] in the configuration; "
		       "ASCII case and surrounding spaces do not matter)",
		       want[missing], found, expected);
}

/* Finds the wanted columns in the header row; a required one missing or any one present
 * twice makes the file unusable. */
static int map_header(const struct csv_record *rec, const char *const *want, const bool *required,
		      int n, struct columns *cols, struct err *e)
{
	const char *p;
	size_t len;

	assert(n <= COL_MAX);
	cols->n = n;
	cols->nfields = rec->nfields;
	for (int c = 0; c < n; c++) {
		cols->idx[c] = -1;
		snprintf(cols->name[c], COL_NAME_MAX, "%s", want[c]);
		for (int i = 0; i < rec->nfields; i++) {
			if (!header_is(rec->fields[i], want[c]))
				continue;
			if (cols->idx[c] >= 0)
				return err_set(e, ERR_INVALID, want[c],
					       "the header has the column "
					       "\"%s\" twice (columns %d and %d); keep one",
					       want[c], cols->idx[c] + 1, i + 1);
			cols->idx[c] = i;
			len = header_span(rec->fields[i], &p);
			snprintf(cols->name[c], COL_NAME_MAX, "%.*s", (int)len, p);
		}
		if (cols->idx[c] < 0 && required[c])
			return header_missing(rec, want, required, n, c, e);
	}
	return 0;
}

/* Decodes the body and reads its header row. *text is the decoded copy the reader uses. */
static int open_csv(const char *data, size_t len, struct import *im, char **text,
		    struct csv_reader *rd, struct csv_record *rec, struct err *e)
{
	struct err herr;
	size_t tlen;
	int rc;

	if ((rc = charset_to_utf8(data, len, text, &tlen, &im->encoding, e)) < 0)
		return rc;
	csv_init(rd, *text, tlen);
	rc = csv_next(rd, rec, &herr);
	if (rc == 0)
		return err_set(e, ERR_INVALID, NULL, "the file is empty; a header row is needed");
	if (rc == ERR_INVALID)
		return err_set(e, ERR_INVALID, NULL, "the header row is malformed: %s", herr.msg);
	if (rc < 0)
		return err_set(e, rc, NULL, "%s", herr.msg);
	return 0;
}

/* Counts a record and reports it when it is malformed or has the wrong number of fields;
 * returns 1 for a usable row, 0 for a skipped one, or a fatal error code. */
static int next_row(struct import *im, const struct columns *cols, int rc,
		    const struct csv_record *rec, const struct err *rerr)
{
	char msg[96];

	im->rows++;
	if (rc < 0 && rc != ERR_INVALID)
		return rc;
	if (rc < 0) {
		import_error(im, rec->line, NULL, rerr->msg);
	} else if (rec->nfields != cols->nfields) {
		snprintf(msg, sizeof(msg), "the row has %d columns; the header has %d",
			 rec->nfields, cols->nfields);
		import_error(im, rec->line, NULL, msg);
	} else {
		return 1;
	}
	im->skipped++;
	return 0;
}

/* ---- residents CSV ---- */

enum { C_ACCOUNT, C_NAME, C_MOBILE, C_OPENID, C_AREA, C_COUNT };

struct row {
	const char *account, *name, *openid;
	char mobile[PHONE_LEN + 1];
	char openid_buf[RES_MAX_OPENID + 1];
	char area_buf[CSV_MAX_FIELD_LEN + 1];
	const char *areas[RES_MAX_AREAS + 1];
	int nareas;
};

/* Splits an area cell on ';', '|' or a full-width '；' into row->areas. */
static void split_areas(const char *cell, struct row *row)
{
	char *p = row->area_buf, *tok, *end;

	snprintf(row->area_buf, sizeof(row->area_buf), "%s", cell);
	row->nareas = 0;
	for (char *q = p; (q = strstr(q, "\xef\xbc\x9b")) != NULL;)
		memcpy(q, ";  ", 3);
	for (tok = p; tok != NULL; tok = end) {
		end = strpbrk(tok, ";|");
		if (end != NULL)
			*end++ = '\0';
		tok += strspn(tok, " \t");
		for (size_t n = strlen(tok); n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t');)
			tok[--n] = '\0';
		if (*tok == '\0')
			continue;
		if (row->nareas > RES_MAX_AREAS)
			break;
		row->areas[row->nareas++] = tok;
	}
}

static void row_check(struct import *im, int line, const char *field, int rc, const struct err *e,
		      int *bad)
{
	if (rc < 0) {
		import_error(im, line, field, e->msg);
		(*bad)++;
	}
}

/* The account must not appear twice in one file: the first row is kept. */
static int check_duplicate(json_t *seen, const char *account, const char *field, int line,
			   struct err *e)
{
	json_t *at = json_object_get(seen, account);

	if (at != NULL)
		return err_set(e, ERR_INVALID, field,
			       "account %s appears already at line "
			       "%d; the first row is kept and this one skipped",
			       account, (int)json_integer_value(at));
	json_object_set_new_nocheck(seen, account, json_integer(line));
	return 0;
}

/* Reports every problem of a row; returns how many there were. */
static int validate_row(struct import *im, const struct columns *cols, const struct csv_record *rec,
			json_t *seen, struct row *row)
{
	const char *const *f = rec->fields;
	struct err e;
	int bad = 0, line = rec->line, acc_rc;

	row->account = f[cols->idx[C_ACCOUNT]];
	row->name = f[cols->idx[C_NAME]];
	row->openid = cols->idx[C_OPENID] >= 0 ? f[cols->idx[C_OPENID]] : "";
	acc_rc = check_text(row->account, cols->name[C_ACCOUNT], RES_MAX_ACCOUNT, &e);
	row_check(im, line, cols->name[C_ACCOUNT], acc_rc, &e, &bad);
	row_check(im, line, cols->name[C_NAME],
		  check_text(row->name, cols->name[C_NAME], RES_MAX_NAME, &e), &e, &bad);
	row_check(im, line, cols->name[C_MOBILE],
		  check_mobile(f[cols->idx[C_MOBILE]], cols->name[C_MOBILE], row->mobile, &e), &e,
		  &bad);
	if (*row->openid != '\0')
		row_check(im, line, cols->name[C_OPENID],
			  check_openid(row->openid, cols->name[C_OPENID], &e), &e, &bad);
	split_areas(f[cols->idx[C_AREA]], row);
	row_check(im, line, cols->name[C_AREA],
		  check_areas(im->s, row->areas, row->nareas, cols->name[C_AREA], &e), &e, &bad);
	if (acc_rc == 0 && bad == 0)
		row_check(im, line, cols->name[C_ACCOUNT],
			  check_duplicate(seen, row->account, cols->name[C_ACCOUNT], line, &e), &e,
			  &bad);
	return bad;
}

/* The store has no "keep the stored openid", so an empty or absent openid cell is replaced
 * by the stored one here: a re-import must not unbind anybody from WeChat. */
static const char *kept_openid(struct store *s, struct row *row)
{
	json_t *old = NULL;
	const char *v;

	if (store_resident_get(s, row->account, &old, NULL) < 0)
		return NULL;
	v = json_string_value(json_object_get(old, "openid"));
	snprintf(row->openid_buf, sizeof(row->openid_buf), "%s", v ? v : "");
	json_decref(old);
	return row->openid_buf[0] != '\0' ? row->openid_buf : NULL;
}

static int write_resident(struct import *im, const struct columns *cols, struct row *row, int line,
			  int64_t now_ms, struct err *e)
{
	struct resident r = {
		.account = row->account,
		.name = row->name,
		.mobile = row->mobile,
		.openid = *row->openid != '\0' ? row->openid : kept_openid(im->s, row),
		.opt_out_sms = -1,
		.opt_out_wechat = -1,
		.areas = row->areas,
		.nareas = row->nareas,
	};
	struct err werr;
	int result, rc;

	if ((rc = batch_open(im, e)) < 0)
		return rc;
	if (store_resident_upsert(im->s, &r, now_ms, &result, &werr) < 0) {
		import_error(im, line, strcmp(werr.field, "areas") == 0 ? cols->name[C_AREA] : NULL,
			     werr.msg);
		im->skipped++;
	} else {
		import_count(im, result);
	}
	return batch_row_done(im, e);
}

static int import_residents(struct import *im, const struct columns *cols, struct csv_reader *rd,
			    int64_t now_ms, struct err *e)
{
	struct csv_record rec;
	struct err rerr;
	struct row *row = malloc(sizeof(*row));
	json_t *seen = json_object();
	int rc;

	if (row == NULL || seen == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory importing residents");
		goto out;
	}
	while ((rc = csv_next(rd, &rec, &rerr)) != 0) {
		rc = next_row(im, cols, rc, &rec, &rerr);
		if (rc < 0) {
			err_set(e, rc, NULL, "%s", rerr.msg);
			goto out;
		}
		if (rc == 0)
			continue;
		if (validate_row(im, cols, &rec, seen, row) > 0)
			im->skipped++;
		else if ((rc = write_resident(im, cols, row, rec.line, now_ms, e)) < 0)
			goto out;
	}
	rc = batch_finish(im, e);
out:
	free(row);
	json_decref(seen);
	return rc;
}

int residents_import_csv(struct store *s, const struct gw_config *cfg, const char *data, size_t len,
			 int64_t now_ms, json_t **report, struct err *e)
{
	const char *const want[C_COUNT] = { cfg->col_account, cfg->col_name, cfg->col_mobile,
					    cfg->col_openid, cfg->col_area };
	const bool required[C_COUNT] = { true, true, true, false, true };
	struct import im = { .s = s, .errors = json_array() };
	struct csv_reader rd = { 0 };
	struct csv_record rec;
	struct columns cols;
	char *text = NULL;
	int rc;

	if ((rc = open_csv(data, len, &im, &text, &rd, &rec, e)) < 0)
		goto out;
	if ((rc = map_header(&rec, want, required, C_COUNT, &cols, e)) < 0)
		goto out;
	if ((rc = import_residents(&im, &cols, &rd, now_ms, e)) < 0)
		goto out;
	*report = import_report(&im, true);
out:
	if (rc < 0)
		store_rollback(s);
	csv_cleanup(&rd);
	free(text);
	json_decref(im.errors);
	return rc;
}

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
static const char *area_column(const struct columns *cols, const char *store_field)
{
	static const char *const fields[A_COUNT] = { "code", "name", "parent", "level" };

	for (int i = 0; i < A_COUNT; i++)
		if (strcmp(fields[i], store_field) == 0)
			return cols->name[i];
	return NULL;
}

static int area_write(struct import *im, const struct columns *cols, int line, const char *const *f,
		      struct err *e)
{
	struct area a = { f[A_CODE], f[A_NAME], f[A_PARENT], f[A_LEVEL] };
	struct err werr;
	int created = 0, rc;

	if ((rc = batch_open(im, e)) < 0)
		return rc;
	if (store_area_upsert(im->s, &a, &created, &werr) < 0) {
		import_error(im, line, area_column(cols, werr.field), werr.msg);
		im->skipped++;
	} else {
		import_count(im, created ? STORE_CREATED : STORE_UPDATED);
	}
	return batch_row_done(im, e);
}

/* Writes the rows whose parent has been stored since, pass after pass until a pass makes
 * no progress; the rest name a parent that is nowhere. */
static int areas_retry(struct import *im, const struct columns *cols, struct area_queue *q,
		       struct err *e)
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
			 clip(q->v[i].f[A_PARENT], 40), q->v[i].f[A_PARENT]);
		import_error(im, q->v[i].line, cols->name[A_PARENT], msg);
		im->skipped++;
	}
	return 0;
}

static int import_areas(struct import *im, const struct columns *cols, struct csv_reader *rd,
			struct err *e)
{
	struct area_queue q = { 0 };
	struct csv_record rec;
	struct err rerr;
	const char *f[A_COUNT];
	int rc;

	while ((rc = csv_next(rd, &rec, &rerr)) != 0) {
		if ((rc = next_row(im, cols, rc, &rec, &rerr)) < 0) {
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
		rc = batch_finish(im, e);
out:
	queue_free(&q);
	return rc;
}

int areas_import_csv(struct store *s, const char *data, size_t len, json_t **report, struct err *e)
{
	static const char *const want[A_COUNT] = { "code", "name", "parent", "level" };
	static const bool required[A_COUNT] = { true, true, true, true };
	struct import im = { .s = s, .errors = json_array() };
	struct csv_reader rd = { 0 };
	struct csv_record rec;
	struct columns cols;
	char *text = NULL;
	int rc;

	if ((rc = open_csv(data, len, &im, &text, &rd, &rec, e)) < 0)
		goto out;
	if ((rc = map_header(&rec, want, required, A_COUNT, &cols, e)) < 0)
		goto out;
	if ((rc = import_areas(&im, &cols, &rd, e)) < 0)
		goto out;
	*report = import_report(&im, false);
out:
	if (rc < 0)
		store_rollback(s);
	csv_cleanup(&rd);
	free(text);
	json_decref(im.errors);
	return rc;
}

/* ---- JSON bodies ---- */

enum { T_STR = 1, T_NULL = 2, T_ARR = 4, T_OBJ = 8, T_BOOL = 16 };

struct key_rule {
	const char *name;
	int types; /* T_* bits */
	const char *what;
};

static const struct key_rule resident_rules[] = {
	{ "account", T_STR, "a string" },
	{ "name", T_STR, "a string" },
	{ "mobile", T_STR, "a string such as \"13812345678\"" },
	{ "openid", T_STR | T_NULL, "a string or null" },
	{ "areas", T_ARR, "an array of area codes" },
	{ "opt_out", T_OBJ, "an object such as {\"sms\":false,\"wechat\":false}" },
};

static const struct key_rule opt_out_rules[] = {
	{ "sms", T_BOOL, "true or false" },
	{ "wechat", T_BOOL, "true or false" },
};

static const struct key_rule area_rules[] = {
	{ "code", T_STR, "a string" },
	{ "name", T_STR, "a string" },
	{ "parent", T_STR | T_NULL, "a string or null" },
	{ "level", T_STR, "one of \"district\", \"street\", \"community\", \"building\"" },
};

static int json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return T_STR;
	case JSON_NULL: return T_NULL;
	case JSON_ARRAY: return T_ARR;
	case JSON_OBJECT: return T_OBJ;
	case JSON_TRUE:
	case JSON_FALSE: return T_BOOL;
	default: return 0;
	}
}

/* Refuses unknown keys (a typo must not be dropped silently) and values of the wrong
 * type; the field is prefix + key, e.g. "opt_out.sms". */
static int check_keys(const json_t *obj, const struct key_rule *rules, size_t n, const char *prefix,
		      struct err *e)
{
	char known[160], field[64];
	const char *key;
	json_t *v;
	size_t i, o = 0;

	known[0] = '\0';
	for (i = 0; i < n && o < sizeof(known); i++)
		o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "",
				      rules[i].name);
	/* jansson's iterator takes a non-const object; it only reads it here. */
	json_object_foreach((json_t *)obj, key, v)
	{
		for (i = 0; i < n && strcmp(rules[i].name, key) != 0; i++)
			;
		snprintf(field, sizeof(field), "%s%.*s", prefix, clip(key, 40), key);
		if (i == n)
			return err_set(e, ERR_INVALID, field,
				       "unknown field \"%s\"; the known "
				       "fields are %s",
				       field, known);
		if ((json_kind(v) & rules[i].types) == 0)
			return err_set(e, ERR_INVALID, field, "%s must be %s", field,
				       rules[i].what);
	}
	return 0;
}

static const char *get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

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

	if (!json_is_object(item))
		return err_set(e, ERR_INVALID, NULL,
			       "an area must be an object such as "
			       "{\"code\":\"330102\",\"name\":\"上城区\",\"parent\":null,"
			       "\"level\":\"district\"}");
	if ((rc = check_keys(item, area_rules, ARRAY_LEN(area_rules), "", e)) < 0)
		return rc;
	a.code = get_str(item, "code");
	a.name = get_str(item, "name");
	a.parent = get_str(item, "parent");
	a.level = get_str(item, "level");
	return store_area_upsert(s, &a, created, e);
}

int areas_put_json(struct store *s, const json_t *body, json_t **report, struct err *e)
{
	static const struct key_rule top[] = { { "areas", T_ARR, "an array of areas" } };
	const json_t *list = json_object_get(body, "areas");
	int created, ncreated = 0, nupdated = 0, rc;

	if (!json_is_object(body) || list == NULL)
		return err_set(e, ERR_INVALID, "areas",
			       "the body must be {\"areas\":[{\"code\","
			       "\"name\",\"parent\",\"level\"}, ...]}");
	if ((rc = check_keys(body, top, ARRAY_LEN(top), "", e)) < 0)
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

/* ---- resident JSON ---- */

/* A resident built from a checked JSON object; its strings point into that object. */
struct res_buf {
	struct resident r;
	char mobile[PHONE_LEN + 1];
	const char *areas[RES_MAX_AREAS];
};

static int check_body(const json_t *body, struct err *e)
{
	const json_t *opt;
	int rc;

	if (!json_is_object(body))
		return err_set(e, ERR_INVALID, NULL,
			       "the body must be a JSON object such as "
			       "{\"account\":\"1100234567\",\"name\":\"张三\",\"mobile\":"
			       "\"13812345678\",\"areas\":[\"33010201001\"]}");
	rc = check_keys(body, resident_rules, ARRAY_LEN(resident_rules), "", e);
	opt = json_object_get(body, "opt_out");
	if (rc == 0 && opt != NULL)
		rc = check_keys(opt, opt_out_rules, ARRAY_LEN(opt_out_rules), "opt_out.", e);
	return rc;
}

static int res_areas(struct store *s, const json_t *arr, struct res_buf *b, struct err *e)
{
	size_t n = json_array_size(arr);

	if (n > RES_MAX_AREAS)
		return err_set(e, ERR_INVALID, "areas",
			       "areas lists %zu areas; at most %d are "
			       "allowed",
			       n, RES_MAX_AREAS);
	for (size_t i = 0; i < n; i++) {
		b->areas[i] = json_string_value(json_array_get(arr, i));
		if (b->areas[i] == NULL)
			return err_set(e, ERR_INVALID, "areas",
				       "areas[%zu] must be a string (an "
				       "area code)",
				       i);
	}
	b->r.areas = b->areas;
	b->r.nareas = (int)n;
	return check_areas(s, b->areas, (int)n, "areas", e);
}

static int res_from_json(struct store *s, const json_t *obj, struct res_buf *b, struct err *e)
{
	const json_t *opt = json_object_get(obj, "opt_out");
	const char *openid = get_str(obj, "openid"), *mobile = get_str(obj, "mobile");
	int rc;

	memset(b, 0, sizeof(*b));
	b->r.account = get_str(obj, "account");
	b->r.name = get_str(obj, "name");
	if ((rc = check_text(b->r.account, "account", RES_MAX_ACCOUNT, e)) < 0 ||
	    (rc = check_text(b->r.name, "name", RES_MAX_NAME, e)) < 0)
		return rc;
	if (mobile == NULL)
		return err_set(e, ERR_INVALID, "mobile",
			       "mobile is missing; every resident "
			       "needs a mainland mobile number such as \"13812345678\"");
	if ((rc = check_mobile(mobile, "mobile", b->mobile, e)) < 0)
		return rc;
	b->r.mobile = b->mobile;
	if (openid != NULL && *openid != '\0' && (rc = check_openid(openid, "openid", e)) < 0)
		return rc;
	b->r.openid = openid != NULL && *openid != '\0' ? openid : NULL;
	b->r.opt_out_sms = json_is_true(json_object_get(opt, "sms"));
	b->r.opt_out_wechat = json_is_true(json_object_get(opt, "wechat"));
	return res_areas(s, json_object_get(obj, "areas"), b, e);
}

int residents_create_json(struct store *s, const json_t *body, int64_t now_ms, json_t **out,
			  struct err *e)
{
	struct res_buf b;
	int rc;

	if ((rc = check_body(body, e)) < 0)
		return rc;
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = res_from_json(s, body, &b, e)) < 0 ||
	    (rc = store_resident_insert(s, &b.r, now_ms, e)) < 0 || (rc = store_commit(s, e)) < 0) {
		store_rollback(s);
		return rc;
	}
	return store_resident_get(s, b.r.account, out, e);
}

/* The body's fields replace the stored ones; opt_out is merged key by key so that
 * {"opt_out":{"sms":true}} leaves the WeChat choice alone. */
static void merge_body(json_t *stored, const json_t *body)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v)
	{
		if (strcmp(key, "opt_out") == 0)
			json_object_update(json_object_get(stored, "opt_out"), v);
		else
			json_object_set(stored, key, v);
	}
}

int residents_update_json(struct store *s, const char *account, const json_t *body, int64_t now_ms,
			  json_t **out, struct err *e)
{
	const char *given;
	json_t *merged = NULL;
	struct res_buf b;
	int result, rc;

	if ((rc = check_body(body, e)) < 0)
		return rc;
	given = get_str(body, "account");
	if (given != NULL && strcmp(given, account) != 0)
		return err_set(e, ERR_INVALID, "account",
			       "the account in the body differs from "
			       "the one in the address; an account cannot be changed (delete the "
			       "resident and create it again)");
	if ((rc = store_begin(s, e)) < 0)
		return rc;
	if ((rc = store_resident_get(s, account, &merged, e)) < 0)
		goto out;
	merge_body(merged, body);
	if ((rc = res_from_json(s, merged, &b, e)) < 0 ||
	    (rc = store_resident_upsert(s, &b.r, now_ms, &result, e)) < 0)
		goto out;
	rc = store_commit(s, e);
out:
	if (rc < 0)
		store_rollback(s);
	json_decref(merged);
	return rc < 0 ? rc : store_resident_get(s, account, out, e);
}
