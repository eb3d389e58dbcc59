/* display_fb: the Linux framebuffer backend (see display.h), the only kiosk file that
 * touches a device. Owns the fbdev file: opening it, the screen-information ioctls, the
 * checks on its format, the mapping, and per frame either converting into the visible page
 * or, when yres_virtual holds a second page, converting into the hidden page, panning to it
 * and waiting for vertical sync, so that a frame never tears. If panning fails once we say
 * so and fall back to the visible page for good. Never logs: errors go to the caller. */
#include "display_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *visual_name(unsigned v)
{
	static const char *const names[] = { "monochrome (1 = black)",
					     "monochrome (1 = white)",
					     "truecolor",
					     "pseudocolor (palette)",
					     "directcolor",
					     "static pseudocolor",
					     "FOURCC" };

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

/* Reads the screen information and refuses what the converter cannot write. */
static int fb_query(int fd, const char *dev, struct fb_var_screeninfo *var,
		    struct fb_fix_screeninfo *fix, struct err *e)
{
	if (ioctl(fd, FBIOGET_VSCREENINFO, var) != 0 || ioctl(fd, FBIOGET_FSCREENINFO, fix) != 0)
		return err_set(e, ERR_IO, "dev",
			       "%s is not a framebuffer device (reading its screen information: "
			       "%s).",
			       dev, strerror(errno));
	if (fix->type != FB_TYPE_PACKED_PIXELS || fix->visual != FB_VISUAL_TRUECOLOR)
		return err_set(e, ERR_INVALID, "dev",
			       "%s has a %s visual (visual %u, type %u); only packed-pixel "
			       "truecolor is supported.",
			       dev, visual_name(fix->visual), fix->visual, fix->type);
	if (var->bits_per_pixel != 16 && var->bits_per_pixel != 24 && var->bits_per_pixel != 32)
		return err_set(e, ERR_INVALID, "dev",
			       "%s uses %u bits per pixel; only 16, 24 and 32 are supported.", dev,
			       var->bits_per_pixel);
	if (var->red.msb_right || var->green.msb_right || var->blue.msb_right)
		return err_set(e, ERR_INVALID, "dev",
			       "%s stores colour bits most significant bit right; not supported.",
			       dev);
	return 0;
}

/* Bytes per row: line_length, or the virtual width when a driver leaves it 0. */
static int fb_line(const struct fb_var_screeninfo *var, const struct fb_fix_screeninfo *fix)
{
	size_t line = fix->line_length;

	if (line == 0)
		line = (size_t)var->xres_virtual * (var->bits_per_pixel / 8);
	return line > DISPLAY_MAX_STRIDE ? DISPLAY_MAX_STRIDE + 1 : (int)line;
}

/* Decides between one and two pages, checks the memory holds them, and maps it. */
static int fb_map(struct display *d, int fd, const char *dev, const struct fb_fix_screeninfo *fix,
		  struct err *e)
{
	struct fb_var_screeninfo *v = &d->var;
	size_t line = (size_t)d->stride, mem = fix->smem_len;
	size_t right = ((size_t)v->xoffset + v->xres) * (size_t)d->cv.bytes;

	d->pages = v->yres_virtual >= 2 * v->yres && 2 * (size_t)v->yres * line <= mem ? 2 : 1;
	if (d->pages == 2 && v->yoffset != 0 && v->yoffset != v->yres)
		v->yoffset = 0; /* off a page boundary: the first pan puts it on one */
	if (right > line || ((size_t)v->yoffset + v->yres) * line > mem)
		return err_set(e, ERR_INVALID, "dev",
			       "%s: %zu bytes of video memory in rows of %zu bytes do not hold "
			       "a %ux%u screen at offset %u,%u.",
			       dev, mem, line, v->xres, v->yres, v->xoffset, v->yoffset);
	d->map = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (d->map == MAP_FAILED) {
		d->map = NULL;
		return err_set(e, ERR_IO, "dev", "Cannot map the framebuffer %s: %s.", dev,
			       strerror(errno));
	}
	d->map_len = mem;
	return 0;
}

static struct px_layout fb_layout(const struct fb_var_screeninfo *v)
{
	struct px_layout l = { 0 };

	l.bpp = (int)v->bits_per_pixel;
	l.r_off = (int)v->red.offset;
	l.r_len = (int)v->red.length;
	l.g_off = (int)v->green.offset;
	l.g_len = (int)v->green.length;
	l.b_off = (int)v->blue.offset;
	l.b_len = (int)v->blue.length;
	return l;
}

/* Puts the device's name in front of a message from the shared checks. */
static int name_device(struct err *e, int rc, const char *dev)
{
	char why[sizeof(e->msg)];

	if (e == NULL)
		return rc;
	snprintf(why, sizeof(why), "%s", e->msg);
	return err_set(e, rc, "dev", "%s: %s", dev, why);
}

int display_open_fb(const char *dev, int rotate, struct display **out, struct err *e)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	struct px_layout l;
	struct display *d = NULL;
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return err_set(e, ERR_IO, "dev", "Cannot open the framebuffer %s: %s.", dev,
			       strerror(errno));
	rc = fb_query(fd, dev, &var, &fix, e);
	if (rc != 0)
		goto out;
	l = fb_layout(&var);
	rc = display_new(DISPLAY_FB, (int)var.xres, (int)var.yres, fb_line(&var, &fix), &l, rotate,
			 &d, e);
	if (rc != 0) {
		rc = name_device(e, rc, dev);
		goto out;
	}
	d->var = var;
	d->vsync = true;
	rc = fb_map(d, fd, dev, &fix, e);
	if (rc != 0)
		goto out;
	d->fd = fd;
	fd = -1;
	*out = d;
	d = NULL;
out:
	display_close(d);
	if (fd >= 0)
		close(fd);
	return rc;
}

void display_fb_release(struct display *d)
{
	if (d->map != NULL)
		munmap(d->map, d->map_len);
	if (d->fd >= 0)
		close(d->fd);
}

static uint8_t *fb_rows(const struct display *d, unsigned yoffset)
{
	return d->map + (size_t)yoffset * (size_t)d->stride +
		(size_t)d->var.xoffset * (size_t)d->cv.bytes;
}

/* After the pan the old page may still be scanned out until the next vertical blank;
 * waiting here means the next frame is drawn into a page nobody is looking at. Drivers
 * without the ioctl answer ENOTTY, and then we stop asking. */
static void wait_vsync(struct display *d)
{
	__u32 crtc = 0;

	if (d->vsync && ioctl(d->fd, FBIO_WAITFORVSYNC, &crtc) != 0 && errno == ENOTTY)
		d->vsync = false;
}

int display_fb_present(struct display *d, struct err *e)
{
	struct fb_var_screeninfo v = d->var;
	unsigned shown = d->var.yoffset, hidden = shown >= d->var.yres ? 0 : d->var.yres;

	if (d->pages == 1) {
		display_convert(d, fb_rows(d, shown));
		return 0;
	}
	display_convert(d, fb_rows(d, hidden));
	v.yoffset = hidden;
	if (ioctl(d->fd, FBIOPAN_DISPLAY, &v) != 0) {
		int rc = err_set(e, ERR_IO, "dev",
				 "Cannot pan the framebuffer to row %u (%s); drawing into the "
				 "visible page from now on, which may tear.",
				 hidden, strerror(errno));

		d->pages = 1;
		display_convert(d, fb_rows(d, shown));
		return rc;
	}
	d->var.yoffset = hidden;
	wait_vsync(d);
	return 0;
}
