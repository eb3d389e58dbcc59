/* worker_outcome: what becomes of a claimed message's row, for the worker's thread. Owns the
 * holds before a send (expiry, quiet hours, per-number caps), the reading of a provider's
 * results into outbox outcomes (sent, queued again with a backoff, waiting for a receipt,
 * failed, falling back to SMS) and the batched write of those outcomes to the store.
 * Called by worker.c only; it never talks to a provider or the network itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "worker_internal.h"

#define UNKNOWN_WAIT_MS 120000

static uint64_t next_rand(struct worker *w)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static const char *member_name(const struct worker *w, int i)
{
	return i >= 0 ? w->fo.m[i].pc->name : "-";
}

void worker_flush(struct worker *w)
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
		if (store_outbox_record(w->store, u, n, worker_now_ms(w), &e) < 0) {
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
		worker_flush(w);
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

void worker_settle(struct worker *w, struct slot *s, int state, int64_t not_before, int undo,
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
	int64_t now = worker_now_ms(w);
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
			      .not_before = worker_now_ms(w) + UNKNOWN_WAIT_MS,
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
					       .not_before = worker_now_ms(w) +
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

void worker_conclude(struct worker *w, struct batch *b, const struct prov_result *res)
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
	if (failover_done(&w->fo, mi, ok, retry, throttled, retry_after, worker_now_ms(w)) &&
	    w->fo.n > 1)
		log_warn("provider %s keeps failing (%s); it is out of service for %lld s and "
			 "traffic goes to the next provider",
			 member_name(w, mi), res[0].reason,
			 (long long)(w->fo.m[mi].br.cooldown_ms / 1000));
	for (int i = 0; i < b->n; i++)
		apply_result(w, b, b->slots[i], &res[i]);
	worker_batch_free(b);
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

bool worker_may_send(struct worker *w, struct slot *s, int64_t now)
{
	struct err e;

	if (s->m.expires_ms <= now) {
		metrics_result(w->env.metrics, w->fo.m[0].pidx, MR_EXPIRED, 1);
		worker_settle(w, s, MSG_EXPIRED, 0, 0,
			      "expired: the outage was over before it could be sent");
		return false;
	}
	if (!s->m.urgent && sched_in_quiet(&w->pol, now)) {
		metrics_result(w->env.metrics, w->fo.m[0].pidx, MR_HELD, 1);
		worker_settle(w, s, MSG_QUEUED, sched_release_at(&w->pol, now, false), 1,
			      "held for quiet hours");
		return false;
	}
	if (s->notice == NULL &&
	    notice_cache_get(w->cache, w->store, s->m.notice_id, &s->notice, &e) < 0) {
		metrics_result(w->env.metrics, w->fo.m[0].pidx, MR_FAILED, 1);
		worker_settle(w, s, MSG_FAILED, 0, 0, "the notice's text is missing");
		return false;
	}
	if (strcmp(w->channel, "sms") == 0 && capped(w, s, now))
		return false;
	return true;
}
