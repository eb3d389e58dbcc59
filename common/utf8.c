/* utf8: strict UTF-8 validation, character counting and the SMS part rule.
 * Called by the API layer (request bodies), charset detection, masking, phone parsing and
 * the SMS providers. Pure: never allocates, never logs. Validation follows RFC 3629
 * table 3-7 so that overlongs, surrogates and code points above U+10FFFF are refused. */
#include "utf8.h"

#include <limits.h>

/* One SMS part holds 70 characters; a longer text is split into parts of 67 because each
 * part then carries a 3-character concatenation header. */
#define SMS_SINGLE_MAX 70
#define SMS_MULTI_PART 67

static bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Length of the well-formed sequence at u (avail bytes left), or 0 if it is not one. */
static size_t seq_len(const unsigned char *u, size_t avail)
{
	unsigned char c = u[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c < 0xC2) /* a stray continuation byte, or C0/C1 which can only be overlong */
		return 0;
	if (c < 0xE0) {
		n = 2;
	} else if (c < 0xF0) {
		n = 3;
		lo = c == 0xE0 ? 0xA0 : lo; /* E0 80..9F would be overlong */
		hi = c == 0xED ? 0x9F : hi; /* ED A0..BF would be a surrogate */
	} else if (c < 0xF5) {
		n = 4;
		lo = c == 0xF0 ? 0x90 : lo; /* F0 80..8F would be overlong */
		hi = c == 0xF4 ? 0x8F : hi; /* F4 90.. would be above U+10FFFF */
	} else {
		return 0;
	}
	if (avail < n || u[1] < lo || u[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++) {
		if (!is_cont(u[k]))
			return 0;
	}
	return n;
}

bool utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = seq_len(u + i, len - i);

		if (n == 0) {
			if (bad_offset != NULL)
				*bad_offset = i;
			return false;
		}
		i += n;
	}
	return true;
}

/* Counts like utf8_prefix_bytes, so that both agree on text that is not valid. */
size_t utf8_chars(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;

	for (size_t i = 0; u[i] != '\0'; i++) {
		if (i == 0 || !is_cont(u[i]))
			n++;
	}
	return n;
}

int sms_parts(size_t n_chars)
{
	size_t parts;

	if (n_chars == 0)
		return 0;
	if (n_chars <= SMS_SINGLE_MAX)
		return 1;
	parts = (n_chars + SMS_MULTI_PART - 1) / SMS_MULTI_PART;
	return parts > INT_MAX ? INT_MAX : (int)parts;
}

/* A character starts at every byte that is not a continuation byte; the first byte always
 * starts one, so stray continuation bytes stay attached to the character before them. */
size_t utf8_prefix_bytes(const char *s, size_t max_chars)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, chars = 0;

	for (; u[i] != '\0'; i++) {
		if (i == 0 || !is_cont(u[i])) {
			if (chars == max_chars)
				break;
			chars++;
		}
	}
	return i;
}
