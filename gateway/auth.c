/* auth: key generation and hashing (mbedtls SHA-256, getrandom for entropy) and the role
 * table. Pure apart from getrandom. Keys are compared by hash in the store. */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/sha256.h>

static const struct {
	const char *name;
	unsigned perms;
} roles[ROLE_COUNT] = {
	[ROLE_ADMIN] = { "admin", ~0u },
	[ROLE_DISPATCHER] = { "dispatcher",
			      PERM_AREAS_WRITE | PERM_RESIDENTS_READ | PERM_RESIDENTS_WRITE |
				      PERM_RESIDENTS_IMPORT | PERM_NOTICES_READ |
				      PERM_NOTICES_SEND | PERM_STAFF_ALERT | PERM_CASES_CREATE |
				      PERM_CASES_READ | PERM_CASES_WRITE | PERM_CASES_STATS },
	[ROLE_AGENT] = { "agent",
			 PERM_RESIDENTS_READ | PERM_RESIDENTS_WRITE | PERM_NOTICES_READ |
				 PERM_CASES_CREATE | PERM_CASES_READ | PERM_CASES_WRITE |
				 PERM_CASES_STATS },
	[ROLE_KIOSK] = { "kiosk", PERM_CASES_CREATE | PERM_CASES_LOOKUP },
};

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int auth_key_new(char key[AUTH_KEY_LEN + 1], char hash_hex[AUTH_HASH_LEN + 1], struct err *e)
{
	unsigned char raw[32];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno != EINTR)
			return err_set(e, ERR_IO, NULL, "cannot read random bytes: %s",
				       strerror(errno));
		if (n > 0)
			got += (size_t)n;
	}
	memcpy(key, "gwk_", 4);
	hex(raw, sizeof(raw), key + 4);
	auth_key_hash(key, hash_hex);
	return 0;
}

void auth_key_hash(const char *key, char hash_hex[AUTH_HASH_LEN + 1])
{
	unsigned char sum[32];

	mbedtls_sha256_ret((const unsigned char *)key, strlen(key), sum, 0);
	hex(sum, sizeof(sum), hash_hex);
}

int auth_role_parse(const char *name, enum role *out)
{
	for (int i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(name, roles[i].name) == 0) {
			*out = (enum role)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

const char *auth_role_name(enum role r)
{
	return (r >= 0 && r < ROLE_COUNT) ? roles[r].name : "?";
}

bool auth_role_may(enum role r, unsigned perm)
{
	return r >= 0 && r < ROLE_COUNT && (roles[r].perms & perm) == perm;
}
