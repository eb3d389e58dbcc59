/* ini_lines: the line walker behind the INI readers of config.c and calendar.c. */
#include "ini_lines.h"

#include <string.h>

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
