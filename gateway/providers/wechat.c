/* providers/wechat: WeChat Official Account template messages. Called by the worker through
 * provider_wechat: build() takes an access token from the wx_token holder (fetching it with
 * the blocking http_fetch when needed) and makes one template/send request per message;
 * classify() maps WeChat's errcode to an outcome and, on a rejected token, invalidates it so
 * that the retry fetches a fresh one ("refresh once and retry").
 * Sends are idempotent: client_msg_id = "gw<message id>" makes WeChat drop a repeat within
 * 10 minutes, so a timeout is RETRY. Values are cleaned per keyword type so that WeChat
 * never rejects one for its length (47003). Never puts an openid, a token or a message's
 * text into a reason.
 * Sources: PROVIDERS.md part 4; sendTemplateMessage
 * developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
 * (类目模板消息参数值内容限制: amount = one currency sign + 10 digits, 元 optional; phrase = 5
 * Chinese characters, confirmed by WeChat staff on developers.weixin.qq.com/community);
 * global return codes developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html. */
#include "wechat.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "utf8.h"
#include "wx_token.h"

#define WECHAT_DEFAULT_BASE "https://api.weixin.qq.com"
#define WECHAT_DEFAULT_TIMEOUT_MS 5000
#define WECHAT_SENT_RING 64 /* builds remembered to know which token a request used */
#define WORK_SIZE 1024 /* bytes of a value looked at; longer input is cut before cleaning */
#define MINUTE_MS 60000
#define DAY_MS 86400000LL
#define BEIJING_OFFSET_MS (8 * 3600000LL) /* WeChat's daily quotas reset at 00:00 +08:00 */

/* The token a build put into the request of one message. */
struct wechat_sent {
	int64_t msg_id;
	char token[WX_TOKEN_SIZE];
};

struct wechat_state {
	char base[sizeof(((struct provider_config *)0)->endpoint)];
	int timeout_ms;
	struct wx_token *token;
	struct provider_template templates[PROVIDER_MAX_TEMPLATES];
	int ntemplates;
	struct wechat_sent sent[WECHAT_SENT_RING];
	unsigned nsent; /* builds so far; the newest is sent[(nsent - 1) % RING] */
};

/* --- keyword values ---------------------------------------------------------------- */

/* How one keyword type (the keyword's name without its digits) must look. */
struct kw_rule {
	const char *type;
	size_t max_chars;
	bool (*keep)(long cp); /* characters the type accepts; NULL = any */
	void (*fix)(char *s); /* type-specific clean-up after filtering, or NULL */
	bool ellipsis; /* a cut shows "…" as the last character */
};

static bool is_digit(long c)
{
	return c >= '0' && c <= '9';
}

static bool is_letter(long c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_symbol(long c)
{
	return c > 0x20 && c < 0x7f && !is_digit(c) && !is_letter(c);
}

static bool is_ascii_graph(long c)
{
	return c > 0x20 && c < 0x7f;
}

static bool is_cjk(long c)
{
	return (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
		(c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x2fa1f);
}

static bool is_number_char(long c)
{
	return is_digit(c) || c == '.';
}

static bool is_phone_char(long c)
{
	return is_digit(c) || c == '+' || c == '-';
}

static bool is_car_char(long c)
{
	return is_digit(c) || is_letter(c) || is_cjk(c);
}

static bool is_currency(long c)
{
	return c == '$' || c == 0xa5 || c == 0xffe5; /* $ ¥ ￥ */
}

#define YUAN 0x5143 /* 元 */

static bool is_amount_char(long c)
{
	return is_digit(c) || c == '.' || c == YUAN || is_currency(c);
}

/* Decodes the character at s into *cp and returns its byte length; *cp = -1 for a byte
 * that does not start a valid UTF-8 character (its length is then 1). */
static size_t next_cp(const char *s, long *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k = u[0] < 0x80 ? 1 : u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : 2;

	if (k > 1 && !utf8_valid(s, strnlen(s, k), NULL)) {
		*cp = -1;
		return 1;
	}
	*cp = k == 1 ? u[0] : u[0] & (0x7f >> k);
	for (size_t i = 1; i < k; i++)
		*cp = (*cp << 6) | (u[i] & 0x3f);
	return k;
}

/* Keeps only the first decimal point. */
static void fix_number(char *s)
{
	char *dot = strchr(s, '.');

	if (dot == NULL)
		return;
	for (char *r = dot + 1, *w = dot + 1;; r++)
		if (*r != '.' && (*w++ = *r) == '\0')
			break;
}

/* An optional leading currency sign, at most 10 digits with one decimal point, and "元"
 * when the value ended with it. */
static void fix_amount(char *s)
{
	char out[WORK_SIZE];
	size_t i = 0, o = 0, k;
	int digits = 0;
	bool dot = false, yuan = false;
	long cp;

	while (s[i] != '\0') {
		k = next_cp(s + i, &cp);
		yuan = cp == YUAN;
		if ((is_currency(cp) && i == 0) || (is_digit(cp) && digits < 10) ||
		    (cp == '.' && !dot && digits > 0)) {
			memcpy(out + o, s + i, k);
			o += k;
			digits += is_digit(cp);
			dot |= cp == '.';
		}
		i += k;
	}
	if (o > 0 && out[o - 1] == '.')
		o--;
	if (yuan && digits > 0)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "元");
	out[o] = '\0';
	memcpy(s, out, o + 1);
}

/* A range too long to show keeps its start: "9月1日 08:00~9月2日 18:00" -> "9月1日 08:00". */
static void fix_time(char *s)
{
	char *tilde = strchr(s, '~');
	size_t n;

	if (utf8_chars(s) <= 20 || tilde == NULL)
		return;
	n = (size_t)(tilde - s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	s[n] = '\0';
}

/* Whether the spaces or ')' at s sit inside a phone number: a group of 3 or more digits
 * follows ("0571 8888 1234", "(0571)8888"), not "24" of "95598 24小时". */
static bool continues_number(const char *s)
{
	size_t n = 0;

	while (*s == ' ' || *s == ')')
		s++;
	while (is_digit((unsigned char)s[n]))
		n++;
	return n >= 3;
}

/* The first phone number in the text: "热线 0571-8888 1234（24小时）" -> "0571-88881234".
 * Filtering digits out of the whole text would glue the "24" of the hours on. */
static void fix_phone(char *s)
{
	size_t i = 0, o = 0, k;
	bool started = false;
	long cp;

	while (s[i] != '\0') {
		k = next_cp(s + i, &cp);
		if (is_phone_char(cp)) {
			started = true;
			s[o++] = (char)cp;
		} else if (started && !((cp == ' ' || cp == ')') && continues_number(s + i))) {
			break;
		}
		i += k;
	}
	s[o] = '\0';
}

/* Chinese names take 10 characters, Latin ones 20. */
static void fix_name(char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80) {
			s[utf8_prefix_bytes(s, 10)] = '\0';
			return;
		}
}

static void fix_upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static const struct kw_rule kw_rules[] = {
	{ "thing", 20, NULL, NULL, true },
	{ "number", 32, is_number_char, fix_number, false },
	{ "letter", 32, is_letter, NULL, false },
	{ "symbol", 5, is_symbol, NULL, false },
	{ "character_string", 32, is_ascii_graph, NULL, false },
	{ "time", 20, NULL, fix_time, false },
	{ "date", 20, NULL, fix_time, false },
	{ "amount", 13, is_amount_char, fix_amount, false },
	{ "phone_number", 17, NULL, fix_phone, false },
	{ "car_number", 8, is_car_char, fix_upper, false },
	{ "name", 20, NULL, fix_name, false },
	{ "phrase", 5, is_cjk, NULL, false },
};

/* Unknown types get the limit every field is shown with since 2023-05-04. */
static const struct kw_rule kw_default = { "", 20, NULL, NULL, true };

static const struct kw_rule *kw_rule_for(const char *keyword)
{
	size_t n = strlen(keyword);

	while (n > 0 && is_digit((unsigned char)keyword[n - 1]))
		n--;
	for (size_t i = 0; i < sizeof(kw_rules) / sizeof(kw_rules[0]); i++)
		if (strlen(kw_rules[i].type) == n && strncmp(kw_rules[i].type, keyword, n) == 0)
			return &kw_rules[i];
	return &kw_default;
}

static bool is_break(long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == ' ';
}

/* Copies the characters of v that r accepts into buf: invalid bytes dropped, runs of
 * spaces, line breaks and control characters folded into one space, trimmed. Leaves 4
 * bytes spare so that a cut can always append "…". */
static void kw_filter(const char *v, const struct kw_rule *r, char *buf, size_t bufsz)
{
	size_t i = 0, o = 0, k;
	bool space = false;
	long cp;

	while (v[i] != '\0') {
		k = next_cp(v + i, &cp);
		if (cp >= 0 && is_break(cp)) {
			space = true;
		} else if (cp >= 0 && (r->keep == NULL || r->keep(cp))) {
			if (o + k + 1 + 4 >= bufsz)
				break;
			if (space && o > 0 && (r->keep == NULL || r->keep(' ')))
				buf[o++] = ' ';
			space = false;
			memcpy(buf + o, v + i, k);
			o += k;
		}
		i += k;
	}
	buf[o] = '\0';
}

void wechat_keyword_value(const char *keyword, const char *value, char out[WECHAT_VALUE_SIZE])
{
	const struct kw_rule *r = kw_rule_for(keyword);
	char buf[WORK_SIZE];
	size_t b;

	kw_filter(value != NULL ? value : "", r, buf, sizeof(buf));
	if (r->fix != NULL)
		r->fix(buf);
	if (utf8_chars(buf) > r->max_chars) {
		b = utf8_prefix_bytes(buf, r->ellipsis ? r->max_chars - 1 : r->max_chars);
		while (b > 0 && buf[b - 1] == ' ')
			b--;
		snprintf(buf + b, sizeof(buf) - b, "%s", r->ellipsis ? "…" : "");
	}
	/* The rules keep every value far below the size; cut on a character anyway. */
	b = strnlen(buf, WECHAT_VALUE_SIZE - 1);
	while (b > 0 && ((unsigned char)buf[b] & 0xc0) == 0x80)
		b--;
	memcpy(out, buf, b);
	out[b] = '\0';
}

/* --- create / destroy ------------------------------------------------------------------ */

static int wechat_create(const struct provider_config *cfg, void **state, struct err *e)
{
	struct wechat_state *s;
	const char *base = cfg->endpoint[0] ? cfg->endpoint : WECHAT_DEFAULT_BASE;
	int rc;

	if (cfg->key_id[0] == '\0')
		return err_set(
			e, ERR_INVALID, "key_id",
			"[provider.%s] (line %d) has type = wechat but no key_id; set key_id "
			"= the Official Account's AppID (wx...)",
			cfg->name, cfg->line);
	if (cfg->secret[0] == '\0')
		return err_set(e, ERR_INVALID, "secret",
			       "[provider.%s] (line %d) has type = wechat but no secret; set "
			       "secret_env = the variable holding the account's AppSecret",
			       cfg->name, cfg->line);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating provider %s", cfg->name);
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : WECHAT_DEFAULT_TIMEOUT_MS;
	rc = wx_token_new(base, cfg->key_id, cfg->secret, s->timeout_ms, &s->token, e);
	if (rc < 0) {
		free(s);
		return rc;
	}
	snprintf(s->base, sizeof(s->base), "%s", base);
	while (s->base[0] != '\0' && s->base[strlen(s->base) - 1] == '/')
		s->base[strlen(s->base) - 1] = '\0';
	s->ntemplates =
		cfg->ntemplates < PROVIDER_MAX_TEMPLATES ? cfg->ntemplates : PROVIDER_MAX_TEMPLATES;
	memcpy(s->templates, cfg->templates, sizeof(s->templates[0]) * (size_t)s->ntemplates);
	*state = s;
	return 0;
}

static void wechat_destroy(void *state)
{
	struct wechat_state *s = state;

	if (s == NULL)
		return;
	wx_token_free(s->token);
	/* Tokens are credentials too. */
	memset(s->sent, 0, sizeof(s->sent));
	free(s);
}

/* --- build ----------------------------------------------------------------------------- */

static const struct provider_template *find_template(const struct wechat_state *s, const char *kind)
{
	for (int i = 0; i < s->ntemplates; i++)
		if (strcmp(s->templates[i].kind, kind) == 0)
			return &s->templates[i];
	return NULL;
}

static const char *find_var(const struct prov_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nvars; i++)
		if (strcmp(m->vars[i].name, name) == 0)
			return m->vars[i].value != NULL ? m->vars[i].value : "";
	return NULL;
}

/* Trims spaces on both sides, in place. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* One keyword of params ("thing1=area" or "area") into data. */
static int add_keyword(json_t *data, char *entry, const struct prov_msg *m, struct err *e)
{
	char *eq = strchr(entry, '=');
	char *kw = entry, *var = entry;
	char value[WECHAT_VALUE_SIZE];
	const char *raw;

	if (eq != NULL) {
		*eq = '\0';
		var = trim(eq + 1);
	}
	kw = trim(kw);
	if (kw[0] == '\0' || var[0] == '\0')
		return err_set(e, ERR_INVALID, "params",
			       "params.%s has an empty keyword or variable; write thing1=area,...",
			       m->kind);
	raw = find_var(m, var);
	if (raw == NULL)
		return err_set(e, ERR_INVALID, "params",
			       "params.%s uses variable %s, which a %s notice does not have",
			       m->kind, var, m->kind);
	wechat_keyword_value(kw, raw, value);
	if (json_object_set_new(data, kw, json_pack("{s:s}", "value", value)) < 0)
		return err_set(e, ERR_INVALID, "params",
			       "params.%s: keyword %.40s is not valid UTF-8", m->kind, kw);
	return 0;
}

/* {"keyword": {"value": ...}, ...} from the template's params. */
static int build_data(const struct provider_template *t, const struct prov_msg *m, json_t **out,
		      struct err *e)
{
	char params[sizeof(t->params)];
	char *save = NULL, *entry;
	json_t *data = json_object();
	int rc = 0;

	if (data == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory building a WeChat message");
	snprintf(params, sizeof(params), "%s", t->params);
	for (entry = strtok_r(params, ",", &save); entry != NULL && rc == 0;
	     entry = strtok_r(NULL, ",", &save))
		rc = add_keyword(data, entry, m, e);
	if (rc == 0 && json_object_size(data) == 0)
		rc = err_set(e, ERR_INVALID, "params",
			     "params.%s is empty; list the template's keywords, e.g. "
			     "params.%s = thing1=area,time2=start",
			     m->kind, m->kind);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = data;
	return 0;
}

/* The template/send body; *body is malloc'd. */
static int build_body(const struct wechat_state *s, const struct prov_msg *m, char **body,
		      struct err *e)
{
	const struct provider_template *t = m->kind != NULL ? find_template(s, m->kind) : NULL;
	json_t *root = NULL, *data = NULL;
	char id[32];
	int rc;

	if (m->kind == NULL)
		return err_set(e, ERR_INTERNAL, "kind", "message %lld has no kind",
			       (long long)m->id);
	if (t == NULL || t->id[0] == '\0')
		return err_set(e, ERR_INVALID, "template",
			       "no WeChat template for kind %s; set template.%s = the template_id "
			       "and params.%s",
			       m->kind, m->kind, m->kind);
	if (m->to == NULL || m->to[0] == '\0')
		return err_set(e, ERR_INVALID, "to", "message %lld has no openid",
			       (long long)m->id);
	rc = build_data(t, m, &data, e);
	if (rc < 0)
		return rc;
	snprintf(id, sizeof(id), "gw%lld", (long long)m->id);
	root = json_pack("{s:s,s:s,s:s,s:o}", "touser", m->to, "template_id", t->id,
			 "client_msg_id", id, "data", data);
	if (root != NULL && m->url != NULL && m->url[0] != '\0' &&
	    json_object_set_new(root, "url", json_string(m->url)) < 0) {
		json_decref(root);
		root = NULL;
	}
	*body = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (*body == NULL)
		return err_set(e, ERR_INVALID, "to",
			       "message %lld cannot be encoded as JSON: openid, url or template "
			       "id is not valid UTF-8",
			       (long long)m->id);
	return 0;
}

static int wechat_build(void *state, const struct prov_msg *msgs, size_t n,
			struct http_request *req, struct err *e)
{
	struct wechat_state *s = state;
	struct wechat_sent *sent = &s->sent[s->nsent % WECHAT_SENT_RING];
	char token[WX_TOKEN_SIZE], url[sizeof(req->url)];
	char *body = NULL, *enc = NULL;
	int rc, len;

	if (n != 1)
		return err_set(e, ERR_INTERNAL, NULL,
			       "wechat sends one message per request, was given %zu", n);
	rc = build_body(s, &msgs[0], &body, e);
	if (rc < 0)
		goto out;
	rc = wx_token_get(s->token, msgs[0].now_ms, token, e);
	if (rc < 0)
		goto out;
	enc = crypto_percent_encode(token, strlen(token));
	len = enc == NULL
		? -1
		: snprintf(url, sizeof(url), "%s/cgi-bin/message/template/send?access_token=%s",
			   s->base, enc);
	if (len < 0 || (size_t)len >= sizeof(url)) {
		rc = err_set(e, ERR_INVALID, "endpoint", "WeChat endpoint is too long for a URL");
		goto out;
	}
	http_request_init(req, "POST", url);
	if (http_request_header(req, "Content-Type", "application/json") < 0) {
		rc = err_set(e, ERR_INTERNAL, NULL, "WeChat request headers do not fit");
		goto out;
	}
	req->body_len = strlen(body);
	req->body = body;
	req->timeout_ms = s->timeout_ms;
	body = NULL;
	sent->msg_id = msgs[0].id;
	memcpy(sent->token, token, sizeof(sent->token));
	s->nsent++;
out:
	/* The token is a credential; copies of it should not linger on the stack or heap. */
	memset(token, 0, sizeof(token));
	memset(url, 0, sizeof(url));
	if (enc != NULL)
		memset(enc, 0, strlen(enc));
	free(enc);
	free(body);
	return rc;
}

/* --- classify -------------------------------------------------------------------------- */

/* What a template/send errcode means. */
struct send_code {
	int code;
	enum outcome outcome;
	bool unreachable; /* the user cannot get WeChat messages from us: fall back to SMS */
	bool bad_token; /* the token was refused: forget it so the retry fetches another */
	bool quote; /* WeChat's errmsg names the field at fault: quote it */
	const char *what;
};

static const struct send_code send_codes[] = {
	{ -1, OUTCOME_RETRY, false, false, false, "WeChat system busy" },
	{ 40001, OUTCOME_RETRY, false, true, false,
	  "access token invalid or not latest; renewing" },
	{ 42001, OUTCOME_RETRY, false, true, false, "access token expired; renewing" },
	{ 40014, OUTCOME_RETRY, false, true, false, "access token invalid; renewing" },
	{ 45009, OUTCOME_THROTTLED, false, false, false,
	  "daily template message quota reached; paused until 00:00 Beijing time" },
	{ 45011, OUTCOME_THROTTLED, false, false, false, "API minute quota reached; slowing down" },
	{ 40003, OUTCOME_PERMANENT, true, false, false, "invalid openid for this account" },
	{ 43004, OUTCOME_PERMANENT, true, false, false, "the user does not follow the account" },
	{ 40037, OUTCOME_PERMANENT, false, false, false, "invalid template_id; check template." },
	{ 47001, OUTCOME_PERMANENT, false, false, true, "data format error" },
	{ 47003, OUTCOME_PERMANENT, false, false, true, "argument invalid" },
	{ 41001, OUTCOME_PERMANENT, false, false, false, "access token missing" },
	{ 40013, OUTCOME_PERMANENT, false, false, false, "invalid appid; check key_id" },
	{ 40125, OUTCOME_PERMANENT, false, false, false, "invalid appsecret; check secret" },
	{ 40002, OUTCOME_PERMANENT, false, false, false, "invalid grant_type" },
	{ 41002, OUTCOME_PERMANENT, false, false, false, "appid missing; set key_id" },
	{ 41004, OUTCOME_PERMANENT, false, false, false, "appsecret missing; set secret" },
	{ 40164, OUTCOME_PERMANENT, false, false, false,
	  "this server's IP is not in the account's IP whitelist" },
	{ 43001, OUTCOME_PERMANENT, false, false, false, "WeChat wants a GET request" },
	{ 43002, OUTCOME_PERMANENT, false, false, false, "WeChat wants a POST request" },
};

/* WeChat's errmsg, safe to store: printable ASCII, the openid replaced, digit runs of 7 or
 * more masked, at most outsz - 1 bytes. */
static void quote_errmsg(const char *src, const char *openid, char *out, size_t outsz)
{
	size_t n = 0, olen = openid != NULL ? strlen(openid) : 0;
	char work[256];
	char *p;

	for (; src != NULL && src[n] != '\0' && n + 1 < sizeof(work); n++)
		work[n] = (src[n] >= 0x20 && src[n] < 0x7f) ? src[n] : '?';
	work[n] = '\0';
	while (openid != NULL && olen >= 8 && (p = strstr(work, openid)) != NULL) {
		memcpy(p, "[openid]", 8);
		memmove(p + 8, p + olen, strlen(p + olen) + 1);
	}
	for (size_t i = 0, j; work[i] != '\0'; i = j > i ? j : i + 1) {
		for (j = i; work[j] >= '0' && work[j] <= '9'; j++)
			;
		if (j - i >= 7)
			memset(work + i, '*', j - i - 4);
	}
	snprintf(out, outsz, "%.*s", (int)(outsz - 1), work); /* ASCII: any cut is clean */
}

/* Milliseconds from now to the next 00:00 in Beijing, when daily quotas reset. */
static int ms_to_beijing_midnight(int64_t now_ms)
{
	int64_t local = (now_ms + BEIJING_OFFSET_MS) % DAY_MS;

	if (local < 0)
		local += DAY_MS;
	return (int)(DAY_MS - local);
}

/* The token the last build for message id used; the newest build's when that one was
 * forgotten (a wrong guess costs one extra token request, which returns the same token). */
static const char *used_token(const struct wechat_state *s, int64_t id)
{
	unsigned kept = s->nsent < WECHAT_SENT_RING ? s->nsent : WECHAT_SENT_RING;

	for (unsigned i = 1; i <= kept; i++) {
		const struct wechat_sent *e = &s->sent[(s->nsent - i) % WECHAT_SENT_RING];

		if (e->msg_id == id)
			return e->token;
	}
	return kept > 0 ? s->sent[(s->nsent - 1) % WECHAT_SENT_RING].token : NULL;
}

static void classify_code(struct wechat_state *s, json_t *root, const struct prov_msg *m,
			  struct prov_result *r)
{
	long long code = json_integer_value(json_object_get(root, "errcode"));
	const char *errmsg = json_string_value(json_object_get(root, "errmsg"));
	const struct send_code *c = NULL;
	char quote[96];

	for (size_t i = 0; i < sizeof(send_codes) / sizeof(send_codes[0]); i++)
		if (send_codes[i].code == code)
			c = &send_codes[i];
	if (c == NULL) {
		quote_errmsg(errmsg, m->to, quote, sizeof(quote));
		r->outcome = OUTCOME_RETRY;
		snprintf(r->reason, sizeof(r->reason), "WeChat errcode %lld (unknown): %s", code,
			 quote[0] ? quote : "no errmsg");
		return;
	}
	r->outcome = c->outcome;
	r->unreachable = c->unreachable;
	quote[0] = '\0';
	if (c->code == 40037)
		snprintf(quote, sizeof(quote), "%.30s", m->kind); /* "check template.KIND" */
	else if (c->quote)
		quote_errmsg(errmsg, m->to, quote, sizeof(quote));
	snprintf(r->reason, sizeof(r->reason), "WeChat errcode %lld: %s%s%s", code, c->what,
		 c->quote ? ": " : "", quote);
	if (code == 45009)
		r->retry_after_ms = ms_to_beijing_midnight(m->now_ms);
	else if (code == 45011)
		r->retry_after_ms = MINUTE_MS;
	if (c->bad_token)
		wx_token_invalidate(s->token, used_token(s, m->id));
}

/* An HTTP 200 answer: errcode 0 is the only success; anything unreadable is RETRY. */
static void classify_body(struct wechat_state *s, const struct http_response *resp,
			  const struct prov_msg *m, struct prov_result *r)
{
	json_t *root = json_loadb(resp->body != NULL ? resp->body : "", resp->body_len, 0, NULL);
	json_t *code = json_object_get(root, "errcode");
	json_t *msgid = json_object_get(root, "msgid");

	r->outcome = OUTCOME_RETRY;
	if (resp->body_len == 0)
		snprintf(r->reason, sizeof(r->reason), "WeChat answered HTTP 200 with no body");
	else if (!json_is_object(root))
		snprintf(r->reason, sizeof(r->reason),
			 "WeChat answer is not JSON (%zu bytes; a proxy page?)", resp->body_len);
	else if (!json_is_integer(code))
		snprintf(r->reason, sizeof(r->reason), "WeChat answer has no errcode");
	else if (json_integer_value(code) != 0)
		classify_code(s, root, m, r);
	else {
		r->outcome = OUTCOME_OK;
		if (json_is_integer(msgid))
			snprintf(r->ref, sizeof(r->ref), "%lld",
				 (long long)json_integer_value(msgid));
		else if (json_is_string(msgid))
			quote_errmsg(json_string_value(msgid), NULL, r->ref, sizeof(r->ref));
	}
	json_decref(root);
}

static void wechat_classify(void *state, const struct http_response *resp,
			    const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	struct wechat_state *s = state;
	char err[96];

	for (size_t i = 0; i < n; i++) {
		struct prov_result r = { .outcome = OUTCOME_RETRY };

		if (resp->timed_out) {
			snprintf(r.reason, sizeof(r.reason),
				 "timeout after %d ms (a retry is safe: client_msg_id)",
				 s->timeout_ms);
		} else if (resp->transport_error) {
			/* curl's text can quote the URL, and the URL holds the token. */
			snprintf(err, sizeof(err), "%.95s",
				 resp->error[0] ? resp->error : "no detail");
			err[strcspn(err, "?")] = '\0';
			snprintf(r.reason, sizeof(r.reason), "connection failed: %s", err);
		} else if (resp->status == 429) {
			r.outcome = OUTCOME_THROTTLED;
			r.retry_after_ms = resp->retry_after_ms;
			snprintf(r.reason, sizeof(r.reason), "HTTP 429");
		} else if (resp->status != 200) {
			snprintf(r.reason, sizeof(r.reason), "HTTP %ld from WeChat", resp->status);
		} else {
			classify_body(s, resp, &msgs[i], &r);
		}
		res[i] = r;
	}
}

const struct provider_ops provider_wechat = {
	.type = "wechat",
	.max_batch = 1,
	.create = wechat_create,
	.destroy = wechat_destroy,
	.deliver = NULL,
	.build = wechat_build,
	.classify = wechat_classify,
	.idempotent = 1,
	.parse_receipts = NULL,
	.parse_replies = NULL,
	.push_answer = NULL,
};
