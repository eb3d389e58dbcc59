/* ctl_commands: the const table of gatewayctl's commands with their usage and help, and
 * the lookup and printers that read it (see ctl_commands.h). Adding a command is one entry
 * here and its function in a ctl_*.c file; main, the help and the command list follow. The
 * usage texts are the command line's documentation: keep them in step with the options
 * each command parses. */
#include "ctl_commands.h"

#include <string.h>

#include "ctl_case.h"
#include "ctl_notice.h"
#include "ctl_residents.h"
#include "ctl_util.h"
#include "ctl_visits.h"

/* The options of the appointment changes that take no new window. */
#define APPT_CHANGE_HELP                                                                           \
	"  ID            the appointment's id, as `appointment book` and `case show` print it\n"   \
	"  --note TEXT   kept in the case's history with the change\n"                             \
	"  --version V   refuse if someone changed the appointment since version V\n"              \
	"  --json        print the gateway's answer as JSON\n"                                     \
	"Exits 1 with the gateway's reason when the appointment cannot change (it is done,\n"      \
	"cancelled or missed already).\n"

static const struct ctl_command commands[] = {
	{ "key", "create", ctl_key_create, true,
	  "--role ROLE [--name NAME] [--config FILE | --db FILE]",
	  "create an API key (prints it once)",
	  "  --role ROLE     admin, dispatcher, agent or kiosk\n"
	  "  --name NAME     who or what the key is for (default: the role)\n"
	  "  --config FILE   configuration naming the database (default " CTL_DEFAULT_CONFIG ")\n"
	  "  --db FILE       the database itself, without reading the configuration\n"
	  "Works on the database directly. The key alone goes to stdout, so that a script can\n"
	  "capture it; only its hash is stored, so it cannot be shown again.\n" },
	{ "areas", "import", ctl_residents_areas_import, false, "FILE.csv",
	  "import areas from CSV (code,name,parent,level)",
	  "  FILE.csv   UTF-8 or GBK, header code,name,parent,level; - reads stdin\n" },
	{ "areas", "list", ctl_residents_areas_list, false, "",
	  "list areas with their resident counts", "" },
	{ "residents", "import", ctl_residents_import, false, "FILE.csv",
	  "import the billing system's resident CSV export",
	  "  FILE.csv   UTF-8 or GBK (detected); - reads stdin\n"
	  "Prints the counts; rows that were skipped are listed on stderr. Exits 0 when the\n"
	  "import ran, even if some rows were skipped.\n" },
	{ "residents", "list", ctl_residents_list, false, "[--area CODE] [--limit N] [--offset N]",
	  "list residents, tab-separated",
	  "  --area CODE   only residents in this area or below it\n"
	  "  --limit N     at most N rows (default 100, at most 10000)\n"
	  "  --offset N    skip the first N rows\n" },
	{ "resident", "show", ctl_residents_show, false, "ACCOUNT", "show one resident", "" },
	{ "resident", "history", ctl_residents_history, false, "ACCOUNT",
	  "messages sent to a resident, newest first", "" },
	{ "notice", "send", ctl_notice_send, false,
	  "--kind K --utility U --area CODE... --start TIME --end TIME --reason R --hotline H\n"
	  "                [--channels sms,wechat] [--references ID] [--force REASON] [--yes] "
	  "[--no-watch]",
	  "preview, confirm, send and watch an outage notice",
	  "  --kind K           planned, emergency, update, restored or cancelled\n"
	  "  --utility U        water, power or heat (not for update/restored/cancelled)\n"
	  "  --area CODE        an area code; repeat it or separate codes with commas\n"
	  "  --start, --end     2026-11-23 09:00 (local, +08:00), 2026-11-23T09:00, or ISO 8601\n"
	  "                     with an offset such as 2026-11-23T09:00:00+08:00\n"
	  "  --reason R         why the supply stops\n"
	  "  --hotline H        the number residents may call\n"
	  "  --channels LIST    sms, wechat or sms,wechat (default both)\n"
	  "  --references ID    the first notice of the outage (update, restored, cancelled)\n"
	  "  --force REASON     send a planned notice despite too short a lead time; recorded\n"
	  "  --yes              do not ask before sending (needed when stdin is not a terminal)\n"
	  "  --no-watch         return once the notice is created\n"
	  "Exits 4 when some messages failed.\n" },
	{ "notice", "show", ctl_notice_show, false, "ID",
	  "show a notice, its progress and grouped failures", "" },
	{ "notice", "watch", ctl_notice_watch, false, "ID",
	  "follow a notice's progress until it is done",
	  "Polls twice a second. Exits 0 when done with no failures, 4 when some failed.\n"
	  "Ctrl-C stops the watching, not the sending.\n" },
	{ "notice", "list", ctl_notice_list, false, "[--limit N]", "list recent notices",
	  "  --limit N   at most N notices, newest first (default 20)\n" },
	{ "case", "create", ctl_case_create, false,
	  "--kind K --source S --content TEXT [--category C]\n"
	  "                [--class X] [--name N] [--mobile M] [--address A] [--account ACC]\n"
	  "                [--area CODE] [--request TEXT] [--department D] [--major] "
	  "[--no-reply]\n"
	  "                [--accept [--dispatch]] [--json]",
	  "register a case (complaint, repair, ...)",
	  "  --kind K          consultation, repair, complaint, suggestion, theft or quality\n"
	  "  --source S        phone, visit, letter, 12345, media, wechat, kiosk or web\n"
	  "  --content TEXT    what the complainant says; - reads it from stdin\n"
	  "  --category C      a category code of the case rules (leak, burst, billing ...)\n"
	  "  --class X         the deadline class, instead of the one the rules give\n"
	  "  --name, --mobile, --address, --account   the complainant (all optional)\n"
	  "  --area CODE       where it happens (an area code)\n"
	  "  --request TEXT    what the complainant asks for\n"
	  "  --department D    send it to this department instead of the routing rules'\n"
	  "  --major           a major complaint: the leaders are told at once\n"
	  "  --no-reply        the complainant wants no reply (an anonymous case)\n"
	  "  --accept          accept it at once: its deadlines start now\n"
	  "  --dispatch        and dispatch it to its department (needs --accept)\n"
	  "  --json            print the gateway's answer as JSON\n"
	  "Prints the case number, its state, department, promised times and tracking URL.\n" },
	{ "case", "show", ctl_case_show, false, "NUMBER [--json]",
	  "show a case with its deadlines and history",
	  "  --json   print the gateway's answer as JSON\n" },
	{ "case", "find", ctl_case_find, false,
	  "[--mobile M] [--account A] [--area CODE] [--state S]\n"
	  "                [--department D] [--kind K] [--overdue] [--open] [--limit N] "
	  "[--offset N]\n"
	  "                [--json]",
	  "find cases, newest first",
	  "  --mobile M, --account A   the complainant's mobile or account number\n"
	  "  --area CODE       cases in this area or below it\n"
	  "  --state S         received, accepted, dispatched, in_progress, resolved, visited,\n"
	  "                    explained, reopened or merged\n"
	  "  --department D, --kind K\n"
	  "  --overdue         only cases with a deadline passed and not met\n"
	  "  --open            only cases not closed yet\n"
	  "  --limit N         at most N cases (default 50, at most 1000)\n"
	  "  --offset N        skip the first N cases\n"
	  "  --json            print the gateway's answer as JSON\n"
	  "\"due\" is the earliest deadline not met yet. The count goes to stderr.\n" },
	{ "case", "move", ctl_case_move, false,
	  "NUMBER ACTION [--note TEXT] [--department D]\n"
	  "                [--into NUMBER] [--version V] [--json]",
	  "take a case a step further (accept, dispatch, resolve ...)",
	  "  ACTION            accept, explain, dispatch, reassign, start, resolve, visit,\n"
	  "                    reopen or merge\n"
	  "  --note TEXT       explain, resolve and reopen need one (explain's goes to the\n"
	  "                    customer)\n"
	  "  --department D    for reassign (and dispatch, instead of the routing rules)\n"
	  "  --into NUMBER     for merge: the case this one duplicates\n"
	  "  --version V       refuse if someone changed the case since version V\n"
	  "  --json            print the gateway's answer as JSON\n"
	  "Exits 1 with the gateway's reason when the step is not allowed now.\n" },
	{ "case", "note", ctl_case_note, false, "NUMBER TEXT [--contact] [--json]",
	  "add an internal note to a case",
	  "  TEXT        the note; - reads it from stdin\n"
	  "  --contact   the note records contact with the customer (meets the first-contact\n"
	  "              deadline)\n"
	  "  --json      print the gateway's answer as JSON\n" },
	{ "case", "class", ctl_case_class, false, "NUMBER CLASS [--version V] [--json]",
	  "change a case's deadline class",
	  "  CLASS         a [class.NAME] of the case rules (urgent, general, complaint ...);\n"
	  "                running deadlines keep their start and get the new limits\n"
	  "  --version V   refuse if someone changed the case since version V\n"
	  "  --json        print the gateway's answer as JSON\n" },
	{ "case", "qr", ctl_case_qr, false,
	  "NUMBER --out FILE [--format png|svg]\n                [--module N]",
	  "save the QR code of a case's tracking page",
	  "  --out FILE      where to write it; - writes to stdout\n"
	  "  --format F      png or svg (default: svg when FILE ends in .svg, else png)\n"
	  "  --module N      pixels per module, 1 to 32 (default 8)\n" },
	{ "case", "stats", ctl_case_stats, false,
	  "[--month YYYY-MM | --quarter YYYY-QN |\n"
	  "                --from DATE --to DATE] [--csv FILE | --json]",
	  "case statistics for a month, quarter or date range",
	  "  --month 2026-11         a calendar month (default: this month)\n"
	  "  --quarter 2026-Q4       a quarter\n"
	  "  --from D --to D         dates such as 2026-11-01; both days are included\n"
	  "  --csv FILE              write the full statistics as CSV (UTF-8 with a BOM, for\n"
	  "                          Excel) instead of the summary; - writes to stdout\n"
	  "  --json                  print the gateway's answer as JSON\n" },
	{ "appointment", "book", ctl_visits_book, false,
	  "NUMBER --type T --start TIME --end TIME\n"
	  "                [--technician NAME] [--address-ref REF] [--proposed] [--json]",
	  "book a visit to the complainant (repair, meter ...)",
	  "  --type T            temperature (室温测量), repair (上门维修), meter (水表检定)\n"
	  "                      or inspection (现场勘查)\n"
	  "  --start, --end      the window: 2026-11-28 14:00 (local, +08:00) or ISO 8601 with\n"
	  "                      an offset; it must lie in the type's booking hours\n"
	  "  --technician NAME   who goes; another visit of theirs in the window is warned of\n"
	  "  --address-ref REF   where, when it is not the complainant's address\n"
	  "  --proposed          the time is only proposed, not yet agreed with the complainant\n"
	  "  --json              print the gateway's answer as JSON\n"
	  "Prints the appointment's id, window and status; warnings go to stderr. The\n"
	  "complainant is told at once and reminded before the visit. Exits 1 with the\n"
	  "gateway's reason when the window is refused.\n" },
	{ "appointment", "move", ctl_visits_change, false,
	  "NUMBER ID --start TIME --end TIME\n"
	  "                [--note TEXT] [--version V] [--json]",
	  "move an appointment to another window",
	  "  ID               the appointment's id, as `appointment book` and `case show` print it\n"
	  "  --start, --end   the new window, as for `appointment book`\n"
	  "  --note TEXT      why it moves (kept in the case's history)\n"
	  "  --version V      refuse if someone changed the appointment since version V\n"
	  "  --json           print the gateway's answer as JSON\n"
	  "The complainant is told; the reminders of the old window are cancelled.\n" },
	{ "appointment", "confirm", ctl_visits_change, false,
	  "NUMBER ID [--note TEXT]\n                [--version V] [--json]",
	  "record that the complainant agreed to a proposed time", APPT_CHANGE_HELP },
	{ "appointment", "cancel", ctl_visits_change, false,
	  "NUMBER ID [--note TEXT]\n                [--version V] [--json]",
	  "cancel an appointment (the complainant is told)", APPT_CHANGE_HELP },
	{ "appointment", "done", ctl_visits_change, false,
	  "NUMBER ID [--note TEXT]\n                [--version V] [--json]",
	  "record that the visit took place", APPT_CHANGE_HELP },
	{ "appointment", "missed", ctl_visits_change, false,
	  "NUMBER ID [--note TEXT]\n                [--version V] [--json]",
	  "record that nobody was home (asks the complainant to rebook)", APPT_CHANGE_HELP },
	{ "visits", "tasks", ctl_visits_tasks, false, "[--csv FILE | --json]",
	  "the phone-visit list: return visits nobody answered",
	  "  --csv FILE   write the list as CSV (UTF-8 with a BOM, for Excel) instead; - writes\n"
	  "               to stdout\n"
	  "  --json       print the gateway's answer as JSON\n"
	  "A case comes on the list when the return-visit message got no answer in time. Call\n"
	  "the complainant, then record the answer with `gatewayctl visits answer`.\n" },
	{ "visits", "answer", ctl_visits_answer, false, "NUMBER ANSWER [--json]",
	  "record the answer of a return-visit call",
	  "  ANSWER   1 or 满意 (satisfied), 2 or 基本满意 (basically satisfied): the case is\n"
	  "           closed; 3 or 不满意 (unsatisfied): it is reopened and its department told\n"
	  "  --json   print the gateway's answer as JSON\n"
	  "Exits 1 when the case has no return visit waiting for an answer.\n" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage_line(FILE *f, const struct ctl_command *c)
{
	fprintf(f, "usage: gatewayctl [--url URL] [--key KEY] %s %s%s%s\n", c->group, c->name,
		c->args[0] ? " " : "", c->args);
}

void ctl_commands_print_usage(FILE *f, const struct ctl_command *c)
{
	print_usage_line(f, c);
	fprintf(f, "%s%s", c->help[0] ? "\n" : "", c->help);
}

void ctl_commands_print_main(FILE *f)
{
	char name[64];

	fprintf(f, "usage: gatewayctl [--url URL] [--key KEY] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		snprintf(name, sizeof(name), "%s %s", commands[i].group, commands[i].name);
		fprintf(f, "  %-20s %s\n", name, commands[i].summary);
	}
	fprintf(f,
		"\nOptions:\n"
		"  --url URL   the gateway (env GATEWAY_URL, default " CTL_DEFAULT_URL ")\n"
		"  --key KEY   API key (env GATEWAY_KEY; prefer the environment: other users can\n"
		"              see command lines in ps)\n"
		"\nExit status: 0 done, 1 error, 2 bad command line, 4 a notice had failures.\n"
		"Run `gatewayctl help COMMAND` for a command's options.\n");
}

/* "resident" finds "residents" and the other way round, and "notices" finds "notice". */
static bool same_group(const char *typed, const char *group)
{
	size_t t = strlen(typed), g = strlen(group);

	if (t == g)
		return strcmp(typed, group) == 0;
	if (t == g + 1)
		return strncmp(typed, group, g) == 0 && typed[g] == 's';
	return g == t + 1 && strncmp(typed, group, t) == 0 && group[t] == 's';
}

bool ctl_commands_group_exists(const char *typed)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (same_group(typed, commands[i].group))
			return true;
	return false;
}

const struct ctl_command *ctl_commands_find(const char *group, const char *name)
{
	for (size_t i = 0; name != NULL && i < N_COMMANDS; i++)
		if (same_group(group, commands[i].group) && strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

void ctl_commands_print_group(FILE *f, const char *group)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (same_group(group, commands[i].group))
			print_usage_line(f, &commands[i]);
	fprintf(f, "Run `gatewayctl help %s NAME` for a command's options.\n", group);
}

int ctl_commands_help(int argc, char **argv)
{
	const struct ctl_command *c = argc > 2 ? ctl_commands_find(argv[1], argv[2]) : NULL;

	if (argc <= 1) {
		ctl_commands_print_main(stdout);
		return CTL_EXIT_OK;
	}
	if (c != NULL) {
		ctl_commands_print_usage(stdout, c);
		return CTL_EXIT_OK;
	}
	if (argc == 2 && ctl_commands_group_exists(argv[1])) {
		ctl_commands_print_group(stdout, argv[1]);
		return CTL_EXIT_OK;
	}
	fprintf(stderr, "gatewayctl: no command '%s%s%s'\n", argv[1], argc > 2 ? " " : "",
		argc > 2 ? argv[2] : "");
	ctl_commands_print_main(stderr);
	return CTL_EXIT_USAGE;
}
