/* ini_lines: hands an INI text to inih one line at a time, so that the caller knows each
 * line's number (the packaged inih is built without line numbers in its handler).
 * Owns: splitting lines, dropping a UTF-8 BOM on the first, trimming blanks and CR, and
 * blanking ; and # comments (any length is fine for them). Pure; the caller owns the text. */
#ifndef COMMON_INI_LINES_H
#define COMMON_INI_LINES_H

#include <stddef.h>

#include "err.h"

struct ini_lines {
	const char *text;
	size_t len, pos;
	int line; /* number of the line last returned, 1-based */
};

void ini_lines_init(struct ini_lines *r, const char *text, size_t len);
/* The next line, trimmed, in *p and *n (not NUL-terminated; *n 0 for a blank line or a
 * comment). Returns 0 at the end of the text, 1 otherwise. */
int ini_lines_next(struct ini_lines *r, const char **p, size_t *n);

/* Reads the whole file path (at most max bytes) into *out (malloc'd, NUL-terminated).
 * what names the file in messages ("calendar"). ERR_IO when it cannot be opened or read,
 * ERR_INVALID when it is larger than max. */
int ini_lines_read_file(const char *path, size_t max, const char *what, char **out, struct err *e);

#endif
