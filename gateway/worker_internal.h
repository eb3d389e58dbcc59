/* worker_internal: what the worker's files share (worker.c: the thread, claiming and
 * sending; worker_outcome.c: holds and provider results turned into outbox outcomes;
 * worker_poll.c: status queries for messages without a receipt). Every function here runs
 * on the worker's own thread. Nobody outside the worker includes this file. */
#ifndef GATEWAY_WORKER_INTERNAL_H
#define GATEWAY_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "failover.h"
#include "http_client.h"
#include "notice_cache.h"
#include "provider.h"
#include "scheduler.h"
#include "store.h"
#include "worker.h"

#define FLUSH_EVERY 256
#define POLL_ROUND_MS 30000 /* how often to ask providers about messages without a receipt */

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

/* worker.c */
int64_t worker_now_ms(const struct worker *w);
/* Frees a batch, not its slots; accepts NULL. */
void worker_batch_free(struct batch *b);

/* worker_outcome.c */
/* Writes every queued outcome to the store in one transaction per chunk; a failure is
 * logged and the rows stay in sending until the next start recovers them. */
void worker_flush(struct worker *w);
/* Queues the outcome of a message that is not sent now (back to the queue, expired,
 * failed) and frees s. */
void worker_settle(struct worker *w, struct slot *s, int state, int64_t not_before, int undo,
		   const char *reason);
/* Handles messages that must not be sent now; returns false when s was consumed. */
bool worker_may_send(struct worker *w, struct slot *s, int64_t now);
/* Applies the results res[0..b->n) of a finished request and tells failover how it went;
 * takes ownership of b. */
void worker_conclude(struct worker *w, struct batch *b, const struct prov_result *res);

/* worker_poll.c */
/* Asks each provider that can answer about messages that should have a receipt by now and
 * about unknown-outcome sends before they go again. */
void worker_poll_round(struct worker *w);
/* The provider's answer about one message, taken as receipts would be; frees p. */
void worker_poll_done(struct worker *w, struct poll *p, struct http_response *resp);

#endif
