// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend: a counted UDP flood for the module's selftests.
 *
 *	udpsend [-p PORT] [-n COUNT] [-t SECONDS] [-s SRC4] DST...
 *
 * Sends small datagrams to each DST (IPv4 or IPv6) in turn, from SRC4 for
 * IPv4 if given, until each got COUNT, SECONDS passed, or SIGTERM/SIGINT
 * arrives, then prints one line per destination, "DST SENT", so that a
 * test can compare what was sent with what arrived. A datagram that a
 * filter of this host refused (EPERM) counts as sent. Exit status: 0, or
 * 1 on an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockaddr.h"

struct dst {
	const char *name;
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;
	unsigned long sent;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_dst(struct dst *d, const char *name, unsigned int port,
		     const char *src)
{
	struct sockaddr_in from = { .sin_family = AF_INET };

	memset(d, 0, sizeof(*d));
	d->name = name;
	if (sockaddr_parse(name, port, &d->addr, &d->len)) {
		fprintf(stderr, "udpsend: not an address: `%s'\n", name);
		return -1;
	}
	d->fd = socket(d->addr.ss_family, SOCK_DGRAM, 0);
	if (d->fd < 0) {
		perror("udpsend: socket");
		return -1;
	}
	if (!src || d->addr.ss_family != AF_INET)
		return 0;
	if (inet_pton(AF_INET, src, &from.sin_addr) != 1 ||
	    bind(d->fd, (void *)&from, sizeof(from))) {
		fprintf(stderr, "udpsend: cannot send from `%s'\n", src);
		return -1;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long count = 0, seq = 0;
	double seconds = 0, deadline;
	unsigned int port = 9000;
	const char *src = NULL;
	struct dst *dsts;
	char payload[32];
	int opt, n, i, done;

	while ((opt = getopt(argc, argv, "p:n:t:s:")) != -1) {
		switch (opt) {
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 's':
			src = optarg;
			break;
		default:
			fprintf(stderr, "usage: udpsend [-p PORT] [-n COUNT] "
				"[-t SECONDS] [-s SRC4] DST...\n");
			return 1;
		}
	}
	n = argc - optind;
	if (n < 1 || (!count && !seconds)) {
		fprintf(stderr, "udpsend: give destinations, and -n or -t\n");
		return 1;
	}
	dsts = calloc(n, sizeof(*dsts));
	if (!dsts)
		return 1;
	for (i = 0; i < n; i++)
		if (parse_dst(&dsts[i], argv[optind + i], port, src))
			return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	deadline = seconds ? now() + seconds : 0;
	memset(payload, 'm', sizeof(payload));
	for (done = 0; !stop && !done; seq++) {
		if (deadline && !(seq % 256) && now() > deadline)
			break;
		done = 1;
		for (i = 0; i < n; i++) {
			struct dst *d = &dsts[i];

			if (count && d->sent >= count)
				continue;
			done = 0;
			memcpy(payload, &seq, sizeof(seq));
			if (sendto(d->fd, payload, sizeof(payload), 0,
				   (void *)&d->addr, d->len) < 0) {
				if (errno == EINTR || errno == ENOBUFS ||
				    errno == EAGAIN)
					continue;
				if (errno == EPERM) {
					d->sent++;
					continue;
				}
				fprintf(stderr, "udpsend: %s: %s\n", d->name,
					strerror(errno));
				return 1;
			}
			d->sent++;
		}
	}
	for (i = 0; i < n; i++)
		printf("%s %lu\n", dsts[i].name, dsts[i].sent);
	return 0;
}
