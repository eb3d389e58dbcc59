/* ui_draw: the layout and the look of the kiosk's screens. Sizes are in units of 1/1080 of
 * the canvas width, so a portrait 1080x1920 panel and a smaller test canvas show the same
 * screen; text is at least 48 units (readable at arm's length) and touch targets at least
 * 160 units high. Draws only what struct ui holds: the mobile number typed is shown in
 * full to the person typing it and masked on the confirmation. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "qr.h"
#include "ui_internal.h"

#define C_BG 0xF2F4F7
#define C_HEAD 0x1664C0
#define C_TEXT 0x1D2129
#define C_GREY 0x86909C
#define C_WHITE 0xFFFFFF
#define C_BTN 0xFFFFFF
#define C_PRIMARY 0x1664C0
#define C_ERR 0xD91C0B

static int U(int w, int v)
{
	return v * w / 1080;
}

static void add(struct ui_button *b, int *n, int x, int y, int w, int h, const char *label,
		enum ui_action a, int arg, bool primary)
{
	if (*n >= UI_MAX_BUTTONS)
		return;
	b[*n] = (struct ui_button){ x, y, w, h, label, a, arg, primary };
	(*n)++;
}

static const char *const keypad[12] = { "1", "2", "3", "4",    "5", "6",
					"7", "8", "9", "删除", "0", "确定" };

static void layout_keypad(int w, int y0, struct ui_button *b, int *n)
{
	int bw = U(w, 300), bh = U(w, 170), gap = U(w, 30), x0 = (w - 3 * bw - 2 * gap) / 2;

	for (int i = 0; i < 12; i++)
		add(b, n, x0 + (i % 3) * (bw + gap), y0 + (i / 3) * (bh + gap), bw, bh, keypad[i],
		    ACT_KEY, 0, i == 11);
}

int ui_layout(const struct ui *u, int w, int h, struct ui_button *b)
{
	int n = 0, bw = U(w, 460), bh = U(w, 300), gap = U(w, 40), x0 = (w - 2 * bw - gap) / 2;
	int back_y = h - U(w, 220);

	switch (u->screen) {
	case UI_WELCOME:
		for (int i = 0; i < UI_KINDS; i++)
			add(b, &n, x0 + (i % 2) * (bw + gap), U(w, 420) + (i / 2) * (bh + gap), bw,
			    bh, ui_kinds[i].label, ACT_KIND, i, true);
		add(b, &n, x0 + bw + gap, U(w, 420) + bh + gap, bw, bh, "查询进度", ACT_LOOKUP, 0,
		    false);
		break;
	case UI_CATEGORY:
		for (int i = 0; u->kind >= 0 && i < UI_MAX_CATS && ui_kinds[u->kind].cats[i].code;
		     i++)
			add(b, &n, x0 + (i % 2) * (bw + gap),
			    U(w, 380) + (i / 2) * (U(w, 200) + gap), bw, U(w, 200),
			    ui_kinds[u->kind].cats[i].label, ACT_CATEGORY, i, false);
		add(b, &n, x0, back_y, 2 * bw + gap, U(w, 160), "返回", ACT_HOME, 0, false);
		break;
	case UI_MOBILE:
	case UI_LOOKUP:
		layout_keypad(w, U(w, 620), b, &n);
		add(b, &n, x0, back_y, 2 * bw + gap, U(w, 160), "返回", ACT_HOME, 0, false);
		break;
	case UI_CONFIRM:
		add(b, &n, x0, U(w, 1000), 2 * bw + gap, U(w, 200), "确认提交", ACT_SUBMIT, 0,
		    true);
		add(b, &n, x0, U(w, 1240), 2 * bw + gap, U(w, 160), "返回修改", ACT_BACK, 0, false);
		break;
	case UI_RESULT:
	case UI_LOOKUP_RESULT:
	case UI_PRINTER_OFFLINE:
		add(b, &n, x0, back_y, 2 * bw + gap, U(w, 160),
		    u->screen == UI_RESULT ? "完成" : "返回首页", ACT_HOME, 0, true);
		break;
	default: break;
	}
	return n;
}

static void text_c(struct ui *u, struct canvas *c, int px, int y, uint32_t rgb, const char *s)
{
	text_draw_box(u->font, c, U(c->w, px), U(c->w, 60), y, c->w - U(c->w, 120), 1, rgb, s);
}

static void header(struct ui *u, struct canvas *c, const char *title)
{
	draw_fill(c, C_BG);
	draw_rect(c, 0, 0, c->w, U(c->w, 220), C_HEAD);
	text_draw(u->font, c, U(c->w, 44), U(c->w, 60), U(c->w, 40), C_WHITE, u->cfg.company);
	text_draw(u->font, c, U(c->w, 64), U(c->w, 60), U(c->w, 110), C_WHITE, title);
}

static void buttons(struct ui *u, struct canvas *c)
{
	struct ui_button b[UI_MAX_BUTTONS];
	int n = ui_layout(u, c->w, c->h, b);

	for (int i = 0; i < n; i++) {
		int px = U(c->w, b[i].h >= U(c->w, 300) ? 88 : 60);
		int tw = text_width(u->font, px, b[i].label);

		draw_round_rect(c, b[i].x, b[i].y, b[i].w, b[i].h, U(c->w, 24),
				b[i].primary ? C_PRIMARY : C_BTN);
		text_draw(u->font, c, px, b[i].x + (b[i].w - tw) / 2, b[i].y + (b[i].h - px) / 2,
			  b[i].primary ? C_WHITE : C_TEXT, b[i].label);
	}
}

static void welcome(struct ui *u, struct canvas *c)
{
	int y = U(c->w, 1130);

	header(u, c, "自助服务");
	text_c(u, c, 56, U(c->w, 290), C_TEXT, "请选择您要办理的业务");
	text_draw(u->font, c, U(c->w, 48), U(c->w, 80), y, C_TEXT, "今日停水停电通知");
	y += U(c->w, 80);
	for (int i = 0; i < 3; i++)
		if (u->cfg.notices[i][0])
			y += text_draw_box(u->font, c, U(c->w, 40), U(c->w, 80), y,
					   c->w - U(c->w, 160), 0, C_GREY, u->cfg.notices[i]);
	if (!u->cfg.notices[0][0])
		y += text_draw_box(u->font, c, U(c->w, 40), U(c->w, 80), y, c->w - U(c->w, 160), 0,
				   C_GREY, "今日本区域无计划停水。");
	y += U(c->w, 40);
	text_draw(u->font, c, U(c->w, 48), U(c->w, 80), y, C_TEXT, "服务承诺");
	y += U(c->w, 80);
	for (int i = 0; i < 3; i++)
		if (u->cfg.promises[i][0])
			y += text_draw_box(u->font, c, U(c->w, 40), U(c->w, 80), y,
					   c->w - U(c->w, 160), 0, C_GREY, u->cfg.promises[i]);
	if (u->cfg.hotline[0]) {
		char line[64];
		snprintf(line, sizeof(line), "服务热线 %s", u->cfg.hotline);
		text_c(u, c, 48, c->h - U(c->w, 120), C_GREY, line);
	}
}

static void entry(struct ui *u, struct canvas *c, const char *title, const char *value)
{
	header(u, c, title);
	draw_round_rect(c, U(c->w, 90), U(c->w, 300), c->w - U(c->w, 180), U(c->w, 180),
			U(c->w, 20), C_WHITE);
	text_c(u, c, 88, U(c->w, 340), C_TEXT, value[0] ? value : " ");
	if (u->msg[0])
		text_c(u, c, 48, U(c->w, 520), C_ERR, u->msg);
}

static void confirm(struct ui *u, struct canvas *c)
{
	char line[160], masked[16];

	header(u, c, "请确认");
	snprintf(masked, sizeof(masked), "%.3s****%.4s", u->mobile, u->mobile + 7);
	snprintf(line, sizeof(line), "%s · %s", ui_kinds[u->kind].label,
		 ui_kinds[u->kind].cats[u->category].label);
	text_c(u, c, 72, U(c->w, 420), C_TEXT, line);
	snprintf(line, sizeof(line), "联系电话 %s", masked);
	text_c(u, c, 60, U(c->w, 600), C_TEXT, line);
	if (u->msg[0])
		text_c(u, c, 48, U(c->w, 800), C_ERR, u->msg);
}

static void result(struct ui *u, struct canvas *c)
{
	struct qr *q = NULL;
	struct err e;
	int px;

	header(u, c, "已受理");
	text_c(u, c, 64, U(c->w, 300), C_TEXT, "已受理，请取走小票");
	text_c(u, c, 96, U(c->w, 420), C_PRIMARY, u->ticket.number);
	text_c(u, c, 48, U(c->w, 580), C_TEXT, u->ticket.promised);
	if (qr_encode(u->ticket.tracking_url, &q, &e) == 0) {
		px = U(c->w, 640) / q->size;
		draw_modules(c, (c->w - px * q->size) / 2, U(c->w, 700), q->dark, q->size, px);
		qr_free(q);
	}
	text_c(u, c, 44, U(c->w, 1400), C_GREY,
	       u->ticket.offline ? "网络恢复后自动提交，扫码即可查看进度" : "微信扫码查看办理进度");
}

static void lookup_result(struct ui *u, struct canvas *c)
{
	json_t *v = json_loads(u->view, 0, NULL);
	const char *keys[] = { "number", "status_label", "kind_label", "department" };
	int y = U(c->w, 320);

	header(u, c, "工单进度");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = json_string_value(json_object_get(v, keys[i]));
		if (s == NULL)
			continue;
		text_c(u, c, i == 0 ? 88 : 60, y, i == 1 ? C_PRIMARY : C_TEXT, s);
		y += U(c->w, i == 0 ? 160 : 120);
	}
	if (json_is_true(json_object_get(v, "late")))
		text_c(u, c, 56, y, C_ERR, "已超时，我们正在加紧处理");
	json_decref(v);
}

void ui_render(struct ui *u, struct canvas *c)
{
	u->w = c->w;
	u->h = c->h;
	switch (u->screen) {
	case UI_WELCOME: welcome(u, c); break;
	case UI_CATEGORY:
		header(u, c, u->kind >= 0 ? ui_kinds[u->kind].label : "");
		text_c(u, c, 56, U(c->w, 270), C_TEXT, "请选择具体问题");
		break;
	case UI_MOBILE: entry(u, c, "请输入手机号", u->mobile); break;
	case UI_LOOKUP: entry(u, c, "请输入工单号", u->number); break;
	case UI_CONFIRM: confirm(u, c); break;
	case UI_RESULT: result(u, c); break;
	case UI_LOOKUP_RESULT: lookup_result(u, c); break;
	case UI_PRINTER_OFFLINE:
		header(u, c, "暂停服务");
		text_c(u, c, 72, U(c->w, 500), C_ERR, "打印机暂不可用");
		text_c(u, c, 48, U(c->w, 640), C_TEXT, "请到人工柜台办理，或稍后再试。");
		break;
	default:
		header(u, c, "系统维护中");
		text_c(u, c, 64, U(c->w, 600), C_TEXT, "系统维护中，请到人工柜台办理。");
		break;
	}
	buttons(u, c);
}
