/* tracking_page: the public page of a case, rendered from its public view (tracking.h).
 * A small mobile-first Chinese HTML5 page: inline CSS, system fonts, no JavaScript and no
 * external resource, so that it opens at once on any phone and in WeChat's browser. It shows
 * only the fields it knows, every text HTML-escaped; the view is built with personal data
 * already masked, and this file never unmasks or adds any. Missing or mistyped fields are
 * shown as absent, never trusted. The QR code of the page's own URL lets it be passed on. */
#include "tracking.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_CAP (512 * 1024) /* a case with a very long history is still far below */
#define PAGE_NONE "—"

#define PAGE_FONT                                                                                  \
	"font:15px/1.6 -apple-system,\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\","    \
	"\"Noto Sans CJK SC\",sans-serif"

#define PAGE_HEAD                                                                                  \
	"<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"                     \
	"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"                  \
	"<meta name=\"robots\" content=\"noindex,nofollow\">"                                      \
	"<meta name=\"referrer\" content=\"no-referrer\">"

static const char page_css[] =
	"<style>*{box-sizing:border-box}"
	"body{margin:0;background:#f2f4f7;color:#1d2129;" PAGE_FONT "}"
	"header{background:#1664c0;color:#fff;padding:14px 16px}"
	"header p{margin:0;font-size:13px;opacity:.85}h1{margin:2px 0 0;font-size:18px}"
	"main{max-width:560px;margin:0 auto;padding:10px}"
	"section{background:#fff;border-radius:8px;padding:14px 16px;margin-bottom:10px}"
	"h2{font-size:15px;margin:0 0 8px}"
	".no{font-size:24px;font-weight:700;word-break:break-all}.k{color:#4e5969}"
	".b{display:inline-block;padding:1px 10px;border-radius:12px;font-size:13px;"
	"margin:6px 6px 0 0;background:#e8f3ff;color:#1664c0}"
	".b.c{background:#e8ffea;color:#00875a}.b.l{background:#ffece8;color:#d91c0b}"
	"dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:12px 0 0}"
	"dt{color:#86909c}dd{margin:0;word-break:break-all}"
	"table{width:100%;border-collapse:collapse;font-size:14px}"
	"th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #eee}"
	"th{color:#86909c;font-weight:400}.ok{color:#00875a}.run{color:#1664c0}.lt{color:#d91c0b}"
	"ol{list-style:none;margin:0;padding:0 0 0 14px;border-left:2px solid #e5e6eb}"
	"li{position:relative;padding:0 0 12px 8px}li:before{content:\"\";position:absolute;"
	"left:-20px;top:7px;width:10px;height:10px;border-radius:50%;background:#c9cdd4}"
	"li:first-child:before{background:#1664c0}li span{color:#86909c;font-size:13px;"
	"margin-right:8px}li p{margin:2px 0 0;color:#4e5969;font-size:14px}"
	".f{text-align:center}.f p{margin:4px 0}a{color:#1664c0}figure{margin:8px 0 0}"
	"figure img{display:block;margin:0 auto;max-width:60%;height:auto}"
	"figcaption{color:#86909c;font-size:13px}"
	".fm{display:flex;gap:8px;flex-wrap:wrap}.fm button{flex:1;min-height:44px;font-size:16px;"
	"border:1px solid #1664c0;border-radius:8px;background:#fff;color:#1664c0}</style>";

/* The page being written. The first failure sticks and later appends do nothing, so the
 * sections need no error paths of their own. */
struct page {
	char *buf;
	size_t len, cap;
	int rc;
};

static void add_n(struct page *p, const char *s, size_t n)
{
	if (p->rc != 0)
		return;
	if (n >= PAGE_CAP - p->len) {
		p->rc = ERR_TOOBIG;
		return;
	}
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 16384;
		char *nb;

		while (cap < p->len + n + 1)
			cap *= 2;
		nb = realloc(p->buf, cap);
		if (nb == NULL) {
			p->rc = ERR_NOMEM;
			return;
		}
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void add(struct page *p, const char *s)
{
	add_n(p, s, strlen(s));
}

/* The entity of a character HTML gives a meaning to, or NULL. */
static const char *entity(char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

/* Appends s HTML-escaped, for text and for quoted attribute values alike. */
static void add_esc(struct page *p, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *ent = entity(*s);

		if (ent == NULL)
			continue;
		add_n(p, run, (size_t)(s - run));
		add(p, ent);
		run = s + 1;
	}
	add_n(p, run, (size_t)(s - run));
}

/* A non-empty string field of o, or NULL when it is missing, null, empty or not a string. */
static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : NULL;
}

static bool jtrue(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

static bool digits(const char *s, int from, int to)
{
	for (int i = from; i < to; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "2026-11-20T09:30:00+08:00" as "11-20 09:30", or with the year as "2026-11-20 09:30".
 * The view's times are already in Beijing time, so the digits are shown as they are. Text
 * of another shape is shown escaped; no text as a dash. */
static void add_time(struct page *p, const char *iso, bool with_year)
{
	if (iso == NULL) {
		add(p, PAGE_NONE);
		return;
	}
	if (strnlen(iso, 16) < 16 || !digits(iso, 0, 4) || iso[4] != '-' || !digits(iso, 5, 7) ||
	    iso[7] != '-' || !digits(iso, 8, 10) || (iso[10] != 'T' && iso[10] != ' ') ||
	    !digits(iso, 11, 13) || iso[13] != ':' || !digits(iso, 14, 16)) {
		add_esc(p, iso);
		return;
	}
	add_n(p, with_year ? iso : iso + 5, with_year ? 10 : 5);
	add(p, " ");
	add_n(p, iso + 11, 5);
}

/* One line of the summary's list; the value is escaped, a missing one is a dash. */
static void add_row(struct page *p, const char *label, const char *value)
{
	add(p, "<dt>");
	add(p, label);
	add(p, "</dt><dd>");
	add_esc(p, value ? value : PAGE_NONE);
	add(p, "</dd>");
}

static void page_head(struct page *p, const json_t *view)
{
	const char *company = jstr(view, "company");

	add(p, PAGE_HEAD "<title>工单进度查询</title>");
	add(p, page_css);
	add(p, "</head><body><header>");
	if (company) {
		add(p, "<p>");
		add_esc(p, company);
		add(p, "</p>");
	}
	add(p, "<h1>工单进度查询</h1></header><main>");
}

static void summary_people(struct page *p, const json_t *view)
{
	const json_t *who = json_object_get(view, "complainant");
	const char *name = jstr(who, "name"), *mobile = jstr(who, "mobile");

	add_row(p, "部门", jstr(view, "department"));
	if (jstr(view, "area"))
		add_row(p, "区域", jstr(view, "area"));
	if (name || mobile) {
		add(p, "<dt>联系人</dt><dd>");
		if (name)
			add_esc(p, name);
		if (name && mobile)
			add(p, " ");
		if (mobile)
			add_esc(p, mobile);
		add(p, "</dd>");
	}
}

/* The number, kind, status badges and the list of facts. */
static void page_summary(struct page *p, const json_t *view)
{
	const char *number = jstr(view, "number"), *category = jstr(view, "category_label");
	const char *status = jstr(view, "status_label");

	add(p, "<section><div class=\"no\">");
	add_esc(p, number ? number : PAGE_NONE);
	add(p, "</div><div class=\"k\">");
	add_esc(p, jstr(view, "kind_label") ? jstr(view, "kind_label") : PAGE_NONE);
	if (category) {
		add(p, " · ");
		add_esc(p, category);
	}
	add(p, "</div><div>");
	add(p, jtrue(view, "closed") ? "<span class=\"b c\">" : "<span class=\"b\">");
	add_esc(p, status ? status : PAGE_NONE);
	add(p, "</span>");
	if (jtrue(view, "late"))
		add(p, "<span class=\"b l\">已超时</span>");
	add(p, "</div><dl>");
	summary_people(p, view);
	add(p, "<dt>受理时间</dt><dd>");
	add_time(p, jstr(view, "created_at"), true);
	add(p, "</dd><dt>承诺办结时间</dt><dd>");
	add_time(p, jstr(view, "promised_at"), true);
	if (jtrue(view, "provisional"))
		add(p, "（暂定）");
	add(p, "</dd></dl></section>");
}

/* The service clocks (arrive on site, finish ...) as a small table. */
static void page_promises(struct page *p, const json_t *view)
{
	const json_t *list = json_object_get(view, "promises");

	if (json_array_size(list) == 0)
		return;
	add(p, "<section><h2>办理时限</h2><table><tr><th>时限</th><th>应于</th><th>状态</th></tr>");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *pr = json_array_get(list, i);
		const char *label = jstr(pr, "label");

		add(p, "<tr><td>");
		add_esc(p, label ? label : PAGE_NONE);
		add(p, "</td><td>");
		add_time(p, jstr(pr, "due_at"), false);
		if (jstr(pr, "met_at"))
			add(p, "</td><td class=\"ok\">已完成</td></tr>");
		else if (jtrue(pr, "late"))
			add(p, "</td><td class=\"lt\">已超时</td></tr>");
		else
			add(p, "</td><td class=\"run\">进行中</td></tr>");
	}
	add(p, "</table></section>");
}

/* The status history, newest first (the view lists it oldest first). */
static void page_history(struct page *p, const json_t *view)
{
	const json_t *list = json_object_get(view, "history");
	size_t n = json_array_size(list);

	if (n == 0)
		return;
	add(p, "<section><h2>办理进度</h2><ol>");
	while (n-- > 0) {
		const json_t *h = json_array_get(list, n);
		const char *label = jstr(h, "status_label"), *note = jstr(h, "note");

		add(p, "<li><span>");
		add_time(p, jstr(h, "at"), false);
		add(p, "</span>");
		add_esc(p, label ? label : PAGE_NONE);
		if (note) {
			add(p, "<p>");
			add_esc(p, note);
			add(p, "</p>");
		}
		add(p, "</li>");
	}
	add(p, "</ol></section>");
}

/* Whether u is a relative URL: no scheme (no ':' before the first '/', '?' or '#') and not
 * "//host". The follow link must stay on this site whatever the view holds, and a
 * "javascript:" URL would run in spite of the escaping. */
static bool relative_url(const char *u)
{
	if ((u[0] == '/' || u[0] == '\\') && (u[1] == '/' || u[1] == '\\'))
		return false;
	return u[strcspn(u, ":/?#")] != ':';
}

/* The hotline, the WeChat follow link and the QR code of the page itself (an image the
 * browser fetches once and keeps: the code never changes, and drawing it is most of the
 * work of a page). */
static int page_footer(struct page *p, const json_t *view, const char *qr_src, struct err *e)
{
	const char *hotline = jstr(view, "hotline"), *follow = jstr(view, "wechat_follow");

	add(p, "<section class=\"f\">");
	if (hotline) {
		add(p, "<p>服务热线 <a href=\"tel:");
		add_esc(p, hotline);
		add(p, "\">");
		add_esc(p, hotline);
		add(p, "</a></p>");
	}
	if (follow && relative_url(follow)) {
		add(p, "<p><a href=\"");
		add_esc(p, follow);
		add(p, "\">关注公众号，接收办理进度</a></p>");
	}
	if (qr_src && *qr_src && relative_url(qr_src)) {
		add(p, "<figure><img width=\"180\" height=\"180\" alt=\"本页二维码\" src=\"");
		add_esc(p, qr_src);
		add(p, "\"><figcaption>扫码查看进度</figcaption></figure>");
	}
	add(p, "</section>");
	(void)e;
	return 0;
}

/* A form that posts one named value with a button per choice (no JavaScript needed). */
static void page_form(struct page *p, const char *action, const char *name,
		      const char *const *values, const char *const *labels, int n)
{
	add(p, "<form method=\"post\" action=\"");
	add_esc(p, action);
	add(p, "\" class=\"fm\">");
	for (int i = 0; i < n; i++) {
		add(p, "<button type=\"submit\" name=\"");
		add(p, name);
		add(p, "\" value=\"");
		add(p, values[i]);
		add(p, "\">");
		add(p, labels[i]);
		add(p, "</button>");
	}
	add(p, "</form>");
}

/* The visit waiting for the resident, and the return-visit survey in two taps. */
static void page_visits(struct page *p, const json_t *view)
{
	static const char *const answers[] = { "1", "2", "3" };
	static const char *const answer_labels[] = { "满意", "基本满意", "不满意" };
	static const char *const acts[] = { "confirm", "reschedule" };
	static const char *const act_labels[] = { "确认时间", "申请改约" };
	const json_t *appt = json_object_get(view, "appointment");
	const char *survey = jstr(view, "survey_form"), *form = jstr(appt, "form");

	if (json_is_object(appt) && jstr(appt, "window")) {
		add(p, "<section><h2>上门预约</h2><p>");
		add_esc(p, jstr(appt, "type_label") ? jstr(appt, "type_label") : "上门服务");
		add(p, "：");
		add_esc(p, jstr(appt, "window"));
		add(p, "</p>");
		if (form && relative_url(form))
			page_form(p, form, "action", jtrue(appt, "confirmed") ? acts + 1 : acts,
				  jtrue(appt, "confirmed") ? act_labels + 1 : act_labels,
				  jtrue(appt, "confirmed") ? 1 : 2);
		add(p, "</section>");
	}
	if (survey && relative_url(survey)) {
		add(p, "<section><h2>服务评价</h2><p>您对本次服务满意吗？</p>");
		page_form(p, survey, "answer", answers, answer_labels, 3);
		add(p, "</section>");
	}
}

int tracking_page_html(const json_t *view, const char *qr_src, char **out, struct err *e)
{
	struct page p = { 0 };
	int rc;

	page_head(&p, view);
	page_summary(&p, view);
	page_promises(&p, view);
	page_visits(&p, view);
	page_history(&p, view);
	rc = page_footer(&p, view, qr_src, e);
	if (rc != 0)
		goto out;
	add(&p, "</main></body></html>\n");
	if (p.rc == ERR_TOOBIG)
		rc = err_set(e, ERR_TOOBIG, NULL, "The tracking page is over %d bytes.", PAGE_CAP);
	else if (p.rc != 0)
		rc = err_set(e, ERR_NOMEM, NULL, "Out of memory for the tracking page.");
	if (rc != 0)
		goto out;
	*out = p.buf;
	p.buf = NULL;
out:
	free(p.buf);
	return rc;
}

/* The two fixed pages share the head and a one-card body. */
#define PAGE_STATIC(msg, hint)                                                                     \
	PAGE_HEAD "<title>工单进度查询</title><style>body{margin:0;background:#f2f4f7;"      \
		  "color:#1d2129;" PAGE_FONT "}main{max-width:560px;margin:40px auto;"             \
		  "padding:24px 16px;background:#fff;border-radius:8px;text-align:center}"         \
		  "h1{font-size:18px;margin:0 0 8px}p{color:#86909c;margin:0}"                     \
		  "@media(max-width:580px){main{margin:24px 10px}}</style>"                        \
		  "</head><body><main><h1>" msg "</h1><p>" hint "</p></main></body></html>\n"

const char *tracking_page_not_found(void)
{
	return PAGE_STATIC("未找到该工单", "请核对链接是否完整，或拨打服务热线查询。");
}

const char *tracking_page_too_many(void)
{
	return PAGE_STATIC("请求过于频繁，请稍后再试", "请一分钟后刷新本页。");
}

int tracking_page_follow(const char *image_url, char **out, struct err *e)
{
	struct page p = { 0 };

	add(&p, PAGE_HEAD "<title>关注公众号</title>");
	add(&p, page_css);
	add(&p,
	    "</head><body><header><h1>关注公众号</h1></header><main><section class=\"f\">"
	    "<p>长按识别二维码，关注后即可在微信中接收办理进度。</p><figure><img alt=\"关注二维码\" "
	    "style=\"max-width:70%\" src=\"");
	add_esc(&p, image_url);
	add(&p,
	    "\"></figure><p>二维码7天内有效，仅可使用一次。</p></section></main></body>"
	    "</html>\n");
	if (p.rc != 0) {
		free(p.buf);
		return err_set(e, ERR_NOMEM, NULL, "Out of memory for the follow page.");
	}
	*out = p.buf;
	return 0;
}

int tracking_page_message(const char *title, const char *text, const char *back, char **out,
			  struct err *e)
{
	struct page p = { 0 };

	add(&p, PAGE_HEAD "<title>工单进度查询</title>");
	add(&p, page_css);
	add(&p, "</head><body><header><h1>");
	add_esc(&p, title);
	add(&p, "</h1></header><main><section class=\"f\"><p>");
	add_esc(&p, text);
	add(&p, "</p>");
	if (back && relative_url(back)) {
		add(&p, "<p><a href=\"");
		add_esc(&p, back);
		add(&p, "\">返回工单</a></p>");
	}
	add(&p, "</section></main></body></html>\n");
	if (p.rc != 0) {
		free(p.buf);
		return err_set(e, ERR_NOMEM, NULL, "Out of memory for a page.");
	}
	*out = p.buf;
	return 0;
}
