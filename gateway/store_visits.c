/* store_visits: SQL for appointments, reminders, surveys and case replies; see
 * store_visits.h. These run a few times a second at most (bookings, replies, the watch's
 * tick), so each statement is prepared per call rather than kept in the store's tables.
 * Invariants: a reminder is sent only while its appointment is active and the reminder was
 * neither sent nor cancelled, checked in the statement that marks it; a survey moves
 * between states only from the state its caller saw (a reply arriving twice, or after an
 * agent closed the survey by phone, finds it moved and changes nothing). */
#include "store_visits.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_internal.h"

/* Steps q to its end, finalizes it; *changes (may be NULL) gets the rows changed. */
static int run(struct store *s, sqlite3_stmt *q, int *changes, struct err *e, const char *what)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_db_err(s, e, what);
	if (changes != NULL)
		*changes = sqlite3_changes(s->db);
	return 0;
}

int store_appt_insert(struct store *s, const struct store_appt *a, int64_t now_ms, int64_t *id,
		      struct err *e)
{
	sqlite3_stmt *q = store_prepare(
		s,
		"INSERT INTO appointments(case_id, type, start_at, end_at, technician,"
		" address_ref, status, created_by, created_at, updated_at)"
		" VALUES(?,?,?,?,?,?,?,?,?,?9)",
		e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, a->case_id);
	store_bind_text(q, 2, a->type);
	sqlite3_bind_int64(q, 3, a->start_ms);
	sqlite3_bind_int64(q, 4, a->end_ms);
	store_bind_text_or_null(q, 5, a->technician);
	store_bind_text_or_null(q, 6, a->address_ref);
	store_bind_text(q, 7, a->status);
	store_bind_text(q, 8, a->created_by);
	sqlite3_bind_int64(q, 9, now_ms);
	if ((rc = run(s, q, NULL, e, "storing an appointment")) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static void appt_from_row(sqlite3_stmt *q, struct store_appt *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(q, 0);
	a->case_id = sqlite3_column_int64(q, 1);
	store_col_copy(q, 2, a->type, sizeof(a->type));
	a->start_ms = sqlite3_column_int64(q, 3);
	a->end_ms = sqlite3_column_int64(q, 4);
	store_col_copy(q, 5, a->technician, sizeof(a->technician));
	store_col_copy(q, 6, a->address_ref, sizeof(a->address_ref));
	store_col_copy(q, 7, a->status, sizeof(a->status));
	a->version = sqlite3_column_int(q, 8);
	store_col_copy(q, 9, a->created_by, sizeof(a->created_by));
}

int store_appt_load(struct store *s, int64_t case_id, int64_t id, struct store_appt *out,
		    struct err *e)
{
	sqlite3_stmt *q = store_prepare(s,
					"SELECT " STORE_APPT_COLS
					" FROM appointments a WHERE a.id = ?1 AND a.case_id = ?2",
					e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, case_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		appt_from_row(q, out);
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE
		? err_set(e, ERR_NOTFOUND, "id", "the case has no appointment %lld", (long long)id)
		: store_db_err(s, e, "reading an appointment");
}

int store_appt_change(struct store *s, int64_t id, int expect_version, const char *status,
		      int64_t start_ms, int64_t end_ms, const char *note, int64_t now_ms,
		      struct err *e)
{
	sqlite3_stmt *q = store_prepare(
		s,
		"UPDATE appointments SET status = ?3, start_at = coalesce(?4, start_at),"
		" end_at = coalesce(?5, end_at), note = coalesce(?6, note),"
		" version = version + 1, updated_at = ?7 WHERE id = ?1 AND version = ?2",
		e);
	int changes = 0, rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, expect_version);
	store_bind_text(q, 3, status);
	if (start_ms != 0) {
		sqlite3_bind_int64(q, 4, start_ms);
		sqlite3_bind_int64(q, 5, end_ms);
	}
	store_bind_text_or_null(q, 6, note);
	sqlite3_bind_int64(q, 7, now_ms);
	if ((rc = run(s, q, &changes, e, "changing an appointment")) < 0)
		return rc;
	return changes ? 0
		       : err_set(e, ERR_CONFLICT, "version",
				 "the appointment was changed by someone else meanwhile (it is no "
				 "longer version %d); reload the case and decide again",
				 expect_version);
}

int store_appt_overlaps(struct store *s, const char *technician, int64_t start_ms, int64_t end_ms,
			int64_t except_id, struct err *e)
{
	sqlite3_stmt *q = store_prepare(
		s,
		"SELECT count(*) FROM appointments WHERE technician = ?1 AND id <> ?4"
		" AND status IN " STORE_APPT_ACTIVE " AND start_at < ?3 AND end_at > ?2",
		e);
	int n = 0;

	if (q == NULL)
		return ERR_IO;
	store_bind_text(q, 1, technician);
	sqlite3_bind_int64(q, 2, start_ms);
	sqlite3_bind_int64(q, 3, end_ms);
	sqlite3_bind_int64(q, 4, except_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return n;
}

int store_appt_list(struct store *s, int64_t case_id, json_t **out, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "SELECT id, type, start_at, end_at, technician, address_ref, status,"
			      " version, note, created_by, created_at, updated_at FROM appointments"
			      " WHERE case_id = ?1 ORDER BY id DESC",
			      e);

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, case_id);
	return store_rows_json(s, q, out, e);
}

int store_appt_by_mobile(struct store *s, const char *mobile, struct store_appt *out,
			 char number[40], struct err *e)
{
	sqlite3_stmt *q = store_prepare(
		s,
		"SELECT " STORE_APPT_COLS ", c.number FROM appointments a JOIN cases c"
		" ON c.id = a.case_id WHERE c.mobile = ?1 AND a.status IN " STORE_APPT_ACTIVE
		" ORDER BY c.id DESC, a.id DESC LIMIT 1",
		e);
	int rc;

	if (q == NULL)
		return ERR_IO;
	memset(out, 0, sizeof(*out));
	store_bind_text(q, 1, mobile);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		appt_from_row(q, out);
		store_col_copy(q, 10, number, 40);
	}
	sqlite3_finalize(q);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE)
		? 0
		: store_db_err(s, e, "finding an appointment");
}

/* Every tracking page asks this: a kept statement (store_cases.c's table). */
int store_appt_of_case(struct store *s, int64_t case_id, struct store_appt *out, struct err *e)
{
	sqlite3_stmt *q = store_cq(s, CST_APPT_OF_CASE);
	int rc;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(q, 1, case_id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		appt_from_row(q, out);
	sqlite3_reset(q);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE)
		? 0
		: store_db_err(s, e, "finding an appointment");
}

int store_reminder_add(struct store *s, int64_t appt_id, int64_t due_ms, bool quiet, struct err *e)
{
	sqlite3_stmt *q = store_prepare(
		s, "INSERT INTO reminders(appointment_id, due_at, quiet) VALUES(?,?,?)", e);

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, appt_id);
	sqlite3_bind_int64(q, 2, due_ms);
	sqlite3_bind_int(q, 3, quiet);
	return run(s, q, NULL, e, "storing a reminder");
}

int store_reminders_cancel(struct store *s, int64_t appt_id, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "UPDATE reminders SET cancelled_at = ?2 WHERE appointment_id = ?1"
			      " AND sent_at IS NULL AND cancelled_at IS NULL",
			      e);

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, appt_id);
	sqlite3_bind_int64(q, 2, now_ms);
	return run(s, q, NULL, e, "cancelling reminders");
}

int store_reminders_due(struct store *s, int64_t now_ms, struct store_reminder_due *out, int max,
			struct err *e)
{
	sqlite3_stmt *q = store_prepare(
		s,
		"SELECT r.id, a.id, a.case_id, a.start_at, a.end_at, c.number, r.quiet"
		" FROM reminders r JOIN appointments a ON a.id = r.appointment_id"
		" JOIN cases c ON c.id = a.case_id WHERE r.sent_at IS NULL"
		" AND r.cancelled_at IS NULL AND r.due_at <= ?1 AND a.status IN " STORE_APPT_ACTIVE
		" ORDER BY r.due_at LIMIT ?2",
		e);
	int n = 0, rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, now_ms);
	sqlite3_bind_int(q, 2, max);
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_reminder_due *d = &out[n++];
		d->id = sqlite3_column_int64(q, 0);
		d->appt_id = sqlite3_column_int64(q, 1);
		d->case_id = sqlite3_column_int64(q, 2);
		d->start_ms = sqlite3_column_int64(q, 3);
		d->end_ms = sqlite3_column_int64(q, 4);
		store_col_copy(q, 5, d->number, sizeof(d->number));
		d->quiet = sqlite3_column_int(q, 6) != 0;
	}
	sqlite3_finalize(q);
	return n;
}

int store_reminder_sent(struct store *s, int64_t id, int64_t now_ms, struct err *e)
{
	sqlite3_stmt *q =
		store_prepare(s,
			      "UPDATE reminders SET sent_at = ?2 WHERE id = ?1 AND sent_at IS NULL"
			      " AND cancelled_at IS NULL",
			      e);
	int changes = 0, rc;

	if (q == NULL)
		return ERR_IO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now_ms);
	if ((rc = run(s, q, &changes, e, "marking a reminder sent")) < 0)
		return rc;
	return changes ? 0 : 1;
}
