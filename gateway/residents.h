/* residents: a resident's data from outside, checked before it is stored.
 * Owns: validating resident JSON from the API (mobile normalised, areas known, no unknown
 * fields) and its create and update, plus the checks that the CSV imports share: one field of
 * a resident (residents_import.c) and the keys of a JSON body (areas.c). Writes through the
 * store only; never logs names or numbers unmasked. */
#ifndef GATEWAY_RESIDENTS_H
#define GATEWAY_RESIDENTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "phone.h"
#include "store.h"

#define RESIDENTS_MAX_AREAS 32
#define RESIDENTS_MAX_ACCOUNT 64 /* characters */
#define RESIDENTS_MAX_NAME 64 /* characters */
#define RESIDENTS_MAX_OPENID 128 /* bytes; the outbox keeps addresses of up to 135 */

/* The JSON types a key may hold, as bits of residents_key_rule.types. */
enum {
	RESIDENTS_T_STR = 1,
	RESIDENTS_T_NULL = 2,
	RESIDENTS_T_ARR = 4,
	RESIDENTS_T_OBJ = 8,
	RESIDENTS_T_BOOL = 16
};

struct residents_key_rule {
	const char *name;
	int types; /* RESIDENTS_T_* bits */
	const char *what; /* the allowed types in words, for the error message */
};

/* POST /residents: body validated (account, name, mobile, areas required; openid, opt_out
 * optional; unknown fields refused) and inserted; *out is the stored resident. */
int residents_create_json(struct store *s, const json_t *body, int64_t now_ms, json_t **out,
			  struct err *e);
/* PUT /residents/{account}: the fields given replace the stored ones. */
int residents_update_json(struct store *s, const char *account, const json_t *body, int64_t now_ms,
			  json_t **out, struct err *e);

/* The field checks below return 0 or ERR_INVALID with e->field = field, which is the CSV
 * column or JSON key the value came from, so that the message names it as the sender does. */
/* Text that is present, has no control characters and at most max_chars characters. */
int residents_check_text(const char *v, const char *field, size_t max_chars, struct err *e);
/* A WeChat openid: letters, digits, '-' and '_', at most RESIDENTS_MAX_OPENID of them. */
int residents_check_openid(const char *v, const char *field, struct err *e);
/* A mainland mobile number, normalised into out. */
int residents_check_mobile(const char *v, const char *field, char out[PHONE_LEN + 1],
			   struct err *e);
/* 1 to RESIDENTS_MAX_AREAS area codes, each already in the store. */
int residents_check_areas(struct store *s, const char *const *codes, int n, const char *field,
			  struct err *e);
/* Refuses keys of obj that no rule names (a typo must not be dropped silently) and values
 * of a type the rule does not allow; the field reported is prefix + key, e.g. "opt_out.sms". */
int residents_check_keys(const json_t *obj, const struct residents_key_rule *rules, size_t n,
			 const char *prefix, struct err *e);
/* A JSON object whose keys follow rules (as residents_check_keys, without a prefix);
 * anything else is refused with the message not_object, which shows an example. */
int residents_check_object(const json_t *v, const char *not_object,
			   const struct residents_key_rule *rules, size_t n, struct err *e);

#endif
