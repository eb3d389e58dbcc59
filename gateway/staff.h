/* staff: alerts for the utility's own staff, sent to one WeCom group robot per department.
 * Owns: checking a new alert (its department has a robot, its text fits one message whole),
 * the sliding window that keeps each robot within [staff] per_minute messages in any 60 s,
 * and the sender thread: about every second, each robot whose window has room is sent its
 * department's waiting alerts, oldest first, merged into one markdown message
 * (wecom_merge), and the outcome is recorded for every alert in it. Called by the API (add,
 * list) and by gatewayd (start, join).
 * Alerts are never dropped: a refused try (RETRY, THROTTLED) leaves them waiting and the
 * robot backs off; only a permanent refusal marks them failed, so that they cannot block
 * the queue. Never logs an alert's text (it may name residents). */
#ifndef GATEWAY_STAFF_H
#define GATEWAY_STAFF_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "err.h"
#include "store.h"

#define STAFF_TEXT_MAX_CHARS 2000
/* A markdown message holds 4096 bytes; an alert of up to this many bytes always fits whole
 * after the message's header, so no alert is ever cut short. */
#define STAFF_TEXT_MAX_BYTES 4000
#define STAFF_WINDOW_MS 60000 /* WeCom counts a robot's messages per minute */

/* The latest sends to one robot: a sliding window, exact where a token bucket would only
 * average. Pure: the caller passes the time. */
struct staff_window {
	int limit; /* most sends in any STAFF_WINDOW_MS */
	int n; /* sends remembered (at most limit), in the order they were noted */
	int64_t at[CONFIG_STAFF_PER_MINUTE_MAX];
};
/* limit: 1 .. CONFIG_STAFF_PER_MINUTE_MAX. */
void staff_window_init(struct staff_window *w, int limit);
/* Milliseconds until another send may start: 0 when now_ms is at least STAFF_WINDOW_MS after
 * the send limit sends ago (or fewer than limit were noted). */
int64_t staff_window_wait_ms(const struct staff_window *w, int64_t now_ms);
/* Notes a send at at_ms. The sender notes the time the answer came back: the robot counts a
 * message when it arrives, which is before then, so the robot never sees more than limit
 * messages in any minute either. */
void staff_window_note(struct staff_window *w, int64_t at_ms);

/* Queues text (1 .. STAFF_TEXT_MAX_CHARS characters of UTF-8, at most STAFF_TEXT_MAX_BYTES,
 * not only blanks) for department's robot. *out: {"id","department","queued":true}.
 * ERR_INVALID (field department or text) for an unknown department or a bad text. */
int staff_alert_add(struct store *s, const struct gw_config *cfg, const char *department,
		    const char *text, int64_t now_ms, json_t **out, struct err *e);
/* {"department","pending":N,"alerts":[...]} (store_staff_list) for department, or for every
 * department when it is NULL (then "department" is null). ERR_INVALID for an unknown
 * department. */
int staff_alert_list(struct store *s, const struct gw_config *cfg, const char *department,
		     int limit, json_t **out, struct err *e);

struct staff_env {
	const struct gw_config *cfg;
	const struct clock *clock;
	atomic_int *stop; /* set to non-zero to ask the sender to stop */
};

struct staff;

/* Starts the sender thread for cfg->staff_robots (there must be at least one), with its own
 * store connection. */
int staff_start(const struct staff_env *env, struct staff **out, struct err *e);
/* Waits for the thread (after *env->stop was set; a message in flight is finished and
 * recorded first) and frees it. Accepts NULL. */
void staff_join(struct staff *st);

#endif
