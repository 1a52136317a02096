/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An address as Tor's geoip files write it, for the benchmarks that read
 * them directly: IPv4 as a decimal number (geoip), IPv6 in text (geoip6).
 */
#ifndef M2M_BENCH_TOR_ADDR_H
#define M2M_BENCH_TOR_ADDR_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

typedef unsigned __int128 u128;

/* 0 and *OUT set, or -1 if S is not such an address. */
static inline int tor_addr_parse(const char *s, int v6, u128 *out)
{
	unsigned char b[16];
	char *end;
	int i;

	if (!v6) {
		errno = 0;
		*out = strtoull(s, &end, 10);
		return errno || *end || *out > 0xffffffffULL ? -1 : 0;
	}
	if (inet_pton(AF_INET6, s, b) != 1)
		return -1;
	*out = 0;
	for (i = 0; i < 16; i++)
		*out = *out << 8 | b[i];
	return 0;
}

#endif /* M2M_BENCH_TOR_ADDR_H */
