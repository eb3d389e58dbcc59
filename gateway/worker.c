/* worker: the delivery loop of one channel. See worker.h.
 * A claimed message lives in a struct slot from claim until its outcome is queued for the
 * store; outcomes are written in one transaction per flush (every 20 ms or 256 outcomes).
 * Slot states: pending (claimed, waiting for rate/concurrency) -> in flight (a request or
 * local delivery) -> outcome queued -> freed. Invariant: every claimed row gets exactly one
 * outcome recorded, on every path including shutdown; a crash leaves rows in sending, which
 * store_outbox_recover returns to queued at the next start. */
#include "worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_client.h"
#include "log.h"
#include "provider.h"
#include "scheduler.h"
#include "store.h"

#define TEXT_CACHE 64
#define FLUSH_EVERY 256
#define FLUSH_MS 20
#define DRAIN_MS 5000
#define MAX_BATCH 1000

struct slot {
	struct outbox_msg m;
	char *text;
	char kind[16];
};

struct batch { /* one request in flight */
	struct worker *w;
	int n;
	int64_t t0;
	struct slot **slots;
	struct prov_msg *msgs;
};

struct outcome_rec {
	struct outbox_update u;
	char reason[200];
	char ref[96];
};

struct text_entry {
	int64_t notice_id;
	char kind[16];
	char *text;
};

struct worker {
	struct worker_env env;
	const struct provider_config *pc;
	const struct provider_ops *ops;
	void *pstate;
	int pidx;
	char channel[8];
	bool sweeper;
	struct store *store;
	struct http_client *http;
	struct sched_policy pol;
	struct rate_limiter rate;
	struct throttle thr;
	struct slot **pending;
	int npending, cap_pending;
	struct outcome_rec *out;
	int nout, cap_out;
	int inflight_reqs;
	int64_t last_flush, last_sweep;
	struct text_entry cache[TEXT_CACHE];
	int cache_next;
	uint64_t rng;
	pthread_t thread;
};

static uint64_t next_rand(struct worker *w)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static int64_t now_ms(const struct worker *w)
{
	return clock_now_ms(w->env.clock);
}

static void flush(struct worker *w)
{
	struct outbox_update u[FLUSH_EVERY * 4];
	struct err e;
	int done = 0;

	while (done < w->nout) {
		int n = w->nout - done;
		if (n > (int)(sizeof(u) / sizeof(u[0])))
			n = (int)(sizeof(u) / sizeof(u[0]));
		for (int i = 0; i < n; i++)
			u[i] = w->out[done + i].u;
		if (store_outbox_record(w->store, u, n, now_ms(w), &e) < 0) {
			/* The rows stay in sending and are recovered at the next start. */
			log_error("worker %s: cannot record %d outcomes: %s", w->channel, n, e.msg);
		}
		done += n;
	}
	w->nout = 0;
	w->last_flush = clock_mono_ms();
}

/* Queues an outcome for slot s and frees the slot. */
static void finish(struct worker *w, struct slot *s, int state, int64_t not_before, int undo,
		   const char *reason, const char *ref)
{
	struct outcome_rec *o;

	if (w->nout == w->cap_out)
		flush(w);
	o = &w->out[w->nout++];
	memset(&o->u, 0, sizeof(o->u));
	o->u.id = s->m.id;
	o->u.state = state;
	o->u.not_before = not_before;
	o->u.undo_attempt = undo;
	o->u.provider = w->pc->name;
	snprintf(o->reason, sizeof(o->reason), "%s", reason ? reason : "");
	snprintf(o->ref, sizeof(o->ref), "%s", ref ? ref : "");
	o->u.reason = reason ? o->reason : NULL;
	o->u.ref = ref && *ref ? o->ref : NULL;
	free(s->text);
	free(s);
}

static void apply_result(struct worker *w, struct slot *s, const struct prov_result *r)
{
	int64_t now = now_ms(w);
	char why[200];

	switch (r->outcome) {
	case OUTCOME_OK:
		throttle_ok(&w->thr);
		metrics_result(w->env.metrics, w->pidx, MR_SENT, 1);
		finish(w, s, MSG_SENT, 0, 0, NULL, r->ref);
		return;
	case OUTCOME_THROTTLED:
		throttle_hit(&w->thr, now, r->retry_after_ms);
		metrics_result(w->env.metrics, w->pidx, MR_THROTTLED, 1);
		finish(w, s, MSG_QUEUED, w->thr.paused_until_ms, 1, r->reason, NULL);
		return;
	case OUTCOME_UNKNOWN:
	case OUTCOME_RETRY:
		if (s->m.attempts < w->pol.max_attempts) {
			metrics_result(w->env.metrics, w->pidx, MR_RETRIED, 1);
			finish(w, s, MSG_QUEUED,
			       now + sched_backoff_ms(&w->pol, s->m.attempts, next_rand(w)), 0,
			       r->reason, NULL);
			return;
		}
		snprintf(why, sizeof(why), "gave up after %d attempts: %s", s->m.attempts,
			 r->reason);
		metrics_result(w->env.metrics, w->pidx, MR_FAILED, 1);
		finish(w, s, MSG_FAILED, 0, 0, why, NULL);
		return;
	case OUTCOME_PERMANENT:
		metrics_result(w->env.metrics, w->pidx, MR_FAILED, 1);
		finish(w, s, MSG_FAILED, 0, 0, r->reason[0] ? r->reason : "rejected", NULL);
		return;
	}
}

/* The notice's text for this channel, from the cache or the store. */
static int load_text(struct worker *w, struct slot *s, struct err *e)
{
	struct text_entry *t;
	char *text;
	char kind[16];

	for (int i = 0; i < TEXT_CACHE; i++) {
		t = &w->cache[i];
		if (t->text != NULL && t->notice_id == s->m.notice_id)
			goto found;
	}
	if (store_notice_text(w->store, s->m.notice_id, w->channel, &text, kind, e) < 0)
		return -1;
	t = &w->cache[w->cache_next];
	w->cache_next = (w->cache_next + 1) % TEXT_CACHE;
	free(t->text);
	t->notice_id = s->m.notice_id;
	t->text = text;
	snprintf(t->kind, sizeof(t->kind), "%s", kind);
found:
	s->text = strdup(t->text);
	snprintf(s->kind, sizeof(s->kind), "%s", t->kind);
	return s->text ? 0 : -1;
}

static void fill_msg(struct worker *w, struct slot *s, struct prov_msg *m)
{
	m->id = s->m.id;
	m->notice_id = s->m.notice_id;
	m->channel = w->channel;
	m->kind = s->kind;
	m->to = s->m.address;
	m->text = s->text;
	m->now_ms = now_ms(w);
}

static void batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->slots);
	free(b->msgs);
	free(b);
}

static struct batch *batch_new(struct worker *w, int n)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->w = w;
	b->slots = calloc((size_t)n, sizeof(*b->slots));
	b->msgs = calloc((size_t)n, sizeof(*b->msgs));
	if (b->slots == NULL || b->msgs == NULL) {
		batch_free(b);
		return NULL;
	}
	return b;
}

static void on_done(void *tag, struct http_response *resp, void *arg)
{
	struct batch *b = tag;
	struct worker *w = arg;
	struct prov_result res[MAX_BATCH];
	int n = b->n < MAX_BATCH ? b->n : MAX_BATCH;

	memset(res, 0, sizeof(res[0]) * (size_t)n);
	w->ops->classify(w->pstate, resp, b->msgs, (size_t)n, res);
	metrics_latency(w->env.metrics, w->pidx, (double)(clock_mono_ms() - b->t0) / 1000.0);
	for (int i = 0; i < n; i++)
		apply_result(w, b->slots[i], &res[i]);
	w->inflight_reqs--;
	batch_free(b);
}

/* Sends b (its slots already have texts); takes ownership of b. */
static void send_batch(struct worker *w, struct batch *b)
{
	struct prov_result res[MAX_BATCH];
	struct http_request req;
	struct err e;

	b->t0 = clock_mono_ms();
	if (w->ops->deliver != NULL) {
		memset(res, 0, sizeof(res[0]) * (size_t)b->n);
		w->ops->deliver(w->pstate, b->msgs, (size_t)b->n, res);
		metrics_latency(w->env.metrics, w->pidx,
				(double)(clock_mono_ms() - b->t0) / 1000.0);
		for (int i = 0; i < b->n; i++)
			apply_result(w, b->slots[i], &res[i]);
		batch_free(b);
		return;
	}
	memset(&req, 0, sizeof(req));
	if (w->ops->build(w->pstate, b->msgs, (size_t)b->n, &req, &e) < 0 ||
	    http_client_start(w->http, &req, b, &e) < 0) {
		http_request_cleanup(&req);
		for (int i = 0; i < b->n; i++) {
			struct prov_result r = { .outcome = OUTCOME_PERMANENT };
			snprintf(r.reason, sizeof(r.reason), "cannot build the request: %.120s",
				 e.msg);
			apply_result(w, b->slots[i], &r);
		}
		batch_free(b);
		return;
	}
	http_request_cleanup(&req);
	w->inflight_reqs++;
}

/* Moves pending[0..k) out of the pending list. */
static void drop_pending(struct worker *w, int k)
{
	memmove(w->pending, w->pending + k, sizeof(*w->pending) * (size_t)(w->npending - k));
	w->npending -= k;
}

/* Handles messages that must not be sent now; returns false when s was consumed. */
static bool may_send(struct worker *w, struct slot *s, int64_t now)
{
	struct err e;

	if (s->m.expires_ms <= now) {
		metrics_result(w->env.metrics, w->pidx, MR_EXPIRED, 1);
		finish(w, s, MSG_EXPIRED, 0, 0,
		       "expired: the outage was over before it could be "
		       "sent",
		       NULL);
		return false;
	}
	if (!s->m.urgent && sched_in_quiet(&w->pol, now)) {
		metrics_result(w->env.metrics, w->pidx, MR_HELD, 1);
		finish(w, s, MSG_QUEUED, sched_release_at(&w->pol, now, false), 1,
		       "held for quiet hours", NULL);
		return false;
	}
	if (s->text == NULL && load_text(w, s, &e) < 0) {
		metrics_result(w->env.metrics, w->pidx, MR_FAILED, 1);
		finish(w, s, MSG_FAILED, 0, 0, "the notice's text is missing", NULL);
		return false;
	}
	return true;
}

/* Starts as many pending messages as rate, concurrency and throttle allow. */
static void start_pending(struct worker *w)
{
	int64_t now = now_ms(w);
	int max_batch = w->ops->max_batch < MAX_BATCH ? w->ops->max_batch : MAX_BATCH;

	while (w->npending > 0) {
		struct batch *b;
		int want, granted, k = 0;

		if (throttle_paused(&w->thr, now) || w->inflight_reqs >= w->pc->concurrency)
			return;
		want = w->npending < max_batch ? w->npending : max_batch;
		if ((granted = rate_take(&w->rate, now, want)) == 0)
			return;
		if ((b = batch_new(w, granted)) == NULL)
			return;
		while (k < w->npending && b->n < granted) {
			struct slot *s = w->pending[k];
			if (b->n > 0 && s->m.notice_id != b->slots[0]->m.notice_id)
				break;
			k++;
			if (!may_send(w, s, now))
				continue;
			b->slots[b->n] = s;
			fill_msg(w, s, &b->msgs[b->n]);
			b->n++;
		}
		drop_pending(w, k);
		/* Tokens taken for messages that turned out not to go are simply not used. */
		if (b->n == 0)
			batch_free(b);
		else
			send_batch(w, b);
	}
}

/* Returns every pending message to the queue, e.g. at shutdown or during a long throttle. */
static void release_pending(struct worker *w, int64_t not_before, const char *why)
{
	for (int i = 0; i < w->npending; i++)
		finish(w, w->pending[i], MSG_QUEUED, not_before, 1, why, NULL);
	w->npending = 0;
}

static int claim(struct worker *w)
{
	struct outbox_msg *msgs;
	int64_t now = now_ms(w);
	int room = w->cap_pending - w->npending, n;
	struct err e;

	/* A rate-limited provider gets about a second's worth at a time, so that claimed rows
	 * do not sit in sending for long while they wait for their tokens. */
	if (w->pc->rate_per_s > 0 && room > w->pc->rate_per_s)
		room = w->pc->rate_per_s;
	if (room <= 0 || throttle_paused(&w->thr, now))
		return 0;
	if ((msgs = calloc((size_t)room, sizeof(*msgs))) == NULL)
		return 0;
	n = store_outbox_claim(w->store, w->channel, now, !sched_in_quiet(&w->pol, now), msgs, room,
			       &e);
	if (n < 0)
		log_error("worker %s: cannot claim messages: %s", w->channel, e.msg);
	for (int i = 0; i < n; i++) {
		struct slot *s = calloc(1, sizeof(*s));
		if (s == NULL) {
			/* Left in sending: recovered at the next start. */
			continue;
		}
		s->m = msgs[i];
		w->pending[w->npending++] = s;
	}
	free(msgs);
	return n < 0 ? 0 : n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One turn of the loop; returns true when there was work. */
static bool turn(struct worker *w)
{
	int64_t now = now_ms(w);
	bool busy = false;
	struct err e;

	if (w->sweeper && now - w->last_sweep >= 1000) {
		int n = store_outbox_expire(w->store, now, &e);
		if (n < 0)
			log_error("worker %s: cannot expire messages: %s", w->channel, e.msg);
		w->last_sweep = now;
	}
	if (throttle_paused(&w->thr, now) && w->thr.paused_until_ms - now > 1000 && w->npending)
		release_pending(w, w->thr.paused_until_ms, "provider asked to slow down");
	if (w->npending < w->cap_pending / 2)
		busy |= claim(w) > 0;
	start_pending(w);
	if (w->http != NULL && w->inflight_reqs > 0) {
		http_client_poll(w->http, w->npending > 0 ? 1 : 10, on_done, w);
		busy = true;
	}
	if (w->nout >= FLUSH_EVERY || (w->nout > 0 && clock_mono_ms() - w->last_flush >= FLUSH_MS))
		flush(w);
	return busy || w->npending > 0;
}

static void shutdown_worker(struct worker *w)
{
	int64_t deadline = clock_mono_ms() + DRAIN_MS;

	release_pending(w, now_ms(w), "released at shutdown");
	while (w->http != NULL && w->inflight_reqs > 0 && clock_mono_ms() < deadline)
		http_client_poll(w->http, 50, on_done, w);
	if (w->inflight_reqs > 0)
		log_warn("worker %s: %d requests still in flight at shutdown; their messages stay "
			 "in sending and are retried after the next start",
			 w->channel, w->inflight_reqs);
	flush(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int idle = 0;

	while (!atomic_load(w->env.stop)) {
		if (turn(w)) {
			idle = 0;
			continue;
		}
		/* Idle: look again soon, a little later each time, at most every 100 ms. */
		idle = idle < 100 ? idle + 10 : 100;
		sleep_ms(w->npending > 0 ? 1 : idle);
	}
	shutdown_worker(w);
	return NULL;
}

static void worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < w->npending; i++) {
		free(w->pending[i]->text);
		free(w->pending[i]);
	}
	for (int i = 0; i < TEXT_CACHE; i++)
		free(w->cache[i].text);
	http_client_free(w->http);
	if (w->pstate != NULL)
		w->ops->destroy(w->pstate);
	store_close(w->store);
	free(w->pending);
	free(w->out);
	free(w);
}

static void init_policy(struct worker *w)
{
	const struct gw_config *cfg = w->env.cfg;

	w->pol.quiet_start_min = cfg->quiet_start_min;
	w->pol.quiet_end_min = cfg->quiet_end_min;
	w->pol.utc_offset_min = cfg->utc_offset_min;
	w->pol.retry_base_ms = cfg->retry_base_ms;
	w->pol.retry_max_ms = cfg->retry_max_ms;
	w->pol.max_attempts = cfg->max_attempts;
	rate_init(&w->rate, w->pc->rate_per_s, now_ms(w));
	throttle_init(&w->thr);
	w->rng = (uint64_t)clock_mono_ms() * 0x9E3779B97F4A7C15ULL | 1;
}

int worker_start(const struct worker_env *env, const char *channel, int provider, bool sweeper,
		 struct worker **out, struct err *e)
{
	struct worker *w = calloc(1, sizeof(*w));
	int rc = ERR_NOMEM;

	if (w == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	w->env = *env;
	w->pidx = provider;
	w->pc = &env->cfg->providers[provider];
	w->sweeper = sweeper;
	snprintf(w->channel, sizeof(w->channel), "%s", channel);
	if ((w->ops = provider_find(w->pc->type)) == NULL) {
		rc = err_set(e, ERR_INVALID, "type", "provider %s: unknown type %s", w->pc->name,
			     w->pc->type);
		goto fail;
	}
	w->cap_pending = env->cfg->claim_batch;
	w->cap_out = FLUSH_EVERY * 4;
	w->pending = calloc((size_t)w->cap_pending, sizeof(*w->pending));
	w->out = calloc((size_t)w->cap_out, sizeof(*w->out));
	if (w->pending == NULL || w->out == NULL) {
		err_set(e, ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	if ((rc = store_open(env->cfg->db_path, &w->store, e)) < 0 ||
	    (rc = w->ops->create(w->pc, &w->pstate, e)) < 0)
		goto fail;
	if (w->ops->deliver == NULL && (rc = http_client_new(w->pc->concurrency, &w->http, e)) < 0)
		goto fail;
	init_policy(w);
	w->last_flush = clock_mono_ms();
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "cannot start the %s worker thread", channel);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	worker_free(w);
	return rc;
}

void worker_join(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_join(w->thread, NULL);
	worker_free(w);
}
