/* http_server: libmicrohttpd in its internal thread pool. Each connection gets a struct
 * upload that collects the body (capped by body_limit); the handler runs once the body is
 * complete, in the pool thread. Oversized bodies are answered 413 as soon as the limit is
 * known to be passed (Content-Length) or reached (chunked), and the rest is discarded. */
#include "http_server.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

struct http_server {
	struct MHD_Daemon *d;
	struct http_server_opts opts;
};

struct upload {
	char *buf;
	size_t len, cap, limit;
	int too_big;
};

static const char too_big_body[] = "{\"error\":{\"code\":\"too_large\",\"message\":\"the request "
				   "body is larger than this endpoint accepts\",\"field\":\"\"}}";

const char *http_in_query(const struct http_in *in, const char *name)
{
	return MHD_lookup_connection_value(in->conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_out(struct MHD_Connection *c, struct http_out *out)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(out->body_len, out->body ? out->body : (char *)"",
					    out->body ? MHD_RESPMEM_MUST_FREE
						      : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(out->body);
		return MHD_NO;
	}
	if (out->content_type)
		MHD_add_response_header(r, "Content-Type", out->content_type);
	if (out->disposition[0])
		MHD_add_response_header(r, "Content-Disposition", out->disposition);
	MHD_add_response_header(r, "Cache-Control",
				out->cache_control ? out->cache_control : "no-store");
	ret = MHD_queue_response(c, (unsigned)out->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_too_big(struct http_server *srv, struct MHD_Connection *c,
				    const char *method, const char *url)
{
	struct http_out out = { 413, "application/json", strdup(too_big_body), 0, "", NULL };

	out.body_len = out.body ? strlen(out.body) : 0;
	if (srv->opts.refused)
		srv->opts.refused(srv->opts.ctx, method, url, 413);
	return send_out(c, &out);
}

static int append(struct upload *u, const char *data, size_t n)
{
	if (u->len + n > u->limit) {
		u->too_big = 1;
		return 0;
	}
	if (u->len + n + 1 > u->cap) {
		size_t cap = u->cap ? u->cap : 4096;
		while (cap < u->len + n + 1)
			cap *= 2;
		char *nb = realloc(u->buf, cap);
		if (nb == NULL) {
			u->too_big = 1;
			return -1;
		}
		u->buf = nb;
		u->cap = cap;
	}
	memcpy(u->buf + u->len, data, n);
	u->len += n;
	u->buf[u->len] = '\0';
	return 0;
}

static struct upload *upload_new(struct http_server *srv, struct MHD_Connection *c,
				 const char *method, const char *url)
{
	struct upload *u = calloc(1, sizeof(*u));
	const char *cl;

	if (u == NULL)
		return NULL;
	u->limit = srv->opts.body_limit(srv->opts.ctx, method, url);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (cl != NULL && strtoull(cl, NULL, 10) > u->limit)
		u->too_big = 1;
	return u;
}

/* The peer's address as text, "" when unknown. */
static const char *client_text(struct MHD_Connection *c, char *buf, socklen_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (sa == NULL)
		return buf;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  buf, n);
	return buf;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct upload *u = *con_cls;
	struct http_in in;
	struct http_out out = { 500, NULL, NULL, 0, "", NULL };
	char client[INET6_ADDRSTRLEN] = "";

	(void)version;
	if (u == NULL) {
		if ((u = upload_new(srv, c, method, url)) == NULL)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!u->too_big)
			append(u, upload_data, *upload_size);
		*upload_size = 0; /* consumed (or discarded when too big) */
		return MHD_YES;
	}
	if (u->too_big)
		return send_too_big(srv, c, method, url);
	in.method = method;
	in.path = url;
	in.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	in.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	in.body = u->buf ? u->buf : "";
	in.body_len = u->len;
	in.conn = c;
	in.client = client_text(c, client, sizeof(client));
	srv->opts.handle(srv->opts.ctx, &in, &out);
	return send_out(c, &out);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (u != NULL) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

int http_server_start(const struct http_server_opts *opts, struct http_server **out, struct err *e)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in addr;

	if (srv == NULL)
		return err_set(e, ERR_NOMEM, NULL, "out of memory");
	srv->opts = *opts;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)opts->port);
	if (inet_pton(AF_INET, opts->host, &addr.sin_addr) != 1) {
		free(srv);
		return err_set(e, ERR_INVALID, "listen", "listen address %s is not an IPv4 address",
			       opts->host);
	}
	srv->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_TURBO,
		(uint16_t)opts->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opts->threads,
		MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT, 1000u,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
	if (srv->d == NULL) {
		free(srv);
		return err_set(e, ERR_IO, "listen",
			       "cannot listen on %s:%d (in use, or not "
			       "allowed); choose another [server] listen",
			       opts->host, opts->port);
	}
	*out = srv;
	return 0;
}

void http_server_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->d);
	free(srv);
}
