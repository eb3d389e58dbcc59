/* ctl_case: `gatewayctl case create|move|note|class`, the commands that change a case.
 * Each builds one JSON body from the command line, sends it, and prints a short account of
 * the answer (the staff view of the case). The gateway decides what is allowed: a move the
 * state machine refuses, or a --version that is no longer current, comes back as its 409
 * message and exit status 1. Only what a human cannot have meant (a missing --kind, two
 * --note) is refused here, with exit status 2. */
#include "ctl_case.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_util.h"

/* The gateway takes 2000 characters of content; four bytes each at most, with room to spare
 * so that the gateway, not a silent cut, says when a text is too long. */
#define STDIN_MAX (64 * 1024)
/* A case number escaped for a path: numbers are short ("GD2026110001"). */
#define NUMBER_ESC_MAX 128

/* ---- shared ---- */

/* Reads stdin whole (at most STDIN_MAX bytes) into a malloc'd string without its final line
 * breaks, for "--content -" and "case note NUMBER -". */
static int read_stdin(char **out, struct err *e)
{
	char *buf = malloc(STDIN_MAX + 1);
	size_t n;

	if (buf == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory reading stdin");
	n = fread(buf, 1, STDIN_MAX + 1, stdin);
	if (ferror(stdin) || n > STDIN_MAX) {
		free(buf);
		return err_set(e, ERR_INVALID, NULL,
			       ferror(stdin) ? "cannot read stdin"
					     : "stdin holds more than %d KiB; a case's text is at "
					       "most 2000 characters",
			       STDIN_MAX / 1024);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int ctl_case_path(const char *number, const char *suffix, char *out, size_t outsz, struct err *e)
{
	char esc[NUMBER_ESC_MAX];

	if (number[0] == '\0' || ctl_url_escape(number, esc, sizeof(esc)) < 0 ||
	    (size_t)snprintf(out, outsz, "/api/v1/cases/%s%s", esc, suffix) >= outsz)
		return err_set(e, ERR_INVALID, "number", "'%.40s' is not a case number", number);
	return 0;
}

/* Sends body to method path and prints the answer with print (or as JSON). Takes body. */
static int send_change(const struct ctl_api *api, const char *method, const char *path,
		       json_t *body, bool as_json, void (*print)(const json_t *view), struct err *e)
{
	json_t *view = NULL;
	int rc = ctl_api_json(api, method, path, body, CTL_API_TIMEOUT_MS, &view, e);

	json_decref(body);
	if (rc < 0)
		return CTL_EXIT_ERROR;
	if (as_json)
		ctl_case_print_json(stdout, view);
	else
		print(view);
	json_decref(view);
	return CTL_EXIT_OK;
}

/* ---- create ---- */

enum field_kind {
	F_TEXT, /* a string member of the body */
	F_WHO, /* a string member of body.complainant */
	F_TRUE, /* a flag that sets a boolean member to true */
	F_FALSE, /* a flag that sets a boolean member to false */
	F_JSON,
	F_HELP,
};

/* The options of case create and the request member each one fills. */
static const struct create_field {
	const char *opt;
	int ch;
	const char *key;
	enum field_kind kind;
} create_fields[] = {
	{ "kind", 'k', "kind", F_TEXT },         { "source", 's', "source", F_TEXT },
	{ "category", 'c', "category", F_TEXT }, { "class", 'C', "class", F_TEXT },
	{ "name", 'n', "name", F_WHO },          { "mobile", 'm', "mobile", F_WHO },
	{ "address", 'A', "address", F_WHO },    { "account", 'a', "account", F_WHO },
	{ "area", 'r', "area", F_TEXT },         { "content", 't', "content", F_TEXT },
	{ "request", 'q', "request", F_TEXT },   { "department", 'd', "department", F_TEXT },
	{ "major", 'M', "major", F_TRUE },       { "no-reply", 'R', "reply", F_FALSE },
	{ "accept", 'x', "accept", F_TRUE },     { "dispatch", 'D', "dispatch", F_TRUE },
	{ "json", 'j', NULL, F_JSON },           { "help", 'h', NULL, F_HELP },
};
#define N_CREATE_FIELDS (sizeof(create_fields) / sizeof(create_fields[0]))

struct create_opts {
	json_t *body; /* owned */
	bool json, help;
};

static const struct create_field *create_field_of(int ch)
{
	for (size_t i = 0; i < N_CREATE_FIELDS; i++)
		if (create_fields[i].ch == ch)
			return &create_fields[i];
	return NULL;
}

/* A text option into obj[key]. jansson refuses invalid UTF-8, which is what a terminal in
 * GBK would type; say so rather than send mangled text. */
static int set_text(json_t *obj, const struct create_field *f, const char *val, struct err *e)
{
	json_t *v = json_string(val);

	if (v == NULL)
		return err_set(e, ERR_INVALID, f->key,
			       "--%s is not valid UTF-8; set the terminal to UTF-8 (e.g. "
			       "LANG=zh_CN.UTF-8)",
			       f->opt);
	if (json_object_get(obj, f->key) != NULL) {
		json_decref(v);
		return err_set(e, ERR_INVALID, f->key, "--%s is given twice", f->opt);
	}
	json_object_set_new(obj, f->key, v);
	return 0;
}

static int create_option(const struct create_field *f, const char *val, struct create_opts *o,
			 struct err *e)
{
	json_t *who;

	switch (f->kind) {
	case F_TEXT: return set_text(o->body, f, val, e);
	case F_WHO:
		who = json_object_get(o->body, "complainant");
		if (who == NULL) {
			who = json_object();
			json_object_set_new(o->body, "complainant", who);
		}
		return set_text(who, f, val, e);
	case F_TRUE:
	case F_FALSE:
		json_object_set_new(o->body, f->key, json_boolean(f->kind == F_TRUE));
		return 0;
	case F_JSON: o->json = true; return 0;
	case F_HELP: o->help = true; return 0;
	}
	return 0;
}

/* What the gateway would refuse anyway, said in the command line's words. */
static int create_check(const json_t *body, struct err *e)
{
	if (json_object_get(body, "kind") == NULL)
		return err_set(e, ERR_INVALID, "kind",
			       "--kind is required: consultation, repair, complaint, suggestion, "
			       "theft or quality");
	if (json_object_get(body, "source") == NULL)
		return err_set(e, ERR_INVALID, "source",
			       "--source is required: phone, visit, letter, 12345, media, wechat, "
			       "kiosk or web");
	if (json_object_get(body, "content") == NULL)
		return err_set(e, ERR_INVALID, "content",
			       "--content is required: what the complainant says (- reads it "
			       "from stdin)");
	if (json_is_true(json_object_get(body, "dispatch")) &&
	    !json_is_true(json_object_get(body, "accept")))
		return err_set(e, ERR_INVALID, "dispatch",
			       "--dispatch needs --accept: a case is dispatched after it is "
			       "accepted");
	return 0;
}

static int create_parse(int argc, char **argv, struct create_opts *o, struct err *e)
{
	struct option opts[N_CREATE_FIELDS + 1];
	struct create_opts got = { .body = json_object() };
	const struct create_field *f;
	int ch, rc = 0;

	for (size_t i = 0; i < N_CREATE_FIELDS; i++) {
		bool flag = create_fields[i].kind != F_TEXT && create_fields[i].kind != F_WHO;
		opts[i] = (struct option){ create_fields[i].opt,
					   flag ? no_argument : required_argument, NULL,
					   create_fields[i].ch };
	}
	opts[N_CREATE_FIELDS] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		rc = (f = create_field_of(ch)) != NULL ? create_option(f, optarg, &got, e)
						       : ctl_opt_fail(ch, argv, e);
	if (rc == 0 && !got.help && optind < argc)
		rc = err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	if (rc == 0 && !got.help)
		rc = create_check(got.body, e);
	if (rc < 0) {
		json_decref(got.body);
		return rc;
	}
	*o = got;
	return 0;
}

/* "--content -": the text from stdin. */
static int content_from_stdin(json_t *body, struct err *e)
{
	char *text = NULL;
	json_t *v;
	int rc;

	if (strcmp(json_string_value(json_object_get(body, "content")), "-") != 0)
		return 0;
	if ((rc = read_stdin(&text, e)) < 0)
		return rc;
	v = json_string(text);
	free(text);
	if (v == NULL)
		return err_set(e, ERR_INVALID, "content",
			       "the content on stdin is not valid UTF-8");
	json_object_set_new(body, "content", v);
	return 0;
}

static void print_created(const json_t *v)
{
	printf("case %s created: %s (%s)\n", ctl_json_str(v, "number"),
	       ctl_json_str(v, "state_label"), ctl_json_str(v, "state"));
	if (ctl_json_str(v, "department")[0] != '\0')
		printf("  %-11s %s (%s)\n", "department", ctl_json_str(v, "department_name"),
		       ctl_json_str(v, "department"));
	printf("  %-11s %s (%s)\n", "class", ctl_json_str(v, "class_label"),
	       ctl_json_str(v, "class"));
	if (json_array_size(json_object_get(v, "clocks")) > 0)
		ctl_case_print_clocks(stdout, v);
	else
		printf("  not accepted yet: the promised times start when it is accepted\n");
	printf("  %-11s %s\n", "tracking", ctl_json_str(v, "tracking_url"));
}

int ctl_case_create(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	struct create_opts o = { 0 };

	if (create_parse(argc, argv, &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help) {
		json_decref(o.body);
		return CTL_EXIT_HELP;
	}
	if (content_from_stdin(o.body, e) < 0) {
		json_decref(o.body);
		return CTL_EXIT_ERROR;
	}
	return send_change(api, "POST", "/api/v1/cases", o.body, o.json, print_created, e);
}

/* ---- move, note, class ---- */

/* What move, note and class were given; each accepts a subset of the options. */
struct change_opts {
	const char *pos[2]; /* NUMBER and ACTION, TEXT or CLASS */
	const char *note, *department, *into;
	int64_t version; /* 0 when not given */
	bool contact, json, help;
};

static int change_option(int ch, const char *val, struct change_opts *o, char **argv, struct err *e)
{
	switch (ch) {
	case 'n': return ctl_set_once(&o->note, "note", val, e);
	case 'd': return ctl_set_once(&o->department, "department", val, e);
	case 'i': return ctl_set_once(&o->into, "into", val, e);
	case 'v': return ctl_parse_version(val, &o->version, e);
	case 'c': o->contact = true; return 0;
	case 'j': o->json = true; return 0;
	case 'h': o->help = true; return 0;
	default: return ctl_opt_fail(ch, argv, e);
	}
}

/* Parses opts (a subset of the options above) and exactly two words, named by what. */
static int change_parse(int argc, char **argv, const struct option *opts, const char *what,
			struct change_opts *o, struct err *e)
{
	int ch, rc = 0;

	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
		rc = change_option(ch, optarg, o, argv, e);
	if (rc < 0 || o->help)
		return rc;
	if (argc - optind != 2)
		return err_set(e, ERR_INVALID, NULL, "%s %s",
			       argc - optind < 2 ? "missing" : "expected only", what);
	o->pos[0] = argv[optind];
	o->pos[1] = argv[optind + 1];
	return 0;
}

/* Adds "version" when --version was given. */
static void add_version(json_t *body, const struct change_opts *o)
{
	if (o->version > 0)
		json_object_set_new(body, "version", json_integer(o->version));
}

/* Adds body[key] = val unless val is NULL. */
static int add_text(json_t *body, const char *key, const char *val, struct err *e)
{
	json_t *v;

	if (val == NULL)
		return 0;
	if ((v = json_string(val)) == NULL)
		return err_set(e, ERR_INVALID, key,
			       "--%s is not valid UTF-8; set the terminal to UTF-8 (e.g. "
			       "LANG=zh_CN.UTF-8)",
			       key);
	json_object_set_new(body, key, v);
	return 0;
}

/* The last history entry: what the step just taken did. */
static const json_t *last_event(const json_t *view)
{
	const json_t *events = json_object_get(view, "events");
	size_t n = json_array_size(events);

	return n > 0 ? json_array_get(events, n - 1) : NULL;
}

static void print_moved(const json_t *v)
{
	const json_t *ev = last_event(v);
	const char *action = ctl_json_str(ev, "action");

	printf("case %s: %s -> %s (%s), version %" PRId64 "\n", ctl_json_str(v, "number"),
	       ctl_json_str(ev, "from"), ctl_json_str(v, "state"), ctl_json_str(v, "state_label"),
	       ctl_json_int(v, "version"));
	if (strcmp(action, "dispatch") == 0 || strcmp(action, "reassign") == 0)
		printf("  %-11s %s (%s)\n", "department", ctl_json_str(v, "department_name"),
		       ctl_json_str(v, "department"));
	if (strcmp(action, "accept") == 0 || strcmp(action, "resolve") == 0 ||
	    strcmp(action, "reopen") == 0)
		ctl_case_print_clocks(stdout, v);
}

int ctl_case_move(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "department", required_argument, NULL, 'd' },
		{ "into", required_argument, NULL, 'i' },
		{ "version", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct change_opts o = { 0 };
	char path[256];
	json_t *body;

	if (change_parse(argc, argv, opts, "a case number and an action", &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (ctl_case_path(o.pos[0], "/transitions", path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	body = json_object();
	add_version(body, &o);
	if (add_text(body, "action", o.pos[1], e) < 0 || add_text(body, "note", o.note, e) < 0 ||
	    add_text(body, "department", o.department, e) < 0 ||
	    add_text(body, "into", o.into, e) < 0) {
		json_decref(body);
		return CTL_EXIT_USAGE;
	}
	return send_change(api, "POST", path, body, o.json, print_moved, e);
}

static void print_noted(const json_t *v)
{
	const json_t *ev = last_event(v);
	char at[32];

	ctl_case_short_time(ctl_json_str(ev, "at"), at);
	printf("case %s: %s added by %s at %s\n", ctl_json_str(v, "number"),
	       strcmp(ctl_json_str(ev, "action"), "contact") == 0 ? "contact note" : "note",
	       ctl_json_str(ev, "actor"), at);
}

int ctl_case_note(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "contact", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct change_opts o = { 0 };
	char path[256], *text = NULL;
	json_t *body;
	int rc;

	if (change_parse(argc, argv, opts, "a case number and the note's text", &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (ctl_case_path(o.pos[0], "/notes", path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	if (strcmp(o.pos[1], "-") == 0 && read_stdin(&text, e) < 0)
		return CTL_EXIT_ERROR;
	body = json_pack("{s:b}", "contact", o.contact);
	rc = add_text(body, "note", text ? text : o.pos[1], e);
	free(text);
	if (rc < 0) {
		json_decref(body);
		return CTL_EXIT_USAGE;
	}
	return send_change(api, "POST", path, body, o.json, print_noted, e);
}

static void print_classed(const json_t *v)
{
	printf("case %s: class %s (%s), version %" PRId64 "\n", ctl_json_str(v, "number"),
	       ctl_json_str(v, "class"), ctl_json_str(v, "class_label"),
	       ctl_json_int(v, "version"));
	ctl_case_print_clocks(stdout, v);
}

int ctl_case_class(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct change_opts o = { 0 };
	char path[256];
	json_t *body;

	if (change_parse(argc, argv, opts, "a case number and a class", &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (ctl_case_path(o.pos[0], "/class", path, sizeof(path), e) < 0)
		return CTL_EXIT_USAGE;
	body = json_object();
	add_version(body, &o);
	if (add_text(body, "class", o.pos[1], e) < 0) {
		json_decref(body);
		return CTL_EXIT_USAGE;
	}
	return send_change(api, "PUT", path, body, o.json, print_classed, e);
}
