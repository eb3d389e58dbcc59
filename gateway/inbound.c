/* inbound: receipts and replies from providers' pushes. See inbound.h.
 * Pushes repeat (Alibaba re-pushes after 1, 5, 10 minutes when we do not answer 200) and
 * may arrive before the worker has recorded the send; the store makes both harmless. A push
 * is answered 200 only after everything in it is stored. */
#include "inbound.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "provider.h"

#define INBOUND_MAX_ITEMS 1000

static const char *const opt_out_words[] = {
	"T",    "TD",   "R",    "N",        "QX",       "STOP", "UNSUBSCRIBE",
	"退订", "拒收", "取消", "取消订阅", "退订短信", "退",   NULL,
};

/* Copies text to out in a comparable form: full-width ASCII made half-width, ASCII
 * letters upper-cased, spaces (ASCII, full-width U+3000) and punctuation at the ends dropped. */
static void normalise(const char *text, char *out, size_t sz)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0;

	while (*p && n + 4 < sz) {
		if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80) {
			/* U+FF01..U+FF5E: full-width forms of ! .. ~ */
			unsigned cp = ((p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu)) + 0xF000u;
			if (cp >= 0xFF01 && cp <= 0xFF5E) {
				out[n++] = (char)toupper((int)(cp - 0xFEE0));
				p += 3;
				continue;
			}
		}
		if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) { /* U+3000 ideographic space */
			p += 3;
			continue;
		}
		if (*p < 0x80 && (isspace(*p) || ispunct(*p))) {
			p++;
			continue;
		}
		out[n++] = (char)(*p < 0x80 ? toupper(*p) : *p);
		p++;
	}
	out[n] = '\0';
}

bool inbound_is_opt_out(const char *text)
{
	char norm[64];

	if (strlen(text) > 40)
		return false; /* a sentence is a message, not an opt-out */
	normalise(text, norm, sizeof(norm));
	for (int i = 0; opt_out_words[i]; i++)
		if (strcmp(norm, opt_out_words[i]) == 0)
			return true;
	return false;
}

/* The provider section and ops for a push, after checking the token in constant time. */
static int find(const struct gw_config *cfg, const char *name, const char *token,
		const struct provider_ops **ops, const struct provider_config **pc, struct err *e)
{
	size_t a, b;
	unsigned diff = 0;

	*pc = config_provider(cfg, name);
	if (*pc == NULL || (*ops = provider_find((*pc)->type)) == NULL)
		return err_set(e, ERR_NOTFOUND, "provider", "no provider named %.64s", name);
	a = strlen((*pc)->callback_token);
	b = token ? strlen(token) : 0;
	for (size_t i = 0; i < a && i < b; i++)
		diff |= (unsigned)((*pc)->callback_token[i] ^ token[i]);
	if (a == 0 || a != b || diff != 0)
		return err_set(e, ERR_FORBIDDEN, "token",
			       "wrong or missing token for provider "
			       "%.64s's pushes",
			       name);
	return 0;
}

int inbound_receipt(struct store *s, const char *provider, const struct prov_receipt *r,
		    const char *ref, int64_t now_ms, int *applied, int *reconciled, struct err *e)
{
	struct store_receipt sr = { .provider = provider,
				    .ref = ref ? ref : r->ref,
				    .phone = r->phone,
				    .out_id = r->out_id,
				    .delivered = r->delivered,
				    .code = r->code,
				    .desc = r->desc,
				    .at_ms = r->at_ms };

	return store_receipt_add(s, &sr, now_ms, applied, reconciled, e);
}

static int take_receipts(struct store *s, const char *name, const struct prov_receipt *r, int n,
			 int64_t now_ms, json_t *sum, struct err *e)
{
	int applied, reconciled, total = 0, settled = 0, rc;

	for (int i = 0; i < n; i++) {
		rc = inbound_receipt(s, name, &r[i], NULL, now_ms, &applied, &reconciled, e);
		if (rc < 0)
			return rc;
		total += applied;
		settled += reconciled;
	}
	json_object_set_new(sum, "receipts", json_integer(n));
	json_object_set_new(sum, "applied", json_integer(total));
	json_object_set_new(sum, "duplicates_avoided", json_integer(settled));
	return 0;
}

static int take_replies(struct store *s, const char *name, const struct prov_reply *r, int n,
			int64_t now_ms, const struct inbound_hook *hook, json_t *sum, struct err *e)
{
	int dup, opt_outs = 0, rc;

	for (int i = 0; i < n; i++) {
		const char *action = inbound_is_opt_out(r[i].text) ? "opt_out" : "stored";
		rc = store_inbound_add(s, name, r[i].phone, r[i].text, r[i].at_ms, action, now_ms,
				       &dup, e);
		if (rc < 0)
			return rc;
		opt_outs += !dup && strcmp(action, "opt_out") == 0;
		if (!dup && strcmp(action, "stored") == 0 && hook != NULL && hook->on_reply &&
		    (rc = hook->on_reply(hook->ctx, s, r[i].phone, r[i].text, now_ms, e)) < 0)
			return rc;
	}
	json_object_set_new(sum, "replies", json_integer(n));
	json_object_set_new(sum, "opt_outs", json_integer(opt_outs));
	return 0;
}

/* "[]" (with any spaces): a push with nothing in it, which is no error. */
static bool empty_array(const char *body, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i >= len || body[i++] != '[')
		return false;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i >= len || body[i++] != ']')
		return false;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	return i == len;
}

int inbound_push(struct store *s, const struct gw_config *cfg, const char *name,
		 enum inbound_kind kind, const char *token, const char *body, size_t len,
		 int64_t now_ms, const struct inbound_hook *hook, const char **answer,
		 json_t **summary, struct err *e)
{
	const struct provider_ops *ops = NULL;
	const struct provider_config *pc = NULL;
	struct prov_receipt *rec = NULL;
	struct prov_reply *rep = NULL;
	json_t *sum = json_object();
	int n = 0, rc;

	if ((rc = find(cfg, name, token, &ops, &pc, e)) < 0)
		goto out;
	if ((kind == INBOUND_RECEIPTS && ops->parse_receipts == NULL) ||
	    (kind == INBOUND_REPLIES && ops->parse_replies == NULL)) {
		rc = err_set(e, ERR_NOTFOUND, "provider", "provider %.64s (%s) sends no %s", name,
			     pc->type, kind == INBOUND_RECEIPTS ? "receipts" : "replies");
		goto out;
	}
	if ((rc = store_begin(s, e)) < 0)
		goto out;
	if (kind == INBOUND_RECEIPTS) {
		rec = calloc(INBOUND_MAX_ITEMS, sizeof(*rec));
		rc = rec ? ops->parse_receipts(body, len, rec, INBOUND_MAX_ITEMS, &n, e)
			 : ERR_NOMEM;
		if (rc == 0)
			rc = take_receipts(s, name, rec, n, now_ms, sum, e);
	} else {
		rep = calloc(INBOUND_MAX_ITEMS, sizeof(*rep));
		rc = rep ? ops->parse_replies(body, len, rep, INBOUND_MAX_ITEMS, &n, e) : ERR_NOMEM;
		if (rc == 0)
			rc = take_replies(s, name, rep, n, now_ms, hook, sum, e);
	}
	if (rc == 0 && n == 0 && !empty_array(body, len))
		rc = err_set(e, ERR_INVALID, "",
			     "the push held no %s this provider sends (is the "
			     "push URL of another kind, e.g. replies sent to /receipts?)",
			     kind == INBOUND_RECEIPTS ? "receipt" : "reply");
	if (rc == 0)
		rc = store_commit(s, e);
	else
		store_rollback(s);
out:
	free(rec);
	free(rep);
	if (rc < 0) {
		json_decref(sum);
		return rc;
	}
	*answer = ops->push_answer ? ops->push_answer : "{}";
	*summary = sum;
	return 0;
}
