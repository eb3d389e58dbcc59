/* test_kiosk_escpos: the receipt's bytes and the printer link. ESC/POS commands are checked
 * byte for byte (a centred bold Chinese line in GB18030, size, feed, cut, the native QR);
 * a character outside GB2312 goes through a stub raster callback; the raster QR is cut out of
 * the bytes, written as a PBM and decoded by zbarimg at 58 and 80 mm. The printer is driven
 * through a file, a pseudo-terminal standing in for /dev/usb/lp0 and loopback TCP listeners
 * that answer the status query, never answer, or never read. */
#include "escpos.h"
#include "printer.h"
#include "qr.h"

#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define URL "https://kf.example.cn/t/202611-00042?k=AbC9xYz"
#define BYTES(lit) (const uint8_t *)(lit), sizeof(lit) - 1
#define STALL_BYTES (16u * 1024 * 1024) /* far more than loopback socket buffers hold */

static const uint8_t stub_bits[] = { 0xaa, 0x55, 0xf0, 0x0f }; /* 16 x 2 */

struct stub {
	bool fail;
	char seen[64];
};

static int stub_raster(void *ctx, const char *utf8, uint8_t **bits, int *w, int *h, struct err *e)
{
	struct stub *s = ctx;

	snprintf(s->seen, sizeof(s->seen), "%s", utf8);
	if (s->fail)
		return err_set(e, ERR_IO, NULL, "no font");
	*bits = malloc(sizeof(stub_bits));
	memcpy(*bits, stub_bits, sizeof(stub_bits));
	*w = 16;
	*h = 2;
	return 0;
}

static bool bytes_are(const struct escpos *p, const uint8_t *want, size_t n)
{
	const uint8_t *b = NULL;
	size_t len = 0;
	struct err e = { 0 };

	if (escpos_bytes(p, &b, &len, &e) != 0 || len != n)
		return fprintf(stderr, "  got %zu bytes, want %zu (%s)\n", len, n, e.msg), false;
	for (size_t i = 0; i < n; i++)
		if (b[i] != want[i])
			return fprintf(stderr, "  byte %zu: %02x, want %02x\n", i, b[i], want[i]),
			       false;
	return true;
}

TEST(test_line_feed_cut_bytes)
{
	struct escpos p;

	escpos_init(&p, 384, false, NULL, NULL);
	escpos_line(&p, "已受理", ESCPOS_CENTER, false, true);
	escpos_feed(&p, 3);
	escpos_cut(&p);
	/* ESC @; ESC a 1, ESC E 1, GS ! 0, FS & 已受理 FS . LF; ESC d 3; GS V 66 0. */
	CHECK(bytes_are(&p,
			BYTES("\x1b\x40\x1b\x61\x01\x1b\x45\x01\x1d\x21\x00\x1c\x26"
			      "\xd2\xd1\xca\xdc\xc0\xed\x1c\x2e\x0a\x1b\x64\x03"
			      "\x1d\x56\x42\x00")));
	escpos_free(&p);

	/* ASCII needs no Chinese mode; ESC in the text becomes a space, a bad byte a '?'. */
	escpos_init(&p, 576, false, NULL, NULL);
	escpos_line(&p, "No\x1b@\xff!", ESCPOS_LEFT, true, false);
	CHECK(bytes_are(&p, BYTES("\x1b\x40\x1b\x61\x00\x1b\x45\x00\x1d\x21\x11No @?!\n")));
	escpos_free(&p);
}

/* Checks the line raster that follows ESC @ and the 9 bytes of line settings: a full-width
 * image of rows rows whose bytes at column col are the given ones, the rest white. */
static void check_raster(const struct escpos *p, int rows, int col, const uint8_t *row_bytes,
			 int per_row)
{
	int wb = p->dots / 8;
	const uint8_t *img = p->buf + 2 + 9 + 8;

	CHECK_INT(p->len, 2 + 9 + 8 + (size_t)(wb * rows));
	if (p->len != 2 + 9 + 8 + (size_t)(wb * rows))
		return; /* the checks below would read past the end */
	CHECK(memcmp(p->buf + 11, "\x1d\x76\x30\x00", 4) == 0);
	CHECK_INT(p->buf[15] | p->buf[16] << 8, wb);
	CHECK_INT(p->buf[17] | p->buf[18] << 8, rows);
	for (int y = 0; y < rows; y++)
		for (int x = 0; x < wb; x++)
			CHECK(img[y * wb + x] ==
			      (x >= col && x < col + per_row ? row_bytes[y * per_row + x - col]
							     : 0));
}

TEST(test_rare_character_goes_as_raster)
{
	const uint8_t *big = (const uint8_t *)"\xcc\xcc\x33\x33\xcc\xcc\x33\x33"
					      "\xff\x00\x00\xff\xff\x00\x00\xff";
	struct stub s = { 0 };
	struct escpos p;

	escpos_init(&p, 384, false, stub_raster, &s);
	escpos_line(&p, "刘𠮷", ESCPOS_CENTER, false, false);
	CHECK_STR(s.seen, "刘𠮷");
	check_raster(&p, 2, 23, stub_bits, 2); /* (384 - 16) / 2 = 184 dots = byte 23 */
	escpos_free(&p);

	escpos_init(&p, 576, false, stub_raster, &s);
	escpos_line(&p, "䶮", ESCPOS_RIGHT, false, false);
	check_raster(&p, 2, 70, stub_bits, 2);
	escpos_free(&p);

	/* Big doubles every dot: 0xaa -> 0xcc 0xcc; 32 dots centred on 384 start at byte 22. */
	escpos_init(&p, 384, false, stub_raster, &s);
	escpos_line(&p, "镕", ESCPOS_CENTER, true, false);
	check_raster(&p, 4, 22, big, 4);
	escpos_free(&p);
}

TEST(test_raster_fallback_is_gb18030_text)
{
	struct stub s = { .fail = true };
	struct escpos p;

	/* With the callback failing, or none, 𠮷 goes as its GB18030 bytes 95 34 B2 35. */
	for (int i = 0; i < 2; i++) {
		escpos_init(&p, 384, false, i ? NULL : stub_raster, &s);
		escpos_line(&p, "𠮷", ESCPOS_LEFT, false, false);
		CHECK(bytes_are(&p,
				BYTES("\x1b\x40\x1b\x61\x00\x1b\x45\x00\x1d\x21\x00\x1c"
				      "\x26\x95\x34\xb2\x35\x1c\x2e\x0a")));
		escpos_free(&p);
	}
}

/* Expects GS ( k with cn 0x31, function fn and the given parameters at *at; moves on. */
static void check_qr_fn(const uint8_t *b, size_t *at, uint8_t fn, const void *args, size_t n)
{
	const uint8_t *c = b + *at;

	CHECK(c[0] == 0x1d && c[1] == 0x28 && c[2] == 0x6b);
	CHECK_INT(c[3] | c[4] << 8, n + 2);
	CHECK(c[5] == 0x31 && c[6] == fn);
	CHECK(memcmp(c + 7, args, n) == 0);
	*at += 7 + n;
}

TEST(test_native_qr)
{
	struct escpos p;
	struct qr *q = NULL;
	struct err e = { 0 };
	size_t at = 5, n = strlen(URL);
	int size;

	CHECK_INT(qr_encode(URL, &q, &e), 0);
	escpos_init(&p, 384, true, NULL, NULL);
	escpos_qr(&p, URL);
	CHECK_INT(p.err, 0);
	CHECK_INT(p.len, 2 + 3 + 9 + 8 + 8 + 7 + n + 1 + 8);
	CHECK(memcmp(p.buf, "\x1b\x40\x1b\x61\x01", 5) == 0);
	check_qr_fn(p.buf, &at, 0x41, "\x32\x00", 2);
	size = p.buf[at + 7];
	/* About half of 384 dots, quiet zone included, and never under 3 dots a module. */
	CHECK(size >= 3 && (size == 3 || size * q->size <= 192) && (size + 1) * q->size > 192);
	check_qr_fn(p.buf, &at, 0x43, &p.buf[at + 7], 1);
	check_qr_fn(p.buf, &at, 0x45, "\x31", 1);
	check_qr_fn(p.buf, &at, 0x50, "0" URL, n + 1);
	check_qr_fn(p.buf, &at, 0x51, "\x30", 1);
	CHECK_INT(at, p.len);
	escpos_free(&p);
	qr_free(q);
}

/* Writes the 1-bit image as a PBM (P4 rows are GS v 0 rows) and decodes it with zbarimg;
 * 1 when zbarimg is missing. */
static int zbar_decode(const uint8_t *img, int wb, int rows, char *out, size_t cap)
{
	char path[] = "/tmp/test_kiosk_escpos.XXXXXX.pbm", cmd[128];
	FILE *f, *z;
	int fd;
	size_t n;

	if (system("command -v zbarimg >/dev/null 2>&1") != 0)
		return 1;
	fd = mkstemps(path, 4);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL)
		return -1;
	fprintf(f, "P4\n%d %d\n", wb * 8, rows);
	fwrite(img, (size_t)wb, (size_t)rows, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "zbarimg -q --raw %s 2>/dev/null", path);
	z = popen(cmd, "r");
	n = z ? fread(out, 1, cap - 1, z) : 0;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (z)
		pclose(z);
	unlink(path);
	return 0;
}

/* At 58 and 80 mm: a centred image no wider than the paper that zbarimg decodes. */
TEST(test_raster_qr_decodes)
{
	for (int dots = 384; dots <= 576; dots += 192) {
		struct escpos p;
		char got[256] = "";
		int wb, rows, left = -1, right = -1;
		const uint8_t *img;

		escpos_init(&p, dots, false, NULL, NULL);
		escpos_qr(&p, URL);
		CHECK_INT(p.err, 0);
		CHECK(memcmp(p.buf + 2, "\x1d\x76\x30\x00", 4) == 0);
		wb = p.buf[6] | p.buf[7] << 8;
		rows = p.buf[8] | p.buf[9] << 8;
		CHECK(wb * 8 <= dots);
		CHECK_INT(p.len, 10 + (size_t)(wb * rows));
		img = p.buf + 10;
		for (int x = 0; x < wb * 8; x++)
			for (int y = 0; y < rows; y++)
				if (img[y * wb + x / 8] & (0x80 >> (x % 8))) {
					left = left < 0 ? x : left;
					right = x;
				}
		/* The dark part is centred; with its quiet zone it is about half the paper. */
		CHECK(left > 0 && right > left && abs(left - (wb * 8 - 1 - right)) <= 1);
		CHECK(rows >= dots / 3 && rows <= dots * 2 / 3);
		if (zbar_decode(img, wb, rows, got, sizeof(got)) == 1)
			printf("  note: zbarimg is missing, the raster QR was not decoded\n");
		else
			CHECK_STR(got, URL);
		escpos_free(&p);
	}
}

TEST(test_errors_are_sticky)
{
	struct escpos p;
	const uint8_t *b = NULL;
	size_t len = 0, before;
	struct err e = { 0 };
	char long_text[1001] = "";

	escpos_init(&p, 384, false, NULL, NULL);
	escpos_qr(&p, "");
	before = p.len;
	escpos_line(&p, "x", ESCPOS_LEFT, false, false);
	CHECK_INT(p.len, before);
	CHECK_INT(escpos_bytes(&p, &b, &len, &e), ERR_INVALID);
	CHECK(b == NULL && len == 0);
	escpos_free(&p);

	/* 1000 bytes need a code too wide for 384 dots at 3 dots a module. */
	memset(long_text, 'a', 1000);
	escpos_init(&p, 384, false, NULL, NULL);
	escpos_qr(&p, long_text);
	CHECK_INT(escpos_bytes(&p, &b, &len, &e), ERR_TOOBIG);
	escpos_free(&p);

	escpos_init(&p, 576, false, NULL, NULL);
	for (int i = 0; i < 100; i++)
		escpos_qr(&p, URL);
	CHECK_INT(escpos_bytes(&p, &b, &len, &e), ERR_TOOBIG);
	CHECK(strstr(e.msg, "262144") != NULL);
	CHECK(p.len <= ESCPOS_MAX_BYTES && p.len > ESCPOS_MAX_BYTES / 2);
	escpos_free(&p);
}

TEST(test_paper_status)
{
	CHECK(memcmp(escpos_status_query, "\x10\x04\x04", 3) == 0);
	/* 0x12 is the fixed bits alone; 0x0c the near-end sensor, 0x60 the paper end. */
	CHECK_INT(escpos_paper_state(0x12), PAPER_OK);
	for (int b = 0x04; b <= 0x0c; b += 0x04)
		CHECK_INT(escpos_paper_state((uint8_t)(0x12 | b)), PAPER_NEAR_END);
	for (int b = 0x20; b <= 0x60; b += 0x20)
		CHECK(escpos_paper_state((uint8_t)(0x12 | b)) == PAPER_OUT &&
		      escpos_paper_state((uint8_t)(0x1e | b)) == PAPER_OUT);
}

TEST(test_printer_file_appends)
{
	char path[] = "/tmp/test_kiosk_printer.XXXXXX", spec[64], got[16] = "";
	struct printer *pr = NULL;
	enum escpos_paper st = PAPER_OUT;
	struct err e = { 0 };
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	snprintf(spec, sizeof(spec), "file:%s", path);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(printer_open(spec, 500, &pr, &e), 0);
		CHECK_INT(printer_write(pr, (const uint8_t *)(i ? "def" : "abc"), 3, &e), 0);
		CHECK_INT(printer_status(pr, &st, &e), 0);
		CHECK_INT(st, PAPER_OK);
		printer_close(pr);
	}
	CHECK_INT(read(fd, got, sizeof(got) - 1), 6);
	CHECK_STR(got, "abcdef");
	close(fd);
	unlink(path);
}

TEST(test_printer_bad_specs)
{
	/* Another scheme, no path, no host or port, a port out of range or not a number. */
	char list[] = "lpt:1 file: dev: dev tcp: tcp:host tcp::9100 tcp:127.0.0.1:0 "
		      "tcp:127.0.0.1:99999 tcp:127.0.0.1:91x";
	struct printer *pr = NULL;
	struct err e = { 0 };

	CHECK_INT(printer_open("", 500, &pr, &e), ERR_INVALID);
	for (char *save = NULL, *s = strtok_r(list, " ", &save); s;
	     s = strtok_r(NULL, " ", &save)) {
		CHECK_INT(printer_open(s, 500, &pr, &e), ERR_INVALID);
		CHECK(strstr(e.msg, "tcp:192.168.1.50:9100") != NULL);
	}
	CHECK(pr == NULL);
	CHECK_INT(printer_open("dev:/nonexistent/lp0", 500, &pr, &e), ERR_IO);
	CHECK(strstr(e.msg, "/nonexistent/lp0") != NULL);
}

/* The other end of a link: reads expect bytes, then answers the one byte reply. */
struct peer {
	int fd;
	bool accept;
	uint8_t reply;
	size_t expect, got;
	uint8_t buf[32 * 1024]; /* a ticket of a few lines and a QR code */
};

static void *peer_run(void *arg)
{
	struct peer *pe = arg;
	struct pollfd pfd = { .fd = pe->fd, .events = POLLIN };
	int fd = pe->fd;
	ssize_t n = 1;

	/* A bounded wait for the connection, so a failing open cannot hang the test. */
	if (pe->accept)
		fd = poll(&pfd, 1, 3000) == 1 ? accept(pe->fd, NULL, NULL) : -1;
	pfd.fd = fd;
	while (fd >= 0 && pe->got < pe->expect && n > 0 && poll(&pfd, 1, 3000) == 1)
		if ((n = read(fd, pe->buf + pe->got, pe->expect - pe->got)) > 0)
			pe->got += (size_t)n;
	if (fd >= 0 && write(fd, &pe->reply, 1) != 1)
		pe->got = 0;
	if (pe->accept && fd >= 0)
		close(fd);
	return NULL;
}

/* A listener on 127.0.0.1 (receive buffer rcvbuf when > 0) and its "tcp:" spec. */
static int listener(int rcvbuf, char spec[64])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
		return close(fd), -1;
	snprintf(spec, 64, "tcp:127.0.0.1:%d", ntohs(a.sin_port));
	return fd;
}

/* Prints a ticket to spec with pe answering reply; checks what arrived and the state. */
static void ticket_and_status(const char *spec, struct peer *pe, uint8_t reply,
			      enum escpos_paper want)
{
	struct escpos t;
	struct printer *pr = NULL;
	enum escpos_paper st = PAPER_OK;
	struct err e = { 0 };
	pthread_t th;

	escpos_init(&t, 384, false, NULL, NULL);
	escpos_line(&t, "已受理 202611-00042", ESCPOS_CENTER, true, true);
	escpos_qr(&t, URL);
	escpos_cut(&t);
	pe->reply = reply;
	pe->got = 0;
	pe->expect = t.len + 3 < sizeof(pe->buf) ? t.len + 3 : sizeof(pe->buf);
	pthread_create(&th, NULL, peer_run, pe);
	CHECK_INT(printer_open(spec, 2000, &pr, &e), 0);
	CHECK_INT(printer_write(pr, t.buf, t.len, &e), 0);
	CHECK_INT(printer_status(pr, &st, &e), 0);
	CHECK_INT(st, want);
	printer_close(pr);
	pthread_join(th, NULL);
	CHECK_INT(pe->got, t.len + 3);
	CHECK(memcmp(pe->buf, t.buf, t.len) == 0);
	CHECK(memcmp(pe->buf + t.len, escpos_status_query, 3) == 0);
	escpos_free(&t);
}

TEST(test_printer_tcp)
{
	char spec[64];
	int lfd = listener(0, spec);
	struct peer pe = { .fd = lfd, .accept = true };

	CHECK(lfd >= 0);
	ticket_and_status(spec, &pe, 0x12, PAPER_OK);
	ticket_and_status(spec, &pe, 0x7e, PAPER_OUT);
	close(lfd);
	/* Nobody listens on the port now: offline. */
	CHECK_INT(printer_open(spec, 500, &(struct printer *){ NULL }, &(struct err){ 0 }), ERR_IO);
}

/* Writes STALL_BYTES to a peer that never reads: the write must report a stall. */
static void check_stall(const char *spec)
{
	uint8_t *big = calloc(1, STALL_BYTES);
	struct printer *pr = NULL;
	struct err e = { 0 };

	CHECK_INT(printer_open(spec, 200, &pr, &e), 0);
	CHECK_INT(printer_write(pr, big, STALL_BYTES, &e), ERR_IO);
	CHECK(strstr(e.msg, "stalled") != NULL && strstr(e.msg, "of 16777216 bytes") != NULL);
	printer_close(pr);
	free(big);
}

TEST(test_printer_tcp_silent_and_stalled)
{
	char spec[64];
	int lfd = listener(4096, spec);
	struct printer *pr = NULL;
	enum escpos_paper st = PAPER_OK;
	struct err e = { 0 };
	struct timespec t0, t1;
	long ms;

	/* The kernel completes the handshake from the backlog; nobody ever reads or answers. */
	CHECK_INT(printer_open(spec, 200, &pr, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(printer_status(pr, &st, &e), ERR_IO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 150 && ms < 2000);
	CHECK(strstr(e.msg, "did not answer") != NULL);
	printer_close(pr);
	check_stall(spec);
	close(lfd);
}

TEST(test_printer_dev)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	struct peer pe = { .fd = m };
	struct termios tio;
	char spec[64];

	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || tcgetattr(m, &tio) != 0) {
		printf("  note: no pseudo-terminal, the dev: link was not tested\n");
		return;
	}
	/* Raw, so the line discipline passes the printer's bytes through untouched. */
	cfmakeraw(&tio);
	CHECK_INT(tcsetattr(m, TCSANOW, &tio), 0);
	snprintf(spec, sizeof(spec), "dev:%s", ptsname(m));
	ticket_and_status(spec, &pe, 0x1e, PAPER_NEAR_END);
	check_stall(spec);
	close(m);
}

int main(void)
{
	RUN(test_line_feed_cut_bytes);
	RUN(test_rare_character_goes_as_raster);
	RUN(test_raster_fallback_is_gb18030_text);
	RUN(test_native_qr);
	RUN(test_raster_qr_decodes);
	RUN(test_errors_are_sticky);
	RUN(test_paper_status);
	RUN(test_printer_file_appends);
	RUN(test_printer_bad_specs);
	RUN(test_printer_tcp);
	RUN(test_printer_tcp_silent_and_stalled);
	RUN(test_printer_dev);
	return TEST_END();
}
