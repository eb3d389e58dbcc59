/* store_cases: the store's part for cases (tables cases, case_events, case_clocks,
 * case_serials, case_clusters; see store_schema.c). Same contract as store.h: one
 * connection per thread, prepared statements, errors in struct err, times in Unix ms.
 * Called by cases.c, case_watch.c and the API's read endpoints. Holds no rules: which
 * transition is allowed, what is due when, who is told, is decided by the callers.
 * Never logs; the raw views it returns hold personal data and are masked by the caller
 * before anything public sees them. */
#ifndef GATEWAY_STORE_CASES_H
#define GATEWAY_STORE_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

/* A new case as cases.c has checked it. Strings may be NULL (stored as NULL). */
struct store_case_new {
	const char *token, *token_hash, *source, *kind, *category, *cls;
	int major, reply;
	const char *name, *mobile, *address, *account, *content, *request, *area, *owner;
	const char *state;
	int64_t created_ms;
};

/* Inside the caller's transaction (store_begin): the month's (YYYYMM, local) next number,
 * prefix + YYYYMM-NNNNN (ERR_CONFLICT when the month has used all 99999), and storing a
 * case under a number (a fresh one or a kiosk's reservation); *id on success. */
int store_case_next_number(struct store *s, const char *prefix, const char *month, char number[40],
			   struct err *e);
int store_case_insert_numbered(struct store *s, const struct store_case_new *c, const char *number,
			       int64_t *id, struct err *e);

/* Kiosk reservations: a number and token kept for kiosk until its spooled request comes.
 * reservation: 0 with *case_id (0: not used yet) when kiosk reserved number with that token
 * hash, else ERR_INVALID (field reservation). used: the case now exists. */
int store_case_reserve(struct store *s, const char *number, const char *token,
		       const char *token_hash, const char *kiosk, int64_t now_ms, struct err *e);
int store_case_reservation(struct store *s, const char *number, const char *token_hash,
			   const char *kiosk, int64_t *case_id, struct err *e);
int store_case_reservation_used(struct store *s, const char *number, int64_t case_id,
				struct err *e);

/* What the domain needs to decide a transition. Strings "" when NULL. */
struct store_case {
	int64_t id;
	char number[40], token[32], state[16], source[16], kind[16], category[32], cls[32];
	char department[32], area[64], mobile[16], account[64], name[64], owner[64];
	int version, major, reply, reopen_count;
	int64_t created_ms, accepted_ms, resolved_ms, merged_into;
};
/* ERR_NOTFOUND (field number) when there is no such case. */
int store_case_load(struct store *s, const char *number, struct store_case *out, struct err *e);

/* The state change of a transition, applied only when the case still has version
 * expect_version: else ERR_CONFLICT ("changed meanwhile"). The version goes up by one.
 * department/routed NULL keep the old ones; *_ms 0 keep the old ones; merged_into 0 keeps. */
struct store_case_change {
	const char *state, *department, *routed, *cls;
	int64_t accepted_ms, resolved_ms, closed_ms, merged_into;
	int reopened; /* adds one to reopen_count */
	const char *satisfaction; /* NULL keeps */
};
int store_case_change(struct store *s, int64_t id, int expect_version,
		      const struct store_case_change *c, int64_t now_ms, struct err *e);

/* One entry of the case's history. public: shown on the tracking page (with the note only
 * when the note is meant for the customer). */
int store_case_event(struct store *s, int64_t id, int64_t at_ms, const char *actor,
		     const char *action, const char *from, const char *to, const char *note,
		     int public_note, struct err *e);

/* Clocks (enum case_clock in case_rules.h). set: starts or restarts one (met, warned and
 * breached cleared); met: stops it at at_ms unless already met; drop: removes it. */
int store_case_clock_set(struct store *s, int64_t id, int clock, int64_t start_ms, int64_t due_ms,
			 int64_t warn_ms, bool provisional, struct err *e);
int store_case_clock_met(struct store *s, int64_t id, int clock, int64_t at_ms, struct err *e);
int store_case_clock_drop(struct store *s, int64_t id, int clock, struct err *e);
/* For recomputing after a class change: the start of each running clock (-1 when absent or
 * met). */
int store_case_clock_starts(struct store *s, int64_t id, int64_t starts[4], struct err *e);

/* A clock that has reached its warning (breach 0) or its limit (breach 1) unannounced. */
struct store_case_due {
	int64_t case_id;
	char number[40], department[32], kind[16];
	int clock, breach;
	int64_t start_ms, due_ms;
};
/* Up to max such clocks at now_ms, oldest first. Returns how many (>= 0). */
int store_case_due_list(struct store *s, int64_t now_ms, struct store_case_due *out, int max,
			struct err *e);
/* Notes that the warning (breach 0) or breach alert of the clock went out. */
int store_case_due_mark(struct store *s, int64_t id, int clock, int breach, int64_t now_ms,
			struct err *e);

/* Clusters: key (e.g. "area:D01:repair" or "person:138...") gets number at now_ms. A
 * cluster is the run of cases under one key with no gap longer than window_ms. *count: its
 * cases so far; *reported: whether it was reported already; *cluster_id for marking. */
int store_case_cluster_add(struct store *s, const char *key, const char *number, int64_t now_ms,
			   int64_t window_ms, int *count, bool *reported, int64_t *cluster_id,
			   char numbers[512], struct err *e);
int store_case_cluster_reported(struct store *s, int64_t cluster_id, int64_t now_ms, struct err *e);

/* Raw views (personal data unmasked, times as ms numbers):
 * {"id","number","token","source","kind","category","class","major","reply","name",
 *  "mobile","address","account","content","request","area","area_name","owner",
 *  "department","routed","state","version","merged_into","reopen_count","satisfaction",
 *  "created_at","accepted_at","resolved_at","closed_at","updated_at",
 *  "clocks":[{"clock":N,"start_at","due_at","warn_at","provisional","met_at","warned_at",
 *             "breached_at"}],
 *  "events":[{"at","actor","action","from","to","note","public"}]}  (events oldest first)
 * get: by number (staff); by_token: by the token's hash (public; ERR_NOTFOUND alike for
 * every miss). */
int store_case_get(struct store *s, const char *number, json_t **out, struct err *e);
int store_case_by_token(struct store *s, const char *token_hash, json_t **out, struct err *e);

/* Finding cases for staff. Every field optional (NULL / 0). */
struct store_case_query {
	const char *number, *mobile, *account, *area, *state, *department, *kind;
	bool overdue; /* a running clock is past its limit at now_ms */
	bool open; /* not closed */
	int64_t now_ms;
	int limit; /* 1 .. 1000 */
	int offset;
};
/* {"cases":[{"number","kind","category","state","department","area","owner","major",
 * "created_at","due_at" (earliest running limit or null),"overdue"}], "total": N}. Personal
 * data is not in the list (staff open a case to see it). */
int store_case_find(struct store *s, const struct store_case_query *q, json_t **out, struct err *e);

/* A customer message about a case, as a notice of kind kind with case_id set, and one
 * queued outbox row per channel in channels (STORE_CH_SMS to mobile, STORE_CH_WECHAT to
 * the openid of the resident with that account). n: kind, utility, texts, vars, urgent 0,
 * created/expires as for any notice. resident_account may be NULL. *queued: rows queued. */
int store_case_message(struct store *s, int64_t case_id, struct notice *n, const char *mobile,
		       const char *resident_account, int *queued, struct err *e);
/* The openid of the resident with that account (64 bytes), "" when none or opted out. */
int store_case_resident_openid(struct store *s, const char *account, char openid[136],
			       struct err *e);

/* Whether a case has this token hash. */
bool store_case_token_known(struct store *s, const char *token_hash);
/* Whether account is a resident who does not follow the Official Account (yet). */
bool store_case_unfollowed(struct store *s, const char *account);

/* The outage notices a business hall in area shows: outages not over at now_ms, starting
 * before until_ms, announced for the area, above it or below it; the latest notice of
 * each ([{"kind","utility","start_at","end_at","reason","text_wechat"}], times local ISO). */
int store_hall_notices(struct store *s, const char *area, int64_t now_ms, int64_t until_ms,
		       json_t **out, struct err *e);

/* Statistics over cases created in [from_ms, to_ms): see case_stats.h for the shape. */
int store_case_stats(struct store *s, int64_t from_ms, int64_t to_ms, int64_t now_ms, json_t **out,
		     struct err *e);

#endif
