/* residents: outside input into residents and areas.
 * Owns: the billing system's CSV import (UTF-8 or GBK, configured column names, per-row
 * errors with line numbers; good rows kept, bad rows skipped), the area tree's CSV and JSON
 * input, and validating resident JSON from the API (mobile normalised, areas known, no
 * unknown fields). Writes through the store only; never logs names or numbers unmasked. */
#ifndef GATEWAY_RESIDENTS_H
#define GATEWAY_RESIDENTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "store.h"

#define RESIDENTS_MAX_REPORTED_ERRORS 1000

/* Imports a CSV body. Returns 0 with *report =
 * {"encoding","rows","created","updated","unchanged","skipped","errors":[{"line","field",
 * "message"}],"errors_total"} even when rows were skipped; ERR_INVALID (no report) when the
 * file as a whole is unusable: undecodable, empty, or the header lacks a required column
 * (the message lists the header found and the names expected from [import]). Rows are
 * written in transactions of up to 1000; a row error never undoes other rows. */
int residents_import_csv(struct store *s, const struct gw_config *cfg, const char *data, size_t len,
			 int64_t now_ms, json_t **report, struct err *e);
/* Areas CSV with header code,name,parent,level; same report shape (no "unchanged"). */
int areas_import_csv(struct store *s, const char *data, size_t len, json_t **report, struct err *e);
/* {"areas":[{"code","name","parent","level"}]} -> {"created","updated"}; all or nothing. */
int areas_put_json(struct store *s, const json_t *body, json_t **report, struct err *e);
/* POST /residents: body validated (account, name, mobile, areas required; openid, opt_out
 * optional; unknown fields refused) and inserted; *out is the stored resident. */
int residents_create_json(struct store *s, const json_t *body, int64_t now_ms, json_t **out,
			  struct err *e);
/* PUT /residents/{account}: the fields given replace the stored ones. */
int residents_update_json(struct store *s, const char *account, const json_t *body, int64_t now_ms,
			  json_t **out, struct err *e);

#endif
