/* config_template: the template.KIND and params.KIND keys of [provider.NAME] sections, which
 * name a provider-approved template (Alibaba TemplateCode, Tencent TemplateId, WeChat
 * template_id) and its parameters for one message kind. Owns the const table of kinds, the
 * rows config.c applies those keys with, the parser of params (every variable must be one the
 * kind has, as templates_kind_vars says), and the check that a provider sending approved
 * templates has both keys for every kind: a missing template is a start-up problem, never a
 * send-time surprise. Called by config.c and config_check.c (see config_internal.h).
 * Pure: no I/O, no state. */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

#include "templates.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TEMPLATE_PREFIX "template"
#define PARAMS_PREFIX "params"

/* Later kinds are added here (and to the templates module's table). */
static const char *const kinds[] = { "planned",         "emergency",     "update",
				     "restored",        "cancelled",     "case_accepted",
				     "case_dispatched", "case_resolved", "case_explained",
				     "appt_confirmed",  "appt_reminder", "appt_moved",
				     "appt_cancelled",  "appt_missed",   "survey" };

_Static_assert(ARRAY_LEN(kinds) <= PROVIDER_MAX_TEMPLATES,
	       "every kind needs a slot in struct provider_config's templates");

int config_template_nkinds(void)
{
	return (int)ARRAY_LEN(kinds);
}

const char *config_template_kind(int kind)
{
	return kind >= 0 && kind < (int)ARRAY_LEN(kinds) ? kinds[kind] : NULL;
}

static int find_kind(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i], s) == 0)
			return (int)i;
	return -1;
}

static char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* One item of params, "variable" or "name=variable"; vars: the kind's (NULL: not checked). */
static int check_item(char *item, const char *kind, const char *const *vars, char *why, size_t n)
{
	char *eq = strchr(item, '='), *var = trim(eq != NULL ? eq + 1 : item), known[200] = "";

	if (eq != NULL)
		*eq = '\0';
	if (*var == '\0' || *trim(item) == '\0') {
		snprintf(why, n,
			 "has an empty item; write the template's parameters separated by commas, "
			 "each variable or name=variable (example: area,start,end or thing1=area)");
		return -1;
	}
	for (size_t i = 0; vars != NULL && vars[i] != NULL; i++) {
		if (strcmp(vars[i], var) == 0)
			return 0;
		config_join(known, sizeof(known), vars[i]);
	}
	if (vars == NULL)
		return 0;
	snprintf(why, n, "\"%.40s\" is not a variable of %s notices; use one of %s", var, kind,
		 known);
	return -1;
}

/* Empty is allowed: some templates have no parameters. k->arg is the kind. */
static int parse_params(const struct config_key *k, const char *v, void *dst, char *why, size_t n)
{
	char list[sizeof(((struct provider_template *)0)->params)], *rest = list, *item;
	const char *const *vars = templates_kind_vars(k->arg);

	if (config_value_str(k, v, list, why, n) < 0)
		return -1;
	if (*trim(list) == '\0')
		return config_value_str(k, "", dst, why, n);
	while ((item = strsep(&rest, ",")) != NULL) {
		if (check_item(item, k->arg, vars, why, n) < 0)
			return -1;
	}
	return config_value_str(k, v, dst, why, n);
}

/* A kind that is not in the table: the one it is a typo of, or the list. */
static int unknown_kind(const char *prefix, const char *kind, char *why, size_t n)
{
	char known[200] = "";

	for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
		if (config_problem_is_typo(kind, kinds[i])) {
			snprintf(why, n, "unknown message kind \"%.40s\"; did you mean %s.%s?",
				 kind, prefix, kinds[i]);
			return -1;
		}
		config_join(known, sizeof(known), kinds[i]);
	}
	snprintf(why, n, "unknown message kind \"%.40s\"; known kinds: %s", kind, known);
	return -1;
}

int config_template_row(const char *name, struct config_key *row, int *kind, int *params, char *why,
			size_t n)
{
	const char *dot = strchr(name, '.');
	char head[32];
	int k, p;

	if (dot == NULL)
		return 1;
	snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
	p = strcmp(head, PARAMS_PREFIX) == 0;
	if (!p && strcmp(head, TEMPLATE_PREFIX) != 0) {
		const char *hint = config_problem_is_typo(head, TEMPLATE_PREFIX) ? TEMPLATE_PREFIX
			: config_problem_is_typo(head, PARAMS_PREFIX)            ? PARAMS_PREFIX
										 : NULL;

		if (hint == NULL)
			return 1;
		snprintf(why, n, "unknown key; did you mean %s%.40s?", hint, dot);
		return -1;
	}
	k = find_kind(dot + 1);
	if (k < 0)
		return unknown_kind(head, dot + 1, why, n);
	*row = (struct config_key){
		.section = "provider.*",
		.name = name,
		.parse = p ? parse_params : config_value_str,
		.base = CONFIG_BASE_TEMPLATE,
		.off = p ? offsetof(struct provider_template, params)
			 : offsetof(struct provider_template, id),
		.size = p ? sizeof(((struct provider_template *)0)->params)
			  : sizeof(((struct provider_template *)0)->id),
		.min = !p, /* a template id is required; parameters may be none */
		.arg = kinds[k],
	};
	*kind = k;
	*params = p;
	return 0;
}

/* No template key at all gets one problem rather than one per key. */
void config_template_check(struct config_loader *ld, int i, const char *sec, const char *type)
{
	const struct provider_config *pc = &config_loader_cfg(ld)->providers[i];
	char key[64], all[200] = "";
	int any = 0;

	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		any |= config_template_line(ld, i, (int)k, 0) |
			config_template_line(ld, i, (int)k, 1);
		config_join(all, sizeof(all), kinds[k]);
	}
	if (!any) {
		config_problem(ld, pc->line, sec, NULL,
			       "has no templates; type = %s sends only approved templates: add "
			       "template.KIND = its id and params.KIND = its parameters for every "
			       "KIND of %s",
			       type, all);
		return;
	}
	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		snprintf(key, sizeof(key), TEMPLATE_PREFIX ".%s", kinds[k]);
		if (config_template_line(ld, i, (int)k, 0) == 0)
			config_problem(ld, pc->line, sec, key,
				       "is missing; type = %s sends only approved templates: set "
				       "it to the id of the approved template for %s notices",
				       type, kinds[k]);
		snprintf(key, sizeof(key), PARAMS_PREFIX ".%s", kinds[k]);
		if (config_template_line(ld, i, (int)k, 1) == 0)
			config_problem(
				ld, pc->line, sec, key,
				"is missing; set it to the template's parameters, comma-"
				"separated (example: area,start,end), or leave it empty when "
				"the template has none");
	}
}

const struct provider_template *config_provider_template(const struct provider_config *pc,
							 const char *kind)
{
	for (int i = 0; i < pc->ntemplates && i < PROVIDER_MAX_TEMPLATES; i++) {
		if (strcmp(pc->templates[i].kind, kind) == 0)
			return &pc->templates[i];
	}
	return NULL;
}
