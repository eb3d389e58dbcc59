/* gatewayctl: the command line of dispatchers and operators.
 * Owns: main, the global options (--url, --key, and the GATEWAY_URL / GATEWAY_KEY
 * environment), running the command found in ctl_commands.c's table, and `key create`
 * (areas and residents live in ctl_residents.c, notices in ctl_notice.c, cases in
 * ctl_case*.c, appointments and return visits in ctl_visits.c). Every command but `key
 * create` talks to gatewayd over the HTTP API (docs/api.md); `key create` writes the key's
 * hash straight into the database named by the configuration, since no key exists yet to
 * ask the API with. Never prints an API key except the new one in `key create`'s output. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "config.h"
#include "ctl_api.h"
#include "ctl_commands.h"
#include "ctl_util.h"
#include "store.h"

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

int ctl_key_create(const struct ctl_api *api, int argc, char **argv, struct err *e)
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
	else if (db_path_from_config(o.config ? o.config : CTL_DEFAULT_CONFIG, db, sizeof(db), e) <
		 0)
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

	g->url = getenv("GATEWAY_URL") ? getenv("GATEWAY_URL") : CTL_DEFAULT_URL;
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
		ctl_commands_print_usage(stdout, c);
		return CTL_EXIT_OK;
	}
	if (e.msg[0] != '\0')
		fprintf(stderr, "gatewayctl: %s\n", e.msg);
	if (rc == CTL_EXIT_USAGE)
		ctl_commands_print_usage(stderr, c);
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
		ctl_commands_print_main(stderr);
		return CTL_EXIT_USAGE;
	}
	rest = argv + optind;
	nrest = argc - optind;
	if (g.help || (nrest > 0 && strcmp(rest[0], "help") == 0))
		return ctl_commands_help(g.help ? 1 : nrest, rest);
	if (nrest == 0) {
		ctl_commands_print_main(stderr);
		return CTL_EXIT_USAGE;
	}
	c = ctl_commands_find(rest[0], nrest > 1 ? rest[1] : NULL);
	if (c != NULL)
		return run_command(c, &g, nrest - 1, rest + 1);
	if (ctl_commands_group_exists(rest[0])) {
		fprintf(stderr, "gatewayctl: %s: %s\n", rest[0],
			nrest > 1 ? "no such command" : "which command?");
		ctl_commands_print_group(stderr, rest[0]);
	} else {
		fprintf(stderr, "gatewayctl: unknown command '%s'\n", rest[0]);
		ctl_commands_print_main(stderr);
	}
	return CTL_EXIT_USAGE;
}
