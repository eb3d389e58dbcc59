/* libFuzzer target: the UTF-8 validator against glibc's own decoder (mbrtowc in a UTF-8
 * locale is not strict about everything we refuse, so only one direction is asserted:
 * what we accept, glibc decodes), plus counting and SMS parts on accepted text. */
#include <assert.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	const char *s = (const char *)data;
	char *z;
	mbstate_t st;
	size_t i = 0, chars = 0;

	if (!init)
		init = setlocale(LC_CTYPE, "C.UTF-8") != NULL;
	if (!utf8_valid(s, size, NULL))
		return 0;
	memset(&st, 0, sizeof(st));
	while (init && i < size) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + i, size - i, &st);
		assert(n != (size_t)-1 && n != (size_t)-2 && n != 0);
		i += n;
		chars++;
	}
	if ((z = malloc(size + 1)) == NULL)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	assert(!init || utf8_chars(z) == chars);
	assert(sms_parts(utf8_chars(z)) >= (size > 0));
	assert(utf8_prefix_bytes(z, 5) <= size);
	free(z);
	return 0;
}
