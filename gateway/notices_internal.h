/* notices_internal: what notices.c (parsing, checks, routing, notices_post) and
 * notices_render.c (area labels, texts, template variables) share: the parsed request and
 * the rendering entry point. Nobody outside the notices module includes this file. */
#ifndef GATEWAY_NOTICES_INTERNAL_H
#define GATEWAY_NOTICES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "notices.h"

#define NOTICES_MAX_AREAS 256
#define NOTICES_MS_PER_MIN 60000LL

/* A POST /api/v1/notices body, parsed; strings are borrowed from the JSON body. */
struct notices_req {
	const char *kind, *reason, *hotline, *force_reason;
	enum utility utility;
	int64_t start_ms, end_ms, references, outage_id;
	bool has_start, has_end, follow_up;
	int channels;
	const char *areas[NOTICES_MAX_AREAS];
	int nareas;
	json_t *orig_areas; /* follow-ups: the first notice's area codes (owned) */
	int urgent;
};

/* Renders the text of every channel the notice uses into texts[0] (sms) and texts[1]
 * (wechat), each malloc'd and owned by the caller (NULL when not rendered), and the
 * template variables as a JSON object into *vars_json (malloc'd, caller frees). On failure
 * some texts may already be set; the caller frees them. */
int notices_render_texts(const struct notices_env *env, const struct notices_req *r, char *texts[2],
			 char **vars_json, struct err *e);

#endif
