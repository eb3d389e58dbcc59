/* notices: a dispatcher's outage notice, from request to enqueued messages.
 * Owns: validating POST /api/v1/notices bodies (kinds, utilities, areas, times, channels,
 * references), the minimum lead time of planned notices per utility (refused unless forced
 * with a reason), which messages are urgent, when messages expire, rendering the texts once
 * per notice and channel, the dry-run preview, and handing the notice to the store, which
 * enqueues one message per recipient and channel. Calls: store, templates. No I/O else. */
#ifndef GATEWAY_NOTICES_H
#define GATEWAY_NOTICES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "store.h"
#include "templates.h"

struct notices_env {
	const struct gw_config *cfg;
	const struct templates *tmpl;
	struct store *store;
	int64_t now_ms;
};

/* Validates body; dry_run: *out is the preview and nothing is stored; otherwise the notice
 * is stored and enqueued and *out is its state as GET /api/v1/notices/{id} shows it. */
int notices_post(const struct notices_env *env, const json_t *body, bool dry_run, json_t **out,
		 struct err *e);

/* The minimum lead time in minutes of a planned stop of this utility and duration. */
int notices_lead_minutes(const struct gw_config *cfg, enum utility u, int64_t duration_ms);

#endif
