/* ctl_case_report: `gatewayctl case qr|stats`: the tracking QR code as a file, and the
 * case statistics as a short report (or its CSV as a file). The QR image and the CSV are
 * not JSON: ctl_api_download fetches them and writes the file only where --out or --csv
 * says, through a temporary name, so that a failure never leaves half of one. */
#include "ctl_case.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "case_rules.h"
#include "ctl_util.h"

#define QR_MODULE_MAX 32
#define TOP_DEPARTMENTS 5
/* A query value escaped ("2026-Q4", a date): short. */
#define QUERY_VALUE_MAX 64

/* ---- the report ---- */

/* A rate of 0..1 as "83.3 %", or "-" when there was nothing to count (null). */
static void pct(const json_t *rate, char out[16])
{
	if (json_is_number(rate))
		snprintf(out, 16, "%.1f %%", json_number_value(rate) * 100.0);
	else
		snprintf(out, 16, "-");
}

static void print_stats_clocks(FILE *f, const json_t *on_time)
{
	char r[16];

	fprintf(f, "on time:\n");
	for (int c = 0; c < CLOCK_COUNT; c++) {
		const json_t *k = json_object_get(on_time, case_clock_name((enum case_clock)c));

		pct(json_object_get(k, "rate"), r);
		fprintf(f, "  ");
		ctl_case_print_padded(f, case_clock_label((enum case_clock)c), 11);
		fprintf(f, " %6" PRId64 " of %-6" PRId64 " %s\n", ctl_json_int(k, "on_time"),
			ctl_json_int(k, "due"), r);
	}
}

static void print_stats_departments(FILE *f, const json_t *by)
{
	const json_t *list = json_object_get(by, "department"), *d;
	char h[16], t[16], name[160];
	size_t i;

	fprintf(f, "top departments:\n");
	json_array_foreach(list, i, d)
	{
		const char *key = ctl_json_str(d, "key");

		if (i >= TOP_DEPARTMENTS)
			break;
		pct(json_object_get(d, "handling_rate"), h);
		pct(json_object_get(d, "on_time_rate"), t);
		snprintf(name, sizeof(name), "%s%s%s%s", ctl_json_str(d, "label"), *key ? " (" : "",
			 key, *key ? ")" : "");
		fprintf(f, "  ");
		ctl_case_print_padded(f, name, 24);
		fprintf(f, " %6" PRId64 " cases, %" PRId64 " handled (%s), on time %s\n",
			ctl_json_int(d, "count"), ctl_json_int(d, "handled"), h, t);
	}
	if (json_array_size(list) == 0)
		fprintf(f, "  (no cases)\n");
}

void ctl_case_print_stats(FILE *f, const json_t *s)
{
	const json_t *sat = json_object_get(s, "satisfaction");
	char from[32], to[32], r[16];

	ctl_case_short_time(ctl_json_str(s, "from"), from);
	ctl_case_short_time(ctl_json_str(s, "to"), to);
	fprintf(f, "cases %s (%s to %s)\n", ctl_json_str(s, "period"), from, to);
	fprintf(f, "  %-13s %6" PRId64, "total", ctl_json_int(s, "total"));
	if (ctl_json_int(s, "merged") > 0)
		fprintf(f, " (and %" PRId64 " merged into others, not counted)",
			ctl_json_int(s, "merged"));
	pct(json_object_get(s, "handling_rate"), r);
	fprintf(f, "\n  %-13s %6" PRId64 "  handling rate %s\n", "handled",
		ctl_json_int(s, "handled"), r);
	pct(json_object_get(s, "reopen_rate"), r);
	fprintf(f, "  %-13s %6" PRId64 "  reopen rate %s of handled\n", "reopened",
		ctl_json_int(s, "reopened"), r);
	pct(json_object_get(sat, "rate"), r);
	fprintf(f, "  %-13s %6" PRId64 "  answered; satisfied or basically satisfied: %s\n",
		"satisfaction", ctl_json_int(sat, "answered"), r);
	print_stats_clocks(f, json_object_get(s, "on_time"));
	print_stats_departments(f, json_object_get(s, "by"));
}

/* ---- downloads that are not JSON ---- */

/* Saves the answer to path in file; says what was written on stderr when the file is
 * stdout, on stdout otherwise. */
static int download(const struct ctl_api *api, const char *path, const char *accept,
		    const char *file, struct err *e)
{
	bool to_stdout = strcmp(file, "-") == 0;
	size_t len = 0;

	if (ctl_api_download(api, path, accept, file, &len, e) < 0)
		return CTL_EXIT_ERROR;
	fprintf(to_stdout ? stderr : stdout, "wrote %s (%zu bytes)\n", to_stdout ? "stdout" : file,
		len);
	return CTL_EXIT_OK;
}

/* ---- qr ---- */

struct qr_opts {
	const char *out, *format;
	long module; /* 0: the gateway's default */
	bool help;
};

static int qr_option(int ch, const char *val, struct qr_opts *o, char **argv, struct err *e)
{
	switch (ch) {
	case 'o': o->out = val; return 0;
	case 'h': o->help = true; return 0;
	case 'f':
		if (strcmp(val, "png") != 0 && strcmp(val, "svg") != 0)
			return err_set(e, ERR_INVALID, "format", "--format is png or svg");
		o->format = val;
		return 0;
	case 'm':
		if (ctl_parse_count(val, QR_MODULE_MAX, &o->module) < 0 || o->module == 0)
			return err_set(e, ERR_INVALID, "module",
				       "--module takes 1 to %d (pixels per module)", QR_MODULE_MAX);
		return 0;
	default: return ctl_opt_fail(ch, argv, e);
	}
}

/* Parses qr's words; returns the index of NUMBER in argv, 0 for --help, or ERR_INVALID. */
static int qr_parse(int argc, char **argv, struct qr_opts *o, struct err *e)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t n;
	int ch, rc = 0;

	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		rc = qr_option(ch, optarg, o, argv, e);
	if (rc < 0 || o->help)
		return rc;
	if (argc - optind != 1)
		return err_set(e, ERR_INVALID, NULL, "%s a case number",
			       argc == optind ? "missing" : "expected only");
	if (o->out == NULL)
		return err_set(e, ERR_INVALID, "out", "--out FILE is required (- for stdout)");
	/* Without --format the file's name decides, so that "--out card.svg" just works. */
	n = strlen(o->out);
	if (o->format == NULL)
		o->format = n > 4 && strcmp(o->out + n - 4, ".svg") == 0 ? "svg" : "png";
	return optind;
}

int ctl_case_qr(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	struct qr_opts o = { 0 };
	char query[64], path[300];
	int i = qr_parse(argc, argv, &o, e);

	if (i < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	snprintf(query, sizeof(query), "/qr?format=%s", o.format);
	if (o.module > 0)
		snprintf(query + strlen(query), sizeof(query) - strlen(query), "&module=%ld",
			 o.module);
	if (ctl_case_path(argv[i], query, path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	return download(api, path, strcmp(o.format, "svg") == 0 ? "image/svg+xml" : "image/png",
			o.out, e);
}

/* ---- stats ---- */

/* The period options, each also the query parameter's name, then --csv and --json. */
static const struct option stats_options[] = {
	{ "month", required_argument, NULL, 'm' }, { "quarter", required_argument, NULL, 'q' },
	{ "from", required_argument, NULL, 'f' },  { "to", required_argument, NULL, 't' },
	{ "csv", required_argument, NULL, 'c' },   { "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
};
#define N_PERIOD 4
static const char period_chars[] = "mqft"; /* the vals of the period options, in order */

struct stats_opts {
	const char *period[N_PERIOD]; /* month, quarter, from, to */
	const char *csv;
	bool json, help;
};

static int stats_check(const struct stats_opts *o, struct err *e)
{
	int forms = (o->period[0] != NULL) + (o->period[1] != NULL) +
		(o->period[2] != NULL || o->period[3] != NULL);

	if (forms > 1)
		return err_set(e, ERR_INVALID, NULL,
			       "give one period: --month, --quarter, or --from with --to");
	if ((o->period[2] == NULL) != (o->period[3] == NULL))
		return err_set(e, ERR_INVALID, o->period[2] ? "to" : "from",
			       "--from and --to go together (both dates are included)");
	if (o->csv != NULL && o->json)
		return err_set(e, ERR_INVALID, NULL, "give --csv or --json, not both");
	return 0;
}

static int stats_parse(int argc, char **argv, struct stats_opts *o, struct err *e)
{
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", stats_options, NULL)) != -1) {
		const char *p = ch != 0 ? strchr(period_chars, ch) : NULL;

		if (p != NULL)
			o->period[p - period_chars] = optarg;
		else if (ch == 'c')
			o->csv = optarg;
		else if (ch == 'j')
			o->json = true;
		else if (ch == 'h')
			o->help = true;
		else
			return ctl_opt_fail(ch, argv, e);
	}
	if (o->help)
		return 0;
	if (optind < argc)
		return err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	return stats_check(o, e);
}

/* "/api/v1/case-stats?format=F&month=..." for the period given (none: this month). */
static int stats_path(const struct stats_opts *o, char *out, size_t outsz, struct err *e)
{
	char esc[QUERY_VALUE_MAX];
	size_t n = (size_t)snprintf(out, outsz, "/api/v1/case-stats?format=%s",
				    o->csv ? "csv" : "json");

	for (int i = 0; i < N_PERIOD && n < outsz; i++) {
		if (o->period[i] == NULL)
			continue;
		if (ctl_url_escape(o->period[i], esc, sizeof(esc)) < 0)
			return err_set(e, ERR_INVALID, stats_options[i].name, "--%s is too long",
				       stats_options[i].name);
		n += (size_t)snprintf(out + n, outsz - n, "&%s=%s", stats_options[i].name, esc);
	}
	return n < outsz ? 0 : err_set(e, ERR_INVALID, NULL, "the period is too long");
}

int ctl_case_stats(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	struct stats_opts o = { 0 };
	json_t *s = NULL;
	char path[512];

	if (stats_parse(argc, argv, &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (stats_path(&o, path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	if (o.csv != NULL)
		return download(api, path, "text/csv", o.csv, e);
	if (ctl_api_json(api, "GET", path, NULL, CTL_API_TIMEOUT_MS, &s, e) < 0)
		return CTL_EXIT_ERROR;
	if (o.json)
		ctl_case_print_json(stdout, s);
	else
		ctl_case_print_stats(stdout, s);
	json_decref(s);
	return CTL_EXIT_OK;
}
