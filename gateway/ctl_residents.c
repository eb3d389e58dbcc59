/* ctl_residents: `gatewayctl areas import|list` and `residents import|list`,
 * `resident show|history`. Uploads are read whole with a hard cap above the gateway's
 * default max_import_body, so that the gateway (whose limit is configurable) has the last
 * word and its 413 message reaches the operator. */
#include "ctl_residents.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_util.h"

#define UPLOAD_MAX (256u * 1024 * 1024)
#define RESIDENTS_LIMIT_MAX 10000

/* ---- imports ---- */

/* Reads all of f into a malloc'd buffer of at most UPLOAD_MAX bytes. */
static int read_all(FILE *f, const char *name, char **out, size_t *len, struct err *e)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap), *bigger;

	while (buf != NULL) {
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f) || n < cap)
			break;
		if (cap >= UPLOAD_MAX) {
			free(buf);
			return err_set(e, ERR_TOOBIG, NULL, "%s is larger than %u MiB; split it",
				       name, UPLOAD_MAX >> 20);
		}
		bigger = realloc(buf, cap * 2);
		if (bigger == NULL)
			free(buf);
		buf = bigger;
		cap *= 2;
	}
	if (buf == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory reading %s", name);
	if (ferror(f)) {
		free(buf);
		return err_set(e, ERR_IO, NULL, "cannot read %s", name);
	}
	*out = buf;
	*len = n;
	return 0;
}

static int read_upload(const char *path, char **out, size_t *len, struct err *e)
{
	FILE *f;
	int rc;

	if (strcmp(path, "-") == 0)
		return read_all(stdin, "stdin", out, len, e);
	f = fopen(path, "rb");
	if (f == NULL)
		return err_set(e, ERR_IO, NULL, "cannot open %s: %s", path, strerror(errno));
	rc = read_all(f, path, out, len, e);
	fclose(f);
	return rc;
}

/* The report: counts on stdout, each skipped row on stderr. */
static void print_report(const json_t *report)
{
	const json_t *errors = json_object_get(report, "errors"), *v;
	int64_t total = ctl_json_int(report, "errors_total");
	char line[768];
	size_t i;

	ctl_import_summary(report, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
	json_array_foreach(errors, i, v)
	{
		ctl_import_error_line(v, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	if (total > (int64_t)json_array_size(errors))
		fprintf(stderr, "... and %" PRId64 " more rows with errors\n",
			total - (int64_t)json_array_size(errors));
}

static int import_csv(const struct ctl_api *api, int argc, char **argv, const char *path,
		      struct err *e)
{
	json_t *report = NULL;
	char *body = NULL;
	size_t len = 0;
	bool help;
	int i = ctl_args_plain(argc, argv, "the CSV file", &help, e);

	if (i < 0)
		return CTL_EXIT_USAGE;
	if (help)
		return CTL_EXIT_HELP;
	if (read_upload(argv[i], &body, &len, e) < 0)
		return CTL_EXIT_ERROR;
	if (ctl_api_call(api, "POST", path, "text/csv", body, len, CTL_API_SLOW_TIMEOUT_MS, &report,
			 e) < 0)
		return CTL_EXIT_ERROR;
	print_report(report);
	json_decref(report);
	return CTL_EXIT_OK;
}

int ctl_residents_areas_import(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	return import_csv(api, argc, argv, "/api/v1/areas/import", e);
}

int ctl_residents_import(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	return import_csv(api, argc, argv, "/api/v1/residents/import", e);
}

/* ---- reading ---- */

/* GETs path and hands the answer to print. */
static int get_and_print(const struct ctl_api *api, const char *path, void (*print)(const json_t *),
			 struct err *e)
{
	json_t *res = NULL;

	if (ctl_api_json(api, "GET", path, NULL, CTL_API_TIMEOUT_MS, &res, e) < 0)
		return CTL_EXIT_ERROR;
	print(res);
	json_decref(res);
	return CTL_EXIT_OK;
}

static void print_areas(const json_t *res)
{
	const json_t *v;
	size_t i;

	printf("code\tname\tparent\tlevel\tresidents\n");
	json_array_foreach(json_object_get(res, "areas"), i, v) printf(
		"%s\t%s\t%s\t%s\t%" PRId64 "\n", ctl_json_str(v, "code"), ctl_json_str(v, "name"),
		ctl_json_str(v, "parent"), ctl_json_str(v, "level"), ctl_json_int(v, "residents"));
}

int ctl_residents_areas_list(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return CTL_EXIT_HELP;
	if (argc > 1) {
		err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[1]);
		return CTL_EXIT_USAGE;
	}
	return get_and_print(api, "/api/v1/areas", print_areas, e);
}

/* "a;b" from a JSON array of strings. */
static void join_strings(const json_t *arr, const char *sep, char *out, size_t outsz)
{
	size_t used = 0, i;
	const json_t *v;

	out[0] = '\0';
	json_array_foreach(arr, i, v)
	{
		int n = snprintf(out + used, outsz - used, "%s%s", i ? sep : "",
				 json_string_value(v) ? json_string_value(v) : "?");
		if (n < 0 || (size_t)n >= outsz - used)
			break;
		used += (size_t)n;
	}
}

static void print_residents(const json_t *res)
{
	const json_t *v;
	char areas[1024];
	size_t i;

	printf("account\tname\tmobile\topenid\tareas\n");
	json_array_foreach(json_object_get(res, "residents"), i, v)
	{
		join_strings(json_object_get(v, "areas"), ";", areas, sizeof(areas));
		printf("%s\t%s\t%s\t%s\t%s\n", ctl_json_str(v, "account"), ctl_json_str(v, "name"),
		       ctl_json_str(v, "mobile"), ctl_json_str(v, "openid"), areas);
	}
	fflush(stdout);
	fprintf(stderr, "%zu of %" PRId64 " residents\n",
		json_array_size(json_object_get(res, "residents")), ctl_json_int(res, "total"));
}

struct list_opts {
	const char *area;
	long limit, offset;
	bool help;
};

static int parse_list_opts(int argc, char **argv, struct list_opts *o, struct err *e)
{
	static const struct option opts[] = {
		{ "area", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': o->area = optarg; break;
		case 'h': o->help = true; break;
		case 'l':
			if (ctl_parse_count(optarg, RESIDENTS_LIMIT_MAX, &o->limit) < 0 ||
			    o->limit == 0)
				return err_set(e, ERR_INVALID, "limit", "--limit takes 1 to %d",
					       RESIDENTS_LIMIT_MAX);
			break;
		case 'o':
			if (ctl_parse_count(optarg, 1L << 30, &o->offset) < 0)
				return err_set(e, ERR_INVALID, "offset", "--offset takes a number");
			break;
		default: return ctl_opt_fail(ch, argv, e);
		}
	}
	if (optind < argc && !o->help)
		return err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int ctl_residents_list(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	struct list_opts o = { .limit = 100 };
	char path[512], area[300] = "";

	if (parse_list_opts(argc, argv, &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (o.area != NULL && ctl_url_escape(o.area, area, sizeof(area)) < 0) {
		err_set(e, ERR_INVALID, "area", "--area is too long");
		return CTL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/residents?limit=%ld&offset=%ld%s%s", o.limit,
		 o.offset, area[0] ? "&area=" : "", area);
	return get_and_print(api, path, print_residents, e);
}

static void print_resident(const json_t *r)
{
	const json_t *opt = json_object_get(r, "opt_out");
	char areas[1024];

	join_strings(json_object_get(r, "areas"), ", ", areas, sizeof(areas));
	printf("account   %s\nname      %s\nmobile    %s\nopenid    %s\nareas     %s\n",
	       ctl_json_str(r, "account"), ctl_json_str(r, "name"), ctl_json_str(r, "mobile"),
	       ctl_json_str(r, "openid"), areas);
	printf("opt-out   sms %s, wechat %s\ncreated   %s\nupdated   %s\n",
	       json_is_true(json_object_get(opt, "sms")) ? "yes" : "no",
	       json_is_true(json_object_get(opt, "wechat")) ? "yes" : "no",
	       ctl_json_str(r, "created_at"), ctl_json_str(r, "updated_at"));
}

static void print_history(const json_t *h)
{
	const json_t *v;
	size_t i;

	printf("created\tnotice\tkind\tutility\tchannel\tstate\tattempts\tprovider\tsent\t"
	       "reason\n");
	json_array_foreach(json_object_get(h, "messages"), i, v) printf(
		"%s\t%" PRId64 "\t%s\t%s\t%s\t%s\t%" PRId64 "\t%s\t%s\t%s\n",
		ctl_json_str(v, "created_at"), ctl_json_int(v, "notice_id"),
		ctl_json_str(v, "kind"), ctl_json_str(v, "utility"), ctl_json_str(v, "channel"),
		ctl_json_str(v, "state"), ctl_json_int(v, "attempts"), ctl_json_str(v, "provider"),
		ctl_json_str(v, "sent_at"), ctl_json_str(v, "reason"));
	if (json_array_size(json_object_get(h, "messages")) == 0)
		fprintf(stderr, "no messages were sent to this resident\n");
}

/* resident show|history ACCOUNT: suffix "" or "/history". */
static int resident_get(const struct ctl_api *api, int argc, char **argv, const char *suffix,
			void (*print)(const json_t *), struct err *e)
{
	char account[256], path[400];
	bool help;
	int i = ctl_args_plain(argc, argv, "an account number", &help, e);

	if (i < 0)
		return CTL_EXIT_USAGE;
	if (help)
		return CTL_EXIT_HELP;
	if (ctl_url_escape(argv[i], account, sizeof(account)) < 0) {
		err_set(e, ERR_INVALID, "account", "the account number is too long");
		return CTL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/residents/%s%s", account, suffix);
	return get_and_print(api, path, print, e);
}

int ctl_residents_show(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	return resident_get(api, argc, argv, "", print_resident, e);
}

int ctl_residents_history(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	return resident_get(api, argc, argv, "/history", print_history, e);
}
