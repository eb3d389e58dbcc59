/* visits_internal: what appointments.c, appointments_flow.c and surveys.c share. Nobody
 * else includes this file. */
#ifndef GATEWAY_VISITS_INTERNAL_H
#define GATEWAY_VISITS_INTERNAL_H

#include <jansson.h>

#include "cases.h"
#include "store_visits.h"

int appointments_type_of(const char *name);
bool appointments_active(const char *status);
/* "11月28日14:00-16:00" into out (80 bytes). */
void appointments_window_text(const struct cases_env *env, int64_t start, int64_t end,
			      char out[80]);
int appointments_plan_reminders(const struct cases_env *env, struct store *s, int64_t appt_id,
				int64_t start_ms, int64_t now_ms, struct err *e);
json_t *appointments_json(const struct cases_env *env, const struct store_appt *a);
/* An ISO time field of b (required) into *out; ERR_INVALID naming key. */
int appointments_time_field(const json_t *b, const char *key, int64_t *out, struct err *e);

#endif
