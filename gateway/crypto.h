/* crypto: the hashes, MACs, encodings and cipher the provider APIs ask for, over mbedtls.
 * Owns: SHA-1/SHA-256 (raw and lower-case hex), HMAC-SHA1/HMAC-SHA256, base64, RFC 3986
 * percent-encoding as the cloud APIs sign it, and AES-256-CBC for WeChat's secure mode.
 * Pure; no I/O. Secrets passed in are never copied anywhere but the stack. */
#ifndef GATEWAY_CRYPTO_H
#define GATEWAY_CRYPTO_H

#include <stddef.h>

#include "err.h"

#define CRYPTO_SHA1_LEN 20
#define CRYPTO_SHA256_LEN 32

void crypto_sha1(const void *data, size_t len, unsigned char out[CRYPTO_SHA1_LEN]);
void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
void crypto_hmac_sha1(const void *key, size_t klen, const void *data, size_t len,
		      unsigned char out[CRYPTO_SHA1_LEN]);
void crypto_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
			unsigned char out[CRYPTO_SHA256_LEN]);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void crypto_hex(const unsigned char *in, size_t n, char *out);
/* Hex of SHA-256(data): out 65 bytes. */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);
/* Base64 (standard alphabet, padded) into out; returns the length or ERR_TOOBIG. */
int crypto_base64(const unsigned char *in, size_t n, char *out, size_t outsz);
/* Decodes base64; returns the decoded length or ERR_INVALID / ERR_TOOBIG. */
int crypto_unbase64(const char *in, size_t n, unsigned char *out, size_t outsz);
/* RFC 3986 percent-encoding of UTF-8 bytes: A-Z a-z 0-9 - _ . ~ kept, everything else %XY
 * with upper-case hex (so space is %20, '*' is %2A). Returns a malloc'd string or NULL. */
char *crypto_percent_encode(const char *s, size_t len);
/* AES-256-CBC without padding removal (WeChat uses PKCS#7 with a 32-byte block; the caller
 * strips it). key: 32 bytes, iv: 16 bytes, len a multiple of 16. */
int crypto_aes256_cbc(int encrypt, const unsigned char key[32], const unsigned char iv[16],
		      const unsigned char *in, size_t len, unsigned char *out, struct err *e);

#endif
