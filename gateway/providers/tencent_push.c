/* providers/tencent_push: what Tencent Cloud SMS pushes back: status reports (短信下发状态通知)
 * and residents' replies (短信回复), for provider_tencent's parse_receipts and parse_replies.
 * Called by the HTTP server's push route with the request body. Pure: no I/O, no clock.
 * Never quotes the body in an error (it holds phone numbers): only the place is given.
 * Sources: cloud.tencent.com/document/product/382/5807 (status reports) and
 * cloud.tencent.com/document/api/382/59179: {extend,mobile,nationcode,sign,text,time}. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "phone.h"
#include "tencent_internal.h"
#include "timefmt.h"

#define BEIJING_OFFSET "+08:00" /* status reports give Beijing time without an offset */

/* A push body: a JSON array of objects, or one object (read as an array of one). */
static json_t *load_push(const char *body, size_t len, const char *what, struct err *e)
{
	json_error_t jerr = { .line = 0 };
	json_t *root = len > 0 ? json_loadb(body, len, 0, &jerr) : NULL;

	if (root == NULL || (!json_is_array(root) && !json_is_object(root))) {
		/* jerr.text quotes the body, which may hold a number: only the place is given. */
		if (root == NULL && len > 0)
			err_set(e, ERR_INVALID, NULL,
				"Tencent %s push is not JSON (error at line %d, column %d)", what,
				jerr.line, jerr.column);
		else
			err_set(e, ERR_INVALID, NULL, "Tencent %s push is %s, not a JSON array",
				what, len == 0 ? "empty" : "a JSON scalar");
		json_decref(root);
		return NULL;
	}
	return root;
}

static size_t push_count(json_t *root)
{
	return json_is_array(root) ? json_array_size(root) : 1;
}

static json_t *push_item(json_t *root, size_t i)
{
	return json_is_array(root) ? json_array_get(root, i) : root;
}

/* A mainland number from nationcode and mobile into out (12 bytes). */
static int mainland(json_t *o, char *out)
{
	const char *nc = json_string_value(json_object_get(o, "nationcode"));
	const char *mobile = json_string_value(json_object_get(o, "mobile"));

	if (mobile == NULL ||
	    (nc != NULL && nc[0] != '\0' && strcmp(nc, "86") != 0 && strcmp(nc, "+86") != 0 &&
	     strcmp(nc, "0086") != 0))
		return -1;
	return phone_normalize(mobile, out, NULL);
}

/* One status-report entry; -1 when it lacks what a receipt needs. */
static int receipt_from(json_t *o, struct prov_receipt *r)
{
	const char *status = tencent_str(o, "report_status"),
		   *t = tencent_str(o, "user_receive_time");
	char when[40];

	memset(r, 0, sizeof(*r));
	if (tencent_str(o, "sid")[0] == '\0' || strlen(tencent_str(o, "sid")) >= sizeof(r->ref) ||
	    (strcmp(status, "SUCCESS") != 0 && strcmp(status, "FAIL") != 0))
		return -1;
	snprintf(r->ref, sizeof(r->ref), "%s", tencent_str(o, "sid"));
	r->delivered = strcmp(status, "SUCCESS") == 0;
	if (mainland(o, r->phone) < 0)
		r->phone[0] = '\0'; /* the SerialNo alone still finds the message */
	tencent_copy_utf8(r->code, sizeof(r->code), tencent_str(o, "errmsg"));
	tencent_copy_utf8(r->desc, sizeof(r->desc), tencent_str(o, "description"));
	snprintf(when, sizeof(when), "%.24s%s", t, BEIJING_OFFSET);
	if (strlen(t) > 24 || timefmt_parse(when, &r->at_ms, NULL) < 0)
		r->at_ms = 0;
	return 0;
}

/* 短信下发状态通知 (cloud.tencent.com/document/product/382/5807): [{user_receive_time,
 * nationcode, mobile, report_status, errmsg, description, sid}, ...]. Entries without sid
 * or report_status are skipped; ERR_INVALID when none is usable, ERR_TOOBIG when more than
 * max are. */
int tencent_parse_receipts(const char *body, size_t len, struct prov_receipt *out, int max, int *n,
			   struct err *e)
{
	json_t *root = load_push(body, len, "status report", e);
	int got = 0, bad = 0, rc = 0;
	struct prov_receipt r;

	if (root == NULL)
		return ERR_INVALID;
	for (size_t i = 0; i < push_count(root) && rc == 0; i++) {
		if (receipt_from(push_item(root, i), &r) < 0)
			bad++;
		else if (got < max)
			out[got++] = r;
		else
			rc = err_set(e, ERR_TOOBIG, NULL,
				     "Tencent status report has more than %d entries", max);
	}
	if (rc == 0 && got == 0 && bad > 0)
		rc = err_set(e, ERR_INVALID, NULL,
			     "no entry of the Tencent status report has sid and report_status");
	else if (rc == 0 && bad > 0)
		log_warn("tencent: skipped %d malformed status report entries", bad);
	if (rc == 0)
		*n = got;
	json_decref(root);
	return rc;
}

/* One reply; -1 without a mainland mobile or a text. */
static int reply_from(json_t *o, struct prov_reply *r)
{
	json_t *t = json_object_get(o, "time");
	long long secs = json_is_integer(t) ? (long long)json_integer_value(t)
		: json_is_string(t)         ? strtoll(json_string_value(t), NULL, 10)
					    : 0;

	memset(r, 0, sizeof(*r));
	if (mainland(o, r->phone) < 0 || !json_is_string(json_object_get(o, "text")))
		return -1;
	tencent_copy_utf8(r->text, sizeof(r->text), tencent_str(o, "text"));
	tencent_copy_utf8(r->ext, sizeof(r->ext),
			  tencent_str(o, "extend")[0] ? tencent_str(o, "extend")
						      : tencent_str(o, "sign"));
	r->at_ms = secs > 0 && secs < INT64_MAX / 1000 ? (int64_t)secs * 1000 : 0;
	return 0;
}

/* 短信回复: one object {extend, mobile, nationcode, sign, text, time} (an array of them is
 * taken too). ext gets extend, or the sign when extend is empty. */
int tencent_parse_replies(const char *body, size_t len, struct prov_reply *out, int max, int *n,
			  struct err *e)
{
	json_t *root = load_push(body, len, "reply", e);
	int got = 0, rc = 0;
	struct prov_reply r;

	if (root == NULL)
		return ERR_INVALID;
	for (size_t i = 0; i < push_count(root) && rc == 0; i++) {
		if (reply_from(push_item(root, i), &r) < 0)
			continue;
		if (got < max)
			out[got++] = r;
		else
			rc = err_set(e, ERR_TOOBIG, NULL,
				     "Tencent reply push has more than %d replies", max);
	}
	if (rc == 0 && got == 0 && push_count(root) > 0)
		rc = err_set(e, ERR_INVALID, NULL,
			     "Tencent reply push has no entry with a mainland mobile and a text");
	if (rc == 0)
		*n = got;
	json_decref(root);
	return rc;
}

/* One PullSmsSendStatus record; -1 when it lacks a mainland number or a SerialNo. */
static int pulled_from(json_t *o, struct prov_receipt *r)
{
	json_t *t = json_object_get(o, "UserReceiveTime");
	struct err e;

	memset(r, 0, sizeof(*r));
	if (phone_normalize(tencent_str(o, "PhoneNumber"), r->phone, &e) < 0 ||
	    tencent_str(o, "SerialNo")[0] == '\0')
		return -1;
	tencent_copy_utf8(r->ref, sizeof(r->ref), tencent_str(o, "SerialNo"));
	tencent_copy_utf8(r->out_id, sizeof(r->out_id), tencent_str(o, "SessionContext"));
	tencent_copy_utf8(r->code, sizeof(r->code), tencent_str(o, "Description"));
	r->delivered = strcmp(tencent_str(o, "ReportStatus"), "SUCCESS") == 0;
	if (json_is_integer(t) && json_integer_value(t) > 0)
		r->at_ms = (int64_t)json_integer_value(t) * 1000;
	return 0;
}

int tencent_parse_status(const struct http_response *resp, struct prov_receipt *out, int max,
			 int *n, struct err *e)
{
	json_t *root, *set, *el;
	size_t i;

	*n = 0;
	if (resp->transport_error || resp->status != 200)
		return err_set(e, ERR_IO, NULL, "PullSmsSendStatusByPhoneNumber: %s",
			       resp->transport_error ? resp->error : "HTTP error");
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (root == NULL || !json_is_object(json_object_get(root, "Response"))) {
		json_decref(root);
		return err_set(e, ERR_INVALID, NULL,
			       "PullSmsSendStatusByPhoneNumber: not Tencent's "
			       "JSON");
	}
	if (json_object_get(json_object_get(root, "Response"), "Error") != NULL) {
		char code[96];

		tencent_quote(
			tencent_str(json_object_get(json_object_get(root, "Response"), "Error"),
				    "Code"),
			code, sizeof(code), 90);
		json_decref(root);
		return err_set(e, ERR_IO, NULL, "PullSmsSendStatusByPhoneNumber: %s", code);
	}
	set = json_object_get(json_object_get(root, "Response"), "PullSmsSendStatusSet");
	json_array_foreach(set, i, el)
	{
		if (*n < max && pulled_from(el, &out[*n]) == 0)
			(*n)++;
	}
	json_decref(root);
	return 0;
}
