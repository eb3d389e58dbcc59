/* tracking: the public side of a case: the unguessable token behind each tracking URL
 * (/t/{token}), the per-client rate limit of the public endpoints, and the mobile page
 * rendered from the case's public view (the JSON of /api/v1/track/{token}, built by the
 * store with every personal field already masked). Called by the API. The page is plain
 * HTML and CSS, readable without JavaScript; it never shows more than the view holds.
 * The limiter is the only state: one mutex, a fixed table. Never logs tokens. */
#ifndef GATEWAY_TRACKING_H
#define GATEWAY_TRACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* 18 random bytes (144 bits, from getrandom) as base64url without padding. */
#define TRACK_TOKEN_LEN 24
#define TRACK_TOKEN_RAW 18

/* A fresh token into out. ERR_IO when the kernel CSPRNG fails. */
int tracking_token_new(char out[TRACK_TOKEN_LEN + 1], struct err *e);
/* Whether s has the right length and alphabet (A-Z a-z 0-9 - _). */
bool tracking_token_valid(const char *s);
/* Hex SHA-256 of the token, the key the store looks tokens up by (so that the lookup's
 * timing says nothing about how close a guess came). For an invalid token too. */
void tracking_token_hash(const char *token, char out[65]);

/* ---- rate limit per client address ---- */
struct tracking_limiter;
/* per_minute requests per client (a token bucket refilled continuously, burst = per_minute);
 * 0 = no limit. */
struct tracking_limiter *tracking_limiter_new(int per_minute);
void tracking_limiter_free(struct tracking_limiter *l); /* accepts NULL */
/* Whether client (an address text) may make a request at now_ms; counts it when it may.
 * The table holds a fixed number of clients; the least recently seen is forgotten. */
bool tracking_limiter_allow(struct tracking_limiter *l, const char *client, int64_t now_ms);

/* ---- the page ---- */
/* The public page of a case as HTML (UTF-8): *out malloc'd, NUL-terminated.
 * view: the public view (see docs/api.md "GET /api/v1/track/{token}"); qr_src: the relative
 * URL of the page's own QR code image, shown to pass the page on (NULL: none). Every text
 * from view is HTML-escaped. */
int tracking_page_html(const json_t *view, const char *qr_src, char **out, struct err *e);
/* The page for an unknown token (the same for every unknown token). Static, do not free. */
const char *tracking_page_not_found(void);
/* The "follow in WeChat" page: the binding QR code image at image_url (WeChat's), with how
 * to use it. *out malloc'd. */
int tracking_page_follow(const char *image_url, char **out, struct err *e);
/* A short page with a title, a text (escaped) and a link back to back (a relative URL, may
 * be NULL): the answer to the page's forms. *out malloc'd. */
int tracking_page_message(const char *title, const char *text, const char *back, char **out,
			  struct err *e);
/* The page for a client over its rate limit. Static. */
const char *tracking_page_too_many(void);

#endif
