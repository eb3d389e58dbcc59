/* ini_lines: the line walker behind the INI readers of config.c, calendar.c and the case
 * rules, and the bounded file read that calendar.c and the case rules share. */
#include "ini_lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ini_lines_read_file(const char *path, size_t max, const char *what, char **out, struct err *e)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int rc = 0;

	if (f == NULL)
		return err_set(
			e, ERR_IO, NULL,
			"cannot open the %s %s: %s; check the path and the file's permissions",
			what, path, strerror(errno));
	if ((buf = malloc(max + 1)) == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "%s: out of memory reading the %s", path, what);
		goto out;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		rc = err_set(e, ERR_IO, NULL, "cannot read the %s %s; check the disk", what, path);
	else if (n > max)
		rc = err_set(e, ERR_INVALID, NULL, "%s is larger than %zu KiB; is it the %s file?",
			     path, max / 1024, what);
	if (rc == 0) {
		buf[n] = '\0';
		*out = buf;
		buf = NULL;
	}
out:
	free(buf);
	fclose(f);
	return rc;
}

void ini_lines_init(struct ini_lines *r, const char *text, size_t len)
{
	r->text = text;
	r->len = len;
	r->pos = 0;
	r->line = 0;
}

int ini_lines_next(struct ini_lines *r, const char **out, size_t *n)
{
	const char *p = r->text + r->pos, *nl;
	size_t len;

	if (r->pos >= r->len)
		return 0;
	nl = memchr(p, '\n', r->len - r->pos);
	len = nl ? (size_t)(nl - p) : r->len - r->pos;
	r->pos += len + (nl != NULL);
	r->line++;
	if (r->line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3, len -= 3;
	for (; len > 0 && (*p == ' ' || *p == '\t'); p++)
		len--;
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	if (len > 0 && (*p == ';' || *p == '#'))
		len = 0;
	*out = p;
	*n = len;
	return 1;
}
