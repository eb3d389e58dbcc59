/* spool: the kiosk's durable queue of case requests, in its own SQLite file. Owns the
 * reserved numbers and tokens fetched from the gateway (POST /api/v1/kiosk/reservations),
 * storing a resident's request before anything is printed or promised (a power cut after
 * that loses nothing and the ticket can be reprinted), and handing requests to the gateway
 * client in order, each marked sent only when the gateway answered with its case (a request
 * sent twice is answered with the same case, so delivery is exactly once). */
#ifndef KIOSK_SPOOL_H
#define KIOSK_SPOOL_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct spool;

int spool_open(const char *path, struct spool **out, struct err *e);
void spool_close(struct spool *s); /* accepts NULL */

/* Adds reserved pairs ({"reservations":[{"number","token","tracking_url"}]}). */
int spool_add_reservations(struct spool *s, const json_t *answer, struct err *e);
/* How many reserved pairs are unused. */
int spool_reserved_left(struct spool *s);

/* A request as the kiosk took it. */
struct spool_item {
	int64_t id;
	char number[40], token[32], tracking_url[320];
	char *body; /* the POST /api/v1/cases body (JSON text, with "reservation"), malloc'd */
	int64_t created_ms;
	int sent; /* 1 when the gateway has the case */
	int printed; /* 1 when its ticket was printed */
};
void spool_item_free(struct spool_item *it); /* frees body only */

/* Stores a request: takes the oldest unused reserved pair, puts it into body as
 * "reservation", and writes both in one transaction. ERR_CONFLICT when no pair is left
 * (the kiosk must then refuse new requests until the gateway is back). *out filled. */
int spool_take(struct spool *s, const json_t *request, int64_t now_ms, struct spool_item *out,
	       struct err *e);
/* The oldest request not yet sent (id 0: none). */
int spool_next_unsent(struct spool *s, struct spool_item *out, struct err *e);
int spool_mark_sent(struct spool *s, int64_t id, struct err *e);
int spool_mark_printed(struct spool *s, int64_t id, struct err *e);
/* Requests stored but never printed (the power went between storing and printing): the
 * newest first, for reprinting at start. Returns how many (up to max). */
int spool_unprinted(struct spool *s, struct spool_item *out, int max, struct err *e);
/* How many requests wait to be sent. */
int spool_pending(struct spool *s);

#endif
