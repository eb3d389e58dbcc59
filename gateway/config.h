/* config: gatewayd's configuration, read from an INI file with inih.
 * Owns: the const table of known sections and keys, their defaults, parsing, validation and
 * secrets from the environment (config.c parses, config_check.c checks between keys).
 * Every problem names file, line and key; all problems are collected, not just the first.
 * After config_load succeeds the struct is read-only.
 * Never logs a secret value. */
#ifndef GATEWAY_CONFIG_H
#define GATEWAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CONFIG_MAX_PROVIDERS 8
#define CONFIG_MAX_PROBLEMS 64

enum utility { UTIL_WATER, UTIL_POWER, UTIL_HEAT, UTIL_COUNT };

#define PROVIDER_MAX_TEMPLATES 24
#define CONFIG_MAX_STAFF_ROBOTS 8
#define CONFIG_STAFF_PER_MINUTE_MAX 20 /* a WeCom group robot takes 20 messages a minute */

/* A provider-approved template for one message kind: template.KIND = id and
 * params.KIND = the template's parameters, comma-separated, each "name" (our variable of
 * that name) or "name=variable" (Tencent: the order is {1}, {2}, ...; WeChat: keyword
 * names such as thing1=area). */
struct provider_template {
	char kind[24];
	char id[96];
	char params[400];
};

struct provider_config {
	char name[64]; /* from the section name [provider.NAME] */
	char type[32]; /* file | webhook | aliyun | tencent | wechat | wecom */
	char channel[16]; /* sms | wechat | staff: aliyun, tencent only sms; wechat only
			     wechat; wecom only staff */
	char path[512]; /* file: where messages are appended */
	char url[512]; /* webhook: where to POST */
	char secret[256]; /* HMAC key, AccessKey secret, AppSecret, robot key; secret_env */
	int timeout_ms; /* default 5000 */
	int rate_per_s; /* 0 = unlimited; default 0 */
	int concurrency; /* requests in flight at once; default 16 */
	int batch; /* recipients per request for identical text; default 1 */
	char endpoint[512]; /* API base URL; "" = the provider's public endpoint */
	int tls_verify; /* default 1; 0 only when this section says tls_verify = off */
	char key_id[128]; /* Alibaba AccessKeyId, Tencent SecretId, WeChat appid */
	char sign_name[64]; /* approved SMS signature text (without 【】) */
	char app_id[64]; /* Tencent SmsSdkAppId */
	char region[32]; /* Tencent X-TC-Region (ap-guangzhou), Alibaba RegionId (cn-hangzhou) */
	char sig_version[8]; /* Alibaba: "v3" (default) or "v2" */
	char callback_token[128]; /* pushes to /callbacks/NAME/... must carry ?token=this;
				     may come from env (callback_token_env) */
	int breaker_threshold; /* RETRY-class failures in a row that open the circuit; 5 */
	int breaker_cooldown_s; /* how long an open circuit keeps traffic away; 60 */
	struct provider_template templates[PROVIDER_MAX_TEMPLATES];
	int ntemplates;
	int line; /* line of the section header, for messages */
};

/* [staff] robots: the WeCom group robot that takes one department's staff alerts. */
struct config_staff_robot {
	char dept[32]; /* 1-31 letters, digits, _ or - */
	char provider[64]; /* a [provider.NAME] with type = wecom, channel = staff */
};

struct gw_config {
	char path[512]; /* the file this was read from */
	/* [server] */
	char listen_host[64]; /* default 127.0.0.1 */
	int listen_port; /* default 8080 */
	size_t max_body; /* default 1 MiB (JSON); CSV import bodies get max_import_body */
	size_t max_import_body; /* default 64 MiB */
	int http_threads; /* default 4 */
	/* [store] */
	char db_path[512]; /* default var/gateway.db */
	/* [log] */
	char log_level[16]; /* default info */
	/* [sms] */
	char sms_signature[128]; /* e.g. 【幸福水务】 (required, must be 【…】) */
	char sms_provider[64]; /* the first of sms_providers; "" = no sms */
	/* [sms] providers = a, b: the providers of the channel in order of preference (failover
	 * goes left to right); [sms] provider = a is the one-provider form. */
	char sms_providers[CONFIG_MAX_PROVIDERS][64];
	int n_sms_providers;
	/* [sms] cap_per_hour / cap_per_day: most non-urgent SMS per number per hour / 24 h
	 * (0 = no cap); one identical SMS per number per 30 s always holds. */
	int sms_cap_hour;
	int sms_cap_day;
	/* [wechat] */
	char wechat_provider[64]; /* the first of wechat_providers */
	char wechat_providers[CONFIG_MAX_PROVIDERS][64];
	int n_wechat_providers;
	/* [wechat] the Official Account's server callback (消息推送): the token and, for secure
	 * mode, the EncodingAESKey (43 characters) and the appid. May come from the environment
	 * (token_env, encoding_aes_key_env). */
	char wechat_token[64];
	char wechat_aes_key[64];
	char wechat_appid[64];
	/* [routing] which channels a notice goes on when the request names none:
	 * "wechat-else-sms" (WeChat for followers, SMS for the others), "both", "sms" or
	 * "wechat". route_notices for planned outages and their follow-ups, route_emergency
	 * for emergency outages and theirs. */
	char route_notices[24];
	char route_emergency[24];
	/* [staff] robots = DEPT:PROVIDER, ...: each department's robot, one robot per department
	 * (the limit is per robot); per_minute: most messages sent to one robot in any 60 s,
	 * default 20 (1 to 20). Staff alerts are off when n_staff_robots is 0. */
	struct config_staff_robot staff_robots[CONFIG_MAX_STAFF_ROBOTS];
	int n_staff_robots;
	int staff_per_minute;
	/* [cases] rules: the service promises (config/cases.ini, see case_rules.h); calendar:
	 * the working-day calendar (config/calendar.ini); number_prefix: the company's prefix
	 * before YYYYMM-NNNNN, 0-8 capital letters or digits (default none); public_url: where
	 * residents reach /t/{token} (SMS links and QR codes), default http://127.0.0.1:8080 */
	char cases_rules[512];
	char cases_calendar[512];
	char cases_prefix[16];
	char public_url[256];
	/* [appointments] hours_TYPE: booking hours HH:MM-HH:MM of each appointment type
	 * (temperature, repair, meter, inspection; see appointments.h); reminders: "eve 19:00,
	 * 60m" (the evening before at 19:00 and an hour before) or off. [return_visit] at: the
	 * survey's local time (10:00), after_workdays: working days after resolution (1),
	 * answer_workdays: working days to answer before a phone visit (2). Checked at start by
	 * visit_time.c's parsers. */
	char appt_hours[4][16];
	char appt_reminders[64];
	char survey_at[8];
	int survey_after_workdays;
	int survey_answer_workdays;
	/* [tracking] rate_per_minute: requests per client address to the public tracking
	 * endpoints (default 120; 0 = no limit) */
	int track_per_minute;
	/* [templates] */
	char templates_dir[512]; /* default templates */
	/* [delivery] */
	int quiet_start_min; /* minutes after local midnight, default 21:00 = 1260 */
	int quiet_end_min; /* default 08:00 = 480 */
	int utc_offset_min; /* local time zone, default +480 (Asia/Shanghai, no DST) */
	int retry_base_ms; /* default 2000 */
	int retry_max_ms; /* default 600000 */
	int max_attempts; /* default 8 */
	int claim_batch; /* rows claimed per round, default 500 */
	int followup_ttl_hours; /* expiry of restored/cancelled messages, default 24 */
	/* [lead_time] planned-notice minimum lead, in minutes */
	int lead_min[UTIL_COUNT]; /* water 24 h, power 7 d, heat 48 h */
	int water_long_lead_min; /* 48 h */
	int water_long_threshold_min; /* stops longer than 12 h need the long lead */
	/* [import] column names of the billing system's CSV export */
	char col_account[64]; /* default 户号 */
	char col_name[64]; /* default 户名 */
	char col_mobile[64]; /* default 手机号 */
	char col_openid[64]; /* default openid */
	char col_area[64]; /* default 区域编码 */
	/* [provider.NAME] */
	struct provider_config providers[CONFIG_MAX_PROVIDERS];
	int nproviders;
};

struct config_problems {
	int n;
	char msg[CONFIG_MAX_PROBLEMS]
		[300]; /* "config/gateway.ini:12: [delivery] quiet_start: ..." */
};

/* Fills cfg with defaults. */
void config_defaults(struct gw_config *cfg);
/* Reads and validates path into cfg (defaults first, then the file, then secrets from the
 * environment). Returns 0, or ERR_INVALID with every problem in *probs (may be NULL) and
 * the first in e. Unknown sections and keys are problems (typos must not pass silently). */
int config_load(struct gw_config *cfg, const char *path, struct config_problems *probs,
		struct err *e);

/* Flags of config_load_opts. */
enum config_load_flags {
	/* For tools that need no secret (gatewayctl key create wants only the database path):
	 * no *_env variable is looked up, a provider without a secret is no problem, and every
	 * secret in the result is empty (providers' secret and callback_token, [wechat] token
	 * and encoding_aes_key). */
	CONFIG_SKIP_SECRETS = 1u << 0,
};

/* config_load with flags (0 = config_load). Same contract otherwise. */
int config_load_opts(struct gw_config *cfg, const char *path, unsigned flags,
		     struct config_problems *probs, struct err *e);

/* The template of a provider for a kind, or NULL. */
const struct provider_template *config_provider_template(const struct provider_config *pc,
							 const char *kind);
/* The provider named name, or NULL. */
const struct provider_config *config_provider(const struct gw_config *cfg, const char *name);
const char *config_utility_name(enum utility u);
int config_utility_parse(const char *s, enum utility *out);

#endif
