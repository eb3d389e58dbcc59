/* config_check: the checks of gatewayd's configuration that need the whole file, because one
 * key's meaning depends on another: [sms]/[wechat] provider must name a provider of that
 * channel, a file or webhook provider needs its own keys, SMS needs a signature, retry and
 * lead-time ranges must agree, and providers' secrets come from the environment.
 * Called only by config.c, once the file is parsed (see config_internal.h).
 * Never logs, and never puts a secret (or an environment variable's value) into a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* The environment wins over secret = in the file. */
static void apply_env_secret(struct config_loader *ld, int i, const char *sec)
{
	struct provider_config *p = &config_loader_cfg(ld)->providers[i];
	const char *var = config_loader_secret_env(ld, i), *v;
	int line = config_provider_key_line(ld, i, "secret_env");

	if (var[0] == '\0')
		return;
	v = getenv(var);
	if (v == NULL || v[0] == '\0')
		config_problem(
			ld, line, sec, "secret_env",
			"environment variable %s is not set; export it before starting gatewayd",
			var);
	else if (strlen(v) >= sizeof(p->secret))
		config_problem(
			ld, line, sec, "secret_env",
			"environment variable %s holds more than %zu bytes; use a shorter secret",
			var, sizeof(p->secret) - 1);
	else
		snprintf(p->secret, sizeof(p->secret), "%s", v);
}

/* Empty and never written: a key given with a bad value was reported already. */
static int is_missing(const struct config_loader *ld, int i, const char *name, const char *value)
{
	return value[0] == '\0' && config_provider_key_line(ld, i, name) == 0;
}

/* With CONFIG_SKIP_SECRETS (tools that only need, say, the database path) no secret is
 * looked up and none is kept: the result must not hold what the tool was never meant to. */
static void check_secret(struct config_loader *ld, int i, const char *sec, unsigned flags)
{
	struct provider_config *p = &config_loader_cfg(ld)->providers[i];

	if (flags & CONFIG_SKIP_SECRETS) {
		explicit_bzero(p->secret, sizeof(p->secret));
		return;
	}
	if (strcmp(p->type, "webhook") == 0 && is_missing(ld, i, "secret", p->secret) &&
	    is_missing(ld, i, "secret_env", config_loader_secret_env(ld, i)))
		config_problem(
			ld, p->line, sec, "secret",
			"is missing; set secret_env = NAME of an environment variable holding it (or secret = ...)");
}

static void check_provider(struct config_loader *ld, int i, unsigned flags)
{
	const struct provider_config *p = &config_loader_cfg(ld)->providers[i];
	char sec[80];

	snprintf(sec, sizeof(sec), CONFIG_PROVIDER_PREFIX "%s", p->name);
	if (!(flags & CONFIG_SKIP_SECRETS))
		apply_env_secret(ld, i, sec);
	if (is_missing(ld, i, "type", p->type))
		config_problem(ld, p->line, sec, "type",
			       "is missing; add type = file or type = webhook");
	if (is_missing(ld, i, "channel", p->channel))
		config_problem(ld, p->line, sec, "channel",
			       "is missing; add channel = sms or channel = wechat");
	if (strcmp(p->type, "file") == 0 && is_missing(ld, i, "path", p->path))
		config_problem(
			ld, p->line, sec, "path",
			"is missing; a file provider needs the file to append to (example: var/sent-sms.jsonl)");
	if (strcmp(p->type, "webhook") == 0 && is_missing(ld, i, "url", p->url))
		config_problem(ld, p->line, sec, "url",
			       "is missing; a webhook provider needs url = https://...");
	check_secret(ld, i, sec, flags);
}

/* [channel] provider must name a provider that carries that channel. */
static void check_route(struct config_loader *ld, const char *channel, const char *name)
{
	const struct gw_config *c = config_loader_cfg(ld);
	const struct provider_config *p = config_provider(c, name);
	int line = config_key_line(ld, channel, "provider");

	if (name[0] == '\0')
		return;
	if (p == NULL) {
		char known[200] = "";

		for (int i = 0; i < c->nproviders; i++)
			config_join(known, sizeof(known), c->providers[i].name);
		config_problem(
			ld, line, channel, "provider",
			"there is no [provider.%s]; add that section or use a defined provider (%s)",
			name, known[0] ? known : "none is defined");
	} else if (p->channel[0] != '\0' && strcmp(p->channel, channel) != 0) {
		config_problem(
			ld, line, channel, "provider",
			"provider %s has channel = %s; set channel = %s in [provider.%s] or pick another provider",
			name, p->channel, channel, name);
	}
}

void config_check_all(struct config_loader *ld, unsigned flags)
{
	const struct gw_config *c = config_loader_cfg(ld);

	for (int i = 0; i < c->nproviders; i++)
		check_provider(ld, i, flags);
	check_route(ld, "sms", c->sms_provider);
	check_route(ld, "wechat", c->wechat_provider);
	if (c->sms_provider[0] != '\0' && c->sms_signature[0] == '\0')
		config_problem(
			ld, config_key_line(ld, "sms", "provider"), "sms", "signature",
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
