/* crypto: thin wrappers over mbedtls 2.28's generic md layer, base64 and AES, so that the
 * provider files read as their documents do (HMAC of this, hex of that). */
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>

static void md(mbedtls_md_type_t t, const void *data, size_t len, unsigned char *out)
{
	mbedtls_md(mbedtls_md_info_from_type(t), data, len, out);
}

static void hmac(mbedtls_md_type_t t, const void *key, size_t klen, const void *data, size_t len,
		 unsigned char *out)
{
	mbedtls_md_hmac(mbedtls_md_info_from_type(t), key, klen, data, len, out);
}

void crypto_sha1(const void *data, size_t len, unsigned char out[CRYPTO_SHA1_LEN])
{
	md(MBEDTLS_MD_SHA1, data, len, out);
}

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
	md(MBEDTLS_MD_SHA256, data, len, out);
}

void crypto_hmac_sha1(const void *key, size_t klen, const void *data, size_t len,
		      unsigned char out[CRYPTO_SHA1_LEN])
{
	hmac(MBEDTLS_MD_SHA1, key, klen, data, len, out);
}

void crypto_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
			unsigned char out[CRYPTO_SHA256_LEN])
{
	hmac(MBEDTLS_MD_SHA256, key, klen, data, len, out);
}

void crypto_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char sum[CRYPTO_SHA256_LEN];

	crypto_sha256(data, len, sum);
	crypto_hex(sum, sizeof(sum), out);
}

int crypto_base64(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	size_t olen = 0;

	if (mbedtls_base64_encode((unsigned char *)out, outsz, &olen, in, n) != 0)
		return ERR_TOOBIG;
	return (int)olen;
}

int crypto_unbase64(const char *in, size_t n, unsigned char *out, size_t outsz)
{
	size_t olen = 0;
	int rc = mbedtls_base64_decode(out, outsz, &olen, (const unsigned char *)in, n);

	if (rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
		return ERR_TOOBIG;
	return rc == 0 ? (int)olen : ERR_INVALID;
}

char *crypto_percent_encode(const char *s, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = digits[c >> 4];
			*p++ = digits[c & 15];
		}
	}
	*p = '\0';
	return out;
}

int crypto_aes256_cbc(int encrypt, const unsigned char key[32], const unsigned char iv[16],
		      const unsigned char *in, size_t len, unsigned char *out, struct err *e)
{
	mbedtls_aes_context ctx;
	unsigned char ivc[16];
	int rc;

	if (len == 0 || len % 16 != 0)
		return err_set(e, ERR_INVALID, NULL,
			       "AES-CBC input of %zu bytes is not a whole "
			       "number of 16-byte blocks",
			       len);
	memcpy(ivc, iv, 16);
	mbedtls_aes_init(&ctx);
	rc = encrypt ? mbedtls_aes_setkey_enc(&ctx, key, 256)
		     : mbedtls_aes_setkey_dec(&ctx, key, 256);
	if (rc == 0)
		rc = mbedtls_aes_crypt_cbc(&ctx,
					   encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, len,
					   ivc, in, out);
	mbedtls_aes_free(&ctx);
	return rc == 0 ? 0 : err_set(e, ERR_INVALID, NULL, "AES-CBC failed (mbedtls %d)", rc);
}
