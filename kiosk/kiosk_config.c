/* kiosk_config: config/kiosk.ini into struct kiosk_config; see kiosk_config.h. The keys are
 * one const table (section, key, kind, where); unknown sections and keys are problems, so a
 * typo never passes silently. Line numbers come from common/ini_lines.c, as for gatewayd. */
#include "kiosk_config.h"

#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini_lines.h"

#define KCFG_MAX_FILE (64 * 1024)

enum kind { K_STR, K_INT, K_BOOL };

#define F(f) offsetof(struct kiosk_config, f), sizeof(((struct kiosk_config *)0)->f)
static const struct key {
	const char *sec, *name;
	enum kind kind;
	size_t off, size;
	long min, max;
} keys[] = {
	{ "kiosk", "company", K_STR, F(ui.company), 0, 0 },
	{ "kiosk", "hotline", K_STR, F(ui.hotline), 0, 0 },
	{ "kiosk", "promise1", K_STR, F(ui.promises[0]), 0, 0 },
	{ "kiosk", "promise2", K_STR, F(ui.promises[1]), 0, 0 },
	{ "kiosk", "promise3", K_STR, F(ui.promises[2]), 0, 0 },
	{ "kiosk", "idle_seconds", K_INT, F(ui.idle_ms), 10, 3600 },
	{ "kiosk", "area", K_STR, F(area), 0, 0 },
	{ "display", "device", K_STR, F(display), 0, 0 },
	{ "display", "rotate", K_INT, F(rotate), 0, 270 },
	{ "display", "width", K_INT, F(width), 240, 4096 },
	{ "display", "height", K_INT, F(height), 240, 4096 },
	{ "input", "device", K_STR, F(input), 0, 0 },
	{ "input", "swap_xy", K_BOOL, F(swap_xy), 0, 0 },
	{ "input", "invert_x", K_BOOL, F(invert_x), 0, 0 },
	{ "input", "invert_y", K_BOOL, F(invert_y), 0, 0 },
	{ "input", "grab", K_BOOL, F(grab), 0, 0 },
	{ "printer", "device", K_STR, F(printer), 0, 0 },
	{ "printer", "paper", K_INT, F(paper_dots), 58, 80 },
	{ "printer", "qr", K_STR, 0, 0, 0, 0 }, /* raster | native: handled by name */
	{ "printer", "timeout_ms", K_INT, F(printer_timeout_ms), 100, 60000 },
	{ "gateway", "url", K_STR, F(gateway_url), 0, 0 },
	{ "gateway", "key", K_STR, F(key), 0, 0 },
	{ "gateway", "key_env", K_STR, 0, 0, 0, 0 },
	{ "gateway", "timeout_ms", K_INT, F(gateway_timeout_ms), 100, 60000 },
	{ "gateway", "reserve", K_INT, F(reserve), 1, 200 },
	{ "spool", "path", K_STR, F(spool), 0, 0 },
	{ "fonts", "path", K_STR, 0, 0, 0, 0 }, /* a list: handled by name */
};

struct loader {
	struct kiosk_config *cfg;
	const char *path;
	struct ini_lines lines;
	int line;
	char (*probs)[300];
	int n;
};

static void problem(struct loader *ld, const char *sec, const char *key, const char *what)
{
	if (ld->n < 8)
		snprintf(ld->probs[ld->n], 300, "%s:%d: [%s] %s: %s", ld->path, ld->line, sec, key,
			 what);
	ld->n++;
}

static void fonts(struct loader *ld, const char *v)
{
	char buf[2048], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	ld->cfg->nfonts = 0;
	for (char *p = strtok_r(buf, ",", &save); p && ld->cfg->nfonts < 4;
	     p = strtok_r(NULL, ",", &save)) {
		while (*p == ' ')
			p++;
		snprintf(ld->cfg->fonts[ld->cfg->nfonts++], 512, "%s", p);
	}
}

static int special(struct loader *ld, const char *sec, const char *name, const char *v)
{
	if (strcmp(name, "qr") == 0) {
		if (strcmp(v, "raster") != 0 && strcmp(v, "native") != 0)
			problem(ld, sec, name, "must be raster or native");
		ld->cfg->native_qr = strcmp(v, "native") == 0;
	} else if (strcmp(name, "key_env") == 0) {
		/* Unset is no problem here (screenshots need no key); kiosk.c refuses to run
		 * without one. */
		const char *k = getenv(v);
		snprintf(ld->cfg->key_env, sizeof(ld->cfg->key_env), "%s", v);
		if (k != NULL && *k != '\0')
			snprintf(ld->cfg->key, sizeof(ld->cfg->key), "%s", k);
	} else {
		fonts(ld, v);
	}
	return 1;
}

static void apply(struct loader *ld, const struct key *k, const char *v)
{
	char *base = (char *)ld->cfg + k->off, *end;
	long n;

	if (k->kind == K_STR) {
		if (strlen(v) >= k->size)
			problem(ld, k->sec, k->name, "is too long");
		else
			memcpy(base, v, strlen(v) + 1);
		return;
	}
	if (k->kind == K_BOOL) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			problem(ld, k->sec, k->name, "must be on or off");
		*(bool *)base = strcmp(v, "on") == 0;
		return;
	}
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < k->min || n > k->max) {
		char why[80];
		snprintf(why, sizeof(why), "must be a number from %ld to %ld", k->min, k->max);
		problem(ld, k->sec, k->name, why);
		return;
	}
	*(int *)base = (int)n;
}

static int on_key(void *user, const char *sec, const char *name, const char *v)
{
	struct loader *ld = user;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].sec, sec) != 0 || strcmp(keys[i].name, name) != 0)
			continue;
		if (keys[i].size == 0)
			return special(ld, sec, name, v);
		apply(ld, &keys[i], v);
		return 1;
	}
	problem(ld, sec, name, "unknown key; see config/kiosk.ini for every key");
	return 1;
}

static char *read_line(char *buf, int num, void *stream)
{
	struct loader *ld = stream;
	const char *p;
	size_t len;

	if (!ini_lines_next(&ld->lines, &p, &len))
		return NULL;
	ld->line = ld->lines.line;
	if (len >= (size_t)num)
		len = 0;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

static void defaults(struct kiosk_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->ui.company, sizeof(c->ui.company), "幸福水务");
	c->ui.idle_ms = 60;
	snprintf(c->display, sizeof(c->display), "/dev/fb0");
	c->width = 1080;
	c->height = 1920;
	snprintf(c->input, sizeof(c->input), "/dev/input/event0");
	c->grab = true;
	snprintf(c->printer, sizeof(c->printer), "dev:/dev/usb/lp0");
	c->paper_dots = 80;
	c->printer_timeout_ms = 3000;
	snprintf(c->gateway_url, sizeof(c->gateway_url), "http://127.0.0.1:8080");
	c->gateway_timeout_ms = 3000;
	c->reserve = 20;
	snprintf(c->spool, sizeof(c->spool), "var/kiosk-spool.db");
	snprintf(c->fonts[0], 512, "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
	snprintf(c->fonts[1], 512, "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc");
	c->nfonts = 2;
}

int kiosk_config_load(const char *path, struct kiosk_config *cfg, char probs[8][300], int *nprobs,
		      struct err *e)
{
	struct loader ld = { .cfg = cfg, .path = path, .probs = probs };
	char *text = NULL;
	int rc;

	defaults(cfg);
	if ((rc = ini_lines_read_file(path, KCFG_MAX_FILE, "kiosk configuration", &text, e)) < 0)
		return rc;
	ini_lines_init(&ld.lines, text, strlen(text));
	ini_parse_stream(read_line, &ld, on_key, &ld);
	free(text);
	cfg->ui.idle_ms *= 1000;
	cfg->paper_dots = cfg->paper_dots == 58 ? 384 : 576;
	if (cfg->rotate % 90 != 0) {
		ld.line = 0;
		problem(&ld, "display", "rotate", "must be 0, 90, 180 or 270");
	}
	*nprobs = ld.n < 8 ? ld.n : 8;
	if (ld.n > 0)
		return err_set(e, ERR_INVALID, NULL, "%s", probs[0]);
	return 0;
}
