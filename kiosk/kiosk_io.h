/* kiosk_io: what the screens ask of the world (struct ui_io), bound to the spool, the
 * gateway and the printer. A request is stored in the spool first, then sent when the
 * gateway answers (else later, by kiosk_io_sync), then its ticket printed; the printer is
 * asked for paper before anything is promised. Also the background work of the main loop:
 * draining the spool in order and keeping a block of reserved numbers in hand. */
#ifndef KIOSK_KIOSK_IO_H
#define KIOSK_KIOSK_IO_H

#include <stdint.h>

#include "gw_client.h"
#include "kiosk_config.h"
#include "printer.h"
#include "spool.h"
#include "text.h"
#include "ui.h"

struct kiosk_io {
	const struct kiosk_config *cfg;
	struct spool *spool;
	struct gw_client *gw;
	struct text *font;
	struct ui *ui; /* the screens, for the welcome screen's notices (may be NULL) */
	int64_t (*now_ms)(void);
};

/* The callbacks, with io as their ctx. */
void kiosk_io_bind(struct kiosk_io *io, struct ui_io *out);
/* Sends what the spool holds (oldest first) and tops up the reserved numbers; stops at the
 * first failure (the gateway is down: try again later). Returns requests sent (>= 0). */
int kiosk_io_sync(struct kiosk_io *io, struct err *e);
/* Prints the tickets of requests stored but never printed (a power cut or a stalled printer
 * between storing and printing): called at start. Returns how many were printed. */
int kiosk_io_reprint(struct kiosk_io *io, struct err *e);
/* The ticket of a request as ESC/POS bytes (built into p, which the caller frees). */
int kiosk_io_ticket(struct kiosk_io *io, const struct ui_ticket *t, const char *kind_label,
		    struct escpos *p, struct err *e);

#endif
