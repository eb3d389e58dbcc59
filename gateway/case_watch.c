/* case_watch: deadline warnings and breach alerts for cases; see case_watch.h.
 * One tick announces what is due in batches, each alert and its mark in one transaction, so
 * a crash between them repeats nothing and loses nothing. Never logs personal data. */
#include "case_watch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cases_internal.h"
#include "log.h"
#include "visits.h"

#define WATCH_BATCH 64
#define WATCH_PERIOD_MS 1000

struct case_watch {
	struct cases_env env;
	const struct clock *clock;
	atomic_int *stop;
	struct store *store;
	pthread_t thread;
};

static int announce(const struct cases_env *env, struct store *s, const struct store_case_due *d,
		    int64_t now_ms, struct err *e)
{
	const struct case_rules *r = env->rules;
	struct store_case c;
	char line[400], text[800], due[32];
	int rc;

	if ((rc = store_case_load(s, d->number, &c, e)) < 0)
		return rc;
	case_notify_describe(env, s, &c, line, sizeof(line));
	case_fmt_time(env, d->due_ms, due);
	snprintf(text, sizeof(text), "**%s** %s时限%s %s\n%s", d->breach ? "已超时" : "即将超时",
		 case_clock_label((enum case_clock)d->clock), d->breach ? "已过" : "将至", due,
		 line);
	if ((rc = case_notify_staff(env, s, &c, c.department, text, now_ms, e)) < 0)
		return rc;
	if (d->breach &&
	    (rc = case_notify_staff(env, s, &c, r->depts[r->leaders_dept].code, text, now_ms, e)) <
		    0)
		return rc;
	if ((rc = store_case_event(s, c.id, now_ms, "gateway", d->breach ? "breach" : "warning",
				   NULL, NULL, case_clock_name((enum case_clock)d->clock), 0, e)) <
	    0)
		return rc;
	return store_case_due_mark(s, d->case_id, d->clock, d->breach, now_ms, e);
}

int cases_watch_tick(const struct cases_env *env, struct store *s, int64_t now_ms, struct err *e)
{
	struct store_case_due due[WATCH_BATCH];
	int n, done = 0, rc;

	do {
		if ((n = store_case_due_list(s, now_ms, due, WATCH_BATCH, e)) < 0)
			return n;
		for (int i = 0; i < n; i++) {
			if ((rc = store_begin(s, e)) < 0)
				return rc;
			if ((rc = announce(env, s, &due[i], now_ms, e)) < 0 ||
			    (rc = store_commit(s, e)) < 0) {
				store_rollback(s);
				return rc;
			}
			done++;
		}
	} while (n == WATCH_BATCH);
	return done;
}

static void *watch_main(void *arg)
{
	struct case_watch *w = arg;
	struct timespec ts = { WATCH_PERIOD_MS / 1000, (WATCH_PERIOD_MS % 1000) * 1000000L };
	struct err e;

	while (!atomic_load(w->stop)) {
		int64_t now = clock_now_ms(w->clock);
		int n = cases_watch_tick(&w->env, w->store, now, &e), v;
		if (n < 0)
			log_error("case deadlines: %s", e.msg);
		else if (n > 0)
			log_info("case deadlines: %d warning(s) or breach(es) announced", n);
		if ((v = visits_tick(&w->env, w->store, now, &e)) < 0)
			log_error("visits: %s", e.msg);
		else if (v > 0)
			log_info("visits: %d reminder(s) or survey(s) handled", v);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int case_watch_start(const struct cases_env *env, const struct clock *clock, atomic_int *stop,
		     struct case_watch **out, struct err *e)
{
	struct case_watch *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory starting the case watch");
	w->env = *env;
	w->clock = clock;
	w->stop = stop;
	if ((rc = store_open(env->cfg->db_path, &w->store, e)) < 0)
		goto fail;
	store_set_utc_offset(w->store, env->cfg->utc_offset_min);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "cannot start the case watch thread");
		goto fail;
	}
	*out = w;
	return 0;
fail:
	store_close(w->store);
	free(w);
	return rc;
}

void case_watch_join(struct case_watch *w)
{
	if (w == NULL)
		return;
	pthread_join(w->thread, NULL);
	store_close(w->store);
	free(w);
}
