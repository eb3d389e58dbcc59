/* gatewayd: the daemon's main. Builds the one context (configuration, templates, clock,
 * store, metrics, workers, staff alert sender, HTTP server), waits for SIGTERM/SIGINT, and
 * takes it down in the reverse order: stop accepting requests, let the workers and the
 * staff sender finish or release what they hold, close the store. Start-up problems exit with a message and status 1 (config: 2). */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "calendar.h"
#include "case_rules.h"
#include "case_watch.h"
#include "cases.h"
#include "clock.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "staff.h"
#include "store.h"
#include "templates.h"
#include "timefmt.h"
#include "visit_time.h"
#include "visits.h"
#include "worker.h"
#include "wx_token.h"

#define GATEWAYD_VERSION "0.1.0"

struct daemon {
	struct gw_config cfg;
	struct clock clock;
	struct templates *tmpl;
	struct metrics *metrics;
	struct api *api;
	struct http_server *srv;
	struct worker *workers[2];
	struct staff *staff; /* staff alerts' sender, when [staff] robots is set */
	struct case_rules *rules; /* [cases] rules */
	struct calendar *cal; /* [cases] calendar */
	struct cases_env cases;
	struct visit_policy visit; /* [appointments] reminders, [return_visit], quiet hours */
	struct visit_hours hours[APPT_TYPE_COUNT]; /* [appointments] hours_TYPE */
	struct case_watch *watch; /* case deadlines */
	/* One WeChat token holder per wechat provider, shared by its worker and the API. */
	void *shared[CONFIG_MAX_PROVIDERS];
	atomic_int stop;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gatewayd [--config FILE]     run the daemon (default config/gateway.ini)\n"
		"       gatewayd --check-config FILE   check a configuration and its templates\n"
		"       gatewayd --version | --help\n"
		"environment: GATEWAYD_CLOCK_START=<unix seconds> starts the clock at that time "
		"(tests and demos only)\n");
}

/* [appointments] and [return_visit]: parsed here, each problem printed with its key. */
static int load_visits(struct daemon *d)
{
	static const char *const keys[APPT_TYPE_COUNT] = { "hours_temperature", "hours_repair",
							   "hours_meter", "hours_inspection" };
	struct visit_policy *p = &d->visit;
	struct visit_hours at;
	struct err e;
	int bad = 0;

	p->utc_offset_min = d->cfg.utc_offset_min;
	p->quiet_start_min = d->cfg.quiet_start_min;
	p->quiet_end_min = d->cfg.quiet_end_min;
	p->survey_after_workdays = d->cfg.survey_after_workdays;
	p->answer_workdays = d->cfg.survey_answer_workdays;
	for (int i = 0; i < APPT_TYPE_COUNT; i++)
		if (visit_hours_parse(d->cfg.appt_hours[i], &d->hours[i], &e) < 0) {
			fprintf(stderr, "%s: [appointments] %s: %s\n", d->cfg.path, keys[i], e.msg);
			bad = 1;
		}
	if (visit_reminders_parse(d->cfg.appt_reminders, p, &e) < 0) {
		fprintf(stderr, "%s: [appointments] reminders: %s\n", d->cfg.path, e.msg);
		bad = 1;
	}
	/* "10:00" is the opening of a window "10:00-10:01". */
	char span[24];
	snprintf(span, sizeof(span), "%s-23:59", d->cfg.survey_at);
	if (visit_hours_parse(span, &at, &e) < 0) {
		fprintf(stderr, "%s: [return_visit] at: \"%s\" is not HH:MM (example: 10:00)\n",
			d->cfg.path, d->cfg.survey_at);
		bad = 1;
	}
	p->survey_at_min = at.open_min;
	return bad ? -1 : 0;
}

/* The case rules and the calendar: every problem printed, like the configuration's. */
static int load_cases(struct daemon *d)
{
	struct case_rules_problems rp;
	struct calendar_problems cp;
	struct err e;
	int bad = 0;

	if (case_rules_load(d->cfg.cases_rules, &d->rules, &rp, &e) < 0) {
		for (int i = 0; i < rp.n; i++)
			fprintf(stderr, "%s\n", rp.msg[i]);
		if (rp.n == 0)
			fprintf(stderr, "%s\n", e.msg);
		bad = 1;
	}
	if (calendar_load(d->cfg.cases_calendar, &d->cal, &cp, &e) < 0) {
		for (int i = 0; i < cp.n; i++)
			fprintf(stderr, "%s\n", cp.msg[i]);
		if (cp.n == 0)
			fprintf(stderr, "%s\n", e.msg);
		bad = 1;
	}
	if (load_visits(d) < 0)
		bad = 1;
	d->cases = (struct cases_env){ &d->cfg, d->rules, d->cal, d->tmpl, &d->visit, d->hours };
	return bad ? -1 : 0;
}

/* Loads and checks configuration and templates; prints every problem. */
static int load(struct daemon *d, const char *path)
{
	struct config_problems probs;
	struct tmpl_problems tprobs;
	struct err e;
	int bad = 0;

	if (config_load(&d->cfg, path, &probs, &e) < 0) {
		for (int i = 0; i < probs.n; i++)
			fprintf(stderr, "%s\n", probs.msg[i]);
		if (probs.n == 0)
			fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	if (templates_load(d->cfg.templates_dir, d->cfg.sms_signature, &d->tmpl, &tprobs, &e) < 0) {
		for (int i = 0; i < tprobs.n; i++)
			fprintf(stderr, "%s\n", tprobs.msg[i]);
		if (tprobs.n == 0)
			fprintf(stderr, "%s\n", e.msg);
		bad = 1;
	}
	return load_cases(d) < 0 || bad ? -1 : 0;
}

static int year_of(int64_t ms, int utc_offset_min)
{
	char iso[32];

	timefmt_iso(ms, utc_offset_min, iso);
	return atoi(iso);
}

static void init_clock(struct clock *c)
{
	const char *start = getenv("GATEWAYD_CLOCK_START");

	clock_init_real(c);
	if (start != NULL && *start != '\0') {
		clock_init_shifted(c, strtoll(start, NULL, 10) * 1000);
		log_warn("the clock is shifted by GATEWAYD_CLOCK_START (tests and demos only)");
	}
}

static int recover(struct daemon *d)
{
	struct store *s = NULL;
	struct err e;
	int n;

	if (store_open(d->cfg.db_path, &s, &e) < 0) {
		log_error("%s", e.msg);
		return -1;
	}
	n = store_outbox_recover(s, &e);
	if (n > 0)
		log_info("%d messages were in flight when gatewayd last stopped; they are queued "
			 "again",
			 n);
	store_close(s);
	return n < 0 ? -1 : 0;
}

/* The providers of a channel in order of preference, as indices into cfg->providers. */
static int channel_providers(const struct gw_config *cfg, char (*names)[64], int n,
			     const char *single, int *out, char *desc, size_t descsz)
{
	int count = 0;
	size_t len = 0;

	desc[0] = '\0';
	for (int i = 0; i < (n > 0 ? n : (single[0] ? 1 : 0)); i++) {
		const char *name = n > 0 ? names[i] : single;
		const struct provider_config *pc = config_provider(cfg, name);

		if (pc == NULL)
			continue;
		out[count++] = (int)(pc - cfg->providers);
		len += (size_t)snprintf(desc + len, len < descsz ? descsz - len : 0, "%s%s (%s)",
					count > 1 ? ", then " : "", pc->name, pc->type);
	}
	return count;
}

/* The WeChat accounts' token holders, one per wechat provider, before anyone uses them. */
static int share_tokens(struct daemon *d)
{
	struct err e;

	for (int i = 0; i < d->cfg.nproviders; i++) {
		const struct provider_config *pc = &d->cfg.providers[i];
		struct wx_token *t = NULL;

		if (strcmp(pc->type, "wechat") != 0)
			continue;
		if (wx_token_new(pc->endpoint[0] ? pc->endpoint : "https://api.weixin.qq.com",
				 pc->key_id, pc->secret, pc->timeout_ms, &t, &e) < 0) {
			log_error("provider %s: %s", pc->name, e.msg);
			return -1;
		}
		wx_token_set_tls_verify(t, pc->tls_verify);
		d->shared[i] = t;
		if (d->api != NULL)
			api_use_wx_token(d->api, t);
	}
	return 0;
}

static int start_workers(struct daemon *d)
{
	static const char *const channels[2] = { "sms", "wechat" };
	struct worker_env env = { &d->cfg, &d->clock, d->metrics, &d->stop, d->shared };
	int idx[CONFIG_MAX_PROVIDERS], n;
	char desc[512];
	struct err e;
	bool sweeper = true;

	for (int i = 0; i < 2; i++) {
		n = i == 0
			? channel_providers(&d->cfg, d->cfg.sms_providers, d->cfg.n_sms_providers,
					    d->cfg.sms_provider, idx, desc, sizeof(desc))
			: channel_providers(&d->cfg, d->cfg.wechat_providers,
					    d->cfg.n_wechat_providers, d->cfg.wechat_provider, idx,
					    desc, sizeof(desc));
		if (n == 0)
			continue;
		if (worker_start(&env, channels[i], idx, n, sweeper, &d->workers[i], &e) < 0) {
			log_error("cannot start the %s worker: %s", channels[i], e.msg);
			return -1;
		}
		log_info("%s messages go through %s", channels[i], desc);
		sweeper = false;
	}
	return 0;
}

static int start_staff(struct daemon *d)
{
	struct staff_env env = { &d->cfg, &d->clock, &d->stop };
	struct err e;

	if (d->cfg.n_staff_robots == 0)
		return 0;
	if (staff_start(&env, &d->staff, &e) < 0) {
		log_error("cannot start the staff alert sender: %s", e.msg);
		return -1;
	}
	for (int i = 0; i < d->cfg.n_staff_robots; i++)
		log_info(
			"staff alerts of %s go to the WeCom robot %s (at most %d messages a minute)",
			d->cfg.staff_robots[i].dept, d->cfg.staff_robots[i].provider,
			d->cfg.staff_per_minute);
	return 0;
}

static int start(struct daemon *d)
{
	struct http_server_opts opts = { 0 };
	struct err e;

	if (recover(d) < 0)
		return -1;
	if ((d->metrics = metrics_new(&d->cfg)) == NULL)
		return -1;
	if (api_new(&d->cfg, d->tmpl, &d->clock, d->metrics, &d->api, &e) < 0) {
		log_error("%s", e.msg);
		return -1;
	}
	api_use_cases(d->api, &d->cases);
	if (share_tokens(d) < 0 || start_workers(d) < 0 || start_staff(d) < 0)
		return -1;
	if (case_watch_start(&d->cases, &d->clock, &d->stop, &d->watch, &e) < 0) {
		log_error("%s", e.msg);
		return -1;
	}
	if (!calendar_has_year(d->cal, year_of(clock_now_ms(&d->clock), d->cfg.utc_offset_min)))
		log_warn("%s has no entry for this year: working-day deadlines count weekends only "
			 "and are marked provisional until the State Council's dates are added",
			 d->cfg.cases_calendar);
	opts.host = d->cfg.listen_host;
	opts.port = d->cfg.listen_port;
	opts.threads = d->cfg.http_threads;
	api_server_opts(d->api, &opts);
	if (http_server_start(&opts, &d->srv, &e) < 0) {
		log_error("%s", e.msg);
		return -1;
	}
	log_info("gatewayd %s listening on http://%s:%d (database %s)", GATEWAYD_VERSION,
		 d->cfg.listen_host, d->cfg.listen_port, d->cfg.db_path);
	return 0;
}

static void stop(struct daemon *d)
{
	http_server_stop(d->srv);
	atomic_store(&d->stop, 1);
	for (int i = 0; i < 2; i++)
		worker_join(d->workers[i]);
	staff_join(d->staff);
	case_watch_join(d->watch);
	api_free(d->api);
	for (int i = 0; i < CONFIG_MAX_PROVIDERS; i++)
		wx_token_free(d->shared[i]);
	metrics_free(d->metrics);
	templates_free(d->tmpl);
	case_rules_free(d->rules);
	calendar_free(d->cal);
}

static int wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	return sig;
}

int main(int argc, char **argv)
{
	struct daemon *d = calloc(1, sizeof(*d));
	const char *path = "config/gateway.ini";
	bool check_only = false;
	sigset_t set;
	enum log_level lvl;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) &&
		    i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--check-config") == 0 && i + 1 < argc) {
			path = argv[++i];
			check_only = true;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("gatewayd %s\n", GATEWAYD_VERSION);
			free(d);
			return 0;
		} else {
			usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
			free(d);
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	if (d == NULL || load(d, path) < 0) {
		if (d != NULL) {
			templates_free(d->tmpl);
			case_rules_free(d->rules);
			calendar_free(d->cal);
		}
		fprintf(stderr, "gatewayd: %s has problems; nothing was started\n", path);
		free(d);
		return 2;
	}
	if (check_only) {
		printf("%s: configuration, templates, case rules and calendar are valid\n", path);
		templates_free(d->tmpl);
		case_rules_free(d->rules);
		calendar_free(d->cal);
		free(d);
		return 0;
	}
	if (log_parse_level(d->cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	/* Block the stop signals in every thread; main collects them with sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	init_clock(&d->clock);
	if (start(d) == 0) {
		log_info("stopping on signal %d", wait_for_signal());
		rc = 0;
	}
	stop(d);
	log_info("gatewayd stopped");
	free(d);
	return rc;
}
