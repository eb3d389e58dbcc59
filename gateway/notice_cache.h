/* notice_cache: a worker's copy of the notices it is delivering — the rendered text for its
 * channel, the kind, and the template variables — so that a broadcast to 100,000 residents
 * reads each notice once, not once per message. Entries are reference-counted: one in use
 * by a message in flight is never evicted. One cache per worker thread; not thread-safe. */
#ifndef GATEWAY_NOTICE_CACHE_H
#define GATEWAY_NOTICE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "templates.h"

struct notice_entry {
	int64_t notice_id;
	char kind[16];
	char *text;
	struct tmpl_var *vars; /* names and values point into vars_json's strings */
	size_t nvars;
	void *vars_json; /* json_t, owned */
	int refs;
};

struct notice_cache;

struct notice_cache *notice_cache_new(const char *channel);
void notice_cache_free(struct notice_cache *c);
/* The entry for notice_id, loaded from s on a miss; takes a reference. ERR_NOTFOUND when
 * the notice has no text for the channel; ERR_TOOBIG when every entry is in use. */
int notice_cache_get(struct notice_cache *c, struct store *s, int64_t notice_id,
		     struct notice_entry **out, struct err *e);
void notice_cache_put(struct notice_entry *entry);

#endif
