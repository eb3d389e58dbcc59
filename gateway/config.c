/* config: gatewayd's configuration from an INI file; config/gateway.ini documents every key.
 * Called once at start-up by gatewayd and gatewayctl; the result is read-only afterwards.
 * Keys are two const tables (fixed sections, and [provider.NAME] sections): each row names
 * its parser (config_value.c) and where the value lands; a provider's template.KIND and
 * params.KIND get their row from config_template.c; config_problem.c collects problems.
 * Once the file is parsed, config_check.c runs the checks between keys and reads secrets.
 * Never logs, and never puts a secret (or any value of a secret key) into a message.
 * Line numbers: Debian's inih is built with INI_HANDLER_LINENO=0, so the handler gets none.
 * We feed ini_parse_stream from our own reader, one line per call, so the count of reader
 * calls is the handler's line. Seeing raw lines also lets the reader report every malformed
 * line (inih returns only the first), register empty [provider.*] sections, allow comment
 * lines longer than inih's fixed 200-byte buffer, and strip leading blanks so that inih's
 * multi-line continuation never silently glues an indented key onto the previous value. */
#include "config.h"
#include "config_internal.h"
#include "ini_lines.h"

#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A configuration is a page of text; anything bigger is the wrong file. */
#define CONFIG_MAX_FILE (256 * 1024)

enum sec_kind { SEC_NONE, SEC_FIXED, SEC_PROVIDER, SEC_BAD };

/* Values only the checks need (config_check.c reads them with config_loader_extra):
 * environment variable names, and [channel] providers as written, since the providers it
 * names may be defined further down. */
struct config_extra {
	char sms_providers[256];
	char wechat_providers[256];
	char wechat_token_env[128];
	char wechat_aes_key_env[128];
	char staff_robots[512];
};

/* The same for each provider (config_loader_provider_extra). */
struct provider_extra {
	char secret_env[128];
	char callback_token_env[128];
};

#define CFG(f) CONFIG_BASE_CFG, offsetof(struct gw_config, f), sizeof(((struct gw_config *)0)->f)
#define WHOLE CONFIG_BASE_CFG, 0, sizeof(struct gw_config)
#define PRV(f)                                                                                     \
	CONFIG_BASE_PROV, offsetof(struct provider_config, f),                                     \
		sizeof(((struct provider_config *)0)->f)
#define CEXTRA(f)                                                                                  \
	CONFIG_BASE_EXTRA, offsetof(struct config_extra, f), sizeof(((struct config_extra *)0)->f)
#define PEXTRA(f)                                                                                  \
	CONFIG_BASE_EXTRA, offsetof(struct provider_extra, f),                                     \
		sizeof(((struct provider_extra *)0)->f)

/* Grouped by section: the list of known sections in messages follows this order. */
static const struct config_key cfg_keys[] = {
	{ "server", "listen", config_value_listen, WHOLE, 0, 0, NULL },
	{ "server", "max_body", config_value_size, CFG(max_body), 1024, 64L << 20, "1K to 64M" },
	{ "server", "max_import_body", config_value_size, CFG(max_import_body), 1024, 1L << 30,
	  "1K to 1024M" },
	{ "server", "http_threads", config_value_int, CFG(http_threads), 1, 256, NULL },
	{ "store", "path", config_value_str, CFG(db_path), 1, 0, NULL },
	{ "log", "level", config_value_choice, CFG(log_level), 1, 0, "debug|info|warn|error" },
	{ "sms", "signature", config_value_signature, CFG(sms_signature), 1, 0, NULL },
	{ "sms", "provider", config_value_str, CFG(sms_provider), 0, 0, NULL },
	{ "sms", "providers", config_value_str, CEXTRA(sms_providers), 0, 0, NULL },
	{ "routing", "notices", config_value_choice, CFG(route_notices), 1, 0,
	  "wechat-else-sms|both|sms|wechat" },
	{ "routing", "emergency", config_value_choice, CFG(route_emergency), 1, 0,
	  "wechat-else-sms|both|sms|wechat" },
	{ "sms", "cap_per_hour", config_value_int, CFG(sms_cap_hour), 0, 1000, NULL },
	{ "sms", "cap_per_day", config_value_int, CFG(sms_cap_day), 0, 10000, NULL },
	{ "wechat", "provider", config_value_str, CFG(wechat_provider), 0, 0, NULL },
	{ "wechat", "providers", config_value_str, CEXTRA(wechat_providers), 0, 0, NULL },
	{ "wechat", "token", config_value_str, CFG(wechat_token), 1, 0, NULL },
	{ "wechat", "token_env", config_value_str, CEXTRA(wechat_token_env), 1, 0, NULL },
	{ "wechat", "encoding_aes_key", config_value_aes_key, CFG(wechat_aes_key), 1, 0, NULL },
	{ "wechat", "encoding_aes_key_env", config_value_str, CEXTRA(wechat_aes_key_env), 1, 0,
	  NULL },
	{ "wechat", "appid", config_value_str, CFG(wechat_appid), 1, 0, NULL },
	{ "staff", "robots", config_value_str, CEXTRA(staff_robots), 0, 0, NULL },
	{ "staff", "per_minute", config_value_int, CFG(staff_per_minute), 1,
	  CONFIG_STAFF_PER_MINUTE_MAX, NULL },
	{ "templates", "dir", config_value_str, CFG(templates_dir), 1, 0, NULL },
	{ "cases", "rules", config_value_str, CFG(cases_rules), 1, 0, NULL },
	{ "cases", "calendar", config_value_str, CFG(cases_calendar), 1, 0, NULL },
	{ "cases", "number_prefix", config_value_prefix, CFG(cases_prefix), 0, 0, NULL },
	{ "cases", "public_url", config_value_url, CFG(public_url), 1, 0, NULL },
	{ "appointments", "hours_temperature", config_value_str, CFG(appt_hours[0]), 1, 0, NULL },
	{ "appointments", "hours_repair", config_value_str, CFG(appt_hours[1]), 1, 0, NULL },
	{ "appointments", "hours_meter", config_value_str, CFG(appt_hours[2]), 1, 0, NULL },
	{ "appointments", "hours_inspection", config_value_str, CFG(appt_hours[3]), 1, 0, NULL },
	{ "appointments", "reminders", config_value_str, CFG(appt_reminders), 1, 0, NULL },
	{ "return_visit", "at", config_value_str, CFG(survey_at), 1, 0, NULL },
	{ "return_visit", "after_workdays", config_value_int, CFG(survey_after_workdays), 1, 30,
	  NULL },
	{ "return_visit", "answer_workdays", config_value_int, CFG(survey_answer_workdays), 1, 30,
	  NULL },
	{ "tracking", "rate_per_minute", config_value_int, CFG(track_per_minute), 0, 1000000,
	  NULL },
	{ "delivery", "quiet_hours", config_value_quiet, WHOLE, 0, 0, NULL },
	{ "delivery", "utc_offset", config_value_utc_offset, CFG(utc_offset_min), 0, 0, NULL },
	{ "delivery", "retry_base_ms", config_value_int, CFG(retry_base_ms), 100, 3600000, NULL },
	{ "delivery", "retry_max_ms", config_value_int, CFG(retry_max_ms), 1000, 86400000, NULL },
	{ "delivery", "max_attempts", config_value_int, CFG(max_attempts), 1, 100, NULL },
	{ "delivery", "claim_batch", config_value_int, CFG(claim_batch), 1, 10000, NULL },
	{ "delivery", "followup_ttl_hours", config_value_int, CFG(followup_ttl_hours), 1, 720,
	  NULL },
	{ "lead_time", "water_hours", config_value_hours, CFG(lead_min[UTIL_WATER]), 0, 720, NULL },
	{ "lead_time", "water_long_hours", config_value_hours, CFG(water_long_lead_min), 0, 720,
	  NULL },
	{ "lead_time", "water_long_threshold_hours", config_value_hours,
	  CFG(water_long_threshold_min), 1, 720, NULL },
	{ "lead_time", "heat_hours", config_value_hours, CFG(lead_min[UTIL_HEAT]), 0, 720, NULL },
	{ "lead_time", "power_hours", config_value_hours, CFG(lead_min[UTIL_POWER]), 0, 720, NULL },
	{ "import", "col_account", config_value_str, CFG(col_account), 1, 0, NULL },
	{ "import", "col_name", config_value_str, CFG(col_name), 1, 0, NULL },
	{ "import", "col_mobile", config_value_str, CFG(col_mobile), 1, 0, NULL },
	{ "import", "col_openid", config_value_str, CFG(col_openid), 1, 0, NULL },
	{ "import", "col_area", config_value_str, CFG(col_area), 1, 0, NULL },
};

/* Plus template.KIND and params.KIND, whose rows config_template_row makes. */
static const struct config_key provider_keys[] = {
	{ "provider.*", "type", config_value_choice, PRV(type), 1, 0,
	  "file|webhook|aliyun|tencent|wechat|wecom" },
	{ "provider.*", "channel", config_value_choice, PRV(channel), 1, 0, "sms|wechat|staff" },
	{ "provider.*", "path", config_value_str, PRV(path), 1, 0, NULL },
	{ "provider.*", "url", config_value_url, PRV(url), 1, 0, NULL },
	{ "provider.*", "secret", config_value_str, PRV(secret), 1, 0, NULL },
	{ "provider.*", "secret_env", config_value_str, PEXTRA(secret_env), 1, 0, NULL },
	{ "provider.*", "timeout_ms", config_value_int, PRV(timeout_ms), 100, 120000, NULL },
	{ "provider.*", "rate", config_value_int, PRV(rate_per_s), 0, 100000, NULL },
	{ "provider.*", "concurrency", config_value_int, PRV(concurrency), 1, 1024, NULL },
	{ "provider.*", "batch", config_value_int, PRV(batch), 1, 1000, NULL },
	{ "provider.*", "endpoint", config_value_url, PRV(endpoint), 1, 0, NULL },
	{ "provider.*", "tls_verify", config_value_onoff, PRV(tls_verify), 0, 0, NULL },
	{ "provider.*", "key_id", config_value_str, PRV(key_id), 1, 0, NULL },
	{ "provider.*", "sign_name", config_value_str, PRV(sign_name), 1, 0, NULL },
	{ "provider.*", "app_id", config_value_str, PRV(app_id), 1, 0, NULL },
	{ "provider.*", "region", config_value_str, PRV(region), 1, 0, NULL },
	{ "provider.*", "sig_version", config_value_choice, PRV(sig_version), 1, 0, "v2|v3" },
	{ "provider.*", "callback_token", config_value_str, PRV(callback_token), 1, 0, NULL },
	{ "provider.*", "callback_token_env", config_value_str, PEXTRA(callback_token_env), 1, 0,
	  NULL },
	{ "provider.*", "breaker_threshold", config_value_int, PRV(breaker_threshold), 1, 1000,
	  NULL },
	{ "provider.*", "breaker_cooldown_s", config_value_int, PRV(breaker_cooldown_s), 1, 86400,
	  NULL },
};

/* Everything one config_load_opts needs; heap-allocated (it is large) and freed at the end. */
struct config_loader {
	struct gw_config cfg; /* built here, copied out only on success */
	struct config_problem_log problems;
	size_t len; /* of the file, read whole */
	struct ini_lines lines; /* walks text for inih */
	int line; /* the line inih is on */
	char sec[128]; /* current section name as written */
	enum sec_kind sec_kind;
	int sec_prov; /* SEC_PROVIDER: index into cfg.providers */
	int seen[ARRAY_LEN(cfg_keys)]; /* line where each key was set, 0 = default */
	int pseen[CONFIG_MAX_PROVIDERS][ARRAY_LEN(provider_keys)];
	/* template.KIND [0] and params.KIND [1], by config_template_kind index */
	int tseen[CONFIG_MAX_PROVIDERS][PROVIDER_MAX_TEMPLATES][2];
	struct config_extra cextra;
	struct provider_extra pextra[CONFIG_MAX_PROVIDERS];
};

/* sec NULL: any section. */
static const struct config_key *find_key(const struct config_key *t, size_t n, const char *sec,
					 const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if ((sec == NULL || strcmp(t[i].section, sec) == 0) && strcmp(t[i].name, name) == 0)
			return &t[i];
	}
	return NULL;
}

static int is_fixed_section(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(cfg_keys); i++) {
		if (strcmp(cfg_keys[i].section, name) == 0)
			return 1;
	}
	return 0;
}

static int valid_provider_name(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < sizeof(((struct provider_config *)0)->name) &&
		strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
		len;
}

static void add_provider(struct config_loader *ld, const char *name)
{
	const struct provider_config *dup = config_provider(&ld->cfg, name);
	struct provider_config *p;

	ld->sec_kind = SEC_BAD;
	if (!valid_provider_name(name)) {
		config_problem(
			ld, ld->line, ld->sec, NULL,
			"a provider name is 1-63 letters, digits, _ or -; rename the section");
	} else if (dup != NULL) {
		config_problem(ld, ld->line, ld->sec, NULL,
			       "provider %s is defined twice (first on line %d); keep one", name,
			       dup->line);
	} else if (ld->cfg.nproviders == CONFIG_MAX_PROVIDERS) {
		config_problem(ld, ld->line, ld->sec, NULL,
			       "more than %d providers; remove unused ones", CONFIG_MAX_PROVIDERS);
	} else {
		p = &ld->cfg.providers[ld->cfg.nproviders];
		memcpy(p->name, name,
		       strlen(name) + 1); /* valid_provider_name checked the length */
		p->timeout_ms = 5000;
		p->concurrency = 16;
		p->batch = 1;
		p->tls_verify = 1;
		snprintf(p->sig_version, sizeof(p->sig_version), "v3");
		p->breaker_threshold = 5;
		p->breaker_cooldown_s = 60;
		p->line = ld->line;
		ld->sec_prov = ld->cfg.nproviders++;
		ld->sec_kind = SEC_PROVIDER;
	}
}

/* Called by the reader for every line (already trimmed, comments blanked), before inih. */
static void check_line(struct config_loader *ld, const char *s)
{
	const char *close;

	if (*s == '\0')
		return;
	if (*s != '[') {
		if (strpbrk(s, "=:") == NULL)
			config_problem(
				ld, ld->line, NULL, NULL,
				"not a \"key = value\" line, a [section] header or a ; comment; fix or delete it");
		return;
	}
	close = strchr(s, ']');
	if (close == NULL || (size_t)(close - s - 1) >= sizeof(ld->sec)) {
		ld->sec_kind = SEC_BAD;
		config_problem(
			ld, ld->line, NULL, NULL,
			"a section header is [name], with a closing ] and a name under 128 bytes");
		return;
	}
	snprintf(ld->sec, sizeof(ld->sec), "%.*s", (int)(close - s - 1), s + 1);
	if (strncmp(ld->sec, CONFIG_PROVIDER_PREFIX, strlen(CONFIG_PROVIDER_PREFIX)) == 0) {
		add_provider(ld, ld->sec + strlen(CONFIG_PROVIDER_PREFIX));
	} else if (is_fixed_section(ld->sec)) {
		ld->sec_kind = SEC_FIXED;
	} else {
		ld->sec_kind = SEC_BAD;
		config_problem_unknown_section(ld, ld->line, cfg_keys, ARRAY_LEN(cfg_keys),
					       ld->sec);
	}
}

/* inih's fgets-style reader: hands over exactly one line per call (see the file header). */
static char *read_line(char *buf, int num, void *stream)
{
	struct config_loader *ld = stream;
	const char *p;
	size_t len;

	if (!ini_lines_next(&ld->lines, &p, &len))
		return NULL;
	ld->line = ld->lines.line;
	if (num < 1 || len > (size_t)num - 1) {
		config_problem(
			ld, ld->line, NULL, NULL,
			"line is %zu bytes, longer than the %d the INI reader takes; shorten it",
			len, num - 1);
		if (*p == '[')
			ld->sec_kind =
				SEC_BAD; /* do not file its keys under the previous section */
		len = 0;
	}
	memcpy(buf, p, len);
	buf[len] = '\0';
	check_line(ld, buf);
	return buf;
}

static void apply(struct config_loader *ld, const struct config_key *k, int *seen, void *base,
		  const char *v)
{
	char why[200];
	size_t len = strlen(v);

	if (*seen != 0) {
		config_problem(ld, ld->line, ld->sec, k->name,
			       "is set twice (first on line %d); keep one", *seen);
		return;
	}
	*seen = ld->line;
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		config_problem(ld, ld->line, ld->sec, k->name,
			       "is in quotes; write the value without them");
		return;
	}
	if (k->parse(k, v, (char *)base + k->off, why, sizeof(why)) < 0)
		config_problem(ld, ld->line, ld->sec, k->name, "%s", why);
}

/* The provider's template for kind, added when it has none yet (there is room: kinds are
 * fewer than PROVIDER_MAX_TEMPLATES and each gets one). */
static struct provider_template *template_slot(struct provider_config *p, const char *kind)
{
	struct provider_template *t;

	for (int i = 0; i < p->ntemplates; i++) {
		if (strcmp(p->templates[i].kind, kind) == 0)
			return &p->templates[i];
	}
	t = &p->templates[p->ntemplates++];
	snprintf(t->kind, sizeof(t->kind), "%s", kind);
	return t;
}

static void on_provider_key(struct config_loader *ld, const char *name, const char *value)
{
	struct provider_config *p = &ld->cfg.providers[ld->sec_prov];
	const struct config_key *k;
	struct config_key row;
	int kind, params;
	char why[200];

	switch (config_template_row(name, &row, &kind, &params, why, sizeof(why))) {
	case 0:
		apply(ld, &row, &ld->tseen[ld->sec_prov][kind][params], template_slot(p, row.arg),
		      value);
		return;
	case -1: config_problem(ld, ld->line, ld->sec, name, "%s", why); return;
	}
	k = find_key(provider_keys, ARRAY_LEN(provider_keys), NULL, name);
	if (k == NULL)
		config_problem_unknown_key(ld, ld->line, ld->sec, provider_keys,
					   ARRAY_LEN(provider_keys), NULL, name);
	else
		apply(ld, k, &ld->pseen[ld->sec_prov][k - provider_keys],
		      k->base == CONFIG_BASE_EXTRA ? (void *)&ld->pextra[ld->sec_prov] : (void *)p,
		      value);
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct config_loader *ld = user;
	const struct config_key *k;

	(void)section; /* ld->sec holds the same name, seen by the reader first */
	if (ld->sec_kind == SEC_NONE) {
		config_problem(ld, ld->line, NULL, name,
			       "is outside any section; move it under its [section]");
	} else if (ld->sec_kind == SEC_FIXED) {
		k = find_key(cfg_keys, ARRAY_LEN(cfg_keys), ld->sec, name);
		if (k == NULL)
			config_problem_unknown_key(ld, ld->line, ld->sec, cfg_keys,
						   ARRAY_LEN(cfg_keys), ld->sec, name);
		else
			apply(ld, k, &ld->seen[k - cfg_keys],
			      k->base == CONFIG_BASE_EXTRA ? (void *)&ld->cextra : (void *)&ld->cfg,
			      value);
	} else if (ld->sec_kind == SEC_PROVIDER) {
		on_provider_key(ld, name, value);
	}
	return 1; /* SEC_BAD: the section itself was reported; its keys are skipped */
}

int config_key_line(const struct config_loader *ld, const char *sec, const char *name)
{
	const struct config_key *k = find_key(cfg_keys, ARRAY_LEN(cfg_keys), sec, name);

	return k ? ld->seen[k - cfg_keys] : 0;
}

int config_provider_key_line(const struct config_loader *ld, int i, const char *name)
{
	const struct config_key *k = find_key(provider_keys, ARRAY_LEN(provider_keys), NULL, name);

	return k ? ld->pseen[i][k - provider_keys] : 0;
}

struct gw_config *config_loader_cfg(struct config_loader *ld)
{
	return &ld->cfg;
}

struct config_problem_log *config_loader_problems(struct config_loader *ld)
{
	return &ld->problems;
}

const struct config_key *config_key_find(const char *sec, const char *name)
{
	if (strcmp(sec, "provider.*") == 0)
		return find_key(provider_keys, ARRAY_LEN(provider_keys), NULL, name);
	return find_key(cfg_keys, ARRAY_LEN(cfg_keys), sec, name);
}

const char *config_loader_extra(const struct config_loader *ld, const char *sec, const char *name)
{
	const struct config_key *k = find_key(cfg_keys, ARRAY_LEN(cfg_keys), sec, name);

	return k && k->base == CONFIG_BASE_EXTRA ? (const char *)&ld->cextra + k->off : "";
}

const char *config_loader_provider_extra(const struct config_loader *ld, int i, const char *name)
{
	const struct config_key *k = find_key(provider_keys, ARRAY_LEN(provider_keys), NULL, name);

	return k && k->base == CONFIG_BASE_EXTRA ? (const char *)&ld->pextra[i] + k->off : "";
}

int config_template_line(const struct config_loader *ld, int i, int kind, int params)
{
	assert(kind >= 0 && kind < PROVIDER_MAX_TEMPLATES && (params == 0 || params == 1));
	return ld->tseen[i][kind][params];
}

/* Reads the whole file into *out (caller frees). Problems go to ld. */
static int read_text(struct config_loader *ld, const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	int rc = 0;

	if (f == NULL) {
		int saved = errno;

		config_problem(ld, 0, NULL, NULL,
			       "cannot open: %s; check the path and its permissions",
			       strerror(saved));
		return ERR_IO;
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	if (buf == NULL) {
		rc = ERR_NOMEM;
		config_problem(ld, 0, NULL, NULL, "out of memory reading the file");
		goto out;
	}
	ld->len = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = ERR_IO;
		config_problem(ld, 0, NULL, NULL, "read error; check the file system");
	} else if (ld->len > CONFIG_MAX_FILE) {
		rc = ERR_INVALID;
		config_problem(ld, 0, NULL, NULL,
			       "larger than %d KiB; this is not a gatewayd configuration",
			       CONFIG_MAX_FILE / 1024);
	}
out:
	fclose(f);
	if (rc == 0)
		*out = buf;
	else
		free(buf);
	return rc;
}

int config_load(struct gw_config *cfg, const char *path, struct config_problems *probs,
		struct err *e)
{
	return config_load_opts(cfg, path, 0, probs, e);
}

int config_load_opts(struct gw_config *cfg, const char *path, unsigned flags,
		     struct config_problems *probs, struct err *e)
{
	struct config_loader *ld = calloc(1, sizeof(*ld));
	char *text = NULL;
	int rc;

	if (ld == NULL)
		return err_set(e, ERR_NOMEM, NULL, "%s: out of memory loading the configuration",
			       path);
	ld->problems.path = path;
	config_defaults(&ld->cfg);
	snprintf(ld->cfg.path, sizeof(ld->cfg.path), "%s", path);
	if (strlen(path) >= sizeof(ld->cfg.path)) {
		rc = err_set(e, ERR_INVALID, NULL,
			     "configuration path is longer than %zu bytes; use a shorter one",
			     sizeof(ld->cfg.path) - 1);
		goto out;
	}
	rc = read_text(ld, path, &text);
	if (rc == 0) {
		ini_lines_init(&ld->lines, text, ld->len);
		rc = ini_parse_stream(read_line, ld, on_key, ld);
		if (rc == -2)
			config_problem(ld, 0, NULL, NULL, "out of memory parsing the file");
		else if (rc > 0 && ld->problems.probs.n == 0)
			config_problem(ld, rc, NULL, NULL,
				       "the INI reader cannot parse this line; write key = value");
		rc = 0;
		config_check_all(ld, flags);
	}
	rc = config_problem_report(&ld->problems, rc, probs, e);
	if (rc == 0)
		*cfg = ld->cfg;
out:
	free(text);
	free(ld);
	return rc;
}
