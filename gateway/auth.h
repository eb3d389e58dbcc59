/* auth: API keys and roles.
 * Owns: making a new key (256 bits from the kernel CSPRNG, shown once), hashing keys for
 * storage (SHA-256; the store never sees a key), the const table of roles and what each
 * may do. Never logs a key or a hash. */
#ifndef GATEWAY_AUTH_H
#define GATEWAY_AUTH_H

#include <stdbool.h>

#include "err.h"

#define AUTH_KEY_LEN 68 /* "gwk_" + 64 hex */
#define AUTH_HASH_LEN 64 /* hex SHA-256 */

enum role { ROLE_ADMIN, ROLE_DISPATCHER, ROLE_AGENT, ROLE_KIOSK, ROLE_COUNT };

/* Permissions a route asks for. */
enum perm {
	PERM_AREAS_WRITE = 1 << 0,
	PERM_RESIDENTS_READ = 1 << 1,
	PERM_RESIDENTS_WRITE = 1 << 2,
	PERM_RESIDENTS_IMPORT = 1 << 3,
	PERM_NOTICES_READ = 1 << 4,
	PERM_NOTICES_SEND = 1 << 5,
	PERM_STAFF_ALERT = 1 << 6, /* post and read staff alerts */
	PERM_CASES_CREATE = 1 << 7, /* register a case (agents, the kiosk) */
	PERM_CASES_READ = 1 << 8, /* find and read cases with their personal data */
	PERM_CASES_WRITE = 1 << 9, /* move cases, add notes, change class */
	PERM_CASES_STATS = 1 << 10, /* case statistics */
	PERM_CASES_LOOKUP = 1 << 11, /* a case's masked status by number (the kiosk) */
};

/* Writes a fresh key into key (AUTH_KEY_LEN + 1 bytes) and its hash into hash_hex. */
int auth_key_new(char key[AUTH_KEY_LEN + 1], char hash_hex[AUTH_HASH_LEN + 1], struct err *e);
void auth_key_hash(const char *key, char hash_hex[AUTH_HASH_LEN + 1]);
int auth_role_parse(const char *name, enum role *out);
const char *auth_role_name(enum role r);
bool auth_role_may(enum role r, unsigned perm);

#endif
