/* ctl_residents: gatewayctl's commands on areas and residents: CSV imports (the file is
 * uploaded whole and the gateway's report printed: counts on stdout, skipped rows on
 * stderr), lists (tab-separated, so that they paste into a spreadsheet or feed cut/awk),
 * one resident and a resident's message history. Called by gatewayctl.c's command table;
 * same contract as ctl_notice.h: argv[0] is the sub-command, the error sentence goes to e,
 * a CTL_EXIT_* status comes back. Prints residents' data only on stdout, never to a log. */
#ifndef GATEWAY_CTL_RESIDENTS_H
#define GATEWAY_CTL_RESIDENTS_H

#include "ctl_api.h"
#include "err.h"

int ctl_residents_areas_import(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_residents_areas_list(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_residents_import(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_residents_list(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_residents_show(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_residents_history(const struct ctl_api *api, int argc, char **argv, struct err *e);

#endif
