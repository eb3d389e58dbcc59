/* store_schema: the database schema as an ordered list of migrations, and applying them.
 * Owns: migrations[] (append only: never edit an applied one; the database's PRAGMA
 * user_version says how many are applied) and store_migrate, which store_open calls once.
 * Each migration runs in one transaction with foreign keys off, as SQLite's documented
 * table-rebuild procedure needs, and the foreign keys are checked before it commits. */
#include <stdio.h>

#include <sqlite3.h>

#include "store_internal.h"

static const char *const migrations[] = {
	/* 1: keys, areas, residents, notices, outbox */
	"CREATE TABLE api_keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER);"
	"CREATE TABLE areas(code TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" parent TEXT REFERENCES areas(code), level TEXT NOT NULL"
	" CHECK(level IN ('district','street','community','building')));"
	"CREATE INDEX areas_parent ON areas(parent);"
	"CREATE TABLE residents(id INTEGER PRIMARY KEY, account TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL, mobile TEXT, openid TEXT,"
	" opt_out_sms INTEGER NOT NULL DEFAULT 0, opt_out_wechat INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, deleted_at INTEGER);"
	"CREATE TABLE resident_areas(area_code TEXT NOT NULL REFERENCES areas(code),"
	" resident_id INTEGER NOT NULL REFERENCES residents(id),"
	" PRIMARY KEY(area_code, resident_id)) WITHOUT ROWID;"
	"CREATE INDEX resident_areas_res ON resident_areas(resident_id);"
	"CREATE TABLE notices(id INTEGER PRIMARY KEY, outage_id INTEGER NOT NULL,"
	" references_id INTEGER REFERENCES notices(id), kind TEXT NOT NULL,"
	" utility TEXT NOT NULL, start_at INTEGER, end_at INTEGER, reason TEXT, hotline TEXT,"
	" channels INTEGER NOT NULL, urgent INTEGER NOT NULL, forced TEXT, text_sms TEXT,"
	" text_wechat TEXT, sms_parts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX notices_outage ON notices(outage_id);"
	"CREATE TABLE notice_areas(notice_id INTEGER NOT NULL REFERENCES notices(id),"
	" area_code TEXT NOT NULL REFERENCES areas(code),"
	" PRIMARY KEY(notice_id, area_code)) WITHOUT ROWID;"
	"CREATE TABLE outbox(id INTEGER PRIMARY KEY,"
	" notice_id INTEGER NOT NULL REFERENCES notices(id),"
	" resident_id INTEGER NOT NULL REFERENCES residents(id), channel TEXT NOT NULL,"
	" address TEXT, state INTEGER NOT NULL, urgent INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL, provider TEXT, ref TEXT, reason TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, sent_at INTEGER,"
	" UNIQUE(notice_id, resident_id, channel));"
	"CREATE INDEX outbox_due ON outbox(channel, not_before) WHERE state = 0;"
	"CREATE INDEX outbox_expiry ON outbox(expires_at) WHERE state = 0;"
	"CREATE INDEX outbox_sending ON outbox(state) WHERE state = 1;"
	"CREATE INDEX outbox_resident ON outbox(resident_id);",
	/* 2: template variables, receipts, replies, the message history's decisions */
	"ALTER TABLE notices ADD COLUMN vars TEXT;"
	"CREATE INDEX outbox_ref ON outbox(ref, address) WHERE ref IS NOT NULL;"
	"CREATE TABLE receipts(id INTEGER PRIMARY KEY, provider TEXT NOT NULL,"
	" ref TEXT NOT NULL, phone TEXT NOT NULL, delivered INTEGER NOT NULL, code TEXT,"
	" description TEXT, at INTEGER, received_at INTEGER NOT NULL,"
	" UNIQUE(provider, ref, phone));"
	"CREATE TABLE inbound(id INTEGER PRIMARY KEY, provider TEXT NOT NULL, phone TEXT NOT NULL,"
	" resident_id INTEGER REFERENCES residents(id), text TEXT NOT NULL, at INTEGER,"
	" received_at INTEGER NOT NULL, action TEXT NOT NULL,"
	" UNIQUE(provider, phone, at, text));"
	"CREATE INDEX inbound_resident ON inbound(resident_id);"
	"CREATE INDEX residents_mobile ON residents(mobile);"
	"CREATE TABLE events(id INTEGER PRIMARY KEY,"
	" outbox_id INTEGER NOT NULL REFERENCES outbox(id), at INTEGER NOT NULL,"
	" what TEXT NOT NULL);"
	"CREATE INDEX events_outbox ON events(outbox_id);",
	/* 3: one-time tokens in WeChat QR codes that bind a resident to an openid */
	"CREATE TABLE wx_bindings(token TEXT PRIMARY KEY,"
	" resident_id INTEGER NOT NULL REFERENCES residents(id), created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL, used_at INTEGER, openid TEXT);",
	/* 4: sends whose outcome is unknown (a timeout at a non-idempotent SMS API) wait for
	 * a receipt naming our out id before they are sent again */
	"ALTER TABLE outbox ADD COLUMN unknown_out TEXT;"
	"CREATE INDEX outbox_unknown ON outbox(unknown_out, address)"
	" WHERE unknown_out IS NOT NULL;"
	"ALTER TABLE receipts ADD COLUMN out_id TEXT;"
	"CREATE INDEX outbox_sms_sent ON outbox(address, sent_at) WHERE sent_at IS NOT NULL;",
	/* 5: staff alerts for the departments' WeCom robots. sent_at is when an alert left the
	 * queue: sent (reason NULL) or given up (reason says why); NULL while it waits, with
	 * the last failed try's reason, if any */
	"CREATE TABLE staff_alerts(id INTEGER PRIMARY KEY, department TEXT NOT NULL,"
	" text TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER,"
	" attempts INTEGER NOT NULL DEFAULT 0, reason TEXT);"
	"CREATE INDEX staff_alerts_pending ON staff_alerts(department, sent_at);",
	/* 6: cases (issue 4). A case's messages to its complainant are notices with case_id
	 * set, so they travel the same outbox; the outbox is rebuilt because such a message
	 * has no resident when the caller is not one (resident_id becomes nullable). */
	"CREATE TABLE cases(id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE,"
	" token TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, source TEXT NOT NULL,"
	" kind TEXT NOT NULL, category TEXT, class TEXT NOT NULL,"
	" major INTEGER NOT NULL DEFAULT 0, reply INTEGER NOT NULL DEFAULT 1, name TEXT,"
	" mobile TEXT, address TEXT, account TEXT, content TEXT NOT NULL, request TEXT,"
	" area TEXT REFERENCES areas(code), owner TEXT NOT NULL, department TEXT,"
	" routed TEXT, state TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1,"
	" merged_into INTEGER REFERENCES cases(id), reopen_count INTEGER NOT NULL DEFAULT 0,"
	" satisfaction TEXT, created_at INTEGER NOT NULL, accepted_at INTEGER,"
	" resolved_at INTEGER, closed_at INTEGER, updated_at INTEGER NOT NULL);"
	"CREATE INDEX cases_mobile ON cases(mobile);"
	"CREATE INDEX cases_account ON cases(account);"
	"CREATE INDEX cases_area ON cases(area);"
	"CREATE INDEX cases_state ON cases(state);"
	"CREATE INDEX cases_created ON cases(created_at);"
	"CREATE TABLE case_events(id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id), at INTEGER NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, from_state TEXT, to_state TEXT,"
	" note TEXT, public INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX case_events_case ON case_events(case_id);"
	"CREATE TABLE case_clocks(case_id INTEGER NOT NULL REFERENCES cases(id),"
	" clock INTEGER NOT NULL, start_at INTEGER NOT NULL, due_at INTEGER NOT NULL,"
	" warn_at INTEGER NOT NULL, provisional INTEGER NOT NULL DEFAULT 0, met_at INTEGER,"
	" warned_at INTEGER, breached_at INTEGER, PRIMARY KEY(case_id, clock)) WITHOUT ROWID;"
	"CREATE INDEX case_clocks_warn ON case_clocks(warn_at)"
	" WHERE met_at IS NULL AND warned_at IS NULL;"
	"CREATE INDEX case_clocks_due ON case_clocks(due_at)"
	" WHERE met_at IS NULL AND breached_at IS NULL;"
	"CREATE TABLE case_serials(month TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE case_clusters(id INTEGER PRIMARY KEY, key TEXT NOT NULL,"
	" first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, count INTEGER NOT NULL,"
	" reported_at INTEGER, numbers TEXT NOT NULL);"
	"CREATE INDEX case_clusters_key ON case_clusters(key, last_at);"
	"ALTER TABLE notices ADD COLUMN case_id INTEGER REFERENCES cases(id);"
	"CREATE INDEX notices_case ON notices(case_id) WHERE case_id IS NOT NULL;"
	"CREATE TABLE outbox_new(id INTEGER PRIMARY KEY,"
	" notice_id INTEGER NOT NULL REFERENCES notices(id),"
	" resident_id INTEGER REFERENCES residents(id), channel TEXT NOT NULL,"
	" address TEXT, state INTEGER NOT NULL, urgent INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL, provider TEXT, ref TEXT, reason TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, sent_at INTEGER,"
	" unknown_out TEXT, UNIQUE(notice_id, resident_id, channel));"
	"INSERT INTO outbox_new(id, notice_id, resident_id, channel, address, state, urgent,"
	" attempts, not_before, expires_at, provider, ref, reason, created_at, updated_at,"
	" sent_at, unknown_out) SELECT id, notice_id, resident_id, channel, address, state,"
	" urgent, attempts, not_before, expires_at, provider, ref, reason, created_at,"
	" updated_at, sent_at, unknown_out FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_new RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(channel, not_before) WHERE state = 0;"
	"CREATE INDEX outbox_expiry ON outbox(expires_at) WHERE state = 0;"
	"CREATE INDEX outbox_sending ON outbox(state) WHERE state = 1;"
	"CREATE INDEX outbox_resident ON outbox(resident_id);"
	"CREATE INDEX outbox_ref ON outbox(ref, address) WHERE ref IS NOT NULL;"
	"CREATE INDEX outbox_unknown ON outbox(unknown_out, address)"
	" WHERE unknown_out IS NOT NULL;"
	"CREATE INDEX outbox_sms_sent ON outbox(address, sent_at) WHERE sent_at IS NOT NULL;",
	/* 7: appointments with their reminders, return-visit surveys, and every reply a
	 * resident sent about a case (parsed or not, for staff to see) */
	"CREATE TABLE appointments(id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id), type TEXT NOT NULL,"
	" start_at INTEGER NOT NULL, end_at INTEGER NOT NULL, technician TEXT,"
	" address_ref TEXT, status TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1,"
	" note TEXT, created_by TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE INDEX appointments_case ON appointments(case_id);"
	"CREATE INDEX appointments_tech ON appointments(technician, start_at);"
	"CREATE TABLE reminders(id INTEGER PRIMARY KEY,"
	" appointment_id INTEGER NOT NULL REFERENCES appointments(id), due_at INTEGER NOT NULL,"
	" quiet INTEGER NOT NULL DEFAULT 0, sent_at INTEGER, cancelled_at INTEGER);"
	"CREATE INDEX reminders_due ON reminders(due_at)"
	" WHERE sent_at IS NULL AND cancelled_at IS NULL;"
	"CREATE INDEX reminders_appt ON reminders(appointment_id);"
	"CREATE TABLE surveys(id INTEGER PRIMARY KEY,"
	" case_id INTEGER NOT NULL REFERENCES cases(id), round INTEGER NOT NULL,"
	" state TEXT NOT NULL, send_at INTEGER NOT NULL, sent_at INTEGER, answer_due INTEGER,"
	" answer TEXT, answered_at INTEGER, answered_by TEXT, via TEXT,"
	" created_at INTEGER NOT NULL, UNIQUE(case_id, round));"
	"CREATE INDEX surveys_send ON surveys(send_at) WHERE state = 'scheduled';"
	"CREATE INDEX surveys_due ON surveys(answer_due) WHERE state = 'sent';"
	"CREATE TABLE case_replies(id INTEGER PRIMARY KEY,"
	" case_id INTEGER REFERENCES cases(id), survey_id INTEGER REFERENCES surveys(id),"
	" appointment_id INTEGER REFERENCES appointments(id), phone TEXT, text TEXT NOT NULL,"
	" outcome TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX case_replies_case ON case_replies(case_id);",
	/* 8: numbers and tracking tokens reserved by a kiosk in advance, so that a ticket
	 * printed while the gateway is unreachable names the case it will become */
	"CREATE TABLE case_reservations(number TEXT PRIMARY KEY, token TEXT NOT NULL,"
	" token_hash TEXT NOT NULL UNIQUE, kiosk TEXT NOT NULL, reserved_at INTEGER NOT NULL,"
	" case_id INTEGER REFERENCES cases(id)) WITHOUT ROWID;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_exec(struct store *s, const char *text, struct err *e, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, text, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, ERR_IO, NULL, "database error while %s: %s", what, msg ? msg : "?");
		sqlite3_free(msg);
		return ERR_IO;
	}
	return 0;
}

/* Whether the foreign keys hold; foreign_key_check returns a row per violation. */
static int keys_hold(struct store *s, struct err *e)
{
	sqlite3_stmt *q = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &q, NULL) != SQLITE_OK)
		return store_db_err(s, e, "checking foreign keys");
	if (sqlite3_step(q) == SQLITE_ROW)
		rc = err_set(e, ERR_IO, NULL,
			     "the migrated database breaks a foreign key in table %s; restore a "
			     "backup and report this",
			     (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return rc;
}

static int apply(struct store *s, int v, struct err *e)
{
	char buf[64];

	if (store_exec(s, "BEGIN IMMEDIATE", e, "starting a migration") < 0)
		return ERR_IO;
	snprintf(buf, sizeof(buf), "PRAGMA user_version = %d", v + 1);
	if (store_exec(s, migrations[v], e, "migrating the schema") < 0 ||
	    store_exec(s, buf, e, "migrating the schema") < 0 || keys_hold(s, e) < 0) {
		store_exec(s, "ROLLBACK", NULL, "rolling back");
		return ERR_IO;
	}
	return store_exec(s, "COMMIT", e, "committing a migration");
}

int store_migrate(struct store *s, struct err *e)
{
	int version = store_schema_version(s);

	if (version > NMIGRATIONS)
		return err_set(e, ERR_INVALID, NULL,
			       "the database schema is version %d, newer than "
			       "this gatewayd (%d): use the newer gatewayd or restore a backup",
			       version, NMIGRATIONS);
	/* foreign_keys cannot change inside a transaction, hence around the loop. */
	if (store_exec(s, "PRAGMA foreign_keys = OFF", e, "migrating") < 0)
		return ERR_IO;
	for (int v = version; v < NMIGRATIONS; v++)
		if (apply(s, v, e) < 0)
			return ERR_IO;
	return store_exec(s, "PRAGMA foreign_keys = ON", e, "migrating");
}
