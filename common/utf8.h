/* utf8: validating and counting UTF-8 text, and the Chinese SMS billing rule.
 * Owns: "is this valid UTF-8", "how many characters", "how many SMS parts" (70 characters in
 * one part, 67 per part when longer, every character counting 1) and truncation on a
 * character boundary. Pure; no I/O. */
#ifndef COMMON_UTF8_H
#define COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Strict validation: rejects overlongs, surrogates, > U+10FFFF, truncated sequences.
 * NUL bytes inside len are invalid. On failure *bad_offset (may be NULL) gets the byte
 * offset of the first bad byte. */
bool utf8_valid(const char *s, size_t len, size_t *bad_offset);
/* Number of code points of a valid UTF-8 string. */
size_t utf8_chars(const char *s);
/* SMS parts for a text of n characters: 0 -> 0, 1..70 -> 1, else ceil(n / 67). */
int sms_parts(size_t n_chars);
/* Byte length of the longest prefix of s with at most max_chars characters. */
size_t utf8_prefix_bytes(const char *s, size_t max_chars);

#endif
