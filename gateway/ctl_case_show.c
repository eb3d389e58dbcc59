/* ctl_case_show: `gatewayctl case show|find`, and the printers of a case that ctl_case.c,
 * ctl_case_report.c and ctl_visits.c use too; the case's appointments, return visits and
 * replies are printed by ctl_visits.c. Times are shown as "2026-11-23 09:00" when they are
 * in China Standard Time, as the API gives them otherwise. Prints only what the staff API
 * gives, on stdout. */
#include "ctl_case.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_util.h"
#include "ctl_visits.h"

#define FIND_MAX 1000
/* A query value escaped (a mobile, an area code): three bytes per byte at most. */
#define QUERY_VALUE_MAX 200

/* ---- printers ---- */

void ctl_case_short_time(const char *iso, char out[32])
{
	if (strlen(iso) == 25 && iso[10] == 'T' && strcmp(iso + 19, "+08:00") == 0)
		snprintf(out, 32, "%.10s %.5s", iso, iso + 11);
	else
		snprintf(out, 32, "%s", iso);
}

void ctl_case_print_padded(FILE *f, const char *s, int width)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		cols += *p < 0x80 ? 1 : (*p & 0xC0) == 0xC0 ? 2 : 0;
	fprintf(f, "%s%*s", s, cols < width ? width - cols : 0, "");
}

void ctl_case_print_clocks(FILE *f, const json_t *view)
{
	const json_t *k;
	char due[32], met[32];
	size_t i;

	json_array_foreach(json_object_get(view, "clocks"), i, k)
	{
		bool late = json_is_true(json_object_get(k, "late"));

		ctl_case_short_time(ctl_json_str(k, "due_at"), due);
		ctl_case_short_time(ctl_json_str(k, "met_at"), met);
		fprintf(f, "  ");
		ctl_case_print_padded(f, ctl_json_str(k, "label"), 11);
		fprintf(f, " due %s  ", due);
		if (met[0] != '\0')
			fprintf(f, "%s %s", late ? "met LATE" : "met", met);
		else
			fprintf(f, "%s", late ? "LATE, still open" : "running");
		fprintf(f, "%s\n",
			json_is_true(json_object_get(k, "provisional"))
				? " (provisional: the calendar lacks that year's holidays)"
				: "");
	}
}

void ctl_case_print_json(FILE *f, const json_t *v)
{
	json_dumpf(v, f, JSON_INDENT(2));
	fputc('\n', f);
}

/* "  label       value", later lines of a multi-line value aligned under the first. */
static void print_field(FILE *f, const char *label, const char *value)
{
	size_t n;

	if (value == NULL || *value == '\0')
		return;
	fprintf(f, "  %-11s", label);
	do {
		n = strcspn(value, "\n");
		fprintf(f, " %.*s\n", (int)n, value);
		value += n;
		if (*value == '\n' && *++value != '\0')
			fprintf(f, "  %-11s", "");
	} while (*value != '\0');
}

/* "label (code)", "code" when there is no label, "" when there is no code. */
static void labelled(const json_t *v, const char *label, const char *code, char *out, size_t outsz)
{
	const char *l = ctl_json_str(v, label), *c = ctl_json_str(v, code);

	snprintf(out, outsz, "%s%s%s%s", l, *l && *c ? " (" : "", c, *l && *c ? ")" : "");
}

static void print_time_field(FILE *f, const char *label, const json_t *v, const char *key)
{
	char t[32];

	ctl_case_short_time(ctl_json_str(v, key), t);
	print_field(f, label, t);
}

static void print_card(FILE *f, const json_t *v)
{
	static const struct {
		const char *field, *label, *code;
	} coded[] = {
		{ "kind", "kind_label", "kind" },
		{ "category", "category_label", "category" },
		{ "class", "class_label", "class" },
		{ "source", "source_label", "source" },
		{ "department", "department_name", "department" },
		{ "area", "area_name", "area" },
	};
	static const char *const plain[] = { "owner",   "name",    "mobile",  "address",
					     "account", "content", "request", "satisfaction" };
	char line[512];

	fprintf(f, "case %s  %s (%s)  version %" PRId64 "%s\n", ctl_json_str(v, "number"),
		ctl_json_str(v, "state_label"), ctl_json_str(v, "state"),
		ctl_json_int(v, "version"),
		json_is_true(json_object_get(v, "major")) ? "  MAJOR" : "");
	for (size_t i = 0; i < sizeof(coded) / sizeof(coded[0]); i++) {
		labelled(v, coded[i].label, coded[i].code, line, sizeof(line));
		print_field(f, coded[i].field, line);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		print_field(f, plain[i], ctl_json_str(v, plain[i]));
	print_field(f, "reply", json_is_false(json_object_get(v, "reply")) ? "not wanted" : "");
	if (ctl_json_int(v, "reopen_count") > 0) {
		snprintf(line, sizeof(line), "%" PRId64, ctl_json_int(v, "reopen_count"));
		print_field(f, "reopened", line);
	}
	print_time_field(f, "created", v, "created_at");
	print_time_field(f, "accepted", v, "accepted_at");
	print_time_field(f, "resolved", v, "resolved_at");
	print_time_field(f, "closed", v, "closed_at");
	print_field(f, "tracking", ctl_json_str(v, "tracking_url"));
}

/* A history entry's note in quotes, later lines indented under the entry. */
static void print_note(FILE *f, const char *note, bool public)
{
	size_t n;

	fprintf(f, "  \"");
	for (;;) {
		n = strcspn(note, "\n");
		fprintf(f, "%.*s", (int)n, note);
		note += n;
		if (*note == '\0' || *++note == '\0')
			break;
		fprintf(f, "\n%20s", "");
	}
	fprintf(f, "\"%s", public ? " (sent to the customer)" : "");
}

static void print_history(FILE *f, const json_t *view)
{
	const json_t *ev;
	char at[32];
	size_t i;

	json_array_foreach(json_object_get(view, "events"), i, ev)
	{
		const char *from = ctl_json_str(ev, "from"), *to = ctl_json_str(ev, "to");
		const char *note = ctl_json_str(ev, "note");

		ctl_case_short_time(ctl_json_str(ev, "at"), at);
		fprintf(f, "  %s  %-12s %-9s", at, ctl_json_str(ev, "actor"),
			ctl_json_str(ev, "action"));
		if (*to != '\0')
			fprintf(f, " %s -> %s", *from ? from : "(new)", to);
		if (*note != '\0')
			print_note(f, note, json_is_true(json_object_get(ev, "public")));
		fputc('\n', f);
	}
}

void ctl_case_print(FILE *f, const json_t *view)
{
	print_card(f, view);
	if (json_array_size(json_object_get(view, "clocks")) > 0) {
		fprintf(f, "clocks:\n");
		ctl_case_print_clocks(f, view);
	}
	ctl_visits_print(f, view);
	fprintf(f, "history:\n");
	print_history(f, view);
}

/* ---- show ---- */

int ctl_case_show(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false;
	json_t *v = NULL;
	char path[256];
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return CTL_EXIT_HELP;
		if (ch != 'j') {
			ctl_opt_fail(ch, argv, e);
			return CTL_EXIT_USAGE;
		}
		as_json = true;
	}
	if (argc - optind != 1) {
		err_set(e, ERR_INVALID, NULL, "%s a case number",
			argc == optind ? "missing" : "expected only");
		return CTL_EXIT_USAGE;
	}
	if (ctl_case_path(argv[optind], "", path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	if (ctl_api_json(api, "GET", path, NULL, CTL_API_TIMEOUT_MS, &v, e) < 0)
		return CTL_EXIT_ERROR;
	if (as_json)
		ctl_case_print_json(stdout, v);
	else
		ctl_case_print(stdout, v);
	json_decref(v);
	return CTL_EXIT_OK;
}

/* ---- find ---- */

/* The text filters of case find: each option is also the query parameter's name. */
static const struct find_filter {
	const char *name;
	int ch;
} find_filters[] = {
	{ "mobile", 'm' }, { "account", 'a' },    { "area", 'r' },
	{ "state", 's' },  { "department", 'd' }, { "kind", 'k' },
};
#define N_FILTERS (sizeof(find_filters) / sizeof(find_filters[0]))

struct find_opts {
	const char *value[N_FILTERS];
	long limit, offset;
	bool overdue, open, json, help;
};

static int find_option(int ch, const char *val, struct find_opts *o, char **argv, struct err *e)
{
	for (size_t i = 0; i < N_FILTERS; i++)
		if (find_filters[i].ch == ch) {
			o->value[i] = val;
			return 0;
		}
	switch (ch) {
	case 'O': o->overdue = true; return 0;
	case 'p': o->open = true; return 0;
	case 'j': o->json = true; return 0;
	case 'h': o->help = true; return 0;
	case 'l':
		if (ctl_parse_count(val, FIND_MAX, &o->limit) < 0 || o->limit == 0)
			return err_set(e, ERR_INVALID, "limit", "--limit takes 1 to %d", FIND_MAX);
		return 0;
	case 'f':
		if (ctl_parse_count(val, 1000000000L, &o->offset) < 0)
			return err_set(e, ERR_INVALID, "offset", "--offset takes a number");
		return 0;
	default: return ctl_opt_fail(ch, argv, e);
	}
}

static int find_parse(int argc, char **argv, struct find_opts *o, struct err *e)
{
	static const struct option flags[] = {
		{ "overdue", no_argument, NULL, 'O' },
		{ "open", no_argument, NULL, 'p' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct option opts[N_FILTERS + sizeof(flags) / sizeof(flags[0])];
	int ch, rc = 0;

	for (size_t i = 0; i < N_FILTERS; i++)
		opts[i] = (struct option){ find_filters[i].name, required_argument, NULL,
					   find_filters[i].ch };
	memcpy(opts + N_FILTERS, flags, sizeof(flags));
	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		rc = find_option(ch, optarg, o, argv, e);
	if (rc == 0 && !o->help && optind < argc)
		rc = err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	return rc;
}

/* "/api/v1/cases?limit=..." with every filter given, escaped. */
static int find_path(const struct find_opts *o, char *out, size_t outsz, struct err *e)
{
	char esc[QUERY_VALUE_MAX];
	size_t n = (size_t)snprintf(out, outsz, "/api/v1/cases?limit=%ld&offset=%ld%s%s", o->limit,
				    o->offset, o->overdue ? "&overdue=1" : "",
				    o->open ? "&open=1" : "");

	for (size_t i = 0; i < N_FILTERS && n < outsz; i++) {
		if (o->value[i] == NULL)
			continue;
		if (ctl_url_escape(o->value[i], esc, sizeof(esc)) < 0)
			return err_set(e, ERR_INVALID, find_filters[i].name, "--%s is too long",
				       find_filters[i].name);
		n += (size_t)snprintf(out + n, outsz - n, "&%s=%s", find_filters[i].name, esc);
	}
	if (n >= outsz)
		return err_set(e, ERR_INVALID, NULL, "the filters are too long");
	return 0;
}

static void print_found(const json_t *res)
{
	const json_t *v;
	char due[32], line[512];
	size_t i, n;

	printf("%-16s %-12s %-11s %-12s %s\n", "number", "kind", "state", "department", "due");
	json_array_foreach(json_object_get(res, "cases"), i, v)
	{
		ctl_case_short_time(ctl_json_str(v, "due_at"), due);
		snprintf(line, sizeof(line), "%-16s %-12s %-11s %-12s %-16s %s %s",
			 ctl_json_str(v, "number"), ctl_json_str(v, "kind"),
			 ctl_json_str(v, "state"), ctl_json_str(v, "department"),
			 due[0] ? due : "-",
			 json_is_true(json_object_get(v, "overdue")) ? "OVERDUE" : "",
			 json_is_true(json_object_get(v, "major")) ? "major" : "");
		/* The marks are often empty: no trailing blanks for the next program in a pipe. */
		for (n = strlen(line); n > 0 && line[n - 1] == ' '; n--)
			;
		printf("%.*s\n", (int)n, line);
	}
	fflush(stdout);
	fprintf(stderr, "%zu of %" PRId64 " cases\n",
		json_array_size(json_object_get(res, "cases")), ctl_json_int(res, "total"));
}

int ctl_case_find(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	struct find_opts o = { .limit = 50 };
	json_t *res = NULL;
	char path[1024];

	if (find_parse(argc, argv, &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (find_path(&o, path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	if (ctl_api_json(api, "GET", path, NULL, CTL_API_TIMEOUT_MS, &res, e) < 0)
		return CTL_EXIT_ERROR;
	if (o.json)
		ctl_case_print_json(stdout, res);
	else
		print_found(res);
	json_decref(res);
	return CTL_EXIT_OK;
}
