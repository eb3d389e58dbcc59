/* test_config: config_load against INI files written to a private temporary directory,
 * plus the demo config/gateway.ini (tests run from the repository root). Checks defaults,
 * every kind of problem message (FILE:LINE, key, suggestion), problem collection, secrets
 * from the environment (and loading without them for tools), and that no secret ever shows
 * up in a message. */
#include <stdarg.h>
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

/* ---- cloud providers, failover lists and the WeChat callback (issue 3) ---- */

#define AES_KEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" /* 43 characters */
#define ENV_TOKEN "TEST_CONFIG_CB_TOKEN_4711"

static const char *const kinds[] = { "planned",         "emergency",     "update",
				     "restored",        "cancelled",     "case_accepted",
				     "case_dispatched", "case_resolved", "case_explained",
				     "appt_confirmed",  "appt_reminder", "appt_moved",
				     "appt_cancelled",  "appt_missed",   "survey" };

/* The case, appointment and survey messages, whose variables are the case's. */
static int is_case_kind(const char *k)
{
	return strncmp(k, "case_", 5) == 0 || strncmp(k, "appt_", 5) == 0 ||
		strcmp(k, "survey") == 0;
}

/* True when some problem contains needle, on any line; else lists them. */
static bool has_text(const struct fixture *fx, const char *needle)
{
	for (int i = 0; i < fx->probs.n; i++) {
		if (strstr(fx->probs.msg[i], needle) != NULL)
			return true;
	}
	fprintf(stderr, "    no problem with \"%s\"; got:\n", needle);
	for (int i = 0; i < fx->probs.n; i++)
		fprintf(stderr, "      %s\n", fx->probs.msg[i]);
	return false;
}

static void append(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t n, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
}

/* template.KIND and params.KIND for every kind, except the key omit (NULL: none). */
static void append_templates(char *buf, size_t n, const char *id, const char *params,
			     const char *omit)
{
	char key[40];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		snprintf(key, sizeof(key), "template.%s", kinds[k]);
		if (omit == NULL || strcmp(omit, key) != 0)
			append(buf, n, "%s = %s_%zu\n", key, id, k);
		snprintf(key, sizeof(key), "params.%s", kinds[k]);
		/* Case messages have their own variables (number, link, ...). */
		if (omit == NULL || strcmp(omit, key) != 0)
			append(buf, n, "%s = %s\n", key,
			       is_case_kind(kinds[k]) ? "number" : params);
	}
}

struct req_key {
	const char *type, *key, *value;
};

/* What each type needs, with a value that works. */
static const struct req_key req_keys[] = {
	{ "aliyun", "channel", "sms" },
	{ "aliyun", "key_id", "LTAI5tTestKeyId" },
	{ "aliyun", "secret", SECRET },
	{ "aliyun", "sign_name", "幸福水务" },
	{ "tencent", "channel", "sms" },
	{ "tencent", "key_id", "AKIDtestSecretId" },
	{ "tencent", "secret", SECRET },
	{ "tencent", "app_id", "1400006666" },
	{ "tencent", "sign_name", "幸福水务" },
	{ "wechat", "channel", "wechat" },
	{ "wechat", "key_id", "wx0123456789abcdef" },
	{ "wechat", "secret", SECRET },
	{ "wecom", "channel", "staff" },
	{ "wecom", "secret", SECRET },
};

/* A complete [provider.p] (line 1) of type, without the line of key omit (NULL: none). */
static void provider_ini(char *buf, size_t n, const char *type, const char *omit)
{
	snprintf(buf, n, "[provider.p]\ntype = %s\n", type);
	for (size_t i = 0; i < sizeof(req_keys) / sizeof(req_keys[0]); i++) {
		if (strcmp(req_keys[i].type, type) == 0 &&
		    (omit == NULL || strcmp(omit, req_keys[i].key) != 0))
			append(buf, n, "%s = %s\n", req_keys[i].key, req_keys[i].value);
	}
	if (strcmp(type, "wecom") != 0)
		append_templates(buf, n, "T",
				 strcmp(type, "wechat") == 0 ? "thing1=area, time2=start"
							     : "area,start",
				 omit);
}

/* Alibaba first, Tencent as the backup, a WeChat account in secure mode, a staff robot. */
/* template.KIND and params.KIND of the four case message kinds. */
#define CASE_TEMPLATES(id, params)                                                                 \
	"template.case_accepted = " id "6\nparams.case_accepted = " params "\n"                    \
	"template.case_dispatched = " id "7\nparams.case_dispatched = " params "\n"                \
	"template.case_resolved = " id "8\nparams.case_resolved = " params "\n"                    \
	"template.case_explained = " id "9\nparams.case_explained = " params "\n"                  \
	"template.appt_confirmed = " id "10\nparams.appt_confirmed = " params "\n"                 \
	"template.appt_reminder = " id "11\nparams.appt_reminder = " params "\n"                   \
	"template.appt_moved = " id "12\nparams.appt_moved = " params "\n"                         \
	"template.appt_cancelled = " id "13\nparams.appt_cancelled = " params "\n"                 \
	"template.appt_missed = " id "14\nparams.appt_missed = " params "\n"                       \
	"template.survey = " id "15\nparams.survey = " params "\n"

static const char full_ini[] =
	"[sms]\nsignature = 【幸福水务】\nproviders = ali, tc\n"
	"[wechat]\nprovider = wx\ntoken_env = " ENV_TOKEN "\nencoding_aes_key = " AES_KEY "\n"
	"appid = wx0123456789abcdef\n"
	"[provider.ali]\ntype = aliyun\nchannel = sms\nkey_id = LTAI5tTestKeyId\n"
	"secret_env = " ENV_VAR "\nsign_name = 幸福水务\nregion = cn-hangzhou\n"
	"sig_version = v2\ncallback_token_env = " ENV_TOKEN "\nbreaker_threshold = 3\n"
	"breaker_cooldown_s = 120\n"
	"template.planned = SMS_1\nparams.planned = area, start, end\n"
	"template.emergency = SMS_2\nparams.emergency = area,reason\n"
	"template.update = SMS_3\nparams.update = area,end\n"
	"template.restored = SMS_4\nparams.restored = area\n"
	"template.cancelled = SMS_5\nparams.cancelled =\n" CASE_TEMPLATES(
		"SMS_",
		"number, link") "[provider.tc]\ntype = tencent\nchannel = sms\nkey_id = AKIDtest\nsecret = tc-secret\n"
				"app_id = 1400006666\nsign_name = 幸福水务\nregion = ap-beijing\n"
				"endpoint = https://127.0.0.1:8443/\ntls_verify = off\ncallback_token = cb-tc\n"
				"template.planned = 101\nparams.planned = 1=area,2=start\n"
				"template.emergency = 102\nparams.emergency = area\n"
				"template.update = 103\nparams.update = area\n"
				"template.restored = 104\nparams.restored = area\n"
				"template.cancelled = 105\nparams.cancelled = area\n" CASE_TEMPLATES(
					"10",
					"number") "[provider.wx]\ntype = wechat\nchannel = wechat\nkey_id = wx0123456789abcdef\n"
						  "secret = wx-secret\n"
						  "template.planned = ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY\n"
						  "params.planned = thing1=area,time2=start\n"
						  "template.emergency = W2\nparams.emergency = thing1=area\n"
						  "template.update = W3\nparams.update = thing1=area\n"
						  "template.restored = W4\nparams.restored = thing1=area\n"
						  "template.cancelled = W5\nparams.cancelled = thing1=area\n" CASE_TEMPLATES(
							  "W",
							  "character_string1=number") "[provider.robot]\ntype = wecom\nchannel = staff\nsecret = robot-key\n";

TEST(test_full_cloud_setup)
{
	struct fixture fx;
	const struct provider_config *ali, *tc, *wx, *robot;
	const struct provider_template *t;

	fx_init(&fx);
	setenv(ENV_VAR, SECRET, 1);
	setenv(ENV_TOKEN, "cb-token-from-env", 1);
	CHECK_INT(load_text(&fx, full_ini), 0);
	CHECK_INT(fx.probs.n, 0);
	if (fx.probs.n > 0)
		fprintf(stderr, "    first: %s\n", fx.probs.msg[0]);
	CHECK_INT(fx.cfg.n_sms_providers, 2);
	CHECK_STR(fx.cfg.sms_providers[0], "ali");
	CHECK_STR(fx.cfg.sms_providers[1], "tc");
	CHECK_STR(fx.cfg.sms_provider, "ali");
	CHECK_INT(fx.cfg.n_wechat_providers, 1);
	CHECK_STR(fx.cfg.wechat_providers[0], "wx");
	CHECK_STR(fx.cfg.wechat_provider, "wx");
	CHECK_STR(fx.cfg.wechat_token, "cb-token-from-env");
	CHECK_STR(fx.cfg.wechat_aes_key, AES_KEY);
	CHECK_STR(fx.cfg.wechat_appid, "wx0123456789abcdef");
	ali = config_provider(&fx.cfg, "ali");
	tc = config_provider(&fx.cfg, "tc");
	wx = config_provider(&fx.cfg, "wx");
	robot = config_provider(&fx.cfg, "robot");
	CHECK(ali != NULL && tc != NULL && wx != NULL && robot != NULL);
	if (ali == NULL || tc == NULL || wx == NULL || robot == NULL)
		goto out;
	CHECK_STR(ali->type, "aliyun");
	CHECK_STR(ali->key_id, "LTAI5tTestKeyId");
	CHECK_STR(ali->secret, SECRET);
	CHECK_STR(ali->sign_name, "幸福水务");
	CHECK_STR(ali->region, "cn-hangzhou");
	CHECK_STR(ali->sig_version, "v2");
	CHECK_STR(ali->callback_token, "cb-token-from-env");
	CHECK_STR(ali->endpoint, "");
	CHECK_INT(ali->tls_verify, 1);
	CHECK_INT(ali->breaker_threshold, 3);
	CHECK_INT(ali->breaker_cooldown_s, 120);
	CHECK_INT(ali->ntemplates, 15);
	t = config_provider_template(ali, "planned");
	CHECK(t != NULL && strcmp(t->id, "SMS_1") == 0 &&
	      strcmp(t->params, "area, start, end") == 0);
	t = config_provider_template(ali, "cancelled");
	CHECK(t != NULL && strcmp(t->id, "SMS_5") == 0 && t->params[0] == '\0');
	CHECK(config_provider_template(ali, "reminder") == NULL);
	CHECK_STR(tc->app_id, "1400006666");
	CHECK_STR(tc->region, "ap-beijing");
	CHECK_STR(tc->endpoint, "https://127.0.0.1:8443/");
	CHECK_INT(tc->tls_verify, 0);
	CHECK_STR(tc->sig_version, "v3");
	CHECK_STR(tc->callback_token, "cb-tc");
	CHECK_INT(tc->breaker_threshold, 5);
	CHECK_INT(tc->breaker_cooldown_s, 60);
	t = config_provider_template(tc, "planned");
	CHECK(t != NULL && strcmp(t->id, "101") == 0 && strcmp(t->params, "1=area,2=start") == 0);
	t = config_provider_template(wx, "planned");
	CHECK(t != NULL && strcmp(t->id, "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY") == 0);
	CHECK_STR(robot->channel, "staff");
	CHECK_STR(robot->secret, "robot-key");
	CHECK_INT(robot->ntemplates, 0);
out:
	unsetenv(ENV_VAR);
	unsetenv(ENV_TOKEN);
	fx_cleanup(&fx);
}

/* Every complete provider loads; without any one key it needs, that key is named. */
TEST(test_required_keys)
{
	static const char *const types[] = { "aliyun", "tencent", "wechat", "wecom" };
	static const char *const tkeys[] = { "template.planned", "params.planned",
					     "template.cancelled", "params.update" };
	struct fixture fx;
	char ini[4096], want[96];

	fx_init(&fx);
	for (size_t ty = 0; ty < sizeof(types) / sizeof(types[0]); ty++) {
		provider_ini(ini, sizeof(ini), types[ty], NULL);
		CHECK_INT(load_text(&fx, ini), 0);
		for (size_t i = 0; i < sizeof(req_keys) / sizeof(req_keys[0]); i++) {
			if (strcmp(req_keys[i].type, types[ty]) != 0)
				continue;
			provider_ini(ini, sizeof(ini), types[ty], req_keys[i].key);
			CHECK_INT(load_text(&fx, ini), ERR_INVALID);
			snprintf(want, sizeof(want), "[provider.p] %s: is missing",
				 req_keys[i].key);
			CHECK_INT(fx.probs.n, 1);
			CHECK(has_problem(&fx, 1, want));
		}
		for (size_t i = 0; strcmp(types[ty], "wecom") != 0 && i < 4; i++) {
			provider_ini(ini, sizeof(ini), types[ty], tkeys[i]);
			CHECK_INT(load_text(&fx, ini), ERR_INVALID);
			snprintf(want, sizeof(want), "[provider.p] %s: is missing", tkeys[i]);
			CHECK_INT(fx.probs.n, 1);
			CHECK(has_problem(&fx, 1, want));
		}
	}
	/* A provider without any template gets one problem that says what to add. */
	CHECK_INT(load_text(&fx,
			    "[provider.p]\ntype = aliyun\nchannel = sms\nkey_id = k\n"
			    "secret = s\nsign_name = x\n"),
		  ERR_INVALID);
	CHECK_INT(fx.probs.n, 1);
	CHECK(has_problem(&fx, 1,
			  "[provider.p]: has no templates; type = aliyun sends only approved "
			  "templates: add template.KIND"));
	CHECK(has_text(&fx, "planned, emergency, update, restored, cancelled"));
	/* The missing secret's message says how to give it without writing it down. */
	provider_ini(ini, sizeof(ini), "tencent", "secret");
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK(has_problem(&fx, 1,
			  "secret: is missing; type = tencent needs that SecretId's "
			  "SecretKey: set secret_env"));
	fx_cleanup(&fx);
}

TEST(test_type_channel_mismatch)
{
	struct fixture fx;
	char ini[4096];

	fx_init(&fx);
	provider_ini(ini, sizeof(ini), "aliyun", "channel");
	append(ini, sizeof(ini), "channel = wechat\n");
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK_INT(fx.probs.n, 1);
	CHECK(has_text(&fx,
		       "[provider.p] channel: type = aliyun carries only sms; set channel = "
		       "sms, or use another type for wechat"));
	provider_ini(ini, sizeof(ini), "tencent", "channel");
	append(ini, sizeof(ini), "channel = staff\n");
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK(has_text(&fx, "type = tencent carries only sms"));
	provider_ini(ini, sizeof(ini), "wechat", "channel");
	append(ini, sizeof(ini), "channel = sms\n");
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK(has_text(&fx, "type = wechat carries only wechat"));
	CHECK_INT(load_text(&fx, "[provider.p]\ntype = wecom\nchannel = wechat\nsecret = k\n"),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 3, "[provider.p] channel: type = wecom carries only staff"));
	/* Without a channel, the message names the one the type carries. */
	CHECK_INT(load_text(&fx, "[provider.p]\ntype = wecom\nsecret = k\n"), ERR_INVALID);
	CHECK(has_problem(&fx, 1, "[provider.p] channel: is missing; add channel = staff"));
	/* file and webhook carry any channel, staff included. */
	CHECK_INT(load_text(&fx, "[provider.p]\ntype = file\nchannel = staff\npath = s.jsonl\n"),
		  0);
	CHECK_INT(load_text(&fx, "[provider.p]\ntype = sms\n"), ERR_INVALID);
	CHECK(has_problem(&fx, 2,
			  "\"sms\" is not allowed; use one of "
			  "file|webhook|aliyun|tencent|wechat|wecom"));
	CHECK_INT(load_text(&fx, "[provider.p]\nchannel = sms\npath = x\n"), ERR_INVALID);
	CHECK(has_problem(&fx, 1,
			  "type: is missing; add type = one of file, webhook, aliyun, "
			  "tencent, wechat, wecom"));
	fx_cleanup(&fx);
}

TEST(test_template_keys)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(load_text(&fx,
			    "[provider.p]\ntype = file\nchannel = sms\npath = x\n" /* 1-4 */
			    "template.planed = SMS_1\n" /* 5 */
			    "params.outage = area\n" /* 6 */
			    "templat.planned = SMS_1\n" /* 7 */
			    "param.update = area\n" /* 8 */
			    "params.planned = area,nosuch\n" /* 9 */
			    "params.emergency = area,,start\n" /* 10 */
			    "template.restored =\n" /* 11 */
			    "template.cancelled = A\ntemplate.cancelled = B\n" /* 12-13 */
			    "params.update = thing1=\n" /* 14 */
			    "params.restored = area, utility, outage, start, end, reason, "
			    "hotline, company\n" /* 15 */),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 5,
			  "[provider.p] template.planed: unknown message kind \"planed\"; did you "
			  "mean template.planned?"));
	CHECK(has_problem(&fx, 6,
			  "[provider.p] params.outage: unknown message kind \"outage\"; known "
			  "kinds: planned, emergency, update, restored, cancelled"));
	CHECK(has_problem(&fx, 7, "templat.planned: unknown key; did you mean template.planned?"));
	CHECK(has_problem(&fx, 8, "param.update: unknown key; did you mean params.update?"));
	CHECK(has_problem(&fx, 9,
			  "params.planned: \"nosuch\" is not a variable of planned notices; use "
			  "one of utility, outage, area"));
	CHECK(has_problem(&fx, 10, "params.emergency: has an empty item"));
	CHECK(has_problem(&fx, 11, "template.restored: is empty"));
	CHECK(has_problem(&fx, 13, "template.cancelled: is set twice (first on line 12)"));
	CHECK(has_problem(&fx, 14, "params.update: has an empty item"));
	CHECK_INT(fx.probs.n, 9);
	fx_cleanup(&fx);
}

TEST(test_providers_lists)
{
	struct fixture fx;
	char ini[8192];
	const char *head = "[sms]\nsignature = 【x】\n"; /* lines 1-2 */

	fx_init(&fx);
	setenv(ENV_VAR, SECRET, 1);
	setenv(ENV_TOKEN, "t", 1);
	/* Order is kept: the backup may come first. full_ini's own [sms] is left out. */
	snprintf(ini, sizeof(ini), "%sproviders = tc , ali\n%s", head,
		 strstr(full_ini, "[wechat]"));
	CHECK_INT(load_text(&fx, ini), 0);
	CHECK_INT(fx.cfg.n_sms_providers, 2);
	CHECK_STR(fx.cfg.sms_providers[0], "tc");
	CHECK_STR(fx.cfg.sms_providers[1], "ali");
	CHECK_STR(fx.cfg.sms_provider, "tc");
	/* The one-provider form fills the list too. */
	snprintf(ini, sizeof(ini), "%sprovider = tc\n%s", head, strstr(full_ini, "[wechat]"));
	CHECK_INT(load_text(&fx, ini), 0);
	CHECK_INT(fx.cfg.n_sms_providers, 1);
	CHECK_STR(fx.cfg.sms_providers[0], "tc");
	CHECK_STR(fx.cfg.sms_provider, "tc");
	/* Unknown, wrong channel, duplicate, empty. */
	snprintf(ini, sizeof(ini), "%sproviders = ali, nosuch, wx, ali,\n%s", head,
		 strstr(full_ini, "[wechat]"));
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK(has_problem(&fx, 3,
			  "[sms] providers: there is no [provider.nosuch]; add that section or "
			  "use a defined provider (ali, tc, wx, robot)"));
	CHECK(has_problem(&fx, 3,
			  "[sms] providers: provider wx has channel = wechat; set channel = sms"));
	CHECK(has_problem(&fx, 3, "[sms] providers: names ali twice; list each provider once"));
	CHECK(has_problem(&fx, 3, "[sms] providers: has an empty name"));
	CHECK_INT(fx.probs.n, 4);
	/* Both forms at once. */
	snprintf(ini, sizeof(ini), "%sprovider = ali\nproviders = ali, tc\n%s", head,
		 strstr(full_ini, "[wechat]"));
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK_INT(fx.probs.n, 1);
	CHECK(has_problem(&fx, 4, "[sms] providers: provider is set too (line 3); keep one"));
	/* [wechat] providers works the same way. */
	CHECK_INT(load_text(&fx,
			    "[wechat]\nproviders = a, b\n"
			    "[provider.a]\ntype = file\nchannel = wechat\npath = a\n"
			    "[provider.b]\ntype = file\nchannel = wechat\npath = b\n"),
		  0);
	CHECK_INT(fx.cfg.n_wechat_providers, 2);
	CHECK_STR(fx.cfg.wechat_providers[1], "b");
	CHECK_STR(fx.cfg.wechat_provider, "a");
	CHECK_INT(fx.cfg.n_sms_providers, 0);
	CHECK_STR(fx.cfg.sms_provider, "");
	CHECK_INT(load_text(&fx,
			    "[wechat]\nproviders = a, s\n"
			    "[provider.a]\ntype = file\nchannel = wechat\npath = a\n"
			    "[provider.s]\ntype = file\nchannel = sms\npath = b\n"),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 2, "[wechat] providers: provider s has channel = sms"));
	unsetenv(ENV_VAR);
	unsetenv(ENV_TOKEN);
	fx_cleanup(&fx);
}

TEST(test_provider_options)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(load_text(&fx,
			    "[provider.f]\ntype = file\nchannel = sms\npath = x\n"
			    "tls_verify = off\nendpoint = http://127.0.0.1:9/\n"),
		  0);
	CHECK_INT(fx.cfg.providers[0].tls_verify, 0);
	CHECK_STR(fx.cfg.providers[0].endpoint, "http://127.0.0.1:9/");
	CHECK_INT(load_text(&fx,
			    "[provider.f]\ntype = file\nchannel = sms\npath = x\n"
			    "tls_verify = on\n"),
		  0);
	CHECK_INT(fx.cfg.providers[0].tls_verify, 1);
	CHECK_INT(load_text(&fx,
			    "[provider.f]\ntype = file\nchannel = sms\npath = x\n" /* 1-4 */
			    "tls_verify = no\n" /* 5 */
			    "endpoint = dysmsapi.aliyuncs.com\n" /* 6 */
			    "sig_version = v4\n" /* 7 */
			    "breaker_threshold = 0\n" /* 8 */
			    "breaker_cooldown_s = 86401\n" /* 9 */
			    "sign_name = 【幸福水务】\n" /* 10 */),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 5, "[provider.f] tls_verify: \"no\" is not allowed; use on or off"));
	CHECK(has_problem(&fx, 6, "[provider.f] endpoint: is not an http:// or https:// address"));
	CHECK(has_problem(&fx, 7, "sig_version: \"v4\" is not allowed; use one of v2|v3"));
	CHECK(has_problem(&fx, 8,
			  "breaker_threshold: 0 is out of range; use a whole number "
			  "from 1 to 1000"));
	CHECK(has_problem(&fx, 9,
			  "breaker_cooldown_s: 86401 is out of range; use a whole "
			  "number from 1 to 86400"));
	CHECK(has_problem(&fx, 10, "sign_name: write the signature without 【】"));
	CHECK_INT(fx.probs.n, 6);
	fx_cleanup(&fx);
}

TEST(test_wechat_callback_keys)
{
	struct fixture fx;

	fx_init(&fx);
	CHECK_INT(load_text(&fx,
			    "[wechat]\ntoken = tok\nappid = wx1\nencoding_aes_key = " AES_KEY "\n"),
		  0);
	CHECK_STR(fx.cfg.wechat_token, "tok");
	CHECK_STR(fx.cfg.wechat_aes_key, AES_KEY);
	CHECK_INT(load_text(&fx, "[wechat]\ntoken = tok\n"), 0); /* plain mode */
	CHECK_STR(fx.cfg.wechat_aes_key, "");
	CHECK_INT(load_text(&fx,
			    "[wechat]\nencoding_aes_key = abc\n" /* 1-2 */
			    "[wechat]\n" /* 3 */),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 2,
			  "[wechat] encoding_aes_key: is 3 characters long, not 43; copy the "
			  "EncodingAESKey again"));
	CHECK(has_problem(&fx, 2, "secure mode needs appid too"));
	CHECK(has_problem(&fx, 2, "secure mode needs token too"));
	CHECK_INT(fx.probs.n, 3);
	CHECK_INT(load_text(&fx,
			    "[wechat]\ntoken = t\nappid = a\nencoding_aes_key = "
			    "abcdefghijklmnopqrstuvwxyz0123456789ABCDE-G\n"),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 4, "has characters other than letters, digits, + and /"));
	/* From the environment, checked the same way. */
	setenv(ENV_VAR, AES_KEY, 1);
	setenv(ENV_TOKEN, "tok-env", 1);
	CHECK_INT(load_text(&fx,
			    "[wechat]\ntoken_env = " ENV_TOKEN "\nappid = wx1\n"
			    "encoding_aes_key_env = " ENV_VAR "\n"),
		  0);
	CHECK_STR(fx.cfg.wechat_aes_key, AES_KEY);
	CHECK_STR(fx.cfg.wechat_token, "tok-env");
	setenv(ENV_VAR, SECRET, 1);
	CHECK_INT(load_text(&fx,
			    "[wechat]\ntoken_env = " ENV_TOKEN "\nappid = wx1\n"
			    "encoding_aes_key_env = " ENV_VAR "\n"),
		  ERR_INVALID);
	CHECK(has_problem(&fx, 4,
			  "[wechat] encoding_aes_key_env: environment variable " ENV_VAR
			  " is 14 characters long, not 43"));
	CHECK_INT(fx.probs.n, 1);
	CHECK(strstr(fx.probs.msg[0], SECRET) == NULL);
	unsetenv(ENV_VAR);
	unsetenv(ENV_TOKEN);
	fx_cleanup(&fx);
}

/* secret, callback_token, the WeChat token and AES key: never in a message, and not kept by
 * tools that load without secrets. */
TEST(test_cloud_secrets)
{
	struct fixture fx;
	char big[400], ini[8192];

	fx_init(&fx);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, SECRET, strlen(SECRET));
	setenv(ENV_VAR, big, 1);
	setenv(ENV_TOKEN, big, 1);
	CHECK_INT(load_text(&fx,
			    "[provider.a]\ntype = aliyun\nchannel = sms\n"
			    "secret_env = " ENV_VAR "\ncallback_token_env = " ENV_TOKEN "\n"
			    "callback_token = \"" SECRET "\"\n"
			    "[wechat]\nencoding_aes_key = " SECRET "\ntoken = \"" SECRET "\"\n"
			    "encoding_aes_key_env = " ENV_TOKEN "\ntoken_env = " ENV_VAR "\n"),
		  ERR_INVALID);
	CHECK(has_text(&fx, "secret_env: environment variable " ENV_VAR " is longer than 255"));
	CHECK(has_text(&fx, "callback_token_env: environment variable " ENV_TOKEN " is longer"));
	CHECK(has_text(&fx, "encoding_aes_key: is 14 characters long"));
	CHECK(fx.probs.n >= 6);
	for (int i = 0; i < fx.probs.n; i++)
		CHECK(strstr(fx.probs.msg[i], SECRET) == NULL);
	CHECK(strstr(fx.e.msg, SECRET) == NULL);
	unsetenv(ENV_VAR);
	unsetenv(ENV_TOKEN);
	/* Without secrets: no secret needed, none kept, none read. */
	provider_ini(ini, sizeof(ini), "aliyun", "secret");
	append(ini, sizeof(ini),
	       "callback_token = cb\n[wechat]\ntoken = tok\nappid = wx1\nencoding_aes_key = " AES_KEY
	       "\n[provider.w]\ntype = wecom\nchannel = staff\nsecret_env = " ENV_VAR "\n");
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK_INT(config_load_opts(&fx.cfg, fx.path, CONFIG_SKIP_SECRETS, &fx.probs, &fx.e), 0);
	CHECK_INT(fx.probs.n, 0);
	CHECK_STR(fx.cfg.providers[0].callback_token, "");
	CHECK_STR(fx.cfg.providers[1].secret, "");
	CHECK_STR(fx.cfg.wechat_token, "");
	CHECK_STR(fx.cfg.wechat_aes_key, "");
	CHECK_STR(fx.cfg.wechat_appid, "wx1");
	fx_cleanup(&fx);
}

TEST(test_staff_robots)
{
	struct fixture fx;
	char ini[2048];
	const char *providers = /* lines 1-16 */
		"[provider.r1]\ntype = wecom\nchannel = staff\nsecret = k1\n"
		"[provider.r2]\ntype = wecom\nchannel = staff\nsecret = k2\n"
		"[provider.f]\ntype = file\nchannel = staff\npath = f\n"
		"[provider.s]\ntype = file\nchannel = sms\npath = s\n";

	fx_init(&fx);
	/* Without [staff]: no robots, WeCom's 20 a minute. */
	CHECK_INT(load_text(&fx, providers), 0);
	CHECK_INT(fx.cfg.n_staff_robots, 0);
	CHECK_INT(fx.cfg.staff_per_minute, 20);
	snprintf(ini, sizeof(ini), "%s[staff]\nrobots = repair : r1 ,billing:r2\nper_minute = 3\n",
		 providers);
	CHECK_INT(load_text(&fx, ini), 0);
	CHECK_INT(fx.cfg.n_staff_robots, 2);
	CHECK_STR(fx.cfg.staff_robots[0].dept, "repair");
	CHECK_STR(fx.cfg.staff_robots[0].provider, "r1");
	CHECK_STR(fx.cfg.staff_robots[1].dept, "billing");
	CHECK_STR(fx.cfg.staff_robots[1].provider, "r2");
	CHECK_INT(fx.cfg.staff_per_minute, 3);
	/* Every kind of problem, on the line of robots (18) and per_minute (19). */
	snprintf(ini, sizeof(ini),
		 "%s[staff]\nrobots = a:nosuch, b:f, c:s, d, 维修:r1, e:r1, e:r2, g:r1\n"
		 "per_minute = 21\n",
		 providers);
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK(has_problem(&fx, 18,
			  "[staff] robots: there is no [provider.nosuch]; add that section with "
			  "type = wecom and channel = staff"));
	CHECK(has_problem(&fx, 18,
			  "[staff] robots: provider f has type = file, channel = staff; a "
			  "department's robot needs type = wecom and channel = staff"));
	CHECK(has_problem(&fx, 18, "[staff] robots: provider s has type = file, channel = sms"));
	CHECK(has_problem(&fx, 18, "[staff] robots: has \"d\", not DEPARTMENT:PROVIDER"));
	CHECK(has_problem(&fx, 18, "[staff] robots: has department \"维修\"; a department code"));
	CHECK(has_problem(&fx, 18, "[staff] robots: names department e twice"));
	CHECK(has_problem(&fx, 18, "[staff] robots: gives robot r1 to two departments"));
	CHECK(has_problem(&fx, 19, "[staff] per_minute: 21 is out of range"));
	CHECK_INT(fx.probs.n, 8);
	/* An empty list turns staff alerts off; a typo'd key is caught. */
	snprintf(ini, sizeof(ini), "%s[staff]\nrobots =\nper_minte = 5\n", providers);
	CHECK_INT(load_text(&fx, ini), ERR_INVALID);
	CHECK(has_problem(&fx, 19, "per_minte"));
	CHECK_INT(fx.probs.n, 1);
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
	RUN(test_full_cloud_setup);
	RUN(test_required_keys);
	RUN(test_type_channel_mismatch);
	RUN(test_template_keys);
	RUN(test_providers_lists);
	RUN(test_provider_options);
	RUN(test_wechat_callback_keys);
	RUN(test_cloud_secrets);
	RUN(test_staff_robots);
	RUN(test_missing_file);
	RUN(test_utility_names);
	return TEST_END();
}
