/* wechat_callback: signatures, replay window, secure-mode AES and the two requests of the
 * WeChat server callback; the pushed XML is read in wechat_callback_xml.c.
 * Hashes, base64 and AES come from crypto.h; keys and plaintext are wiped after use.
 * Signatures are compared in constant time, and nothing is decrypted before its
 * msg_signature checked out, so that no answer is a padding oracle. */
#include "wechat_callback.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "crypto.h"
#include "wechat_callback_internal.h"

#define PART_MAX 128 /* token, timestamp, nonce: WeChat's are at most 32 characters */
#define ECHOSTR_MAX 64
#define PAD_BLOCK 32 /* WeChat's PKCS#7 block, not AES's 16 */

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

bool wechat_cb_decimal(const char *s, size_t max, int64_t *out)
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

	if (!wechat_cb_decimal(timestamp, WECHAT_CB_TIME_DIGITS, &ts))
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
