/* csv: a reader for RFC 4180 CSV as exported by spreadsheets and billing systems.
 * Owns: splitting UTF-8 text into records and fields: quoted fields with "" escapes and
 * embedded newlines, CRLF or LF, a missing final newline, surrounding spaces trimmed from
 * unquoted fields, blank lines skipped. Knows nothing about columns' meaning. Pure. */
#ifndef COMMON_CSV_H
#define COMMON_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD_LEN 4096

struct csv_reader {
	const char *p, *end;
	int line; /* 1-based line where the next record starts */
	char *buf; /* field storage of the current record (owned) */
	size_t buf_cap;
};

struct csv_record {
	int line; /* 1-based line the record started on */
	int nfields;
	const char *fields[CSV_MAX_FIELDS]; /* point into the reader's buffer; valid until next */
};

/* text must stay alive while the reader is used. */
void csv_init(struct csv_reader *r, const char *text, size_t len);
void csv_cleanup(struct csv_reader *r);
/* Returns 1 and fills rec when a record was read, 0 at the end, ERR_INVALID on a
 * malformed record (unterminated quote, stray quote, too many fields, field too long) with
 * e naming the line; after an error the reader has skipped to the next line, so the caller
 * may report it and go on. */
int csv_next(struct csv_reader *r, struct csv_record *rec, struct err *e);

/* ---- writing (reports for Excel) ---- */
/* A growing buffer with a hard cap; the first failure sticks and later writes do nothing,
 * so a report is written without an error check per field. */
struct csv_writer {
	char *p;
	size_t len, cap, max;
	int err; /* 0, ERR_NOMEM or ERR_TOOBIG */
};
/* max: the most bytes the output may have. */
void csv_writer_init(struct csv_writer *w, size_t max);
/* Bytes as they are (a BOM, a header line). */
void csv_writer_raw(struct csv_writer *w, const char *s, size_t n);
/* One field as RFC 4180 has it (quoted, quotes doubled, when it holds a comma, a quote or a
 * line break; NULL writes an empty field), then a comma, or CRLF after the last field. */
void csv_writer_field(struct csv_writer *w, const char *v, bool last);
/* Ends the output with a NUL (not counted in *len) and hands it over (*out malloc'd), or
 * returns the sticky error (ERR_NOMEM, ERR_TOOBIG) with the buffer freed. */
int csv_writer_finish(struct csv_writer *w, char **out, size_t *len);

#endif
