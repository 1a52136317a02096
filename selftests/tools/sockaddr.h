/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An IPv4 or IPv6 address in text, with a port, as a socket address: for
 * the traffic generators of the tests and benchmarks.
 */
#ifndef M2M_TEST_SOCKADDR_H
#define M2M_TEST_SOCKADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* 0 and *SA, *LEN filled, or -1 if S is not an address. */
static inline int sockaddr_parse(const char *s, unsigned int port,
				 struct sockaddr_storage *sa, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (void *)sa;
	struct sockaddr_in *sin = (void *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	} else {
		return -1;
	}
	return 0;
}

#endif /* M2M_TEST_SOCKADDR_H */
