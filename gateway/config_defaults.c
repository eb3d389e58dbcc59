/* config_defaults: what a configuration holds before its file is read (config_defaults), and
 * the read-only lookups on a loaded one (config_provider, config_utility_*). Called by
 * config.c before parsing, and by anyone holding a struct gw_config. Pure: no I/O, no state.
 * A default changed here must change in config/gateway.ini's comments too. */
#include "config.h"

#include <stdio.h>
#include <string.h>

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
	snprintf(cfg->cases_rules, sizeof(cfg->cases_rules), "config/cases.ini");
	snprintf(cfg->cases_calendar, sizeof(cfg->cases_calendar), "config/calendar.ini");
	snprintf(cfg->public_url, sizeof(cfg->public_url), "http://127.0.0.1:8080");
	cfg->track_per_minute = 120;
	snprintf(cfg->appt_hours[0], sizeof(cfg->appt_hours[0]), "08:00-21:00");
	snprintf(cfg->appt_hours[1], sizeof(cfg->appt_hours[1]), "08:00-20:00");
	snprintf(cfg->appt_hours[2], sizeof(cfg->appt_hours[2]), "08:00-18:00");
	snprintf(cfg->appt_hours[3], sizeof(cfg->appt_hours[3]), "08:00-18:00");
	snprintf(cfg->appt_reminders, sizeof(cfg->appt_reminders), "eve 19:00, 60m");
	snprintf(cfg->survey_at, sizeof(cfg->survey_at), "10:00");
	cfg->survey_after_workdays = 1;
	cfg->survey_answer_workdays = 2;
	cfg->quiet_start_min = 21 * 60;
	cfg->quiet_end_min = 8 * 60;
	cfg->utc_offset_min = 8 * 60;
	cfg->retry_base_ms = 2000;
	cfg->retry_max_ms = 600000;
	cfg->max_attempts = 8;
	cfg->claim_batch = 500;
	/* Per-number SMS caps for non-urgent kinds, under the providers' own (Alibaba: 50
	 * notifications per number a day), so that we hold a message rather than be refused. */
	/* The routing: outage notices reach followers by WeChat and the others by SMS;
	 * emergencies go both ways. */
	snprintf(cfg->route_notices, sizeof(cfg->route_notices), "wechat-else-sms");
	snprintf(cfg->route_emergency, sizeof(cfg->route_emergency), "both");
	cfg->staff_per_minute = CONFIG_STAFF_PER_MINUTE_MAX;
	cfg->sms_cap_hour = 10;
	cfg->sms_cap_day = 50;
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
