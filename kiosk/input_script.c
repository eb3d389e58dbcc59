/* input_script: scripted input for tests and demos (see input_script.h). Reads the whole file
 * at open, one command a line ("tap X Y", "key KEY_ENTER" or "key 28", "wait MS", "# ..."),
 * and turns it into a list of events that each carry the waits written before them; the list
 * ends with INPUT_END carrying the waits after the last event. A script is a few hundred
 * lines written by hand: lines, events and numbers all have hard caps. Key names come from a
 * table of the kernel's own KEY_* constants (no libevdev on the build machines). */
#include "input_script.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_MAX_LINE 256
#define SCRIPT_MAX_EVENTS 100000
#define SCRIPT_MAX_COORD 32767 /* the screen is far smaller; this only rejects typos */
#define SCRIPT_MAX_WAIT_MS 3600000 /* one hour */

struct input_script {
	struct input_event_k *ev; /* n events, the last one INPUT_END */
	int n, cap;
	int pos; /* the next one to hand out */
};

struct key_name {
	const char *name;
	int code;
};

#define K(c)                                                                                       \
	{                                                                                          \
#c, c                                                                              \
	}
/* The keys a kiosk script plausibly presses; a code not listed can be given as a number. */
static const struct key_name key_names[] = {
	K(KEY_ESC),        K(KEY_1),       K(KEY_2),       K(KEY_3),         K(KEY_4),
	K(KEY_5),          K(KEY_6),       K(KEY_7),       K(KEY_8),         K(KEY_9),
	K(KEY_0),          K(KEY_MINUS),   K(KEY_EQUAL),   K(KEY_BACKSPACE), K(KEY_TAB),
	K(KEY_Q),          K(KEY_W),       K(KEY_E),       K(KEY_R),         K(KEY_T),
	K(KEY_Y),          K(KEY_U),       K(KEY_I),       K(KEY_O),         K(KEY_P),
	K(KEY_ENTER),      K(KEY_A),       K(KEY_S),       K(KEY_D),         K(KEY_F),
	K(KEY_G),          K(KEY_H),       K(KEY_J),       K(KEY_K),         K(KEY_L),
	K(KEY_Z),          K(KEY_X),       K(KEY_C),       K(KEY_V),         K(KEY_B),
	K(KEY_N),          K(KEY_M),       K(KEY_DOT),     K(KEY_SPACE),     K(KEY_F1),
	K(KEY_F2),         K(KEY_F3),      K(KEY_F4),      K(KEY_F5),        K(KEY_F6),
	K(KEY_F7),         K(KEY_F8),      K(KEY_F9),      K(KEY_F10),       K(KEY_F11),
	K(KEY_F12),        K(KEY_KP0),     K(KEY_KP1),     K(KEY_KP2),       K(KEY_KP3),
	K(KEY_KP4),        K(KEY_KP5),     K(KEY_KP6),     K(KEY_KP7),       K(KEY_KP8),
	K(KEY_KP9),        K(KEY_KPDOT),   K(KEY_KPENTER), K(KEY_KPMINUS),   K(KEY_KPPLUS),
	K(KEY_KPASTERISK), K(KEY_KPSLASH), K(KEY_HOME),    K(KEY_UP),        K(KEY_PAGEUP),
	K(KEY_LEFT),       K(KEY_RIGHT),   K(KEY_END),     K(KEY_DOWN),      K(KEY_PAGEDOWN),
	K(KEY_INSERT),     K(KEY_DELETE),  K(KEY_POWER),   K(KEY_BACK),      K(KEY_OK),
	K(KEY_SELECT),     K(KEY_CANCEL),  K(KEY_HELP),    K(KEY_MENU),
};
#undef K

/* A whole decimal number in lo..hi, no sign, no trailing text. */
static bool parse_num(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_key(const char *s, int *code)
{
	long v = 0;

	if (parse_num(s, 1, KEY_MAX, &v)) {
		*code = (int)v;
		return true;
	}
	for (size_t i = 0; s != NULL && i < sizeof(key_names) / sizeof(key_names[0]); i++) {
		if (strcmp(s, key_names[i].name) == 0) {
			*code = key_names[i].code;
			return true;
		}
	}
	return false;
}

static int push(struct input_script *s, const struct input_event_k *ev)
{
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 64;
		struct input_event_k *grown = realloc(s->ev, (size_t)cap * sizeof(*grown));

		if (grown == NULL)
			return ERR_NOMEM;
		s->ev = grown;
		s->cap = cap;
	}
	s->ev[s->n++] = *ev;
	return 0;
}

/* One line, its comment already cut off. A command becomes *ev (INPUT_NONE for a wait, whose
 * length goes to *wait, or for a blank line); returns a reason for a bad line, else NULL. */
static const char *parse_line(char *text, struct input_event_k *ev, long *wait)
{
	char *save = NULL;
	char *cmd = strtok_r(text, " \t\r\n", &save);
	char *a = cmd ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	char *b = a ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	char *extra = b ? strtok_r(NULL, " \t\r\n", &save) : NULL;
	long x = 0, y = 0;

	*ev = (struct input_event_k){ .type = INPUT_NONE };
	*wait = 0;
	if (cmd == NULL)
		return NULL;
	if (strcmp(cmd, "tap") == 0) {
		if (!parse_num(a, 0, SCRIPT_MAX_COORD, &x) ||
		    !parse_num(b, 0, SCRIPT_MAX_COORD, &y) || extra != NULL)
			return "write tap X Y, two pixel positions from 0 to 32767";
		*ev = (struct input_event_k){ .type = INPUT_TAP, .x = (int)x, .y = (int)y };
	} else if (strcmp(cmd, "key") == 0) {
		if (!parse_key(a, &ev->key) || b != NULL)
			return "write key KEY_NAME (e.g. KEY_ENTER) or key CODE (1 to 767)";
		ev->type = INPUT_KEY;
	} else if (strcmp(cmd, "wait") == 0) {
		if (!parse_num(a, 0, SCRIPT_MAX_WAIT_MS, wait) || b != NULL)
			return "write wait MS, milliseconds from 0 to 3600000";
	} else {
		return "unknown command; lines are tap X Y, key NAME|CODE, wait MS or # comment";
	}
	return NULL;
}

/* Reads f line by line into s; bad lines and caps name path and line. */
static int parse_file(FILE *f, const char *path, struct input_script *s, struct err *e)
{
	char line[SCRIPT_MAX_LINE + 2], copy[SCRIPT_MAX_LINE + 2];
	int64_t waited = 0;
	int no = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		struct input_event_k ev;
		const char *why;
		char *hash;
		long wait = 0;

		no++;
		if (strchr(line, '\n') == NULL && !feof(f))
			return err_set(e, ERR_INVALID, NULL,
				       "%s:%d: line longer than %d characters", path, no,
				       SCRIPT_MAX_LINE);
		line[strcspn(line, "\r\n")] = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		memcpy(copy, line, sizeof(copy));
		why = parse_line(line, &ev, &wait);
		if (why != NULL)
			return err_set(e, ERR_INVALID, NULL, "%s:%d: \"%.80s\": %s", path, no, copy,
				       why);
		waited += wait;
		if (ev.type == INPUT_NONE)
			continue;
		if (s->n >= SCRIPT_MAX_EVENTS)
			return err_set(e, ERR_TOOBIG, NULL, "%s:%d: more than %d events", path, no,
				       SCRIPT_MAX_EVENTS);
		ev.wait_ms = waited;
		waited = 0;
		if (push(s, &ev) != 0)
			return err_set(e, ERR_NOMEM, NULL, "%s: out of memory", path);
	}
	if (ferror(f))
		return err_set(e, ERR_IO, NULL, "cannot read %s: %s", path, strerror(errno));
	if (push(s, &(struct input_event_k){ .type = INPUT_END, .wait_ms = waited }) != 0)
		return err_set(e, ERR_NOMEM, NULL, "%s: out of memory", path);
	return 0;
}

int input_script_load(const char *path, struct input_script **out, struct err *e)
{
	struct input_script *s = NULL;
	FILE *f = NULL;
	int rc;

	f = fopen(path, "r");
	if (f == NULL) {
		rc = err_set(e, ERR_IO, NULL, "cannot open input script %s: %s", path,
			     strerror(errno));
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory opening %s", path);
		goto out;
	}
	rc = parse_file(f, path, s, e);
	if (rc == 0) {
		*out = s;
		s = NULL;
	}
out:
	if (f != NULL)
		fclose(f);
	input_script_free(s);
	return rc;
}

void input_script_free(struct input_script *s)
{
	if (s == NULL)
		return;
	free(s->ev);
	free(s);
}

void input_script_next(struct input_script *s, struct input_event_k *ev)
{
	*ev = s->ev[s->pos];
	/* The trailing waits are handed out once; later calls just say the script is over. */
	if (s->pos < s->n - 1)
		s->pos++;
	else
		s->ev[s->pos].wait_ms = 0;
}
