/* worker: the delivery loop of one channel, the thread itself: claim, the turn, sending a
 * batch, shutdown, start and join. See worker.h; worker_outcome.c turns holds and results
 * into outbox outcomes, worker_poll.c asks providers about statuses.
 * A claimed message lives in a struct slot from claim until its outcome is queued for the
 * store; outcomes are written in one transaction per flush (every 20 ms or 256 outcomes).
 * Slot states: pending (claimed, waiting for a provider) -> in flight (a request or local
 * delivery) -> outcome queued -> freed. Invariant: every claimed row gets exactly one
 * outcome recorded, on every path including shutdown; a crash leaves rows in sending, which
 * store_outbox_recover returns to queued at the next start. Which provider takes a request
 * is failover's decision; a message that went to a later provider, a retry, a throttle or
 * a fallback to another channel is written to the message's history as a decision. */
#include "worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "worker_internal.h"

#define FLUSH_MS 20
#define DRAIN_MS 5000
#define MAX_BATCH 1000

int64_t worker_now_ms(const struct worker *w)
{
	return clock_now_ms(w->env.clock);
}

static void fill_msg(struct worker *w, struct slot *s, struct prov_msg *m)
{
	m->id = s->m.id;
	m->notice_id = s->m.notice_id;
	m->channel = w->channel;
	m->kind = s->notice->kind;
	m->to = s->m.address;
	m->text = s->notice->text;
	m->now_ms = worker_now_ms(w);
	m->vars = s->notice->vars;
	m->nvars = s->notice->nvars;
	m->url = NULL;
	/* A case's message links to its tracking page: WeChat opens it from the message. */
	for (size_t i = 0; i < m->nvars; i++)
		if (strcmp(m->vars[i].name, "link") == 0)
			m->url = m->vars[i].value;
}

void worker_batch_free(struct batch *b)
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
		worker_batch_free(b);
		return NULL;
	}
	return b;
}

static void on_done(void *tag, struct http_response *resp, void *arg)
{
	struct batch *b = tag;
	struct worker *w = arg;

	if (b->query) {
		worker_poll_done(w, tag, resp);
		return;
	}
	const struct member *m = &w->mem[b->member];
	struct prov_result res[MAX_BATCH];

	memset(res, 0, sizeof(res[0]) * (size_t)b->n);
	m->ops->classify(m->pstate, resp, b->msgs, (size_t)b->n, res);
	worker_conclude(w, b, res);
}

/* Sends b through its member; takes ownership of b. */
static void send_batch(struct worker *w, struct batch *b)
{
	const struct member *m = &w->mem[b->member];
	struct prov_result res[MAX_BATCH];
	struct http_request req;
	struct err e;

	b->t0 = clock_mono_ms();
	failover_started(&w->fo, b->member, worker_now_ms(w));
	memset(res, 0, sizeof(res[0]) * (size_t)b->n);
	if (m->ops->deliver != NULL) {
		m->ops->deliver(m->pstate, b->msgs, (size_t)b->n, res);
		worker_conclude(w, b, res);
		return;
	}
	memset(&req, 0, sizeof(req));
	if (m->ops->build(m->pstate, b->msgs, (size_t)b->n, &req, &e) < 0 ||
	    http_client_start(m->http, &req, b, &e) < 0) {
		http_request_cleanup(&req);
		/* A build that failed on I/O (a WeChat token that could not be fetched) is worth
		 * another try; anything else is a configuration or data problem. */
		for (int i = 0; i < b->n; i++) {
			res[i].outcome = e.code == ERR_IO ? OUTCOME_RETRY : OUTCOME_PERMANENT;
			snprintf(res[i].reason, sizeof(res[i].reason),
				 "cannot build the request: %.120s", e.msg);
		}
		worker_conclude(w, b, res);
		return;
	}
	http_request_cleanup(&req);
}

/* Moves pending[0..k) out of the pending list. */
static void drop_pending(struct worker *w, int k)
{
	memmove(w->pending, w->pending + k, sizeof(*w->pending) * (size_t)(w->npending - k));
	w->npending -= k;
}

/* Starts as many pending messages as the providers' limits allow. */
static void start_pending(struct worker *w)
{
	int64_t now = worker_now_ms(w);

	while (w->npending > 0) {
		struct batch *b;
		int want = w->npending < MAX_BATCH ? w->npending : MAX_BATCH;
		int granted, passed, k = 0, mi;

		if ((mi = failover_pick(&w->fo, now, want, &granted, &passed)) < 0)
			return;
		if ((b = batch_new(w, granted)) == NULL)
			return;
		b->member = mi;
		b->passed = passed;
		while (k < w->npending && b->n < granted) {
			struct slot *s = w->pending[k];
			if (b->n > 0 && s->m.notice_id != b->slots[0]->m.notice_id)
				break;
			k++;
			if (!worker_may_send(w, s, now))
				continue;
			b->slots[b->n] = s;
			fill_msg(w, s, &b->msgs[b->n]);
			b->n++;
		}
		drop_pending(w, k);
		/* Tokens taken for messages that turned out not to go are simply not used. */
		if (b->n == 0)
			worker_batch_free(b);
		else
			send_batch(w, b);
	}
}

/* Returns every pending message to the queue, e.g. at shutdown or while every provider is
 * out of service. */
static void release_pending(struct worker *w, int64_t not_before, const char *why)
{
	for (int i = 0; i < w->npending; i++)
		worker_settle(w, w->pending[i], MSG_QUEUED, not_before, 1, why);
	w->npending = 0;
}

static int claim_room(const struct worker *w)
{
	int room = w->cap_pending - w->npending, rate = 0;

	/* Rate-limited providers get about a second's worth at a time, so that claimed rows
	 * do not sit in sending while they wait for their tokens. */
	for (int i = 0; i < w->fo.n; i++) {
		if (w->fo.m[i].pc->rate_per_s == 0)
			return room;
		rate += w->fo.m[i].pc->rate_per_s;
	}
	return room < rate ? room : rate;
}

static int claim(struct worker *w)
{
	struct outbox_msg *msgs;
	int64_t now = worker_now_ms(w), until;
	int room = claim_room(w), n;
	struct err e;

	if (room <= 0 || failover_blocked(&w->fo, now, &until))
		return 0;
	if ((msgs = calloc((size_t)room, sizeof(*msgs))) == NULL)
		return 0;
	n = store_outbox_claim(w->store, w->channel, now, !sched_in_quiet(&w->pol, now), msgs, room,
			       &e);
	if (n < 0)
		log_error("worker %s: cannot claim messages: %s", w->channel, e.msg);
	for (int i = 0; i < n; i++) {
		struct slot *s = calloc(1, sizeof(*s));
		if (s == NULL)
			continue; /* left in sending: recovered at the next start */
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

static int inflight(const struct worker *w)
{
	int n = 0;

	for (int i = 0; i < w->fo.n; i++)
		n += w->fo.m[i].inflight + w->mem[i].queries;
	return n;
}

static void poll_http(struct worker *w, int timeout_ms)
{
	for (int i = 0; i < w->fo.n; i++) {
		if (w->mem[i].http != NULL && w->fo.m[i].inflight + w->mem[i].queries > 0)
			http_client_poll(w->mem[i].http, timeout_ms, on_done, w);
	}
}

/* One turn of the loop; returns true when there was work. */
static bool turn(struct worker *w)
{
	int64_t now = worker_now_ms(w), until;
	bool busy = false;
	struct err e;

	if (w->sweeper && now - w->last_sweep >= 1000) {
		if (store_outbox_expire(w->store, now, &e) < 0)
			log_error("worker %s: cannot expire messages: %s", w->channel, e.msg);
		w->last_sweep = now;
	}
	if (now - w->last_poll >= POLL_ROUND_MS) {
		worker_poll_round(w);
		w->last_poll = now;
	}
	if (w->npending > 0 && failover_blocked(&w->fo, now, &until) && until - now > 1000)
		release_pending(w, until,
				"every provider of the channel is out of service or "
				"asked to slow down");
	if (w->npending < w->cap_pending / 2)
		busy |= claim(w) > 0;
	start_pending(w);
	if (inflight(w) > 0) {
		poll_http(w, w->npending > 0 ? 1 : 10);
		busy = true;
	}
	if (w->nout >= FLUSH_EVERY || (w->nout > 0 && clock_mono_ms() - w->last_flush >= FLUSH_MS))
		worker_flush(w);
	return busy || w->npending > 0;
}

static void shutdown_worker(struct worker *w)
{
	int64_t deadline = clock_mono_ms() + DRAIN_MS;

	release_pending(w, worker_now_ms(w), "released at shutdown");
	while (inflight(w) > 0 && clock_mono_ms() < deadline)
		poll_http(w, 50);
	if (inflight(w) > 0)
		log_warn("worker %s: %d requests still in flight at shutdown; their messages stay "
			 "in sending and are retried after the next start",
			 w->channel, inflight(w));
	worker_flush(w);
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
		notice_cache_put(w->pending[i]->notice);
		free(w->pending[i]);
	}
	for (int i = 0; i < CONFIG_MAX_PROVIDERS; i++) {
		http_client_free(w->mem[i].http);
		if (w->mem[i].pstate != NULL)
			w->mem[i].ops->destroy(w->mem[i].pstate);
	}
	notice_cache_free(w->cache);
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
	w->rng = (uint64_t)clock_mono_ms() * 0x9E3779B97F4A7C15ULL | 1;
}

/* Creates provider pidx as the next failover member. */
static int add_member(struct worker *w, int pidx, struct err *e)
{
	const struct provider_config *pc = &w->env.cfg->providers[pidx];
	struct member *m = &w->mem[w->fo.n];
	int rc;

	if ((m->ops = provider_find(pc->type)) == NULL)
		return err_set(e, ERR_INVALID, "type", "provider %s: unknown type %s", pc->name,
			       pc->type);
	if ((rc = m->ops->create(pc, &m->pstate, e)) < 0)
		return rc;
	if (m->ops->share != NULL && w->env.shared != NULL)
		m->ops->share(m->pstate, w->env.shared[pidx]);
	if (m->ops->deliver == NULL && (rc = http_client_new(pc->concurrency, &m->http, e)) < 0)
		return rc;
	failover_add(&w->fo, pidx, pc,
		     m->ops->max_batch < MAX_BATCH ? m->ops->max_batch : MAX_BATCH,
		     worker_now_ms(w));
	return 0;
}

int worker_start(const struct worker_env *env, const char *channel, const int *providers,
		 int nproviders, bool sweeper, struct worker **out, struct err *e)
{
	struct worker *w = calloc(1, sizeof(*w));
	int rc = ERR_NOMEM;

	if (w == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	w->env = *env;
	w->sweeper = sweeper;
	snprintf(w->channel, sizeof(w->channel), "%s", channel);
	failover_init(&w->fo);
	/* Room for two full batches of the largest provider, so batches are not cut short. */
	w->cap_pending =
		env->cfg->claim_batch > 2 * MAX_BATCH ? env->cfg->claim_batch : 2 * MAX_BATCH;
	w->cap_out = FLUSH_EVERY * 4;
	w->pending = calloc((size_t)w->cap_pending, sizeof(*w->pending));
	w->out = calloc((size_t)w->cap_out, sizeof(*w->out));
	w->cache = notice_cache_new(channel);
	if (w->pending == NULL || w->out == NULL || w->cache == NULL) {
		err_set(e, ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	if ((rc = store_open(env->cfg->db_path, &w->store, e)) < 0)
		goto fail;
	for (int i = 0; i < nproviders && i < CONFIG_MAX_PROVIDERS; i++)
		if ((rc = add_member(w, providers[i], e)) < 0)
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
