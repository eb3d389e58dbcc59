/* test_kiosk_screens: the kiosk's screens and state machine with stub callbacks. Every
 * screen rendered at 1080x1920 compared with its reviewed golden image in
 * tests/golden/kiosk (a small tolerance for font rasterisation; regenerate with
 * `build/test/kiosk/kiosk --screenshot tests/golden/kiosk` and review the PNGs), the result
 * screen's QR decoded by zbarimg, and the flow: welcome -> 报修 -> 漏水 -> mobile -> confirm
 * -> result, a wrong mobile refused, the printer checked before anything is promised, the
 * idle timeout clearing what was typed, the lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "text.h"
#include "ui.h"

#define W 1080
#define H 1920

static const char *const fonts[] = { "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
				     "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc" };

struct stub {
	bool printer;
	int submits;
	char mobile[16], kind[16], category[16];
};

static bool stub_ready(void *ctx)
{
	return ((struct stub *)ctx)->printer;
}

static int stub_submit(void *ctx, const char *kind, const char *category, const char *mobile,
		       struct ui_ticket *out, char msg[128])
{
	struct stub *s = ctx;

	(void)msg;
	s->submits++;
	snprintf(s->mobile, sizeof(s->mobile), "%s", mobile);
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	snprintf(s->category, sizeof(s->category), "%s", category);
	snprintf(out->number, sizeof(out->number), "202611-00007");
	snprintf(out->tracking_url, sizeof(out->tracking_url), "http://kf.example.com/t/Tok");
	return 0;
}

static int stub_lookup(void *ctx, const char *number, char view[4096], char msg[128])
{
	(void)ctx;
	if (strcmp(number, "202611-00042") != 0) {
		snprintf(msg, 128, "未找到该工单");
		return -2;
	}
	snprintf(view, 4096, "{\"number\":\"202611-00042\",\"status_label\":\"已派单\"}");
	return 0;
}

static struct text *font(void)
{
	static struct text *t;
	struct err e;

	if (t == NULL && text_open(fonts, 2, &t, NULL, &e) < 0)
		fprintf(stderr, "  fonts: %s\n", e.msg);
	return t;
}

static struct ui *new_ui(struct stub *s)
{
	struct ui_config cfg = { .company = "幸福水务", .hotline = "96116", .idle_ms = 60000 };
	struct ui_io io = { s, stub_ready, stub_submit, stub_lookup };

	snprintf(cfg.promises[0], sizeof(cfg.promises[0]), "报修30分钟内响应，24小时内处理完毕");
	snprintf(cfg.promises[1], sizeof(cfg.promises[1]), "投诉5个工作日内答复");
	snprintf(cfg.promises[2], sizeof(cfg.promises[2]),
		 "咨询当场答复，不能当场答复的24小时内回复");
	return ui_new(&cfg, font(), &io);
}

static bool tap(struct ui *u, const char *label, int64_t t)
{
	int x, y;

	if (!ui_find_button(u, W, H, label, &x, &y)) {
		fprintf(stderr, "  no button %s on %s\n", label, ui_screen_name(ui_current(u)));
		return false;
	}
	ui_tap(u, x, y, t);
	return true;
}

/* Share of pixels whose channels differ by more than 48 from the golden image. */
static double diff(const struct canvas *a, const struct canvas *b)
{
	long bad = 0;

	for (long i = 0; i < (long)a->w * a->h; i++)
		for (int sh = 0; sh < 24; sh += 8) {
			int d = (int)((a->px[i] >> sh) & 255) - (int)((b->px[i] >> sh) & 255);
			if (d > 48 || d < -48) {
				bad++;
				break;
			}
		}
	return (double)bad / ((double)a->w * a->h);
}

TEST(every_screen_matches_its_golden_image)
{
	struct stub s = { .printer = true };
	struct ui *u = new_ui(&s);
	struct canvas c = { W, H, calloc(W * H, sizeof(uint32_t)) }, g;
	char path[256];
	struct err e;

	for (int i = 0; u && i < UI_SCREEN_COUNT; i++) {
		ui_show_sample(u, (enum ui_screen)i);
		ui_render(u, &c);
		snprintf(path, sizeof(path), "tests/golden/kiosk/%s.png",
			 ui_screen_name((enum ui_screen)i));
		if (draw_load_png(path, &g, &e) < 0) {
			fprintf(stderr, "  %s\n", e.msg);
			CHECK(false);
			continue;
		}
		CHECK(g.w == W && g.h == H);
		if (g.w == W && g.h == H && diff(&c, &g) > 0.002) {
			fprintf(stderr, "  %s differs from its golden image in %.2f%% of pixels\n",
				path, 100 * diff(&c, &g));
			CHECK(false);
		}
		draw_canvas_free(&g);
	}
	free(c.px);
	ui_free(u);
}

TEST(result_screen_qr_decodes_to_the_tracking_url)
{
	struct stub s = { .printer = true };
	struct ui *u = new_ui(&s);
	struct canvas c = { W, H, calloc(W * H, sizeof(uint32_t)) };
	char path[] = "/tmp/test_kiosk_screens_XXXXXX.png", line[400] = "";
	struct err e;
	FILE *p;
	int fd = mkstemps(path, 4);

	ui_show_sample(u, UI_RESULT);
	ui_render(u, &c);
	CHECK(fd >= 0 && draw_save_png(&c, path, &e) == 0);
	if (system("command -v zbarimg >/dev/null 2>&1") != 0) {
		printf("  zbarimg missing: QR not decoded (apt-get install zbar-tools)\n");
	} else {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "zbarimg -q --raw %s 2>/dev/null", path);
		p = popen(cmd, "r");
		CHECK(p != NULL && fgets(line, sizeof(line), p) != NULL);
		if (p)
			pclose(p);
		line[strcspn(line, "\n")] = '\0';
		CHECK_STR(line, "http://127.0.0.1:8080/t/AbCdEfGhIjKlMnOpQrStUvWx");
	}
	remove(path);
	free(c.px);
	ui_free(u);
}

TEST(repair_flow_to_a_ticket)
{
	struct stub s = { .printer = true };
	struct ui *u = new_ui(&s);
	const char *digits = "13812345678";

	CHECK(tap(u, "报修", 1000) && tap(u, "漏水", 2000));
	CHECK_INT(ui_current(u), UI_MOBILE);
	for (int i = 0; i < 7; i++)
		CHECK(tap(u, (char[]){ digits[i], 0 }, 3000));
	CHECK(tap(u, "确定", 4000));
	CHECK_INT(ui_current(u), UI_MOBILE); /* 7 digits: refused, stays */
	for (int i = 7; i < 11; i++)
		CHECK(tap(u, (char[]){ digits[i], 0 }, 5000));
	CHECK(tap(u, "确定", 6000));
	CHECK_INT(ui_current(u), UI_CONFIRM);
	CHECK(tap(u, "确认提交", 7000));
	CHECK_INT(ui_current(u), UI_RESULT);
	CHECK_INT(s.submits, 1);
	CHECK_STR(s.mobile, "13812345678");
	CHECK_STR(s.kind, "repair");
	CHECK_STR(s.category, "leak");
	CHECK(tap(u, "完成", 8000));
	CHECK_INT(ui_current(u), UI_WELCOME);
	ui_free(u);
}

TEST(printer_offline_before_anything_is_promised)
{
	struct stub s = { .printer = false };
	struct ui *u = new_ui(&s);

	CHECK(tap(u, "投诉", 1) && tap(u, "服务态度", 2));
	for (const char *d = "13912345678"; *d; d++)
		CHECK(tap(u, (char[]){ *d, 0 }, 3));
	CHECK(tap(u, "确定", 4) && tap(u, "确认提交", 5));
	CHECK_INT(ui_current(u), UI_PRINTER_OFFLINE);
	CHECK_INT(s.submits, 0);
	ui_free(u);
}

TEST(idle_timeout_clears_what_was_typed)
{
	struct stub s = { .printer = true };
	struct ui *u = new_ui(&s);

	CHECK(tap(u, "咨询", 1000) && tap(u, "水费", 2000) && tap(u, "1", 3000));
	ui_tick(u, 3000 + 59999);
	CHECK_INT(ui_current(u), UI_MOBILE);
	ui_tick(u, 3000 + 60000);
	CHECK_INT(ui_current(u), UI_WELCOME);
	CHECK(tap(u, "咨询", 70000) && tap(u, "水费", 70001) && tap(u, "确定", 70002));
	CHECK_INT(ui_current(u), UI_MOBILE); /* nothing left of the earlier "1" */
	ui_free(u);
}

TEST(lookup_by_number)
{
	struct stub s = { .printer = true };
	struct ui *u = new_ui(&s);

	CHECK(tap(u, "查询进度", 1));
	for (const char *d = "20261100042"; *d; d++)
		CHECK(tap(u, (char[]){ *d, 0 }, 2));
	CHECK(tap(u, "确定", 3));
	CHECK_INT(ui_current(u), UI_LOOKUP_RESULT);
	ui_set_maintenance(u, true);
	CHECK_INT(ui_current(u), UI_MAINTENANCE);
	ui_free(u);
}

int main(void)
{
	RUN(every_screen_matches_its_golden_image);
	RUN(result_screen_qr_decodes_to_the_tracking_url);
	RUN(repair_flow_to_a_ticket);
	RUN(printer_offline_before_anything_is_promised);
	RUN(idle_timeout_clears_what_was_typed);
	RUN(lookup_by_number);
	text_close(font());
	return TEST_END();
}
