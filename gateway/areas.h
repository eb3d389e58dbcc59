/* areas: the area tree (district > street > community > building) from outside.
 * Owns: the area tree's CSV import, whose rows may come before their parents, and its JSON
 * input, which is all or nothing. Called by the HTTP API; writes through the store only. */
#ifndef GATEWAY_AREAS_H
#define GATEWAY_AREAS_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

/* Areas CSV with header code,name,parent,level; the report has the shape of
 * residents_import_csv's without "unchanged". Rows whose parent comes later in the file are
 * written once it has been; ERR_TOOBIG when more than 100000 rows wait for a parent. */
int areas_import_csv(struct store *s, const char *data, size_t len, json_t **report, struct err *e);
/* {"areas":[{"code","name","parent","level"}]} -> {"created","updated"}; all or nothing.
 * Items are stored in order, so a parent must come before its children. */
int areas_put_json(struct store *s, const json_t *body, json_t **report, struct err *e);

#endif
