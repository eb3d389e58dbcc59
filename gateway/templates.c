/* templates: the const table of message kinds and their variables, loading and rendering.
 * Called by gatewayd at start-up (templates_load) and by the notice path for every notice
 * (templates_render). Each template is parsed once at load into segments, a literal slice or
 * a variable index, so rendering is a plain concatenation with no parsing and no I/O.
 * Never touches the file system after templates_load; never logs (callers report problems).
 * A new kind is one more row in kind_table; a new channel one more entry in channel_names. */
#include "templates.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "utf8.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Templates are short notices; anything bigger is a mistake, not a message. */
#define TMPL_MAX_FILE (16 * 1024)
/* Rendered texts go to SMS and WeChat, both far below this; the cap stops runaway values. */
#define TMPL_MAX_OUT (64 * 1024)

struct tmpl_kind {
	const char *name;
	const char *const *vars; /* NULL-terminated */
};

static const char *const notice_vars[] = {
	"utility", "outage", "area", "start", "end", "reason", "hotline", "company", NULL,
};

/* A case's messages to its complainant: number, kind label, tracking link, promised time. */
static const char *const case_vars[] = {
	"number",  "kind",    "link",        "promised", "department",
	"company", "hotline", "explanation", "window",   NULL,
};

static const struct tmpl_kind kind_table[] = {
	{ "planned", notice_vars },       { "emergency", notice_vars },
	{ "update", notice_vars },        { "restored", notice_vars },
	{ "cancelled", notice_vars },     { "case_accepted", case_vars },
	{ "case_dispatched", case_vars }, { "case_resolved", case_vars },
	{ "case_explained", case_vars },  { "appt_confirmed", case_vars },
	{ "appt_reminder", case_vars },   { "appt_moved", case_vars },
	{ "appt_cancelled", case_vars },  { "appt_missed", case_vars },
	{ "survey", case_vars },
};

/* Index 0 must stay "sms": that channel carries the signature. */
static const char *const channel_names[] = { "sms", "wechat" };
enum { TMPL_CHANNEL_SMS = 0 };

#define TMPL_N_KINDS ARRAY_LEN(kind_table)
#define TMPL_N_CHANNELS ARRAY_LEN(channel_names)

/* A literal segment points into its template's buf (or the signature); var is then -1. */
struct tmpl_seg {
	const char *lit;
	size_t len;
	int var; /* index into the kind's vars, or -1 for a literal */
};

struct tmpl {
	char *buf; /* the file's text, NUL-terminated, trailing newline dropped */
	struct tmpl_seg *segs;
	size_t nsegs;
	size_t cap; /* segs allocated; parse() sizes it from the count of "{{" */
};

struct templates {
	char *signature;
	struct tmpl items[TMPL_N_KINDS][TMPL_N_CHANNELS];
};

/* Collects problems while loading: the first also goes to e, all (up to the cap) to probs. */
struct loader {
	struct tmpl_problems *probs;
	struct err *e;
	int total;
};

static void problem(struct loader *ld, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct loader *ld, const char *field, const char *fmt, ...)
{
	char msg[sizeof(ld->probs->msg[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->total++ == 0)
		err_set(ld->e, ERR_INVALID, field, "%s", msg);
	if (ld->probs != NULL && ld->probs->n < TEMPLATES_MAX_PROBLEMS)
		memcpy(ld->probs->msg[ld->probs->n++], msg, sizeof(msg));
}

static int find_kind(const char *name)
{
	for (size_t i = 0; i < TMPL_N_KINDS; i++)
		if (strcmp(kind_table[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int find_channel(const char *name)
{
	for (size_t i = 0; i < TMPL_N_CHANNELS; i++)
		if (strcmp(channel_names[i], name) == 0)
			return (int)i;
	return -1;
}

static int find_var(const struct tmpl_kind *k, const char *name, size_t len)
{
	for (int i = 0; k->vars[i] != NULL; i++)
		if (strlen(k->vars[i]) == len && memcmp(k->vars[i], name, len) == 0)
			return i;
	return -1;
}

static int line_of(const char *buf, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/* "a, b, c" for messages that list what a kind allows. */
static void join_vars(const struct tmpl_kind *k, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; k->vars[i] != NULL && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", k->vars[i]);
}

/* Reads the whole file; a missing file is reported as required. *out is NUL-terminated. */
static int read_file(struct loader *ld, const char *path, const char *field, char **out,
		     size_t *out_len)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n;
	int rc = ERR_INVALID;

	f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			problem(ld, field, "%s: missing; this template is required", path);
		else
			problem(ld, field, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(TMPL_MAX_FILE + 1);
	if (buf == NULL) {
		rc = err_set(ld->e, ERR_NOMEM, field, "out of memory reading %s", path);
		goto out;
	}
	n = fread(buf, 1, TMPL_MAX_FILE + 1, f);
	if (ferror(f)) {
		problem(ld, field, "%s: read error", path);
		goto out;
	}
	if (n > TMPL_MAX_FILE) {
		problem(ld, field, "%s: larger than %d bytes; a template is one short notice", path,
			TMPL_MAX_FILE);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* Checks encoding and emptiness and drops one trailing newline (LF or CRLF). */
static int check_text(struct loader *ld, const char *path, const char *field, char *buf,
		      size_t *len)
{
	size_t bad;

	if (!utf8_valid(buf, *len, &bad)) {
		problem(ld, field, "%s:%d: invalid UTF-8 at byte %zu; save the file as UTF-8", path,
			line_of(buf, bad), bad);
		return ERR_INVALID;
	}
	if (*len > 0 && buf[*len - 1] == '\n')
		buf[--*len] = '\0';
	if (*len > 0 && buf[*len - 1] == '\r')
		buf[--*len] = '\0';
	if (strspn(buf, " \t\r\n") == *len) {
		problem(ld, field, "%s: empty template; write the notice text", path);
		return ERR_INVALID;
	}
	return 0;
}

static void add_seg(struct tmpl *t, const char *lit, size_t len, int var)
{
	if (var < 0 && len == 0)
		return;
	assert(t->nsegs < t->cap);
	t->segs[t->nsegs].lit = lit;
	t->segs[t->nsegs].len = len;
	t->segs[t->nsegs].var = var;
	t->nsegs++;
}

/* Returns the variable's index, or -1 after reporting the problem; *next is where parsing
 * resumes. A variable must close on its own line, so a stray "{{" is reported where it is
 * rather than swallowing text up to some later "}}". */
static int parse_var(struct loader *ld, const struct tmpl_kind *k, const char *path,
		     const char *field, const char *buf, const char *open, const char **next)
{
	const char *name = open + 2;
	const char *close = strstr(name, "}}");
	const char *nl = strchr(name, '\n');
	int var;

	if (close == NULL || (nl != NULL && nl < close)) {
		problem(ld, field, "%s:%d: \"{{\" without a closing \"}}\" on the same line", path,
			line_of(buf, (size_t)(open - buf)));
		*next = name;
		return -1;
	}
	*next = close + 2;
	var = find_var(k, name, (size_t)(close - name));
	if (var < 0) {
		char known[256];

		join_vars(k, known, sizeof(known));
		problem(ld, field, "%s:%d: unknown variable {{%.*s}}; known: %s", path,
			line_of(buf, (size_t)(open - buf)), (int)(close - name), name, known);
	}
	return var;
}

/* Splits t->buf into segments; the signature, when given, becomes the first literal. */
static int parse(struct loader *ld, const struct tmpl_kind *k, const char *path, const char *field,
		 const char *signature, struct tmpl *t)
{
	const char *p = t->buf, *open;
	size_t nopen = 0;
	int rc = 0;

	for (open = strstr(p, "{{"); open != NULL; open = strstr(open + 2, "{{"))
		nopen++;
	/* Each "{{" ends at most one literal and adds one variable; plus signature and tail. */
	t->segs = calloc(2 * nopen + 2, sizeof(*t->segs));
	if (t->segs == NULL)
		return err_set(ld->e, ERR_NOMEM, field, "out of memory parsing %s", path);
	t->cap = 2 * nopen + 2;
	if (signature != NULL)
		add_seg(t, signature, strlen(signature), -1);
	while ((open = strstr(p, "{{")) != NULL) {
		int var;

		add_seg(t, p, (size_t)(open - p), -1);
		var = parse_var(ld, k, path, field, t->buf, open, &p);
		if (var < 0)
			rc = ERR_INVALID;
		else
			add_seg(t, NULL, 0, var);
	}
	add_seg(t, p, strlen(p), -1);
	return rc;
}

static int load_one(struct loader *ld, const char *dir, size_t ki, size_t ci, const char *signature,
		    struct tmpl *t)
{
	char path[1024], field[64];
	size_t len = 0;
	int rc;

	snprintf(field, sizeof(field), "%s.%s.txt", kind_table[ki].name, channel_names[ci]);
	if (snprintf(path, sizeof(path), "%s/%s", dir, field) >= (int)sizeof(path)) {
		problem(ld, field, "%s: templates directory path too long", dir);
		return ERR_INVALID;
	}
	rc = read_file(ld, path, field, &t->buf, &len);
	if (rc == 0)
		rc = check_text(ld, path, field, t->buf, &len);
	if (rc == 0)
		rc = parse(ld, &kind_table[ki], path, field,
			   ci == TMPL_CHANNEL_SMS ? signature : NULL, t);
	return rc;
}

/* A missing directory would otherwise show up as one "missing" line per template. */
static int check_dir(struct loader *ld, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		problem(ld, "templates",
			"templates directory %s: %s; point the [templates] "
			"setting at the folder holding <kind>.<channel>.txt",
			dir, strerror(errno));
		return ERR_INVALID;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(ld, "templates", "templates directory %s: not a directory", dir);
		return ERR_INVALID;
	}
	return 0;
}

/* Loads every (kind, channel); returns ERR_NOMEM at once, otherwise goes on collecting. */
static int load_all(struct loader *ld, const char *dir, struct templates *t)
{
	int rc = 0, one;

	for (size_t ki = 0; ki < TMPL_N_KINDS; ki++) {
		for (size_t ci = 0; ci < TMPL_N_CHANNELS; ci++) {
			one = load_one(ld, dir, ki, ci, t->signature, &t->items[ki][ci]);
			if (one == ERR_NOMEM)
				return one;
			if (one != 0)
				rc = one;
		}
	}
	return rc;
}

/* Says in e how many problems there were, and in probs that some were left out. */
static void summarize(const struct loader *ld)
{
	if (ld->e != NULL && ld->total > 1) {
		char first[sizeof(ld->e->msg)], field[sizeof(ld->e->field)];

		memcpy(first, ld->e->msg, sizeof(first));
		memcpy(field, ld->e->field, sizeof(field));
		err_set(ld->e, ERR_INVALID, field, "%s (first of %d template problems)", first,
			ld->total);
	}
	if (ld->probs != NULL && ld->total > TEMPLATES_MAX_PROBLEMS)
		snprintf(ld->probs->msg[TEMPLATES_MAX_PROBLEMS - 1], sizeof(ld->probs->msg[0]),
			 "... and %d more template problems",
			 ld->total - TEMPLATES_MAX_PROBLEMS + 1);
}

int templates_load(const char *dir, const char *sms_signature, struct templates **out,
		   struct tmpl_problems *probs, struct err *e)
{
	struct loader ld = { .probs = probs, .e = e, .total = 0 };
	struct templates *t = NULL;
	int rc = 0;

	if (probs != NULL)
		probs->n = 0;
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->signature = strdup(sms_signature ? sms_signature : "")) == NULL) {
		rc = err_set(e, ERR_NOMEM, NULL, "out of memory loading templates");
		goto out;
	}
	if (!utf8_valid(t->signature, strlen(t->signature), NULL))
		problem(&ld, "sms_signature", "SMS signature is not valid UTF-8");
	if (check_dir(&ld, dir) == 0 && load_all(&ld, dir, t) == ERR_NOMEM) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (ld.total > 0) {
		rc = ERR_INVALID;
		summarize(&ld);
	}
out:
	if (rc == 0) {
		*out = t;
		t = NULL;
	}
	templates_free(t);
	return rc;
}

void templates_free(struct templates *t)
{
	if (t == NULL)
		return;
	for (size_t ki = 0; ki < TMPL_N_KINDS; ki++) {
		for (size_t ci = 0; ci < TMPL_N_CHANNELS; ci++) {
			free(t->items[ki][ci].segs);
			free(t->items[ki][ci].buf);
		}
	}
	free(t->signature);
	free(t);
}

/* The value the caller gave for a variable; absent variables render as "". */
static const char *lookup(const char *name, const struct tmpl_var *vars, size_t nvars)
{
	for (size_t i = 0; i < nvars; i++)
		if (vars[i].name != NULL && strcmp(vars[i].name, name) == 0)
			return vars[i].value != NULL ? vars[i].value : "";
	return "";
}

/* The text a segment stands for: its literal, or the caller's value for its variable. */
static const char *seg_text(const struct tmpl_seg *sg, const struct tmpl_kind *k,
			    const struct tmpl_var *vars, size_t nvars, size_t *len)
{
	const char *v;

	if (sg->var < 0) {
		*len = sg->len;
		return sg->lit;
	}
	v = lookup(k->vars[sg->var], vars, nvars);
	*len = strlen(v);
	return v;
}

int templates_render(const struct templates *t, const char *kind, const char *channel,
		     const struct tmpl_var *vars, size_t nvars, char **out, struct err *e)
{
	int ki = find_kind(kind), ci = find_channel(channel);
	const struct tmpl_kind *k;
	const struct tmpl *tp;
	char *buf;
	size_t total = 0, len, at = 0;

	assert(t != NULL && out != NULL);
	if (ki < 0 || ci < 0)
		return err_set(e, ERR_NOTFOUND, ki < 0 ? "kind" : "channel",
			       "no template for kind \"%s\" on channel \"%s\"", kind, channel);
	k = &kind_table[ki];
	tp = &t->items[ki][ci];
	/* Two passes, measure then copy, so the output is one exact allocation. */
	for (size_t i = 0; i < tp->nsegs; i++) {
		seg_text(&tp->segs[i], k, vars, nvars, &len);
		if (len > TMPL_MAX_OUT - total)
			return err_set(e, ERR_TOOBIG, kind,
				       "rendered %s.%s text would exceed %d "
				       "bytes; shorten the variable values",
				       kind, channel, TMPL_MAX_OUT);
		total += len;
	}
	buf = malloc(total + 1);
	if (buf == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory rendering %s.%s", kind, channel);
	for (size_t i = 0; i < tp->nsegs; i++) {
		const char *s = seg_text(&tp->segs[i], k, vars, nvars, &len);

		memcpy(buf + at, s, len);
		at += len;
	}
	buf[at] = '\0';
	*out = buf;
	return 0;
}

const char *const *templates_kind_vars(const char *kind)
{
	int ki = find_kind(kind);

	return ki < 0 ? NULL : kind_table[ki].vars;
}
