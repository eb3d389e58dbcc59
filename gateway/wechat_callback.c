/* wechat_callback: signatures, replay window, secure-mode AES and the XML of WeChat pushes.
 * The XML is read with expat (well-kept, CDATA-aware); a DOCTYPE or entity declaration
 * stops the parser at once, so no entity is ever expanded. Only direct children of <xml>
 * are read; their text goes into one arena sized from the body, so no field can overflow.
 * Hashes, base64 and AES come from crypto.h; keys and plaintext are wiped after use. */
#include "wechat_callback.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <mbedtls/platform_util.h>

#include "crypto.h"

#define PART_MAX 128 /* token, timestamp, nonce: WeChat's are at most 32 characters */
#define TIME_DIGITS 12
#define DEPTH_MAX 16
#define ECHOSTR_MAX 64
#define PAD_BLOCK 32 /* WeChat's PKCS#7 block, not AES's 16 */
#define QRSCENE "qrscene_"

/* ---- signatures and the window ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* hex(SHA1(the n parts sorted bytewise and joined)): the one rule behind both signatures. */
static int sign_parts(const char **parts, size_t n, char out[WECHAT_CB_SIG_LEN + 1], struct err *e)
{
	const char *sorted[4];
	unsigned char sum[CRYPTO_SHA1_LEN];
	size_t total = 0, off = 0;
	char *buf;

	assert(n <= 4);
	for (size_t i = 0; i < n; i++) {
		sorted[i] = parts[i];
		total += strlen(parts[i]);
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	buf = malloc(total + 1);
	if (buf == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory signing a WeChat callback");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(sorted[i]);
		memcpy(buf + off, sorted[i], len);
		off += len;
	}
	crypto_sha1(buf, total, sum);
	free(buf);
	crypto_hex(sum, sizeof(sum), out);
	return 0;
}

/* Constant time over the 40 characters, so that a forger learns nothing from timing. */
static bool sig_equal(const char *want, const char *got)
{
	unsigned char diff = 0;

	if (got == NULL || strnlen(got, WECHAT_CB_SIG_LEN + 1) != WECHAT_CB_SIG_LEN)
		return false;
	for (size_t i = 0; i < WECHAT_CB_SIG_LEN; i++)
		diff |= (unsigned char)(want[i] ^ got[i]);
	return diff == 0;
}

static bool short_part(const char *s)
{
	return s != NULL && strnlen(s, PART_MAX + 1) <= PART_MAX;
}

bool wechat_cb_verify(const char *token, const char *timestamp, const char *nonce,
		      const char *signature)
{
	const char *parts[] = { token, timestamp, nonce };
	char want[WECHAT_CB_SIG_LEN + 1];

	if (!short_part(token) || !short_part(timestamp) || !short_part(nonce) ||
	    sign_parts(parts, 3, want, NULL) != 0)
		return false;
	return sig_equal(want, signature);
}

int wechat_cb_sign(const char *token, const char *timestamp, const char *nonce, const char *encrypt,
		   char out[WECHAT_CB_SIG_LEN + 1], struct err *e)
{
	const char *parts[] = { token, timestamp, nonce, encrypt };

	if (!short_part(token) || !short_part(timestamp) || !short_part(nonce) || encrypt == NULL)
		return err_set(
			e, ERR_INVALID, NULL,
			"token, timestamp, nonce (each at most %d bytes) and Encrypt are all "
			"needed for a msg_signature",
			PART_MAX);
	if (strnlen(encrypt, WECHAT_CB_BODY_MAX + 1) > WECHAT_CB_BODY_MAX)
		return err_set(e, ERR_TOOBIG, "Encrypt", "Encrypt is over %d bytes",
			       WECHAT_CB_BODY_MAX);
	return sign_parts(parts, 4, out, e);
}

bool wechat_cb_verify_msg(const char *token, const char *timestamp, const char *nonce,
			  const char *encrypt, const char *msg_signature)
{
	char want[WECHAT_CB_SIG_LEN + 1];

	if (wechat_cb_sign(token, timestamp, nonce, encrypt, want, NULL) != 0)
		return false;
	return sig_equal(want, msg_signature);
}

/* 1 to max decimal digits and nothing else (no sign, no spaces). */
static bool parse_decimal(const char *s, size_t max, int64_t *out)
{
	int64_t v = 0;
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		if (n == max || s[n] < '0' || s[n] > '9')
			return false;
		v = v * 10 + (s[n] - '0');
	}
	*out = v;
	return n > 0;
}

int wechat_cb_check_time(const char *timestamp, int64_t now_ms, struct err *e)
{
	int64_t ts, skew;

	if (!parse_decimal(timestamp, TIME_DIGITS, &ts))
		return err_set(e, ERR_INVALID, "timestamp",
			       "the timestamp parameter is missing or not decimal seconds since "
			       "the epoch; WeChat always sends one");
	skew = ts - now_ms / 1000;
	if (skew < -WECHAT_CB_WINDOW_S || skew > WECHAT_CB_WINDOW_S)
		return err_set(e, ERR_FORBIDDEN, "timestamp",
			       "the request's timestamp is %lld s %s the gateway's clock, more "
			       "than the %d s allowed: a replayed request, or a clock to fix "
			       "(check NTP on this host)",
			       (long long)(skew < 0 ? -skew : skew),
			       skew < 0 ? "behind" : "ahead of", WECHAT_CB_WINDOW_S);
	return 0;
}

/* ---- XML ---- */

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
	char msg_type[32], event[64], when[TIME_DIGITS + 1];
	bool is_event;
	int rc;

	if ((rc = take(s, F_TO, "ToUserName", true, ev->to_user, WECHAT_CB_ID_MAX, e)) != 0 ||
	    (rc = take(s, F_FROM, "FromUserName", true, ev->openid, WECHAT_CB_ID_MAX, e)) != 0 ||
	    (rc = take(s, F_TIME, "CreateTime", true, when, TIME_DIGITS, e)) != 0 ||
	    (rc = take(s, F_MSGTYPE, "MsgType", true, msg_type, sizeof(msg_type) - 1, e)) != 0)
		return rc;
	if (!parse_decimal(when, TIME_DIGITS, &ev->create_time))
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

/* ---- secure mode ---- */

static int aes_key(const char *encoding_aes_key, unsigned char key[32], struct err *e)
{
	char b64[WECHAT_CB_AES_KEY_LEN + 2];
	int n;

	if (encoding_aes_key == NULL ||
	    strnlen(encoding_aes_key, WECHAT_CB_AES_KEY_LEN + 1) != WECHAT_CB_AES_KEY_LEN)
		return err_set(e, ERR_INVALID, "encoding_aes_key",
			       "the EncodingAESKey must be the %d characters shown in the WeChat "
			       "admin console (消息加解密密钥)",
			       WECHAT_CB_AES_KEY_LEN);
	memcpy(b64, encoding_aes_key, WECHAT_CB_AES_KEY_LEN);
	b64[WECHAT_CB_AES_KEY_LEN] = '=';
	b64[WECHAT_CB_AES_KEY_LEN + 1] = '\0';
	n = crypto_unbase64(b64, WECHAT_CB_AES_KEY_LEN + 1, key, 32);
	mbedtls_platform_zeroize(b64, sizeof(b64));
	if (n != 32)
		return err_set(e, ERR_INVALID, "encoding_aes_key",
			       "the EncodingAESKey is not base64 of a 32-byte key; copy it again "
			       "from the WeChat admin console");
	return 0;
}

/* Checks padding, length and appid of a decrypted block and copies the message out. */
static int unwrap(const unsigned char *plain, size_t n, const char *appid, char **out_xml,
		  struct err *e)
{
	size_t pad = plain[n - 1], msg_len, app_len;
	char *xml;

	if (pad < 1 || pad > PAD_BLOCK || pad > n)
		return err_set(e, ERR_INVALID, "Encrypt",
			       "the decrypted message has bad padding: a wrong EncodingAESKey?");
	for (size_t i = n - pad; i < n; i++)
		if (plain[i] != pad)
			return err_set(e, ERR_INVALID, "Encrypt",
				       "the decrypted message has bad padding: a wrong "
				       "EncodingAESKey?");
	n -= pad;
	if (n < 20)
		return err_set(e, ERR_INVALID, "Encrypt", "the decrypted message is too short");
	msg_len = (size_t)plain[16] << 24 | (size_t)plain[17] << 16 | (size_t)plain[18] << 8 |
		plain[19];
	if (msg_len > n - 20)
		return err_set(e, ERR_INVALID, "Encrypt",
			       "the decrypted message's length field runs past its end");
	app_len = n - 20 - msg_len;
	if (app_len != strlen(appid) || memcmp(plain + 20 + msg_len, appid, app_len) != 0)
		return err_set(e, ERR_FORBIDDEN, "appid",
			       "the message was encrypted for another appid: check that [wechat] "
			       "appid is the account whose EncodingAESKey is configured");
	if (memchr(plain + 20, '\0', msg_len) != NULL)
		return err_set(e, ERR_INVALID, "Encrypt", "the decrypted message holds a NUL byte");
	xml = malloc(msg_len + 1);
	if (xml == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory decrypting a WeChat push");
	memcpy(xml, plain + 20, msg_len);
	xml[msg_len] = '\0';
	*out_xml = xml;
	return 0;
}

int wechat_cb_decrypt(const char *encoding_aes_key, const char *appid, const char *encrypt_b64,
		      char **out_xml, struct err *e)
{
	unsigned char key[32], *cipher = NULL, *plain = NULL;
	size_t blen = encrypt_b64 != NULL ? strnlen(encrypt_b64, WECHAT_CB_BODY_MAX + 1) : 0;
	int rc, n = 0;

	if (appid == NULL || blen == 0)
		return err_set(e, ERR_INVALID, NULL,
			       "decrypting needs an appid and an Encrypt value");
	if (blen > WECHAT_CB_BODY_MAX)
		return err_set(e, ERR_TOOBIG, "Encrypt", "Encrypt is over %d bytes",
			       WECHAT_CB_BODY_MAX);
	rc = aes_key(encoding_aes_key, key, e);
	if (rc != 0)
		goto out;
	cipher = malloc(blen / 4 * 3 + 3);
	plain = malloc(blen / 4 * 3 + 3);
	if (cipher == NULL || plain == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory decrypting a WeChat push");
		goto out;
	}
	n = crypto_unbase64(encrypt_b64, blen, cipher, blen / 4 * 3 + 3);
	if (n <= 0 || n % 16 != 0) {
		rc = err_set(e, ERR_INVALID, "Encrypt",
			     "Encrypt is not base64 of whole AES blocks (truncated?)");
		n = 0;
		goto out;
	}
	rc = crypto_aes256_cbc(0, key, key, cipher, (size_t)n, plain, e);
	if (rc == 0)
		rc = unwrap(plain, (size_t)n, appid, out_xml, e);
out:
	mbedtls_platform_zeroize(key, sizeof(key));
	if (plain != NULL)
		mbedtls_platform_zeroize(plain, (size_t)n);
	free(cipher);
	free(plain);
	return rc;
}

/* random16 | be32(len) | xml | appid | PKCS#7 to a multiple of 32, into a new buffer. */
static unsigned char *wrap(const unsigned char random16[16], const char *xml, const char *appid,
			   size_t *out_len)
{
	size_t xlen = strlen(xml), alen = strlen(appid), n = 20 + xlen + alen;
	size_t pad = PAD_BLOCK - n % PAD_BLOCK;
	unsigned char *p = malloc(n + pad);

	if (p == NULL)
		return NULL;
	memcpy(p, random16, 16);
	p[16] = (unsigned char)(xlen >> 24);
	p[17] = (unsigned char)(xlen >> 16);
	p[18] = (unsigned char)(xlen >> 8);
	p[19] = (unsigned char)xlen;
	memcpy(p + 20, xml, xlen);
	memcpy(p + 20 + xlen, appid, alen);
	memset(p + n, (int)pad, pad);
	*out_len = n + pad;
	return p;
}

int wechat_cb_encrypt(const char *encoding_aes_key, const char *appid,
		      const unsigned char random16[16], const char *xml, char **out_b64,
		      struct err *e)
{
	unsigned char key[32], *plain = NULL, *cipher = NULL;
	size_t n = 0, b64sz;
	char *b64 = NULL;
	int rc;

	if (appid == NULL || xml == NULL || random16 == NULL)
		return err_set(e, ERR_INVALID, NULL,
			       "encrypting needs an appid, random bytes and XML");
	if (strnlen(xml, WECHAT_CB_BODY_MAX + 1) > WECHAT_CB_BODY_MAX ||
	    strnlen(appid, WECHAT_CB_ID_MAX + 1) > WECHAT_CB_ID_MAX)
		return err_set(e, ERR_TOOBIG, NULL,
			       "the reply or the appid is too long to encrypt");
	rc = aes_key(encoding_aes_key, key, e);
	if (rc != 0)
		goto out;
	plain = wrap(random16, xml, appid, &n);
	cipher = malloc(n > 0 ? n : 1);
	b64sz = 4 * ((n + 2) / 3) + 1;
	b64 = malloc(b64sz);
	if (plain == NULL || cipher == NULL || b64 == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory encrypting a WeChat reply");
		goto out;
	}
	rc = crypto_aes256_cbc(1, key, key, plain, n, cipher, e);
	if (rc == 0 && crypto_base64(cipher, n, b64, b64sz) < 0)
		rc = err_set(e, ERR_INTERNAL, NULL, "base64 of the encrypted reply did not fit");
	if (rc == 0) {
		*out_b64 = b64;
		b64 = NULL;
	}
out:
	mbedtls_platform_zeroize(key, sizeof(key));
	if (plain != NULL)
		mbedtls_platform_zeroize(plain, n);
	free(plain);
	free(cipher);
	free(b64);
	return rc;
}

/* ---- the two requests ---- */

static int need_token(const struct wechat_cb_keys *k, struct err *e)
{
	if (k->token == NULL || k->token[0] == '\0')
		return err_set(e, ERR_FORBIDDEN, "token",
			       "no WeChat callback token is configured, so every callback is "
			       "refused; set the Token of the admin console's server settings");
	return 0;
}

static int bad_signature(struct err *e, const char *which)
{
	return err_set(e, ERR_UNAUTH, which,
		       "the %s does not match: the Token in the WeChat admin console (服务器配置) "
		       "and the gateway's differ, or the request is forged",
		       which);
}

int wechat_cb_check_url(const struct wechat_cb_keys *k, const struct wechat_cb_query *q,
			int64_t now_ms, struct err *e)
{
	const char *echo = q->echostr;
	size_t n = echo != NULL ? strnlen(echo, ECHOSTR_MAX + 1) : 0;
	int rc = need_token(k, e);

	if (rc != 0)
		return rc;
	if (!wechat_cb_verify(k->token, q->timestamp, q->nonce, q->signature))
		return bad_signature(e, "signature");
	rc = wechat_cb_check_time(q->timestamp, now_ms, e);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!((echo[i] >= '0' && echo[i] <= '9') || (echo[i] >= 'a' && echo[i] <= 'z') ||
		      (echo[i] >= 'A' && echo[i] <= 'Z')))
			n = 0;
	if (n == 0 || n > ECHOSTR_MAX)
		return err_set(e, ERR_INVALID, "echostr",
			       "echostr must be 1-%d letters or digits; it is not signed, so "
			       "nothing else is echoed",
			       ECHOSTR_MAX);
	return 0;
}

static int receive_secure(const struct wechat_cb_keys *k, const struct wechat_cb_query *q,
			  const char *body, size_t len, int64_t now_ms, struct wechat_cb_event *out,
			  struct err *e)
{
	char *enc = NULL, *xml = NULL;
	int rc = wechat_cb_envelope(body, len, &enc, e);

	if (rc != 0)
		goto out;
	if (!wechat_cb_verify_msg(k->token, q->timestamp, q->nonce, enc, q->msg_signature)) {
		rc = bad_signature(e, "msg_signature");
		goto out;
	}
	rc = wechat_cb_check_time(q->timestamp, now_ms, e);
	if (rc == 0)
		rc = wechat_cb_decrypt(k->encoding_aes_key, k->appid, enc, &xml, e);
	if (rc == 0)
		rc = wechat_cb_parse(xml, strlen(xml), out, e);
out:
	free(enc);
	free(xml);
	return rc;
}

int wechat_cb_receive(const struct wechat_cb_keys *k, const struct wechat_cb_query *q,
		      const char *body, size_t len, int64_t now_ms, struct wechat_cb_event *out,
		      struct err *e)
{
	const char *type = q->encrypt_type;
	bool aes = type != NULL && strcmp(type, "aes") == 0;
	bool secure = k->encoding_aes_key != NULL && k->encoding_aes_key[0] != '\0';
	int rc = need_token(k, e);

	if (rc != 0)
		return rc;
	if (type != NULL && !aes && strcmp(type, "raw") != 0)
		return err_set(e, ERR_INVALID, "encrypt_type",
			       "encrypt_type is neither aes nor raw");
	if (aes != secure)
		return err_set(e, ERR_FORBIDDEN, "encrypt_type",
			       "the push is %s but the gateway is configured for %s mode: make "
			       "the admin console's 消息加解密方式 and the EncodingAESKey setting "
			       "agree",
			       aes ? "encrypted" : "plain", secure ? "secure" : "plain");
	if (aes)
		return receive_secure(k, q, body, len, now_ms, out, e);
	if (!wechat_cb_verify(k->token, q->timestamp, q->nonce, q->signature))
		return bad_signature(e, "signature");
	rc = wechat_cb_check_time(q->timestamp, now_ms, e);
	return rc != 0 ? rc : wechat_cb_parse(body, len, out, e);
}
