/* case_fsm: the transition table of cases and the labels of their vocabularies; see
 * case_fsm.h for the diagram. Adding a transition is one row in transitions[]; nothing else
 * decides whether a case may move. Pure. */
#include "case_fsm.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name, *label;
	bool closed;
} states[CS_COUNT] = {
	[CS_RECEIVED] = { "received", "已登记", false },
	[CS_ACCEPTED] = { "accepted", "已受理", false },
	[CS_EXPLAINED] = { "explained", "已解释办结", true },
	[CS_DISPATCHED] = { "dispatched", "已派单", false },
	[CS_IN_PROGRESS] = { "in_progress", "处理中", false },
	[CS_RESOLVED] = { "resolved", "已处理", false },
	[CS_VISITED] = { "visited", "已回访办结", true },
	[CS_REOPENED] = { "reopened", "重新处理", false },
	[CS_MERGED] = { "merged", "已合并", true },
};

static const struct {
	const char *name, *verb;
	unsigned needs;
} actions[CA_COUNT] = {
	[CA_ACCEPT] = { "accept", "accepted", 0 },
	[CA_EXPLAIN] = { "explain", "explained", NEEDS_NOTE },
	[CA_DISPATCH] = { "dispatch", "dispatched", 0 },
	[CA_REASSIGN] = { "reassign", "reassigned", NEEDS_DEPARTMENT },
	[CA_START] = { "start", "started", 0 },
	[CA_RESOLVE] = { "resolve", "resolved", NEEDS_NOTE },
	[CA_VISIT] = { "visit", "visited", 0 },
	[CA_REOPEN] = { "reopen", "reopened", NEEDS_NOTE },
	[CA_MERGE] = { "merge", "merged", NEEDS_TARGET },
};

/* The explicit transition table: (from, action) -> to. */
static const struct {
	enum case_state from;
	enum case_action action;
	enum case_state to;
} transitions[] = {
	{ CS_RECEIVED, CA_ACCEPT, CS_ACCEPTED },
	{ CS_RECEIVED, CA_EXPLAIN, CS_EXPLAINED },
	{ CS_ACCEPTED, CA_EXPLAIN, CS_EXPLAINED },
	{ CS_ACCEPTED, CA_DISPATCH, CS_DISPATCHED },
	{ CS_REOPENED, CA_DISPATCH, CS_DISPATCHED },
	{ CS_DISPATCHED, CA_REASSIGN, CS_DISPATCHED },
	{ CS_IN_PROGRESS, CA_REASSIGN, CS_IN_PROGRESS },
	{ CS_DISPATCHED, CA_START, CS_IN_PROGRESS },
	{ CS_ACCEPTED, CA_RESOLVE, CS_RESOLVED },
	{ CS_DISPATCHED, CA_RESOLVE, CS_RESOLVED },
	{ CS_IN_PROGRESS, CA_RESOLVE, CS_RESOLVED },
	{ CS_RESOLVED, CA_VISIT, CS_VISITED },
	{ CS_RESOLVED, CA_REOPEN, CS_REOPENED },
	{ CS_RECEIVED, CA_MERGE, CS_MERGED },
	{ CS_ACCEPTED, CA_MERGE, CS_MERGED },
	{ CS_DISPATCHED, CA_MERGE, CS_MERGED },
	{ CS_IN_PROGRESS, CA_MERGE, CS_MERGED },
	{ CS_REOPENED, CA_MERGE, CS_MERGED },
};

static const struct {
	const char *name, *label;
} kinds[] = {
	{ "consultation", "咨询" }, { "repair", "报修" },    { "complaint", "投诉" },
	{ "suggestion", "建议" },   { "theft", "举报偷水" }, { "quality", "水质反映" },
};

static const struct {
	const char *name, *label;
} sources[] = {
	{ "phone", "来电" },          { "visit", "来访" }, { "letter", "来信" },
	{ "12345", "12345市民热线" }, { "media", "媒体" }, { "wechat", "微信" },
	{ "kiosk", "自助终端" },      { "web", "网站" },
};

const char *case_state_name(enum case_state s)
{
	return (s >= 0 && s < CS_COUNT) ? states[s].name : "?";
}

const char *case_state_label(enum case_state s)
{
	return (s >= 0 && s < CS_COUNT) ? states[s].label : "?";
}

int case_state_parse(const char *name, enum case_state *out)
{
	for (int i = 0; i < CS_COUNT; i++)
		if (name != NULL && strcmp(name, states[i].name) == 0) {
			*out = (enum case_state)i;
			return 0;
		}
	return -1;
}

bool case_state_closed(enum case_state s)
{
	return s >= 0 && s < CS_COUNT && states[s].closed;
}

const char *case_action_name(enum case_action a)
{
	return (a >= 0 && a < CA_COUNT) ? actions[a].name : "?";
}

int case_action_parse(const char *name, enum case_action *out)
{
	for (int i = 0; i < CA_COUNT; i++)
		if (name != NULL && strcmp(name, actions[i].name) == 0) {
			*out = (enum case_action)i;
			return 0;
		}
	return -1;
}

unsigned case_action_needs(enum case_action a)
{
	return (a >= 0 && a < CA_COUNT) ? actions[a].needs : 0;
}

/* "accept or explain" for the actions allowed from s; "nothing" for a closed state. */
static void allowed(enum case_state s, char *out, size_t n)
{
	size_t used = 0;
	int k = 0, count = 0;

	for (size_t i = 0; i < ARRAY_LEN(transitions); i++)
		count += transitions[i].from == s;
	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(transitions) && used < n; i++) {
		if (transitions[i].from != s)
			continue;
		k++;
		used += (size_t)snprintf(out + used, n - used, "%s%s",
					 k == 1 ? "" : (k == count ? " or " : ", "),
					 actions[transitions[i].action].name);
	}
	if (count == 0)
		snprintf(out, n, "nothing (it is closed)");
}

int case_fsm_next(enum case_state from, enum case_action a, enum case_state *to, struct err *e)
{
	char ok[200];

	for (size_t i = 0; i < ARRAY_LEN(transitions); i++)
		if (transitions[i].from == from && transitions[i].action == a) {
			*to = transitions[i].to;
			return 0;
		}
	allowed(from, ok, sizeof(ok));
	return err_set(e, ERR_CONFLICT, "action", "a case that is %s cannot be %s; allowed now: %s",
		       case_state_name(from), actions[a].verb, ok);
}

const char *case_kind_label(const char *kind)
{
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (kind != NULL && strcmp(kind, kinds[i].name) == 0)
			return kinds[i].label;
	return NULL;
}

const char *case_source_label(const char *source)
{
	for (size_t i = 0; i < ARRAY_LEN(sources); i++)
		if (source != NULL && strcmp(source, sources[i].name) == 0)
			return sources[i].label;
	return NULL;
}

const char *case_kind_list(void)
{
	return "consultation, repair, complaint, suggestion, theft, quality";
}

const char *case_source_list(void)
{
	return "phone, visit, letter, 12345, media, wechat, kiosk, web";
}
