/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Naive references for the range table lookups, shared by the unit test
 * and the benchmark, and a small seeded random generator.
 */
#ifndef _M2MGUARD_RTABLE_REF_H
#define _M2MGUARD_RTABLE_REF_H

#include <stdint.h>
#include <m2mguard/rtable.h>

typedef unsigned __int128 u128;

static inline u128 ref6_start(const struct m2m_range6 *r)
{
	return (u128)r->start_hi << 64 | r->start_lo;
}

/* Linear scan: the last boundary starting at or below addr. */
static inline uint32_t ref4_linear(const struct m2m_range4 *r, uint32_t n,
				   uint32_t addr)
{
	uint32_t i, v = 0;

	for (i = 0; i < n && r[i].start <= addr; i++)
		v = r[i].value;
	return v;
}

static inline uint32_t ref6_linear(const struct m2m_range6 *r, uint32_t n,
				   u128 addr)
{
	uint32_t i, v = 0;

	for (i = 0; i < n && ref6_start(&r[i]) <= addr; i++)
		v = r[i].value;
	return v;
}

/* Binary search over the same flat list; r[0] starts at 0. */
static inline uint32_t ref4_bsearch(const struct m2m_range4 *r, uint32_t n,
				    uint32_t addr)
{
	uint32_t lo = 0, hi = n, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (r[mid].start <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return r[lo].value;
}

static inline uint32_t ref6_bsearch(const struct m2m_range6 *r, uint32_t n,
				    u128 addr)
{
	uint32_t lo = 0, hi = n, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (ref6_start(&r[mid]) <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return r[lo].value;
}

static inline uint32_t rt6_lookup128(const struct m2m_rtable6 *t, u128 a)
{
	return m2m_rtable6_lookup(t, (uint64_t)(a >> 64), (uint64_t)a);
}

/* splitmix64: small, seeded, good enough for test data. */
static inline uint64_t ref_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif /* _M2MGUARD_RTABLE_REF_H */
