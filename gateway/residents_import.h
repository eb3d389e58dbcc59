/* residents_import: CSV files from outside into the store, row by row.
 * Owns: the billing system's CSV import (UTF-8 or GBK, configured column names, per-row
 * errors with line numbers; good rows kept, bad rows skipped), and what every CSV import
 * shares: decoding, finding the columns in the header, batched transactions and the report.
 * areas.c imports the area tree through residents_import_run. Writes through the store
 * only; never logs a cell, since cells are residents' personal data. */
#ifndef GATEWAY_RESIDENTS_IMPORT_H
#define GATEWAY_RESIDENTS_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "csv.h"
#include "err.h"
#include "store.h"

#define RESIDENTS_IMPORT_MAX_REPORTED_ERRORS 1000
#define RESIDENTS_IMPORT_COL_MAX 8 /* columns an import looks for */
#define RESIDENTS_IMPORT_COL_NAME_MAX 64

/* Imports a CSV body. Returns 0 with *report =
 * {"encoding","rows","created","updated","unchanged","skipped","errors":[{"line","field",
 * "message"}],"errors_total"} even when rows were skipped; ERR_INVALID (no report) when the
 * file as a whole is unusable: undecodable, empty, or the header lacks a required column
 * (the message lists the header found and the names expected from [import]). Rows are
 * written in transactions of up to 1000; a row error never undoes other rows. */
int residents_import_csv(struct store *s, const struct gw_config *cfg, const char *data, size_t len,
			 int64_t now_ms, json_t **report, struct err *e);

/* ---- for other CSV imports ---- */

/* One import's progress; the counts and errors become its report. */
struct residents_import {
	struct store *s;
	const char *encoding;
	int rows, created, updated, unchanged, skipped;
	int errors_total;
	json_t *errors;
	int in_batch; /* rows written in the open transaction; 0 when none is open */
};

/* Where the wanted columns are in the file, found from its header row. */
struct residents_import_columns {
	int n; /* columns asked for */
	int idx[RESIDENTS_IMPORT_COL_MAX]; /* field index in the file, -1 when absent */
	char name[RESIDENTS_IMPORT_COL_MAX]
		 [RESIDENTS_IMPORT_COL_NAME_MAX]; /* as written in the file, for reports */
	int nfields; /* fields in the header row */
};

/* Reads the rows after the header and writes the good ones; returns 0 or a fatal error
 * code, after which the import is rolled back and has no report. */
typedef int (*residents_import_rows_fn)(struct residents_import *im,
					const struct residents_import_columns *cols,
					struct csv_reader *rd, void *arg, struct err *e);

/* What a kind of file looks like and how its rows are handled. */
struct residents_import_format {
	const char *const *want; /* the header names of the columns, ASCII case ignored */
	const bool *required; /* per column: a file without it is unusable */
	int ncols; /* at most RESIDENTS_IMPORT_COL_MAX */
	bool with_unchanged; /* the report counts rows that were already as stored */
	residents_import_rows_fn rows;
};

/* Decodes data, maps its header and calls f->rows(arg). Returns 0 with a report of the
 * residents_import_csv shape (without "unchanged" unless f->with_unchanged), or a negative
 * code without one when the file is unusable or f->rows failed. */
int residents_import_run(struct store *s, const char *data, size_t len,
			 const struct residents_import_format *f, void *arg, json_t **report,
			 struct err *e);
/* Counts a record from csv_next (rc is its result) and reports it when it is malformed or
 * has the wrong number of fields; returns 1 for a usable row, 0 for a skipped one, or a
 * fatal error code (rerr then says what). */
int residents_import_next_row(struct residents_import *im,
			      const struct residents_import_columns *cols, int rc,
			      const struct csv_record *rec, const struct err *rerr);
/* Adds an error of line to the report; field (NULL or "" for the whole row) names a column. */
void residents_import_error(struct residents_import *im, int line, const char *field,
			    const char *msg);
/* Counts a written row by the store's result: STORE_CREATED, STORE_UPDATED or unchanged. */
void residents_import_count(struct residents_import *im, int result);
/* Rows are written in transactions of up to 1000: open one before a row is written, mark the
 * row done after it (which commits a full batch), and finish after the last row. */
int residents_import_batch_open(struct residents_import *im, struct err *e);
int residents_import_batch_row_done(struct residents_import *im, struct err *e);
int residents_import_batch_finish(struct residents_import *im, struct err *e);

#endif
