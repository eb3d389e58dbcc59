/* providers/aliyun_push: what Alibaba Cloud SMS tells us after a send: the SmsReport
 * (receipts) and SmsUp (replies) pushes, for provider_aliyun's parse_receipts and
 * parse_replies, and the QuerySendDetails request and answer that reconcile an unknown
 * outcome (aliyun.h). Called by the HTTP server's push route and, later, the
 * reconciliation. Pure: no I/O, no clock. A push time that is missing or unreadable leaves
 * at_ms 0 rather than dropping a receipt; errors never quote a body (it holds numbers).
 * Sources: QuerySendDetails help.aliyun.com/document_detail/419277.html; SmsReport
 * document_detail/101867.html; SmsUp help.aliyun.com/zh/sms/developer-reference/smsup-http
 * (phone_number, content, send_time, dest_code, sequence_id) and
 * knowledge_detail/60127.html (adds sign_name). */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aliyun_internal.h"
#include "mask.h"
#include "phone.h"
#include "timefmt.h"

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "yyyy-MM-dd HH:mm:ss" in Beijing time into *ms; 0 stays when it cannot be read. */
static void jtime(json_t *o, const char *key, int64_t *ms)
{
	const char *v = jstr(o, key);
	char buf[40];

	if (v == NULL || strlen(v) != 19)
		return;
	snprintf(buf, sizeof(buf), "%s+08:00", v);
	if (timefmt_parse(buf, ms, NULL) < 0)
		*ms = 0;
}

static bool phone_of(json_t *o, const char *key, char out[16])
{
	const char *v = jstr(o, key);

	return v != NULL && phone_normalize(v, out, NULL) == 0;
}

/* The push body as a JSON array. */
static int push_array(const char *body, size_t len, const char *what, json_t **out, struct err *e)
{
	json_error_t jerr;
	json_t *root = body != NULL ? json_loadb(body, len, 0, &jerr) : NULL;

	if (json_is_array(root)) {
		*out = root;
		return 0;
	}
	json_decref(root);
	/* jerr.text may quote the body; only the place is given. */
	return err_set(e, ERR_INVALID, NULL,
		       "%s push is not a JSON array (error near line %d, column %d)", what,
		       root == NULL && body != NULL ? jerr.line : 0,
		       root == NULL && body != NULL ? jerr.column : 0);
}

static bool receipt_from(json_t *el, void *out)
{
	struct prov_receipt *r = out;
	json_t *ok = json_object_get(el, "success");
	const char *oks = json_string_value(ok);

	memset(r, 0, sizeof(*r));
	if (!json_is_object(el) || !phone_of(el, "phone_number", r->phone) ||
	    !aliyun_copy_fit(jstr(el, "biz_id"), r->ref, sizeof(r->ref)) || r->ref[0] == '\0')
		return false;
	if (json_is_boolean(ok))
		r->delivered = json_is_true(ok);
	else if (oks != NULL && (strcmp(oks, "true") == 0 || strcmp(oks, "false") == 0))
		r->delivered = oks[0] == 't';
	else
		return false;
	/* An OutId that does not fit is not one of ours. */
	if (!aliyun_copy_fit(jstr(el, "out_id"), r->out_id, sizeof(r->out_id)))
		r->out_id[0] = '\0';
	aliyun_copy_cut(jstr(el, "err_code"), r->code, sizeof(r->code));
	aliyun_copy_cut(jstr(el, "err_msg"), r->desc, sizeof(r->desc));
	jtime(el, "report_time", &r->at_ms);
	if (r->at_ms == 0)
		jtime(el, "send_time", &r->at_ms);
	return true;
}

/* Fills out[0..max) (records of size bytes) from the elements of array that from()
 * accepts; returns how many it took. */
static int take_records(json_t *array, void *out, size_t size, int max,
			bool (*from)(json_t *el, void *record))
{
	json_t *el;
	size_t i;
	int k = 0;

	json_array_foreach(array, i, el)
	{
		if (k >= max)
			break;
		k += from(el, (char *)out + (size_t)k * size);
	}
	return k;
}

/* A push body read into out[0..max) by from(); ERR_INVALID when it is not a JSON array. */
static int parse_push(const char *body, size_t len, const char *what, void *out, size_t size,
		      int max, bool (*from)(json_t *el, void *record), int *n, struct err *e)
{
	json_t *root = NULL;

	if (push_array(body, len, what, &root, e) < 0)
		return ERR_INVALID;
	*n = take_records(root, out, size, max, from);
	json_decref(root);
	return 0;
}

int aliyun_parse_receipts(const char *body, size_t len, struct prov_receipt *out, int max, int *n,
			  struct err *e)
{
	return parse_push(body, len, "SmsReport", out, sizeof(*out), max, receipt_from, n, e);
}

static bool reply_from(json_t *el, void *out)
{
	struct prov_reply *r = out;
	const char *ext = jstr(el, "dest_code");

	memset(r, 0, sizeof(*r));
	if (!json_is_object(el) || !phone_of(el, "phone_number", r->phone) ||
	    jstr(el, "content") == NULL)
		return false;
	aliyun_copy_cut(jstr(el, "content"), r->text, sizeof(r->text));
	aliyun_copy_cut(ext != NULL && *ext ? ext : jstr(el, "sign_name"), r->ext, sizeof(r->ext));
	jtime(el, "send_time", &r->at_ms);
	return true;
}

int aliyun_parse_replies(const char *body, size_t len, struct prov_reply *out, int max, int *n,
			 struct err *e)
{
	return parse_push(body, len, "SmsUp", out, sizeof(*out), max, reply_from, n, e);
}

int aliyun_build_query(void *state, const struct aliyun_query *q, struct http_request *req,
		       struct err *e)
{
	const struct aliyun_state *s = state;
	char date[32], day[9], size[12], page[12];
	struct aliyun_param p[5];
	size_t np = 0;

	if (!aliyun_number_ok(q->phone) || q->page_size < 1 || q->page_size > 50 || q->page < 1)
		return err_set(e, ERR_INVALID, NULL,
			       "QuerySendDetails needs a mobile number, PageSize 1..50 and a "
			       "page from 1 (got %d, %d)",
			       q->page_size, q->page);
	/* SendDate is the Beijing day of the send: yyyyMMdd. */
	timefmt_iso(q->sent_ms != 0 ? q->sent_ms : q->now_ms, ALIYUN_BEIJING_MIN, date);
	snprintf(day, sizeof(day), "%.4s%.2s%.2s", date, date + 5, date + 8);
	snprintf(size, sizeof(size), "%d", q->page_size);
	snprintf(page, sizeof(page), "%d", q->page);
	p[np++] = (struct aliyun_param){ "PhoneNumber", q->phone };
	p[np++] = (struct aliyun_param){ "SendDate", day };
	p[np++] = (struct aliyun_param){ "PageSize", size };
	p[np++] = (struct aliyun_param){ "CurrentPage", page };
	if (q->biz_id != NULL && q->biz_id[0] != '\0')
		p[np++] = (struct aliyun_param){ "BizId", q->biz_id };
	return aliyun_request(s, "QuerySendDetails", p, np, q->now_ms, req, e);
}

static bool detail_from(json_t *el, void *out)
{
	struct aliyun_detail *d = out;
	json_t *st = json_object_get(el, "SendStatus");
	long long v = json_is_integer(st) ? json_integer_value(st)
		: json_is_string(st)      ? atoll(json_string_value(st))
					  : 0;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(el) || v < ALIYUN_WAITING || v > ALIYUN_DELIVERED ||
	    !phone_of(el, "PhoneNum", d->phone))
		return false;
	d->status = (enum aliyun_send_status)v;
	if (!aliyun_copy_fit(jstr(el, "OutId"), d->out_id, sizeof(d->out_id)))
		d->out_id[0] = '\0';
	aliyun_copy_cut(jstr(el, "ErrCode"), d->code, sizeof(d->code));
	aliyun_copy_cut(jstr(el, "TemplateCode"), d->template_code, sizeof(d->template_code));
	jtime(el, "SendDate", &d->sent_ms);
	jtime(el, "ReceiveDate", &d->at_ms);
	return true;
}

int aliyun_parse_details(const char *body, size_t len, struct aliyun_detail *out, int max, int *n,
			 int *total, struct err *e)
{
	json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *list, *tc;
	const char *code = jstr(root, "Code");
	char msg[160];
	int k = 0, rc = 0;

	if (!json_is_object(root) || code == NULL) {
		rc = err_set(e, ERR_INVALID, NULL,
			     "QuerySendDetails answer is not JSON with a Code");
		goto out;
	}
	if (strcmp(code, "OK") != 0) {
		aliyun_copy_cut(jstr(root, "Message"), msg, sizeof(msg));
		mask_digits(msg, msg, sizeof(msg));
		rc = err_set(e, ERR_IO, NULL, "QuerySendDetails answered %.64s: %s", code, msg);
		goto out;
	}
	list = json_object_get(json_object_get(root, "SmsSendDetailDTOs"), "SmsSendDetailDTO");
	k = take_records(list, out, sizeof(*out), max, detail_from);
	tc = json_object_get(root, "TotalCount");
	*total = json_is_integer(tc) ? (int)json_integer_value(tc)
		: json_is_string(tc) ? atoi(json_string_value(tc))
				     : k;
	*n = k;
out:
	json_decref(root);
	return rc;
}
