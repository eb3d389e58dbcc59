/* kiosk: the business hall's touchscreen program. Builds the context (configuration, fonts,
 * display, input, spool, gateway client, screens), reprints tickets a power cut left
 * unprinted, then loops: an input event or a tick, the screen redrawn when it changed, the
 * spool drained every few seconds. `kiosk --screenshot DIR` renders every screen to
 * DIR/<screen>.png and exits. Start-up problems exit with a message and status 1
 * (configuration: 2). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "display.h"
#include "input.h"
#include "kiosk_config.h"
#include "kiosk_io.h"
#include "log.h"
#include "ui.h"

#define SYNC_EVERY_MS 5000

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_fonts(const struct kiosk_config *cfg, struct text **out)
{
	const char *paths[4];
	struct err e;
	int missing = 0;

	for (int i = 0; i < cfg->nfonts; i++)
		paths[i] = cfg->fonts[i];
	if (text_open(paths, cfg->nfonts, out, &missing, &e) < 0) {
		fprintf(stderr, "kiosk: %s; install fonts-noto-cjk or set [fonts] path\n", e.msg);
		return -1;
	}
	if (missing > 0)
		log_warn("%d font(s) of [fonts] path are missing; rare characters may not show",
			 missing);
	return 0;
}

static int screenshots(const struct kiosk_config *cfg, struct text *font, const char *dir)
{
	struct ui_io io = { 0 };
	struct ui *u = ui_new(&cfg->ui, font, &io);
	struct canvas c = { cfg->width, cfg->height, NULL };
	char path[1024];
	struct err e;
	int rc = 0;

	c.px = calloc((size_t)c.w * (size_t)c.h, sizeof(*c.px));
	for (int s = 0; u != NULL && c.px != NULL && s < UI_SCREEN_COUNT && rc == 0; s++) {
		ui_show_sample(u, (enum ui_screen)s);
		ui_render(u, &c);
		snprintf(path, sizeof(path), "%s/%s.png", dir, ui_screen_name((enum ui_screen)s));
		if ((rc = draw_save_png(&c, path, &e)) < 0)
			fprintf(stderr, "kiosk: %s\n", e.msg);
		else
			printf("%s\n", path);
	}
	free(c.px);
	ui_free(u);
	return rc < 0 || u == NULL ? 1 : 0;
}

static int open_display(const struct kiosk_config *cfg, struct display **d, struct err *e)
{
	if (strncmp(cfg->display, "png:", 4) == 0)
		return display_open_png(cfg->display + 4, cfg->width, cfg->height, d, e);
	return display_open_fb(cfg->display, cfg->rotate, d, e);
}

static int open_input(const struct kiosk_config *cfg, const struct canvas *c, struct input **in,
		      struct err *e)
{
	struct input_calib cal = { cfg->swap_xy, cfg->invert_x, cfg->invert_y };

	if (strncmp(cfg->input, "script:", 7) == 0)
		return input_open_script(cfg->input + 7, in, e);
	return input_open_evdev(cfg->input, &cal, c->w, c->h, cfg->grab, in, e);
}

struct kiosk {
	struct kiosk_config cfg;
	struct text *font;
	struct display *disp;
	struct input *in;
	struct spool *spool;
	struct gw_client *gw;
	struct kiosk_io io;
	struct ui *ui;
};

static int run(struct kiosk *k)
{
	struct input_event_k ev;
	int64_t clock = now_ms(), last_sync = 0;
	struct err e;
	int shown = -1;

	while (!stopping) {
		if (input_next(k->in, 200, &ev, &e) < 0)
			log_warn("input: %s", e.msg);
		clock += ev.wait_ms; /* a script's pauses pass on the kiosk's clock */
		if (clock < now_ms())
			clock = now_ms();
		if (ev.type == INPUT_END)
			break;
		if (ev.type == INPUT_TAP)
			ui_tap(k->ui, ev.x, ev.y, clock);
		ui_tick(k->ui, clock);
		if (ev.type != INPUT_NONE || (int)ui_current(k->ui) != shown) {
			ui_render(k->ui, display_canvas(k->disp));
			if (display_present(k->disp, &e) < 0)
				log_error("display: %s", e.msg);
			shown = (int)ui_current(k->ui);
		}
		if (clock - last_sync >= SYNC_EVERY_MS) {
			last_sync = clock;
			if (kiosk_io_sync(&k->io, &e) < 0)
				log_info("gateway not reachable, requests stay in the spool: %s",
					 e.msg);
		}
	}
	return 0;
}

static int start(struct kiosk *k)
{
	struct ui_io io;
	struct err e;

	if (k->cfg.key[0] == '\0') {
		fprintf(stderr,
			"kiosk: no API key: export %s=<key from gatewayctl key create --role "
			"kiosk> or set [gateway] key\n",
			k->cfg.key_env[0] ? k->cfg.key_env : "KIOSK_API_KEY");
		return -1;
	}
	if (open_display(&k->cfg, &k->disp, &e) < 0 ||
	    open_input(&k->cfg, display_canvas(k->disp), &k->in, &e) < 0 ||
	    spool_open(k->cfg.spool, &k->spool, &e) < 0 ||
	    gw_client_new(k->cfg.gateway_url, k->cfg.key, k->cfg.gateway_timeout_ms, &k->gw, &e) <
		    0) {
		fprintf(stderr, "kiosk: %s\n", e.msg);
		return -1;
	}
	k->io = (struct kiosk_io){
		.cfg = &k->cfg, .spool = k->spool, .gw = k->gw, .font = k->font, .now_ms = now_ms
	};
	kiosk_io_bind(&k->io, &io);
	if ((k->ui = ui_new(&k->cfg.ui, k->font, &io)) == NULL)
		return -1;
	k->io.ui = k->ui;
	if (kiosk_io_reprint(&k->io, &e) > 0)
		log_info("reprinted the tickets a power cut or the printer left unprinted");
	if (kiosk_io_sync(&k->io, &e) < 0)
		log_info("gateway not reachable at start: %s", e.msg);
	return 0;
}

static void stop(struct kiosk *k)
{
	ui_free(k->ui);
	gw_client_free(k->gw);
	spool_close(k->spool);
	input_close(k->in);
	display_close(k->disp);
	text_close(k->font);
}

int main(int argc, char **argv)
{
	static struct kiosk k;
	const char *path = "config/kiosk.ini", *shots = NULL;
	char probs[8][300];
	int nprobs = 0, rc = 1;
	struct err e;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--screenshot") == 0 && i + 1 < argc)
			shots = argv[++i];
		else {
			fprintf(stderr, "usage: kiosk [--config FILE] [--screenshot DIR]\n");
			return 2;
		}
	}
	if (kiosk_config_load(path, &k.cfg, probs, &nprobs, &e) < 0) {
		for (int i = 0; i < nprobs; i++)
			fprintf(stderr, "%s\n", probs[i]);
		if (nprobs == 0)
			fprintf(stderr, "kiosk: %s\n", e.msg);
		return 2;
	}
	if (open_fonts(&k.cfg, &k.font) < 0)
		return 1;
	if (shots != NULL) {
		rc = screenshots(&k.cfg, k.font, shots);
		text_close(k.font);
		return rc;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (start(&k) == 0)
		rc = run(&k);
	stop(&k);
	return rc;
}
