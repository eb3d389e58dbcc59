/* case_rules_load: reads config/cases.ini into a struct case_rules (see case_rules.h),
 * collecting every problem as "FILE:LINE: [section] key: what; how to fix". This file walks
 * the lines: it reads the text, opens sections and hands each key = value line to its
 * section's handler in case_rules_check.c, which checks it (case_rules_internal.h). Line
 * numbers: as calendar.c does, inih gets one line per reader call and the calls are counted,
 * because Debian's inih is built without line numbers in its handler. Sections are a const
 * table. Never logs and never reads the clock. */
#include "case_rules_internal.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rules are a page or two of text; anything bigger is the wrong file. */
#define CR_MAX_FILE (64 * 1024)

void case_rules_problem(struct cr_loader *ld, int line, const char *sec, const char *key,
			const char *fmt, ...)
{
	struct case_rules_problems *p = &ld->probs;
	char what[240], at[16] = "", loc[112] = "";
	va_list ap;

	if (p->n == CASE_RULES_MAX_PROBLEMS) {
		p->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(at, sizeof(at), "%d:", line);
	if (sec != NULL)
		snprintf(loc, sizeof(loc), "[%s]%s%s: ", sec, key ? " " : "", key ? key : "");
	else if (key != NULL)
		snprintf(loc, sizeof(loc), "%s: ", key);
	if (snprintf(p->msg[p->n], sizeof(p->msg[0]), "%s:%s %s%s", ld->path, at, loc, what) < 0)
		p->msg[p->n][0] = '\0';
	p->n++;
}

/* inih's handler: one key = value line, filed under the section the reader has seen. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct cr_loader *ld = user;

	(void)section; /* the reader has seen the header and set on_key */
	if (ld->sec[0] == '\0')
		case_rules_problem(ld, ld->line, NULL, name,
				   "outside a section; put it under its [section]");
	else if (ld->on_key != NULL)
		ld->on_key(ld, name, value);
	return 1;
}

/* A [header] line (trimmed): makes its section the current one, or reports why not. */
static void start_section(struct cr_loader *ld, const char *s, size_t len)
{
	static const struct {
		const char *name;
		cr_key_fn on_key;
	} secs[] = { { "cases", case_rules_check_cases },
		     { "departments", case_rules_check_named },
		     { "categories", case_rules_check_named },
		     { "classes", case_rules_check_rule },
		     { "routing", case_rules_check_rule } };

	ld->on_key = NULL;
	snprintf(ld->sec, sizeof(ld->sec), "%.*s", (int)(len > 2 ? len - 2 : 0), s + 1);
	if (len < 3 || s[len - 1] != ']') {
		case_rules_problem(ld, ld->line, NULL, NULL,
				   "\"%.*s\" is not a section header; write [NAME]",
				   (int)(len > 40 ? 40 : len), s);
		snprintf(ld->sec, sizeof(ld->sec), "?"); /* its keys are not outside a section */
		return;
	}
	if (strncmp(ld->sec, "class.", 6) == 0) {
		case_rules_check_class_header(ld, ld->sec + 6);
		return;
	}
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (strcmp(ld->sec, secs[i].name) == 0)
			ld->on_key = secs[i].on_key;
	if (ld->on_key == case_rules_check_cases && ld->cases_line == 0)
		ld->cases_line = ld->line;
	if (ld->on_key == NULL)
		case_rules_problem(
			ld, ld->line, ld->sec, NULL,
			"unknown section; known sections: [cases], [departments], [categories], [classes], [routing] and one [class.NAME] per deadline class");
}

/* inih's fgets-style reader: hands over exactly one trimmed line per call (file header). */
static char *read_line(char *buf, int num, void *stream)
{
	struct cr_loader *ld = stream;
	const char *p;
	size_t len;

	if (!ini_lines_next(&ld->lines, &p, &len))
		return NULL;
	ld->line = ld->lines.line;
	if (num < 1 || len > (size_t)num - 1) {
		case_rules_problem(
			ld, ld->line, NULL, NULL,
			"line is %zu bytes, longer than the %d the INI reader takes; shorten it",
			len, num - 1);
		if (*p == '[') { /* do not file its keys under the previous section */
			ld->on_key = NULL;
			snprintf(ld->sec, sizeof(ld->sec), "?");
		}
		len = 0;
	}
	if (len > 0 && *p == '[')
		start_section(ld, p, len);
	else if (len > 0 && memchr(p, '=', len) == NULL)
		case_rules_problem(
			ld, ld->line, NULL, NULL,
			"not a \"key = value\" line, a [section] header or a ; comment; fix or delete it");
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

int case_rules_load(const char *path, struct case_rules **out, struct case_rules_problems *probs,
		    struct err *e)
{
	struct cr_loader *ld = calloc(1, sizeof(*ld));
	char *text = NULL;
	int rc;

	if (ld == NULL || (ld->r = calloc(1, sizeof(*ld->r))) == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "%s: out of memory loading the case rules", path);
		goto out;
	}
	rc = ini_lines_read_file(path, CR_MAX_FILE, "case rules", &text, e);
	if (rc != 0)
		goto out;
	ld->path = path;
	ini_lines_init(&ld->lines, text, strlen(text));
	/* What a file that leaves a [cases] key out gets; the required ones stay -1. */
	ld->r->default_class = ld->r->default_dept = ld->r->leaders_dept = -1;
	ld->r->warn_percent = 80;
	ld->r->notify_dispatch = true;
	ld->r->cluster_count = 3;
	ld->r->cluster_window_min = 24 * 60;
	ld->r->repeat_window_days = 30;
	if (ini_parse_stream(read_line, ld, on_key, ld) == -2)
		case_rules_problem(ld, 0, NULL, NULL, "out of memory parsing the file");
	case_rules_check_finish(ld);
	if (probs != NULL)
		*probs = ld->probs;
	if (ld->probs.n > 0) {
		rc = err_set(e, ERR_INVALID, NULL, "%s%s", ld->probs.msg[0],
			     ld->probs.n + ld->probs.more > 1 ? " (and more problems)" : "");
		goto out;
	}
	*out = ld->r;
	ld->r = NULL;
out:
	if (ld != NULL)
		free(ld->r);
	free(ld);
	free(text);
	return rc;
}
