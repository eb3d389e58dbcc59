/* config: gatewayd's configuration from an INI file; config/gateway.ini documents every key.
 * Called once at start-up by gatewayd and gatewayctl; the result is read-only afterwards.
 * Keys are two const tables (fixed sections, and [provider.NAME] sections): each row names
 * its parser and where the value lands. All problems are collected as FILE:LINE messages.
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
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A configuration is a page of text; anything bigger is the wrong file. */
#define CONFIG_MAX_FILE (256 * 1024)

enum key_base { BASE_CFG, BASE_PROV, BASE_EXTRA };
enum sec_kind { SEC_NONE, SEC_FIXED, SEC_PROVIDER, SEC_BAD };

/* One configuration key. parse() reads v into dst (base + off) or explains in why what is
 * wrong and how to fix it. p_str and p_url never quote the value, so secrets and tokens in
 * URLs stay out of messages. Setters that fill several fields take the whole struct (off 0). */
struct key {
	const char *section; /* "provider.*" for provider keys */
	const char *name;
	int (*parse)(const struct key *k, const char *v, void *dst, char *why, size_t n);
	enum key_base base;
	size_t off;
	size_t size; /* capacity of dst */
	long min, max; /* numbers: range in the file's unit; strings: min 1 = required */
	const char *arg; /* choices "a|b", or the range of a size in words */
};

/* Per-provider values that are not part of struct provider_config. */
struct provider_extra {
	char secret_env[128];
};

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_long(const char *v, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0)
		return -1;
	*out = x;
	return 0;
}

/* Exactly "HH:MM", 00:00 to 23:59. */
static int parse_hhmm(const char *s, int *min)
{
	for (int i = 0; i < 5; i++) {
		if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9'))
			return -1;
	}
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*min = h * 60 + m;
	return 0;
}

static int p_str(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	size_t len = strlen(v);

	if (k->min > 0 && len == 0)
		return fail(why, n, "is empty; give a value or delete the line for the default");
	if (len >= k->size)
		return fail(why, n, "is longer than %zu bytes; shorten it", k->size - 1);
	memcpy(dst, v, len + 1);
	return 0;
}

static int p_choice(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	size_t len = strlen(v), w;

	for (const char *c = k->arg; len > 0 && *c != '\0'; c += w + (c[w] == '|')) {
		w = strcspn(c, "|");
		if (w == len && strncmp(c, v, len) == 0)
			return p_str(k, v, dst, why, n);
	}
	return fail(why, n, "\"%s\" is not allowed; use one of %s", v, k->arg);
}

static int p_int(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	long x;

	if (parse_long(v, &x) < 0)
		return fail(why, n, "\"%s\" is not a whole number; use one from %ld to %ld", v,
			    k->min, k->max);
	if (x < k->min || x > k->max)
		return fail(why, n, "%ld is out of range; use a whole number from %ld to %ld", x,
			    k->min, k->max);
	*(int *)dst = (int)x;
	return 0;
}

/* Hours in the file, minutes in the struct. */
static int p_hours(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	int h = 0;

	if (p_int(k, v, &h, why, n) < 0)
		return -1;
	*(int *)dst = h * 60;
	return 0;
}

/* Plain bytes, or a whole number of KiB / MiB with a K or M suffix. */
static int p_size(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	unsigned long long x, mult = 1;
	char *end;

	errno = 0;
	x = (v[0] >= '0' && v[0] <= '9') ? strtoull(v, &end, 10) : 0;
	if (v[0] < '0' || v[0] > '9' || errno != 0)
		return fail(
			why, n,
			"\"%s\" is not a size; write bytes or a number with K or M (example: 1M)",
			v);
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	if (*end != '\0')
		return fail(
			why, n,
			"\"%s\" is not a size; write bytes or a number with K or M (example: 1M)",
			v);
	if (x > (unsigned long long)k->max / mult || x * mult < (unsigned long long)k->min)
		return fail(why, n, "\"%s\" is out of range; use a size from %s", v, k->arg);
	*(size_t *)dst = (size_t)(x * mult);
	return 0;
}

/* host:port, with [brackets] around an IPv6 host. Fills listen_host and listen_port. */
static int p_listen(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	struct gw_config *cfg = dst;
	const char *colon = strrchr(v, ':'), *host = v;
	size_t hlen;
	long port;

	(void)k;
	if (colon == NULL || colon == v || parse_long(colon + 1, &port) < 0)
		return fail(why, n, "\"%s\" is not host:port (example: 127.0.0.1:8080)", v);
	hlen = (size_t)(colon - v);
	if (v[0] == '[' && colon[-1] == ']')
		host++, hlen = hlen >= 2 ? hlen - 2 : 0;
	if (hlen == 0 || hlen >= sizeof(cfg->listen_host))
		return fail(
			why, n,
			"the host part is empty or too long; write host:port (example: 127.0.0.1:8080)");
	if (port < 1 || port > 65535)
		return fail(why, n, "port %ld is out of range; use a port from 1 to 65535", port);
	memcpy(cfg->listen_host, host, hlen);
	cfg->listen_host[hlen] = '\0';
	cfg->listen_port = (int)port;
	return 0;
}

/* "HH:MM-HH:MM" in local time (may wrap midnight), or "off" (start == end: never quiet). */
static int p_quiet(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	struct gw_config *cfg = dst;
	int a, b;

	(void)k;
	if (strcmp(v, "off") == 0) {
		cfg->quiet_start_min = cfg->quiet_end_min = 0;
		return 0;
	}
	if (strlen(v) != 11 || v[5] != '-' || parse_hhmm(v, &a) < 0 || parse_hhmm(v + 6, &b) < 0)
		return fail(why, n, "\"%s\" is not HH:MM-HH:MM (example: 21:00-08:00, or off)", v);
	if (a == b)
		return fail(why, n,
			    "\"%s\" starts and ends at the same time; write off for no quiet hours",
			    v);
	cfg->quiet_start_min = a;
	cfg->quiet_end_min = b;
	return 0;
}

static int p_utc_offset(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	int m;

	(void)k;
	if (strlen(v) != 6 || (v[0] != '+' && v[0] != '-') || parse_hhmm(v + 1, &m) < 0 ||
	    m > (v[0] == '+' ? 14 * 60 : 12 * 60))
		return fail(why, n,
			    "\"%s\" is not an offset from -12:00 to +14:00 (example: +08:00)", v);
	*(int *)dst = v[0] == '-' ? -m : m;
	return 0;
}

/* 【name】: the carrier rejects texts whose signature is not in full-width brackets. */
static int p_signature(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	size_t len = strlen(v);

	if (len < 7 || strncmp(v, "【", 3) != 0 || strcmp(v + len - 3, "】") != 0)
		return fail(
			why, n,
			"\"%s\" is not 【name】; use full-width brackets (example: 【幸福水务】)",
			v);
	return p_str(k, v, dst, why, n);
}

/* Never quotes the URL: query strings sometimes carry tokens. */
static int p_url(const struct key *k, const char *v, void *dst, char *why, size_t n)
{
	if ((strncmp(v, "http://", 7) != 0 || v[7] == '\0') &&
	    (strncmp(v, "https://", 8) != 0 || v[8] == '\0'))
		return fail(
			why, n,
			"is not an http:// or https:// address; write the full URL (example: https://sms.example.com/send)");
	return p_str(k, v, dst, why, n);
}

#define CFG(f) BASE_CFG, offsetof(struct gw_config, f), sizeof(((struct gw_config *)0)->f)
#define WHOLE BASE_CFG, 0, sizeof(struct gw_config)
#define PRV(f)                                                                                     \
	BASE_PROV, offsetof(struct provider_config, f), sizeof(((struct provider_config *)0)->f)
#define EXTRA(f)                                                                                   \
	BASE_EXTRA, offsetof(struct provider_extra, f), sizeof(((struct provider_extra *)0)->f)

/* Grouped by section: the list of known sections in messages follows this order. */
static const struct key cfg_keys[] = {
	{ "server", "listen", p_listen, WHOLE, 0, 0, NULL },
	{ "server", "max_body", p_size, CFG(max_body), 1024, 64L << 20, "1K to 64M" },
	{ "server", "max_import_body", p_size, CFG(max_import_body), 1024, 1L << 30,
	  "1K to 1024M" },
	{ "server", "http_threads", p_int, CFG(http_threads), 1, 256, NULL },
	{ "store", "path", p_str, CFG(db_path), 1, 0, NULL },
	{ "log", "level", p_choice, CFG(log_level), 1, 0, "debug|info|warn|error" },
	{ "sms", "signature", p_signature, CFG(sms_signature), 1, 0, NULL },
	{ "sms", "provider", p_str, CFG(sms_provider), 0, 0, NULL },
	{ "wechat", "provider", p_str, CFG(wechat_provider), 0, 0, NULL },
	{ "templates", "dir", p_str, CFG(templates_dir), 1, 0, NULL },
	{ "delivery", "quiet_hours", p_quiet, WHOLE, 0, 0, NULL },
	{ "delivery", "utc_offset", p_utc_offset, CFG(utc_offset_min), 0, 0, NULL },
	{ "delivery", "retry_base_ms", p_int, CFG(retry_base_ms), 100, 3600000, NULL },
	{ "delivery", "retry_max_ms", p_int, CFG(retry_max_ms), 1000, 86400000, NULL },
	{ "delivery", "max_attempts", p_int, CFG(max_attempts), 1, 100, NULL },
	{ "delivery", "claim_batch", p_int, CFG(claim_batch), 1, 10000, NULL },
	{ "delivery", "followup_ttl_hours", p_int, CFG(followup_ttl_hours), 1, 720, NULL },
	{ "lead_time", "water_hours", p_hours, CFG(lead_min[UTIL_WATER]), 0, 720, NULL },
	{ "lead_time", "water_long_hours", p_hours, CFG(water_long_lead_min), 0, 720, NULL },
	{ "lead_time", "water_long_threshold_hours", p_hours, CFG(water_long_threshold_min), 1, 720,
	  NULL },
	{ "lead_time", "heat_hours", p_hours, CFG(lead_min[UTIL_HEAT]), 0, 720, NULL },
	{ "lead_time", "power_hours", p_hours, CFG(lead_min[UTIL_POWER]), 0, 720, NULL },
	{ "import", "col_account", p_str, CFG(col_account), 1, 0, NULL },
	{ "import", "col_name", p_str, CFG(col_name), 1, 0, NULL },
	{ "import", "col_mobile", p_str, CFG(col_mobile), 1, 0, NULL },
	{ "import", "col_openid", p_str, CFG(col_openid), 1, 0, NULL },
	{ "import", "col_area", p_str, CFG(col_area), 1, 0, NULL },
};

static const struct key provider_keys[] = {
	{ "provider.*", "type", p_choice, PRV(type), 1, 0, "file|webhook" },
	{ "provider.*", "channel", p_choice, PRV(channel), 1, 0, "sms|wechat" },
	{ "provider.*", "path", p_str, PRV(path), 1, 0, NULL },
	{ "provider.*", "url", p_url, PRV(url), 1, 0, NULL },
	{ "provider.*", "secret", p_str, PRV(secret), 1, 0, NULL },
	{ "provider.*", "secret_env", p_str, EXTRA(secret_env), 1, 0, NULL },
	{ "provider.*", "timeout_ms", p_int, PRV(timeout_ms), 100, 120000, NULL },
	{ "provider.*", "rate", p_int, PRV(rate_per_s), 0, 100000, NULL },
	{ "provider.*", "concurrency", p_int, PRV(concurrency), 1, 1024, NULL },
	{ "provider.*", "batch", p_int, PRV(batch), 1, 1000, NULL },
};

/* Everything one config_load_opts needs; heap-allocated (it is large) and freed at the end. */
struct config_loader {
	struct gw_config cfg; /* built here, copied out only on success */
	const char *path; /* as the caller wrote it, for messages */
	struct config_problems probs;
	int more; /* problems that did not fit in probs */
	char first_key[64];
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

/* Appends "FILE:LINE: [sec] key: what". line 0 means no line; sec and key may be NULL. */
void config_problem(struct config_loader *ld, int line, const char *sec, const char *key,
		    const char *fmt, ...)
{
	char what[256], loc[200] = "", at[16] = "";
	va_list ap;

	if (ld->probs.n == CONFIG_MAX_PROBLEMS) {
		ld->more++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (sec != NULL && key != NULL)
		snprintf(loc, sizeof(loc), "[%s] %s: ", sec, key);
	else if (sec != NULL)
		snprintf(loc, sizeof(loc), "[%s]: ", sec);
	else if (key != NULL)
		snprintf(loc, sizeof(loc), "%s: ", key);
	if (line > 0)
		snprintf(at, sizeof(at), "%d:", line);
	if (ld->probs.n == 0)
		snprintf(ld->first_key, sizeof(ld->first_key), "%s", key ? key : "");
	if (snprintf(ld->probs.msg[ld->probs.n], sizeof(ld->probs.msg[0]), "%s:%s %s%s", ld->path,
		     at, loc, what) < 0)
		ld->probs.msg[ld->probs.n][0] = '\0';
	ld->probs.n++;
}

static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[65];

	if (la > 64 || lb > 64)
		return INT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Close enough to be a typo: one slip in a short name, two in a longer one. */
static int is_typo_of(const char *typed, const char *known)
{
	return edit_distance(typed, known) <= (strlen(known) > 5 ? 2 : 1);
}

void config_join(char *buf, size_t n, const char *item)
{
	size_t used = strlen(buf);

	if (used < n)
		snprintf(buf + used, n - used, "%s%s", used ? ", " : "", item);
}

/* sec NULL: any section. */
static const struct key *find_key(const struct key *t, size_t n, const char *sec, const char *name)
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

static void unknown_key(struct config_loader *ld, const struct key *t, size_t n, const char *sec,
			const char *name)
{
	const struct key *other = sec ? find_key(t, n, NULL, name) : NULL;
	char known[200] = "";

	if (other != NULL) {
		config_problem(ld, ld->line, ld->sec, name, "does not belong here; move it to [%s]",
			       other->section);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (sec != NULL && strcmp(t[i].section, sec) != 0)
			continue;
		if (is_typo_of(name, t[i].name)) {
			config_problem(ld, ld->line, ld->sec, name, "unknown key; did you mean %s?",
				       t[i].name);
			return;
		}
		config_join(known, sizeof(known), t[i].name);
	}
	config_problem(ld, ld->line, ld->sec, name, "unknown key; known keys here: %s", known);
}

static void unknown_section(struct config_loader *ld, const char *name)
{
	const char *dot = strchr(name, '.');
	char known[200] = "", head[64];

	snprintf(head, sizeof(head), "%.*s", dot ? (int)(dot - name) : 63, name);
	if (dot != NULL && is_typo_of(head, "provider")) {
		config_problem(ld, ld->line, name, NULL,
			       "unknown section; did you mean [provider%s]?", dot);
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(cfg_keys); i++) {
		if (i > 0 && strcmp(cfg_keys[i].section, cfg_keys[i - 1].section) == 0)
			continue;
		if (is_typo_of(name, cfg_keys[i].section)) {
			config_problem(ld, ld->line, name, NULL,
				       "unknown section; did you mean [%s]?", cfg_keys[i].section);
			return;
		}
		config_join(known, sizeof(known), cfg_keys[i].section);
	}
	config_join(known, sizeof(known), "provider.NAME");
	config_problem(ld, ld->line, name, NULL, "unknown section; known sections: %s", known);
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
		unknown_section(ld, ld->sec);
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

static void apply(struct config_loader *ld, const struct key *k, int *seen, void *base,
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
	const struct key *k;
	int i = ld->sec_prov;

	(void)section; /* ld->sec holds the same name, seen by the reader first */
	if (ld->sec_kind == SEC_NONE) {
		config_problem(ld, ld->line, NULL, name,
			       "is outside any section; move it under its [section]");
	} else if (ld->sec_kind == SEC_FIXED) {
		k = find_key(cfg_keys, ARRAY_LEN(cfg_keys), ld->sec, name);
		if (k == NULL)
			unknown_key(ld, cfg_keys, ARRAY_LEN(cfg_keys), ld->sec, name);
		else
			apply(ld, k, &ld->seen[k - cfg_keys], &ld->cfg, value);
	} else if (ld->sec_kind == SEC_PROVIDER) {
		k = find_key(provider_keys, ARRAY_LEN(provider_keys), NULL, name);
		if (k == NULL)
			unknown_key(ld, provider_keys, ARRAY_LEN(provider_keys), NULL, name);
		else
			apply(ld, k, &ld->pseen[i][k - provider_keys],
			      k->base == BASE_EXTRA ? (void *)&ld->extra[i]
						    : (void *)&ld->cfg.providers[i],
			      value);
	}
	return 1; /* SEC_BAD: the section itself was reported; its keys are skipped */
}

int config_key_line(const struct config_loader *ld, const char *sec, const char *name)
{
	const struct key *k = find_key(cfg_keys, ARRAY_LEN(cfg_keys), sec, name);

	return k ? ld->seen[k - cfg_keys] : 0;
}

int config_provider_key_line(const struct config_loader *ld, int i, const char *name)
{
	const struct key *k = find_key(provider_keys, ARRAY_LEN(provider_keys), NULL, name);

	return k ? ld->pseen[i][k - provider_keys] : 0;
}

struct gw_config *config_loader_cfg(struct config_loader *ld)
{
	return &ld->cfg;
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

/* Copies the collected problems out and fills e from the first. */
static int report(struct config_loader *ld, int rc, struct config_problems *probs, struct err *e)
{
	struct config_problems *p = &ld->probs;

	if (ld->more > 0 &&
	    snprintf(p->msg[p->n - 1], sizeof(p->msg[0]),
		     "%s: %d more problems not shown; fix the ones above first", ld->path,
		     ld->more + 1) < 0)
		p->msg[p->n - 1][0] = '\0';
	if (probs != NULL)
		*probs = *p;
	if (p->n == 0)
		return 0;
	if (p->n == 1)
		return err_set(e, rc ? rc : ERR_INVALID, ld->first_key, "%s", p->msg[0]);
	return err_set(e, rc ? rc : ERR_INVALID, ld->first_key, "%s (and %d more problems)",
		       p->msg[0], p->n - 1 + ld->more);
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
	ld->path = path;
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
		else if (rc > 0 && ld->probs.n == 0)
			config_problem(ld, rc, NULL, NULL,
				       "the INI reader cannot parse this line; write key = value");
		rc = 0;
		config_check_all(ld, flags);
	}
	rc = report(ld, rc, probs, e);
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
