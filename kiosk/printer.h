/* printer: the link to the receipt printer. Owns opening it ("file:PATH" appends to a file,
 * "dev:/dev/usb/lp0" a USB printer class device, "tcp:HOST:9100" a network printer), writing
 * a ticket whole within a timeout (a printer that stalls mid-ticket is reported, never
 * waited on forever), and asking for the paper status where the link answers (dev and tcp;
 * a file always says OK). The one file that does the printer's I/O. */
#ifndef KIOSK_PRINTER_H
#define KIOSK_PRINTER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "escpos.h"

struct printer;

/* ERR_INVALID for a spec of another shape (with an example), ERR_IO when it cannot be
 * opened (offline). */
int printer_open(const char *spec, int timeout_ms, struct printer **out, struct err *e);
void printer_close(struct printer *p); /* accepts NULL */

/* Writes all of bytes; ERR_IO when the link fails or stalls past the timeout (what was
 * written so far is said in the message). */
int printer_write(struct printer *p, const uint8_t *bytes, size_t len, struct err *e);
/* Asks for the paper state: PAPER_OK etc. in *state; ERR_IO when the printer does not
 * answer within the timeout (offline). */
int printer_status(struct printer *p, enum escpos_paper *state, struct err *e);

#endif
