/* notice_cache: a small array of refcounted entries, replaced round robin among those not in
 * use. 256 entries: far more notices than are ever being delivered at once. */
#include "notice_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define CACHE_SIZE 256

struct notice_cache {
	char channel[8];
	struct notice_entry e[CACHE_SIZE];
	int next;
};

static void entry_clear(struct notice_entry *n)
{
	free(n->text);
	free(n->vars);
	json_decref(n->vars_json);
	memset(n, 0, sizeof(*n));
}

struct notice_cache *notice_cache_new(const char *channel)
{
	struct notice_cache *c = calloc(1, sizeof(*c));

	if (c != NULL)
		snprintf(c->channel, sizeof(c->channel), "%s", channel);
	return c;
}

void notice_cache_free(struct notice_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CACHE_SIZE; i++)
		entry_clear(&c->e[i]);
	free(c);
}

/* Parses the variables JSON into name/value pairs pointing into the JSON object. */
static int load_vars(struct notice_entry *n, const char *text, struct err *e)
{
	json_t *obj = json_loads(text, 0, NULL), *v;
	const char *key;
	size_t i = 0;

	if (!json_is_object(obj)) {
		json_decref(obj);
		return err_set(e, ERR_INTERNAL, NULL,
			       "notice %lld: stored variables are not a JSON "
			       "object",
			       (long long)n->notice_id);
	}
	n->vars = calloc(json_object_size(obj) + 1, sizeof(*n->vars));
	if (n->vars == NULL) {
		json_decref(obj);
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	}
	json_object_foreach(obj, key, v)
	{
		if (!json_is_string(v))
			continue;
		n->vars[i].name = key;
		n->vars[i].value = json_string_value(v);
		i++;
	}
	n->nvars = i;
	n->vars_json = obj;
	return 0;
}

static struct notice_entry *free_slot(struct notice_cache *c)
{
	for (int k = 0; k < CACHE_SIZE; k++) {
		struct notice_entry *n = &c->e[(c->next + k) % CACHE_SIZE];
		if (n->refs == 0) {
			c->next = (c->next + k + 1) % CACHE_SIZE;
			return n;
		}
	}
	return NULL;
}

int notice_cache_get(struct notice_cache *c, struct store *s, int64_t notice_id,
		     struct notice_entry **out, struct err *e)
{
	struct notice_entry *n;
	char *vars = NULL;
	int rc;

	for (int i = 0; i < CACHE_SIZE; i++) {
		if (c->e[i].text != NULL && c->e[i].notice_id == notice_id) {
			c->e[i].refs++;
			*out = &c->e[i];
			return 0;
		}
	}
	if ((n = free_slot(c)) == NULL)
		return err_set(e, ERR_TOOBIG, NULL, "every notice cache entry is in use");
	entry_clear(n);
	n->notice_id = notice_id;
	if ((rc = store_notice_text(s, notice_id, c->channel, &n->text, n->kind, e)) < 0 ||
	    (rc = store_notice_vars(s, notice_id, &vars, e)) < 0 ||
	    (rc = load_vars(n, vars, e)) < 0) {
		free(vars);
		entry_clear(n);
		return rc;
	}
	free(vars);
	n->refs = 1;
	*out = n;
	return 0;
}

void notice_cache_put(struct notice_entry *entry)
{
	if (entry != NULL && entry->refs > 0)
		entry->refs--;
}
