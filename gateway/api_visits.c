/* api_visits: the endpoints of appointments and return visits. Staff: book and change an
 * appointment, record a return visit's answer from a phone call, the phone-visit list
 * (JSON or CSV). Public (behind the tracking token, rate-limited like the page): the
 * survey's answer in two taps and the resident's confirm / reschedule, as HTML forms that
 * work without JavaScript. And the hook that hands SMS replies to the visits module. */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "visits.h"

int api_visit_reply(void *ctx, struct store *s, const char *phone, const char *text, int64_t now_ms,
		    struct err *e)
{
	struct api *a = ctx;

	return visits_on_reply(&a->cases, s, phone, text, now_ms, e);
}

static int ready(struct api *a, struct err *e)
{
	return a->cases.rules != NULL && a->cases.visit != NULL
		? 0
		: err_set(e, ERR_IO, NULL, "cases are not set up in this gatewayd");
}

int api_appt_book(struct api *a, struct call *c, json_t **out, struct err *e)
{
	int rc = ready(a, e);

	if (rc < 0 ||
	    (rc = appointments_book(&a->cases, c->store, c->params[0], c->json, c->actor,
				    api_now(a), out, e)) < 0)
		return rc;
	c->status = 201;
	return 0;
}

int api_appt_change(struct api *a, struct call *c, json_t **out, struct err *e)
{
	char *end;
	long long id = strtoll(c->params[1], &end, 10);
	int rc = ready(a, e);

	if (rc < 0)
		return rc;
	if (*end != '\0' || id <= 0)
		return err_set(e, ERR_NOTFOUND, "id", "no appointment %.20s", c->params[1]);
	return appointments_change(&a->cases, c->store, c->params[0], id, c->json, c->actor,
				   api_now(a), out, e);
}

int api_survey_answer(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const json_t *ans = json_object_get(c->json, "answer");
	const json_t *agent = json_object_get(c->json, "agent");
	int rc = ready(a, e);

	if (rc < 0)
		return rc;
	if (!json_is_string(ans) && !json_is_integer(ans))
		return err_set(e, ERR_INVALID, "answer",
			       "answer is required: 1 (满意), 2 (基本满意) or 3 (不满意)");
	char buf[64];
	if (json_is_integer(ans))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(ans));
	else
		snprintf(buf, sizeof(buf), "%s", json_string_value(ans));
	return surveys_answer(&a->cases, c->store, c->params[0], NULL, buf, "phone",
			      json_is_string(agent) ? json_string_value(agent) : c->actor,
			      api_now(a), out, e);
}

/* The phone-visit list as CSV (UTF-8 with a BOM, for Excel). */
static int tasks_csv(const json_t *tasks, struct call *c, struct err *e)
{
	static const char *const cols[] = { "number",     "mobile",  "name",      "kind",
					    "department", "sent_at", "answer_due" };
	struct csv_writer w;
	const json_t *t;
	size_t i;

	static const char header[] =
		"\xef\xbb\xbf工单号,手机号,姓名,类型,部门,发送时间,应答截止\r\n";

	csv_writer_init(&w, 16u << 20);
	csv_writer_raw(&w, header, sizeof(header) - 1);
	json_array_foreach(json_object_get(tasks, "tasks"), i, t)
	{
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			csv_writer_field(&w, json_string_value(json_object_get(t, cols[k])),
					 k + 1 == sizeof(cols) / sizeof(cols[0]));
	}
	if (csv_writer_finish(&w, &c->text, &c->text_len) < 0)
		return err_set(e, ERR_TOOBIG, NULL, "the list is too long for one CSV");
	c->text_type = "text/csv; charset=utf-8";
	snprintf(c->disposition, sizeof(c->disposition),
		 "attachment; filename=\"visit-tasks.csv\"");
	return 0;
}

int api_visit_tasks(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const char *format = http_in_query(c->in, "format");
	json_t *tasks = NULL;
	int rc = ready(a, e);

	if (rc < 0 || (rc = surveys_phone_list(c->store, 1000, &tasks, e)) < 0)
		return rc;
	if (format != NULL && strcmp(format, "csv") == 0) {
		rc = tasks_csv(tasks, c, e);
		json_decref(tasks);
		return rc;
	}
	*out = tasks;
	return 0;
}

/* value of key in an application/x-www-form-urlencoded body: only short plain values
 * ("1", "confirm") are expected, so anything encoded is refused rather than decoded. */
static const char *form_value(const char *body, const char *key, char *out, size_t n)
{
	size_t klen = strlen(key);

	for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		size_t len = strcspn(p, "&");
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=' &&
		    len - klen - 1 < n) {
			memcpy(out, p + klen + 1, len - klen - 1);
			out[len - klen - 1] = '\0';
			return strchr(out, '%') ? NULL : out;
		}
	}
	return NULL;
}

static int page_answer(struct api *a, struct call *c, int rc, const char *done_title,
		       const char *done_text, struct err *e)
{
	char back[64];

	snprintf(back, sizeof(back), "/t/%.24s", c->params[0]);
	c->text_type = "text/html; charset=utf-8";
	(void)a;
	if (rc == ERR_NOTFOUND)
		return api_track_page_status(c, 404, tracking_page_not_found(), e);
	if (rc == ERR_CONFLICT || rc == ERR_INVALID) {
		c->status = rc == ERR_CONFLICT ? 409 : 400;
		return tracking_page_message("无法提交", e->msg, back, &c->text, e);
	}
	if (rc < 0)
		return rc;
	return tracking_page_message(done_title, done_text, back, &c->text, e);
}

int api_track_survey(struct api *a, struct call *c, json_t **out, struct err *e)
{
	char v[8];
	const char *answer = form_value(c->in->body, "answer", v, sizeof(v));
	int rc = ready(a, e);

	(void)out;
	if (rc < 0)
		return rc;
	if (api_track_limited(a, c))
		return api_track_page_status(c, 429, tracking_page_too_many(), e);
	rc = surveys_answer(&a->cases, c->store, NULL, c->params[0], answer ? answer : "", "page",
			    "resident", api_now(a), NULL, e);
	return page_answer(a, c, rc, "感谢您的评价", "您的评价已收到。", e);
}

int api_track_appt(struct api *a, struct call *c, json_t **out, struct err *e)
{
	char v[16];
	const char *action = form_value(c->in->body, "action", v, sizeof(v));
	int rc = ready(a, e);

	(void)out;
	if (rc < 0)
		return rc;
	if (api_track_limited(a, c))
		return api_track_page_status(c, 429, tracking_page_too_many(), e);
	rc = appointments_from_page(&a->cases, c->store, c->params[0], action, api_now(a), e);
	return page_answer(a, c, rc, "已收到",
			   action && strcmp(action, "confirm") == 0
				   ? "上门时间已确认，工作人员将按时上门。"
				   : "改约申请已转给工作人员，他们会尽快与您联系。",
			   e);
}
