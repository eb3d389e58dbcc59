/* ctl_visits: `gatewayctl appointment ...` and `gatewayctl visits ...`, and the sections of
 * `case show` about visits. Each command builds one JSON body from the command line and
 * prints a short account of the answer. Times are typed as for `notice send` (local
 * "2026-11-28 14:00") and sent as ISO 8601; the gateway decides whether a window lies in
 * the type's booking hours and whether a change is allowed, and its refusal comes back
 * with exit status 1. Only a missing option or word is refused here, with exit status 2. */
#include "ctl_visits.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ctl_case.h"
#include "ctl_util.h"

/* ---- printers ---- */

/* "2026-11-28 14:00-16:00" for a window within one local day, both ends in full else. */
static void window_text(const json_t *a, char *out, size_t outsz)
{
	char start[32], end[32];

	ctl_case_short_time(ctl_json_str(a, "start_at"), start);
	ctl_case_short_time(ctl_json_str(a, "end_at"), end);
	if (strlen(start) == 16 && strlen(end) == 16 && strncmp(start, end, 11) == 0)
		snprintf(out, outsz, "%s-%s", start, end + 11);
	else
		snprintf(out, outsz, "%s - %s", start, end);
}

/* s with control characters shown as spaces: a resident's text may hold an escape
 * sequence or a line break that would otherwise fake another line. */
static void print_safe(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
}

/* "  #5    室温测量     2026-11-28 14:00-16:00  confirmed    version 1  technician 李师傅" */
static void print_appointment(FILE *f, const json_t *a)
{
	const char *label = ctl_json_str(a, "type_label"), *tech = ctl_json_str(a, "technician");
	const char *ref = ctl_json_str(a, "address_ref"), *note = ctl_json_str(a, "note");
	char window[80];

	window_text(a, window, sizeof(window));
	fprintf(f, "  #%-5" PRId64 " ", ctl_json_int(a, "id"));
	ctl_case_print_padded(f, *label ? label : ctl_json_str(a, "type"), 12);
	fprintf(f, " %s  %-11s  version %" PRId64, window, ctl_json_str(a, "status"),
		ctl_json_int(a, "version"));
	if (*tech != '\0')
		fprintf(f, "  technician %s", tech);
	if (*ref != '\0')
		fprintf(f, "  address %s", ref);
	if (*note != '\0') {
		fprintf(f, "  \"");
		print_safe(f, note);
		fputc('"', f);
	}
	fputc('\n', f);
}

/* One round of the return visit: what it waits for, or how it was answered. */
static void print_survey(FILE *f, const json_t *v)
{
	const char *state = ctl_json_str(v, "state");
	char a[32], b[32];

	fprintf(f, "  round %-3" PRId64 " %-10s", ctl_json_int(v, "round"), state);
	if (strcmp(state, "scheduled") == 0) {
		ctl_case_short_time(ctl_json_str(v, "send_at"), a);
		fprintf(f, " to be sent %s", a);
	} else if (strcmp(state, "sent") == 0 || strcmp(state, "phone") == 0) {
		ctl_case_short_time(ctl_json_str(v, "sent_at"), a);
		ctl_case_short_time(ctl_json_str(v, "answer_due"), b);
		fprintf(f, " sent %s, answer due %s%s", a, b,
			*state == 'p' ? ": on the phone-visit list" : "");
	} else if (strcmp(state, "answered") == 0) {
		ctl_case_short_time(ctl_json_str(v, "answered_at"), a);
		fprintf(f, " %s at %s by %s via %s", ctl_json_str(v, "answer"), a,
			ctl_json_str(v, "answered_by"), ctl_json_str(v, "via"));
	}
	fputc('\n', f);
}

static void print_reply(FILE *f, const json_t *r)
{
	char at[32];

	ctl_case_short_time(ctl_json_str(r, "at"), at);
	fprintf(f, "  %s  %-20s \"", at, ctl_json_str(r, "outcome"));
	print_safe(f, ctl_json_str(r, "text"));
	fprintf(f, "\"\n");
}

void ctl_visits_print(FILE *f, const json_t *view)
{
	static const struct {
		const char *key, *title;
		void (*print)(FILE *f, const json_t *item);
	} sections[] = {
		{ "appointments", "appointments:", print_appointment },
		{ "surveys", "return visits:", print_survey },
		{ "replies", "replies:", print_reply },
	};
	const json_t *item;
	size_t i;

	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		const json_t *list = json_object_get(view, sections[s].key);

		if (json_array_size(list) == 0)
			continue;
		fprintf(f, "%s\n", sections[s].title);
		json_array_foreach(list, i, item) sections[s].print(f, item);
	}
}

/* ---- the command line ---- */

/* What the commands were given; each accepts a subset of the options. */
struct visit_opts {
	const char *pos[2]; /* NUMBER, then ID or ANSWER */
	const char *type, *start, *end, *technician, *address_ref, *note, *csv;
	int64_t version; /* 0 when not given */
	bool proposed, json, help;
};

static int visit_option(int ch, const char *val, struct visit_opts *o, char **argv, struct err *e)
{
	switch (ch) {
	case 't': return ctl_set_once(&o->type, "type", val, e);
	case 's': return ctl_set_once(&o->start, "start", val, e);
	case 'e': return ctl_set_once(&o->end, "end", val, e);
	case 'T': return ctl_set_once(&o->technician, "technician", val, e);
	case 'a': return ctl_set_once(&o->address_ref, "address-ref", val, e);
	case 'n': return ctl_set_once(&o->note, "note", val, e);
	case 'c': return ctl_set_once(&o->csv, "csv", val, e);
	case 'v': return ctl_parse_version(val, &o->version, e);
	case 'p': o->proposed = true; return 0;
	case 'j': o->json = true; return 0;
	case 'h': o->help = true; return 0;
	default: return ctl_opt_fail(ch, argv, e);
	}
}

/* Parses opts (a subset of the options above) and exactly npos words, named by what. */
static int visit_parse(int argc, char **argv, const struct option *opts, int npos, const char *what,
		       struct visit_opts *o, struct err *e)
{
	int ch, rc = 0;

	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		rc = visit_option(ch, optarg, o, argv, e);
	if (rc < 0 || o->help)
		return rc;
	if (npos == 0 && optind < argc)
		return err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	if (argc - optind != npos)
		return err_set(e, ERR_INVALID, NULL, "%s %s",
			       argc - optind < npos ? "missing" : "expected only", what);
	for (int i = 0; i < npos; i++)
		o->pos[i] = argv[optind + i];
	return 0;
}

/* body[key] = val unless val is NULL; opt names the option in the message. */
static int add_text(json_t *body, const char *key, const char *opt, const char *val, struct err *e)
{
	json_t *v;

	if (val == NULL)
		return 0;
	if ((v = json_string(val)) == NULL)
		return err_set(e, ERR_INVALID, key,
			       "%s is not valid UTF-8; set the terminal to UTF-8 (e.g. "
			       "LANG=zh_CN.UTF-8)",
			       opt);
	json_object_set_new(body, key, v);
	return 0;
}

/* --start or --end (named key) as ISO 8601 with an offset into body[key]. */
static int add_time(json_t *body, const char *key, const char *val, struct err *e)
{
	char iso[CTL_TIME_LEN];
	struct err te;

	err_clear(&te);
	if (ctl_time_to_iso(val, CTL_LOCAL_OFFSET_MIN, iso, &te) < 0)
		return err_set(e, ERR_INVALID, key, "--%s: %s", key, te.msg);
	json_object_set_new(body, key, json_string(iso));
	return 0;
}

/* --start and --end, both required: what a window is made of. */
static int add_window(json_t *body, const struct visit_opts *o, struct err *e)
{
	if (o->start == NULL || o->end == NULL)
		return err_set(e, ERR_INVALID, o->start ? "end" : "start",
			       "--start and --end are required: the visit's window, e.g. --start "
			       "\"2026-11-28 14:00\" --end \"2026-11-28 16:00\"");
	if (add_time(body, "start", o->start, e) < 0 || add_time(body, "end", o->end, e) < 0)
		return ERR_INVALID;
	return 0;
}

/* Sends body (taken) to path; *out gets the answer. */
static int post(const struct ctl_api *api, const char *path, json_t *body, json_t **out,
		struct err *e)
{
	int rc = ctl_api_json(api, "POST", path, body, CTL_API_TIMEOUT_MS, out, e);

	json_decref(body);
	return rc;
}

/* ---- appointment book ---- */

static int book_body(const struct visit_opts *o, json_t **out, struct err *e)
{
	json_t *body = json_object();

	if (o->type == NULL) {
		json_decref(body);
		return err_set(e, ERR_INVALID, "type",
			       "--type is required: temperature, repair, meter or inspection");
	}
	if (add_text(body, "type", "--type", o->type, e) < 0 || add_window(body, o, e) < 0 ||
	    add_text(body, "technician", "--technician", o->technician, e) < 0 ||
	    add_text(body, "address_ref", "--address-ref", o->address_ref, e) < 0) {
		json_decref(body);
		return ERR_INVALID;
	}
	json_object_set_new(body, "status", json_string(o->proposed ? "proposed" : "confirmed"));
	*out = body;
	return 0;
}

/* The gateway's warnings, one line each on stderr, after the answer on stdout. */
static void print_warnings(const json_t *res)
{
	const json_t *w;
	size_t i;

	fflush(stdout);
	json_array_foreach(json_object_get(res, "warnings"), i, w)
		fprintf(stderr, "warning: %s\n", json_string_value(w) ? json_string_value(w) : "");
}

int ctl_visits_book(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "technician", required_argument, NULL, 'T' },
		{ "address-ref", required_argument, NULL, 'a' },
		{ "proposed", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct visit_opts o = { 0 };
	json_t *body = NULL, *res = NULL;
	char path[256];

	if (visit_parse(argc, argv, opts, 1, "a case number", &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (ctl_case_path(o.pos[0], "/appointments", path, sizeof(path), e) < 0 ||
	    book_body(&o, &body, e) < 0)
		return CTL_EXIT_USAGE;
	if (post(api, path, body, &res, e) < 0)
		return CTL_EXIT_ERROR;
	if (o.json) {
		ctl_case_print_json(stdout, res);
	} else {
		printf("case %s: appointment %" PRId64 " booked\n", o.pos[0],
		       ctl_json_int(json_object_get(res, "appointment"), "id"));
		print_appointment(stdout, json_object_get(res, "appointment"));
	}
	print_warnings(res);
	json_decref(res);
	return CTL_EXIT_OK;
}

/* ---- appointment move, confirm, cancel, done, missed ---- */

/* The request of a change: its action, and the window when it moves the appointment. */
static int change_body(const char *name, const struct visit_opts *o, json_t **out, struct err *e)
{
	bool move = strcmp(name, "move") == 0;
	json_t *body = json_pack("{s:s}", "action", move ? "reschedule" : name);

	if (body == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory building the request");
	if ((move && add_window(body, o, e) < 0) ||
	    add_text(body, "note", "--note", o->note, e) < 0) {
		json_decref(body);
		return ERR_INVALID;
	}
	if (o->version > 0)
		json_object_set_new(body, "version", json_integer(o->version));
	*out = body;
	return 0;
}

int ctl_visits_change(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	/* Only move takes a window: the other changes parse the table from "note" on. */
	static const struct option opts[] = {
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "note", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct visit_opts o = { 0 };
	json_t *body = NULL, *res = NULL;
	char suffix[64], path[300];
	int64_t id;

	if (visit_parse(argc, argv, strcmp(argv[0], "move") == 0 ? opts : opts + 2, 2,
			"a case number and an appointment id", &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (ctl_parse_id(o.pos[1], &id) < 0) {
		err_set(e, ERR_INVALID, "id",
			"'%.40s' is not an appointment id (a number, as `case show` prints it)",
			o.pos[1]);
		return CTL_EXIT_USAGE;
	}
	snprintf(suffix, sizeof(suffix), "/appointments/%" PRId64, id);
	if (ctl_case_path(o.pos[0], suffix, path, sizeof(path), e) < 0 ||
	    change_body(argv[0], &o, &body, e) < 0)
		return CTL_EXIT_USAGE;
	if (post(api, path, body, &res, e) < 0)
		return CTL_EXIT_ERROR;
	if (o.json) {
		ctl_case_print_json(stdout, res);
	} else {
		printf("case %s: appointment %" PRId64 " %s\n", o.pos[0], id,
		       ctl_json_str(res, "status"));
		print_appointment(stdout, res);
	}
	json_decref(res);
	return CTL_EXIT_OK;
}

/* ---- visits tasks ---- */

static void print_tasks(const json_t *res)
{
	const json_t *t;
	char due[32];
	size_t i;

	printf("%-16s %-12s ", "number", "mobile");
	ctl_case_print_padded(stdout, "name", 10);
	printf(" %-12s %-12s %s\n", "kind", "department", "answer due");
	json_array_foreach(json_object_get(res, "tasks"), i, t)
	{
		const char *mobile = ctl_json_str(t, "mobile"), *name = ctl_json_str(t, "name");

		ctl_case_short_time(ctl_json_str(t, "answer_due"), due);
		printf("%-16s %-12s ", ctl_json_str(t, "number"), *mobile ? mobile : "-");
		ctl_case_print_padded(stdout, *name ? name : "-", 10);
		printf(" %-12s %-12s %s\n", ctl_json_str(t, "kind"), ctl_json_str(t, "department"),
		       due);
	}
	fflush(stdout);
	fprintf(stderr, "%zu return visit(s) to make by phone\n",
		json_array_size(json_object_get(res, "tasks")));
}

int ctl_visits_tasks(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct visit_opts o = { 0 };
	json_t *res = NULL;
	size_t len = 0;
	bool to_stdout;

	if (visit_parse(argc, argv, opts, 0, "", &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (o.csv != NULL && o.json) {
		err_set(e, ERR_INVALID, NULL, "give --csv or --json, not both");
		return CTL_EXIT_USAGE;
	}
	if (o.csv != NULL) {
		to_stdout = strcmp(o.csv, "-") == 0;
		if (ctl_api_download(api, "/api/v1/visit-tasks?format=csv", "text/csv", o.csv, &len,
				     e) < 0)
			return CTL_EXIT_ERROR;
		fprintf(to_stdout ? stderr : stdout, "wrote %s (%zu bytes)\n",
			to_stdout ? "stdout" : o.csv, len);
		return CTL_EXIT_OK;
	}
	if (ctl_api_json(api, "GET", "/api/v1/visit-tasks", NULL, CTL_API_TIMEOUT_MS, &res, e) < 0)
		return CTL_EXIT_ERROR;
	if (o.json)
		ctl_case_print_json(stdout, res);
	else
		print_tasks(res);
	json_decref(res);
	return CTL_EXIT_OK;
}

/* ---- visits answer ---- */

static void print_answered(const json_t *v)
{
	const char *state = ctl_json_str(v, "state");

	printf("case %s: return visit answered %s; %s (%s), version %" PRId64 "\n",
	       ctl_json_str(v, "number"), ctl_json_str(v, "satisfaction"), state,
	       ctl_json_str(v, "state_label"), ctl_json_int(v, "version"));
	if (strcmp(state, "reopened") == 0)
		printf("  reopened: its department is told, and it is visited again once "
		       "resolved\n");
}

int ctl_visits_answer(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct visit_opts o = { 0 };
	json_t *body, *res = NULL;
	char path[256];

	if (visit_parse(argc, argv, opts, 2, "a case number and the answer (1, 2 or 3)", &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (ctl_case_path(o.pos[0], "/survey", path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	body = json_object();
	if (add_text(body, "answer", "the answer", o.pos[1], e) < 0) {
		json_decref(body);
		return CTL_EXIT_USAGE;
	}
	if (post(api, path, body, &res, e) < 0)
		return CTL_EXIT_ERROR;
	if (o.json)
		ctl_case_print_json(stdout, res);
	else
		print_answered(res);
	json_decref(res);
	return CTL_EXIT_OK;
}
