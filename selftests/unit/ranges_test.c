// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for ctl/ranges.c: prefixes to boundary lists, overlays, and
 * prefix parsing.
 *
 * Every list built here is checked against a naive reference: for a
 * point, the longest prefix of the input containing it, the first of
 * equal ones. Small cases live in one /24 (or one IPv6 /120) so that
 * every address can be checked; large ones are checked at random points
 * and at every prefix edge.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* The harness itself trips -Wextra; keep -Werror for our own code. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "rtable_ref.h"
#include "ranges.h"

#define SEED	0x72616e6765737473ULL	/* fixed: failures must reproduce */

/* ---- references ---- */

static uint32_t mask4(unsigned int len)
{
	return len ? ~0U << (32 - len) : 0;
}

static u128 mask6(unsigned int len)
{
	return len ? ~(u128)0 << (128 - len) : 0;
}

static u128 addr6(const struct m2m_pfx6 *p)
{
	return (u128)p->hi << 64 | p->lo;
}

/* Longest prefix containing A; the first wins a tie. */
static uint32_t naive4(const struct m2m_pfx4 *p, size_t n, uint32_t dflt,
		       uint32_t a)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if ((a & mask4(p[i].len)) == p[i].addr && p[i].len > best) {
			best = p[i].len;
			dflt = p[i].value;
		}
	return dflt;
}

static uint32_t naive6(const struct m2m_pfx6 *p, size_t n, uint32_t dflt,
		       u128 a)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if ((a & mask6(p[i].len)) == addr6(&p[i]) && p[i].len > best) {
			best = p[i].len;
			dflt = p[i].value;
		}
	return dflt;
}

/* Sorted, starting at 0, and merged: no two neighbours share a value. */
static int canonical4(const struct m2m_range4 *r, uint32_t n)
{
	uint32_t i;

	if (!n || r[0].start)
		return -1;
	for (i = 1; i < n; i++)
		if (r[i].start <= r[i - 1].start ||
		    r[i].value == r[i - 1].value)
			return i;
	return 0;
}

static int canonical6(const struct m2m_range6 *r, uint32_t n)
{
	uint32_t i;

	if (!n || r[0].start_hi || r[0].start_lo || r[0].pad)
		return -1;
	for (i = 1; i < n; i++)
		if (ref6_start(&r[i]) <= ref6_start(&r[i - 1]) ||
		    r[i].value == r[i - 1].value || r[i].pad)
			return i;
	return 0;
}

static int diff4(const struct m2m_range4 *r, uint32_t n, uint32_t a,
		 uint32_t want)
{
	uint32_t got = ref4_bsearch(r, n, a);

	if (got == want)
		return 0;
	fprintf(stderr, "# %u.%u.%u.%u: got %u, want %u\n", a >> 24,
		a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff, got, want);
	return 1;
}

static int diff6(const struct m2m_range6 *r, uint32_t n, u128 a,
		 uint32_t want)
{
	uint32_t got = ref6_bsearch(r, n, a);

	if (got == want)
		return 0;
	fprintf(stderr, "# %016llx%016llx: got %u, want %u\n",
		(unsigned long long)(a >> 64), (unsigned long long)a, got,
		want);
	return 1;
}

/*
 * A random prefix inside base/blen, of length at least blen; now and then
 * one that covers all of it, or the whole space.
 */
static struct m2m_pfx4 rand_pfx4(uint64_t *rng, uint32_t base,
				 unsigned int blen)
{
	struct m2m_pfx4 p;
	uint64_t x = ref_rand(rng);

	p.len = blen + x % (33 - blen);
	if (x % 23 == 0)
		p.len = x % 3 ? 0 : 8;
	p.addr = (base | ((uint32_t)(x >> 8) & ~mask4(blen))) & mask4(p.len);
	p.value = 1 + (x >> 40) % 4;	/* few values: merges happen */
	return p;
}

static struct m2m_pfx6 rand_pfx6(uint64_t *rng, u128 base, unsigned int blen)
{
	struct m2m_pfx6 p;
	uint64_t x = ref_rand(rng);
	u128 a, r = (u128)ref_rand(rng) << 64 | ref_rand(rng);

	p.len = blen + x % (129 - blen);
	if (x % 23 == 0)
		p.len = x % 3 ? 0 : 64;
	a = (base | (r & ~mask6(blen))) & mask6(p.len);
	p.hi = a >> 64;
	p.lo = a;
	p.value = 1 + (x >> 40) % 4;
	return p;
}

/* ---- IPv4 edge cases ---- */

TEST(ipv4_no_prefixes_is_all_default)
{
	struct m2m_range4 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges4_from_pfx(NULL, 0, 7, &r, &n));
	ASSERT_EQ(1U, n);
	EXPECT_EQ(0U, r[0].start);
	EXPECT_EQ(7U, r[0].value);
	free(r);
}

TEST(ipv4_default_route_covers_everything)
{
	struct m2m_pfx4 p[] = { { 0, 0, 5 } };
	struct m2m_range4 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges4_from_pfx(p, 1, 0, &r, &n));
	ASSERT_EQ(1U, n);
	EXPECT_EQ(5U, r[0].value);
	free(r);
}

TEST(ipv4_top_of_the_space)
{
	struct m2m_pfx4 p[] = {
		{ 0xffffffff, 32, 3 }, { 0xff000000, 8, 2 },
		{ 0xfffffffe, 31, 1 },
	};
	struct m2m_range4 want[] = {
		{ 0, 0 }, { 0xff000000, 2 }, { 0xfffffffe, 1 },
		{ 0xffffffff, 3 },
	};
	struct m2m_range4 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges4_from_pfx(p, 3, 0, &r, &n));
	ASSERT_EQ(4U, n);
	EXPECT_EQ(0, memcmp(want, r, sizeof(want)));
	free(r);
}

TEST(ipv4_nested_prefixes)
{
	/* The worked example of ctl/ranges.c. */
	struct m2m_pfx4 p[] = {
		{ 0x0a010000, 24, 3 }, { 0x0a000000, 8, 1 },
		{ 0x0a010000, 16, 2 },
	};
	struct m2m_range4 want[] = {
		{ 0, 0 }, { 0x0a000000, 1 }, { 0x0a010000, 3 },
		{ 0x0a010100, 2 }, { 0x0a020000, 1 }, { 0x0b000000, 0 },
	};
	struct m2m_range4 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges4_from_pfx(p, 3, 0, &r, &n));
	ASSERT_EQ(6U, n);
	EXPECT_EQ(0, memcmp(want, r, sizeof(want)));
	free(r);
}

TEST(ipv4_equal_prefixes_first_wins)
{
	struct m2m_pfx4 p[] = {
		{ 0x0a000000, 8, 9 }, { 0x0a000000, 16, 4 },
		{ 0x0a000000, 8, 5 }, { 0x0a000000, 16, 6 },
		{ 0x0a000000, 8, 7 },
	};
	struct m2m_range4 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges4_from_pfx(p, 5, 0, &r, &n));
	ASSERT_EQ(4U, n);
	EXPECT_EQ(4U, r[1].value);
	EXPECT_EQ(0x0a010000U, r[2].start);
	EXPECT_EQ(9U, r[2].value);
	EXPECT_EQ(0x0b000000U, r[3].start);
	free(r);
}

TEST(ipv4_adjacent_equal_values_merge)
{
	/* Two halves, then a third /24 and the default beyond: 2 ranges. */
	struct m2m_pfx4 p[] = {
		{ 0x0a000080, 25, 1 }, { 0x0a000000, 25, 1 },
		{ 0x0a000100, 24, 1 }, { 0x0a000200, 24, 0 },
	};
	struct m2m_range4 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges4_from_pfx(p, 4, 0, &r, &n));
	ASSERT_EQ(3U, n);
	EXPECT_EQ(0x0a000000U, r[1].start);
	EXPECT_EQ(0x0a000200U, r[2].start);
	EXPECT_EQ(0, canonical4(r, n));
	free(r);
}

TEST(ipv4_rejects_bad_prefixes)
{
	struct m2m_pfx4 len33[] = { { 0, 33, 1 } };
	struct m2m_pfx4 host[] = { { 0x0a000000, 8, 1 }, { 0x0a000001, 8, 1 } };
	struct m2m_range4 *r = NULL;
	uint32_t n;

	EXPECT_EQ(-EINVAL, m2m_ranges4_from_pfx(len33, 1, 0, &r, &n));
	EXPECT_EQ(-EINVAL, m2m_ranges4_from_pfx(host, 2, 0, &r, &n));
	EXPECT_EQ(NULL, r);
}

/* ---- IPv4 against the reference ---- */

TEST(ipv4_exhaustive_small_cases)
{
	const uint32_t base = 0x0a000000, outside[] = {
		0, 0x09ffffff, 0x0a000100, 0x0affffff, 0xffffffff,
	};
	struct m2m_pfx4 p[24], orig[24];
	struct m2m_range4 *r;
	uint64_t rng = SEED;
	uint32_t n, a, want;
	int round, i, np;

	for (round = 0; round < 3000; round++) {
		np = ref_rand(&rng) % 24;
		for (i = 0; i < np; i++)
			p[i] = rand_pfx4(&rng, base, 24);
		memcpy(orig, p, sizeof(p));

		ASSERT_EQ(0, m2m_ranges4_from_pfx(p, np, 0, &r, &n));
		ASSERT_EQ(0, canonical4(r, n));
		for (a = base; a < base + 256; a++) {
			want = naive4(orig, np, 0, a);
			ASSERT_EQ(0, diff4(r, n, a, want));
		}
		for (i = 0; i < 5; i++) {
			want = naive4(orig, np, 0, outside[i]);
			ASSERT_EQ(0, diff4(r, n, outside[i], want));
		}
		free(r);
	}
}

struct lpm4 {
	struct m2m_pfx4 p;
	uint32_t pos;
};

static int cmp_lpm4(const void *a, const void *b)
{
	const struct lpm4 *x = a, *y = b;

	if (x->p.addr != y->p.addr)
		return x->p.addr < y->p.addr ? -1 : 1;
	if (x->p.len != y->p.len)
		return x->p.len < y->p.len ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* A second reference for large inputs: try every length, longest first. */
static uint32_t lpm4_lookup(const struct lpm4 *t, size_t n, uint32_t a)
{
	struct lpm4 key = { .pos = 0 };
	size_t lo, hi, mid;
	int len;

	for (len = 32; len >= 0; len--) {
		key.p.addr = a & mask4(len);
		key.p.len = len;
		lo = 0;
		hi = n;
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (cmp_lpm4(&t[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && t[lo].p.addr == key.p.addr && t[lo].p.len == len)
			return t[lo].p.value;
	}
	return 0;
}

TEST(ipv4_100k_random_prefixes)
{
	const size_t np = 100000;
	struct m2m_pfx4 *p = calloc(np, sizeof(*p));
	struct lpm4 *t = calloc(np, sizeof(*t));
	struct m2m_range4 *r;
	uint64_t x, rng = SEED + 1;
	uint32_t n, a, end;
	size_t i;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, t);
	for (i = 0; i < np; i++) {
		x = ref_rand(&rng);
		p[i].len = 8 + x % 25;
		if (x % 1000 == 0)
			p[i].len = x % 8;
		p[i].addr = (uint32_t)(x >> 32) & mask4(p[i].len);
		p[i].value = 1 + (x >> 8) % 16;
		t[i] = (struct lpm4){ p[i], i };
	}
	qsort(t, np, sizeof(*t), cmp_lpm4);

	ASSERT_EQ(0, m2m_ranges4_from_pfx(p, np, 0, &r, &n));
	ASSERT_EQ(0, canonical4(r, n));
	for (i = 0; i < np; i++) {
		end = p[i].addr | ~mask4(p[i].len);
		a = p[i].addr;
		ASSERT_EQ(0, diff4(r, n, a, lpm4_lookup(t, np, a)));
		ASSERT_EQ(0, diff4(r, n, a - 1, lpm4_lookup(t, np, a - 1)));
		ASSERT_EQ(0, diff4(r, n, end, lpm4_lookup(t, np, end)));
		ASSERT_EQ(0, diff4(r, n, end + 1, lpm4_lookup(t, np, end + 1)));
	}
	for (i = 0; i < 100000; i++) {
		a = ref_rand(&rng);
		ASSERT_EQ(0, diff4(r, n, a, lpm4_lookup(t, np, a)));
	}

	/* The second reference agrees with the first, on a sample. */
	for (i = 0; i < 200; i++) {
		a = p[ref_rand(&rng) % np].addr;
		ASSERT_EQ(naive4(p, np, 0, a), lpm4_lookup(t, np, a));
	}
	free(r);
	free(p);
	free(t);
}

/* ---- IPv6 ---- */

static u128 mk128(uint64_t hi, uint64_t lo)
{
	return (u128)hi << 64 | lo;
}

TEST(ipv6_no_prefixes_and_default_route)
{
	struct m2m_pfx6 p[] = { { 0, 0, 0, 5 } };
	struct m2m_range6 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges6_from_pfx(NULL, 0, 7, &r, &n));
	ASSERT_EQ(1U, n);
	EXPECT_EQ(7U, r[0].value);
	EXPECT_EQ(0, canonical6(r, n));
	free(r);

	ASSERT_EQ(0, m2m_ranges6_from_pfx(p, 1, 0, &r, &n));
	ASSERT_EQ(1U, n);
	EXPECT_EQ(5U, r[0].value);
	free(r);
}

TEST(ipv6_edges_of_the_space)
{
	struct m2m_pfx6 p[] = {
		{ ~0ULL, ~0ULL, 128, 3 },	/* ffff:...:ffff */
		{ 0, 0, 128, 1 },		/* :: */
		{ ~0ULL, 0, 64, 2 },		/* ffff:ffff:ffff:ffff::/64 */
	};
	struct m2m_range6 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges6_from_pfx(p, 3, 0, &r, &n));
	ASSERT_EQ(4U, n);
	EXPECT_EQ(0, canonical6(r, n));
	EXPECT_EQ(1U, ref6_bsearch(r, n, 0));
	EXPECT_EQ(0U, ref6_bsearch(r, n, 1));
	EXPECT_EQ(0U, ref6_bsearch(r, n, mk128(~0ULL - 1, ~0ULL)));
	EXPECT_EQ(2U, ref6_bsearch(r, n, mk128(~0ULL, 0)));
	EXPECT_EQ(2U, ref6_bsearch(r, n, mk128(~0ULL, ~0ULL - 1)));
	EXPECT_EQ(3U, ref6_bsearch(r, n, ~(u128)0));
	free(r);
}

TEST(ipv6_carry_into_the_upper_half)
{
	/* 2001:db8::/64 ends at 2001:db8::ffff:ffff:ffff:ffff. */
	struct m2m_pfx6 p[] = {
		{ 0x20010db800000000ULL, 0, 64, 1 },
		{ 0x20010db800000000ULL, 0x8000000000000000ULL, 65, 2 },
		{ 0x20010db800000000ULL, 0, 63, 3 },
	};
	struct m2m_range6 want[] = {
		{ 0, 0, 0, 0 },
		{ 0x20010db800000000ULL, 0, 1, 0 },
		{ 0x20010db800000000ULL, 0x8000000000000000ULL, 2, 0 },
		{ 0x20010db800000001ULL, 0, 3, 0 },
		{ 0x20010db800000002ULL, 0, 0, 0 },
	};
	struct m2m_range6 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges6_from_pfx(p, 3, 0, &r, &n));
	ASSERT_EQ(5U, n);
	EXPECT_EQ(0, memcmp(want, r, sizeof(want)));
	free(r);
}

TEST(ipv6_equal_prefixes_first_wins)
{
	struct m2m_pfx6 p[] = {
		{ 0x20010db800000000ULL, 0, 32, 8 },
		{ 0x20010db800000000ULL, 0, 48, 2 },
		{ 0x20010db800000000ULL, 0, 32, 9 },
	};
	struct m2m_range6 *r;
	uint32_t n;

	ASSERT_EQ(0, m2m_ranges6_from_pfx(p, 3, 0, &r, &n));
	ASSERT_EQ(4U, n);
	EXPECT_EQ(2U, r[1].value);
	EXPECT_EQ(8U, r[2].value);
	free(r);
}

TEST(ipv6_rejects_bad_prefixes)
{
	struct m2m_pfx6 len129[] = { { 0, 0, 129, 1 } };
	struct m2m_pfx6 host_lo[] = { { 0, 1, 64, 1 } };
	struct m2m_pfx6 host_hi[] = { { 1, 0, 63, 1 } };
	struct m2m_range6 *r = NULL;
	uint32_t n;

	EXPECT_EQ(-EINVAL, m2m_ranges6_from_pfx(len129, 1, 0, &r, &n));
	EXPECT_EQ(-EINVAL, m2m_ranges6_from_pfx(host_lo, 1, 0, &r, &n));
	EXPECT_EQ(-EINVAL, m2m_ranges6_from_pfx(host_hi, 1, 0, &r, &n));
	EXPECT_EQ(NULL, r);
}

/*
 * Every address of one /120, three of them: below the carry from the
 * lower half (the block ends at lo = ffff:ffff:ffff:ffff), at the top of
 * the space, and one /56 seen as its 256 /64s, at a random point of each.
 */
static int small6(uint64_t *rng, u128 base, unsigned int blen, u128 step)
{
	const u128 outside[] = { 0, base - 1, base + 256 * step, ~(u128)0 };
	struct m2m_pfx6 p[24], orig[24];
	struct m2m_range6 *r;
	uint32_t n, k;
	int i, np;
	u128 a;

	np = ref_rand(rng) % 24;
	for (i = 0; i < np; i++)
		p[i] = rand_pfx6(rng, base, blen);
	memcpy(orig, p, sizeof(p));

	if (m2m_ranges6_from_pfx(p, np, 0, &r, &n) || canonical6(r, n))
		return -1;
	for (k = 0; k < 256; k++) {
		a = base + k * step + (step > 1 ? ref_rand(rng) % step : 0);
		if (diff6(r, n, a, naive6(orig, np, 0, a)))
			return -1;
	}
	for (i = 0; i < 4; i++)
		if (diff6(r, n, outside[i], naive6(orig, np, 0, outside[i])))
			return -1;
	free(r);
	return 0;
}

TEST(ipv6_exhaustive_small_cases)
{
	const u128 carry = mk128(0x20010db800000000ULL, ~0ULL - 255);
	const u128 top = ~(u128)0 - 255;
	const u128 nets = mk128(0x20010db800000000ULL, 0);
	uint64_t rng = SEED + 6;
	int round;

	for (round = 0; round < 1000; round++) {
		ASSERT_EQ(0, small6(&rng, carry, 120, 1));
		ASSERT_EQ(0, small6(&rng, top, 120, 1));
		ASSERT_EQ(0, small6(&rng, nets, 56, (u128)1 << 64));
	}
}

TEST(ipv6_100k_random_prefixes)
{
	const size_t np = 100000;
	struct m2m_pfx6 *p = calloc(np, sizeof(*p)), *orig;
	struct m2m_range6 *r;
	uint64_t rng = SEED + 7;
	u128 a, end;
	uint32_t n;
	size_t i;

	/* Clustered under 2001::/16 so that prefixes nest. */
	orig = calloc(np, sizeof(*orig));
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, orig);
	for (i = 0; i < np; i++)
		p[i] = rand_pfx6(&rng, mk128(0x2001000000000000ULL, 0), 16);
	memcpy(orig, p, np * sizeof(*p));

	ASSERT_EQ(0, m2m_ranges6_from_pfx(p, np, 0, &r, &n));
	ASSERT_EQ(0, canonical6(r, n));

	/* The naive reference is O(n) per point: a sample of edges. */
	for (i = 0; i < 500; i++) {
		const struct m2m_pfx6 *q = &orig[ref_rand(&rng) % np];

		a = addr6(q);
		end = a | ~mask6(q->len);
		ASSERT_EQ(0, diff6(r, n, a, naive6(orig, np, 0, a)));
		ASSERT_EQ(0, diff6(r, n, a - 1, naive6(orig, np, 0, a - 1)));
		ASSERT_EQ(0, diff6(r, n, end, naive6(orig, np, 0, end)));
		ASSERT_EQ(0, diff6(r, n, end + 1,
				   naive6(orig, np, 0, end + 1)));
	}
	free(r);
	free(p);
	free(orig);
}

/* ---- overlay ---- */

static uint32_t combine(uint32_t a, uint32_t b, void *ctx)
{
	(*(int *)ctx)++;
	return (a + b) % 3;
}

static uint32_t rand_list4(uint64_t *rng, struct m2m_range4 *r, uint32_t max)
{
	uint32_t n = 1 + ref_rand(rng) % max, i;

	r[0] = (struct m2m_range4){ 0, ref_rand(rng) % 4 };
	for (i = 1; i < n; i++)
		r[i] = (struct m2m_range4){
			r[i - 1].start + 1 + ref_rand(rng) % 40,
			ref_rand(rng) % 4 };
	return n;
}

TEST(ipv4_merge_matches_pointwise)
{
	struct m2m_range4 a[64], b[64], *r;
	uint64_t rng = SEED + 2;
	uint32_t na, nb, n, x, want;
	int round, calls;

	for (round = 0; round < 2000; round++) {
		na = rand_list4(&rng, a, 64);
		nb = rand_list4(&rng, b, 64);
		calls = 0;
		ASSERT_EQ(0, m2m_ranges4_merge(a, na, b, nb, combine, &calls,
					       &r, &n));
		ASSERT_LT(0, calls);
		ASSERT_EQ(0, canonical4(r, n));
		for (x = 0; x < 64 * 41; x++) {
			want = (ref4_bsearch(a, na, x) +
				ref4_bsearch(b, nb, x)) % 3;
			ASSERT_EQ(0, diff4(r, n, x, want));
		}
		want = (a[na - 1].value + b[nb - 1].value) % 3;
		ASSERT_EQ(0, diff4(r, n, 0xffffffff, want));
		free(r);
	}
}

TEST(ipv4_merge_up_to_the_top)
{
	struct m2m_range4 a[] = { { 0, 1 }, { 0xffffffff, 2 } };
	struct m2m_range4 b[] = { { 0, 1 }, { 0xfffffffe, 0 } };
	struct m2m_range4 *r;
	uint32_t n;
	int calls = 0;

	ASSERT_EQ(0, m2m_ranges4_merge(a, 2, b, 2, combine, &calls, &r, &n));
	ASSERT_EQ(3U, n);
	EXPECT_EQ(2U, r[0].value);
	EXPECT_EQ(1U, r[1].value);
	EXPECT_EQ(0xffffffffU, r[2].start);
	EXPECT_EQ(2U, r[2].value);
	free(r);
}

TEST(ipv4_merge_rejects_bad_lists)
{
	struct m2m_range4 good[] = { { 0, 1 } };
	struct m2m_range4 late[] = { { 5, 1 } };
	struct m2m_range4 unsorted[] = { { 0, 1 }, { 9, 2 }, { 9, 3 } };
	struct m2m_range4 *r;
	uint32_t n;
	int calls = 0;

	EXPECT_EQ(-EINVAL, m2m_ranges4_merge(good, 1, late, 1, combine,
					     &calls, &r, &n));
	EXPECT_EQ(-EINVAL, m2m_ranges4_merge(unsorted, 3, good, 1, combine,
					     &calls, &r, &n));
	EXPECT_EQ(-EINVAL, m2m_ranges4_merge(good, 0, good, 1, combine,
					     &calls, &r, &n));
}

static uint32_t rand_list6(uint64_t *rng, struct m2m_range6 *r, uint32_t max,
			   u128 base)
{
	uint32_t n = 1 + ref_rand(rng) % max, i;
	u128 s = base;

	r[0] = (struct m2m_range6){ 0, 0, ref_rand(rng) % 4, 0 };
	for (i = 1; i < n; i++) {
		r[i] = (struct m2m_range6){ s >> 64, s, ref_rand(rng) % 4, 0 };
		s += 1 + ref_rand(rng) % 40;
	}
	return n;
}

TEST(ipv6_merge_matches_pointwise)
{
	/* Lists straddle the carry from the lower half into the upper. */
	const u128 base = mk128(0x20010db800000000ULL, ~0ULL - 1000);
	struct m2m_range6 a[64], b[64], *r;
	uint64_t rng = SEED + 3;
	uint32_t na, nb, n, want, k;
	int round, calls;
	u128 x;

	for (round = 0; round < 2000; round++) {
		na = rand_list6(&rng, a, 64, base + ref_rand(&rng) % 64);
		nb = rand_list6(&rng, b, 64, base + ref_rand(&rng) % 64);
		calls = 0;
		ASSERT_EQ(0, m2m_ranges6_merge(a, na, b, nb, combine, &calls,
					       &r, &n));
		ASSERT_EQ(0, canonical6(r, n));
		for (k = 0; k < 64 * 41 + 64; k++) {
			x = base - 1 + k;
			want = (ref6_bsearch(a, na, x) +
				ref6_bsearch(b, nb, x)) % 3;
			ASSERT_EQ(0, diff6(r, n, x, want));
		}
		ASSERT_EQ(0, diff6(r, n, 0, (a[0].value + b[0].value) % 3));
		free(r);
	}
}

TEST(ipv6_merge_rejects_bad_lists)
{
	struct m2m_range6 good[] = { { 0, 0, 1, 0 } };
	struct m2m_range6 late[] = { { 0, 1, 1, 0 } };
	struct m2m_range6 *r;
	uint32_t n;
	int calls = 0;

	EXPECT_EQ(-EINVAL, m2m_ranges6_merge(late, 1, good, 1, combine,
					     &calls, &r, &n));
	EXPECT_EQ(-EINVAL, m2m_ranges6_merge(good, 1, good, 0, combine,
					     &calls, &r, &n));
}

/* ---- parsing ---- */

TEST(pfx_parse_accepts)
{
	struct m2m_pfx4 p4;
	struct m2m_pfx6 p6;
	const char *why = "unset";

	ASSERT_EQ(AF_INET, m2m_pfx_parse("10.0.0.0/8", &p4, &p6, &why));
	EXPECT_EQ(0x0a000000U, p4.addr);
	EXPECT_EQ(8, p4.len);
	EXPECT_EQ(0U, p4.value);
	EXPECT_EQ(NULL, why);

	ASSERT_EQ(AF_INET, m2m_pfx_parse("10.1.2.3", &p4, &p6, &why));
	EXPECT_EQ(0x0a010203U, p4.addr);
	EXPECT_EQ(32, p4.len);

	ASSERT_EQ(AF_INET, m2m_pfx_parse("0.0.0.0/0", &p4, &p6, &why));
	EXPECT_EQ(0, p4.len);

	ASSERT_EQ(AF_INET, m2m_pfx_parse("255.255.255.255/32", &p4, &p6,
					 &why));
	EXPECT_EQ(0xffffffffU, p4.addr);

	ASSERT_EQ(AF_INET6, m2m_pfx_parse("2001:db8::/32", &p4, &p6, &why));
	EXPECT_EQ(0x20010db800000000ULL, p6.hi);
	EXPECT_EQ(0ULL, p6.lo);
	EXPECT_EQ(32, p6.len);

	ASSERT_EQ(AF_INET6, m2m_pfx_parse("::1", &p4, &p6, &why));
	EXPECT_EQ(0ULL, p6.hi);
	EXPECT_EQ(1ULL, p6.lo);
	EXPECT_EQ(128, p6.len);

	ASSERT_EQ(AF_INET6, m2m_pfx_parse("::/0", &p4, &p6, &why));
	EXPECT_EQ(0, p6.len);

	ASSERT_EQ(AF_INET6, m2m_pfx_parse("::ffff:10.0.0.0/104", &p4, &p6,
					  &why));
	EXPECT_EQ(0xffff0a000000ULL, p6.lo);
}

static const char *reject(const char *text)
{
	struct m2m_pfx4 p4;
	struct m2m_pfx6 p6;
	const char *why = NULL;

	if (m2m_pfx_parse(text, &p4, &p6, &why))
		return "(accepted)";
	return why ? why : "(no reason)";
}

TEST(pfx_parse_rejects_with_reason)
{
	EXPECT_STREQ("bad address", reject(""));
	EXPECT_STREQ("bad address", reject("/8"));
	EXPECT_STREQ("bad address", reject("10.0.0.256/8"));
	EXPECT_STREQ("bad address", reject("10.0.0/24"));
	EXPECT_STREQ("bad address", reject(" 10.0.0.0/8"));
	EXPECT_STREQ("bad address", reject("fe80::1%eth0"));
	EXPECT_STREQ("bad address", reject("2001:db8:::/48"));
	EXPECT_STREQ("bad address", reject("example.com"));
	EXPECT_STREQ("bad prefix length", reject("10.0.0.0/"));
	EXPECT_STREQ("bad prefix length", reject("10.0.0.0/33"));
	EXPECT_STREQ("bad prefix length", reject("10.0.0.0/-1"));
	EXPECT_STREQ("bad prefix length", reject("10.0.0.0/08"));
	EXPECT_STREQ("bad prefix length", reject("10.0.0.0/8 "));
	EXPECT_STREQ("bad prefix length", reject("10.0.0.0/8/8"));
	EXPECT_STREQ("bad prefix length", reject("::/129"));
	EXPECT_STREQ("bad prefix length", reject("::/99999999999"));
	EXPECT_STREQ("host bits set (did you mean 10.0.0.0/8?)",
		     reject("10.1.2.3/8"));
	EXPECT_STREQ("host bits set (did you mean 0.0.0.0/0?)",
		     reject("1.0.0.0/0"));
	EXPECT_STREQ("host bits set (did you mean 2001:db8::/32?)",
		     reject("2001:db8::1/32"));
	EXPECT_STREQ("host bits set (did you mean 2001:db8:0:1::/64?)",
		     reject("2001:db8:0:1:8000::/64"));
}

TEST_HARNESS_MAIN
