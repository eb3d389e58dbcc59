/* store_internal: what the store's files (store.c and the store_*.c beside it)
 * share: the connection struct, the statement ids and small binding helpers. Nobody
 * outside the store includes this file. */
#ifndef GATEWAY_STORE_INTERNAL_H
#define GATEWAY_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

enum st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_KEY_ADD,
	ST_KEY_ROLE,
	ST_AREA_GET,
	ST_AREA_INSERT,
	ST_AREA_UPDATE,
	ST_AREA_LIST,
	ST_AREA_IS_BELOW,
	ST_AREA_LABEL,
	ST_RES_FIND,
	ST_RES_INSERT,
	ST_RES_UPDATE,
	ST_RES_AREAS_DEL,
	ST_RES_AREA_ADD,
	ST_RES_AREA_CODES,
	ST_RES_ROW,
	ST_RES_DELETE,
	ST_RES_LIST,
	ST_RES_COUNT,
	ST_RES_HISTORY,
	ST_TMP_CLEAR_AREAS,
	ST_TMP_ADD_AREA,
	ST_TMP_CLEAR_RECIP,
	ST_TMP_FROM_AREAS,
	ST_TMP_FROM_OUTAGE,
	ST_PREVIEW,
	ST_NOTICE_INSERT,
	ST_NOTICE_AREA_ADD,
	ST_OB_SMS,
	ST_OB_WECHAT,
	ST_OB_NONE,
	ST_SUPERSEDE,
	ST_NOTICE_ROW,
	ST_NOTICE_AREAS,
	ST_NOTICE_PROGRESS,
	ST_NOTICE_FAILURES,
	ST_NOTICE_SKIPS,
	ST_NOTICE_LIST,
	ST_CLAIM,
	ST_REC_SENT,
	ST_REC_FAILED,
	ST_REC_REQUEUE,
	ST_REC_EXPIRED,
	ST_EXPIRE,
	ST_RECOVER,
	ST_TEXT,
	ST_NOTICE_VARS,
	ST_RECEIPT_ADD,
	ST_RECEIPT_UNKNOWN,
	ST_RECEIPT_APPLY,
	ST_RECEIPT_EARLY,
	ST_INBOUND_ADD,
	ST_OPT_OUT_PHONE,
	ST_EVENT_ADD,
	ST_EVENTS_OF,
	ST_FALLBACK,
	ST_OPENID_DROP,
	ST_BIND_ADD,
	ST_BIND_USE,
	ST_RES_SET_OPENID,
	ST_NUMBER_USAGE,
	ST_NUMBER_ANY,
	ST_STATUS_CANDIDATES,
	ST_UNKNOWN_SENT,
	ST_DEPTH,
	ST_STAFF_ADD,
	ST_STAFF_PENDING,
	ST_STAFF_SENT,
	ST_STAFF_TRIED,
	ST_STAFF_LIST,
	ST_STAFF_WAITING,
	ST_COUNT
};

extern const char *const store_sql[ST_COUNT];

/* The statements of cases, in store_cases.c's table (same rules as store_sql). */
enum cst {
	CST_SERIAL,
	CST_INSERT,
	CST_LOAD,
	CST_CHANGE,
	CST_EVENT,
	CST_CLOCK_SET,
	CST_CLOCK_MET,
	CST_CLOCK_DROP,
	CST_CLOCK_STARTS,
	CST_DUE_LIST,
	CST_DUE_WARNED,
	CST_DUE_BREACHED,
	CST_CLUSTER_FIND,
	CST_CLUSTER_ADD,
	CST_CLUSTER_GROW,
	CST_CLUSTER_REPORTED,
	CST_ROW_BY_NUMBER,
	CST_ROW_BY_HASH,
	CST_CLOCKS_OF,
	CST_EVENTS_OF,
	CST_MSG_OB,
	CST_OPENID,
	CST_NOTICE_CASE,
	CST_UNFOLLOWED,
	CST_TOKEN_KNOWN,
	CST_APPT_OF_CASE,
	CST_SURVEY_OF_CASE,
	CST_SURVEY_OF_MOBILE,
	CST_COUNT
};
extern const char *const store_case_sql[CST_COUNT];

/* Shared by store_cases.c's table, store_visits.c and store_surveys.c. */
#define STORE_APPT_ACTIVE "('proposed', 'confirmed', 'rescheduled')"
#define STORE_APPT_COLS                                                                            \
	"a.id, a.case_id, a.type, a.start_at, a.end_at, a.technician, a.address_ref, a.status,"    \
	" a.version, a.created_by"
#define STORE_SURVEY_COLS                                                                          \
	"v.id, v.case_id, v.round, v.state, v.send_at, coalesce(v.sent_at, 0),"                    \
	" coalesce(v.answer_due, 0), c.number, coalesce(c.mobile, ''), coalesce(v.answer, '')"

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *cst[CST_COUNT];
	int utc_offset_min;
	char kind_buf[16], utility_buf[16], reason_buf[1024], hotline_buf[160];
};

/* Maps the connection's last error to ERR_CONFLICT (constraint) or ERR_IO. */
int store_db_err(struct store *s, struct err *e, const char *what);
/* The prepared statement id, reset and with bindings cleared. */
sqlite3_stmt *store_q(struct store *s, enum st id);
sqlite3_stmt *store_cq(struct store *s, enum cst id); /* the same for case statements */
void store_bind_text(sqlite3_stmt *q, int i, const char *v); /* NULL binds NULL */
void store_bind_text_or_null(sqlite3_stmt *q, int i, const char *v); /* "" binds NULL too */
/* A statement prepared for one use (rare queries); NULL with e filled on failure. The
 * caller finalizes it. */
sqlite3_stmt *store_prepare(struct store *s, const char *sql, struct err *e);
/* Every row of q (bound, prepared by store_prepare) as a JSON array of objects keyed by
 * column name, columns named *_at and answer_due as local ISO times; finalizes q. */
int store_rows_json(struct store *s, sqlite3_stmt *q, json_t **out, struct err *e);
/* Steps a statement to its end (ignoring rows) and resets it. */
int store_run(struct store *s, sqlite3_stmt *q, struct err *e, const char *what);
/* Column i as a string, or NULL. */
const char *store_col_text(sqlite3_stmt *q, int i);
/* Copies column i into out (size sz, cut when longer); NULL copies as "". */
void store_col_copy(sqlite3_stmt *q, int i, char *out, size_t sz);
/* Puts ms (column i, NULL -> JSON null) into obj under key, as ISO 8601 local time. */
void store_json_time(struct store *s, json_t *obj, const char *key, sqlite3_stmt *q, int i);

/* store_schema.c: runs sqlite3_exec on text; applies the pending migrations. */
int store_exec(struct store *s, const char *text, struct err *e, const char *what);
int store_migrate(struct store *s, struct err *e);

/* store_notices.c: inserts the notice row (n->id, and n->outage_id for a first notice). */
int store_notice_insert(struct store *s, struct notice *n, struct err *e);

/* store_inbound.c, for store_outbox_record and the history. */
int store_receipt_early(struct store *s, int64_t outbox_id, const char *ref, int64_t now_ms,
			struct err *e);
int store_outbox_decide(struct store *s, const struct outbox_update *u, int64_t now_ms,
			struct err *e);
json_t *store_events_json(struct store *s, const char *account);

#endif
