/* providers/file: the demo "phone". Delivers by appending one JSON line per message to a
 * local file: {"ts_ms","id","notice_id","channel","kind","to","text"}. Called by the worker
 * through provider_file.deliver. The file holds full numbers and texts on purpose (it is
 * the message itself, not a log); nothing of a message may reach a log or a reason.
 * The file is opened for each batch, so a demo can delete it to start afresh and a missing
 * directory only delays delivery (RETRY) instead of stopping the daemon. One write and one
 * fdatasync per batch: a message counts as delivered only once it is on disk. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider.h"

#define FILE_MAX_BATCH 1000

struct file_state {
	char path[sizeof(((struct provider_config *)0)->path)];
};

static int file_create(const struct provider_config *cfg, void **state, struct err *e)
{
	struct file_state *s;

	if (cfg->path[0] == '\0')
		return err_set(e, ERR_INVALID, "path",
			       "[provider.%s] (line %d) has type = file but no path; set path = "
			       "var/phone.jsonl or similar",
			       cfg->name, cfg->line);
	s = malloc(sizeof(*s));
	if (s == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory creating provider %s", cfg->name);
	memcpy(s->path, cfg->path, sizeof(s->path));
	*state = s;
	return 0;
}

static void file_destroy(void *state)
{
	free(state);
}

static void set_result(struct prov_result *r, enum outcome o, const char *reason)
{
	r->outcome = o;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->ref[0] = '\0';
	r->retry_after_ms = 0;
}

/* One JSON line, without the newline; NULL when the message cannot be encoded. The time
 * is the delivery time the worker read from the clock seam. */
static char *file_line(const struct prov_msg *m, int64_t now_ms)
{
	json_t *o;
	char *s;

	o = json_pack("{s:I,s:I,s:I,s:s?,s:s?,s:s?,s:s?}", "ts_ms", (json_int_t)now_ms, "id",
		      (json_int_t)m->id, "notice_id", (json_int_t)m->notice_id, "channel",
		      m->channel, "kind", m->kind, "to", m->to, "text", m->text);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Writes all of buf, retrying short writes, then syncs. Returns 0 or an errno. */
static int file_append(const char *path, const char *buf, size_t len)
{
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return errno;
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = errno;
			goto out;
		}
		buf += w;
		len -= (size_t)w;
	}
	if (fdatasync(fd) < 0)
		rc = errno;
out:
	if (close(fd) < 0 && rc == 0)
		rc = errno;
	return rc;
}

/* Renders every encodable message into one buffer of lines; marks the others PERMANENT.
 * Returns the buffer (caller frees) or NULL when nothing is to be written or memory ran
 * out (*oom set). */
static char *file_render(const struct prov_msg *msgs, size_t n, struct prov_result *res,
			 size_t *len, int *oom)
{
	char *buf = NULL;
	size_t used = 0, cap = 0;

	*oom = 0;
	for (size_t i = 0; i < n; i++) {
		char *line = file_line(&msgs[i], msgs[i].now_ms);
		size_t l;

		if (line == NULL) {
			set_result(&res[i], OUTCOME_PERMANENT,
				   "message is not valid UTF-8 and cannot be written");
			continue;
		}
		l = strlen(line);
		if (used + l + 1 > cap) {
			size_t ncap = (used + l + 1) * 2;
			char *p = realloc(buf, ncap);

			if (p == NULL) {
				free(line);
				free(buf);
				*oom = 1;
				return NULL;
			}
			buf = p;
			cap = ncap;
		}
		memcpy(buf + used, line, l);
		buf[used + l] = '\n';
		used += l + 1;
		free(line);
		set_result(&res[i], OUTCOME_OK, "");
	}
	*len = used;
	return buf;
}

static int file_deliver(void *state, const struct prov_msg *msgs, size_t n, struct prov_result *res)
{
	struct file_state *s = state;
	char reason[sizeof(res->reason)];
	char ebuf[96];
	size_t len = 0;
	int oom, rc;
	char *buf;

	buf = file_render(msgs, n, res, &len, &oom);
	if (oom) {
		snprintf(reason, sizeof(reason), "out of memory rendering the batch");
		rc = ENOMEM;
	} else if (buf == NULL) {
		return 0;
	} else {
		rc = file_append(s->path, buf, len);
		if (rc != 0)
			snprintf(reason, sizeof(reason), "cannot append to the messages file: %s",
				 strerror_r(rc, ebuf, sizeof(ebuf)));
	}
	free(buf);
	if (rc == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (oom || res[i].outcome == OUTCOME_OK)
			set_result(&res[i], OUTCOME_RETRY, reason);
	}
	return 0;
}

const struct provider_ops provider_file = {
	.type = "file",
	.max_batch = FILE_MAX_BATCH,
	.create = file_create,
	.destroy = file_destroy,
	.deliver = file_deliver,
	.build = NULL,
	.classify = NULL,
};
