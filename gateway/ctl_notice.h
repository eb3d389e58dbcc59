/* ctl_notice: gatewayctl's notice commands: send (preview, confirm, send, watch), show,
 * watch and list. Called by the command table in ctl_commands.c. Each command gets the words after
 * "notice" (argv[0] is the sub-command's name), prints its results on stdout, leaves the
 * error sentence in e for main to print, and returns a CTL_EXIT_* status.
 * Never sends a notice that was neither confirmed on a terminal nor allowed with --yes. */
#ifndef GATEWAY_CTL_NOTICE_H
#define GATEWAY_CTL_NOTICE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "ctl_api.h"
#include "err.h"

int ctl_notice_send(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_notice_show(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_notice_watch(const struct ctl_api *api, int argc, char **argv, struct err *e);
int ctl_notice_list(const struct ctl_api *api, int argc, char **argv, struct err *e);

/* What `notice send` was asked to do. */
struct ctl_notice_opts {
	json_t *body; /* the request body for POST /api/v1/notices; owned */
	bool yes, no_watch, help;
};

/* Parses notice send's words into o (times converted to ISO 8601, --area and --channels
 * split on commas). Returns 0 or ERR_INVALID with the problem in e; on failure o holds
 * nothing to clean up. */
int ctl_notice_send_parse(int argc, char **argv, struct ctl_notice_opts *o, struct err *e);
void ctl_notice_opts_cleanup(struct ctl_notice_opts *o);

/* Messages a dry-run answer says the notice would send (SMS plus WeChat). */
long long ctl_notice_preview_recipients(const json_t *dry);
/* The dry-run answer for a human: texts, recipients per channel, skips, SMS parts. */
void ctl_notice_print_preview(FILE *f, const json_t *dry);
/* A notice (GET /api/v1/notices/ID) for a human, with grouped failures and skips. */
void ctl_notice_print(FILE *f, const json_t *notice);

#endif
