/* api_staff: the staff-alert routes, POST and GET /api/v1/staff-alerts (routes in api.c).
 * Reads the request (body fields, query parameters) and hands over to the staff module,
 * which checks the department and text and queues or lists; the sender thread does the
 * sending. Never logs an alert's text. */
#include "api_internal.h"

#include <stdlib.h>
#include <string.h>

#include "staff.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500

/* The body's field name as a string: ERR_INVALID when it is missing or not a string. */
static int body_str(const json_t *body, const char *name, const char **out, struct err *e)
{
	json_t *v = json_object_get(body, name);

	if (!json_is_string(v))
		return err_set(e, ERR_INVALID, name, "%s is required and must be a string", name);
	*out = json_string_value(v);
	return 0;
}

int api_staff_post(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const char *key, *dept = NULL, *text = NULL;
	json_t *v;
	int rc;

	if (!json_is_object(c->json))
		return err_set(
			e, ERR_INVALID, "",
			"the body must be a JSON object: {\"department\":..., \"text\":...}");
	json_object_foreach(c->json, key, v)
	{
		/* A long name is not quoted: cut, it could end inside a character. */
		if (strcmp(key, "department") != 0 && strcmp(key, "text") != 0)
			return err_set(e, ERR_INVALID, strlen(key) <= 40 ? key : "",
				       "unknown field \"%s\"; the known fields are department and "
				       "text",
				       strlen(key) <= 40 ? key : "(a long name)");
	}
	if ((rc = body_str(c->json, "department", &dept, e)) < 0 ||
	    (rc = body_str(c->json, "text", &text, e)) < 0)
		return rc;
	if ((rc = staff_alert_add(c->store, a->cfg, dept, text, api_now(a), out, e)) < 0)
		return rc;
	c->status = 201;
	return 0;
}

int api_staff_list(struct api *a, struct call *c, json_t **out, struct err *e)
{
	const char *lim = http_in_query(c->in, "limit");
	long limit = LIST_DEFAULT;
	char *end = NULL;

	if (lim != NULL) {
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 1 || limit > LIST_MAX)
			return err_set(e, ERR_INVALID, "limit",
				       "limit must be a whole number from 1 to %d", LIST_MAX);
	}
	return staff_alert_list(c->store, a->cfg, http_in_query(c->in, "department"), (int)limit,
				out, e);
}
