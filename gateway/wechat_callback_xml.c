/* wechat_callback_xml: the XML of WeChat pushes, for wechat_callback (wechat_cb_parse and
 * wechat_cb_envelope of wechat_callback.h). Read with expat (well-kept, CDATA-aware); a
 * DOCTYPE or entity declaration stops the parser at once, so no entity is ever expanded.
 * Only direct children of <xml> are read; their text goes into one arena sized from the
 * body, so no field can overflow. Never does I/O, never logs: the texts are residents'. */
#include "wechat_callback.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "wechat_callback_internal.h"

#define DEPTH_MAX 16
#define QRSCENE "qrscene_"

enum fid {
	F_TO,
	F_FROM,
	F_TIME,
	F_MSGTYPE,
	F_EVENT,
	F_KEY,
	F_MSGID,
	F_STATUS,
	F_CONTENT,
	F_ENCRYPT,
	F_COUNT
};

/* The direct children of <xml> that are read; MsgID is spelt so in template results and
 * MsgId in ordinary messages. Everything else is skipped. */
static const struct {
	const char *name;
	enum fid id;
} fields[] = {
	{ "ToUserName", F_TO },   { "FromUserName", F_FROM }, { "CreateTime", F_TIME },
	{ "MsgType", F_MSGTYPE }, { "Event", F_EVENT },       { "EventKey", F_KEY },
	{ "MsgID", F_MSGID },     { "MsgId", F_MSGID },       { "Status", F_STATUS },
	{ "Content", F_CONTENT }, { "Encrypt", F_ENCRYPT },
};

struct scan {
	XML_Parser p;
	char *arena; /* the fields' texts, each NUL-terminated; never longer than the body */
	size_t cap, used;
	const char *val[F_COUNT]; /* into arena; NULL when the field was absent */
	int depth, cur; /* cur: the field being read, or -1 */
	int why_code;
	const char *why; /* set by a handler that stopped the parser */
};

static void scan_stop(struct scan *s, int code, const char *why)
{
	if (s->why == NULL) {
		s->why = why;
		s->why_code = code;
	}
	XML_StopParser(s->p, XML_FALSE);
}

static int field_id(const char *name)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, name) == 0)
			return (int)fields[i].id;
	return -1;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct scan *s = ud;
	int id;

	(void)attrs;
	if (++s->depth > DEPTH_MAX) {
		scan_stop(s, ERR_INVALID, "elements are nested too deep");
	} else if (s->depth == 1 && strcmp(name, "xml") != 0) {
		scan_stop(s, ERR_INVALID, "the root element is not <xml>");
	} else if (s->cur >= 0) {
		scan_stop(s, ERR_INVALID, "a field holds an element instead of text");
	} else if (s->depth == 2 && (id = field_id(name)) >= 0) {
		if (s->val[id] != NULL) {
			scan_stop(s, ERR_INVALID, "a field appears twice");
			return;
		}
		s->val[id] = s->arena + s->used;
		s->cur = id;
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct scan *s = ud;

	(void)name;
	if (s->depth == 2 && s->cur >= 0) {
		s->arena[s->used++] = '\0';
		s->cur = -1;
	}
	s->depth--;
}

/* CDATA sections arrive here too, possibly in several pieces. */
static void XMLCALL on_text(void *ud, const XML_Char *text, int len)
{
	struct scan *s = ud;

	if (s->cur < 0 || s->depth != 2)
		return;
	if (s->used + (size_t)len + 1 > s->cap) {
		scan_stop(s, ERR_TOOBIG, "field text outgrew the body");
		return;
	}
	memcpy(s->arena + s->used, text, (size_t)len);
	s->used += (size_t)len;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	scan_stop(ud, ERR_INVALID, "a DOCTYPE is not allowed (WeChat never sends one)");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
			      int value_len, const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
	(void)pubid, (void)notation;
	scan_stop(ud, ERR_INVALID, "entity declarations are not allowed");
}

static void scan_cleanup(struct scan *s)
{
	if (s->p != NULL)
		XML_ParserFree(s->p);
	free(s->arena);
}

/* Parses body into s (which the caller cleans up whatever this returns). */
static int scan_run(struct scan *s, const char *body, size_t len, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->cur = -1;
	if (len > WECHAT_CB_BODY_MAX)
		return err_set(e, ERR_TOOBIG, NULL,
			       "the WeChat push is %zu bytes, more than the %d accepted", len,
			       WECHAT_CB_BODY_MAX);
	if (body == NULL || len == 0)
		return err_set(e, ERR_INVALID, NULL, "the WeChat push has an empty body");
	s->cap = len + F_COUNT + 1;
	s->arena = malloc(s->cap);
	/* The encoding given here wins over the document's declaration: UTF-8 only. */
	s->p = XML_ParserCreate("UTF-8");
	if (s->arena == NULL || s->p == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory parsing a WeChat push");
	XML_SetUserData(s->p, s);
	XML_SetElementHandler(s->p, on_start, on_end);
	XML_SetCharacterDataHandler(s->p, on_text);
	XML_SetStartDoctypeDeclHandler(s->p, on_doctype);
	XML_SetEntityDeclHandler(s->p, on_entity);
	if (XML_Parse(s->p, body, (int)len, XML_TRUE) == XML_STATUS_OK)
		return 0;
	if (s->why != NULL)
		return err_set(e, s->why_code, NULL, "the WeChat push was refused: %s", s->why);
	return err_set(e, ERR_INVALID, NULL,
		       "the WeChat push is not well-formed XML (%s at line %lu, column %lu)",
		       XML_ErrorString(XML_GetErrorCode(s->p)),
		       (unsigned long)XML_GetCurrentLineNumber(s->p),
		       (unsigned long)XML_GetCurrentColumnNumber(s->p));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies field id, without surrounding blanks, into dst (cap + 1 bytes). */
static int take(const struct scan *s, enum fid id, const char *name, bool required, char *dst,
		size_t cap, struct err *e)
{
	const char *v = s->val[id];
	size_t n;

	dst[0] = '\0';
	if (v == NULL || v[0] == '\0')
		return required ? err_set(e, ERR_INVALID, name,
					  "the WeChat push has no <%s>, which it must carry", name)
				: 0;
	while (is_blank(*v))
		v++;
	n = strlen(v);
	while (n > 0 && is_blank(v[n - 1]))
		n--;
	if (n > cap)
		return err_set(e, ERR_TOOBIG, name, "<%s> is %zu bytes, more than the %zu allowed",
			       name, n, cap);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* Content is kept as sent (blanks included) and cut on a UTF-8 boundary when too long. */
static void take_content(const struct scan *s, struct wechat_cb_event *ev)
{
	const char *v = s->val[F_CONTENT];
	size_t n = v != NULL ? strlen(v) : 0;

	if (n > WECHAT_CB_CONTENT_MAX) {
		n = WECHAT_CB_CONTENT_MAX;
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
		ev->content_truncated = true;
	}
	if (n > 0)
		memcpy(ev->content, v, n);
	ev->content[n] = '\0';
}

static const struct {
	const char *msg_type, *event; /* event NULL: any */
	enum wechat_cb_type type;
} kinds[] = {
	{ "event", "subscribe", WECHAT_CB_SUBSCRIBE },
	{ "event", "unsubscribe", WECHAT_CB_UNSUBSCRIBE },
	{ "event", "SCAN", WECHAT_CB_SCAN },
	{ "event", "TEMPLATESENDJOBFINISH", WECHAT_CB_TEMPLATE_FINISH },
	{ "text", NULL, WECHAT_CB_TEXT },
};

static enum wechat_cb_type kind_of(const char *msg_type, const char *event)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcasecmp(kinds[i].msg_type, msg_type) == 0 &&
		    (kinds[i].event == NULL || strcasecmp(kinds[i].event, event) == 0))
			return kinds[i].type;
	return WECHAT_CB_OTHER;
}

/* EventKey into ev->scene; "qrscene_" comes off for subscribe only, as WeChat adds it there. */
static int take_scene(const struct scan *s, struct wechat_cb_event *ev, struct err *e)
{
	char key[sizeof(QRSCENE) + WECHAT_CB_SCENE_MAX];
	const char *v = key;
	int rc = take(s, F_KEY, "EventKey", false, key, sizeof(key) - 1, e);

	if (rc != 0)
		return rc;
	if (ev->type == WECHAT_CB_SUBSCRIBE && strncmp(key, QRSCENE, strlen(QRSCENE)) == 0)
		v += strlen(QRSCENE);
	if (strlen(v) > WECHAT_CB_SCENE_MAX)
		return err_set(e, ERR_TOOBIG, "EventKey", "<EventKey> is over %d bytes",
			       WECHAT_CB_SCENE_MAX);
	strcpy(ev->scene, v);
	return 0;
}

static int fill_event(const struct scan *s, struct wechat_cb_event *ev, struct err *e)
{
	char msg_type[32], event[64], when[WECHAT_CB_TIME_DIGITS + 1];
	bool is_event;
	int rc;

	if ((rc = take(s, F_TO, "ToUserName", true, ev->to_user, WECHAT_CB_ID_MAX, e)) != 0 ||
	    (rc = take(s, F_FROM, "FromUserName", true, ev->openid, WECHAT_CB_ID_MAX, e)) != 0 ||
	    (rc = take(s, F_TIME, "CreateTime", true, when, WECHAT_CB_TIME_DIGITS, e)) != 0 ||
	    (rc = take(s, F_MSGTYPE, "MsgType", true, msg_type, sizeof(msg_type) - 1, e)) != 0)
		return rc;
	if (!wechat_cb_decimal(when, WECHAT_CB_TIME_DIGITS, &ev->create_time))
		return err_set(e, ERR_INVALID, "CreateTime", "<CreateTime> is not decimal seconds");
	is_event = strcasecmp(msg_type, "event") == 0;
	if ((rc = take(s, F_EVENT, "Event", is_event, event, sizeof(event) - 1, e)) != 0 ||
	    (rc = take(s, F_MSGID, "MsgID", false, ev->msg_id, WECHAT_CB_MSGID_MAX, e)) != 0 ||
	    (rc = take(s, F_STATUS, "Status", false, ev->status, WECHAT_CB_STATUS_MAX, e)) != 0)
		return rc;
	if (ev->msg_id[0] != '\0' && strspn(ev->msg_id, "0123456789") != strlen(ev->msg_id))
		return err_set(e, ERR_INVALID, "MsgID", "<MsgID> is not a decimal number");
	ev->type = kind_of(msg_type, event);
	if (ev->type == WECHAT_CB_TEXT && s->val[F_CONTENT] == NULL)
		return err_set(e, ERR_INVALID, "Content", "a text message has no <Content>");
	take_content(s, ev);
	return take_scene(s, ev, e);
}

int wechat_cb_parse(const char *body, size_t len, struct wechat_cb_event *out, struct err *e)
{
	struct scan s;
	struct wechat_cb_event ev;
	int rc;

	memset(&ev, 0, sizeof(ev));
	rc = scan_run(&s, body, len, e);
	if (rc == 0)
		rc = fill_event(&s, &ev, e);
	if (rc == 0)
		*out = ev;
	scan_cleanup(&s);
	return rc;
}

int wechat_cb_envelope(const char *body, size_t len, char **encrypt_b64, struct err *e)
{
	struct scan s;
	char *v = NULL;
	int rc = scan_run(&s, body, len, e);

	if (rc == 0 && s.val[F_ENCRYPT] == NULL)
		rc = err_set(e, ERR_INVALID, "Encrypt",
			     "the secure-mode push has no <Encrypt> element");
	if (rc == 0) {
		v = malloc(strlen(s.val[F_ENCRYPT]) + 1);
		if (v == NULL)
			rc = err_set(e, ERR_NOMEM, NULL, "out of memory reading <Encrypt>");
	}
	if (rc == 0)
		rc = take(&s, F_ENCRYPT, "Encrypt", true, v, strlen(s.val[F_ENCRYPT]), e);
	if (rc == 0) {
		*encrypt_b64 = v;
		v = NULL;
	}
	free(v);
	scan_cleanup(&s);
	return rc;
}
