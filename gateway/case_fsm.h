/* case_fsm: the case state machine as a const transition table, and the fixed vocabularies
 * of cases (states, actions, kinds, sources) with their Chinese labels.
 *
 *   received --accept--> accepted --dispatch--> dispatched --start--> in_progress
 *   received|accepted --explain--> explained (closed: unfounded, explanation sent)
 *   accepted|dispatched|in_progress --resolve--> resolved --visit--> visited (closed)
 *   resolved --reopen--> reopened --dispatch--> dispatched ...
 *   dispatched|in_progress --reassign--> (same state, another department)
 *   any open state --merge--> merged (closed: a duplicate of another case)
 *
 * docs/cases.md draws it. Pure: no I/O, no state. */
#ifndef GATEWAY_CASE_FSM_H
#define GATEWAY_CASE_FSM_H

#include <stdbool.h>

#include "err.h"

enum case_state {
	CS_RECEIVED,
	CS_ACCEPTED,
	CS_EXPLAINED,
	CS_DISPATCHED,
	CS_IN_PROGRESS,
	CS_RESOLVED,
	CS_VISITED,
	CS_REOPENED,
	CS_MERGED,
	CS_COUNT
};

enum case_action {
	CA_ACCEPT,
	CA_EXPLAIN,
	CA_DISPATCH,
	CA_REASSIGN,
	CA_START,
	CA_RESOLVE,
	CA_VISIT,
	CA_REOPEN,
	CA_MERGE,
	CA_COUNT
};

/* What an action needs besides the state. */
enum case_needs {
	NEEDS_NOTE = 1 << 0, /* explain (the explanation), resolve (the result), reopen (why) */
	NEEDS_DEPARTMENT = 1 << 1, /* reassign: a department must be named */
	NEEDS_TARGET = 1 << 2, /* merge: the number of the case it duplicates */
};

const char *case_state_name(enum case_state s);
const char *case_state_label(enum case_state s); /* 已登记, 已受理, ... */
/* 0 and *out, or -1 for an unknown name. */
int case_state_parse(const char *name, enum case_state *out);
bool case_state_closed(enum case_state s); /* explained, visited, merged */

const char *case_action_name(enum case_action a);
int case_action_parse(const char *name, enum case_action *out);
unsigned case_action_needs(enum case_action a);

/* The state action a leads to from from: 0 and *to, or ERR_CONFLICT with a message that
 * names the state, the action and the actions the state allows ("a case that is resolved
 * can be visited or reopened, not dispatched"). *to is written only on success. */
int case_fsm_next(enum case_state from, enum case_action a, enum case_state *to, struct err *e);

/* Kinds and sources: the wire names and Chinese labels. NULL when unknown. */
const char *case_kind_label(const char *kind);
const char *case_source_label(const char *source);
/* The names, comma-separated, for error messages. */
const char *case_kind_list(void);
const char *case_source_list(void);

#endif
