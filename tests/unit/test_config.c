/* test_config: config_load against INI files written to a private temporary directory,
 * plus the demo config/gateway.ini (tests run from the repository root). Checks defaults,
 * every kind of problem message (FILE:LINE, key, suggestion), problem collection, secrets
 * from the environment (and loading without them for tools), and that no secret ever shows
 * up in a message. */
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

#define SECRET "TOPSECRET-4711"
#define ENV_VAR "TEST_CONFIG_SECRET_4711"

struct fixture {
	char dir[64];
	char path[128];
	struct gw_config cfg;
	struct config_problems probs;
	struct err e;
};

static void fx_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/gw.ini", fx->dir);
}

static void fx_cleanup(struct fixture *fx)
{
	unlink(fx->path);
	rmdir(fx->dir);
}

/* Writes text to the fixture's file and loads it. */
static int load_text(struct fixture *fx, const char *text)
{
	FILE *f = fopen(fx->path, "w");

	if (f == NULL || fputs(text, f) < 0) {
		perror(fx->path);
		exit(2);
	}
	fclose(f);
	return config_load(&fx->cfg, fx->path, &fx->probs, &fx->e);
}

/* True when some problem starts "<path>:<line>: " and contains needle; else lists them. */
static bool has_problem(const struct fixture *fx, int line, const char *needle)
{
	char prefix[160];

	snprintf(prefix, sizeof(prefix), "%s:%d: ", fx->path, line);
	for (int i = 0; i < fx->probs.n; i++) {
		if (strncmp(fx->probs.msg[i], prefix, strlen(prefix)) == 0 &&
		    strstr(fx->probs.msg[i], needle) != NULL)
			return true;
	}
	fprintf(stderr, "    no problem on line %d with \"%s\"; got:\n", line, needle);
	for (int i = 0; i < fx->probs.n; i++)
		fprintf(stderr, "      %s\n", fx->probs.msg[i]);
	return false;
}

TEST(test_defaults)
{
	struct gw_config c;

	config_defaults(&c);
	CHECK_STR(c.listen_host, "127.0.0.1");
	CHECK_INT(c.listen_port, 8080);
	CHECK_INT(c.max_body, 1 << 20);
	CHECK_INT(c.max_import_body, 64 << 20);
	CHECK_INT(c.http_threads, 4);
	CHECK_STR(c.db_path, "var/gateway.db");
	CHECK_STR(c.log_level, "info");
	CHECK_STR(c.templates_dir, "templates");
	CHECK_INT(c.quiet_start_min, 1260);
	CHECK_INT(c.quiet_end_min, 480);
	CHECK_INT(c.utc_offset_min, 480);
	CHECK_INT(c.retry_base_ms, 2000);
	CHECK_INT(c.retry_max_ms, 600000);
	CHECK_INT(c.max_attempts, 8);
	CHECK_INT(c.claim_batch, 500);
	CHECK_INT(c.followup_ttl_hours, 24);
	CHECK_INT(c.lead_min[UTIL_WATER], 24 * 60);
	CHECK_INT(c.lead_min[UTIL_HEAT], 48 * 60);
	CHECK_INT(c.lead_min[UTIL_POWER], 168 * 60);
	CHECK_INT(c.water_long_lead_min, 48 * 60);
	CHECK_INT(c.water_long_threshold_min, 12 * 60);
	CHECK_STR(c.col_account, "户号");
	CHECK_STR(c.col_mobile, "手机号");
	CHECK_STR(c.col_area, "区域编码");
	CHECK_INT(c.nproviders, 0);
	CHECK_STR(c.sms_provider, "");
}

TEST(test_empty_file_is_defaults)
{
	struct fixture fx;
	struct gw_config d;

	fx_init(&fx);
	CHECK_INT(load_text(&fx, "; nothing but a comment\n\n"), 0);
	CHECK_INT(fx.probs.n, 0);
	config_defaults(&d);
	CHECK_INT(fx.cfg.listen_port, d.listen_port);
	CHECK_INT(fx.cfg.quiet_start_min, d.quiet_start_min);
	CHECK_STR(fx.cfg.path, fx.path);
	fx_cleanup(&fx);
}

TEST(test_demo_config)
{
	struct gw_config c;
	struct config_problems p;
	struct err e = { 0 };
	const struct provider_config *sms, *wx;

	CHECK_INT(config_load(&c, "config/gateway.ini", &p, &e), 0);
	CHECK_INT(p.n, 0);
	if (p.n > 0)
		fprintf(stderr, "    first: %s\n", p.msg[0]);
	CHECK_STR(c.listen_host, "127.0.0.1");
	CHECK_INT(c.listen_port, 8080);
	CHECK_STR(c.db_path, "var/gateway.db");
	CHECK_STR(c.sms_signature, "【幸福水务】");
	CHECK_INT(c.quiet_start_min, 21 * 60);
	CHECK_INT(c.quiet_end_min, 8 * 60);
	CHECK_INT(c.nproviders, 2);
	sms = config_provider(&c, c.sms_provider);
	wx = config_provider(&c, c.wechat_provider);
	CHECK(sms != NULL && wx != NULL);
	if (sms == NULL || wx == NULL)
		return;
	CHECK_STR(sms->name, "demo_sms");
	CHECK_STR(sms->type, "file");
	CHECK_STR(sms->channel, "sms");
	CHECK_STR(sms->path, "var/sent-sms.jsonl");
	CHECK_STR(wx->name, "demo_wechat");
	CHECK_STR(wx->channel, "wechat");
	CHECK_STR(wx->path, "var/sent-wechat.jsonl");
	CHECK_INT(sms->timeout_ms, 5000);
	CHECK_INT(sms->concurrency, 16);
	CHECK_INT(sms->batch, 1);
	CHECK_INT(sms->rate_per_s, 0);
}

TEST(test_values_parsed)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(
		load_text(&fx,
			  "[server]\n"
			  "   listen = [::1]:9090   ; indented, with a comment\n"
			  "max_body = 512K\nmax_import_body = 1048576\n"
			  "[delivery]\nquiet_hours = off\nutc_offset = -05:30\n"
			  "[lead_time]\nwater_hours = 36\npower_hours = 72\nwater_long_hours = 60\n"
			  "[log]\nlevel = debug\n"),
		0);
	CHECK_STR(fx.cfg.listen_host, "::1");
	CHECK_INT(fx.cfg.listen_port, 9090);
	CHECK_INT(fx.cfg.max_body, 512 * 1024);
	CHECK_INT(fx.cfg.max_import_body, 1048576);
	CHECK_INT(fx.cfg.quiet_start_min, 0);
	CHECK_INT(fx.cfg.quiet_end_min, 0);
	CHECK_INT(fx.cfg.utc_offset_min, -330);
	CHECK_INT(fx.cfg.lead_min[UTIL_WATER], 36 * 60);
	CHECK_INT(fx.cfg.lead_min[UTIL_POWER], 72 * 60);
	CHECK_STR(fx.cfg.log_level, "debug");
	fx_cleanup(&fx);
}

TEST(test_typo_key_suggests)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(load_text(&fx, "; comment\n[delivery]\nqiet_hours = 21:00-08:00\n"), ERR_INVALID);
	CHECK_INT(fx.probs.n, 1);
	CHECK(has_problem(&fx, 3, "[delivery] qiet_hours: unknown key; did you mean quiet_hours?"));
	CHECK_INT(fx.e.code, ERR_INVALID);
	CHECK_STR(fx.e.field, "qiet_hours");
	CHECK(strstr(fx.e.msg, "did you mean quiet_hours?") != NULL);
	fx_cleanup(&fx);
}

TEST(test_bad_quiet_hours)
{
	struct fixture fx;
	char want[256];

	fx_init(&fx);
	CHECK_INT(load_text(&fx, "[delivery]\nquiet_hours = 21:00-8\n"), ERR_INVALID);
	snprintf(
		want, sizeof(want),
		"%s:2: [delivery] quiet_hours: \"21:00-8\" is not HH:MM-HH:MM (example: 21:00-08:00",
		fx.path);
	CHECK_INT(fx.probs.n, 1);
	CHECK(strncmp(fx.probs.msg[0], want, strlen(want)) == 0);
	CHECK_INT(load_text(&fx, "[delivery]\nquiet_hours = 24:00-08:00\n"), ERR_INVALID);
	CHECK_INT(load_text(&fx, "[delivery]\nquiet_hours = 08:00-08:00\n"), ERR_INVALID);
	CHECK(has_problem(&fx, 2, "write off"));
	fx_cleanup(&fx);
}

TEST(test_many_problems_collected)
{
	struct fixture fx;

	fx_init(&fx);
	fx.cfg.listen_port = 4242; /* out-parameter must stay untouched on failure */
	CHECK_INT(load_text(&fx,
			    "[server]\n" /* 1 */
			    "listen = localhost\n" /* 2 */
			    "http_threads = many\n" /* 3 */
			    "max_body = 2G\n" /* 4 */
			    "[delivry]\n" /* 5 */
			    "quiet_hours = off\n" /* 6: skipped, section reported */
			    "[delivery]\n" /* 7 */
			    "max_attempts = 0\n" /* 8 */
			    "max_attempts = 3\n" /* 9 */
			    "this line has no equals\n" /* 10 */
			    "[store\n" /* 11 */
			    "[templates]\n" /* 12 */
			    "path = x\n"), /* 13 */
		  ERR_INVALID);
	CHECK_INT(fx.probs.n, 9);
	CHECK(has_problem(&fx, 2, "[server] listen: \"localhost\" is not host:port"));
	CHECK(has_problem(&fx, 3, "[server] http_threads: \"many\" is not a whole number"));
	CHECK(has_problem(&fx, 4, "[server] max_body: \"2G\" is not a size"));
	CHECK(has_problem(&fx, 5, "[delivry]: unknown section; did you mean [delivery]?"));
	CHECK(has_problem(&fx, 8, "max_attempts: 0 is out of range; use a whole number from 1"));
	CHECK(has_problem(&fx, 9, "max_attempts: is set twice (first on line 8)"));
	CHECK(has_problem(&fx, 10, "not a \"key = value\" line"));
	CHECK(has_problem(&fx, 11, "with a closing ]"));
	CHECK(has_problem(&fx, 13, "[templates] path: does not belong here; move it to [store]"));
	CHECK_INT(fx.cfg.listen_port, 4242);
	CHECK(strstr(fx.e.msg, "(and 8 more problems)") != NULL);
	fx_cleanup(&fx);
}

TEST(test_problem_cap)
{
	struct fixture fx;
	char text[4096] = "[server]\n";

	for (int i = 0; i < CONFIG_MAX_PROBLEMS + 6; i++)
		strcat(text, "nokey\n");
	fx_init(&fx);
	CHECK_INT(load_text(&fx, text), ERR_INVALID);
	CHECK_INT(fx.probs.n, CONFIG_MAX_PROBLEMS);
	CHECK(strstr(fx.probs.msg[CONFIG_MAX_PROBLEMS - 1], "7 more problems not shown") != NULL);
	fx_cleanup(&fx);
}

TEST(test_provider_references)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(load_text(&fx,
			    "[sms]\nsignature = 【幸福水务】\nprovider = nosuch\n" /* 1-3 */
			    "[wechat]\nprovider = f\n" /* 4-5 */
			    "[provider.f]\ntype = file\nchannel = sms\npath = x.jsonl\n" /* 6-9 */),
		  ERR_INVALID);
	CHECK_INT(fx.probs.n, 2);
	CHECK(has_problem(
		&fx, 3,
		"[sms] provider: there is no [provider.nosuch]; add that section or use a defined provider (f)"));
	CHECK(has_problem(&fx, 5,
			  "[wechat] provider: provider f has channel = sms; set channel = wechat"));
	fx_cleanup(&fx);
}

TEST(test_provider_checks)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(load_text(&fx,
			    "[sms]\nprovider = w\n" /* 1-2 */
			    "[provider.w]\ntype = webhook\nchannel = sms\n" /* 3-5 */
			    "timeout_ms = 50\nconcurrency = 2000\ncolour = 1\n" /* 6-8 */
			    "[provider.f]\ntype = ftp\n" /* 9-10 */
			    "[provider.w]\ntype = file\n" /* 11-12 */
			    "[provider.]\n" /* 13 */
			    "[provder.x]\n" /* 14 */),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 2, "[sms] signature: is missing"));
	CHECK(has_problem(&fx, 3, "[provider.w] url: is missing"));
	CHECK(has_problem(&fx, 3, "[provider.w] secret: is missing"));
	CHECK(has_problem(
		&fx, 6,
		"[provider.w] timeout_ms: 50 is out of range; use a whole number from 100 to 120000"));
	CHECK(has_problem(&fx, 7, "[provider.w] concurrency: 2000 is out of range"));
	CHECK(has_problem(&fx, 8,
			  "[provider.w] colour: unknown key; known keys here: type, channel"));
	CHECK(has_problem(&fx, 10,
			  "[provider.f] type: \"ftp\" is not allowed; use one of file|webhook"));
	CHECK(has_problem(&fx, 9, "[provider.f] channel: is missing"));
	CHECK(has_problem(&fx, 11, "[provider.w]: provider w is defined twice (first on line 3)"));
	CHECK(has_problem(&fx, 13, "[provider.]: a provider name is"));
	CHECK(has_problem(&fx, 14, "[provder.x]: unknown section; did you mean [provider.x]?"));
	CHECK_INT(fx.probs.n, 11);
	fx_cleanup(&fx);
}

TEST(test_signature_and_misc)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(load_text(&fx,
			    "level = info\n" /* 1 */
			    "[sms]\nsignature = [幸福水务]\n" /* 2-3 */
			    "[import]\ncol_name = \"户名\"\ncol_area =\n" /* 4-6 */
			    "[delivery]\nretry_base_ms = 700000\n" /* 7-8 */
			    "utc_offset = +8\n" /* 9 */),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 1, "level: is outside any section"));
	CHECK(has_problem(&fx, 3, "[sms] signature: \"[幸福水务]\" is not 【name】"));
	CHECK(has_problem(&fx, 5, "[import] col_name: is in quotes"));
	CHECK(has_problem(&fx, 6, "[import] col_area: is empty"));
	CHECK(has_problem(&fx, 8, "[delivery] retry_base_ms: is larger than retry_max_ms"));
	CHECK(has_problem(&fx, 9, "[delivery] utc_offset: \"+8\" is not an offset"));
	CHECK_INT(fx.probs.n, 6);
	fx_cleanup(&fx);
}

TEST(test_long_lines)
{
	struct fixture fx;
	char text[2048], val[400];

	memset(val, 'a', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	snprintf(text, sizeof(text), "; %s\n[store]\npath = %s\n[log]\nlevel = warn\n", val, val);
	fx_init(&fx);
	CHECK_INT(load_text(&fx, text), ERR_INVALID);
	CHECK_INT(fx.probs.n, 1);
	CHECK(has_problem(&fx, 3, "line is 406 bytes"));
	/* "path = " and 192 bytes: 199, the longest line the INI reader takes. */
	val[192] = '\0';
	snprintf(text, sizeof(text), "[store]\npath = %s\n", val);
	CHECK_INT(load_text(&fx, text), 0);
	CHECK_INT(strlen(fx.cfg.db_path), 192);
	memset(val, 'a', 194);
	val[194] = '\0';
	snprintf(text, sizeof(text), "[store]\npath = %s\n", val);
	CHECK_INT(load_text(&fx, text), ERR_INVALID);
	CHECK(has_problem(&fx, 2, "line is 201 bytes"));
	fx_cleanup(&fx);
}

TEST(test_secret_from_env)
{
	struct fixture fx;
	const char *ini = "[provider.w]\ntype = webhook\nchannel = sms\n"
			  "url = https://example.com/send\nsecret = from-file\n"
			  "secret_env = " ENV_VAR "\n";

	fx_init(&fx);
	setenv(ENV_VAR, SECRET, 1);
	CHECK_INT(load_text(&fx, ini), 0);
	CHECK_STR(config_provider(&fx.cfg, "w") ? config_provider(&fx.cfg, "w")->secret : NULL,
		  SECRET);
	unsetenv(ENV_VAR);
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK_INT(fx.probs.n, 1);
	CHECK(has_problem(&fx, 6,
			  "[provider.w] secret_env: environment variable " ENV_VAR " is not set"));
	fx_cleanup(&fx);
}

/* Tools such as gatewayctl key create load the daemon's file without its secrets. */
TEST(test_skip_secrets)
{
	struct fixture fx;
	const char *ini = "[provider.w]\ntype = webhook\nchannel = sms\n"
			  "url = https://example.com/send\nsecret_env = " ENV_VAR "\n"
			  "[provider.f]\ntype = webhook\nchannel = wechat\n"
			  "url = https://example.com/wx\nsecret = from-file\n"
			  "[provider.n]\ntype = webhook\nchannel = wechat\n"
			  "url = https://example.com/none\n"
			  "[store]\npath = var/skip.db\n";

	fx_init(&fx);
	unsetenv(ENV_VAR);
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK_INT(fx.probs.n, 2);
	CHECK(has_problem(&fx, 5, "secret_env: environment variable " ENV_VAR " is not set"));
	CHECK(has_problem(&fx, 11, "[provider.n] secret: is missing"));
	CHECK(strstr(fx.e.msg, ENV_VAR) != NULL);
	memset(&fx.cfg, 'x', sizeof(fx.cfg));
	CHECK_INT(config_load_opts(&fx.cfg, fx.path, CONFIG_SKIP_SECRETS, &fx.probs, &fx.e), 0);
	CHECK_INT(fx.probs.n, 0);
	CHECK_STR(fx.cfg.db_path, "var/skip.db");
	CHECK_INT(fx.cfg.nproviders, 3);
	for (int i = 0; i < fx.cfg.nproviders; i++)
		CHECK_STR(fx.cfg.providers[i].secret, "");
	/* Not even a secret that is there is read. */
	setenv(ENV_VAR, SECRET, 1);
	CHECK_INT(config_load_opts(&fx.cfg, fx.path, CONFIG_SKIP_SECRETS, NULL, &fx.e), 0);
	CHECK_STR(fx.cfg.providers[0].secret, "");
	unsetenv(ENV_VAR);
	/* Other problems are still problems. */
	CHECK_INT(load_text(&fx,
			    "[provider.w]\ntype = webhook\nchannel = sms\n"
			    "secret_env = " ENV_VAR "\n[stor]\n"),
		  ERR_INVALID);
	CHECK_INT(config_load_opts(&fx.cfg, fx.path, CONFIG_SKIP_SECRETS, &fx.probs, &fx.e),
		  ERR_INVALID);
	CHECK_INT(fx.probs.n, 2);
	CHECK(has_problem(&fx, 1, "[provider.w] url: is missing"));
	CHECK(has_problem(&fx, 5, "did you mean [store]?"));
	fx_cleanup(&fx);
}

TEST(test_secret_never_in_messages)
{
	struct fixture fx;

	fx_init(&fx);
	setenv(ENV_VAR, SECRET, 1);
	CHECK_INT(load_text(&fx,
			    "[provider.w]\ntype = webhook\nchannel = sms\nurl = ftp://" SECRET "\n"
			    "secret = \"" SECRET "\"\nsecret = " SECRET "\nsecert = " SECRET "\n"
			    "secret " SECRET "\nsecret_env = " ENV_VAR "\ntimeout_ms = 1\n"
			    "[sms]\nsignature = 【x】\nprovider = w\n[wechat]\nprovider = w\n"),
		  ERR_INVALID);
	CHECK(fx.probs.n >= 5);
	for (int i = 0; i < fx.probs.n; i++)
		CHECK(strstr(fx.probs.msg[i], SECRET) == NULL);
	CHECK(strstr(fx.e.msg, SECRET) == NULL);
	unsetenv(ENV_VAR);
	fx_cleanup(&fx);
}

TEST(test_missing_file)
{
	struct gw_config c;
	struct config_problems p;
	struct err e = { 0 };

	CHECK_INT(config_load(&c, "/nonexistent/gw.ini", &p, &e), ERR_IO);
	CHECK_INT(p.n, 1);
	CHECK(strstr(p.msg[0], "/nonexistent/gw.ini: cannot open") != NULL);
	CHECK(strstr(e.msg, "cannot open") != NULL);
	CHECK_INT(config_load(&c, "/nonexistent/gw.ini", NULL, NULL), ERR_IO);
}

TEST(test_utility_names)
{
	enum utility u = UTIL_COUNT;

	CHECK_STR(config_utility_name(UTIL_WATER), "water");
	CHECK_STR(config_utility_name(UTIL_POWER), "power");
	CHECK_STR(config_utility_name(UTIL_HEAT), "heat");
	CHECK_INT(config_utility_parse("heat", &u), 0);
	CHECK_INT(u, UTIL_HEAT);
	CHECK(config_utility_parse("gas", &u) < 0);
	CHECK_INT(u, UTIL_HEAT);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_empty_file_is_defaults);
	RUN(test_demo_config);
	RUN(test_values_parsed);
	RUN(test_typo_key_suggests);
	RUN(test_bad_quiet_hours);
	RUN(test_many_problems_collected);
	RUN(test_problem_cap);
	RUN(test_provider_references);
	RUN(test_provider_checks);
	RUN(test_signature_and_misc);
	RUN(test_long_lines);
	RUN(test_secret_from_env);
	RUN(test_skip_secrets);
	RUN(test_secret_never_in_messages);
	RUN(test_missing_file);
	RUN(test_utility_names);
	return TEST_END();
}
