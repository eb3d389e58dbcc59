/* libFuzzer target: the CSV reader on arbitrary bytes (after charset detection, as the
 * importer does). Every record must have 1..CSV_MAX_FIELDS fields and a line number that
 * never goes backwards; no crash, leak or undefined behaviour. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>

#include "charset.h"
#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	struct csv_record rec;
	struct err e;
	char *text = NULL;
	size_t len = 0;
	int rc, last = 0;

	if (charset_to_utf8((const char *)data, size, &text, &len, NULL, &e) < 0)
		return 0;
	csv_init(&r, text, len);
	while ((rc = csv_next(&r, &rec, &e)) != 0) {
		if (rc > 0) {
			assert(rec.nfields >= 1 && rec.nfields <= CSV_MAX_FIELDS);
			assert(rec.line >= last);
			last = rec.line;
		}
	}
	csv_cleanup(&r);
	free(text);
	return 0;
}
