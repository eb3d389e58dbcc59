/* providers/tencent_sign: the TC3-HMAC-SHA256 signature of Tencent Cloud API 3.0
 * (tencent.h), which the Tencent provider's build puts on every SendSms. Pure: no I/O, no
 * clock (the caller passes the timestamp), no allocation. The secret key and the keys
 * derived from it live only on the stack and are wiped before returning.
 * Source: "Signature v3", cloud.tencent.com/document/api/382/52072. */
#include "tencent.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "provider.h"

#define SIGNED_HEADERS "content-type;host"

/* Lower-cases and trims s into out (the canonical form of a signed header value). */
static int canonical_value(const char *s, char *out, size_t outsz)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= outsz)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[n] = '\0';
	return 0;
}

/* SecretSigning = HMAC(HMAC(HMAC("TC3" + key, date), service), "tc3_request"). */
static void derive_key(const char *key, size_t klen, const char *date, const char *service,
		       unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned char k[3 + sizeof(((struct provider_config *)0)->secret)];
	unsigned char d[CRYPTO_SHA256_LEN], sv[CRYPTO_SHA256_LEN];

	memcpy(k, "TC3", 3);
	memcpy(k + 3, key, klen);
	crypto_hmac_sha256(k, klen + 3, date, strlen(date), d);
	crypto_hmac_sha256(d, sizeof(d), service, strlen(service), sv);
	crypto_hmac_sha256(sv, sizeof(sv), "tc3_request", 11, out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(d, sizeof(d));
	explicit_bzero(sv, sizeof(sv));
}

int tencent_sign(const struct tencent_sign_input *in, struct tencent_signature *out, struct err *e)
{
	char ct[TENCENT_SIGN_FIELD_MAX], host[TENCENT_SIGN_FIELD_MAX], date[16], scope[64];
	char canon[3 * TENCENT_SIGN_FIELD_MAX], sts[192];
	unsigned char key[CRYPTO_SHA256_LEN], mac[CRYPTO_SHA256_LEN];
	size_t klen = strlen(in->secret_key);
	struct tencent_signature r;
	time_t t = (time_t)in->timestamp;
	struct tm tm;
	int len;

	if (canonical_value(in->content_type, ct, sizeof(ct)) < 0 ||
	    canonical_value(in->host, host, sizeof(host)) < 0 || strlen(in->service) > 32 ||
	    klen > sizeof(((struct provider_config *)0)->secret) || gmtime_r(&t, &tm) == NULL)
		return err_set(e, ERR_INVALID, "endpoint",
			       "cannot sign for Tencent Cloud: the host, content type, service "
			       "or secret is too long, or the timestamp is out of range");
	memset(&r, 0, sizeof(r));
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	snprintf(scope, sizeof(scope), "%s/%s/tc3_request", date, in->service);
	crypto_sha256_hex(in->body, in->body_len, r.payload_hash);
	len = snprintf(canon, sizeof(canon), "POST\n/\n\ncontent-type:%s\nhost:%s\n\n%s\n%s", ct,
		       host, SIGNED_HEADERS, r.payload_hash);
	crypto_sha256_hex(canon, (size_t)len, r.canonical_hash);
	len = snprintf(sts, sizeof(sts), "TC3-HMAC-SHA256\n%lld\n%s\n%s", (long long)in->timestamp,
		       scope, r.canonical_hash);
	derive_key(in->secret_key, klen, date, in->service, key);
	crypto_hmac_sha256(key, sizeof(key), sts, (size_t)len, mac);
	explicit_bzero(key, sizeof(key));
	crypto_hex(mac, sizeof(mac), r.signature);
	len = snprintf(r.authorization, sizeof(r.authorization),
		       "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		       in->secret_id, scope, SIGNED_HEADERS, r.signature);
	if (len < 0 || (size_t)len >= sizeof(r.authorization))
		return err_set(e, ERR_INVALID, "key_id", "the Tencent Cloud SecretId is too long");
	*out = r;
	return 0;
}
