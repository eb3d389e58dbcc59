/* staff: staff alerts to the departments' WeCom robots; see staff.h for the contract.
 * The sender is one thread with its own store connection. Each robot's state:
 *   ready --(window full)--> waiting for its window --(oldest send 60 s old)--> ready
 *   ready --(RETRY/THROTTLED)--> backing off (not_before) --(time passes)--> ready
 * Invariants: a robot is sent at most per_minute messages in any 60 s, counting every try
 * whatever its answer; every alert of a message gets the message's outcome recorded (sent,
 * failed try, or failed); an alert leaves the queue only as sent or refused for good.
 * Sends are blocking (http_fetch): at 20 a minute per robot that is plenty, and a robot that
 * does not answer holds up the others for at most its timeout_ms a turn. Staff alerts ignore
 * quiet hours: they are for people on duty. */
#include "staff.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_client.h"
#include "log.h"
#include "provider.h"
#include "providers/wecom.h"
#include "scheduler.h"
#include "utf8.h"

#define STAFF_TURN_MS 1000 /* how often each robot is looked at */
#define STAFF_MERGE_MAX 64 /* waiting alerts read per message; the merge takes what fits */
#define DEPT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

_Static_assert(STAFF_TEXT_MAX_BYTES < STORE_STAFF_TEXT_MAX, "a row holds any valid alert");
/* wecom_merge's header for one alert ("**1 条待处理提醒**" and a blank line) is 26 bytes. */
_Static_assert(STAFF_TEXT_MAX_BYTES + 26 <= WECOM_MARKDOWN_MAX, "an alert fits one message");

/* ---- the sliding window ---- */

void staff_window_init(struct staff_window *w, int limit)
{
	assert(limit >= 1 && limit <= CONFIG_STAFF_PER_MINUTE_MAX);
	memset(w, 0, sizeof(*w));
	w->limit = limit;
}

int64_t staff_window_wait_ms(const struct staff_window *w, int64_t now_ms)
{
	int64_t free_at;

	if (w->n < w->limit)
		return 0;
	/* at[0] is the send limit sends ago; a clock that stepped back only waits longer. */
	free_at = w->at[0] + STAFF_WINDOW_MS;
	return free_at > now_ms ? free_at - now_ms : 0;
}

void staff_window_note(struct staff_window *w, int64_t at_ms)
{
	if (w->n == w->limit) {
		memmove(w->at, w->at + 1, sizeof(w->at[0]) * (size_t)(w->n - 1));
		w->n--;
	}
	w->at[w->n++] = at_ms;
}

/* ---- adding and listing ---- */

static const struct config_staff_robot *find_robot(const struct gw_config *cfg, const char *dept)
{
	for (int i = 0; dept != NULL && i < cfg->n_staff_robots; i++) {
		if (strcmp(cfg->staff_robots[i].dept, dept) == 0)
			return &cfg->staff_robots[i];
	}
	return NULL;
}

static int check_department(const struct gw_config *cfg, const char *dept, struct err *e)
{
	char known[CONFIG_MAX_STAFF_ROBOTS * 34] = "";
	size_t o = 0, len = dept ? strlen(dept) : 0;

	if (find_robot(cfg, dept) != NULL)
		return 0;
	if (cfg->n_staff_robots == 0)
		return err_set(e, ERR_INVALID, "department",
			       "no department has a robot; staff alerts need [staff] robots = "
			       "DEPARTMENT:PROVIDER in the configuration");
	for (int i = 0; i < cfg->n_staff_robots; i++)
		o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "",
				      cfg->staff_robots[i].dept);
	/* Only a plausible code is quoted: the message must stay valid UTF-8 for JSON. */
	if (len == 0 || len > 31 || strspn(dept, DEPT_CHARS) != len)
		return err_set(e, ERR_INVALID, "department",
			       "department must be one of the departments of [staff] robots: %s",
			       known);
	return err_set(e, ERR_INVALID, "department",
		       "department %s has no robot; the departments of [staff] robots are %s", dept,
		       known);
}

static int check_text(const char *text, struct err *e)
{
	size_t len = text ? strlen(text) : 0, chars;

	if (text == NULL || text[strspn(text, " \t\r\n")] == '\0')
		return err_set(e, ERR_INVALID, "text",
			       "text must be a non-empty string: what the staff should know");
	if (!utf8_valid(text, len, NULL))
		return err_set(e, ERR_INVALID, "text", "text is not valid UTF-8");
	chars = utf8_chars(text);
	if (chars > STAFF_TEXT_MAX_CHARS)
		return err_set(e, ERR_INVALID, "text",
			       "text is %zu characters long; an alert may have at most %d", chars,
			       STAFF_TEXT_MAX_CHARS);
	if (len > STAFF_TEXT_MAX_BYTES)
		return err_set(e, ERR_INVALID, "text",
			       "text is %zu bytes of UTF-8; one WeCom message takes an alert of "
			       "at most %d (about 1300 Chinese characters): split it in two",
			       len, STAFF_TEXT_MAX_BYTES);
	return 0;
}

int staff_alert_add(struct store *s, const struct gw_config *cfg, const char *department,
		    const char *text, int64_t now_ms, json_t **out, struct err *e)
{
	int64_t id = 0;
	json_t *r;
	int rc;

	if ((rc = check_department(cfg, department, e)) < 0 || (rc = check_text(text, e)) < 0)
		return rc;
	if ((rc = store_staff_add(s, department, text, now_ms, &id, e)) < 0)
		return rc;
	r = json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "department", department, "queued",
		      1);
	if (r == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory answering a staff alert");
	*out = r;
	return 0;
}

int staff_alert_list(struct store *s, const struct gw_config *cfg, const char *department,
		     int limit, json_t **out, struct err *e)
{
	json_t *r = NULL;
	int rc;

	if (department != NULL && (rc = check_department(cfg, department, e)) < 0)
		return rc;
	if ((rc = store_staff_list(s, department, limit, &r, e)) < 0)
		return rc;
	json_object_set_new(r, "department", department ? json_string(department) : json_null());
	*out = r;
	return 0;
}

/* ---- the sender ---- */

struct robot {
	const struct config_staff_robot *cr;
	const struct provider_config *pc;
	const struct provider_ops *ops;
	void *pstate;
	struct staff_window win;
	int64_t not_before; /* backing off after a failed try until then */
	int failures; /* failed tries in a row, for the backoff */
};

struct staff {
	struct staff_env env;
	struct store *store;
	struct sched_policy pol; /* only the retry delays are used */
	struct robot robots[CONFIG_MAX_STAFF_ROBOTS];
	int n;
	struct store_staff_alert rows[STAFF_MERGE_MAX];
	char msg[WECOM_MARKDOWN_MAX + 1];
	uint64_t rng;
	pthread_t thread;
};

static int64_t now_ms(const struct staff *st)
{
	return clock_now_ms(st->env.clock);
}

static uint64_t next_rand(struct staff *st)
{
	/* xorshift64*: backoff jitter needs spread, not secrecy. */
	st->rng ^= st->rng >> 12;
	st->rng ^= st->rng << 25;
	st->rng ^= st->rng >> 27;
	return st->rng * 2685821657736338717ULL;
}

/* Sends st->msg through the robot and classifies the answer into *res. */
static void deliver(struct staff *st, struct robot *r, int64_t first_id, struct prov_result *res)
{
	struct prov_msg m = { .id = first_id,
			      .channel = "staff",
			      .kind = "staff",
			      .to = r->cr->dept,
			      .text = st->msg,
			      .now_ms = now_ms(st) };
	struct http_request req;
	struct http_response resp;
	struct err e;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	memset(res, 0, sizeof(*res));
	if (r->ops->build(r->pstate, &m, 1, &req, &e) < 0) {
		res->outcome = OUTCOME_PERMANENT;
		snprintf(res->reason, sizeof(res->reason), "cannot build the message: %.120s",
			 e.msg);
	} else if (http_fetch(&req, &resp, &e) < 0) {
		res->outcome = OUTCOME_RETRY;
		snprintf(res->reason, sizeof(res->reason), "cannot send: %.140s", e.msg);
	} else {
		r->ops->classify(r->pstate, &resp, &m, 1, res);
	}
	http_request_cleanup(&req);
	http_response_cleanup(&resp);
}

/* How long a robot pauses after a failed try: the backoff, or what a robot that said
 * "slow down" asked for (45009 asks for nothing: its window is a minute). */
static int64_t pause_ms(struct staff *st, const struct robot *r, const struct prov_result *res)
{
	if (res->outcome != OUTCOME_THROTTLED)
		return sched_backoff_ms(&st->pol, r->failures, next_rand(st));
	return res->retry_after_ms > 0 ? res->retry_after_ms : STAFF_WINDOW_MS;
}

/* Records the outcome of one message for its alerts ids[0..n) and sets the robot's pause. */
static void record(struct staff *st, struct robot *r, const int64_t *ids, int n,
		   const struct prov_result *res)
{
	int64_t now = now_ms(st), wait;
	struct err e;
	int rc;

	if (res->outcome == OUTCOME_OK) {
		r->failures = 0;
		rc = store_staff_sent(st->store, ids, n, now, &e);
		log_debug("staff: %d alert(s) of %s sent through %s", n, r->cr->dept, r->pc->name);
	} else if (res->outcome == OUTCOME_PERMANENT) {
		r->failures = 0;
		rc = store_staff_tried(st->store, ids, n, res->reason, true, now, &e);
		log_warn("staff: robot %s refused %d alert(s) of %s for good: %s", r->pc->name, n,
			 r->cr->dept, res->reason);
	} else {
		r->failures++;
		wait = pause_ms(st, r, res);
		r->not_before = now + wait;
		rc = store_staff_tried(st->store, ids, n, res->reason, false, now, &e);
		log_warn("staff: robot %s: %s; %d alert(s) of %s wait %lld s", r->pc->name,
			 res->reason, n, r->cr->dept, (long long)((wait + 999) / 1000));
	}
	if (rc < 0)
		log_error("staff: cannot record the outcome of %d alert(s) of %s: %s", n,
			  r->cr->dept, e.msg);
}

/* Sends the robot its department's waiting alerts as one message, when it may send now. */
static void robot_turn(struct staff *st, struct robot *r)
{
	const char *texts[STAFF_MERGE_MAX];
	int64_t ids[STAFF_MERGE_MAX], now = now_ms(st);
	struct prov_result res;
	size_t used = 0;
	struct err e;
	int n;

	if (now < r->not_before || staff_window_wait_ms(&r->win, now) > 0)
		return;
	n = store_staff_pending(st->store, r->cr->dept, st->rows, STAFF_MERGE_MAX, &e);
	if (n < 0)
		log_error("staff: cannot read the alerts of %s: %s", r->cr->dept, e.msg);
	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		texts[i] = st->rows[i].text;
		ids[i] = st->rows[i].id;
	}
	/* st->msg has room for a whole message, so the merge cannot fail. */
	if (wecom_merge(texts, (size_t)n, st->msg, sizeof(st->msg), &used) < 0 || used == 0)
		return;
	deliver(st, r, ids[0], &res);
	staff_window_note(&r->win, now_ms(st));
	record(st, r, ids, (int)used, &res);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *staff_main(void *arg)
{
	struct staff *st = arg;

	while (!atomic_load(st->env.stop)) {
		/* A message started is finished and recorded before the stop is looked at. */
		for (int i = 0; i < st->n && !atomic_load(st->env.stop); i++)
			robot_turn(st, &st->robots[i]);
		for (int t = 0; t < 10 && !atomic_load(st->env.stop); t++)
			sleep_ms(STAFF_TURN_MS / 10);
	}
	return NULL;
}

static int add_robot(struct staff *st, const struct config_staff_robot *cr, struct err *e)
{
	struct robot *r = &st->robots[st->n];
	int rc;

	r->cr = cr;
	r->pc = config_provider(st->env.cfg, cr->provider);
	r->ops = r->pc ? provider_find(r->pc->type) : NULL;
	if (r->ops == NULL || r->ops->build == NULL || r->ops->classify == NULL)
		return err_set(e, ERR_INVALID, "robots",
			       "[staff] robots: department %s needs a wecom provider, and %s is "
			       "none",
			       cr->dept, cr->provider);
	if ((rc = r->ops->create(r->pc, &r->pstate, e)) < 0)
		return rc;
	staff_window_init(&r->win, st->env.cfg->staff_per_minute);
	st->n++;
	return 0;
}

static void staff_free(struct staff *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < st->n; i++)
		st->robots[i].ops->destroy(st->robots[i].pstate);
	store_close(st->store);
	free(st);
}

int staff_start(const struct staff_env *env, struct staff **out, struct err *e)
{
	struct staff *st = calloc(1, sizeof(*st));
	int rc;

	if (st == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory starting the staff sender");
	st->env = *env;
	st->pol.retry_base_ms = env->cfg->retry_base_ms;
	st->pol.retry_max_ms = env->cfg->retry_max_ms;
	st->rng = (uint64_t)clock_mono_ms() * 0x9E3779B97F4A7C15ULL | 1;
	if ((rc = store_open(env->cfg->db_path, &st->store, e)) < 0)
		goto fail;
	store_set_utc_offset(st->store, env->cfg->utc_offset_min);
	for (int i = 0; i < env->cfg->n_staff_robots && i < CONFIG_MAX_STAFF_ROBOTS; i++)
		if ((rc = add_robot(st, &env->cfg->staff_robots[i], e)) < 0)
			goto fail;
	if (pthread_create(&st->thread, NULL, staff_main, st) != 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "cannot start the staff sender thread");
		goto fail;
	}
	*out = st;
	return 0;
fail:
	staff_free(st);
	return rc;
}

void staff_join(struct staff *st)
{
	if (st == NULL)
		return;
	pthread_join(st->thread, NULL);
	staff_free(st);
}
