/* test_net: loopback helpers for unit tests that run a tiny HTTP server in a thread:
 * listen on 127.0.0.1 on a free port, wait for a socket, read one request. Header-only so
 * that each test binary stays one file; every function is static. */
#ifndef TESTS_UNIT_TEST_NET_H
#define TESTS_UNIT_TEST_NET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A listening socket on 127.0.0.1 with a free port (*port), or -1. */
static int listen_any(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 2000) == 1 ? 0 : -1;
}

/* Reads one request (headers and Content-Length body) into buf; returns its length,
 * 0 when the peer closed, -1 on error or time-out. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
	size_t have = 0;

	for (;;) {
		char *end;
		ssize_t n;

		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			size_t need =
				(size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);

			if (have >= need)
				return (ssize_t)have;
		}
		if (have + 1 >= cap || wait_readable(fd) < 0)
			return -1;
		n = read(fd, buf + have, cap - 1 - have);
		if (n <= 0)
			return n < 0 ? -1 : 0;
		have += (size_t)n;
	}
}

#endif
