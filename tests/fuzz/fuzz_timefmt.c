/* libFuzzer target: ISO 8601 parsing of what API clients send. An accepted time formats
 * back and parses to the same instant. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), buf[32];
	int64_t ms, back;
	struct err e;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (timefmt_parse(in, &ms, &e) == 0) {
		timefmt_iso(ms, 480, buf);
		assert(timefmt_parse(buf, &back, &e) == 0 && back == ms - ms % 1000);
	}
	free(in);
	return 0;
}
