/* test_case_fsm: the case state machine over every (state, action) pair against the table
 * written out again here from the description, the error of a refused transition,
 * what each action needs, and the vocabularies' parsing and labels. */
#include <string.h>

#include "case_fsm.h"
#include "test.h"

/* expected[state][action]: the state it leads to, or -1 when refused. */
static int expected(enum case_state s, enum case_action a)
{
	switch (a) {
	case CA_ACCEPT: return s == CS_RECEIVED ? CS_ACCEPTED : -1;
	case CA_EXPLAIN: return (s == CS_RECEIVED || s == CS_ACCEPTED) ? CS_EXPLAINED : -1;
	case CA_DISPATCH: return (s == CS_ACCEPTED || s == CS_REOPENED) ? CS_DISPATCHED : -1;
	case CA_REASSIGN: return (s == CS_DISPATCHED || s == CS_IN_PROGRESS) ? (int)s : -1;
	case CA_START: return s == CS_DISPATCHED ? CS_IN_PROGRESS : -1;
	case CA_RESOLVE:
		return (s == CS_ACCEPTED || s == CS_DISPATCHED || s == CS_IN_PROGRESS) ? CS_RESOLVED
										       : -1;
	case CA_VISIT: return s == CS_RESOLVED ? CS_VISITED : -1;
	case CA_REOPEN: return s == CS_RESOLVED ? CS_REOPENED : -1;
	case CA_MERGE:
		return (s == CS_RECEIVED || s == CS_ACCEPTED || s == CS_DISPATCHED ||
			s == CS_IN_PROGRESS || s == CS_REOPENED)
			? CS_MERGED
			: -1;
	default: return -1;
	}
}

TEST(every_state_and_action)
{
	int allowed = 0;

	for (int s = 0; s < CS_COUNT; s++) {
		for (int a = 0; a < CA_COUNT; a++) {
			enum case_state to = CS_COUNT;
			struct err e = { 0 };
			int rc = case_fsm_next((enum case_state)s, (enum case_action)a, &to, &e);
			int want = expected((enum case_state)s, (enum case_action)a);

			if (want < 0) {
				CHECK_INT(rc, ERR_CONFLICT);
				CHECK_INT(to, CS_COUNT); /* untouched */
				CHECK(strstr(e.msg, case_state_name((enum case_state)s)) != NULL);
			} else {
				CHECK_INT(rc, 0);
				CHECK_INT(to, want);
				allowed++;
			}
		}
	}
	CHECK_INT(allowed, 18);
}

TEST(closed_states_allow_nothing)
{
	enum case_state closed[] = { CS_EXPLAINED, CS_VISITED, CS_MERGED };

	for (size_t i = 0; i < 3; i++) {
		enum case_state to;
		struct err e;

		CHECK(case_state_closed(closed[i]));
		CHECK_INT(case_fsm_next(closed[i], CA_REOPEN, &to, &e), ERR_CONFLICT);
		CHECK(strstr(e.msg, "nothing (it is closed)") != NULL);
	}
	CHECK(!case_state_closed(CS_RESOLVED));
	CHECK(!case_state_closed(CS_REOPENED));
}

TEST(refusal_names_the_allowed_actions)
{
	enum case_state to;
	struct err e;

	CHECK_INT(case_fsm_next(CS_RESOLVED, CA_DISPATCH, &to, &e), ERR_CONFLICT);
	CHECK_STR(e.msg,
		  "a case that is resolved cannot be dispatched; allowed now: visit or "
		  "reopen");
	CHECK_STR(e.field, "action");
	CHECK_INT(case_fsm_next(CS_RECEIVED, CA_START, &to, &e), ERR_CONFLICT);
	CHECK_STR(e.msg,
		  "a case that is received cannot be started; allowed now: accept, "
		  "explain or merge");
}

TEST(needs_and_names)
{
	enum case_action a;
	enum case_state s;

	CHECK(case_action_needs(CA_EXPLAIN) & NEEDS_NOTE);
	CHECK(case_action_needs(CA_RESOLVE) & NEEDS_NOTE);
	CHECK(case_action_needs(CA_REOPEN) & NEEDS_NOTE);
	CHECK(case_action_needs(CA_REASSIGN) & NEEDS_DEPARTMENT);
	CHECK(case_action_needs(CA_MERGE) & NEEDS_TARGET);
	CHECK_INT(case_action_needs(CA_ACCEPT), 0);
	for (int i = 0; i < CA_COUNT; i++) {
		CHECK_INT(case_action_parse(case_action_name((enum case_action)i), &a), 0);
		CHECK_INT(a, i);
	}
	for (int i = 0; i < CS_COUNT; i++) {
		CHECK_INT(case_state_parse(case_state_name((enum case_state)i), &s), 0);
		CHECK_INT(s, i);
		CHECK(strcmp(case_state_label((enum case_state)i), "?") != 0);
	}
	CHECK_INT(case_action_parse("Accept", &a), -1);
	CHECK_INT(case_action_parse(NULL, &a), -1);
	CHECK_INT(case_state_parse("closed", &s), -1);
	CHECK_STR(case_kind_label("repair"), "报修");
	CHECK_STR(case_source_label("12345"), "12345市民热线");
	CHECK(case_kind_label("leak") == NULL);
	CHECK(case_source_label(NULL) == NULL);
}

int main(void)
{
	RUN(every_state_and_action);
	RUN(closed_states_allow_nothing);
	RUN(refusal_names_the_allowed_actions);
	RUN(needs_and_names);
	return TEST_END();
}
