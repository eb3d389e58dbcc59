/* bench_kiosk (make bench): the kiosk's three timings on the release build. From the final
 * touch (确认提交) to the result screen drawn and presented, with a stub in place of the
 * spool, the gateway and the printer (the network is excluded, as the target says); a full
 * redraw of a 1080x1920 frame into a 32-bpp memory framebuffer; building a ticket's ESC/POS
 * bytes (raster QR, 80 mm). Prints the median and the worst of each against the targets
 * (50 ms, 16 ms, 5 ms); a miss is printed, not failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "display.h"
#include "escpos.h"
#include "kiosk_io.h"
#include "ui.h"

#define RUNS 50

static const char *const fonts[] = { "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
				     "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc" };

static bool ready(void *ctx)
{
	(void)ctx;
	return true;
}

static int submit(void *ctx, const char *kind, const char *cat, const char *mobile,
		  struct ui_ticket *out, char msg[128])
{
	(void)ctx, (void)kind, (void)cat, (void)mobile, (void)msg;
	snprintf(out->number, sizeof(out->number), "202611-00042");
	snprintf(out->tracking_url, sizeof(out->tracking_url),
		 "https://kf.example.com/t/AbCdEfGhIjKlMnOpQrStUvWx");
	snprintf(out->promised, sizeof(out->promised), "11月24日10:00前办结");
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, double *ms, double target)
{
	qsort(ms, RUNS, sizeof(*ms), cmp);
	printf("%-44s median %6.2f ms  worst %6.2f ms  target < %4.0f ms  %s\n", what, ms[RUNS / 2],
	       ms[RUNS - 1], target, ms[RUNS / 2] < target ? "PASS" : "MISS");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(void)
{
	struct px_layout xrgb = { 32, 16, 8, 8, 8, 0, 8 };
	struct ui_config cfg = { .company = "幸福水务", .hotline = "96116", .idle_ms = 60000 };
	struct ui_io io = { NULL, ready, submit, NULL };
	struct kiosk_config kc = { .paper_dots = 576 };
	struct display *d = NULL;
	struct text *t = NULL;
	struct err e;
	double touch[RUNS], redraw[RUNS], ticket[RUNS];

	if (text_open(fonts, 2, &t, NULL, &e) < 0 ||
	    display_open_mem(1080, 1920, 1080 * 4 + 64, &xrgb, 0, &d, &e) < 0) {
		fprintf(stderr, "bench_kiosk: %s\n", e.msg);
		return 1;
	}
	snprintf(kc.ui.company, sizeof(kc.ui.company), "幸福水务");
	struct kiosk_io kio = { .cfg = &kc, .font = t };
	struct ui *u = ui_new(&cfg, t, &io);
	for (int i = 0; i < RUNS; i++) {
		int x, y;
		ui_show_sample(u, UI_CONFIRM);
		ui_render(u, display_canvas(d));
		ui_find_button(u, 1080, 1920, "确认提交", &x, &y);
		double t0 = now();
		ui_tap(u, x, y, 0);
		ui_render(u, display_canvas(d));
		display_present(d, &e);
		touch[i] = now() - t0;
		t0 = now();
		ui_render(u, display_canvas(d));
		display_present(d, &e);
		redraw[i] = now() - t0;
		struct ui_ticket tk;
		submit(NULL, NULL, NULL, NULL, &tk, NULL);
		struct escpos p;
		t0 = now();
		kiosk_io_ticket(&kio, &tk, "报修", &p, &e);
		ticket[i] = now() - t0;
		escpos_free(&p);
	}
	printf("kiosk on this machine (release build, %d runs each):\n", RUNS);
	report("final touch -> result screen drawn", touch, 50);
	report("full redraw 1080x1920 (32 bpp framebuffer)", redraw, 16);
	report("ticket ESC/POS bytes (80 mm, raster QR)", ticket, 5);
	ui_free(u);
	display_close(d);
	text_close(t);
	return 0;
}
