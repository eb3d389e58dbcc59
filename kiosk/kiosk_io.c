/* kiosk_io: the screens' callbacks bound to the spool, the gateway and the printer; see
 * kiosk_io.h. Order of a request: paper checked, request stored (with a reserved number and
 * token), sent if the gateway answers, ticket printed, marked printed. A power cut after
 * the store loses nothing: the request is sent by the next sync and its ticket reprinted
 * at start (spool_unprinted). */
#include "kiosk_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"

static bool printer_ready(void *ctx)
{
	struct kiosk_io *io = ctx;
	struct printer *p = NULL;
	enum escpos_paper paper = PAPER_OUT;
	struct err e;
	bool ok = printer_open(io->cfg->printer, io->cfg->printer_timeout_ms, &p, &e) == 0 &&
		printer_status(p, &paper, &e) == 0 && paper != PAPER_OUT;

	if (!ok)
		log_warn("printer not ready: %s", e.msg);
	printer_close(p);
	return ok;
}

static int raster(void *ctx, const char *utf8, uint8_t **bits, int *w, int *h, struct err *e)
{
	struct kiosk_io *io = ctx;

	return text_raster(io->font, 24, utf8, bits, w, h, e);
}

int kiosk_io_ticket(struct kiosk_io *io, const struct ui_ticket *t, const char *kind_label,
		    struct escpos *p, struct err *e)
{
	const uint8_t *bytes;
	size_t len;
	char line[160];

	escpos_init(p, io->cfg->paper_dots, io->cfg->native_qr, raster, io);
	escpos_line(p, io->cfg->ui.company, ESCPOS_CENTER, true, true);
	escpos_line(p, "受理回执", ESCPOS_CENTER, false, true);
	escpos_feed(p, 1);
	snprintf(line, sizeof(line), "工单号：%s", t->number);
	escpos_line(p, line, ESCPOS_LEFT, false, true);
	snprintf(line, sizeof(line), "类型：%s", kind_label);
	escpos_line(p, line, ESCPOS_LEFT, false, false);
	escpos_line(p, t->promised, ESCPOS_LEFT, false, false);
	if (io->cfg->ui.hotline[0]) {
		snprintf(line, sizeof(line), "服务热线：%s", io->cfg->ui.hotline);
		escpos_line(p, line, ESCPOS_LEFT, false, false);
	}
	escpos_qr(p, t->tracking_url);
	escpos_line(p, "微信扫码查看办理进度", ESCPOS_CENTER, false, false);
	escpos_feed(p, 3);
	escpos_cut(p);
	return escpos_bytes(p, &bytes, &len, e);
}

static int print_ticket(struct kiosk_io *io, const struct ui_ticket *t, const char *kind,
			struct err *e)
{
	struct escpos p;
	struct printer *pr = NULL;
	const uint8_t *bytes;
	size_t len;
	int rc = kiosk_io_ticket(io, t, kind, &p, e);

	if (rc == 0 && (rc = escpos_bytes(&p, &bytes, &len, e)) == 0 &&
	    (rc = printer_open(io->cfg->printer, io->cfg->printer_timeout_ms, &pr, e)) == 0)
		rc = printer_write(pr, bytes, len, e);
	printer_close(pr);
	escpos_free(&p);
	return rc;
}

static int submit(void *ctx, const char *kind, const char *category, const char *mobile,
		  struct ui_ticket *out, char msg[128])
{
	struct kiosk_io *io = ctx;
	struct spool_item it = { 0 };
	json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:b, s:b}", "source", "kiosk",
				"kind", kind, "category", category, "content", "自助终端登记",
				"complainant", "mobile", mobile, "accept", 1, "dispatch", 1);
	json_t *ans = NULL;
	struct err e;
	int rc = spool_take(io->spool, req, io->now_ms(), &it, &e);

	json_decref(req);
	if (rc < 0) {
		snprintf(msg, 128, "暂时无法受理，请到人工柜台办理");
		log_error("kiosk: cannot store the request: %s", e.msg);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->number, sizeof(out->number), "%s", it.number);
	snprintf(out->tracking_url, sizeof(out->tracking_url), "%s", it.tracking_url);
	snprintf(out->promised, sizeof(out->promised), "我们将尽快与您联系");
	out->offline = gw_client_send_case(io->gw, it.body, &ans, &e) < 0;
	if (!out->offline)
		spool_mark_sent(io->spool, it.id, &e);
	json_decref(ans);
	if (print_ticket(io, out, kind, &e) == 0)
		spool_mark_printed(io->spool, it.id, &e);
	else
		log_error("kiosk: ticket %s not printed: %s", it.number, e.msg);
	spool_item_free(&it);
	return 0;
}

static int lookup(void *ctx, const char *number, char view[4096], char msg[128])
{
	struct kiosk_io *io = ctx;
	json_t *v = NULL;
	char *text;
	struct err e;
	int rc = gw_client_lookup(io->gw, number, &v, &e);

	if (rc < 0) {
		snprintf(msg, 128, "%s",
			 rc == ERR_NOTFOUND ? "未找到该工单，请核对工单号"
					    : "暂时无法查询，请稍后再试");
		return rc;
	}
	text = json_dumps(v, JSON_COMPACT);
	snprintf(view, 4096, "%s", text ? text : "{}");
	free(text);
	json_decref(v);
	return 0;
}

static const char *kind_label(const char *kind)
{
	return kind == NULL                      ? ""
		: strcmp(kind, "repair") == 0    ? "报修"
		: strcmp(kind, "complaint") == 0 ? "投诉"
						 : "咨询";
}

int kiosk_io_reprint(struct kiosk_io *io, struct err *e)
{
	struct spool_item it[8];
	int n = spool_unprinted(io->spool, it, 8, e), done = 0;

	for (int i = 0; i < n; i++) {
		json_t *body = json_loads(it[i].body ? it[i].body : "{}", 0, NULL);
		struct ui_ticket t = { 0 };

		snprintf(t.number, sizeof(t.number), "%s", it[i].number);
		snprintf(t.tracking_url, sizeof(t.tracking_url), "%s", it[i].tracking_url);
		snprintf(t.promised, sizeof(t.promised), "补打小票");
		if (print_ticket(io, &t,
				 kind_label(json_string_value(json_object_get(body, "kind"))),
				 e) == 0 &&
		    spool_mark_printed(io->spool, it[i].id, e) == 0)
			done++;
		else
			log_error("kiosk: ticket %s still not printed: %s", it[i].number, e->msg);
		json_decref(body);
		spool_item_free(&it[i]);
	}
	return n < 0 ? n : done;
}

void kiosk_io_bind(struct kiosk_io *io, struct ui_io *out)
{
	*out = (struct ui_io){ io, printer_ready, submit, lookup };
}

/* "停水 11月24日09:00至17:00 主管道更换" */
static void notice_line(const json_t *n, char out[160])
{
	const char *u = json_string_value(json_object_get(n, "utility"));
	const char *what = u && strcmp(u, "power") == 0 ? "停电"
		: u && strcmp(u, "heat") == 0           ? "停暖"
							: "停水";
	const char *start = json_string_value(json_object_get(n, "start_at"));
	const char *end = json_string_value(json_object_get(n, "end_at"));
	const char *reason = json_string_value(json_object_get(n, "reason"));
	const char *kind = json_string_value(json_object_get(n, "kind"));

	/* ISO local times: "2026-11-24T09:00:00+08:00" -> "11-24 09:00". */
	snprintf(out, 160, "%s%s %.5s %.5s 至 %.5s %.5s %s",
		 kind && strcmp(kind, "emergency") == 0 ? "紧急" : "", what, start ? start + 5 : "",
		 start ? start + 11 : "", end ? end + 5 : "", end ? end + 11 : "",
		 reason ? reason : "");
}

/* Today's outages in the hall's area onto the welcome screen. */
static void fetch_notices(struct kiosk_io *io)
{
	char lines[3][160];
	json_t *ans = NULL, *n;
	struct err e;
	size_t i;
	int k = 0;

	if (io->ui == NULL || io->cfg->area[0] == '\0' ||
	    gw_client_notices(io->gw, io->cfg->area, &ans, &e) < 0)
		return;
	json_array_foreach(json_object_get(ans, "notices"), i, n) if (k < 3)
		notice_line(n, lines[k++]);
	ui_set_notices(io->ui, lines, k);
	log_info("kiosk: %d outage notice(s) for area %s", k, io->cfg->area);
	json_decref(ans);
}

int kiosk_io_sync(struct kiosk_io *io, struct err *e)
{
	struct spool_item it;
	json_t *ans = NULL;
	int sent = 0, rc;

	while ((rc = spool_next_unsent(io->spool, &it, e)) == 0 && it.id != 0) {
		rc = gw_client_send_case(io->gw, it.body, &ans, e);
		json_decref(ans);
		ans = NULL;
		/* A request the gateway refuses will never pass: it stays in the spool file for
		 * staff, and the ones behind it go on. */
		if (rc == ERR_INVALID)
			log_error("kiosk: the gateway refused spooled request %s: %s", it.number,
				  e->msg);
		if (rc == 0 || rc == ERR_INVALID)
			rc = spool_mark_sent(io->spool, it.id, e);
		spool_item_free(&it);
		if (rc < 0)
			return rc;
		sent++;
	}
	if (rc < 0)
		return rc;
	fetch_notices(io);
	if (spool_reserved_left(io->spool) < io->cfg->reserve / 2) {
		if ((rc = gw_client_reserve(io->gw, io->cfg->reserve, &ans, e)) == 0)
			rc = spool_add_reservations(io->spool, ans, e);
		json_decref(ans);
		if (rc < 0)
			return rc;
	}
	return sent;
}
