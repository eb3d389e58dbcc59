/* kiosk_config: the kiosk's configuration, config/kiosk.ini, read with inih. Owns the key
 * table, defaults and checks (every problem names file, line and key); read-only after
 * kiosk_config_load. The API key may come from the environment (key_env) and is never
 * printed. */
#ifndef KIOSK_KIOSK_CONFIG_H
#define KIOSK_KIOSK_CONFIG_H

#include <stdbool.h>

#include "err.h"
#include "ui.h"

struct kiosk_config {
	struct ui_config ui; /* [kiosk] company, hotline, promise1..3, idle_seconds */
	char area[64]; /* [kiosk] area: the hall's area code, for its outage notices ("": none) */
	char display[512]; /* [display] device: /dev/fb0 or png:PATH */
	int rotate, width, height; /* [display] rotate 0|90|180|270; png size */
	char input[512]; /* [input] device: /dev/input/eventN or script:PATH */
	bool swap_xy, invert_x, invert_y, grab;
	char printer[512]; /* [printer] device: file:PATH, dev:PATH, tcp:HOST:PORT */
	int paper_dots; /* [printer] paper 58 -> 384, 80 -> 576 */
	bool native_qr; /* [printer] qr = native */
	int printer_timeout_ms;
	char gateway_url[256]; /* [gateway] url */
	char key[128]; /* [gateway] key or key_env */
	char key_env[64]; /* the variable key_env names, for messages */
	int gateway_timeout_ms;
	int reserve; /* [gateway] reserve: numbers kept in hand for offline tickets */
	char spool[512]; /* [spool] path */
	char fonts[4][512]; /* [fonts] path = a, b (fallback order) */
	int nfonts;
};

/* Defaults, then the file. ERR_INVALID with the first problem in e (all are printed to
 * stderr by the caller via probs). */
int kiosk_config_load(const char *path, struct kiosk_config *cfg, char probs[8][300], int *nprobs,
		      struct err *e);

#endif
