/* ui_internal: what ui.c (state) and ui_draw.c (layout and drawing) share. Nobody else
 * includes this file. */
#ifndef KIOSK_UI_INTERNAL_H
#define KIOSK_UI_INTERNAL_H

#include "ui.h"

#define UI_KINDS 3
#define UI_MAX_CATS 6
#define UI_MAX_BUTTONS 24

struct ui_kind {
	const char *name, *label;
	struct {
		const char *code, *label;
	} cats[UI_MAX_CATS];
};
extern const struct ui_kind ui_kinds[UI_KINDS];

enum ui_action {
	ACT_NONE,
	ACT_HOME,
	ACT_KIND,
	ACT_LOOKUP,
	ACT_CATEGORY,
	ACT_KEY,
	ACT_BACK,
	ACT_SUBMIT
};

struct ui_button {
	int x, y, w, h;
	const char *label;
	enum ui_action action;
	int arg;
	bool primary;
};

struct ui {
	struct ui_config cfg;
	struct text *font;
	struct ui_io io;
	enum ui_screen screen;
	bool maintenance;
	int kind, category; /* -1 when not chosen */
	char mobile[16];
	char number[40];
	char msg[128]; /* an error for the resident, shown on the current screen */
	char view[4096]; /* the looked-up case (JSON) */
	struct ui_ticket ticket;
	int64_t last_touch_ms;
	int w, h; /* the size last rendered, for hit testing */
};

/* The buttons of the current screen on a w x h canvas. Returns how many. */
int ui_layout(const struct ui *u, int w, int h, struct ui_button *out);

#endif
