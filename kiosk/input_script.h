/* input_script: the scripted half of input (see input.h), kept apart so that input.c stays
 * about the device. Owns parsing a script file into a list of events, each carrying the
 * waits written before it, and handing them out in order. Used by input.c only; never
 * touches a device or the clock. */
#ifndef KIOSK_INPUT_SCRIPT_H
#define KIOSK_INPUT_SCRIPT_H

#include "err.h"
#include "input.h"

struct input_script;

/* Parses the whole file at once, so that a bad line is reported before anything runs.
 * ERR_INVALID "PATH:LINE: ..." naming the text, ERR_IO, ERR_TOOBIG past the event cap. */
int input_script_load(const char *path, struct input_script **out, struct err *e);
void input_script_free(struct input_script *s); /* accepts NULL */
/* The next event; INPUT_END (with the trailing waits the first time) once all are out. */
void input_script_next(struct input_script *s, struct input_event_k *ev);

#endif
