/* templates: message texts, one file per message kind and channel, with named variables.
 * Owns: loading every template under the templates directory at start-up, checking each
 * against the const table of known kinds and their variables (a missing template or an
 * unknown {{variable}} is a start-up error with file and line), and rendering. An SMS text
 * is rendered with the configured signature 【…】 in front. Read-only after load: safe to
 * share between threads. Never does I/O after templates_load. */
#ifndef GATEWAY_TEMPLATES_H
#define GATEWAY_TEMPLATES_H

#include <stddef.h>

#include "err.h"

#define TEMPLATES_MAX_PROBLEMS 32

struct templates; /* opaque */

struct tmpl_var {
	const char *name;
	const char *value;
};

struct tmpl_problems {
	int n;
	char msg[TEMPLATES_MAX_PROBLEMS][300];
};

/* Loads dir/<kind>.<channel>.txt for every (kind, channel) in the built-in table (kinds:
 * planned emergency update restored cancelled, the case messages case_accepted
 * case_dispatched case_resolved case_explained, the appointment messages appt_confirmed
 * appt_reminder appt_moved appt_cancelled appt_missed, and survey; channels: sms wechat). Syntax: {{name}}
 * inserts a variable; text is UTF-8; a trailing newline is dropped; "{{" without a closing
 * "}}" is an error. sms_signature (e.g. "【幸福水务】") is put in front of SMS texts.
 * On failure returns ERR_INVALID with every problem in *probs (may be NULL), first in e.
 * *out: caller frees with templates_free. */
int templates_load(const char *dir, const char *sms_signature, struct templates **out,
		   struct tmpl_problems *probs, struct err *e);
void templates_free(struct templates *t);
/* Renders kind/channel with vars (a variable used by the template but absent from vars
 * renders as "" — the caller passes every variable of the kind). *out is malloc'd, caller
 * frees. ERR_NOTFOUND for an unknown kind/channel. */
int templates_render(const struct templates *t, const char *kind, const char *channel,
		     const struct tmpl_var *vars, size_t nvars, char **out, struct err *e);
/* The variables a kind may use, NULL-terminated; NULL for an unknown kind. */
const char *const *templates_kind_vars(const char *kind);

#endif
