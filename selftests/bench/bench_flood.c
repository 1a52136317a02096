// SPDX-License-Identifier: GPL-2.0
/*
 * bench_flood: a counted UDP flood over a list of destinations, by
 * sendmmsg, for scripts/bench-vm.
 *
 *	bench_flood [-p PORT] [-s SRC4] [-S SRC6] -n COUNT DSTFILE
 *
 * DSTFILE holds IPv4 and IPv6 addresses, one a line. The flood goes over
 * the addresses of each family in order, again and again, a batch of up to
 * BATCH of one family and then one of the other, until COUNT datagrams of
 * 32 bytes were sent. With as many addresses of each family, and COUNT a
 * multiple of their number, each address gets the same share. It prints
 * "SENT SECONDS PPS". SRC4 and SRC6 are the source addresses. A datagram
 * that a filter of this host refused (EPERM) counts as sent. Exit status:
 * 0, or 1 on an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../tools/sockaddr.h"

#define BATCH	64

struct dst {
	struct sockaddr_storage addr;
	socklen_t len;
	int family;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse(struct dst *d, const char *s, unsigned int port)
{
	memset(d, 0, sizeof(*d));
	if (sockaddr_parse(s, port, &d->addr, &d->len)) {
		fprintf(stderr, "bench_flood: not an address: `%s'\n", s);
		return -1;
	}
	d->family = d->addr.ss_family;
	return 0;
}

static struct dst *read_dsts(const char *path, unsigned int port, int *n)
{
	struct dst *d = NULL, *x;
	char line[128];
	int cap = 0;
	FILE *fp = fopen(path, "r");

	*n = 0;
	if (!fp) {
		perror(path);
		return NULL;
	}
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = 0;
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			x = realloc(d, cap * sizeof(*d));
			if (!x)
				goto fail;
			d = x;
		}
		if (parse(&d[*n], line, port))
			goto fail;
		(*n)++;
	}
	fclose(fp);
	return d;

fail:
	fclose(fp);
	free(d);
	return NULL;
}

/* Send WANT datagrams to D[0..], all of one family, on FD; 0 or -1. */
static int send_batch(int fd, struct dst *d, int want)
{
	static char payload[32] = "m2mguard bench";
	struct mmsghdr msg[BATCH];
	struct iovec iov = { payload, sizeof(payload) };
	int i, sent = 0, r;

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < want; i++) {
		msg[i].msg_hdr.msg_name = &d[i].addr;
		msg[i].msg_hdr.msg_namelen = d[i].len;
		msg[i].msg_hdr.msg_iov = &iov;
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (sent < want) {
		r = sendmmsg(fd, msg + sent, want - sent, 0);
		if (r > 0) {
			sent += r;
			continue;
		}
		if (errno == EPERM) {
			sent++;
			continue;
		}
		if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN) {
			perror("bench_flood: sendmmsg");
			return -1;
		}
	}
	return 0;
}

/* A socket of FAMILY, bound to SRC if given; -1 on an error. */
static int open_socket(int family, const char *src)
{
	struct sockaddr_storage ss = { .ss_family = family };
	struct sockaddr_in6 *sin6 = (void *)&ss;
	struct sockaddr_in *sin = (void *)&ss;
	void *addr = family == AF_INET ? (void *)&sin->sin_addr :
					 (void *)&sin6->sin6_addr;
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0 || !src)
		return fd;
	if (inet_pton(family, src, addr) != 1 ||
	    bind(fd, (void *)&ss, family == AF_INET ? sizeof(*sin) :
						       sizeof(*sin6))) {
		fprintf(stderr, "bench_flood: cannot send from `%s'\n", src);
		close(fd);
		return -1;
	}
	return fd;
}

/* The addresses of family F among D[0..N), moved to the front. */
static int pick(struct dst *d, int n, int family)
{
	struct dst t;
	int i, m = 0;

	for (i = 0; i < n; i++) {
		if (d[i].family != family)
			continue;
		t = d[m];
		d[m++] = d[i];
		d[i] = t;
	}
	return m;
}

int main(int argc, char **argv)
{
	unsigned long count = 0, sent = 0;
	unsigned int port = 9000;
	const char *src[2] = { NULL, NULL };
	int opt, n, k, f, fd[2], len[2], at[2] = { 0, 0 };
	struct dst *d, *list[2];
	double t0, secs;

	while ((opt = getopt(argc, argv, "p:n:s:S:")) != -1) {
		switch (opt) {
		case 's':
			src[0] = optarg;
			break;
		case 'S':
			src[1] = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		default:
			count = 0;
			break;
		}
	}
	if (!count || optind != argc - 1) {
		fprintf(stderr, "usage: bench_flood [-p PORT] [-s SRC4] "
			"[-S SRC6] -n COUNT DSTFILE\n");
		return 1;
	}
	d = read_dsts(argv[optind], port, &n);
	if (!d || !n)
		return 1;
	len[0] = pick(d, n, AF_INET);
	len[1] = n - len[0];
	list[0] = d;
	list[1] = d + len[0];
	fd[0] = open_socket(AF_INET, src[0]);
	fd[1] = open_socket(AF_INET6, src[1]);
	if (fd[0] < 0 || fd[1] < 0) {
		perror("bench_flood: socket");
		return 1;
	}

	t0 = now();
	for (f = 0; sent < count; f = !f) {
		if (!len[f])
			continue;
		k = len[f] - at[f];
		if (k > BATCH)
			k = BATCH;
		if ((unsigned long)k > count - sent)
			k = count - sent;
		if (send_batch(fd[f], list[f] + at[f], k))
			return 1;
		sent += k;
		at[f] = (at[f] + k) % len[f];
	}
	secs = now() - t0;
	printf("%lu %.6f %.0f\n", sent, secs, sent / secs);
	return 0;
}
