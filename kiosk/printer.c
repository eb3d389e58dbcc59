/* printer: the link to the receipt printer; see printer.h for the contract. The one file
 * that does the printer's I/O; it knows nothing of what a ticket says.
 * dev and tcp links are non-blocking and every wait is a poll() bounded by timeout_ms: a
 * printer that takes no byte (or gives no answer) for that long is reported as stalled or
 * offline, so a slow but working printer is never cut off while a dead one never hangs the
 * kiosk. A file link is a plain blocking append (a disk does not stall like a printer).
 * Host names are resolved with getaddrinfo, which the timeout does not bound: configure the
 * printer by address. */
#include "printer.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PRINTER_SPEC_MAX 256
#define PRINTER_EXAMPLE "file:/var/lib/kiosk/tickets.bin, dev:/dev/usb/lp0 or tcp:192.168.1.50:9100"

enum printer_kind { PRINTER_FILE, PRINTER_DEV, PRINTER_TCP };

struct printer {
	int fd;
	enum printer_kind kind;
	int timeout_ms;
	char spec[PRINTER_SPEC_MAX];
};

/* Splits "HOST:PORT" (HOST may be "[v6]") into host and port; 0 or -1 when malformed. */
static int split_host_port(const char *s, char *host, size_t cap, const char **port)
{
	const char *colon = strrchr(s, ':');
	size_t n;
	char *end = NULL;
	long num;

	if (colon == NULL || colon == s)
		return -1;
	n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	num = strtol(colon + 1, &end, 10);
	if (n == 0 || n >= cap || *end != '\0' || end == colon + 1 || num < 1 || num > 65535)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

/* Waits for events on fd; 1 ready, 0 timed out, -1 error (errno set). */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Connects a non-blocking socket to ai within timeout_ms; the fd or -1 (errno set). */
static int connect_one(const struct addrinfo *ai, int timeout_ms)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	int so_err = 0, r;
	socklen_t len = sizeof(so_err);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	r = wait_fd(fd, POLLOUT, timeout_ms);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) < 0)
		goto fail;
	if (so_err == 0)
		return fd;
	errno = so_err;
fail:
	so_err = errno;
	close(fd);
	errno = so_err;
	return -1;
}

static int open_tcp(struct printer *p, const char *hostport, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[PRINTER_SPEC_MAX];
	const char *port = NULL;
	int rc = 0, gai;

	if (split_host_port(hostport, host, sizeof(host), &port) != 0)
		return err_set(e, ERR_INVALID, "printer",
			       "The printer \"%s\" needs a host and a port from 1 to 65535, "
			       "e.g. tcp:192.168.1.50:9100.",
			       p->spec);
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0)
		return err_set(e, ERR_IO, "printer", "The printer %s cannot be found: %s.", p->spec,
			       gai_strerror(gai));
	errno = ENOENT;
	for (const struct addrinfo *ai = res; ai != NULL && p->fd < 0; ai = ai->ai_next)
		p->fd = connect_one(ai, p->timeout_ms);
	if (p->fd < 0)
		rc = err_set(e, ERR_IO, "printer",
			     "The printer %s is offline: connecting failed (%s) within %d ms.",
			     p->spec, strerror(errno), p->timeout_ms);
	freeaddrinfo(res);
	return rc;
}

/* Opens the link the spec names; the spec is in p->spec, the result in p->fd. */
static int open_link(struct printer *p, struct err *e)
{
	const char *s = p->spec;

	if (strncmp(s, "file:", 5) == 0 && s[5] != '\0') {
		p->kind = PRINTER_FILE;
		p->fd = open(s + 5, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	} else if (strncmp(s, "dev:", 4) == 0 && s[4] != '\0') {
		p->kind = PRINTER_DEV;
		p->fd = open(s + 4, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	} else if (strncmp(s, "tcp:", 4) == 0) {
		p->kind = PRINTER_TCP;
		return open_tcp(p, s + 4, e);
	} else {
		return err_set(e, ERR_INVALID, "printer",
			       "The printer \"%s\" is not understood; write it as %s.", s,
			       PRINTER_EXAMPLE);
	}
	if (p->fd < 0)
		return err_set(e, ERR_IO, "printer",
			       "The printer %s cannot be opened (offline?): %s.", s,
			       strerror(errno));
	return 0;
}

int printer_open(const char *spec, int timeout_ms, struct printer **out, struct err *e)
{
	struct printer *p = NULL;
	int rc = 0;

	if (spec == NULL || strlen(spec) >= PRINTER_SPEC_MAX)
		return err_set(e, ERR_INVALID, "printer",
			       "The printer is missing or its name too long; write it as %s.",
			       PRINTER_EXAMPLE);
	if (timeout_ms <= 0)
		return err_set(e, ERR_INVALID, "printer_timeout_ms",
			       "The printer timeout must be a positive number of milliseconds.");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return err_set(e, ERR_NOMEM, NULL, "Out of memory for the printer.");
	p->fd = -1;
	p->timeout_ms = timeout_ms;
	snprintf(p->spec, sizeof(p->spec), "%s", spec);
	if ((rc = open_link(p, e)) != 0)
		goto out;
	*out = p;
	p = NULL;
out:
	printer_close(p);
	return rc;
}

void printer_close(struct printer *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/* One write; a socket is sent to without SIGPIPE, so a printer that hangs up is an error
 * here rather than the death of the kiosk. */
static ssize_t write_some(struct printer *p, const uint8_t *b, size_t n)
{
	if (p->kind == PRINTER_TCP)
		return send(p->fd, b, n, MSG_NOSIGNAL);
	return write(p->fd, b, n);
}

int printer_write(struct printer *p, const uint8_t *bytes, size_t len, struct err *e)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write_some(p, bytes + done, len - done);
		int r;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return err_set(
				e, ERR_IO, "printer",
				"Writing to the printer %s failed after %zu of %zu bytes: %s.",
				p->spec, done, len, n == 0 ? "nothing written" : strerror(errno));
		if ((r = wait_fd(p->fd, POLLOUT, p->timeout_ms)) == 0)
			return err_set(
				e, ERR_IO, "printer",
				"The printer %s stalled: %zu of %zu bytes were written, then "
				"none for %d ms.",
				p->spec, done, len, p->timeout_ms);
		if (r < 0)
			return err_set(e, ERR_IO, "printer",
				       "Waiting for the printer %s failed: %s.", p->spec,
				       strerror(errno));
	}
	return 0;
}

/* Reads and drops whatever the printer sent unasked (a late answer to an earlier query), so
 * that the next byte read answers this query. */
static int drain(struct printer *p, struct err *e)
{
	uint8_t junk[64];

	for (;;) {
		ssize_t n = read(p->fd, junk, sizeof(junk));

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return err_set(e, ERR_IO, "printer", "The printer %s is offline: %s.", p->spec,
			       n == 0 ? "the link was closed" : strerror(errno));
	}
}

int printer_status(struct printer *p, enum escpos_paper *state, struct err *e)
{
	uint8_t answer = 0;
	ssize_t n;
	int rc, r;

	if (p->kind == PRINTER_FILE) {
		*state = PAPER_OK;
		return 0;
	}
	if ((rc = drain(p, e)) != 0 ||
	    (rc = printer_write(p, escpos_status_query, sizeof(escpos_status_query), e)) != 0)
		return rc;
	if ((r = wait_fd(p->fd, POLLIN, p->timeout_ms)) <= 0)
		return err_set(e, ERR_IO, "printer",
			       "The printer %s did not answer the paper-status query within %d ms "
			       "(offline, or it does not support DLE EOT 4).",
			       p->spec, p->timeout_ms);
	do
		n = read(p->fd, &answer, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		return err_set(e, ERR_IO, "printer", "The printer %s is offline: %s.", p->spec,
			       n == 0 ? "the link was closed" : strerror(errno));
	*state = escpos_paper_state(answer);
	return 0;
}
