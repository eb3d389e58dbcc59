/* libFuzzer target: phone normalisation and masking on arbitrary text. A number that is
 * accepted is 11 ASCII digits starting with 1[3-9], and normalising it again gives itself. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), out[PHONE_LEN + 1], again[PHONE_LEN + 1], masked[16];
	struct err e;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (phone_normalize(in, out, &e) == 0) {
		assert(strlen(out) == PHONE_LEN && out[0] == '1' && out[1] >= '3' && out[1] <= '9');
		assert(phone_normalize(out, again, &e) == 0 && strcmp(out, again) == 0);
	}
	phone_mask(in, masked);
	free(in);
	return 0;
}
