/* test_qr: QR codes of URLs. The matrix against libqrencode's own (size, quiet zone, every
 * module), the PNG read back with libpng pixel by pixel and, where zbarimg is installed,
 * decoded by a real scanner to exactly the text (mixed case included), the SVG path drawn
 * back into a matrix, and the refused inputs. */
#include "qr.h"

#include "test.h"

#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <unistd.h>

#define URL_MIXED "http://127.0.0.1:8080/t/AbC-_xYz0123456789abcdEF"

static struct qr *encode(const char *text)
{
	struct qr *q = NULL;
	struct err e = { 0 };

	CHECK_INT(qr_encode(text, &q, &e), 0);
	return q;
}

TEST(test_matrix_matches_libqrencode)
{
	QRcode *ref = QRcode_encodeString(URL_MIXED, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct qr *q = encode(URL_MIXED);
	int diff = 0, quiet_dark = 0;

	CHECK(ref != NULL && q != NULL);
	if (ref == NULL || q == NULL)
		goto out;
	CHECK_INT(q->size, ref->width + 2 * QR_QUIET);
	CHECK_INT((ref->width - 17) % 4, 0); /* a real version: 21, 25, 29 ... modules */
	for (int y = 0; y < q->size; y++) {
		for (int x = 0; x < q->size; x++) {
			int d = q->dark[y * q->size + x];
			int in = x >= QR_QUIET && y >= QR_QUIET && x < q->size - QR_QUIET &&
				y < q->size - QR_QUIET;

			CHECK(d == 0 || d == 1);
			if (!in)
				quiet_dark += d;
			else if (d != (ref->data[(y - QR_QUIET) * ref->width + x - QR_QUIET] & 1))
				diff++;
		}
	}
	CHECK_INT(quiet_dark, 0);
	CHECK_INT(diff, 0);
	/* The finder pattern's corner is dark just inside the quiet zone. */
	CHECK_INT(q->dark[QR_QUIET * q->size + QR_QUIET], 1);
out:
	QRcode_free(ref);
	qr_free(q);
}

TEST(test_refused)
{
	struct qr *q = NULL;
	struct err e = { 0 };
	char *big = malloc(QR_MAX_TEXT + 2);
	unsigned char *png = NULL;
	char *svg = NULL;
	size_t len = 0;

	CHECK_INT(qr_encode("", &q, &e), ERR_INVALID);
	CHECK_INT(qr_encode(NULL, &q, &e), ERR_INVALID);
	memset(big, 'a', QR_MAX_TEXT + 1);
	big[QR_MAX_TEXT + 1] = '\0';
	CHECK_INT(qr_encode(big, &q, &e), ERR_INVALID);
	CHECK(q == NULL);
	big[QR_MAX_TEXT] = '\0'; /* exactly the maximum is encoded */
	CHECK_INT(qr_encode(big, &q, &e), 0);
	CHECK_INT(qr_png(q, 0, &png, &len, &e), ERR_INVALID);
	CHECK_INT(qr_png(q, 33, &png, &len, &e), ERR_INVALID);
	CHECK_INT(qr_svg(q, 0, 0, &svg, &e), ERR_INVALID);
	CHECK(png == NULL && svg == NULL);
	qr_free(q);
	qr_free(NULL);
	free(big);
}

/* Reads a PNG back and checks every pixel against the matrix. */
static void check_png_pixels(const struct qr *q, int px, const unsigned char *data, size_t len)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	unsigned char *pix = NULL;
	int bad = 0;

	CHECK(png_image_begin_read_from_memory(&img, data, len));
	img.format = PNG_FORMAT_GRAY;
	CHECK_INT(img.width, q->size * px);
	CHECK_INT(img.height, q->size * px);
	pix = malloc(PNG_IMAGE_SIZE(img));
	CHECK(png_image_finish_read(&img, NULL, pix, 0, NULL));
	for (int y = 0; y < (int)img.height; y++)
		for (int x = 0; x < (int)img.width; x++)
			bad += pix[y * img.width + x] !=
				(q->dark[y / px * q->size + x / px] ? 0 : 255);
	CHECK_INT(bad, 0);
	png_image_free(&img);
	free(pix);
}

/* Scans the PNG with zbarimg, when it is installed, and compares the text. */
static void check_scanned(const char *text, const unsigned char *data, size_t len)
{
	char path[] = "/tmp/test_qr.XXXXXX", cmd[128], got[2048] = "";
	FILE *f;
	int fd;

	if (access("/usr/bin/zbarimg", X_OK) != 0) {
		printf("  note: /usr/bin/zbarimg absent, QR scan check skipped\n");
		return;
	}
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, data, len), (long long)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "zbarimg -q --raw %s 2>/dev/null", path);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (f) {
		size_t n = fread(got, 1, sizeof(got) - 1, f);

		got[n] = '\0';
		CHECK_INT(pclose(f), 0);
	}
	got[strcspn(got, "\n")] = '\0';
	CHECK_STR(got, text);
	unlink(path);
}

static void check_png(const char *text, int px)
{
	struct qr *q = encode(text);
	unsigned char *png = NULL;
	size_t len = 0;
	struct err e = { 0 };

	if (q == NULL)
		return;
	CHECK_INT(qr_png(q, px, &png, &len, &e), 0);
	CHECK(png != NULL && len > 8);
	if (png != NULL) {
		CHECK(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
		check_png_pixels(q, px, png, len);
		if (px > 1) /* a scanner wants more than a pixel per module */
			check_scanned(text, png, len);
	}
	free(png);
	qr_free(q);
}

TEST(test_png)
{
	check_png(URL_MIXED, 4);
	check_png("https://example.com/t/abcdefghijklmnopqrstuvwx", 1);
	check_png("HELLO hello 12345", 7);
	check_png("https://example.com/t/abcdefghijklmnopqrstuvwx", 2);
}

/* Draws the SVG path's runs "M{x} {y}h{n}v1h-{n}z" into a fresh matrix. */
static unsigned char *svg_draw(const char *svg, int size)
{
	unsigned char *m = calloc((size_t)size * (size_t)size, 1);
	const char *d = strstr(svg, " d=\"");
	int x, y, n, n2, used;

	CHECK(d != NULL);
	if (d == NULL)
		return m;
	for (d += 4; *d == 'M'; d += used) {
		used = 0;
		if (sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used) != 4 || used == 0 ||
		    n != n2 || x < 0 || y < 0 || n < 1 || x + n > size || y >= size) {
			CHECK(!"bad run in the SVG path");
			break;
		}
		memset(m + y * size + x, 1, (size_t)n);
	}
	CHECK(*d == '"');
	return m;
}

TEST(test_svg)
{
	struct qr *q = encode(URL_MIXED);
	char *doc = NULL, *in = NULL, box[64];
	unsigned char *drawn = NULL;
	struct err e = { 0 };

	if (q == NULL)
		return;
	CHECK_INT(qr_svg(q, 4, 0, &doc, &e), 0);
	CHECK_INT(qr_svg(q, 4, 1, &in, &e), 0);
	CHECK(strncmp(doc, "<?xml", 5) == 0);
	CHECK(strncmp(in, "<svg", 4) == 0);
	CHECK(strstr(in, "<?xml") == NULL);
	snprintf(box, sizeof(box), "viewBox=\"0 0 %d %d\"", q->size, q->size);
	CHECK(strstr(in, box) != NULL);
	snprintf(box, sizeof(box), "width=\"%d\"", q->size * 4);
	CHECK(strstr(in, box) != NULL);
	CHECK(strstr(in, "crispEdges") != NULL && strstr(in, "<rect") != NULL);
	CHECK(strstr(in, "<path") != NULL);
	CHECK(strcmp(in + strlen(in) - 6, "</svg>") == 0);
	drawn = svg_draw(in, q->size);
	CHECK(memcmp(drawn, q->dark, (size_t)q->size * (size_t)q->size) == 0);
	free(drawn);
	free(doc);
	free(in);
	qr_free(q);
}

int main(void)
{
	RUN(test_matrix_matches_libqrencode);
	RUN(test_refused);
	RUN(test_png);
	RUN(test_svg);
	return TEST_END();
}
