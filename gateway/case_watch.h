/* case_watch: the thread that watches case deadlines. About once a second it asks the store
 * for every clock that reached its warning share or its limit (cases_watch_tick in
 * case_watch.c) and alerts the department (and, at the limit, the leaders in charge). The
 * state lives in the database (case_clocks.warned_at / breached_at), so nothing is lost or
 * repeated across restarts, and time comes from the injected clock. */
#ifndef GATEWAY_CASE_WATCH_H
#define GATEWAY_CASE_WATCH_H

#include <stdatomic.h>

#include "cases.h"
#include "clock.h"
#include "err.h"

struct case_watch;

/* Starts the thread with its own store connection on env->cfg->db_path. */
int case_watch_start(const struct cases_env *env, const struct clock *clock, atomic_int *stop,
		     struct case_watch **out, struct err *e);
/* Waits for the thread (after *stop was set) and frees it. Accepts NULL. */
void case_watch_join(struct case_watch *w);

#endif
