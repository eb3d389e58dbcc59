/* ctl_case: gatewayctl's case commands for dispatchers and hotline agents: create, move,
 * note and class (ctl_case.c, the commands that change a case), show and find
 * (ctl_case_show.c, with the printers of a case), qr and stats (ctl_case_report.c, the
 * downloads that are not JSON and the statistics report). Called by the command table in
 * ctl_commands.c; same contract as ctl_notice.h: argv[0] is the sub-command, results go to stdout, the
 * error sentence goes to e for main to print, a CTL_EXIT_* status comes back (1 when the
 * gateway said no, 409 conflicts included; 2 for a bad command line).
 * Prints a complainant's data only on stdout, and only what the staff API gives. */
#ifndef GATEWAY_CTL_CASE_H
#define GATEWAY_CTL_CASE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "ctl_api.h"
#include "err.h"

int ctl_case_create(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_case_move(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_case_note(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_case_class(const struct ctl_api *api, int argc, char **argv, struct err *e);

int ctl_case_show(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_case_find(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_case_qr(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_case_stats(const struct ctl_api *api, int argc, char **argv, struct err *e);

/* "/api/v1/cases/NUMBER" + suffix into out, the number escaped. ERR_INVALID when the number
 * is empty or too long. */
int ctl_case_path(const char *number, const char *suffix, char *out, size_t outsz, struct err *e);
/* "2026-11-23T09:00:00+08:00" as "2026-11-23 09:00" when it is in China Standard Time
 * (CTL_LOCAL_OFFSET_MIN), any other text unchanged; "" stays "". out: 32 bytes. */
void ctl_case_short_time(const char *iso, char out[32]);
/* s padded with spaces to width columns of a terminal; CJK characters take two. */
void ctl_case_print_padded(FILE *f, const char *s, int width);
/* The clocks of a staff view, one line each: label, due time, and met (when), running or
 * late. Nothing when the case has no clocks (not accepted yet). */
void ctl_case_print_clocks(FILE *f, const json_t *view);
/* The whole staff view (GET /api/v1/cases/{number}) for a human: the case card, its clocks,
 * its appointments, return visits and replies, and its history. */
void ctl_case_print(FILE *f, const json_t *view);
/* A statistics answer (GET /api/v1/case-stats) as a short report: totals, rates, on-time
 * rate per clock and the departments with the most cases. */
void ctl_case_print_stats(FILE *f, const json_t *stats);
/* v as indented JSON and a line end, for --json. */
void ctl_case_print_json(FILE *f, const json_t *v);

#endif
