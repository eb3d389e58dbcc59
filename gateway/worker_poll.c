/* worker_poll: status queries, the fallback for receipts that providers normally push.
 * Every POLL_ROUND_MS the worker asks each provider that can answer about its messages
 * still without a receipt and about unknown-outcome sends before they go again; answers are
 * stored as receipts would be. Called by worker.c on the worker's thread; the queries go
 * through the member's own HTTP client and never hold a claimed row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "inbound.h"
#include "worker_internal.h"

/* Questions per provider and round: polling is the fallback, pushes the way receipts
 * normally come. */
#define POLL_MAX 20

void worker_poll_done(struct worker *w, struct poll *p, struct http_response *resp)
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
		/* The day's other sends to the number, or another send of it, are not ours. */
		if (strcmp(r[i].phone, p->c.phone) != 0 ||
		    (p->c.out_id[0] && strcmp(r[i].out_id, p->c.out_id) != 0))
			continue;
		src = r[i].ref[0] ? r[i].ref : p->c.ref[0] ? p->c.ref : r[i].out_id;
		snprintf(ref, sizeof(ref), "%.95s", src);
		if (r[i].delivered < 0) {
			/* Taken, no receipt yet: an unknown-outcome send went after all. */
			if (p->c.out_id[0] &&
			    store_unknown_sent(w->store, p->c.id, ref, worker_now_ms(w),
					       &reconciled, &e) == 0)
				metrics_duplicates_avoided(w->env.metrics, reconciled);
			continue;
		}
		if (inbound_receipt(w->store, name, &r[i], ref, worker_now_ms(w), &applied,
				    &reconciled, &e) < 0)
			log_error("worker %s: cannot store a polled receipt: %s", w->channel,
				  e.msg);
		metrics_duplicates_avoided(w->env.metrics, reconciled);
	}
	free(p);
}

void worker_poll_round(struct worker *w)
{
	struct status_candidate c[POLL_MAX];
	struct http_request req;
	struct err e;

	for (int i = 0; i < w->fo.n; i++) {
		struct member *m = &w->mem[i];
		int n;

		if (m->ops->build_status == NULL || m->http == NULL)
			continue;
		n = store_status_candidates(w->store, w->fo.m[i].pc->name, worker_now_ms(w),
					    POLL_ROUND_MS, c, POLL_MAX, &e);
		for (int k = 0; k < n; k++) {
			struct prov_status_query q = { c[k].phone, c[k].ref[0] ? c[k].ref : NULL,
						       c[k].sent_ms, worker_now_ms(w) };
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
