/* worker: the delivery loop of one channel. See worker.h.
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

#include "failover.h"
#include "http_client.h"
#include "log.h"
#include "notice_cache.h"
#include "provider.h"
#include "scheduler.h"
#include "store.h"

#define FLUSH_EVERY 256
#define FLUSH_MS 20
#define DRAIN_MS 5000
#define MAX_BATCH 1000
#define UNKNOWN_WAIT_MS 120000
#define POLL_ROUND_MS 30000 /* how often to ask providers about messages without a receipt */
#define POLL_MAX                                                                                   \
	20 /* questions per provider and round: polling is the fallback, pushes the
		       way receipts normally come */

struct slot {
	struct outbox_msg m;
	struct notice_entry *notice; /* a cache reference while the slot lives */
};

struct batch { /* one request in flight */
	int query; /* 0; a struct poll has 1 here (both are http_client tags) */
	struct worker *w;
	int member; /* failover member that took it */
	int passed; /* members passed over before it */
	int n;
	int64_t t0;
	struct slot **slots;
	struct prov_msg *msgs;
};

struct outcome_rec {
	struct outbox_update u;
	char reason[200];
	char ref[96];
	char event[240];
	char unknown[96];
};

struct member { /* what failover does not hold: the provider itself */
	const struct provider_ops *ops;
	void *pstate;
	struct http_client *http;
	int queries; /* status queries in flight */
};

struct poll { /* a status query in flight */
	int query; /* 1 */
	int member;
	struct status_candidate c;
};

struct worker {
	struct worker_env env;
	char channel[8];
	bool sweeper;
	struct store *store;
	struct sched_policy pol;
	struct failover fo;
	struct member mem[CONFIG_MAX_PROVIDERS];
	struct notice_cache *cache;
	struct slot **pending;
	int npending, cap_pending;
	struct outcome_rec *out;
	int nout, cap_out;
	int64_t last_flush, last_sweep, last_poll;
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

static const char *member_name(const struct worker *w, int i)
{
	return i >= 0 ? w->fo.m[i].pc->name : "-";
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

struct verdict {
	int state;
	int64_t not_before;
	int undo;
	const char *reason, *ref, *event, *fallback;
	const char *unknown; /* "provider:out id" of a send whose outcome is unknown */
};

/* Queues the outcome of slot s for the store and frees the slot. */
static void finish(struct worker *w, struct slot *s, int member, const struct verdict *oc)
{
	struct outcome_rec *o;

	if (w->nout == w->cap_out)
		flush(w);
	o = &w->out[w->nout++];
	memset(&o->u, 0, sizeof(o->u));
	o->u.id = s->m.id;
	o->u.state = oc->state;
	o->u.not_before = oc->not_before;
	o->u.undo_attempt = oc->undo;
	o->u.provider = member >= 0 ? w->fo.m[member].pc->name : NULL;
	o->u.fallback = oc->fallback;
	snprintf(o->reason, sizeof(o->reason), "%s", oc->reason ? oc->reason : "");
	snprintf(o->ref, sizeof(o->ref), "%s", oc->ref ? oc->ref : "");
	snprintf(o->event, sizeof(o->event), "%s", oc->event ? oc->event : "");
	o->u.reason = oc->reason ? o->reason : NULL;
	o->u.ref = oc->ref && *oc->ref ? o->ref : NULL;
	o->u.event = oc->event ? o->event : NULL;
	snprintf(o->unknown, sizeof(o->unknown), "%s", oc->unknown ? oc->unknown : "");
	o->u.unknown_out = oc->unknown ? o->unknown : NULL;
	notice_cache_put(s->notice);
	free(s);
}

/* A message that is not sent now: back to the queue, expired, failed. */
static void settle(struct worker *w, struct slot *s, int state, int64_t not_before, int undo,
		   const char *reason)
{
	struct verdict oc = {
		.state = state, .not_before = not_before, .undo = undo, .reason = reason
	};

	finish(w, s, -1, &oc);
}

static void apply_retry(struct worker *w, struct slot *s, int mi, const struct prov_result *r,
			char *event, size_t esz)
{
	int64_t now = now_ms(w);
	struct verdict oc = { .state = MSG_QUEUED, .reason = r->reason, .event = event };
	char why[200];

	if (s->m.attempts >= w->pol.max_attempts) {
		snprintf(why, sizeof(why), "gave up after %d attempts: %.150s", s->m.attempts,
			 r->reason);
		metrics_result(w->env.metrics, w->fo.m[mi].pidx, MR_FAILED, 1);
		oc.state = MSG_FAILED;
		oc.reason = why;
		finish(w, s, mi, &oc);
		return;
	}
	oc.not_before = now + sched_backoff_ms(&w->pol, s->m.attempts, next_rand(w));
	snprintf(event, esz, "%s: %s%.120s; trying again in %lld s", member_name(w, mi),
		 r->outcome == OUTCOME_UNKNOWN ? "outcome unknown, " : "", r->reason,
		 (long long)((oc.not_before - now + 999) / 1000));
	metrics_result(w->env.metrics, w->fo.m[mi].pidx, MR_RETRIED, 1);
	finish(w, s, mi, &oc);
}

/* A send that timed out at a non-idempotent API may have gone: it waits for a receipt that
 * names our out id (the batch's first message id) before it is sent again. */
static void apply_unknown(struct worker *w, const struct batch *b, struct slot *s,
			  const struct prov_result *r, char *event, size_t esz)
{
	int mi = b->member;
	char key[96];
	struct verdict oc = { .state = MSG_QUEUED,
			      .not_before = now_ms(w) + UNKNOWN_WAIT_MS,
			      .reason = r->reason,
			      .event = event,
			      .unknown = key };

	snprintf(key, sizeof(key), "%.63s:%lld", member_name(w, mi), (long long)b->msgs[0].id);
	snprintf(event, esz,
		 "%.60s: %.80s; the message may have gone, so it waits %d s for a "
		 "receipt before it is sent again",
		 member_name(w, mi), r->reason, UNKNOWN_WAIT_MS / 1000);
	metrics_result(w->env.metrics, w->fo.m[mi].pidx, MR_UNKNOWN, 1);
	finish(w, s, mi, &oc);
}

static void apply_result(struct worker *w, struct batch *b, struct slot *s,
			 const struct prov_result *r)
{
	int mi = b->member, pidx = w->fo.m[mi].pidx;
	struct verdict oc = { 0 };
	char event[240];

	event[0] = '\0';
	switch (r->outcome) {
	case OUTCOME_OK:
		metrics_result(w->env.metrics, pidx, MR_SENT, 1);
		oc = (struct verdict){ .state = MSG_SENT, .ref = r->ref };
		if (b->passed > 0 || s->m.attempts > 1) {
			snprintf(event, sizeof(event), "sent through %s%s", member_name(w, mi),
				 b->passed > 0 ? " (the providers before it are out of service)"
					       : "");
			oc.event = event;
		}
		break;
	case OUTCOME_THROTTLED:
		metrics_result(w->env.metrics, pidx, MR_THROTTLED, 1);
		if (r->number_only) {
			/* A limit on this one number: it waits, the provider goes on. */
			snprintf(event, sizeof(event), "%s: this number's limit: %.150s",
				 member_name(w, mi), r->reason);
			oc = (struct verdict){ .state = MSG_QUEUED,
					       .not_before = now_ms(w) +
						       (r->retry_after_ms > 0 ? r->retry_after_ms
									      : 600000),
					       .undo = 1,
					       .reason = r->reason,
					       .event = event };
			break;
		}
		snprintf(event, sizeof(event), "%s asked to slow down: %.150s", member_name(w, mi),
			 r->reason);
		oc = (struct verdict){ .state = MSG_QUEUED,
				       .not_before = w->fo.m[mi].thr.paused_until_ms,
				       .undo = 1,
				       .reason = r->reason,
				       .event = event };
		break;
	case OUTCOME_UNKNOWN:
		if (w->mem[mi].ops->parse_receipts != NULL && s->m.attempts < w->pol.max_attempts) {
			apply_unknown(w, b, s, r, event, sizeof(event));
			return;
		}
		/* Nothing could settle it: sent again after the backoff. */
		apply_retry(w, s, mi, r, event, sizeof(event));
		return;
	case OUTCOME_RETRY: apply_retry(w, s, mi, r, event, sizeof(event)); return;
	case OUTCOME_PERMANENT:
		metrics_result(w->env.metrics, pidx, MR_FAILED, 1);
		oc = (struct verdict){ .state = MSG_FAILED,
				       .reason = r->reason[0] ? r->reason : "rejected" };
		if (r->unreachable && strcmp(w->channel, "wechat") == 0) {
			snprintf(event, sizeof(event),
				 "WeChat cannot reach this resident (%.120s): "
				 "falling back to SMS",
				 r->reason);
			oc.event = event;
			oc.fallback = "sms";
		}
		break;
	}
	finish(w, s, mi, &oc);
}

static void fill_msg(struct worker *w, struct slot *s, struct prov_msg *m)
{
	m->id = s->m.id;
	m->notice_id = s->m.notice_id;
	m->channel = w->channel;
	m->kind = s->notice->kind;
	m->to = s->m.address;
	m->text = s->notice->text;
	m->now_ms = now_ms(w);
	m->vars = s->notice->vars;
	m->nvars = s->notice->nvars;
	m->url = NULL;
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

/* Applies the results of a finished request and tells failover how it went. */
static void conclude(struct worker *w, struct batch *b, const struct prov_result *res)
{
	int ok = 0, retry = 0, throttled = 0, retry_after = 0, mi = b->member;

	metrics_latency(w->env.metrics, w->fo.m[mi].pidx,
			(double)(clock_mono_ms() - b->t0) / 1000.0);
	for (int i = 0; i < b->n; i++) {
		ok += res[i].outcome == OUTCOME_OK;
		retry += res[i].outcome == OUTCOME_RETRY || res[i].outcome == OUTCOME_UNKNOWN;
		if (res[i].outcome == OUTCOME_THROTTLED && !res[i].number_only) {
			throttled++;
			retry_after = res[i].retry_after_ms;
		}
	}
	if (failover_done(&w->fo, mi, ok, retry, throttled, retry_after, now_ms(w)) && w->fo.n > 1)
		log_warn("provider %s keeps failing (%s); it is out of service for %lld s and "
			 "traffic goes to the next provider",
			 member_name(w, mi), res[0].reason,
			 (long long)(w->fo.m[mi].br.cooldown_ms / 1000));
	for (int i = 0; i < b->n; i++)
		apply_result(w, b, b->slots[i], &res[i]);
	batch_free(b);
}

static void poll_done(struct worker *w, struct poll *p, struct http_response *resp);

static void on_done(void *tag, struct http_response *resp, void *arg)
{
	struct batch *b = tag;
	struct worker *w = arg;

	if (b->query) {
		poll_done(w, tag, resp);
		return;
	}
	const struct member *m = &w->mem[b->member];
	struct prov_result res[MAX_BATCH];

	memset(res, 0, sizeof(res[0]) * (size_t)b->n);
	m->ops->classify(m->pstate, resp, b->msgs, (size_t)b->n, res);
	conclude(w, b, res);
}

/* Sends b through its member; takes ownership of b. */
static void send_batch(struct worker *w, struct batch *b)
{
	const struct member *m = &w->mem[b->member];
	struct prov_result res[MAX_BATCH];
	struct http_request req;
	struct err e;

	b->t0 = clock_mono_ms();
	failover_started(&w->fo, b->member, now_ms(w));
	memset(res, 0, sizeof(res[0]) * (size_t)b->n);
	if (m->ops->deliver != NULL) {
		m->ops->deliver(m->pstate, b->msgs, (size_t)b->n, res);
		conclude(w, b, res);
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
		conclude(w, b, res);
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

/* The per-number caps, checked here before a provider refuses: at most one identical SMS
 * per number per 30 s (every kind), and [sms] cap_per_hour / cap_per_day for non-urgent
 * kinds. A capped message waits; it is never dropped (it may expire with its outage).
 * Two messages for one number in the same batch are not seen by this check; the provider's
 * own limit then answers THROTTLED and the message is retried. */
static bool capped(struct worker *w, struct slot *s, int64_t now)
{
	const struct gw_config *cfg = w->env.cfg;
	struct number_usage u = { 0 };
	char why[160];
	struct verdict oc = { .state = MSG_QUEUED, .undo = 1, .reason = why, .event = why };
	struct err e;

	if (store_number_usage(w->store, s->m.address, s->notice->text, now, &u, &e) < 0) {
		log_warn("worker %s: cannot check the per-number caps: %s", w->channel, e.msg);
		return false;
	}
	if (u.identical_at != 0) {
		oc.not_before = u.identical_at + 30000;
		snprintf(why, sizeof(why),
			 "held: the same text went to this number less than 30 s "
			 "ago");
	} else if (!s->m.urgent && cfg->sms_cap_hour > 0 && u.last_hour >= cfg->sms_cap_hour) {
		oc.not_before = now + 600000;
		snprintf(why, sizeof(why),
			 "held: this number had %d SMS in the last hour "
			 "([sms] cap_per_hour = %d)",
			 u.last_hour, cfg->sms_cap_hour);
	} else if (!s->m.urgent && cfg->sms_cap_day > 0 && u.last_day >= cfg->sms_cap_day) {
		oc.not_before = now + 3600000;
		snprintf(why, sizeof(why),
			 "held: this number had %d SMS in the last 24 h "
			 "([sms] cap_per_day = %d)",
			 u.last_day, cfg->sms_cap_day);
	} else {
		return false;
	}
	metrics_result(w->env.metrics, w->fo.m[0].pidx, MR_HELD, 1);
	finish(w, s, -1, &oc);
	return true;
}

/* Handles messages that must not be sent now; returns false when s was consumed. */
static bool may_send(struct worker *w, struct slot *s, int64_t now)
{
	struct err e;

	if (s->m.expires_ms <= now) {
		metrics_result(w->env.metrics, w->fo.m[0].pidx, MR_EXPIRED, 1);
		settle(w, s, MSG_EXPIRED, 0, 0,
		       "expired: the outage was over before it could be sent");
		return false;
	}
	if (!s->m.urgent && sched_in_quiet(&w->pol, now)) {
		metrics_result(w->env.metrics, w->fo.m[0].pidx, MR_HELD, 1);
		settle(w, s, MSG_QUEUED, sched_release_at(&w->pol, now, false), 1,
		       "held for quiet hours");
		return false;
	}
	if (s->notice == NULL &&
	    notice_cache_get(w->cache, w->store, s->m.notice_id, &s->notice, &e) < 0) {
		metrics_result(w->env.metrics, w->fo.m[0].pidx, MR_FAILED, 1);
		settle(w, s, MSG_FAILED, 0, 0, "the notice's text is missing");
		return false;
	}
	if (strcmp(w->channel, "sms") == 0 && capped(w, s, now))
		return false;
	return true;
}

/* Starts as many pending messages as the providers' limits allow. */
static void start_pending(struct worker *w)
{
	int64_t now = now_ms(w);

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

/* Returns every pending message to the queue, e.g. at shutdown or while every provider is
 * out of service. */
static void release_pending(struct worker *w, int64_t not_before, const char *why)
{
	for (int i = 0; i < w->npending; i++)
		settle(w, w->pending[i], MSG_QUEUED, not_before, 1, why);
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
	int64_t now = now_ms(w), until;
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

/* The provider's answer about one message, taken as receipts would be. */
static void poll_done(struct worker *w, struct poll *p, struct http_response *resp)
{
	struct member *m = &w->mem[p->member];
	const char *name = w->fo.m[p->member].pc->name;
	struct prov_receipt r[50];
	char ref[96];
	const char *src;
	int n = 0, applied, reconciled;
	struct err e;

	m->queries--;
	if (m->ops->parse_status(resp, r, 50, &n, &e) < 0)
		log_warn("status query to %s: %s", name, e.msg);
	for (int i = 0; i < n; i++) {
		struct store_receipt sr = { .provider = name,
					    .phone = r[i].phone,
					    .out_id = r[i].out_id,
					    .delivered = r[i].delivered,
					    .code = r[i].code,
					    .desc = r[i].desc,
					    .at_ms = r[i].at_ms };

		/* The day's other sends to the number, or another send of it, are not ours. */
		if (strcmp(r[i].phone, p->c.phone) != 0 ||
		    (p->c.out_id[0] && strcmp(r[i].out_id, p->c.out_id) != 0))
			continue;
		src = r[i].ref[0] ? r[i].ref : p->c.ref[0] ? p->c.ref : r[i].out_id;
		snprintf(ref, sizeof(ref), "%.95s", src);
		sr.ref = ref;
		if (r[i].delivered < 0) {
			/* Taken, no receipt yet: an unknown-outcome send went after all. */
			if (p->c.out_id[0] &&
			    store_unknown_sent(w->store, p->c.id, ref, now_ms(w), &reconciled,
					       &e) == 0)
				metrics_duplicates_avoided(w->env.metrics, reconciled);
			continue;
		}
		if (store_receipt_add(w->store, &sr, now_ms(w), &applied, &reconciled, &e) < 0)
			log_error("worker %s: cannot store a polled receipt: %s", w->channel,
				  e.msg);
		metrics_duplicates_avoided(w->env.metrics, reconciled);
	}
	free(p);
}

/* Asks each provider that can answer about messages that should have a receipt by now and
 * about unknown-outcome sends before they go again. */
static void poll_round(struct worker *w)
{
	struct status_candidate c[POLL_MAX];
	struct http_request req;
	struct err e;

	for (int i = 0; i < w->fo.n; i++) {
		struct member *m = &w->mem[i];
		int n;

		if (m->ops->build_status == NULL || m->http == NULL)
			continue;
		n = store_status_candidates(w->store, w->fo.m[i].pc->name, now_ms(w), POLL_ROUND_MS,
					    c, POLL_MAX, &e);
		for (int k = 0; k < n; k++) {
			struct prov_status_query q = { c[k].phone, c[k].ref[0] ? c[k].ref : NULL,
						       c[k].sent_ms, now_ms(w) };
			struct poll *p = calloc(1, sizeof(*p));

			memset(&req, 0, sizeof(req));
			if (p == NULL || m->ops->build_status(m->pstate, &q, &req, &e) < 0 ||
			    http_client_start(m->http, &req, p, &e) < 0) {
				http_request_cleanup(&req);
				free(p);
				continue;
			}
			http_request_cleanup(&req);
			p->query = 1;
			p->member = i;
			p->c = c[k];
			m->queries++;
		}
	}
}

/* One turn of the loop; returns true when there was work. */
static bool turn(struct worker *w)
{
	int64_t now = now_ms(w), until;
	bool busy = false;
	struct err e;

	if (w->sweeper && now - w->last_sweep >= 1000) {
		if (store_outbox_expire(w->store, now, &e) < 0)
			log_error("worker %s: cannot expire messages: %s", w->channel, e.msg);
		w->last_sweep = now;
	}
	if (now - w->last_poll >= POLL_ROUND_MS) {
		poll_round(w);
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
		flush(w);
	return busy || w->npending > 0;
}

static void shutdown_worker(struct worker *w)
{
	int64_t deadline = clock_mono_ms() + DRAIN_MS;

	release_pending(w, now_ms(w), "released at shutdown");
	while (inflight(w) > 0 && clock_mono_ms() < deadline)
		poll_http(w, 50);
	if (inflight(w) > 0)
		log_warn("worker %s: %d requests still in flight at shutdown; their messages stay "
			 "in sending and are retried after the next start",
			 w->channel, inflight(w));
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
		     m->ops->max_batch < MAX_BATCH ? m->ops->max_batch : MAX_BATCH, now_ms(w));
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
