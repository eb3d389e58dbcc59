/* config_problem: the problems one configuration load collects, and the typo finder behind
 * its "did you mean" hints. Each problem becomes one "FILE:LINE: [sec] key: what" line;
 * past CONFIG_MAX_PROBLEMS they are only counted, and config_problem_report hands them out.
 * Called by config.c and config_check.c (see config_internal.h) while a file is loaded.
 * Never logs, and never sees a secret: callers keep values of secret keys out of messages. */
#include "config_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void config_problem(struct config_loader *ld, int line, const char *sec, const char *key,
		    const char *fmt, ...)
{
	struct config_problem_log *pl = config_loader_problems(ld);
	char what[256], loc[200] = "", at[16] = "";
	va_list ap;

	if (pl->probs.n == CONFIG_MAX_PROBLEMS) {
		pl->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (sec != NULL && key != NULL)
		snprintf(loc, sizeof(loc), "[%s] %s: ", sec, key);
	else if (sec != NULL)
		snprintf(loc, sizeof(loc), "[%s]: ", sec);
	else if (key != NULL)
		snprintf(loc, sizeof(loc), "%s: ", key);
	if (line > 0)
		snprintf(at, sizeof(at), "%d:", line);
	if (pl->probs.n == 0)
		snprintf(pl->first_key, sizeof(pl->first_key), "%s", key ? key : "");
	if (snprintf(pl->probs.msg[pl->probs.n], sizeof(pl->probs.msg[0]), "%s:%s %s%s", pl->path,
		     at, loc, what) < 0)
		pl->probs.msg[pl->probs.n][0] = '\0';
	pl->probs.n++;
}

static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[65];

	if (la > 64 || lb > 64)
		return INT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* One slip in a short name, two in a longer one. */
int config_problem_is_typo(const char *typed, const char *known)
{
	return edit_distance(typed, known) <= (strlen(known) > 5 ? 2 : 1);
}

void config_join(char *buf, size_t n, const char *item)
{
	size_t used = strlen(buf);

	if (used < n)
		snprintf(buf + used, n - used, "%s%s", used ? ", " : "", item);
}

/* Looks through the key names of t in section sec (NULL: all), or with sections set through
 * its distinct section names instead, for the one typed is a typo of. Returns it, or NULL
 * with all the names looked at in known (capacity kn), comma-separated. */
static const char *near_miss(const struct config_key *t, size_t n, const char *sec, int sections,
			     const char *typed, char *known, size_t kn)
{
	for (size_t i = 0; i < n; i++) {
		const char *cand = sections ? t[i].section : t[i].name;

		if (sections ? (i > 0 && strcmp(cand, t[i - 1].section) == 0)
			     : (sec != NULL && strcmp(t[i].section, sec) != 0))
			continue;
		if (config_problem_is_typo(typed, cand))
			return cand;
		config_join(known, kn, cand);
	}
	return NULL;
}

void config_problem_unknown_key(struct config_loader *ld, int line, const char *at,
				const struct config_key *t, size_t n, const char *sec,
				const char *name)
{
	char known[200] = "";
	const char *hint;

	for (size_t i = 0; sec != NULL && i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			config_problem(ld, line, at, name, "does not belong here; move it to [%s]",
				       t[i].section);
			return;
		}
	}
	hint = near_miss(t, n, sec, 0, name, known, sizeof(known));
	if (hint != NULL)
		config_problem(ld, line, at, name, "unknown key; did you mean %s?", hint);
	else
		config_problem(ld, line, at, name, "unknown key; known keys here: %s", known);
}

void config_problem_unknown_section(struct config_loader *ld, int line, const struct config_key *t,
				    size_t n, const char *name)
{
	const char *dot = strchr(name, '.'), *hint;
	char known[200] = "", head[64];

	snprintf(head, sizeof(head), "%.*s", dot ? (int)(dot - name) : 63, name);
	if (dot != NULL && config_problem_is_typo(head, "provider")) {
		config_problem(ld, line, name, NULL, "unknown section; did you mean [provider%s]?",
			       dot);
		return;
	}
	hint = near_miss(t, n, NULL, 1, name, known, sizeof(known));
	if (hint != NULL) {
		config_problem(ld, line, name, NULL, "unknown section; did you mean [%s]?", hint);
		return;
	}
	config_join(known, sizeof(known), "provider.NAME");
	config_problem(ld, line, name, NULL, "unknown section; known sections: %s", known);
}

int config_problem_report(struct config_problem_log *pl, int rc, struct config_problems *probs,
			  struct err *e)
{
	struct config_problems *p = &pl->probs;

	if (pl->more > 0 &&
	    snprintf(p->msg[p->n - 1], sizeof(p->msg[0]),
		     "%s: %d more problems not shown; fix the ones above first", pl->path,
		     pl->more + 1) < 0)
		p->msg[p->n - 1][0] = '\0';
	if (probs != NULL)
		*probs = *p;
	if (p->n == 0)
		return 0;
	if (p->n == 1)
		return err_set(e, rc ? rc : ERR_INVALID, pl->first_key, "%s", p->msg[0]);
	return err_set(e, rc ? rc : ERR_INVALID, pl->first_key, "%s (and %d more problems)",
		       p->msg[0], p->n - 1 + pl->more);
}
