/* input: the evdev device behind input.h, and the dispatch to a script (input_script.c).
 * Owns the device's fd, what EVIOCGBIT / EVIOCGABS said about it, and the touch state:
 *   idle --first finger down--> tracking(first) --first finger up: tap--> idle, or, while
 *   other fingers stay down, spent --last finger up--> idle.
 * Invariants: a tap is reported only for a finger seen going down; after SYN_DROPPED the
 * state is forgotten, so a lost frame costs one tap, never a false one. A device that
 * vanishes is closed and reopened at most every INPUT_RETRY_MS; the one file that reads it. */
#include "input.h"
#include "clock.h"
#include "input_script.h"
#include "log.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define INPUT_MAX_SLOTS 16
#define INPUT_RETRY_MS 500
#define INPUT_BUF_EVENTS 64
#define LONG_BITS (8 * (int)sizeof(long))
#define NLONGS(n) (((n) + LONG_BITS - 1) / LONG_BITS)

struct input_slot {
	bool active;
	int id; /* ABS_MT_TRACKING_ID while active */
	int x, y; /* raw, the last reported */
};

struct input {
	struct input_script *script; /* non-NULL: scripted, nothing below is used */
	int fd; /* -1 while the device is gone */
	char *path; /* reopened when the device vanishes; NULL: never */
	bool grab;
	struct input_calib cal;
	int w, h;
	struct input_axes ax;
	int64_t retry_at_ms; /* monotonic: the next reopen attempt */
	struct input_slot slot[INPUT_MAX_SLOTS];
	int cur; /* the slot ABS_MT_* events are about */
	int first; /* the gesture's first finger; -1 idle, -2 spent */
	int tap_slot; /* a lift reported at SYN_REPORT; -1 none */
	int tap_x, tap_y; /* raw position of tap_slot when it lifted */
	bool dropping; /* SYN_DROPPED seen: skip to the next SYN_REPORT */
	size_t have, pos; /* bytes in buf, bytes of them already fed */
	unsigned char buf[INPUT_BUF_EVENTS * sizeof(struct input_event)];
};

static bool has_bit(const unsigned long *bits, int n)
{
	return (bits[n / LONG_BITS] >> (n % LONG_BITS)) & 1UL;
}

/* Asks an open device how it reports touches; *cur is its current MT slot. */
static int probe(int fd, const char *path, struct input_axes *ax, int *cur, struct err *e)
{
	unsigned long abs[NLONGS(ABS_CNT)] = { 0 }, key[NLONGS(KEY_CNT)] = { 0 };
	struct input_absinfo x = { 0 }, y = { 0 }, slot = { 0 };
	bool mt, st;

	if (ioctl(fd, EVIOCGBIT(EV_ABS, sizeof(abs)), abs) < 0 ||
	    ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(key)), key) < 0)
		return err_set(e, ERR_IO, NULL, "%s is not an input event device: %s", path,
			       strerror(errno));
	mt = has_bit(abs, ABS_MT_SLOT) && has_bit(abs, ABS_MT_POSITION_X) &&
		has_bit(abs, ABS_MT_POSITION_Y);
	st = has_bit(abs, ABS_X) && has_bit(abs, ABS_Y) && has_bit(key, BTN_TOUCH);
	*ax = (struct input_axes){ .touch = INPUT_TOUCH_NONE };
	*cur = 0;
	if (!mt && !st)
		return 0;
	if (ioctl(fd, EVIOCGABS(mt ? ABS_MT_POSITION_X : ABS_X), &x) < 0 ||
	    ioctl(fd, EVIOCGABS(mt ? ABS_MT_POSITION_Y : ABS_Y), &y) < 0 ||
	    (mt && ioctl(fd, EVIOCGABS(ABS_MT_SLOT), &slot) < 0))
		return err_set(e, ERR_IO, NULL, "cannot read the axes of %s: %s", path,
			       strerror(errno));
	*ax = (struct input_axes){ .touch = mt ? INPUT_TOUCH_MT : INPUT_TOUCH_ST,
				   .x_min = x.minimum,
				   .x_max = x.maximum,
				   .y_min = y.minimum,
				   .y_max = y.maximum,
				   .slots = slot.maximum + 1 };
	*cur = slot.value;
	return 0;
}

static int check_setup(const struct input_axes *ax, int w, int h, const char *what, struct err *e)
{
	if (w <= 0 || h <= 0)
		return err_set(e, ERR_INVALID, NULL, "input %s: screen size %dx%d is not positive",
			       what, w, h);
	if (ax->touch != INPUT_TOUCH_NONE && (ax->x_max <= ax->x_min || ax->y_max <= ax->y_min))
		return err_set(e, ERR_INVALID, NULL,
			       "input %s: the touch axes report empty ranges x %d..%d, y %d..%d",
			       what, ax->x_min, ax->x_max, ax->y_min, ax->y_max);
	return 0;
}

/* Forgets every finger: after a lost frame or device the kernel's state is unknown. */
static void reset_touches(struct input *in)
{
	memset(in->slot, 0, sizeof(in->slot));
	in->first = -1;
	in->tap_slot = -1;
	in->dropping = false;
}

/* Starts using fd as described by ax; cur is the device's current MT slot. */
static void attach(struct input *in, int fd, const struct input_axes *ax, int cur)
{
	in->fd = fd;
	in->ax = *ax;
	if (in->ax.slots > INPUT_MAX_SLOTS)
		in->ax.slots = INPUT_MAX_SLOTS;
	if (in->ax.slots < 1)
		in->ax.slots = 1;
	in->cur = cur;
	in->have = in->pos = 0;
	reset_touches(in);
}

/* Opens, probes and grabs in->path; on success the device is attached. */
static int open_path(struct input *in, bool grab, struct err *e)
{
	struct input_axes ax;
	int fd, cur = 0, rc;

	assert(in->path != NULL);
	fd = open(in->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, ERR_IO, NULL,
			       "cannot open %s: %s (is the user in the input group?)", in->path,
			       strerror(errno));
	rc = probe(fd, in->path, &ax, &cur, e);
	if (rc == 0)
		rc = check_setup(&ax, in->w, in->h, in->path, e);
	if (rc == 0 && grab && ioctl(fd, EVIOCGRAB, 1) < 0)
		rc = err_set(e, ERR_IO, NULL, "cannot grab %s: %s (another program holds it?)",
			     in->path, strerror(errno));
	if (rc != 0) {
		close(fd);
		return rc;
	}
	attach(in, fd, &ax, cur);
	return 0;
}

static struct input *input_alloc(const struct input_calib *cal, int w, int h, const char *path,
				 bool grab)
{
	struct input *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->fd = -1;
	in->grab = grab;
	in->cal = cal != NULL ? *cal : (struct input_calib){ 0 };
	in->w = w;
	in->h = h;
	if (path != NULL && (in->path = strdup(path)) == NULL) {
		free(in);
		return NULL;
	}
	reset_touches(in);
	return in;
}

int input_open_evdev(const char *path, const struct input_calib *cal, int w, int h, bool grab,
		     struct input **out, struct err *e)
{
	struct input *in = input_alloc(cal, w, h, path, grab);
	int rc = in != NULL ? open_path(in, grab, e)
			    : err_set(e, ERR_NOMEM, NULL, "out of memory opening %s", path);

	if (rc == 0)
		*out = in;
	else
		input_close(in);
	return rc;
}

int input_open_fd(int fd, const struct input_axes *ax, const struct input_calib *cal, int w, int h,
		  const char *reopen_path, struct input **out, struct err *e)
{
	struct input *in = NULL;
	int rc;

	assert(fd >= 0 && ax != NULL);
	rc = check_setup(ax, w, h, "fd", e);
	if (rc != 0)
		goto out;
	in = input_alloc(cal, w, h, reopen_path, false);
	if (in == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory opening input");
		goto out;
	}
	attach(in, fd, ax, 0);
	*out = in;
out:
	if (rc != 0)
		close(fd);
	return rc;
}

int input_open_script(const char *path, struct input **out, struct err *e)
{
	struct input *in = input_alloc(NULL, 1, 1, NULL, false);
	int rc = in != NULL ? input_script_load(path, &in->script, e)
			    : err_set(e, ERR_NOMEM, NULL, "out of memory opening %s", path);

	if (rc == 0)
		*out = in;
	else
		input_close(in);
	return rc;
}

void input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (in->fd >= 0)
		close(in->fd);
	input_script_free(in->script);
	free(in->path);
	free(in);
}

/* Raw v in lo..hi to a pixel in 0..size-1, rounded and clamped. */
static int map_axis(int v, int lo, int hi, int size)
{
	int64_t num = ((int64_t)v - lo) * (size - 1), den = (int64_t)hi - lo;
	int64_t px;

	if (v <= lo)
		return 0;
	px = (2 * num + den) / (2 * den);
	return px > size - 1 ? size - 1 : (int)px;
}

/* A raw position to screen pixels: swap first (the device's X runs along the screen's Y),
 * then invert on the screen's own axes. */
static void map_point(const struct input *in, int rx, int ry, int *x, int *y)
{
	const struct input_axes *a = &in->ax;

	if (in->cal.swap_xy) {
		*x = map_axis(ry, a->y_min, a->y_max, in->w);
		*y = map_axis(rx, a->x_min, a->x_max, in->h);
	} else {
		*x = map_axis(rx, a->x_min, a->x_max, in->w);
		*y = map_axis(ry, a->y_min, a->y_max, in->h);
	}
	if (in->cal.invert_x)
		*x = in->w - 1 - *x;
	if (in->cal.invert_y)
		*y = in->h - 1 - *y;
}

static void touch_down(struct input *in, int s, int id)
{
	in->slot[s].active = true;
	in->slot[s].id = id;
	if (in->first == -1)
		in->first = s;
}

static void touch_up(struct input *in, int s)
{
	bool any = false;

	if (!in->slot[s].active)
		return;
	in->slot[s].active = false;
	if (s == in->first) {
		in->tap_slot = s;
		in->tap_x = in->slot[s].x;
		in->tap_y = in->slot[s].y;
		in->first = -2;
	}
	for (int i = 0; i < in->ax.slots; i++)
		any = any || in->slot[i].active;
	if (!any)
		in->first = -1;
}

/* A position, or for protocol B a slot change or a finger's arrival or departure. A single
 * touch device is slot 0 with ABS_X / ABS_Y. */
static void feed_abs(struct input *in, const struct input_event *r)
{
	bool mt = in->ax.touch == INPUT_TOUCH_MT;
	int n = mt ? in->cur : 0;
	struct input_slot *s;

	if (mt && r->code == ABS_MT_SLOT)
		in->cur = r->value;
	if (in->ax.touch == INPUT_TOUCH_NONE || n < 0 || n >= in->ax.slots)
		return;
	s = &in->slot[n];
	if (r->code == (mt ? ABS_MT_POSITION_X : ABS_X)) {
		s->x = r->value;
	} else if (r->code == (mt ? ABS_MT_POSITION_Y : ABS_Y)) {
		s->y = r->value;
	} else if (mt && r->code == ABS_MT_TRACKING_ID) {
		/* A new id on a live slot means the kernel replaced the contact: the old one
		 * ended. */
		if (s->active && (r->value < 0 || r->value != s->id))
			touch_up(in, n);
		if (r->value >= 0)
			touch_down(in, n, r->value);
	}
}

/* Touch bits of a pointer device (BTN_TOUCH, BTN_TOOL_*, BTN_STYLUS*) are never keys. */
static bool is_digi(int code)
{
	return code >= BTN_DIGI && code <= BTN_TOOL_QUADTAP;
}

/* One record from the device; true with *ev when it completes a tap or a key press. */
static bool input_feed(struct input *in, const struct input_event *r, struct input_event_k *ev)
{
	if (r->type == EV_SYN && r->code == SYN_DROPPED) {
		reset_touches(in);
		in->dropping = true;
	} else if (r->type == EV_SYN && r->code == SYN_REPORT) {
		if (in->dropping) {
			in->dropping = false;
			return false;
		}
		if (in->tap_slot < 0)
			return false;
		/* A position that came after the lift in the same frame still counts. */
		if (!in->slot[in->tap_slot].active) {
			in->tap_x = in->slot[in->tap_slot].x;
			in->tap_y = in->slot[in->tap_slot].y;
		}
		in->tap_slot = -1;
		*ev = (struct input_event_k){ .type = INPUT_TAP };
		map_point(in, in->tap_x, in->tap_y, &ev->x, &ev->y);
		return true;
	} else if (in->dropping) {
		return false;
	} else if (r->type == EV_KEY && r->code == BTN_TOUCH && in->ax.touch == INPUT_TOUCH_ST) {
		if (r->value == 1)
			touch_down(in, 0, 0);
		else if (r->value == 0)
			touch_up(in, 0);
	} else if (r->type == EV_KEY && r->value == 1 && !is_digi(r->code)) {
		*ev = (struct input_event_k){ .type = INPUT_KEY, .key = r->code };
		return true;
	} else if (r->type == EV_ABS) {
		feed_abs(in, r);
	}
	return false;
}

/* Feeds the whole records already read; true as soon as one makes an event. */
static bool take_buffered(struct input *in, struct input_event_k *ev)
{
	struct input_event r;

	while (in->have - in->pos >= sizeof(r)) {
		memcpy(&r, in->buf + in->pos, sizeof(r));
		in->pos += sizeof(r);
		if (input_feed(in, &r, ev))
			return true;
	}
	return false;
}

static void vanish(struct input *in, const char *why)
{
	log_warn("input: %s vanished (%s)%s", in->path ? in->path : "device", why,
		 in->path ? "; reopening it every 500 ms" : "");
	close(in->fd);
	in->fd = -1;
	in->have = in->pos = 0;
	reset_touches(in);
	in->retry_at_ms = clock_mono_ms() + INPUT_RETRY_MS;
}

/* Reads what the device has; end of file or an error other than "nothing yet" means it is
 * gone. */
static void fill(struct input *in)
{
	ssize_t n;

	memmove(in->buf, in->buf + in->pos, in->have - in->pos);
	in->have -= in->pos;
	in->pos = 0;
	n = read(in->fd, in->buf + in->have, sizeof(in->buf) - in->have);
	if (n > 0)
		in->have += (size_t)n;
	else if (n == 0)
		vanish(in, "end of file");
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		vanish(in, strerror(errno));
}

/* While the device is gone: reopens it when an attempt is due, else sleeps until the next
 * attempt or the deadline, whichever comes first. False once wait is used up (or when there
 * is neither a deadline nor a path, which would sleep forever). */
static bool wait_gone(struct input *in, int wait)
{
	int64_t now = clock_mono_ms(), until_retry = in->retry_at_ms - now;
	struct err quiet = { 0 };

	if (in->path != NULL && until_retry <= 0) {
		in->retry_at_ms = now + INPUT_RETRY_MS;
		if (open_path(in, in->grab, &quiet) == 0) {
			log_info("input: %s is back", in->path);
			return true;
		}
		until_retry = INPUT_RETRY_MS;
	}
	if (wait == 0 || (wait < 0 && in->path == NULL))
		return false;
	if (in->path != NULL && (wait < 0 || until_retry < wait))
		wait = (int)until_retry;
	poll(NULL, 0, wait);
	return true;
}

static int evdev_next(struct input *in, int timeout_ms, struct input_event_k *ev, struct err *e)
{
	int64_t deadline = clock_mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);

	for (;;) {
		struct pollfd p = { .fd = in->fd, .events = POLLIN };
		int64_t left = deadline - clock_mono_ms();
		int wait = timeout_ms < 0 ? -1 : left < 0 ? 0 : (int)left;
		int n;

		if (in->fd >= 0 && take_buffered(in, ev))
			return 0;
		if (in->fd < 0) {
			if (!wait_gone(in, wait))
				break;
			continue;
		}
		n = poll(&p, 1, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(e, ERR_IO, NULL, "cannot wait for input: %s",
				       strerror(errno));
		if (n == 0)
			break;
		fill(in);
	}
	*ev = (struct input_event_k){ .type = INPUT_NONE };
	return 0;
}

int input_next(struct input *in, int timeout_ms, struct input_event_k *ev, struct err *e)
{
	if (in->script != NULL) {
		input_script_next(in->script, ev);
		return 0;
	}
	return evdev_next(in, timeout_ms, ev, e);
}
