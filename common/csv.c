/* csv: splitting RFC 4180 text into records and fields, with the line each started on.
 * Called by the resident and area imports after charset_to_utf8. Knows nothing about what
 * columns mean. Pure: no I/O, no logging; its one allocation is the reader's field buffer,
 * capped through CSV_MAX_FIELDS and CSV_MAX_FIELD_LEN. Written here rather than taken from
 * libcsv because that library is callback-driven, reports neither line numbers nor where a
 * bad record ends, and an import must name the bad line and carry on with the next. */
#include "csv.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every field at its longest with its NUL: the buffer never needs more than this. */
#define CSV_BUF_MAX ((size_t)CSV_MAX_FIELDS * (CSV_MAX_FIELD_LEN + 1))
#define CSV_BUF_MIN 256
#define WHY_MAX 160

/* One record being read. Fields are kept as offsets because the buffer may move. */
struct parse {
	struct csv_reader *r;
	int line; /* where the record started */
	int err_line; /* where a syntax error was found */
	int field; /* 1-based number of the field being read */
	size_t used; /* bytes of r->buf holding finished fields */
	size_t off[CSV_MAX_FIELDS];
	/* The first limit the record broke. Such a record is still read to its end, so that
	 * the next one starts in the right place, but it is not returned. */
	char why[WHY_MAX];
};

void csv_init(struct csv_reader *r, const char *text, size_t len)
{
	if (text == NULL) {
		text = "";
		len = 0;
	}
	r->p = text;
	/* cppcheck-suppress pointerOutOfBoundsCond ; text has len bytes, so text + len is its end */
	r->end = text + len;
	r->line = 1;
	r->buf = NULL;
	r->buf_cap = 0;
	/* A BOM left by a spreadsheet would otherwise stick to the first column's name. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
}

void csv_cleanup(struct csv_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	r->buf = NULL;
	r->buf_cap = 0;
}

/* Length of the line end at p: LF, CRLF, or a lone CR as old Mac exports write; else 0. */
static size_t eol_len(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return 1;
	if (p < end && *p == '\r')
		return p + 1 < end && p[1] == '\n' ? 2 : 1;
	return 0;
}

static void skip_blanks(struct csv_reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
		r->p++;
}

/* Moves past the end of the physical line r->p is on. */
static void skip_line(struct csv_reader *r)
{
	while (r->p < r->end) {
		size_t n = eol_len(r->p, r->end);

		if (n > 0) {
			r->p += n;
			r->line++;
			return;
		}
		r->p++;
	}
}

/* Skips lines holding nothing but spaces and tabs; false when the text has ended. */
static bool skip_blank_lines(struct csv_reader *r)
{
	for (;;) {
		const char *q = r->p;
		size_t n;

		while (q < r->end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == r->end) {
			r->p = q;
			return false;
		}
		n = eol_len(q, r->end);
		if (n == 0)
			return true;
		r->p = q + n;
		r->line++;
	}
}

static int buf_reserve(struct csv_reader *r, size_t need, struct err *e)
{
	size_t cap = r->buf_cap > 0 ? r->buf_cap : CSV_BUF_MIN;
	char *nb;

	assert(need <= CSV_BUF_MAX);
	if (need <= r->buf_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > CSV_BUF_MAX)
		cap = CSV_BUF_MAX;
	nb = realloc(r->buf, cap);
	if (nb == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory reading CSV (%zu bytes)", cap);
	r->buf = nb;
	r->buf_cap = cap;
	return 0;
}

/* Reports a malformed record at line and skips the rest of the physical line r->p is on,
 * so that the next call starts on a fresh line. */
static int syntax_error(struct parse *ps, int line, const char *what, struct err *e)
{
	skip_line(ps->r);
	ps->err_line = line;
	return err_set(e, ERR_INVALID, NULL, "line %d, field %d: %s", line, ps->field, what);
}

/* Appends c to the field being read, or notes that the field has grown too long. */
static void field_put(struct parse *ps, size_t *len, char c)
{
	if (ps->why[0] == '\0' && *len == CSV_MAX_FIELD_LEN)
		snprintf(ps->why, WHY_MAX, "field %d is longer than %d bytes", ps->field,
			 CSV_MAX_FIELD_LEN);
	if (ps->why[0] == '\0')
		ps->r->buf[ps->used + *len] = c;
	(*len)++;
}

static int read_unquoted(struct parse *ps, size_t *len, struct err *e)
{
	struct csv_reader *r = ps->r;
	const char *s = r->p, *t;

	for (; r->p < r->end && *r->p != ',' && eol_len(r->p, r->end) == 0; r->p++) {
		if (*r->p == '"')
			return syntax_error(ps, r->line,
					    "a quote inside an unquoted field; put the "
					    "whole field in quotes and double the quote inside it "
					    "(\"5\"\" pipe\")",
					    e);
		if (*r->p == '\0')
			return syntax_error(ps, r->line, "a NUL byte; is this a binary file?", e);
	}
	for (t = r->p; t > s && (t[-1] == ' ' || t[-1] == '\t'); t--)
		;
	for (; s < t; s++)
		field_put(ps, len, *s);
	return 0;
}

/* Reads a quoted field from its opening quote. A quote that never closes is reported at
 * its own line, and reading resumes after that line rather than at the end of the text. */
static int read_quoted(struct parse *ps, size_t *len, struct err *e)
{
	struct csv_reader *r = ps->r;
	const char *open = r->p;
	int open_line = r->line;

	for (r->p++; r->p < r->end;) {
		size_t n = eol_len(r->p, r->end);

		if (*r->p == '"' && r->p + 1 < r->end && r->p[1] == '"') {
			field_put(ps, len, '"');
			r->p += 2;
		} else if (*r->p == '"') {
			r->p++;
			return 0;
		} else if (*r->p == '\0') {
			return syntax_error(ps, r->line, "a NUL byte; is this a binary file?", e);
		} else if (n > 0) {
			/* A line break inside quotes is data, but it still starts a new line. */
			for (size_t i = 0; i < n; i++)
				field_put(ps, len, *r->p++);
			r->line++;
		} else {
			field_put(ps, len, *r->p++);
		}
	}
	r->p = open;
	r->line = open_line;
	return syntax_error(ps, open_line,
			    "the quote that opens this field is never closed; "
			    "add the closing quote, or double a quote that is part of the text "
			    "(\"\")",
			    e);
}

/* After a field: a comma means another field follows (0); a line end or the end of the
 * text ends the record (1); anything else can only follow a closing quote and is wrong. */
static int end_of_field(struct parse *ps, struct err *e)
{
	struct csv_reader *r = ps->r;
	size_t n;

	skip_blanks(r);
	if (r->p == r->end)
		return 1;
	if (*r->p == ',') {
		r->p++;
		return 0;
	}
	n = eol_len(r->p, r->end);
	if (n > 0) {
		r->p += n;
		r->line++;
		return 1;
	}
	return syntax_error(ps, r->line,
			    "text follows the closing quote; put the whole field "
			    "in quotes and double the quotes inside it (\"\")",
			    e);
}

static int read_field(struct parse *ps, struct err *e)
{
	struct csv_reader *r = ps->r;
	size_t len = 0;
	int rc;

	ps->field++;
	if (ps->field > CSV_MAX_FIELDS && ps->why[0] == '\0')
		snprintf(ps->why, WHY_MAX, "the record has more than %d fields", CSV_MAX_FIELDS);
	if (ps->why[0] == '\0') {
		rc = buf_reserve(r, ps->used + CSV_MAX_FIELD_LEN + 1, e);
		if (rc < 0)
			return rc;
	}
	skip_blanks(r);
	if (r->p < r->end && *r->p == '"')
		rc = read_quoted(ps, &len, e);
	else
		rc = read_unquoted(ps, &len, e);
	if (rc < 0)
		return rc;
	if (ps->why[0] == '\0') {
		ps->off[ps->field - 1] = ps->used;
		r->buf[ps->used + len] = '\0';
		ps->used += len + 1;
	}
	return end_of_field(ps, e);
}

/* On ERR_INVALID, rec->line is set to the line the message names and rec->nfields to 0,
 * so that an import can list the error by line without parsing the message. */
int csv_next(struct csv_reader *r, struct csv_record *rec, struct err *e)
{
	struct parse ps = { .r = r };
	int rc;

	if (!skip_blank_lines(r))
		return 0;
	ps.line = r->line;
	ps.err_line = r->line;
	do {
		rc = read_field(&ps, e);
	} while (rc == 0);
	if (rc > 0 && ps.why[0] != '\0')
		rc = err_set(e, ERR_INVALID, NULL, "line %d: %s", ps.line, ps.why);
	if (rc < 0) {
		rec->line = ps.err_line;
		rec->nfields = 0;
		return rc;
	}
	rec->line = ps.line;
	rec->nfields = ps.field;
	for (int i = 0; i < ps.field; i++)
		rec->fields[i] = r->buf + ps.off[i];
	return 1;
}

void csv_writer_init(struct csv_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void csv_writer_raw(struct csv_writer *w, const char *s, size_t n)
{
	if (w->err != 0)
		return;
	if (w->len + n + 1 > w->max) {
		w->err = ERR_TOOBIG;
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *p;

		while (cap < w->len + n + 1)
			cap *= 2;
		if ((p = realloc(w->p, cap)) == NULL) {
			w->err = ERR_NOMEM;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

void csv_writer_field(struct csv_writer *w, const char *v, bool last)
{
	if (v == NULL)
		v = "";
	if (strpbrk(v, ",\"\r\n") == NULL) {
		csv_writer_raw(w, v, strlen(v));
	} else {
		csv_writer_raw(w, "\"", 1);
		for (const char *q; (q = strchr(v, '"')) != NULL; v = q + 1) {
			csv_writer_raw(w, v, (size_t)(q - v) + 1);
			csv_writer_raw(w, "\"", 1);
		}
		csv_writer_raw(w, v, strlen(v));
		csv_writer_raw(w, "\"", 1);
	}
	csv_writer_raw(w, last ? "\r\n" : ",", last ? 2 : 1);
}

int csv_writer_finish(struct csv_writer *w, char **out, size_t *len)
{
	if (w->err == 0 && w->p == NULL)
		csv_writer_raw(w, "", 0);
	if (w->err != 0) {
		free(w->p);
		w->p = NULL;
		return w->err;
	}
	w->p[w->len] = '\0';
	*out = w->p;
	*len = w->len;
	w->p = NULL;
	return 0;
}
