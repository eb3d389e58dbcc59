/* ctl_notice: `gatewayctl notice send|show|watch|list`.
 * send: parse -> POST ?dry_run=1 -> print the preview -> confirm (terminal or --yes) ->
 * POST -> watch. The same request body goes to both POSTs, so what was previewed is what is
 * sent (the recipients may still change in between if residents are imported meanwhile).
 * watch polls GET /api/v1/notices/ID every 0.5 s until "done"; stopping it (Ctrl-C) stops
 * only the watching: the gateway goes on sending. */
#include "ctl_notice.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl_util.h"

#define WATCH_POLL_MS 500
#define WATCH_BAR_WIDTH 20
#define LIST_MAX 1000

static const struct option send_options[] = {
	{ "kind", required_argument, NULL, 'k' },
	{ "utility", required_argument, NULL, 'u' },
	{ "area", required_argument, NULL, 'a' },
	{ "start", required_argument, NULL, 's' },
	{ "end", required_argument, NULL, 'e' },
	{ "reason", required_argument, NULL, 'r' },
	{ "hotline", required_argument, NULL, 'H' },
	{ "channels", required_argument, NULL, 'c' },
	{ "references", required_argument, NULL, 'R' },
	{ "force", required_argument, NULL, 'f' },
	{ "yes", no_argument, NULL, 'y' },
	{ "no-watch", no_argument, NULL, 'W' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The long name of an option of send_options, for messages. */
static const char *opt_name(int ch)
{
	for (const struct option *o = send_options; o->name != NULL; o++)
		if (o->val == ch)
			return o->name;
	return "?";
}

/* A single-valued text option. jansson refuses invalid UTF-8, which is what a terminal in
 * GBK would type; say so rather than send a mangled reason. */
static int set_text(json_t *body, const char *key, int ch, json_t *value, struct err *e)
{
	if (value == NULL)
		return err_set(e, ERR_INVALID, key,
			       "--%s is not valid UTF-8; set the terminal to UTF-8 (e.g. "
			       "LANG=zh_CN.UTF-8)",
			       opt_name(ch));
	if (json_object_get(body, key) != NULL) {
		json_decref(value);
		return err_set(e, ERR_INVALID, key, "--%s is given twice", opt_name(ch));
	}
	json_object_set_new(body, key, value);
	return 0;
}

/* Appends the comma-separated items of val to the array body[key] (made on first use). */
static int add_list(json_t *body, const char *key, int ch, const char *val, struct err *e)
{
	json_t *arr = json_object_get(body, key), *item;
	const char *all = val;
	size_t n;

	if (arr == NULL) {
		arr = json_array();
		json_object_set_new(body, key, arr);
	}
	do {
		n = strcspn(val, ",");
		item = n > 0 ? json_stringn(val, n) : NULL;
		if (item == NULL)
			return err_set(e, ERR_INVALID, key,
				       "--%s has an empty or non-UTF-8 item in '%s'", opt_name(ch),
				       all);
		json_array_append_new(arr, item);
		val += n;
	} while (*val++ == ',');
	return 0;
}

static int set_time(json_t *body, const char *key, int ch, const char *val, struct err *e)
{
	char iso[CTL_TIME_LEN];
	struct err te;

	if (ctl_time_to_iso(val, CTL_LOCAL_OFFSET_MIN, iso, &te) < 0)
		return err_set(e, ERR_INVALID, key, "--%s: %s", opt_name(ch), te.msg);
	return set_text(body, key, ch, json_string(iso), e);
}

static int set_references(json_t *body, const char *val, struct err *e)
{
	int64_t id;

	if (ctl_parse_id(val, &id) < 0)
		return err_set(e, ERR_INVALID, "references",
			       "--references '%s' is not a notice id (a positive number)", val);
	return set_text(body, "references", 'R', json_integer(id), e);
}

static int set_force(json_t *body, const char *val, struct err *e)
{
	json_t *reason;

	if (val[0] == '\0')
		return err_set(e, ERR_INVALID, "force",
			       "--force needs a reason: it is recorded on the notice");
	reason = json_string(val);
	if (reason == NULL)
		return set_text(body, "force", 'f', NULL, e);
	return set_text(body, "force", 'f', json_pack("{s:o}", "reason", reason), e);
}

static int send_option(int ch, const char *val, struct ctl_notice_opts *o, char **argv,
		       struct err *e)
{
	switch (ch) {
	case 'k': return set_text(o->body, "kind", ch, json_string(val), e);
	case 'u': return set_text(o->body, "utility", ch, json_string(val), e);
	case 'r': return set_text(o->body, "reason", ch, json_string(val), e);
	case 'H': return set_text(o->body, "hotline", ch, json_string(val), e);
	case 'a': return add_list(o->body, "areas", ch, val, e);
	case 'c': return add_list(o->body, "channels", ch, val, e);
	case 's': return set_time(o->body, "start", ch, val, e);
	case 'e': return set_time(o->body, "end", ch, val, e);
	case 'R': return set_references(o->body, val, e);
	case 'f': return set_force(o->body, val, e);
	case 'y': o->yes = true; return 0;
	case 'W': o->no_watch = true; return 0;
	case 'h': o->help = true; return 0;
	default: return ctl_opt_fail(ch, argv, e);
	}
}

int ctl_notice_send_parse(int argc, char **argv, struct ctl_notice_opts *o, struct err *e)
{
	struct ctl_notice_opts got = { .body = json_object() };
	int ch, rc = 0;

	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, ":hy", send_options, NULL)) != -1)
		rc = send_option(ch, optarg, &got, argv, e);
	if (rc == 0 && !got.help && optind < argc)
		rc = err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	if (rc == 0 && !got.help && json_object_get(got.body, "kind") == NULL)
		rc = err_set(e, ERR_INVALID, "kind",
			     "--kind is required: planned, emergency, "
			     "update, restored or cancelled");
	if (rc < 0) {
		json_decref(got.body);
		return rc;
	}
	*o = got;
	return 0;
}

void ctl_notice_opts_cleanup(struct ctl_notice_opts *o)
{
	json_decref(o->body);
	o->body = NULL;
}

long long ctl_notice_preview_recipients(const json_t *dry)
{
	const json_t *r = json_object_get(dry, "recipients");

	return (long long)(ctl_json_int(r, "sms") + ctl_json_int(r, "wechat"));
}

/* Each line of text indented, so a multi-line WeChat text stays readable as one block. */
static void print_indented(FILE *f, const char *text)
{
	while (*text != '\0') {
		size_t n = strcspn(text, "\n");

		fprintf(f, "    %.*s\n", (int)n, text);
		text += n;
		if (*text == '\n')
			text++;
	}
}

void ctl_notice_print_preview(FILE *f, const json_t *dry)
{
	const json_t *texts = json_object_get(dry, "texts");
	const json_t *rcpt = json_object_get(dry, "recipients");
	const json_t *skip = json_object_get(dry, "skipped");
	const char *sms = ctl_json_str(texts, "sms"), *wechat = ctl_json_str(texts, "wechat");

	fprintf(f, "Preview (nothing has been sent yet)\n");
	if (*sms != '\0') {
		fprintf(f, "SMS text (%" PRId64 " characters):\n", ctl_json_int(dry, "sms_chars"));
		print_indented(f, sms);
	}
	if (*wechat != '\0') {
		fprintf(f, "WeChat text:\n");
		print_indented(f, wechat);
	}
	fprintf(f, "Residents:   %" PRId64 "\n", ctl_json_int(dry, "residents"));
	fprintf(f, "Recipients:  %" PRId64 " by SMS, %" PRId64 " by WeChat\n",
		ctl_json_int(rcpt, "sms"), ctl_json_int(rcpt, "wechat"));
	fprintf(f, "Skipped:     %" PRId64 " opted out, %" PRId64 " with no usable channel\n",
		ctl_json_int(skip, "opted_out"), ctl_json_int(skip, "no_channel"));
	if (*sms != '\0')
		fprintf(f, "SMS parts:   %" PRId64 " per message, %" PRId64 " in total\n",
			ctl_json_int(dry, "sms_parts_per_message"),
			ctl_json_int(dry, "sms_parts_total"));
}

/* "failures:" or "skips:" with one "   count  reason" line per group; nothing if none. */
static void print_groups(FILE *f, const char *title, const json_t *groups)
{
	size_t i;
	const json_t *g;

	if (json_array_size(groups) == 0)
		return;
	fprintf(f, "%s:\n", title);
	json_array_foreach(groups, i, g) fprintf(
		f, "  %8" PRId64 "  %s\n", ctl_json_int(g, "count"), ctl_json_str(g, "reason"));
}

/* "  label       value", further lines of a multi-line value aligned under the first. */
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

/* "water", ["sms","wechat"] and [{"code","name"}] joined into one line each. */
static void print_lists(FILE *f, const json_t *n)
{
	const json_t *v;
	size_t i;

	fprintf(f, "  %-11s", "areas");
	json_array_foreach(json_object_get(n, "areas"), i, v) fprintf(
		f, "%s %s %s", i ? ";" : "", ctl_json_str(v, "code"), ctl_json_str(v, "name"));
	fprintf(f, "\n  %-11s", "channels");
	json_array_foreach(json_object_get(n, "channels"), i, v) fprintf(
		f, "%s%s", i ? ", " : " ", json_string_value(v) ? json_string_value(v) : "?");
	fprintf(f, "\n");
}

static void print_progress(FILE *f, const json_t *n)
{
	struct ctl_progress p;

	ctl_progress_from_json(json_object_get(n, "progress"), &p);
	fprintf(f, "  %-11s %" PRId64 "\n", "recipients", ctl_json_int(n, "recipients"));
	fprintf(f,
		"  %-11s queued %" PRId64 ", sending %" PRId64 ", sent %" PRId64
		", delivered %" PRId64 ", failed %" PRId64 ",\n  %-11s skipped %" PRId64
		", superseded %" PRId64 ", expired %" PRId64 "\n",
		"progress", p.queued, p.sending, p.sent, p.delivered, p.failed, "", p.skipped,
		p.superseded, p.expired);
	fprintf(f, "  %-11s %s\n", "state",
		json_is_true(json_object_get(n, "done")) ? "done" : "sending");
}

void ctl_notice_print(FILE *f, const json_t *n)
{
	const json_t *texts = json_object_get(n, "texts");
	char line[160];

	fprintf(f, "notice %" PRId64 ": %s, %s (outage %" PRId64 ")\n", ctl_json_int(n, "id"),
		ctl_json_str(n, "kind"), ctl_json_str(n, "utility"), ctl_json_int(n, "outage_id"));
	if (ctl_json_int(n, "references") > 0) {
		snprintf(line, sizeof(line), "notice %" PRId64, ctl_json_int(n, "references"));
		print_field(f, "follows", line);
	}
	print_field(f, "created", ctl_json_str(n, "created_at"));
	snprintf(line, sizeof(line), "%s to %s", ctl_json_str(n, "start"), ctl_json_str(n, "end"));
	print_field(f, "outage", line);
	print_lists(f, n);
	print_field(f, "reason", ctl_json_str(n, "reason"));
	print_field(f, "hotline", ctl_json_str(n, "hotline"));
	print_field(f, "forced", ctl_json_str(n, "forced"));
	print_field(f, "sms text", ctl_json_str(texts, "sms"));
	print_field(f, "wechat text", ctl_json_str(texts, "wechat"));
	print_progress(f, n);
	print_groups(f, "failures", json_object_get(n, "failures"));
	print_groups(f, "skips", json_object_get(n, "skips"));
}

/* ---- watching ---- */

struct watch {
	bool tty, first, drawn; /* drawn: a progress line without its newline is on screen */
	struct ctl_progress last;
	int64_t last_ms;
};

static void nap_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void watch_show(struct watch *w, const json_t *notice, bool done)
{
	struct ctl_progress p;
	int64_t now = clock_mono_ms();
	char line[256];

	ctl_progress_from_json(json_object_get(notice, "progress"), &p);
	if (!ctl_watch_should_print(w->tty, w->first, !ctl_progress_equal(&p, &w->last), done,
				    now - w->last_ms))
		return;
	ctl_progress_format(&p, w->tty ? WATCH_BAR_WIDTH : 0, line, sizeof(line));
	/* \033[K clears what a longer previous line left behind. */
	if (w->tty)
		printf("\r%s\033[K", line);
	else
		printf("%s\n", line);
	fflush(stdout);
	w->drawn = w->tty;
	w->first = false;
	w->last = p;
	w->last_ms = now;
}

/* Polls until done; leaves the last answer in *last (caller decrefs). */
static int watch_poll(const struct ctl_api *api, int64_t id, json_t **last, struct err *e)
{
	struct watch w = { .tty = isatty(STDOUT_FILENO), .first = true };
	json_t *n = NULL;
	char path[64];
	bool done = false;
	int rc = 0;

	snprintf(path, sizeof(path), "/api/v1/notices/%" PRId64, id);
	while (!done) {
		if (!w.first)
			nap_ms(WATCH_POLL_MS);
		json_decref(n);
		n = NULL;
		rc = ctl_api_json(api, "GET", path, NULL, CTL_API_TIMEOUT_MS, &n, e);
		if (rc < 0)
			break;
		done = json_is_true(json_object_get(n, "done"));
		watch_show(&w, n, done);
	}
	if (w.drawn)
		printf("\n");
	*last = n;
	return rc;
}

static int watch(const struct ctl_api *api, int64_t id, struct err *e)
{
	json_t *n = NULL;
	int64_t failed;

	if (isatty(STDOUT_FILENO))
		fprintf(stderr,
			"watching notice %" PRId64 " (Ctrl-C stops watching, not sending)\n", id);
	if (watch_poll(api, id, &n, e) < 0) {
		json_decref(n);
		return CTL_EXIT_ERROR;
	}
	failed = ctl_json_int(json_object_get(n, "progress"), "failed");
	print_groups(stdout, "failures", json_object_get(n, "failures"));
	json_decref(n);
	return failed > 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

/* ---- commands ---- */

/* Asks on the terminal; refuses when nobody can answer. Returns a CTL_EXIT_* status. */
static int confirm(const struct ctl_notice_opts *o, const json_t *dry, struct err *e)
{
	long long n = ctl_notice_preview_recipients(dry);
	char answer[32];

	if (n == 0) {
		err_set(e, ERR_INVALID, NULL,
			"the notice would reach nobody (0 recipients); check "
			"--area or --references; nothing was sent");
		return CTL_EXIT_ERROR;
	}
	if (o->yes)
		return CTL_EXIT_OK;
	if (!isatty(STDIN_FILENO)) {
		err_set(e, ERR_INVALID, NULL,
			"not sent: stdin is not a terminal, so nobody can "
			"confirm; add --yes to send without asking");
		return CTL_EXIT_USAGE;
	}
	fflush(stdout);
	fprintf(stderr, "Send to %lld recipients? [y/N] ", n);
	if (fgets(answer, sizeof(answer), stdin) == NULL || !ctl_answer_yes(answer)) {
		err_set(e, ERR_INVALID, NULL, "not sent: not confirmed");
		return CTL_EXIT_ERROR;
	}
	return CTL_EXIT_OK;
}

static int send_for_real(const struct ctl_api *api, const struct ctl_notice_opts *o, struct err *e)
{
	json_t *made = NULL;
	int64_t id;

	if (ctl_api_json(api, "POST", "/api/v1/notices", o->body, CTL_API_SLOW_TIMEOUT_MS, &made,
			 e) < 0)
		return CTL_EXIT_ERROR;
	id = ctl_json_int(made, "id");
	printf("notice %" PRId64 " created (outage %" PRId64 ", %" PRId64 " recipients)\n", id,
	       ctl_json_int(made, "outage_id"), ctl_json_int(made, "recipients"));
	json_decref(made);
	if (o->no_watch) {
		printf("follow it with: gatewayctl notice watch %" PRId64 "\n", id);
		return CTL_EXIT_OK;
	}
	fflush(stdout);
	return watch(api, id, e);
}

int ctl_notice_send(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	struct ctl_notice_opts o = { 0 };
	json_t *dry = NULL;
	int rc;

	if (ctl_notice_send_parse(argc, argv, &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help) {
		rc = CTL_EXIT_HELP;
		goto out;
	}
	rc = CTL_EXIT_ERROR;
	if (ctl_api_json(api, "POST", "/api/v1/notices?dry_run=1", o.body, CTL_API_SLOW_TIMEOUT_MS,
			 &dry, e) < 0)
		goto out;
	ctl_notice_print_preview(stdout, dry);
	rc = confirm(&o, dry, e);
	if (rc == CTL_EXIT_OK)
		rc = send_for_real(api, &o, e);
out:
	json_decref(dry);
	ctl_notice_opts_cleanup(&o);
	return rc;
}

/* show and watch: one notice id. */
static int parse_notice_id(int argc, char **argv, int64_t *id, struct err *e)
{
	bool help;
	int i = ctl_args_plain(argc, argv, "a notice id", &help, e);

	if (i < 0)
		return CTL_EXIT_USAGE;
	if (help)
		return CTL_EXIT_HELP;
	if (ctl_parse_id(argv[i], id) < 0) {
		err_set(e, ERR_INVALID, NULL, "'%s' is not a notice id (a positive number)",
			argv[i]);
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

int ctl_notice_show(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	json_t *n = NULL;
	char path[64];
	int64_t id;
	int rc = parse_notice_id(argc, argv, &id, e);

	if (rc != CTL_EXIT_OK)
		return rc;
	snprintf(path, sizeof(path), "/api/v1/notices/%" PRId64, id);
	if (ctl_api_json(api, "GET", path, NULL, CTL_API_TIMEOUT_MS, &n, e) < 0)
		return CTL_EXIT_ERROR;
	ctl_notice_print(stdout, n);
	json_decref(n);
	return CTL_EXIT_OK;
}

int ctl_notice_watch(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	int64_t id;
	int rc = parse_notice_id(argc, argv, &id, e);

	return rc == CTL_EXIT_OK ? watch(api, id, e) : rc;
}

static int parse_list(int argc, char **argv, long *limit, bool *help, struct err *e)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			*help = true;
		else if (ch != 'l')
			return ctl_opt_fail(ch, argv, e);
		else if (ctl_parse_count(optarg, LIST_MAX, limit) < 0 || *limit == 0)
			return err_set(e, ERR_INVALID, "limit", "--limit takes 1 to %d", LIST_MAX);
	}
	if (optind < argc && !*help)
		return err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int ctl_notice_list(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	json_t *res = NULL, *v;
	char path[64];
	long limit = 20;
	bool help = false;
	size_t i;

	if (parse_list(argc, argv, &limit, &help, e) < 0)
		return CTL_EXIT_USAGE;
	if (help)
		return CTL_EXIT_HELP;
	snprintf(path, sizeof(path), "/api/v1/notices?limit=%ld", limit);
	if (ctl_api_json(api, "GET", path, NULL, CTL_API_TIMEOUT_MS, &res, e) < 0)
		return CTL_EXIT_ERROR;
	printf("%8s  %-9s  %-7s  %-25s  %10s  %s\n", "id", "kind", "utility", "created",
	       "recipients", "state");
	json_array_foreach(json_object_get(res, "notices"), i, v)
		printf("%8" PRId64 "  %-9s  %-7s  %-25s  %10" PRId64 "  %s\n",
		       ctl_json_int(v, "id"), ctl_json_str(v, "kind"), ctl_json_str(v, "utility"),
		       ctl_json_str(v, "created_at"), ctl_json_int(v, "recipients"),
		       json_is_true(json_object_get(v, "done")) ? "done" : "sending");
	json_decref(res);
	return CTL_EXIT_OK;
}
