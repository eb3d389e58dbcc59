/* ctl_visits: gatewayctl's commands for what happens around a case's visits: `appointment
 * book|move|confirm|cancel|done|missed` (a technician's visit agreed with the complainant)
 * and `visits tasks|answer` (the phone-visit list of return visits nobody answered, and the
 * answer an agent got on the phone); and the printer of a case's appointments, return
 * visits and replies for `case show`. Same contract as ctl_case.h: argv[0] is the
 * sub-command, results go to stdout, warnings to stderr, the error sentence to e, and a
 * CTL_EXIT_* status comes back (1 when the gateway said no, 2 for a bad command line).
 * Prints a complainant's data only on stdout, and only what the staff API gives. */
#ifndef GATEWAY_CTL_VISITS_H
#define GATEWAY_CTL_VISITS_H

#include <stdio.h>

#include <jansson.h>

#include "ctl_api.h"
#include "err.h"

/* appointment book NUMBER --type T --start TIME --end TIME [...]: prints the new
 * appointment's id, window and status; the gateway's warnings (a technician booked twice
 * in the window) go to stderr as "warning: ...". */
int ctl_visits_book(const struct ctl_api *api, int argc, char **argv, struct err *e);
/* appointment move|confirm|cancel|done|missed NUMBER ID [...]: argv[0] names the action
 * ("move" is the API's "reschedule" and needs --start and --end). */
int ctl_visits_change(const struct ctl_api *api, int argc, char **argv, struct err *e);
/* visits tasks [--csv FILE | --json]: the phone-visit list as a table, its header always. */
int ctl_visits_tasks(const struct ctl_api *api, int argc, char **argv, struct err *e);
/* visits answer NUMBER ANSWER: the answer of a return-visit call (1, 2, 3 or the words). */
int ctl_visits_answer(const struct ctl_api *api, int argc, char **argv, struct err *e);

/* The "appointments", "surveys" and "replies" of a staff view (GET /api/v1/cases/{number})
 * as sections of `case show`; a section is left out when its list is empty or missing.
 * The replies are the residents' own texts: control characters are shown as spaces, so
 * that a reply cannot move the terminal's cursor. */
void ctl_visits_print(FILE *f, const json_t *view);

#endif
