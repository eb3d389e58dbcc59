/* ctl_commands: gatewayctl's const table of commands and everything that reads it: finding
 * the command typed ("resident" finds "residents"), the usage lines, the command list and
 * `gatewayctl help`. Called by gatewayctl.c's main. The commands themselves live in the
 * ctl_*.c files the table names; this file only describes them and never talks to the
 * gateway. */
#ifndef GATEWAY_CTL_COMMANDS_H
#define GATEWAY_CTL_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "ctl_api.h"
#include "err.h"

#define CTL_DEFAULT_URL "http://127.0.0.1:8080"
#define CTL_DEFAULT_CONFIG "config/gateway.ini"

/* One command: "gatewayctl GROUP NAME ARGS". run gets argv[0] = NAME and returns a
 * CTL_EXIT_* status, with the error sentence in e for main to print. */
struct ctl_command {
	const char *group, *name;
	int (*run)(const struct ctl_api *api, int argc, char **argv, struct err *e);
	bool local; /* works on the database directly: needs no gateway */
	const char *args; /* what follows "gatewayctl GROUP NAME" in the usage line */
	const char *summary; /* one line for the command list */
	const char *help; /* the options, one per line, indented */
};

/* `key create`, the one local command: it writes into the database, so it lives with main
 * in gatewayctl.c (the only program that links this table). */
int ctl_key_create(const struct ctl_api *api, int argc, char **argv, struct err *e);

/* The command typed as group and name, or NULL (also for name NULL). A group may be typed
 * with or without a final "s": "resident" and "residents", "notice" and "notices". */
const struct ctl_command *ctl_commands_find(const char *group, const char *name);
/* Whether any command has this group (typed as above). */
bool ctl_commands_group_exists(const char *group);

/* "usage: gatewayctl [--url URL] [--key KEY] GROUP NAME ARGS" and the command's help. */
void ctl_commands_print_usage(FILE *f, const struct ctl_command *c);
/* The usage line of every command of group, then where to read more. */
void ctl_commands_print_group(FILE *f, const char *group);
/* The command list with the global options and the exit statuses. */
void ctl_commands_print_main(FILE *f);

/* gatewayctl help [GROUP [NAME]]: argv[0] is "help". Prints to stdout and returns
 * CTL_EXIT_OK, or prints the command list to stderr and returns CTL_EXIT_USAGE when there
 * is no such command. */
int ctl_commands_help(int argc, char **argv);

#endif
