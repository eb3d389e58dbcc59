/* gw_client: the kiosk's link to the gateway, over HTTPS with libcurl and the kiosk's API
 * key (role kiosk). Owns timeouts, telling "gateway down or garbled" (ERR_IO: use the
 * spool) from "the gateway refused this request" (ERR_INVALID with its message: show it),
 * and the calls the kiosk makes: reserve numbers, send a spooled case, look a case up by
 * number (masked), today's outage notices for the hall's area. Never logs the key. */
#ifndef KIOSK_GW_CLIENT_H
#define KIOSK_GW_CLIENT_H

#include <jansson.h>

#include "err.h"

struct gw_client;

/* base: "https://gw.example.com" (or http://127.0.0.1:8080 in tests); key: the API key. */
int gw_client_new(const char *base, const char *key, int timeout_ms, struct gw_client **out,
		  struct err *e);
void gw_client_free(struct gw_client *c); /* accepts NULL */

/* POST /api/v1/kiosk/reservations {"count"} -> *out (the answer). */
int gw_client_reserve(struct gw_client *c, int count, json_t **out, struct err *e);
/* POST /api/v1/cases with body (JSON text) -> *out the case (200 or 201). */
int gw_client_send_case(struct gw_client *c, const char *body, json_t **out, struct err *e);
/* GET /api/v1/kiosk/cases/{number} -> *out the masked view; ERR_NOTFOUND for no such case. */
int gw_client_lookup(struct gw_client *c, const char *number, json_t **out, struct err *e);
/* GET /api/v1/kiosk/notices?area=AREA -> *out {"notices":[...]}: today's outages in the
 * hall's area, for the welcome screen. */
int gw_client_notices(struct gw_client *c, const char *area, json_t **out, struct err *e);

#endif
