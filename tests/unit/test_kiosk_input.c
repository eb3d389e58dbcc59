/* test_kiosk_input: touches and keys without a device. Crafted struct input_event records go
 * through a pipe into input_open_fd (multi-touch protocol B, single touch, keys, two fingers,
 * calibration, a lost frame, a device that vanishes), and scripts of every line type and
 * every kind of bad line go through input_open_script. Expected pixels are worked out by
 * hand in the comments: round((raw - min) * (size - 1) / (max - min)). */
#include "input.h"

#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define W 1080
#define H 1920

static const struct input_axes mt_axes = {
	.touch = INPUT_TOUCH_MT, .x_max = 4095, .y_max = 4095, .slots = 10
};

/* One record into the pipe. */
static void put(int fd, int type, int code, int value)
{
	struct input_event r = { .type = (unsigned short)type,
				 .code = (unsigned short)code,
				 .value = value };

	CHECK_INT(write(fd, &r, sizeof(r)), (long long)sizeof(r));
}

static void syn(int fd)
{
	put(fd, EV_SYN, SYN_REPORT, 0);
}

/* A finger in slot s with tracking id id at raw (x, y), in one frame. */
static void mt_down(int fd, int s, int id, int x, int y)
{
	put(fd, EV_ABS, ABS_MT_SLOT, s);
	put(fd, EV_ABS, ABS_MT_TRACKING_ID, id);
	put(fd, EV_ABS, ABS_MT_POSITION_X, x);
	put(fd, EV_ABS, ABS_MT_POSITION_Y, y);
	syn(fd);
}

static void mt_up(int fd, int s)
{
	put(fd, EV_ABS, ABS_MT_SLOT, s);
	put(fd, EV_ABS, ABS_MT_TRACKING_ID, -1);
	syn(fd);
}

/* An input reading a fresh pipe; *wfd is its write end. */
static struct input *open_pipe(const struct input_axes *ax, const struct input_calib *cal,
			       const char *reopen, int *wfd)
{
	struct input *in = NULL;
	struct err e = { 0 };
	int p[2];

	CHECK_INT(pipe(p), 0);
	CHECK_INT(input_open_fd(p[0], ax, cal, W, H, reopen, &in, &e), 0);
	if (in == NULL)
		fprintf(stderr, "  %s\n", e.msg);
	*wfd = p[1];
	return in;
}

/* The next event, waiting at most ms. */
static struct input_event_k next(struct input *in, int ms)
{
	struct input_event_k ev = { .type = INPUT_END, .x = -1, .y = -1 };
	struct err e = { 0 };

	if (in != NULL)
		CHECK_INT(input_next(in, ms, &ev, &e), 0);
	return ev;
}

static void check_tap(struct input *in, int x, int y)
{
	struct input_event_k ev = next(in, 1000);

	CHECK_INT(ev.type, INPUT_TAP);
	CHECK_INT(ev.x, x);
	CHECK_INT(ev.y, y);
}

TEST(mt_tap_at_last_position)
{
	int fd = -1;
	struct input *in = open_pipe(&mt_axes, NULL, NULL, &fd);

	mt_down(fd, 0, 7, 1000, 2000);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	put(fd, EV_ABS, ABS_MT_POSITION_X, 1100);
	put(fd, EV_ABS, ABS_MT_POSITION_Y, 2100);
	syn(fd);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	mt_up(fd, 0);
	/* 1100 * 1079 / 4095 = 289.8, 2100 * 1919 / 4095 = 984.1: where the finger left. */
	check_tap(in, 290, 984);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	close(fd);
	input_close(in);
}

TEST(calibration_swap_invert)
{
	/* Different ranges per axis, so that a swap that kept the wrong range shows. */
	static const struct input_axes ax = {
		.touch = INPUT_TOUCH_MT, .x_max = 4095, .y_max = 8191, .slots = 2
	};
	static const struct {
		struct input_calib cal;
		int x, y;
	} cases[] = {
		/* 1000 * 1079 / 4095 = 263.5, 6000 * 1919 / 8191 = 1405.7 */
		{ { false, false, false }, 263, 1406 },
		{ { false, true, false }, 1079 - 263, 1406 },
		{ { false, false, true }, 263, 1919 - 1406 },
		/* Swapped: 6000 * 1079 / 8191 = 790.4, 1000 * 1919 / 4095 = 468.6 */
		{ { true, false, false }, 790, 469 },
		{ { true, true, true }, 1079 - 790, 1919 - 469 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = -1;
		struct input *in = open_pipe(&ax, &cases[i].cal, NULL, &fd);

		mt_down(fd, 0, 1, 1000, 6000);
		mt_up(fd, 0);
		check_tap(in, cases[i].x, cases[i].y);
		close(fd);
		input_close(in);
	}
}

TEST(single_touch)
{
	static const struct input_axes ax = {
		.touch = INPUT_TOUCH_ST, .x_min = 200, .x_max = 3900, .y_min = 300, .y_max = 3800
	};
	int fd = -1;
	struct input *in = open_pipe(&ax, NULL, NULL, &fd);

	put(fd, EV_ABS, ABS_X, 1000);
	put(fd, EV_ABS, ABS_Y, 2000);
	put(fd, EV_KEY, BTN_TOUCH, 1);
	syn(fd);
	put(fd, EV_ABS, ABS_X, 1100);
	syn(fd);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	put(fd, EV_KEY, BTN_TOUCH, 0);
	syn(fd);
	/* 900 * 1079 / 3700 = 262.5 (rounds down: 262.46), 1700 * 1919 / 3500 = 932.1 */
	check_tap(in, 262, 932);
	/* A lift without a touch before it is not a tap. */
	put(fd, EV_KEY, BTN_TOUCH, 0);
	syn(fd);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	close(fd);
	input_close(in);
}

TEST(key_press)
{
	int fd = -1;
	struct input *in = open_pipe(&mt_axes, NULL, NULL, &fd);
	struct input_event_k ev;

	put(fd, EV_MSC, MSC_SCAN, 0x70028);
	put(fd, EV_KEY, KEY_ENTER, 1);
	syn(fd);
	put(fd, EV_KEY, KEY_ENTER, 2); /* autorepeat */
	syn(fd);
	put(fd, EV_KEY, KEY_ENTER, 0);
	/* The touch's own buttons are not keys. */
	put(fd, EV_KEY, BTN_TOUCH, 1);
	put(fd, EV_KEY, BTN_TOOL_FINGER, 1);
	put(fd, EV_KEY, BTN_TOOL_PEN, 1);
	syn(fd);
	put(fd, EV_KEY, KEY_KP7, 1);
	syn(fd);
	ev = next(in, 1000);
	CHECK_INT(ev.type, INPUT_KEY);
	CHECK_INT(ev.key, KEY_ENTER);
	ev = next(in, 1000);
	CHECK_INT(ev.type, INPUT_KEY);
	CHECK_INT(ev.key, KEY_KP7);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	close(fd);
	input_close(in);
}

TEST(two_fingers_tap_when_first_lifts)
{
	int fd = -1;
	struct input *in = open_pipe(&mt_axes, NULL, NULL, &fd);

	/* The second finger lifts first: nothing until the first one goes. */
	mt_down(fd, 0, 1, 0, 0);
	mt_down(fd, 1, 2, 4095, 4095);
	mt_up(fd, 1);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	mt_up(fd, 0);
	check_tap(in, 0, 0);
	/* The first finger lifts first: one tap, the other finger's lift is silent. */
	mt_down(fd, 3, 3, 4095, 0);
	mt_down(fd, 2, 4, 0, 4095);
	mt_up(fd, 3);
	check_tap(in, 1079, 0);
	/* A finger that joins after the first one left belongs to the same gesture. */
	mt_down(fd, 3, 6, 100, 100);
	mt_up(fd, 3);
	mt_up(fd, 2);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	/* Then a fresh gesture taps again. */
	mt_down(fd, 2, 5, 4095, 4095);
	mt_up(fd, 2);
	check_tap(in, 1079, 1919);
	close(fd);
	input_close(in);
}

TEST(dropped_frame_and_split_records)
{
	int fd = -1;
	struct input *in = open_pipe(&mt_axes, NULL, NULL, &fd);
	struct input_event r[2] = { { .type = EV_ABS, .code = ABS_MT_TRACKING_ID, .value = -1 },
				    { .type = EV_SYN, .code = SYN_REPORT } };
	size_t half = sizeof(struct input_event) / 2;

	/* A lost frame forgets the finger: its lift is no tap. */
	mt_down(fd, 0, 1, 1000, 2000);
	put(fd, EV_SYN, SYN_DROPPED, 0);
	put(fd, EV_ABS, ABS_MT_POSITION_X, 3000);
	syn(fd);
	mt_up(fd, 0);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	/* Everything up to the next SYN_REPORT is part of the lost frame. */
	put(fd, EV_SYN, SYN_DROPPED, 0);
	mt_down(fd, 1, 9, 1000, 2000);
	mt_up(fd, 1);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	/* A record that arrives in two pieces is put back together. */
	mt_down(fd, 0, 2, 4095, 0);
	CHECK_INT(write(fd, r, half), (long long)half);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	CHECK_INT(write(fd, (char *)r + half, 2 * sizeof(r[0]) - half),
		  (long long)(2 * sizeof(r[0]) - half));
	check_tap(in, 1079, 0);
	close(fd);
	input_close(in);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(device_vanishes)
{
	int fd = -1;
	struct input *in = open_pipe(&mt_axes, NULL, "/tmp/test_kiosk_input.missing", &fd);
	int64_t t0;

	unlink("/tmp/test_kiosk_input.missing");
	mt_down(fd, 0, 1, 1000, 2000);
	close(fd); /* unplugged with a finger down */
	CHECK_INT(next(in, 50).type, INPUT_NONE);
	CHECK_INT(next(in, 0).type, INPUT_NONE);
	/* The reopen attempts fail quietly and the call still waits out its timeout. */
	t0 = mono_ms();
	CHECK_INT(next(in, 600).type, INPUT_NONE);
	CHECK(mono_ms() - t0 >= 550);
	input_close(in);

	/* Without a path to reopen, a closed pipe is just silence. */
	in = open_pipe(&mt_axes, NULL, NULL, &fd);
	close(fd);
	CHECK_INT(next(in, 20).type, INPUT_NONE);
	CHECK_INT(next(in, -1).type, INPUT_NONE);
	input_close(in);
}

TEST(open_errors)
{
	static const struct input_axes empty = { .touch = INPUT_TOUCH_ST, .x_max = 10 };
	struct input *in = NULL;
	struct err e = { 0 };
	int p[2];

	CHECK_INT(input_open_evdev("/tmp/test_kiosk_input.missing", NULL, W, H, true, &in, &e),
		  ERR_IO);
	CHECK(strstr(e.msg, "/tmp/test_kiosk_input.missing") != NULL);
	CHECK_INT(input_open_evdev("/dev/null", NULL, W, H, false, &in, &e), ERR_IO);
	CHECK(strstr(e.msg, "not an input event device") != NULL);
	CHECK(in == NULL);
	/* A rejected fd is closed, as the contract says. */
	CHECK_INT(pipe(p), 0);
	CHECK_INT(input_open_fd(p[0], &empty, NULL, W, H, NULL, &in, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "empty") != NULL);
	CHECK_INT(fcntl(p[0], F_GETFD), -1);
	CHECK_INT(pipe(p), 0);
	CHECK_INT(input_open_fd(p[0], &mt_axes, NULL, 0, H, NULL, &in, &e), ERR_INVALID);
	CHECK(in == NULL);
	close(p[1]);
}

/* Writes text to a fresh script file (path: 32 bytes) and opens it. */
static int open_script(const char *text, char path[32], struct input **in, struct err *e)
{
	int rc;

	if (test_write_tmp("/tmp/test_kiosk_input.XXXXXX", text, path) < 0)
		return -1;
	rc = input_open_script(path, in, e);
	unlink(path);
	return rc;
}

static void check_next(struct input *in, enum input_type t, int a, int b, int64_t wait)
{
	struct input_event_k ev = next(in, 5000);

	CHECK_INT(ev.type, t);
	if (t == INPUT_TAP) {
		CHECK_INT(ev.x, a);
		CHECK_INT(ev.y, b);
	} else if (t == INPUT_KEY) {
		CHECK_INT(ev.key, a);
	}
	CHECK_INT(ev.wait_ms, wait);
}

TEST(script_every_line_type)
{
	const char *text = "# a demo session\n"
			   "\n"
			   "tap 100 200\n"
			   "wait 1500\n"
			   "\twait 500   # two waits add up\n"
			   "key KEY_ENTER\n"
			   "key 28\n"
			   "  tap 0 0\n"
			   "key KEY_KP5\n"
			   "wait 60000\n"
			   "# let the idle timeout pass";
	struct input *in = NULL;
	struct err e = { 0 };
	char path[32];

	CHECK_INT(open_script(text, path, &in, &e), 0);
	if (in == NULL) {
		fprintf(stderr, "  %s\n", e.msg);
		return;
	}
	check_next(in, INPUT_TAP, 100, 200, 0);
	check_next(in, INPUT_KEY, KEY_ENTER, 0, 2000);
	check_next(in, INPUT_KEY, 28, 0, 0);
	check_next(in, INPUT_TAP, 0, 0, 0);
	check_next(in, INPUT_KEY, KEY_KP5, 0, 0);
	check_next(in, INPUT_END, 0, 0, 60000);
	check_next(in, INPUT_END, 0, 0, 0);
	input_close(in);

	CHECK_INT(open_script("", path, &in, &e), 0);
	check_next(in, INPUT_END, 0, 0, 0);
	input_close(in);
}

TEST(script_bad_lines)
{
	static const struct {
		const char *text;
		int line;
		const char *quoted;
	} cases[] = {
		{ "tap 1\n", 1, "\"tap 1\"" },
		{ "# fine\ntap 1 2\njump 3\n", 3, "\"jump 3\"" },
		{ "\n\nkey KEY_NOPE\n", 3, "KEY_NOPE" },
		{ "key 0\n", 1, "\"key 0\"" },
		{ "key KEY_A KEY_B\n", 1, "KEY_B" },
		{ "wait -5\n", 1, "-5" },
		{ "wait 10 20\n", 1, "10 20" },
		{ "wait 5x\n", 1, "5x" },
		{ "tap 1 2 3\n", 1, "1 2 3" },
		{ "tap 40000 1\n", 1, "40000" },
		{ "wait 100\nTAP 1 2\n", 2, "TAP" },
	};
	char path[32], at[64], long_line[400];
	struct input *in = NULL;
	struct err e = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(open_script(cases[i].text, path, &in, &e), ERR_INVALID);
		snprintf(at, sizeof(at), "%s:%d: ", path, cases[i].line);
		CHECK(strncmp(e.msg, at, strlen(at)) == 0);
		CHECK(strstr(e.msg, cases[i].quoted) != NULL);
		if (strncmp(e.msg, at, strlen(at)) != 0 || strstr(e.msg, cases[i].quoted) == NULL)
			fprintf(stderr, "  case %zu: %s\n", i, e.msg);
		CHECK(in == NULL);
	}
	memset(long_line, 'x', sizeof(long_line));
	memcpy(long_line, "tap 1 2\n# ", 10);
	long_line[sizeof(long_line) - 1] = '\0';
	CHECK_INT(open_script(long_line, path, &in, &e), ERR_INVALID);
	snprintf(at, sizeof(at), "%s:2: line longer than", path);
	CHECK(strncmp(e.msg, at, strlen(at)) == 0);
	CHECK_INT(input_open_script("/tmp/test_kiosk_input.missing", &in, &e), ERR_IO);
	CHECK(strstr(e.msg, "/tmp/test_kiosk_input.missing") != NULL);
}

int main(void)
{
	RUN(mt_tap_at_last_position);
	RUN(calibration_swap_invert);
	RUN(single_touch);
	RUN(key_press);
	RUN(two_fingers_tap_when_first_lifts);
	RUN(dropped_frame_and_split_records);
	RUN(device_vanishes);
	RUN(open_errors);
	RUN(script_every_line_type);
	RUN(script_bad_lines);
	return TEST_END();
}
