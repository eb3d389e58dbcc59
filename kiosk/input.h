/* input: touches and keys for the kiosk. Owns the evdev device (multi-touch protocol B and
 * single-touch ABS_X/ABS_Y, calibrated from the device's absinfo to screen pixels with
 * swap/invert options, EVIOCGRAB so nothing else sees the touches, a device that disappears
 * is reopened when it comes back) and a scripted input file for tests and demos. Hands out
 * one event at a time: a tap (finger down and up), a key. Never draws. */
#ifndef KIOSK_INPUT_H
#define KIOSK_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

enum input_type { INPUT_NONE, INPUT_TAP, INPUT_KEY, INPUT_END };

struct input_event_k {
	enum input_type type;
	int x, y; /* INPUT_TAP: screen pixels where the finger went up */
	int key; /* INPUT_KEY: a Linux KEY_* code */
	int64_t wait_ms; /* scripted: how long the script waited before this event */
};

struct input_calib {
	bool swap_xy, invert_x, invert_y;
};

struct input;

/* A touchscreen or keyboard at path (/dev/input/eventN), mapped to w x h screen pixels
 * (cal may be NULL: no swap, no inversion; swap first, then invert on the screen's axes).
 * ERR_IO with the path and the reason when it cannot be opened, probed or grabbed (a path
 * missing at start-up is a configuration error; only a device lost later is waited for);
 * ERR_INVALID for a bad size or a touch axis with an empty range. */
int input_open_evdev(const char *path, const struct input_calib *cal, int w, int h, bool grab,
		     struct input **out, struct err *e);

/* How a device reports touches: what input_open_evdev learns with EVIOCGBIT / EVIOCGABS. */
enum input_touch {
	INPUT_TOUCH_NONE, /* keys only */
	INPUT_TOUCH_MT, /* multi-touch protocol B: ABS_MT_SLOT, ABS_MT_TRACKING_ID, positions */
	INPUT_TOUCH_ST, /* single touch: ABS_X, ABS_Y and BTN_TOUCH */
};

struct input_axes {
	enum input_touch touch;
	int x_min, x_max, y_min, y_max; /* raw range of the position axes (max > min) */
	int slots; /* INPUT_TOUCH_MT: ABS_MT_SLOT's maximum + 1 (capped at 16) */
};

/* Test seam: struct input_event records read from fd (a pipe works; ownership passes here,
 * fd is closed by input_close and on failure), described by ax instead of ioctls. End of
 * file or a read error counts as the device vanishing: from then on reopen_path (NULL:
 * never) is tried as input_open_evdev would, without grab, at most every 500 ms. */
int input_open_fd(int fd, const struct input_axes *ax, const struct input_calib *cal, int w, int h,
		  const char *reopen_path, struct input **out, struct err *e);

/* A script: one event per line, "tap X Y", "key NAME|CODE" (KEY_ENTER...), "wait MS" (a
 * pause before the next event, e.g. to let the idle timeout pass), "# comment". Errors name
 * the line: ERR_INVALID "PATH:LINE: ..." with the offending text; ERR_IO when unreadable. */
int input_open_script(const char *path, struct input **out, struct err *e);
void input_close(struct input *in); /* accepts NULL */

/* The next event within timeout_ms (INPUT_NONE when none came; a script returns its events
 * at once, with wait_ms set, and INPUT_END after the last, carrying the trailing waits).
 * timeout_ms < 0 waits without limit. A vanished evdev device is reopened; until then
 * INPUT_NONE, not an error. ERR_IO only when poll itself fails. */
int input_next(struct input *in, int timeout_ms, struct input_event_k *ev, struct err *e);

#endif
