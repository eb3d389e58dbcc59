/* config_check: the checks of gatewayd's configuration that need the whole file, because one
 * key's meaning depends on another: each provider type needs its own keys and carries only
 * some channels, [sms]/[wechat] provider(s) must name providers of that channel, SMS needs a
 * signature, WeChat's secure mode needs its token and appid, [staff] robots must name one
 * WeCom robot per department, retry and lead-time ranges must agree; and secrets come from
 * the environment. Called only by config.c, once the file is parsed (see config_internal.h).
 * Never logs, and never puts a secret (or an environment variable's value) into a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* What a provider type is: the channel it can carry (NULL: any), and whether it sends
 * provider-approved templates (then it needs template.KIND and params.KIND for every kind). */
struct type_rule {
	const char *type;
	const char *channel;
	int templates;
};

static const struct type_rule type_rules[] = {
	{ "file", NULL, 0 },     { "webhook", NULL, 0 },    { "aliyun", "sms", 1 },
	{ "tencent", "sms", 1 }, { "wechat", "wechat", 1 }, { "wecom", "staff", 0 },
};

/* The keys a type cannot work without, and what to set them to. "secret" is satisfied by
 * secret_env too. */
struct type_need {
	const char *type, *key, *what;
};

static const struct type_need type_needs[] = {
	{ "file", "path", "the file to append messages to (example: var/sent-sms.jsonl)" },
	{ "webhook", "url", "https://... where messages are POSTed" },
	{ "webhook", "secret", "the shared secret that signs requests" },
	{ "aliyun", "key_id", "the AccessKeyId of a RAM user allowed to send SMS" },
	{ "aliyun", "secret", "that AccessKey's secret" },
	{ "aliyun", "sign_name", "the approved SMS signature, without 【】" },
	{ "tencent", "key_id", "the SecretId of a CAM user allowed to send SMS" },
	{ "tencent", "secret", "that SecretId's SecretKey" },
	{ "tencent", "app_id", "the SmsSdkAppId of the SMS application (1400...)" },
	{ "tencent", "sign_name", "the approved SMS signature, without 【】" },
	{ "wechat", "key_id", "the Official Account's AppID (wx...)" },
	{ "wechat", "secret", "the Official Account's AppSecret" },
	{ "wecom", "secret", "the group robot's webhook key" },
};

static const struct type_rule *find_type(const char *type)
{
	for (size_t i = 0; i < ARRAY_LEN(type_rules); i++) {
		if (strcmp(type_rules[i].type, type) == 0)
			return &type_rules[i];
	}
	return NULL;
}

/* The environment variable var (named by key env_key, set on line) replaces the value of
 * key k at base, read through k's parser as if it were written in the file: the environment
 * wins over the file. k's parser never quotes the value. */
static void apply_env(struct config_loader *ld, int line, const char *sec, const char *env_key,
		      const char *var, const struct config_key *k, void *base)
{
	char why[200];
	const char *v;

	if (var[0] == '\0')
		return;
	v = getenv(var);
	if (v == NULL || v[0] == '\0')
		config_problem(
			ld, line, sec, env_key,
			"environment variable %s is not set; export it before starting gatewayd",
			var);
	else if (k->parse(k, v, (char *)base + k->off, why, sizeof(why)) < 0)
		config_problem(ld, line, sec, env_key, "environment variable %s %s", var, why);
}

static void provider_env(struct config_loader *ld, int i, const char *sec, const char *key)
{
	char env_key[40];

	snprintf(env_key, sizeof(env_key), "%s_env", key);
	apply_env(ld, config_provider_key_line(ld, i, env_key), sec, env_key,
		  config_loader_provider_extra(ld, i, env_key), config_key_find("provider.*", key),
		  &config_loader_cfg(ld)->providers[i]);
}

/* Neither given nor given with a bad value (that was reported already); for secrets,
 * neither KEY nor KEY_env. */
static int is_missing(struct config_loader *ld, int i, const char *name)
{
	const struct provider_config *p = &config_loader_cfg(ld)->providers[i];
	const struct config_key *k = config_key_find("provider.*", name);
	char env_key[40];

	if (config_provider_key_line(ld, i, name) != 0 || k == NULL ||
	    ((const char *)p + k->off)[0] != '\0')
		return 0;
	snprintf(env_key, sizeof(env_key), "%s_env", name);
	return config_provider_key_line(ld, i, env_key) == 0;
}

/* With CONFIG_SKIP_SECRETS (tools that only need, say, the database path) a missing secret
 * is no problem: the tool was never meant to have it. */
static void check_needs(struct config_loader *ld, int i, const char *sec, unsigned flags)
{
	const struct provider_config *p = &config_loader_cfg(ld)->providers[i];

	for (size_t n = 0; n < ARRAY_LEN(type_needs); n++) {
		const struct type_need *t = &type_needs[n];
		int secret = strcmp(t->key, "secret") == 0;

		if (strcmp(t->type, p->type) != 0 || !is_missing(ld, i, t->key) ||
		    (secret && (flags & CONFIG_SKIP_SECRETS)))
			continue;
		if (secret)
			config_problem(ld, p->line, sec, t->key,
				       "is missing; type = %s needs %s: set secret_env = NAME of "
				       "an environment variable holding it (or secret = ...)",
				       p->type, t->what);
		else
			config_problem(ld, p->line, sec, t->key,
				       "is missing; type = %s needs %s = %s", p->type, t->key,
				       t->what);
	}
}

static void check_type(struct config_loader *ld, int i, const char *sec)
{
	const struct provider_config *p = &config_loader_cfg(ld)->providers[i];
	const struct type_rule *r = find_type(p->type);
	char types[120] = "";

	for (size_t n = 0; n < ARRAY_LEN(type_rules); n++)
		config_join(types, sizeof(types), type_rules[n].type);
	if (is_missing(ld, i, "type"))
		config_problem(ld, p->line, sec, "type", "is missing; add type = one of %s", types);
	if (is_missing(ld, i, "channel"))
		config_problem(ld, p->line, sec, "channel", "is missing; add channel = %s",
			       r && r->channel ? r->channel : "sms, wechat or staff");
	else if (r != NULL && r->channel != NULL && p->channel[0] != '\0' &&
		 strcmp(r->channel, p->channel) != 0)
		config_problem(ld, config_provider_key_line(ld, i, "channel"), sec, "channel",
			       "type = %s carries only %s; set channel = %s, or use another "
			       "type for %s",
			       p->type, r->channel, r->channel, p->channel);
	if (r != NULL && r->templates)
		config_template_check(ld, i, sec, p->type);
	if (strstr(p->sign_name, "【") != NULL || strstr(p->sign_name, "】") != NULL)
		config_problem(ld, config_provider_key_line(ld, i, "sign_name"), sec, "sign_name",
			       "write the signature without 【】; the SMS platform adds them");
}

static void check_provider(struct config_loader *ld, int i, unsigned flags)
{
	struct provider_config *p = &config_loader_cfg(ld)->providers[i];
	char sec[80];

	snprintf(sec, sizeof(sec), CONFIG_PROVIDER_PREFIX "%s", p->name);
	if (!(flags & CONFIG_SKIP_SECRETS)) {
		provider_env(ld, i, sec, "secret");
		provider_env(ld, i, sec, "callback_token");
	}
	check_type(ld, i, sec);
	check_needs(ld, i, sec, flags);
	if (flags & CONFIG_SKIP_SECRETS) {
		explicit_bzero(p->secret, sizeof(p->secret));
		explicit_bzero(p->callback_token, sizeof(p->callback_token));
	}
}

/* Records why provider name cannot carry channel ([channel] key, on line), if it cannot. */
static int check_route_name(struct config_loader *ld, int line, const char *channel,
			    const char *key, const char *name)
{
	const struct gw_config *c = config_loader_cfg(ld);
	const struct provider_config *p = config_provider(c, name);
	char known[200] = "";

	if (p == NULL) {
		for (int i = 0; i < c->nproviders; i++)
			config_join(known, sizeof(known), c->providers[i].name);
		config_problem(
			ld, line, channel, key,
			"there is no [provider.%s]; add that section or use a defined provider (%s)",
			name, known[0] ? known : "none is defined");
		return -1;
	}
	if (p->channel[0] != '\0' && strcmp(p->channel, channel) != 0) {
		config_problem(
			ld, line, channel, key,
			"provider %s has channel = %s; set channel = %s in [provider.%s] or pick another provider",
			name, p->channel, channel, name);
		return -1;
	}
	return 0;
}

/* [channel] providers = a, b into list (n so far): names in order, each once. */
static void split_providers(struct config_loader *ld, const char *channel, const char *text,
			    char (*list)[64], int *n)
{
	int line = config_key_line(ld, channel, "providers");
	char buf[256], *rest = buf, *item;

	snprintf(buf, sizeof(buf), "%s", text);
	while ((item = strsep(&rest, ",")) != NULL) {
		int dup = 0;

		item += strspn(item, " \t");
		item[strcspn(item, " \t")] = '\0';
		if (item[0] == '\0') {
			config_problem(ld, line, channel, "providers",
				       "has an empty name; list provider names separated by "
				       "commas (example: providers = aliyun_sms, tencent_sms)");
			continue;
		}
		for (int j = 0; j < *n; j++)
			dup |= strcmp(list[j], item) == 0;
		if (dup)
			config_problem(ld, line, channel, "providers",
				       "names %.63s twice; list each provider once", item);
		else if (check_route_name(ld, line, channel, "providers", item) == 0 &&
			 *n < CONFIG_MAX_PROVIDERS)
			snprintf(list[(*n)++], sizeof(list[0]), "%s", item);
	}
}

/* [channel] provider = a or providers = a, b: fills the channel's list and its first. */
static void check_route(struct config_loader *ld, const char *channel, char *first,
			char (*list)[64], int *n)
{
	const char *text = config_loader_extra(ld, channel, "providers");
	int line1 = config_key_line(ld, channel, "provider");

	if (text[0] != '\0' && first[0] != '\0') {
		config_problem(ld, config_key_line(ld, channel, "providers"), channel, "providers",
			       "provider is set too (line %d); keep one: provider = NAME for one "
			       "provider, or providers = NAME, NAME for failover in that order",
			       line1);
		return;
	}
	if (text[0] != '\0')
		split_providers(ld, channel, text, list, n);
	else if (first[0] != '\0' && check_route_name(ld, line1, channel, "provider", first) == 0)
		snprintf(list[(*n)++], sizeof(list[0]), "%s", first);
	if (*n > 0)
		snprintf(first, sizeof(list[0]), "%s", list[0]);
}

/* Secure mode (an EncodingAESKey) decrypts with the key and checks the appid inside each
 * message, and every callback is signed with the token. */
static void check_wechat(struct config_loader *ld, unsigned flags)
{
	struct gw_config *c = config_loader_cfg(ld);
	int aes = config_key_line(ld, "wechat", "encoding_aes_key");
	int aes_env = config_key_line(ld, "wechat", "encoding_aes_key_env");
	int token = config_key_line(ld, "wechat", "token") != 0 ||
		config_key_line(ld, "wechat", "token_env") != 0;
	int line = aes ? aes : aes_env;
	const char *key = aes ? "encoding_aes_key" : "encoding_aes_key_env";

	if (!(flags & CONFIG_SKIP_SECRETS)) {
		apply_env(ld, config_key_line(ld, "wechat", "token_env"), "wechat", "token_env",
			  config_loader_extra(ld, "wechat", "token_env"),
			  config_key_find("wechat", "token"), c);
		apply_env(ld, aes_env, "wechat", "encoding_aes_key_env",
			  config_loader_extra(ld, "wechat", "encoding_aes_key_env"),
			  config_key_find("wechat", "encoding_aes_key"), c);
	} else {
		explicit_bzero(c->wechat_token, sizeof(c->wechat_token));
		explicit_bzero(c->wechat_aes_key, sizeof(c->wechat_aes_key));
	}
	if (line != 0 && config_key_line(ld, "wechat", "appid") == 0)
		config_problem(ld, line, "wechat", key,
			       "secure mode needs appid too; set appid = the Official Account's "
			       "AppID (wx...)");
	if (line != 0 && token == 0)
		config_problem(ld, line, "wechat", key,
			       "secure mode needs token too; set token_env = NAME of an "
			       "environment variable holding the server token (or token = ...)");
}

#define DEPT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

/* Records a problem when dept or prov is already in the list of robots. A robot serves one
 * department: WeCom's 20 messages a minute are counted per robot. */
static int robot_taken(struct config_loader *ld, int line, const char *dept, const char *prov)
{
	const struct gw_config *c = config_loader_cfg(ld);

	for (int i = 0; i < c->n_staff_robots; i++) {
		if (strcmp(c->staff_robots[i].dept, dept) == 0) {
			config_problem(
				ld, line, "staff", "robots",
				"names department %.31s twice; give each department one robot",
				dept);
			return -1;
		}
		if (strcmp(c->staff_robots[i].provider, prov) == 0) {
			config_problem(
				ld, line, "staff", "robots",
				"gives robot %.63s to two departments; each department needs "
				"its own robot (WeCom's 20 messages a minute are per robot)",
				prov);
			return -1;
		}
	}
	return 0;
}

/* Records why the robot prov cannot take department dept's staff alerts, if it cannot. */
static int check_robot(struct config_loader *ld, int line, const char *dept, const char *prov)
{
	const struct gw_config *c = config_loader_cfg(ld);
	const struct provider_config *p = config_provider(c, prov);
	size_t dlen = strlen(dept);

	if (dlen == 0 || dlen >= sizeof(c->staff_robots[0].dept) ||
	    strspn(dept, DEPT_CHARS) != dlen) {
		config_problem(ld, line, "staff", "robots",
			       "has department \"%.40s\"; a department code is 1-31 letters, "
			       "digits, _ or -",
			       dept);
		return -1;
	}
	if (robot_taken(ld, line, dept, prov) < 0)
		return -1;
	if (p == NULL) {
		config_problem(ld, line, "staff", "robots",
			       "there is no [provider.%.63s]; add that section with type = wecom "
			       "and channel = staff",
			       prov);
		return -1;
	}
	if (strcmp(p->type, "wecom") != 0 || strcmp(p->channel, "staff") != 0) {
		config_problem(ld, line, "staff", "robots",
			       "provider %.63s has type = %s, channel = %s; a department's robot "
			       "needs type = wecom and channel = staff",
			       prov, p->type, p->channel[0] ? p->channel : "(none)");
		return -1;
	}
	return 0;
}

/* [staff] robots = DEPT:PROVIDER, ... into the configuration's list of robots. */
static void check_staff(struct config_loader *ld)
{
	struct gw_config *c = config_loader_cfg(ld);
	int line = config_key_line(ld, "staff", "robots");
	char buf[512], *rest = buf, *item, *prov;

	snprintf(buf, sizeof(buf), "%s", config_loader_extra(ld, "staff", "robots"));
	while (buf[0] != '\0' && (item = strsep(&rest, ",")) != NULL) {
		item += strspn(item, " \t");
		prov = strchr(item, ':');
		if (prov == NULL) {
			config_problem(
				ld, line, "staff", "robots",
				"has \"%.40s\", not DEPARTMENT:PROVIDER; list pairs separated "
				"by commas (example: robots = repair:robot_repair, "
				"billing:robot_billing)",
				item);
			continue;
		}
		*prov++ = '\0';
		item[strcspn(item, " \t")] = '\0';
		prov += strspn(prov, " \t");
		prov[strcspn(prov, " \t")] = '\0';
		if (check_robot(ld, line, item, prov) < 0)
			continue;
		if (c->n_staff_robots == CONFIG_MAX_STAFF_ROBOTS) {
			config_problem(ld, line, "staff", "robots",
				       "names more than %d robots; join departments or run another "
				       "gatewayd",
				       CONFIG_MAX_STAFF_ROBOTS);
			return;
		}
		snprintf(c->staff_robots[c->n_staff_robots].dept, sizeof(c->staff_robots[0].dept),
			 "%s", item);
		snprintf(c->staff_robots[c->n_staff_robots].provider,
			 sizeof(c->staff_robots[0].provider), "%s", prov);
		c->n_staff_robots++;
	}
}

void config_check_all(struct config_loader *ld, unsigned flags)
{
	struct gw_config *c = config_loader_cfg(ld);
	int sms_line = config_key_line(ld, "sms", "provider");

	for (int i = 0; i < c->nproviders; i++)
		check_provider(ld, i, flags);
	check_route(ld, "sms", c->sms_provider, c->sms_providers, &c->n_sms_providers);
	check_route(ld, "wechat", c->wechat_provider, c->wechat_providers, &c->n_wechat_providers);
	check_wechat(ld, flags);
	check_staff(ld);
	if (c->sms_provider[0] != '\0' && c->sms_signature[0] == '\0')
		config_problem(
			ld, sms_line ? sms_line : config_key_line(ld, "sms", "providers"), "sms",
			"signature",
			"is missing; SMS needs the sender's signature (example: signature = 【幸福水务】)");
	if (c->retry_base_ms > c->retry_max_ms)
		config_problem(ld, config_key_line(ld, "delivery", "retry_base_ms"), "delivery",
			       "retry_base_ms",
			       "is larger than retry_max_ms (%d); lower it or raise retry_max_ms",
			       c->retry_max_ms);
	if (c->water_long_lead_min < c->lead_min[UTIL_WATER])
		config_problem(
			ld, config_key_line(ld, "lead_time", "water_long_hours"), "lead_time",
			"water_long_hours",
			"is shorter than water_hours; long stops need at least the normal lead");
}
