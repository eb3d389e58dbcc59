/* gatewayctl: the command line of dispatchers and operators.
 * Owns: the const table of commands with their usage, global options (--url, --key, and the
 * GATEWAY_URL / GATEWAY_KEY environment), help, and `key create` (areas and residents live
 * in ctl_residents.c, notices in ctl_notice.c, cases in ctl_case*.c). Every command but `key create` talks to
 * gatewayd over the HTTP API (docs/api.md); `key create` writes the key's hash straight into
 * the database named by the configuration, since no key exists yet to ask the API with.
 * Never prints an API key except the new one in `key create`'s output. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "config.h"
#include "ctl_api.h"
#include "ctl_case.h"
#include "ctl_notice.h"
#include "ctl_residents.h"
#include "ctl_util.h"
#include "store.h"

#define DEFAULT_URL "http://127.0.0.1:8080"
#define DEFAULT_CONFIG "config/gateway.ini"

struct ctl_command {
	const char *group, *name;
	int (*run)(const struct ctl_api *api, int argc, char **argv, struct err *e);
	bool local; /* works on the database directly: needs no gateway */
	const char *args; /* what follows "gatewayctl GROUP NAME" in the usage line */
	const char *summary; /* one line for the command list */
	const char *help; /* the options, one per line, indented */
};

static int cmd_key_create(const struct ctl_api *api, int argc, char **argv, struct err *e);

static const struct ctl_command commands[] = {
	{ "key", "create", cmd_key_create, true,
	  "--role ROLE [--name NAME] [--config FILE | --db FILE]",
	  "create an API key (prints it once)",
	  "  --role ROLE     admin, dispatcher, agent or kiosk\n"
	  "  --name NAME     who or what the key is for (default: the role)\n"
	  "  --config FILE   configuration naming the database (default " DEFAULT_CONFIG ")\n"
	  "  --db FILE       the database itself, without reading the configuration\n"
	  "Works on the database directly. The key alone goes to stdout, so that a script can\n"
	  "capture it; only its hash is stored, so it cannot be shown again.\n" },
	{ "areas", "import", ctl_residents_areas_import, false, "FILE.csv",
	  "import areas from CSV (code,name,parent,level)",
	  "  FILE.csv   UTF-8 or GBK, header code,name,parent,level; - reads stdin\n" },
	{ "areas", "list", ctl_residents_areas_list, false, "",
	  "list areas with their resident counts", "" },
	{ "residents", "import", ctl_residents_import, false, "FILE.csv",
	  "import the billing system's resident CSV export",
	  "  FILE.csv   UTF-8 or GBK (detected); - reads stdin\n"
	  "Prints the counts; rows that were skipped are listed on stderr. Exits 0 when the\n"
	  "import ran, even if some rows were skipped.\n" },
	{ "residents", "list", ctl_residents_list, false, "[--area CODE] [--limit N] [--offset N]",
	  "list residents, tab-separated",
	  "  --area CODE   only residents in this area or below it\n"
	  "  --limit N     at most N rows (default 100, at most 10000)\n"
	  "  --offset N    skip the first N rows\n" },
	{ "resident", "show", ctl_residents_show, false, "ACCOUNT", "show one resident", "" },
	{ "resident", "history", ctl_residents_history, false, "ACCOUNT",
	  "messages sent to a resident, newest first", "" },
	{ "notice", "send", ctl_notice_send, false,
	  "--kind K --utility U --area CODE... --start TIME --end TIME --reason R --hotline H\n"
	  "                [--channels sms,wechat] [--references ID] [--force REASON] [--yes] "
	  "[--no-watch]",
	  "preview, confirm, send and watch an outage notice",
	  "  --kind K           planned, emergency, update, restored or cancelled\n"
	  "  --utility U        water, power or heat (not for update/restored/cancelled)\n"
	  "  --area CODE        an area code; repeat it or separate codes with commas\n"
	  "  --start, --end     2026-11-23 09:00 (local, +08:00), 2026-11-23T09:00, or ISO 8601\n"
	  "                     with an offset such as 2026-11-23T09:00:00+08:00\n"
	  "  --reason R         why the supply stops\n"
	  "  --hotline H        the number residents may call\n"
	  "  --channels LIST    sms, wechat or sms,wechat (default both)\n"
	  "  --references ID    the first notice of the outage (update, restored, cancelled)\n"
	  "  --force REASON     send a planned notice despite too short a lead time; recorded\n"
	  "  --yes              do not ask before sending (needed when stdin is not a terminal)\n"
	  "  --no-watch         return once the notice is created\n"
	  "Exits 4 when some messages failed.\n" },
	{ "notice", "show", ctl_notice_show, false, "ID",
	  "show a notice, its progress and grouped failures", "" },
	{ "notice", "watch", ctl_notice_watch, false, "ID",
	  "follow a notice's progress until it is done",
	  "Polls twice a second. Exits 0 when done with no failures, 4 when some failed.\n"
	  "Ctrl-C stops the watching, not the sending.\n" },
	{ "notice", "list", ctl_notice_list, false, "[--limit N]", "list recent notices",
	  "  --limit N   at most N notices, newest first (default 20)\n" },
	{ "case", "create", ctl_case_create, false,
	  "--kind K --source S --content TEXT [--category C]\n"
	  "                [--class X] [--name N] [--mobile M] [--address A] [--account ACC]\n"
	  "                [--area CODE] [--request TEXT] [--department D] [--major] "
	  "[--no-reply]\n"
	  "                [--accept [--dispatch]] [--json]",
	  "register a case (complaint, repair, ...)",
	  "  --kind K          consultation, repair, complaint, suggestion, theft or quality\n"
	  "  --source S        phone, visit, letter, 12345, media, wechat, kiosk or web\n"
	  "  --content TEXT    what the complainant says; - reads it from stdin\n"
	  "  --category C      a category code of the case rules (leak, burst, billing ...)\n"
	  "  --class X         the deadline class, instead of the one the rules give\n"
	  "  --name, --mobile, --address, --account   the complainant (all optional)\n"
	  "  --area CODE       where it happens (an area code)\n"
	  "  --request TEXT    what the complainant asks for\n"
	  "  --department D    send it to this department instead of the routing rules'\n"
	  "  --major           a major complaint: the leaders are told at once\n"
	  "  --no-reply        the complainant wants no reply (an anonymous case)\n"
	  "  --accept          accept it at once: its deadlines start now\n"
	  "  --dispatch        and dispatch it to its department (needs --accept)\n"
	  "  --json            print the gateway's answer as JSON\n"
	  "Prints the case number, its state, department, promised times and tracking URL.\n" },
	{ "case", "show", ctl_case_show, false, "NUMBER [--json]",
	  "show a case with its deadlines and history",
	  "  --json   print the gateway's answer as JSON\n" },
	{ "case", "find", ctl_case_find, false,
	  "[--mobile M] [--account A] [--area CODE] [--state S]\n"
	  "                [--department D] [--kind K] [--overdue] [--open] [--limit N] "
	  "[--offset N]\n"
	  "                [--json]",
	  "find cases, newest first",
	  "  --mobile M, --account A   the complainant's mobile or account number\n"
	  "  --area CODE       cases in this area or below it\n"
	  "  --state S         received, accepted, dispatched, in_progress, resolved, visited,\n"
	  "                    explained, reopened or merged\n"
	  "  --department D, --kind K\n"
	  "  --overdue         only cases with a deadline passed and not met\n"
	  "  --open            only cases not closed yet\n"
	  "  --limit N         at most N cases (default 50, at most 1000)\n"
	  "  --offset N        skip the first N cases\n"
	  "  --json            print the gateway's answer as JSON\n"
	  "\"due\" is the earliest deadline not met yet. The count goes to stderr.\n" },
	{ "case", "move", ctl_case_move, false,
	  "NUMBER ACTION [--note TEXT] [--department D]\n"
	  "                [--into NUMBER] [--version V] [--json]",
	  "take a case a step further (accept, dispatch, resolve ...)",
	  "  ACTION            accept, explain, dispatch, reassign, start, resolve, visit,\n"
	  "                    reopen or merge\n"
	  "  --note TEXT       explain, resolve and reopen need one (explain's goes to the\n"
	  "                    customer)\n"
	  "  --department D    for reassign (and dispatch, instead of the routing rules)\n"
	  "  --into NUMBER     for merge: the case this one duplicates\n"
	  "  --version V       refuse if someone changed the case since version V\n"
	  "  --json            print the gateway's answer as JSON\n"
	  "Exits 1 with the gateway's reason when the step is not allowed now.\n" },
	{ "case", "note", ctl_case_note, false, "NUMBER TEXT [--contact] [--json]",
	  "add an internal note to a case",
	  "  TEXT        the note; - reads it from stdin\n"
	  "  --contact   the note records contact with the customer (meets the first-contact\n"
	  "              deadline)\n"
	  "  --json      print the gateway's answer as JSON\n" },
	{ "case", "class", ctl_case_class, false, "NUMBER CLASS [--version V] [--json]",
	  "change a case's deadline class",
	  "  CLASS         a [class.NAME] of the case rules (urgent, general, complaint ...);\n"
	  "                running deadlines keep their start and get the new limits\n"
	  "  --version V   refuse if someone changed the case since version V\n"
	  "  --json        print the gateway's answer as JSON\n" },
	{ "case", "qr", ctl_case_qr, false,
	  "NUMBER --out FILE [--format png|svg]\n                [--module N]",
	  "save the QR code of a case's tracking page",
	  "  --out FILE      where to write it; - writes to stdout\n"
	  "  --format F      png or svg (default: svg when FILE ends in .svg, else png)\n"
	  "  --module N      pixels per module, 1 to 32 (default 8)\n" },
	{ "case", "stats", ctl_case_stats, false,
	  "[--month YYYY-MM | --quarter YYYY-QN |\n"
	  "                --from DATE --to DATE] [--csv FILE | --json]",
	  "case statistics for a month, quarter or date range",
	  "  --month 2026-11         a calendar month (default: this month)\n"
	  "  --quarter 2026-Q4       a quarter\n"
	  "  --from D --to D         dates such as 2026-11-01; both days are included\n"
	  "  --csv FILE              write the full statistics as CSV (UTF-8 with a BOM, for\n"
	  "                          Excel) instead of the summary; - writes to stdout\n"
	  "  --json                  print the gateway's answer as JSON\n" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ---- usage ---- */

static void print_usage_line(FILE *f, const struct ctl_command *c)
{
	fprintf(f, "usage: gatewayctl [--url URL] [--key KEY] %s %s%s%s\n", c->group, c->name,
		c->args[0] ? " " : "", c->args);
}

static void print_command_usage(FILE *f, const struct ctl_command *c)
{
	print_usage_line(f, c);
	fprintf(f, "%s%s", c->help[0] ? "\n" : "", c->help);
}

static void print_main_usage(FILE *f)
{
	char name[64];

	fprintf(f, "usage: gatewayctl [--url URL] [--key KEY] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		snprintf(name, sizeof(name), "%s %s", commands[i].group, commands[i].name);
		fprintf(f, "  %-18s %s\n", name, commands[i].summary);
	}
	fprintf(f,
		"\nOptions:\n"
		"  --url URL   the gateway (env GATEWAY_URL, default " DEFAULT_URL ")\n"
		"  --key KEY   API key (env GATEWAY_KEY; prefer the environment: other users can\n"
		"              see command lines in ps)\n"
		"\nExit status: 0 done, 1 error, 2 bad command line, 4 a notice had failures.\n"
		"Run `gatewayctl help COMMAND` for a command's options.\n");
}

/* "resident" finds "residents" and the other way round, and "notices" finds "notice". */
static bool same_group(const char *typed, const char *group)
{
	size_t t = strlen(typed), g = strlen(group);

	if (t == g)
		return strcmp(typed, group) == 0;
	if (t == g + 1)
		return strncmp(typed, group, g) == 0 && typed[g] == 's';
	return g == t + 1 && strncmp(typed, group, t) == 0 && group[t] == 's';
}

static bool group_exists(const char *typed)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (same_group(typed, commands[i].group))
			return true;
	return false;
}

static const struct ctl_command *find_command(const char *group, const char *name)
{
	for (size_t i = 0; name != NULL && i < N_COMMANDS; i++)
		if (same_group(group, commands[i].group) && strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* Every command of a group, for "gatewayctl help notice" and "gatewayctl notice". */
static void print_group_usage(FILE *f, const char *group)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (same_group(group, commands[i].group))
			print_usage_line(f, &commands[i]);
	fprintf(f, "Run `gatewayctl help %s NAME` for a command's options.\n", group);
}

/* gatewayctl help [GROUP [NAME]] */
static int cmd_help(int argc, char **argv)
{
	const struct ctl_command *c = argc > 2 ? find_command(argv[1], argv[2]) : NULL;

	if (argc <= 1) {
		print_main_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (c != NULL) {
		print_command_usage(stdout, c);
		return CTL_EXIT_OK;
	}
	if (argc == 2 && group_exists(argv[1])) {
		print_group_usage(stdout, argv[1]);
		return CTL_EXIT_OK;
	}
	fprintf(stderr, "gatewayctl: no command '%s%s%s'\n", argv[1], argc > 2 ? " " : "",
		argc > 2 ? argv[2] : "");
	print_main_usage(stderr);
	return CTL_EXIT_USAGE;
}

/* ---- key create ---- */

struct key_opts {
	const char *config, *db, *name;
	enum role role;
	bool have_role, help;
};

static int parse_key_opts(int argc, char **argv, struct key_opts *o, struct err *e)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'r' && auth_role_parse(optarg, &o->role) < 0)
			return err_set(e, ERR_INVALID, "role",
				       "unknown role '%s': use admin, "
				       "dispatcher, agent or kiosk",
				       optarg);
		switch (ch) {
		case 'r': o->have_role = true; break;
		case 'n': o->name = optarg; break;
		case 'c': o->config = optarg; break;
		case 'd': o->db = optarg; break;
		case 'h': o->help = true; break;
		default: return ctl_opt_fail(ch, argv, e);
		}
	}
	if (o->help)
		return 0;
	if (optind < argc)
		return err_set(e, ERR_INVALID, NULL, "unexpected argument '%s'", argv[optind]);
	if (!o->have_role)
		return err_set(e, ERR_INVALID, "role", "--role is required");
	if (o->config != NULL && o->db != NULL)
		return err_set(e, ERR_INVALID, "db", "give --config or --db, not both");
	return 0;
}

/* The database path from the configuration. All problems go to stderr; e gets a summary.
 * Secrets are skipped: creating a key must not need the daemon's provider secrets. */
static int db_path_from_config(const char *path, char *out, size_t outsz, struct err *e)
{
	struct gw_config *cfg = calloc(1, sizeof(*cfg));
	struct config_problems *probs = calloc(1, sizeof(*probs));
	int rc = ERR_NOMEM;

	if (cfg == NULL || probs == NULL) {
		err_set(e, rc, NULL, "out of memory reading %s", path);
		goto out;
	}
	rc = config_load_opts(cfg, path, CONFIG_SKIP_SECRETS, probs, e);
	if (rc < 0 && probs->n > 1) {
		for (int i = 0; i < probs->n; i++)
			fprintf(stderr, "gatewayctl: %s\n", probs->msg[i]);
		err_set(e, rc, NULL, "%s has problems (above); or name the database with --db",
			path);
	}
	if (rc == 0 && (size_t)snprintf(out, outsz, "%s", cfg->db_path) >= outsz)
		rc = err_set(e, ERR_TOOBIG, "db_path", "the database path in %s is too long", path);
out:
	free(cfg);
	free(probs);
	return rc;
}

/* Stores a new key's hash and prints the key. The key is wiped from memory afterwards. */
static int key_create(const char *db, enum role role, const char *name, struct err *e)
{
	char key[AUTH_KEY_LEN + 1] = "", hash[AUTH_HASH_LEN + 1];
	struct store *st = NULL;
	struct clock clk;
	int rc;

	clock_init_real(&clk);
	rc = store_open(db, &st, e);
	if (rc < 0)
		goto out;
	rc = auth_key_new(key, hash, e);
	if (rc < 0)
		goto out;
	rc = store_apikey_add(st, name, auth_role_name(role), hash, clock_now_ms(&clk), e);
	if (rc < 0)
		goto out;
	if (printf("%s\n", key) < 0 || fflush(stdout) != 0) {
		rc = err_set(e, ERR_IO, NULL,
			     "the key was stored but could not be written to "
			     "stdout; create another one");
		goto out;
	}
	fprintf(stderr,
		"gatewayctl: created %s key \"%s\" in %s. It is shown only this once "
		"(only its hash is kept): store it now.\n",
		auth_role_name(role), name, db);
out:
	explicit_bzero(key, sizeof(key));
	store_close(st);
	return rc;
}

static int cmd_key_create(const struct ctl_api *api, int argc, char **argv, struct err *e)
{
	struct key_opts o = { 0 };
	char db[512];

	(void)api;
	if (parse_key_opts(argc, argv, &o, e) < 0)
		return CTL_EXIT_USAGE;
	if (o.help)
		return CTL_EXIT_HELP;
	if (o.db != NULL)
		snprintf(db, sizeof(db), "%s", o.db);
	else if (db_path_from_config(o.config ? o.config : DEFAULT_CONFIG, db, sizeof(db), e) < 0)
		return CTL_EXIT_ERROR;
	if (key_create(db, o.role, o.name ? o.name : auth_role_name(o.role), e) < 0)
		return CTL_EXIT_ERROR;
	return CTL_EXIT_OK;
}

/* ---- main ---- */

struct global_opts {
	const char *url, *key;
	bool help;
};

static int parse_global(int argc, char **argv, struct global_opts *g, struct err *e)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	g->url = getenv("GATEWAY_URL") ? getenv("GATEWAY_URL") : DEFAULT_URL;
	g->key = getenv("GATEWAY_KEY");
	opterr = 0;
	/* "+": stop at the command word; its options are the command's. */
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (ch == 'u')
			g->url = optarg;
		else if (ch == 'k')
			g->key = optarg;
		else if (ch == 'h')
			g->help = true;
		else
			return ctl_opt_fail(ch, argv, e);
	}
	return 0;
}

/* Runs c with the words after its group; prints the error or the usage it asks for. */
static int run_command(const struct ctl_command *c, const struct global_opts *g, int argc,
		       char **argv)
{
	struct ctl_api api = { .url = "", .key = NULL };
	struct err e;
	int rc = CTL_EXIT_USAGE;

	err_clear(&e);
	if (c->local || ctl_api_init(&api, g->url, g->key, &e) == 0)
		rc = c->run(&api, argc, argv, &e);
	fflush(stdout);
	if (rc == CTL_EXIT_HELP) {
		print_command_usage(stdout, c);
		return CTL_EXIT_OK;
	}
	if (e.msg[0] != '\0')
		fprintf(stderr, "gatewayctl: %s\n", e.msg);
	if (rc == CTL_EXIT_USAGE)
		print_command_usage(stderr, c);
	return rc;
}

int main(int argc, char **argv)
{
	struct global_opts g = { 0 };
	const struct ctl_command *c;
	struct err e;
	char **rest;
	int nrest;

	err_clear(&e);
	if (parse_global(argc, argv, &g, &e) < 0) {
		fprintf(stderr, "gatewayctl: %s\n", e.msg);
		print_main_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	rest = argv + optind;
	nrest = argc - optind;
	if (g.help || (nrest > 0 && strcmp(rest[0], "help") == 0))
		return cmd_help(g.help ? 1 : nrest, rest);
	if (nrest == 0) {
		print_main_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	c = find_command(rest[0], nrest > 1 ? rest[1] : NULL);
	if (c != NULL)
		return run_command(c, &g, nrest - 1, rest + 1);
	if (group_exists(rest[0])) {
		fprintf(stderr, "gatewayctl: %s: %s\n", rest[0],
			nrest > 1 ? "no such command" : "which command?");
		print_group_usage(stderr, rest[0]);
	} else {
		fprintf(stderr, "gatewayctl: unknown command '%s'\n", rest[0]);
		print_main_usage(stderr);
	}
	return CTL_EXIT_USAGE;
}
