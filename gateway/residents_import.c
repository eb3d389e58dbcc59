/* residents_import: CSV files from outside into the residents table, checked row by row.
 * Called by the HTTP API for the billing system's export, and by areas.c, which imports the
 * area tree through the same decoding, header mapping, batches and report. Every row is
 * validated first, so a bad row is reported by line and column and never reaches a
 * transaction; good rows are written through the store in batches of RES_BATCH.
 * An import never changes opt-outs, and an empty or absent openid cell keeps the stored
 * openid (the billing system rarely knows it; residents bind WeChat through the API).
 * Nothing here is logged, since every cell is a resident's personal data. */
#include "residents_import.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "phone.h"
#include "residents.h"
#include "utf8.h"

#define RES_BATCH 1000

/* ---- one import's progress and report ---- */

void residents_import_error(struct residents_import *im, int line, const char *field,
			    const char *msg)
{
	size_t bad = 0;
	char copy[sizeof(((struct err *)0)->msg)];

	/* err_set may have cut a long message inside a character; JSON needs whole ones. */
	if (!utf8_valid(msg, strlen(msg), &bad)) {
		snprintf(copy, sizeof(copy), "%.*s", (int)bad, msg);
		msg = copy;
	}
	im->errors_total++;
	if (json_array_size(im->errors) < RESIDENTS_IMPORT_MAX_REPORTED_ERRORS)
		json_array_append_new(im->errors,
				      json_pack("{s:i, s:s?, s:s}", "line", line, "field",
						(field && *field) ? field : NULL, "message", msg));
}

void residents_import_count(struct residents_import *im, int result)
{
	if (result == STORE_CREATED)
		im->created++;
	else if (result == STORE_UPDATED)
		im->updated++;
	else
		im->unchanged++;
}

static json_t *import_report(const struct residents_import *im, bool with_unchanged)
{
	json_t *r =
		json_pack("{s:s, s:i, s:i, s:i, s:i, s:O, s:i}", "encoding", im->encoding, "rows",
			  im->rows, "created", im->created, "updated", im->updated, "skipped",
			  im->skipped, "errors", im->errors, "errors_total", im->errors_total);

	if (r != NULL && with_unchanged)
		json_object_set_new(r, "unchanged", json_integer(im->unchanged));
	return r;
}

int residents_import_batch_open(struct residents_import *im, struct err *e)
{
	return im->in_batch > 0 ? 0 : store_begin(im->s, e);
}

/* Counts a written row and commits once the batch is full, so that a long import does not
 * hold the write lock for its whole length. */
int residents_import_batch_row_done(struct residents_import *im, struct err *e)
{
	if (++im->in_batch < RES_BATCH)
		return 0;
	im->in_batch = 0;
	return store_commit(im->s, e);
}

int residents_import_batch_finish(struct residents_import *im, struct err *e)
{
	if (im->in_batch == 0)
		return 0;
	im->in_batch = 0;
	return store_commit(im->s, e);
}

/* ---- header ---- */

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
		      int n, struct residents_import_columns *cols, struct err *e)
{
	const char *p;
	size_t len;

	assert(n <= RESIDENTS_IMPORT_COL_MAX);
	cols->n = n;
	cols->nfields = rec->nfields;
	for (int c = 0; c < n; c++) {
		cols->idx[c] = -1;
		snprintf(cols->name[c], RESIDENTS_IMPORT_COL_NAME_MAX, "%s", want[c]);
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
			snprintf(cols->name[c], RESIDENTS_IMPORT_COL_NAME_MAX, "%.*s", (int)len, p);
		}
		if (cols->idx[c] < 0 && required[c])
			return header_missing(rec, want, required, n, c, e);
	}
	return 0;
}

/* ---- one file, start to end ---- */

/* Decodes the body and reads its header row. *text is the decoded copy the reader uses. */
static int open_csv(const char *data, size_t len, struct residents_import *im, char **text,
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

int residents_import_next_row(struct residents_import *im,
			      const struct residents_import_columns *cols, int rc,
			      const struct csv_record *rec, const struct err *rerr)
{
	char msg[96];

	im->rows++;
	if (rc < 0 && rc != ERR_INVALID)
		return rc;
	if (rc < 0) {
		residents_import_error(im, rec->line, NULL, rerr->msg);
	} else if (rec->nfields != cols->nfields) {
		snprintf(msg, sizeof(msg), "the row has %d columns; the header has %d",
			 rec->nfields, cols->nfields);
		residents_import_error(im, rec->line, NULL, msg);
	} else {
		return 1;
	}
	im->skipped++;
	return 0;
}

int residents_import_run(struct store *s, const char *data, size_t len,
			 const struct residents_import_format *f, void *arg, json_t **report,
			 struct err *e)
{
	struct residents_import im = { .s = s, .errors = json_array() };
	struct csv_reader rd = { 0 };
	struct csv_record rec;
	struct residents_import_columns cols;
	char *text = NULL;
	int rc;

	if ((rc = open_csv(data, len, &im, &text, &rd, &rec, e)) < 0)
		goto out;
	if ((rc = map_header(&rec, f->want, f->required, f->ncols, &cols, e)) < 0)
		goto out;
	if ((rc = f->rows(&im, &cols, &rd, arg, e)) < 0)
		goto out;
	*report = import_report(&im, f->with_unchanged);
out:
	if (rc < 0)
		store_rollback(s);
	csv_cleanup(&rd);
	free(text);
	json_decref(im.errors);
	return rc;
}

/* ---- residents CSV ---- */

enum { C_ACCOUNT, C_NAME, C_MOBILE, C_OPENID, C_AREA, C_COUNT };

struct row {
	const char *account, *name, *openid;
	char mobile[PHONE_LEN + 1];
	char openid_buf[RESIDENTS_MAX_OPENID + 1];
	char area_buf[CSV_MAX_FIELD_LEN + 1];
	const char *areas[RESIDENTS_MAX_AREAS + 1];
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
		if (row->nareas > RESIDENTS_MAX_AREAS)
			break;
		row->areas[row->nareas++] = tok;
	}
}

static void row_check(struct residents_import *im, int line, const char *field, int rc,
		      const struct err *e, int *bad)
{
	if (rc < 0) {
		residents_import_error(im, line, field, e->msg);
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
static int validate_row(struct residents_import *im, const struct residents_import_columns *cols,
			const struct csv_record *rec, json_t *seen, struct row *row)
{
	const char *const *f = rec->fields;
	struct err e;
	int bad = 0, line = rec->line, acc_rc;

	row->account = f[cols->idx[C_ACCOUNT]];
	row->name = f[cols->idx[C_NAME]];
	row->openid = cols->idx[C_OPENID] >= 0 ? f[cols->idx[C_OPENID]] : "";
	acc_rc = residents_check_text(row->account, cols->name[C_ACCOUNT], RESIDENTS_MAX_ACCOUNT,
				      &e);
	row_check(im, line, cols->name[C_ACCOUNT], acc_rc, &e, &bad);
	row_check(im, line, cols->name[C_NAME],
		  residents_check_text(row->name, cols->name[C_NAME], RESIDENTS_MAX_NAME, &e), &e,
		  &bad);
	row_check(im, line, cols->name[C_MOBILE],
		  residents_check_mobile(f[cols->idx[C_MOBILE]], cols->name[C_MOBILE], row->mobile,
					 &e),
		  &e, &bad);
	if (*row->openid != '\0')
		row_check(im, line, cols->name[C_OPENID],
			  residents_check_openid(row->openid, cols->name[C_OPENID], &e), &e, &bad);
	split_areas(f[cols->idx[C_AREA]], row);
	row_check(im, line, cols->name[C_AREA],
		  residents_check_areas(im->s, row->areas, row->nareas, cols->name[C_AREA], &e), &e,
		  &bad);
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

static int write_resident(struct residents_import *im, const struct residents_import_columns *cols,
			  struct row *row, int line, int64_t now_ms, struct err *e)
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

	if ((rc = residents_import_batch_open(im, e)) < 0)
		return rc;
	if (store_resident_upsert(im->s, &r, now_ms, &result, &werr) < 0) {
		residents_import_error(im, line,
				       strcmp(werr.field, "areas") == 0 ? cols->name[C_AREA] : NULL,
				       werr.msg);
		im->skipped++;
	} else {
		residents_import_count(im, result);
	}
	return residents_import_batch_row_done(im, e);
}

/* A residents_import_rows_fn; arg is the int64_t time of the import in ms. */
static int import_residents(struct residents_import *im,
			    const struct residents_import_columns *cols, struct csv_reader *rd,
			    void *arg, struct err *e)
{
	int64_t now_ms = *(const int64_t *)arg;
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
		rc = residents_import_next_row(im, cols, rc, &rec, &rerr);
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
	rc = residents_import_batch_finish(im, e);
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
	const struct residents_import_format f = { want, required, C_COUNT, true,
						   import_residents };

	return residents_import_run(s, data, len, &f, &now_ms, report, e);
}
