/* config: gatewayd's configuration from an INI file; config/gateway.ini documents every key.
 * Called once at start-up by gatewayd and gatewayctl; the result is read-only afterwards.
 * Keys are two const tables (fixed sections, and [provider.NAME] sections): each row names
 * its parser (config_value.c) and where the value lands; config_problem.c collects problems.
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

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A configuration is a page of text; anything bigger is the wrong file. */
#define CONFIG_MAX_FILE (256 * 1024)

enum sec_kind { SEC_NONE, SEC_FIXED, SEC_PROVIDER, SEC_BAD };

/* Per-provider values that are not part of struct provider_config. */
struct provider_extra {
	char secret_env[128];
};

#define CFG(f) CONFIG_BASE_CFG, offsetof(struct gw_config, f), sizeof(((struct gw_config *)0)->f)
#define WHOLE CONFIG_BASE_CFG, 0, sizeof(struct gw_config)
#define PRV(f)                                                                                     \
	CONFIG_BASE_PROV, offsetof(struct provider_config, f),                                     \
		sizeof(((struct provider_config *)0)->f)
#define EXTRA(f)                                                                                   \
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
	{ "wechat", "provider", config_value_str, CFG(wechat_provider), 0, 0, NULL },
	{ "templates", "dir", config_value_str, CFG(templates_dir), 1, 0, NULL },
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

static const struct config_key provider_keys[] = {
	{ "provider.*", "type", config_value_choice, PRV(type), 1, 0, "file|webhook" },
	{ "provider.*", "channel", config_value_choice, PRV(channel), 1, 0, "sms|wechat" },
	{ "provider.*", "path", config_value_str, PRV(path), 1, 0, NULL },
	{ "provider.*", "url", config_value_url, PRV(url), 1, 0, NULL },
	{ "provider.*", "secret", config_value_str, PRV(secret), 1, 0, NULL },
	{ "provider.*", "secret_env", config_value_str, EXTRA(secret_env), 1, 0, NULL },
	{ "provider.*", "timeout_ms", config_value_int, PRV(timeout_ms), 100, 120000, NULL },
	{ "provider.*", "rate", config_value_int, PRV(rate_per_s), 0, 100000, NULL },
	{ "provider.*", "concurrency", config_value_int, PRV(concurrency), 1, 1024, NULL },
	{ "provider.*", "batch", config_value_int, PRV(batch), 1, 1000, NULL },
};

/* Everything one config_load_opts needs; heap-allocated (it is large) and freed at the end. */
struct config_loader {
	struct gw_config cfg; /* built here, copied out only on success */
	struct config_problem_log problems;
	const char *text; /* the file, read whole; the reader walks it */
	size_t len, pos;
	int line; /* lines handed to inih so far */
	char sec[128]; /* current section name as written */
	enum sec_kind sec_kind;
	int sec_prov; /* SEC_PROVIDER: index into cfg.providers */
	int seen[ARRAY_LEN(cfg_keys)]; /* line where each key was set, 0 = default */
	int pseen[CONFIG_MAX_PROVIDERS][ARRAY_LEN(provider_keys)];
	struct provider_extra extra[CONFIG_MAX_PROVIDERS];
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
	const char *p = ld->text + ld->pos, *nl;
	size_t len;

	if (ld->pos >= ld->len)
		return NULL;
	nl = memchr(p, '\n', ld->len - ld->pos);
	len = nl ? (size_t)(nl - p) : ld->len - ld->pos;
	ld->pos += len + (nl != NULL);
	ld->line++;
	if (ld->line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3, len -= 3;
	for (; len > 0 && (*p == ' ' || *p == '\t'); p++)
		len--;
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	if (len > 0 && (*p == ';' || *p == '#'))
		len = 0; /* a comment: any length is fine, inih need not see it */
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

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct config_loader *ld = user;
	const struct config_key *k;
	int i = ld->sec_prov;

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
			apply(ld, k, &ld->seen[k - cfg_keys], &ld->cfg, value);
	} else if (ld->sec_kind == SEC_PROVIDER) {
		k = find_key(provider_keys, ARRAY_LEN(provider_keys), NULL, name);
		if (k == NULL)
			config_problem_unknown_key(ld, ld->line, ld->sec, provider_keys,
						   ARRAY_LEN(provider_keys), NULL, name);
		else
			apply(ld, k, &ld->pseen[i][k - provider_keys],
			      k->base == CONFIG_BASE_EXTRA ? (void *)&ld->extra[i]
							   : (void *)&ld->cfg.providers[i],
			      value);
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

const char *config_loader_secret_env(const struct config_loader *ld, int i)
{
	return ld->extra[i].secret_env;
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
		ld->text = text;
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

void config_defaults(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
	cfg->listen_port = 8080;
	cfg->max_body = 1u << 20;
	cfg->max_import_body = 64u << 20;
	cfg->http_threads = 4;
	snprintf(cfg->db_path, sizeof(cfg->db_path), "var/gateway.db");
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
	snprintf(cfg->templates_dir, sizeof(cfg->templates_dir), "templates");
	cfg->quiet_start_min = 21 * 60;
	cfg->quiet_end_min = 8 * 60;
	cfg->utc_offset_min = 8 * 60;
	cfg->retry_base_ms = 2000;
	cfg->retry_max_ms = 600000;
	cfg->max_attempts = 8;
	cfg->claim_batch = 500;
	cfg->followup_ttl_hours = 24;
	cfg->lead_min[UTIL_WATER] = 24 * 60;
	cfg->lead_min[UTIL_POWER] = 168 * 60;
	cfg->lead_min[UTIL_HEAT] = 48 * 60;
	cfg->water_long_lead_min = 48 * 60;
	cfg->water_long_threshold_min = 12 * 60;
	snprintf(cfg->col_account, sizeof(cfg->col_account), "户号");
	snprintf(cfg->col_name, sizeof(cfg->col_name), "户名");
	snprintf(cfg->col_mobile, sizeof(cfg->col_mobile), "手机号");
	snprintf(cfg->col_openid, sizeof(cfg->col_openid), "openid");
	snprintf(cfg->col_area, sizeof(cfg->col_area), "区域编码");
}

const struct provider_config *config_provider(const struct gw_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nproviders; i++) {
		if (strcmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	}
	return NULL;
}

static const char *const utility_names[UTIL_COUNT] = {
	[UTIL_WATER] = "water",
	[UTIL_POWER] = "power",
	[UTIL_HEAT] = "heat",
};

const char *config_utility_name(enum utility u)
{
	return (unsigned)u < UTIL_COUNT ? utility_names[u] : "unknown";
}

int config_utility_parse(const char *s, enum utility *out)
{
	for (int u = 0; u < UTIL_COUNT; u++) {
		if (strcmp(s, utility_names[u]) == 0) {
			*out = (enum utility)u;
			return 0;
		}
	}
	return ERR_INVALID;
}
