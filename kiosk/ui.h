/* ui: the kiosk's screens and the state machine between them.
 *
 *   welcome --报修/投诉/咨询--> category --item--> mobile --确定 (valid)--> confirm
 *   confirm --确认--> [printer ready?] --no--> printer_offline (nothing promised)
 *                                      --yes--> result (number, promised time, QR; ticket)
 *   welcome --查询进度--> lookup --确定--> lookup_result (masked status)
 *   any screen --idle timeout--> welcome (typed data cleared); maintenance when set
 *
 * Owns the layout (big touch targets, sizes readable at arm's length), hit testing and
 * drawing every screen on a canvas. Pure apart from the callbacks in struct ui_io, which
 * the program (kiosk.c) binds to the spool, the printer and the gateway, and tests bind to
 * stubs. Never keeps a typed mobile number past the screen that needs it. */
#ifndef KIOSK_UI_H
#define KIOSK_UI_H

#include <stdbool.h>
#include <stdint.h>

#include "display.h"
#include "text.h"

enum ui_screen {
	UI_WELCOME,
	UI_CATEGORY,
	UI_MOBILE,
	UI_CONFIRM,
	UI_RESULT,
	UI_LOOKUP,
	UI_LOOKUP_RESULT,
	UI_PRINTER_OFFLINE,
	UI_MAINTENANCE,
	UI_SCREEN_COUNT
};
const char *ui_screen_name(enum ui_screen s); /* "welcome", ... (screenshot file names) */

/* What a submitted request became. */
struct ui_ticket {
	char number[40];
	char tracking_url[320];
	char promised[64]; /* "承诺24小时内处理" */
	bool offline; /* stored while the gateway is down: synchronised later */
};

/* The program's side. Each returns 0, or a negative error with msg (shown to the
 * resident, in Chinese) filled. */
struct ui_io {
	void *ctx;
	/* Whether a ticket can be printed now (paper and link). */
	bool (*printer_ready)(void *ctx);
	/* Stores (and sends, when it can) the request and prints its ticket. */
	int (*submit)(void *ctx, const char *kind, const char *category, const char *mobile,
		      struct ui_ticket *out, char msg[128]);
	/* The masked public view of a case by number (JSON text into view, 4096 bytes). */
	int (*lookup)(void *ctx, const char *number, char view[4096], char msg[128]);
};

struct ui_config {
	char company[96]; /* 幸福水务 */
	char hotline[32];
	char promises[3][96]; /* service promises shown on the welcome screen */
	char notices[3][160]; /* today's outage notices in the hall's area (may be empty) */
	int idle_ms; /* back to welcome after this long without a touch (default 60000) */
};

struct ui;

struct ui *ui_new(const struct ui_config *cfg, struct text *font, const struct ui_io *io);
void ui_free(struct ui *u); /* accepts NULL */

enum ui_screen ui_current(const struct ui *u);
/* A tap at (x, y) on a w x h screen at now_ms. */
void ui_tap(struct ui *u, int x, int y, int64_t now_ms);
/* Time passes (no touch): the idle timeout. */
void ui_tick(struct ui *u, int64_t now_ms);
void ui_set_maintenance(struct ui *u, bool on);
/* Today's outage notices for the welcome screen (up to 3 lines; n 0 clears them). */
void ui_set_notices(struct ui *u, char lines[][160], int n);
/* Draws the current screen on c (any size; layout scales to c->w). */
void ui_render(struct ui *u, struct canvas *c);
/* Puts the machine on screen s with sample data (screenshots of every screen). */
void ui_show_sample(struct ui *u, enum ui_screen s);
/* The centre of the button labelled label on the current screen of a w x h screen (for
 * scripted sessions and tests); false when there is none. */
bool ui_find_button(struct ui *u, int w, int h, const char *label, int *x, int *y);

#endif
