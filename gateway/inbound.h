/* inbound: what providers push back to us — delivery receipts and residents' SMS replies.
 * Owns: checking a push's token, having the provider parse it, storing receipts (which turn
 * sent into delivered or failed) and replies, and reading a reply: 退订, TD, T, R (拒收) and
 * the like opt the number out of non-emergency SMS; anything else is stored against the
 * resident for the flow that asked a question. Called by the API's /callbacks routes. */
#ifndef GATEWAY_INBOUND_H
#define GATEWAY_INBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "store.h"

/* True when text is an opt-out reply (full-width letters, spaces and case tolerated). */
bool inbound_is_opt_out(const char *text);

enum inbound_kind { INBOUND_RECEIPTS, INBOUND_REPLIES };

struct prov_receipt;
/* Stores one receipt a provider gave (pushed, or answered to a status query) under ref
 * (the receipt's own when NULL); *applied and *reconciled as for store_receipt_add. */
int inbound_receipt(struct store *s, const char *provider, const struct prov_receipt *r,
		    const char *ref, int64_t now_ms, int *applied, int *reconciled, struct err *e);

/* Handles a push for provider `name` (a [provider.NAME] section). token: the ?token= of
 * the request. ERR_NOTFOUND: no such provider or it takes no such push; ERR_FORBIDDEN:
 * wrong token; ERR_INVALID: not the provider's format. On success *answer is the body the
 * provider expects back (static) and *summary counts what was done (caller decrefs). */
/* Called, inside the push's transaction, for every reply stored for the first time that is
 * not an opt-out: the case flows (return-visit surveys, appointments) take what is theirs. */
struct inbound_hook {
	int (*on_reply)(void *ctx, struct store *s, const char *phone, const char *text,
			int64_t now_ms, struct err *e);
	void *ctx;
};
int inbound_push(struct store *s, const struct gw_config *cfg, const char *name,
		 enum inbound_kind kind, const char *token, const char *body, size_t len,
		 int64_t now_ms, const struct inbound_hook *hook, const char **answer,
		 json_t **summary, struct err *e);

#endif
