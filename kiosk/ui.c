/* ui: the kiosk's screens and state machine; see ui.h for the diagram. Every screen is a
 * list of buttons computed from the canvas size (layout()), so that drawing and hit testing
 * can never disagree; the state lives in struct ui and changes only in the handlers below. */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ui_internal.h"

static const char *const screen_names[UI_SCREEN_COUNT] = {
	"welcome", "category",      "mobile",          "confirm",     "result",
	"lookup",  "lookup_result", "printer_offline", "maintenance",
};

const char *ui_screen_name(enum ui_screen s)
{
	return s >= 0 && s < UI_SCREEN_COUNT ? screen_names[s] : "?";
}

/* The kinds on the welcome screen and the categories each offers. */
const struct ui_kind ui_kinds[UI_KINDS] = {
	{ "repair",
	  "报修",
	  { { "leak", "漏水" },
	    { "no_water", "停水" },
	    { "low_pressure", "水压低" },
	    { "meter", "水表故障" },
	    { "other", "其他" } } },
	{ "complaint",
	  "投诉",
	  { { "attitude", "服务态度" },
	    { "promise", "违反承诺" },
	    { "billing", "水费争议" },
	    { "quality", "水质问题" },
	    { "other", "其他" } } },
	{ "consultation",
	  "咨询",
	  { { "billing", "水费" }, { "other", "业务办理" }, { "quality", "水质" } } },
};

struct ui *ui_new(const struct ui_config *cfg, struct text *font, const struct ui_io *io)
{
	struct ui *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->cfg = *cfg;
	if (u->cfg.idle_ms <= 0)
		u->cfg.idle_ms = 60000;
	u->font = font;
	u->io = *io;
	u->screen = UI_WELCOME;
	return u;
}

void ui_free(struct ui *u)
{
	free(u);
}

enum ui_screen ui_current(const struct ui *u)
{
	return u->screen;
}

/* Leaving a flow: nothing the resident typed stays behind. */
static void clear(struct ui *u)
{
	memset(u->mobile, 0, sizeof(u->mobile));
	memset(u->number, 0, sizeof(u->number));
	memset(u->msg, 0, sizeof(u->msg));
	memset(u->view, 0, sizeof(u->view));
	memset(&u->ticket, 0, sizeof(u->ticket));
	u->kind = u->category = -1;
}

static void go(struct ui *u, enum ui_screen s)
{
	if (s == UI_WELCOME)
		clear(u);
	u->screen = u->maintenance ? UI_MAINTENANCE : s;
	u->msg[0] = s == u->screen ? u->msg[0] : '\0';
}

void ui_set_maintenance(struct ui *u, bool on)
{
	u->maintenance = on;
	go(u, on ? UI_MAINTENANCE : UI_WELCOME);
}

void ui_set_notices(struct ui *u, char lines[][160], int n)
{
	for (int i = 0; i < 3; i++)
		snprintf(u->cfg.notices[i], sizeof(u->cfg.notices[i]), "%s", i < n ? lines[i] : "");
}

void ui_tick(struct ui *u, int64_t now_ms)
{
	if (u->screen != UI_WELCOME && u->screen != UI_MAINTENANCE &&
	    now_ms - u->last_touch_ms >= u->cfg.idle_ms)
		go(u, UI_WELCOME);
}

/* A mainland mobile: 11 digits starting 1[3-9]. */
static bool mobile_ok(const char *m)
{
	return strlen(m) == 11 && m[0] == '1' && m[1] >= '3' && m[1] <= '9';
}

static void type_digit(char *buf, size_t cap, char d)
{
	size_t n = strlen(buf);

	if (n + 1 < cap)
		buf[n] = d;
}

static void backspace(char *buf)
{
	size_t n = strlen(buf);

	if (n > 0)
		buf[n - 1] = '\0';
}

static void submit(struct ui *u)
{
	const struct ui_kind *k = &ui_kinds[u->kind];

	if (u->io.printer_ready && !u->io.printer_ready(u->io.ctx)) {
		go(u, UI_PRINTER_OFFLINE); /* before anything is promised */
		return;
	}
	if (u->io.submit(u->io.ctx, k->name, k->cats[u->category].code, u->mobile, &u->ticket,
			 u->msg) < 0)
		return; /* stays on confirm with the message */
	memset(u->mobile, 0, sizeof(u->mobile));
	go(u, UI_RESULT);
}

static void lookup(struct ui *u)
{
	if (u->io.lookup(u->io.ctx, u->number, u->view, u->msg) == 0)
		go(u, UI_LOOKUP_RESULT);
}

static void on_keypad(struct ui *u, const char *label)
{
	bool mob = u->screen == UI_MOBILE;
	char *buf = mob ? u->mobile : u->number;
	size_t cap = mob ? sizeof(u->mobile) : sizeof(u->number);

	u->msg[0] = '\0';
	if (strcmp(label, "删除") == 0) {
		backspace(buf);
	} else if (strcmp(label, "确定") == 0) {
		if (mob && !mobile_ok(buf))
			snprintf(u->msg, sizeof(u->msg), "请输入11位手机号码");
		else if (mob)
			go(u, UI_CONFIRM);
		else if (strlen(buf) < 8)
			snprintf(u->msg, sizeof(u->msg), "请输入完整的工单号");
		else
			lookup(u);
	} else if (label[0] >= '0' && label[0] <= '9') {
		type_digit(buf, mob ? 12 : cap, label[0]);
		/* A case number is YYYYMM-NNNNN: the dash comes by itself. */
		if (!mob && strlen(buf) == 6)
			type_digit(buf, cap, '-');
	}
}

static void act(struct ui *u, const struct ui_button *b)
{
	switch (b->action) {
	case ACT_HOME: go(u, UI_WELCOME); break;
	case ACT_KIND:
		u->kind = b->arg;
		go(u, UI_CATEGORY);
		break;
	case ACT_LOOKUP: go(u, UI_LOOKUP); break;
	case ACT_CATEGORY:
		u->category = b->arg;
		go(u, UI_MOBILE);
		break;
	case ACT_KEY: on_keypad(u, b->label); break;
	case ACT_BACK: go(u, u->screen == UI_CONFIRM ? UI_MOBILE : UI_WELCOME); break;
	case ACT_SUBMIT: submit(u); break;
	default: break;
	}
}

void ui_tap(struct ui *u, int x, int y, int64_t now_ms)
{
	struct ui_button b[UI_MAX_BUTTONS];
	int n = ui_layout(u, u->w ? u->w : 1080, u->h ? u->h : 1920, b);

	u->last_touch_ms = now_ms;
	for (int i = 0; i < n; i++)
		if (x >= b[i].x && x < b[i].x + b[i].w && y >= b[i].y && y < b[i].y + b[i].h) {
			act(u, &b[i]);
			return;
		}
}

bool ui_find_button(struct ui *u, int w, int h, const char *label, int *x, int *y)
{
	struct ui_button b[UI_MAX_BUTTONS];
	int n = ui_layout(u, w, h, b);

	for (int i = 0; i < n; i++)
		if (strcmp(b[i].label, label) == 0) {
			*x = b[i].x + b[i].w / 2;
			*y = b[i].y + b[i].h / 2;
			return true;
		}
	return false;
}

void ui_show_sample(struct ui *u, enum ui_screen s)
{
	clear(u);
	u->kind = 0;
	u->category = 0;
	if (s == UI_MOBILE || s == UI_CONFIRM)
		snprintf(u->mobile, sizeof(u->mobile), s == UI_MOBILE ? "1381234" : "13812345678");
	if (s == UI_RESULT) {
		snprintf(u->ticket.number, sizeof(u->ticket.number), "202611-00042");
		snprintf(u->ticket.tracking_url, sizeof(u->ticket.tracking_url),
			 "http://127.0.0.1:8080/t/AbCdEfGhIjKlMnOpQrStUvWx");
		snprintf(u->ticket.promised, sizeof(u->ticket.promised), "11月24日10:00前办结");
	}
	if (s == UI_LOOKUP)
		snprintf(u->number, sizeof(u->number), "202611-0");
	if (s == UI_LOOKUP_RESULT)
		snprintf(u->view, sizeof(u->view),
			 "{\"number\":\"202611-00042\",\"kind_label\":\"报修\",\"category_label\":"
			 "\"漏水\",\"status_label\":\"已派单\",\"department\":\"管网部\","
			 "\"complainant\":{\"name\":\"张*\",\"mobile\":\"138****5678\"},"
			 "\"promised_at\":\"2026-11-24T10:00:00+08:00\",\"late\":false}");
	u->screen = s;
}
