/* store: the one module that speaks SQL.
 * Owns: the SQLite database (WAL, foreign keys, busy timeout), the versioned schema
 * (PRAGMA user_version, migrations applied in order inside a transaction), and every query,
 * each a prepared statement kept for the handle's life. A struct store is one connection:
 * use it from one thread at a time (the HTTP server keeps a pool, each worker has its own).
 * Read endpoints get their answers as jansson objects to avoid a second copy of each row.
 * Never logs personal data; error messages name tables and ids, not phones or names. */
#ifndef GATEWAY_STORE_H
#define GATEWAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct store;

/* Message states, as stored. The numbers are in the schema: never renumber. */
enum msg_state {
	MSG_QUEUED = 0,
	MSG_SENDING = 1,
	MSG_SENT = 2,
	MSG_DELIVERED = 3,
	MSG_FAILED = 4,
	MSG_SKIPPED = 5,
	MSG_SUPERSEDED = 6,
	MSG_EXPIRED = 7,
	MSG_STATE_COUNT
};
const char *store_state_name(int state);

int store_open(const char *path, struct store **out, struct err *e);
void store_close(struct store *s);
/* The offset used for times in the JSON answers (default +480, Asia/Shanghai). */
void store_set_utc_offset(struct store *s, int utc_offset_min);
int store_schema_version(struct store *s);

/* ---- API keys ---- */
int store_apikey_add(struct store *s, const char *name, const char *role, const char *hash_hex,
		     int64_t now_ms, struct err *e);
/* role: 16 bytes. ERR_UNAUTH for an unknown (or revoked) key. */
int store_apikey_role(struct store *s, const char *hash_hex, char role[16], struct err *e);
/* The same, plus the key's name (64 bytes): who acts with it. */
int store_apikey_who(struct store *s, const char *hash_hex, char role[16], char name[64],
		     struct err *e);

/* ---- areas ---- */
struct area {
	const char *code, *name, *parent, *level; /* parent NULL or "" for a root */
};
/* Inserts or updates; *created (may be NULL) set to 1 when new. Unknown parent, bad level,
 * or a parent that would make a cycle are ERR_INVALID. */
int store_area_upsert(struct store *s, const struct area *a, int *created, struct err *e);
bool store_area_exists(struct store *s, const char *code);
/* True when code is ancestor itself or lies anywhere below it. */
bool store_area_within(struct store *s, const char *code, const char *ancestor);
int store_area_list(struct store *s, json_t **out, struct err *e);
/* The area's name for a message text; a building gets its parent's name in front
 * ("幸福小区3号楼") unless prev_parent is that same parent (for "3号楼、4号楼").
 * parent (64 bytes, may be NULL) receives the area's parent code. */
int store_area_label(struct store *s, const char *code, const char *prev_parent, char *out,
		     size_t outsz, char parent[64], struct err *e);

/* ---- residents ---- */
struct resident {
	const char *account, *name, *mobile, *openid; /* mobile normalised; openid may be NULL */
	int opt_out_sms, opt_out_wechat;
	const char *const *areas; /* codes, must exist */
	int nareas;
};
enum { STORE_CREATED = 1, STORE_UPDATED = 2, STORE_UNCHANGED = 3 };
/* Insert or update by account (a deleted resident is revived). *result: STORE_*. */
int store_resident_upsert(struct store *s, const struct resident *r, int64_t now_ms, int *result,
			  struct err *e);
/* ERR_CONFLICT when the account exists (and is not deleted). */
int store_resident_insert(struct store *s, const struct resident *r, int64_t now_ms, struct err *e);
int store_resident_get(struct store *s, const char *account, json_t **out, struct err *e);
int store_resident_delete(struct store *s, const char *account, int64_t now_ms, struct err *e);
int store_resident_list(struct store *s, const char *area, int limit, int offset, json_t **out,
			struct err *e);
int store_resident_history(struct store *s, const char *account, json_t **out, struct err *e);

/* Transactions, for imports that write many rows. */
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);

/* ---- notices ---- */
#define STORE_CH_SMS 1
#define STORE_CH_WECHAT 2
#define STORE_CH_SMS_ELSE 4 /* with both: SMS only for residents WeChat cannot reach */

struct notice {
	int64_t id, outage_id, references_id; /* references_id 0 for a first notice */
	const char *kind, *utility, *reason, *hotline, *forced; /* forced NULL unless forced */
	int64_t start_ms, end_ms, created_ms, expires_ms;
	int channels; /* STORE_CH_* bits */
	int urgent; /* emergency outage: ignores quiet hours and opt-outs */
	const char *text_sms, *text_wechat; /* rendered; NULL when the channel is not used */
	const char *vars_json; /* the template variables as a JSON object, for providers that
				  send approved templates with parameters */
	int sms_parts;
};

struct notice_counts {
	int64_t residents;
	int64_t recipients_sms, recipients_wechat;
	int64_t skipped_opted_out, skipped_no_channel;
};

/* Counts what a notice would do without storing it: to areas (first notice) or to the
 * recipients of the outage (references_id != 0). */
int store_notice_preview(struct store *s, const struct notice *n, const char *const *areas,
			 int nareas, struct notice_counts *out, struct err *e);
/* In one transaction: stores the notice, its areas and texts, one outbox row per
 * (resident, channel) — or a skipped row with the reason — and marks the still-queued
 * messages of earlier notices of the same outage superseded. Sets n->id and n->outage_id. */
int store_notice_create(struct store *s, struct notice *n, const char *const *areas, int nareas,
			struct notice_counts *out, struct err *e);
/* The original notice of an outage, for update/restored/cancelled: fills the fields
 * kind/utility/start/end/urgent/outage_id/reason/hotline (strings valid until the next call
 * on s). Plus areas as a JSON array of codes (caller decrefs). */
int store_notice_load(struct store *s, int64_t id, struct notice *out, json_t **areas,
		      struct err *e);
int store_notice_get(struct store *s, int64_t id, json_t **out, struct err *e);
int store_notice_list(struct store *s, int limit, json_t **out, struct err *e);

/* ---- outbox ---- */
struct outbox_msg {
	int64_t id, notice_id, expires_ms;
	int attempts; /* including this one */
	int urgent;
	char kind[16];
	char channel[8];
	char address[136];
};

/* Claims up to max due queued messages of channel (not_before <= now; non-urgent ones only
 * when with_non_urgent) by moving them to sending. Returns the number claimed (>= 0). */
int store_outbox_claim(struct store *s, const char *channel, int64_t now_ms, bool with_non_urgent,
		       struct outbox_msg *out, int max, struct err *e);

struct outbox_update {
	int64_t id;
	int state; /* MSG_SENT, MSG_FAILED, MSG_QUEUED (retry), MSG_EXPIRED */
	int64_t not_before; /* for MSG_QUEUED */
	int undo_attempt; /* MSG_QUEUED without counting the try (throttled, quiet hours) */
	const char *reason; /* may be NULL */
	const char *provider;
	const char *ref; /* provider's message id, may be NULL */
	const char *event; /* a decision for the message's history ("provider aliyun: ..."), or
			      NULL when the row itself says all (a first-try send) */
	const char *unknown_out; /* on MSG_QUEUED after an unknown outcome: "provider:out id"
				    a receipt would name; it is then not sent again */
	const char *fallback; /* on MSG_FAILED: queue the message on this channel instead
				 ("sms") when the resident can be reached there; or NULL */
};
/* Applies all updates in one transaction. */
int store_outbox_record(struct store *s, const struct outbox_update *u, int n, int64_t now_ms,
			struct err *e);
/* Queued messages whose outage is over become expired. Returns how many (>= 0). */
int store_outbox_expire(struct store *s, int64_t now_ms, struct err *e);
/* After a crash or at start: every sending message back to queued. Returns how many. */
int store_outbox_recover(struct store *s, struct err *e);
/* The rendered text of a notice for a channel (*out malloc'd) and the notice's kind. */
int store_notice_text(struct store *s, int64_t notice_id, const char *channel, char **out,
		      char kind[16], struct err *e);
/* ---- receipts, replies, decisions ---- */
struct store_receipt {
	const char *provider, *ref, *phone;
	const char *out_id; /* our id echoed by the provider (Alibaba OutId), or NULL */
	int delivered;
	const char *code, *desc;
	int64_t at_ms;
};
/* Stores a receipt (a repeat is ignored: *applied 0) and applies it to the sent message it
 * belongs to (by ref and phone). A receipt for a send not recorded yet is kept and applied
 * when the send is recorded. A receipt for a send whose outcome was unknown settles it
 * (*reconciled 1: a duplicate was avoided). *applied: 1 when a message changed state. */
int store_receipt_add(struct store *s, const struct store_receipt *r, int64_t now_ms, int *applied,
		      int *reconciled, struct err *e);
/* Stores an inbound SMS with its action ("opt_out" also opts every resident with that
 * mobile out of non-emergency SMS; "stored" keeps it for the flow that asked). *dup: 1
 * when the same reply was stored before (pushes repeat). */
int store_inbound_add(struct store *s, const char *provider, const char *phone, const char *text,
		      int64_t at_ms, const char *action, int64_t now_ms, int *dup, struct err *e);
/* The resident with this openid unfollowed: the openid is dropped everywhere. */
int store_openid_drop(struct store *s, const char *openid, int64_t now_ms, struct err *e);

/* The notice's template variables as a JSON object text (*out malloc'd; "{}" for
 * notices stored before variables were kept). */
int store_notice_vars(struct store *s, int64_t notice_id, char **out, struct err *e);

/* ---- WeChat binding ---- */
/* Stores a one-time binding token for the resident. ERR_NOTFOUND: no such resident. */
int store_binding_add(struct store *s, const char *token, const char *account, int64_t expires_ms,
		      int64_t now_ms, struct err *e);
/* Uses a binding token: the resident gets the openid (and WeChat messages again).
 * ERR_NOTFOUND when the token is unknown, used or expired. account: 64 bytes. */
int store_binding_use(struct store *s, const char *token, const char *openid, int64_t now_ms,
		      char account[64], struct err *e);

/* What an SMS number has been sent lately, for the per-number caps. */
struct number_usage {
	int64_t identical_at; /* when this same text last went to it within 30 s, else 0 */
	int last_hour, last_day;
};
int store_number_usage(struct store *s, const char *phone, const char *text, int64_t now_ms,
		       struct number_usage *out, struct err *e);

/* A message to ask its provider about (receipt polling, unknown-outcome reconciliation). */
struct status_candidate {
	int64_t id;
	char phone[16];
	char ref[96]; /* "" for an unknown-outcome send */
	char out_id[64]; /* our out id of an unknown-outcome send, else "" */
	int64_t sent_ms;
};
/* Up to max candidates of provider for a polling round of round_ms. */
int store_status_candidates(struct store *s, const char *provider, int64_t now_ms, int64_t round_ms,
			    struct status_candidate *out, int max, struct err *e);

/* An unknown-outcome send turned out to have gone (the provider has it, no receipt yet):
 * sent, not to be sent again. *settled: 1 when the message changed. */
int store_unknown_sent(struct store *s, int64_t id, const char *ref, int64_t now_ms, int *settled,
		       struct err *e);

/* Number of queued + sending messages, or -1 when the store fails. */
int64_t store_queue_depth(struct store *s);

/* ---- staff alerts ---- */
/* An alert waits until its department's robot sends it (sent) or refuses it for good
 * (failed); a failed try leaves it waiting with the reason. */
#define STORE_STAFF_TEXT_MAX 4096 /* bytes of an alert's text a row can hold, with the NUL */
struct store_staff_alert {
	int64_t id;
	int attempts; /* tries so far */
	char text[STORE_STAFF_TEXT_MAX];
};
/* Queues an alert; *id (may be NULL) gets its id. */
int store_staff_add(struct store *s, const char *department, const char *text, int64_t now_ms,
		    int64_t *id, struct err *e);
/* Up to max waiting alerts of department, oldest first, into out. Returns how many (>= 0);
 * a longer text is cut on a character boundary. */
int store_staff_pending(struct store *s, const char *department, struct store_staff_alert *out,
			int max, struct err *e);
/* Alerts ids[0..n) went out at now_ms (one transaction). Alerts no longer waiting stay. */
int store_staff_sent(struct store *s, const int64_t *ids, int n, int64_t now_ms, struct err *e);
/* A try to send ids[0..n) failed for reason (one transaction): the try is counted and the
 * reason kept; give_up (a permanent refusal) makes them failed, otherwise they wait on. */
int store_staff_tried(struct store *s, const int64_t *ids, int n, const char *reason, bool give_up,
		      int64_t now_ms, struct err *e);
/* {"pending":N,"alerts":[{"id","department","text","state":"pending|sent|failed",
 * "created_at","sent_at","failed_at","attempts","reason"}]}: how many of department's alerts
 * (NULL: every department's) wait, and the newest limit of them in any state. */
int store_staff_list(struct store *s, const char *department, int limit, json_t **out,
		     struct err *e);

#endif
