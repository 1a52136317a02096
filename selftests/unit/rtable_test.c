// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the range tables (kmod/rtable.c), in userspace.
 *
 * Every table built here is checked against a naive reference: a linear
 * scan over the boundary list where that is affordable, a binary search
 * over it (itself checked against the scan) where it is not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The harness itself trips -Wextra; keep -Werror for our own code. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "rtable_ref.h"

#define SEED	0x6d326d67756172dULL	/* fixed: failures must reproduce */

/* ---- helpers, IPv4 ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Turn n candidate starts into a valid boundary list in place: sorted,
 * unique, first at 0, random values up to maxv. Returns the new count.
 */
static uint32_t make4(struct m2m_range4 *r, uint32_t *starts, uint32_t n,
		      uint32_t maxv, uint64_t *rng)
{
	uint32_t i, m = 0;

	starts[n++] = 0;
	qsort(starts, n, sizeof(*starts), cmp_u32);
	for (i = 0; i < n; i++) {
		if (m && starts[i] == r[m - 1].start)
			continue;
		r[m].start = starts[i];
		r[m].value = ref_rand(rng) % ((uint64_t)maxv + 1);
		m++;
	}
	return m;
}

static struct m2m_rtable4 *build4(const struct m2m_range4 *r, uint32_t n)
{
	struct m2m_rtable4 *t = NULL;
	int err = m2m_rtable4_build(&t, r, n, ~0U);

	if (err)
		fprintf(stderr, "# ipv4 table: error %d\n", err);
	return err ? NULL : t;
}

static int diff4(const struct m2m_rtable4 *t, uint32_t addr, uint32_t want)
{
	uint32_t got = m2m_rtable4_lookup(t, addr);

	if (got == want)
		return 0;
	fprintf(stderr, "# ipv4 %#x: got %u, want %u\n", addr, got, want);
	return 1;
}

/* Mismatches over [first, last] against the linear scan. */
static int scan4(const struct m2m_rtable4 *t, const struct m2m_range4 *r,
		 uint32_t n, uint32_t first, uint32_t last)
{
	int bad = 0;
	uint32_t a = first;

	do {
		bad += diff4(t, a, ref4_linear(r, n, a));
	} while (a++ != last && bad < 10);
	return bad;
}

/* Mismatches just around every boundary, against the binary search. */
static int around4(const struct m2m_rtable4 *t, const struct m2m_range4 *r,
		   uint32_t n)
{
	uint32_t i, a;
	int d, bad = 0;

	for (i = 0; i < n && bad < 10; i++) {
		for (d = -2; d <= 2; d++) {
			a = r[i].start + d;
			bad += diff4(t, a, ref4_bsearch(r, n, a));
		}
	}
	return bad;
}

/* ---- helpers, IPv6 ---- */

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

static uint32_t make6(struct m2m_range6 *r, u128 *starts, uint32_t n,
		      uint32_t maxv, uint64_t *rng)
{
	uint32_t i, m = 0;

	starts[n++] = 0;
	qsort(starts, n, sizeof(*starts), cmp_u128);
	for (i = 0; i < n; i++) {
		if (m && starts[i] == ref6_start(&r[m - 1]))
			continue;
		r[m].start_hi = starts[i] >> 64;
		r[m].start_lo = (uint64_t)starts[i];
		r[m].value = ref_rand(rng) % ((uint64_t)maxv + 1);
		r[m].pad = 0;
		m++;
	}
	return m;
}

static struct m2m_rtable6 *build6(const struct m2m_range6 *r, uint32_t n)
{
	struct m2m_rtable6 *t = NULL;
	int err = m2m_rtable6_build(&t, r, n, ~0U);

	if (err)
		fprintf(stderr, "# ipv6 table: error %d\n", err);
	return err ? NULL : t;
}

static void print6(const char *what, u128 a)
{
	fprintf(stderr, "# %s %016llx%016llx\n", what,
		(unsigned long long)(a >> 64), (unsigned long long)a);
}

static int diff6(const struct m2m_rtable6 *t, u128 addr, uint32_t want)
{
	uint32_t got = rt6_lookup128(t, addr);

	if (got == want)
		return 0;
	print6("ipv6", addr);
	fprintf(stderr, "#   got %u, want %u\n", got, want);
	return 1;
}

static int scan6(const struct m2m_rtable6 *t, const struct m2m_range6 *r,
		 uint32_t n, u128 first, u128 last)
{
	int bad = 0;
	u128 a = first;

	do {
		bad += diff6(t, a, ref6_linear(r, n, a));
	} while (a++ != last && bad < 10);
	return bad;
}

static int around6(const struct m2m_rtable6 *t, const struct m2m_range6 *r,
		   uint32_t n)
{
	uint32_t i;
	int d, bad = 0;
	u128 a;

	for (i = 0; i < n && bad < 10; i++) {
		for (d = -2; d <= 2; d++) {
			a = ref6_start(&r[i]) + (u128)(__int128)d;
			bad += diff6(t, a, ref6_bsearch(r, n, a));
		}
	}
	return bad;
}

static u128 mk128(uint64_t hi, uint64_t lo)
{
	return (u128)hi << 64 | lo;
}

/* ---- IPv4 ---- */

TEST(ipv4_empty_table_is_all_zero)
{
	struct m2m_range4 r[] = { { 0, 0 } };
	struct m2m_rtable4 *t = build4(r, 1);
	uint64_t rng = SEED;
	int i;

	ASSERT_NE(NULL, t);
	EXPECT_EQ(0U, m2m_rtable4_lookup(t, 0));
	EXPECT_EQ(0U, m2m_rtable4_lookup(t, 0xffffffff));
	for (i = 0; i < 100000; i++)
		EXPECT_EQ(0U, m2m_rtable4_lookup(t, ref_rand(&rng)));
	EXPECT_EQ(1U, t->t.nrec[M2M_RT_K16]);
	EXPECT_EQ(1U << M2M_RT_ROOT_BITS, t->t.nnode);
	EXPECT_LT(0U, m2m_rtable4_size(t));
	m2m_rtable4_free(t);
}

TEST(ipv4_one_range_covers_everything)
{
	struct m2m_range4 r[] = { { 0, 0xffffffff } };
	struct m2m_rtable4 *t = build4(r, 1);

	ASSERT_NE(NULL, t);
	EXPECT_EQ(0xffffffffU, m2m_rtable4_lookup(t, 0));
	EXPECT_EQ(0xffffffffU, m2m_rtable4_lookup(t, 0x80000000));
	EXPECT_EQ(0xffffffffU, m2m_rtable4_lookup(t, 0xffffffff));
	m2m_rtable4_free(t);
}

TEST(ipv4_edges_of_the_space)
{
	struct m2m_range4 r[] = {
		{ 0, 1 }, { 1, 2 }, { 2, 0 }, { 0x7fffffff, 3 },
		{ 0x80000000, 4 }, { 0xfffffffe, 5 }, { 0xffffffff, 6 },
	};
	struct m2m_rtable4 *t = build4(r, 7);

	ASSERT_NE(NULL, t);
	EXPECT_EQ(1U, m2m_rtable4_lookup(t, 0));
	EXPECT_EQ(2U, m2m_rtable4_lookup(t, 1));
	EXPECT_EQ(0U, m2m_rtable4_lookup(t, 2));
	EXPECT_EQ(0U, m2m_rtable4_lookup(t, 0x7ffffffe));
	EXPECT_EQ(3U, m2m_rtable4_lookup(t, 0x7fffffff));
	EXPECT_EQ(4U, m2m_rtable4_lookup(t, 0x80000000));
	EXPECT_EQ(4U, m2m_rtable4_lookup(t, 0xfffffffd));
	EXPECT_EQ(5U, m2m_rtable4_lookup(t, 0xfffffffe));
	EXPECT_EQ(6U, m2m_rtable4_lookup(t, 0xffffffff));
	EXPECT_EQ(0, around4(t, r, 7));
	m2m_rtable4_free(t);
}

TEST(ipv4_single_address_ranges)
{
	struct m2m_range4 r[4097];
	struct m2m_rtable4 *t;
	uint32_t i, n = 0;

	/* Every address of 10.0.0.0/20 its own range; a leaf can't hold it. */
	r[n++] = (struct m2m_range4){ 0, 0 };
	for (i = 0; i < 4096; i++)
		r[n++] = (struct m2m_range4){ 0x0a000000 + i, i + 1 };
	t = build4(r, n);
	ASSERT_NE(NULL, t);
	EXPECT_LT(1U << M2M_RT_ROOT_BITS, t->t.nnode);
	EXPECT_EQ(0, scan4(t, r, n, 0x09ffff00, 0x0a001100));
	m2m_rtable4_free(t);
}

TEST(ipv4_adjacent_equal_values_merge)
{
	struct m2m_range4 r[] = {
		{ 0, 0 }, { 100, 7 }, { 101, 7 }, { 200, 7 }, { 300, 0 },
		{ 0x10000, 0 }, { 0x10005, 9 }, { 0xffffff00, 9 },
	};
	struct m2m_rtable4 *t = build4(r, 8);

	ASSERT_NE(NULL, t);
	EXPECT_EQ(4U, t->t.nrec[M2M_RT_K16]);
	EXPECT_EQ(0, scan4(t, r, 8, 0, 0x20000));
	EXPECT_EQ(0, around4(t, r, 8));
	m2m_rtable4_free(t);
}

TEST(ipv4_chunk_boundaries)
{
	static struct m2m_range4 r[4000];
	static uint32_t starts[4000];
	uint64_t rng = SEED;
	uint32_t i, k, n = 0;
	struct m2m_rtable4 *t;

	/* Starts at, just before and just after multiples of 2^16 and 2^8. */
	for (i = 0; i < 600; i++) {
		k = ref_rand(&rng) % 0x10000;
		starts[n++] = k << 16;
		starts[n++] = (k << 16) - 1;
		starts[n++] = (k << 16) + 1;
		starts[n++] = (0x0a0b0000 | (i % 256) << 8) - (i & 1);
	}
	n = make4(r, starts, n, 1000, &rng);
	t = build4(r, n);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(0, around4(t, r, n));
	EXPECT_EQ(0, scan4(t, r, n, 0x0a0aff00, 0x0a0c0100));
	m2m_rtable4_free(t);
}

TEST(ipv4_exhaustive_small_tables)
{
	struct m2m_range4 r[65];
	uint32_t starts[65];
	uint64_t rng = SEED;
	struct m2m_rtable4 *t;
	uint32_t i, k, n, base;

	/* Many tiny tables, each checked on every address of its window. */
	for (k = 0; k < 300; k++) {
		base = (ref_rand(&rng) % 4 == 0) ? 0 : (uint32_t)ref_rand(&rng);
		base &= ~0x3ffU;
		n = ref_rand(&rng) % 64;
		for (i = 0; i < n; i++)
			starts[i] = base + ref_rand(&rng) % 1024;
		n = make4(r, starts, n, k % 3 ? 3 : 100, &rng);
		t = build4(r, n);
		ASSERT_NE(NULL, t);
		ASSERT_EQ(0, scan4(t, r, n, base ? base - 1 : 0, base + 1024));
		m2m_rtable4_free(t);
	}
}

TEST(ipv4_dense_chunks_nest)
{
	static struct m2m_range4 r[30001];
	static uint32_t starts[30001];
	uint64_t rng = SEED;
	uint32_t i, a, n = 0;
	struct m2m_rtable4 *t;
	int bad = 0;

	/* 20000 starts in one /16, 8000 in one /24 of it, 2000 in a /28. */
	for (i = 0; i < 20000; i++)
		starts[n++] = 0xc0a80000 | (ref_rand(&rng) & 0xffff);
	for (i = 0; i < 8000; i++)
		starts[n++] = 0xc0a81200 | (ref_rand(&rng) & 0xff);
	for (i = 0; i < 2000; i++)
		starts[n++] = 0xc0a81230 | (ref_rand(&rng) & 0xf);
	n = make4(r, starts, n, 5, &rng);
	t = build4(r, n);
	ASSERT_NE(NULL, t);

	for (a = 0xc0a7ff00; a <= 0xc0a90100 && bad < 10; a++)
		bad += diff4(t, a, ref4_bsearch(r, n, a));
	EXPECT_EQ(0, bad);
	for (i = 0; i < 2000; i++) {
		a = 0xc0a80000 | (ref_rand(&rng) & 0xffff);
		ASSERT_EQ(ref4_linear(r, n, a), ref4_bsearch(r, n, a));
	}
	m2m_rtable4_free(t);
}

TEST(ipv4_100k_random_ranges)
{
	uint32_t *starts = malloc(150001 * sizeof(*starts));
	struct m2m_range4 *r = malloc(150001 * sizeof(*r));
	uint64_t rng = SEED;
	uint32_t i, a, n = 0;
	struct m2m_rtable4 *t;
	uint64_t x;
	int bad = 0;

	ASSERT_NE(NULL, starts);
	ASSERT_NE(NULL, r);
	for (i = 0; i < 100000; i++)
		starts[n++] = ref_rand(&rng);
	for (i = 0; i < 50000; i++)		/* and some clusters */
		starts[n++] = (ref_rand(&rng) % 64) << 22 |
			      (ref_rand(&rng) & 0xfff);
	n = make4(r, starts, n, 65535, &rng);
	ASSERT_LT(100000U, n);
	t = build4(r, n);
	ASSERT_NE(NULL, t);

	for (i = 0; i < 1000000 && bad < 10; i++) {
		x = ref_rand(&rng);
		a = x;
		if (i & 1)	/* half near a cluster */
			a = (x % 64) << 22 | (x >> 40 & 0x1fff);
		bad += diff4(t, a, ref4_bsearch(r, n, a));
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, around4(t, r, n));
	for (i = 0; i < 500; i++) {
		a = ref_rand(&rng);
		ASSERT_EQ(ref4_linear(r, n, a), ref4_bsearch(r, n, a));
	}
	m2m_rtable4_free(t);
	free(starts);
	free(r);
}

TEST(ipv4_rejects_bad_input)
{
	struct m2m_range4 ok[] = { { 0, 1 }, { 10, 2 }, { 20, 3 } };
	struct m2m_range4 r[3];
	struct m2m_rtable4 *t = NULL;
	uint32_t at = ~0U;

	EXPECT_EQ(-EINVAL, m2m_rtable4_build(&t, ok, 0, 3));

	memcpy(r, ok, sizeof(r));
	r[0].start = 1;
	EXPECT_EQ(-EINVAL, m2m_rtable4_build(&t, r, 3, 3));
	EXPECT_EQ(-EINVAL, m2m_rtable4_validate(r, 3, 3, &at));
	EXPECT_EQ(0U, at);

	memcpy(r, ok, sizeof(r));
	r[2].start = 5;				/* unsorted */
	EXPECT_EQ(-EINVAL, m2m_rtable4_build(&t, r, 3, 3));
	EXPECT_EQ(-EINVAL, m2m_rtable4_validate(r, 3, 3, &at));
	EXPECT_EQ(2U, at);

	memcpy(r, ok, sizeof(r));
	r[2].start = 10;			/* duplicate start */
	EXPECT_EQ(-EINVAL, m2m_rtable4_build(&t, r, 3, 3));
	EXPECT_EQ(-EINVAL, m2m_rtable4_validate(r, 3, 3, &at));
	EXPECT_EQ(2U, at);

	EXPECT_EQ(-EINVAL, m2m_rtable4_build(&t, ok, 3, 2));
	EXPECT_EQ(-EINVAL, m2m_rtable4_validate(ok, 3, 2, &at));
	EXPECT_EQ(2U, at);

	EXPECT_EQ(NULL, t);
	EXPECT_EQ(0, m2m_rtable4_validate(ok, 3, 3, &at));
	EXPECT_EQ(0, m2m_rtable4_build(&t, ok, 3, 3));
	m2m_rtable4_free(t);
}

TEST(ipv4_limit_on_boundaries)
{
	uint32_t n = M2M_RTABLE_MAX + 1, i;
	struct m2m_range4 *r = malloc(n * sizeof(*r));
	struct m2m_rtable4 *t = NULL;
	uint64_t rng = SEED;
	uint32_t a;
	int bad = 0;

	ASSERT_NE(NULL, r);
	for (i = 0; i < n; i++)
		r[i] = (struct m2m_range4){ i * 1000, i & 0xff };
	EXPECT_EQ(-E2BIG, m2m_rtable4_build(&t, r, n, ~0U));
	EXPECT_EQ(-E2BIG, m2m_rtable4_validate(r, n, ~0U, NULL));
	EXPECT_EQ(NULL, t);

	ASSERT_EQ(0, m2m_rtable4_build(&t, r, n - 1, ~0U));
	for (i = 0; i < 100000 && bad < 10; i++) {
		a = ref_rand(&rng);
		bad += diff4(t, a, ref4_bsearch(r, n - 1, a));
	}
	EXPECT_EQ(0, bad);
	m2m_rtable4_free(t);
	free(r);
}

/* ---- IPv6 ---- */

TEST(ipv6_empty_table_is_all_zero)
{
	struct m2m_range6 r[] = { { 0, 0, 0, 0 } };
	struct m2m_rtable6 *t = build6(r, 1);
	uint64_t rng = SEED;
	int i;

	ASSERT_NE(NULL, t);
	EXPECT_EQ(0U, m2m_rtable6_lookup(t, 0, 0));
	EXPECT_EQ(0U, m2m_rtable6_lookup(t, ~0ULL, ~0ULL));
	for (i = 0; i < 100000; i++)
		EXPECT_EQ(0U, rt6_lookup128(t, mk128(ref_rand(&rng),
							ref_rand(&rng))));
	EXPECT_EQ(1U, t->t.nrec[M2M_RT_K16]);
	EXPECT_EQ(0U, t->t.nrec[M2M_RT_WIDE]);
	m2m_rtable6_free(t);
}

TEST(ipv6_one_range_covers_everything)
{
	struct m2m_range6 r[] = { { 0, 0, 77, 0 } };
	struct m2m_rtable6 *t = build6(r, 1);

	ASSERT_NE(NULL, t);
	EXPECT_EQ(77U, m2m_rtable6_lookup(t, 0, 0));
	EXPECT_EQ(77U, m2m_rtable6_lookup(t, 0x20010db8ULL << 32, 1));
	EXPECT_EQ(77U, m2m_rtable6_lookup(t, ~0ULL, ~0ULL));
	m2m_rtable6_free(t);
}

TEST(ipv6_edges_of_the_space)
{
	struct m2m_range6 r[] = {
		{ 0, 0, 1, 0 }, { 0, 1, 2, 0 }, { 0, 2, 0, 0 },
		{ 1, 0, 3, 0 }, { 0x8000000000000000ULL, 0, 4, 0 },
		{ ~0ULL, 0, 5, 0 }, { ~0ULL, ~0ULL - 1, 6, 0 },
		{ ~0ULL, ~0ULL, 7, 0 },
	};
	struct m2m_rtable6 *t = build6(r, 8);

	ASSERT_NE(NULL, t);
	EXPECT_EQ(1U, m2m_rtable6_lookup(t, 0, 0));
	EXPECT_EQ(2U, m2m_rtable6_lookup(t, 0, 1));
	EXPECT_EQ(0U, m2m_rtable6_lookup(t, 0, ~0ULL));
	EXPECT_EQ(3U, m2m_rtable6_lookup(t, 1, 0));
	EXPECT_EQ(3U, m2m_rtable6_lookup(t, 0x7fffffffffffffffULL, ~0ULL));
	EXPECT_EQ(4U, m2m_rtable6_lookup(t, 0x8000000000000000ULL, 0));
	EXPECT_EQ(4U, m2m_rtable6_lookup(t, ~0ULL - 1, ~0ULL));
	EXPECT_EQ(5U, m2m_rtable6_lookup(t, ~0ULL, 0));
	EXPECT_EQ(5U, m2m_rtable6_lookup(t, ~0ULL, ~0ULL - 2));
	EXPECT_EQ(6U, m2m_rtable6_lookup(t, ~0ULL, ~0ULL - 1));
	EXPECT_EQ(7U, m2m_rtable6_lookup(t, ~0ULL, ~0ULL));
	EXPECT_EQ(0, around6(t, r, 8));
	m2m_rtable6_free(t);
}

TEST(ipv6_boundaries_inside_a_64)
{
	struct m2m_range6 r[600];
	uint64_t net = 0x20010db800000000ULL;
	struct m2m_rtable6 *t;
	uint32_t i, n = 0;

	/*
	 * Single addresses inside 2001:db8::/64, a range ending inside the
	 * next /64, one /64 whose first boundary is at its start, and one
	 * that starts with a non-zero lower half.
	 */
	r[n++] = (struct m2m_range6){ 0, 0, 0, 0 };
	for (i = 0; i < 256; i++)
		r[n++] = (struct m2m_range6){ net, 2 * i + 1, i + 1, 0 };
	r[n++] = (struct m2m_range6){ net + 1, 10, 1000, 0 };
	r[n++] = (struct m2m_range6){ net + 2, 0, 1001, 0 };
	r[n++] = (struct m2m_range6){ net + 2, 1ULL << 63, 1002, 0 };
	r[n++] = (struct m2m_range6){ net + 4, 5, 0, 0 };
	t = build6(r, n);
	ASSERT_NE(NULL, t);
	EXPECT_LT(0U, t->t.nrec[M2M_RT_WIDE]);
	EXPECT_EQ(0, scan6(t, r, n, mk128(net, 0), mk128(net, 600)));
	EXPECT_EQ(0, scan6(t, r, n, mk128(net - 1, ~0ULL - 3),
			   mk128(net - 1, ~0ULL)));
	EXPECT_EQ(0, scan6(t, r, n, mk128(net, ~0ULL - 3),
			   mk128(net + 1, 20)));
	EXPECT_EQ(0, scan6(t, r, n, mk128(net + 3, ~0ULL - 3),
			   mk128(net + 4, 20)));
	EXPECT_EQ(0, around6(t, r, n));
	EXPECT_EQ(1000U, m2m_rtable6_lookup(t, net + 1, ~0ULL));
	EXPECT_EQ(1002U, m2m_rtable6_lookup(t, net + 3, 0));
	m2m_rtable6_free(t);
}

TEST(ipv6_adjacent_equal_values_merge)
{
	struct m2m_range6 r[] = {
		{ 0, 0, 0, 0 }, { 5, 0, 7, 0 }, { 5, 9, 7, 0 },
		{ 6, 0, 7, 0 }, { 7, 3, 8, 0 }, { 7, 4, 8, 0 },
		{ 9, 0, 0, 0 },
	};
	struct m2m_rtable6 *t = build6(r, 7);

	ASSERT_NE(NULL, t);
	/* Kept: 0, 5 (7), 7:3 (8), 9 (0), in one leaf of whole addresses. */
	EXPECT_EQ(4U, t->t.nrec[M2M_RT_WIDE]);
	EXPECT_EQ(0, around6(t, r, 7));
	EXPECT_EQ(0, scan6(t, r, 7, mk128(7, 0), mk128(7, 10)));
	m2m_rtable6_free(t);
}

TEST(ipv6_chunk_boundaries)
{
	static struct m2m_range6 r[3001];
	static u128 starts[3001];
	uint64_t rng = SEED;
	struct m2m_rtable6 *t;
	uint32_t i, n = 0;
	uint64_t k;

	/* Starts at, just before and just after multiples of 2^112. */
	for (i = 0; i < 1000; i++) {
		k = ref_rand(&rng) % 0x10000;
		starts[n++] = (u128)k << 112;
		starts[n++] = ((u128)k << 112) - 1;
		starts[n++] = ((u128)k << 112) + ((u128)1 << 64);
	}
	n = make6(r, starts, n, 9, &rng);
	t = build6(r, n);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(0, around6(t, r, n));
	m2m_rtable6_free(t);
}

/* Random IPv6 starts, shaped like real tables: clustered, mostly /64s. */
static u128 random6(uint64_t *rng)
{
	uint64_t x = ref_rand(rng), hi, lo = 0;

	switch (x % 8) {
	case 0:		/* anywhere */
		return mk128(ref_rand(rng), ref_rand(rng));
	case 1:		/* inside one /48, some /64s split */
		hi = 0x2a0a000000000000ULL | (ref_rand(rng) & 0xffff);
		if (x & 0x100)
			lo = ref_rand(rng) >> (x >> 16 & 63);
		return mk128(hi, lo);
	case 2:		/* inside one /64 */
		return mk128(0x2001067c00000001ULL, ref_rand(rng));
	default:	/* in a few busy /16s, /32 to /64 starts */
		hi = (0x2001ULL + (x >> 8) % 4 * 0x9ff) << 48;
		hi |= ref_rand(rng) >> 16 & ~0ULL << (x >> 20 & 31);
		return mk128(hi, 0);
	}
}

TEST(ipv6_keys_of_every_width)
{
	static const unsigned int scale[] = {
		8, 12, 15, 16, 17, 18, 20, 24, 28, 31, 32, 33, 34, 36, 40, 44,
	};
	uint32_t i, k, j, n, kinds[M2M_RT_KINDS] = { 0 };
	struct m2m_range6 r[202];
	uint64_t rng = SEED, span;
	u128 starts[202], base;
	struct m2m_rtable6 *t;

	/*
	 * Clusters of /64 boundaries inside regions of 2^scale /64s, so that
	 * leaves end up spanning 2^16 and 2^32 keys and just over: the
	 * edges between 16-bit, 32-bit and whole keys.
	 */
	for (k = 0; k < ARRAY_SIZE(scale) * 8; k++) {
		span = 1ULL << scale[k % ARRAY_SIZE(scale)];
		base = (u128)(0x2a00000000000000ULL +
			      (ref_rand(&rng) & ~(span - 1) & ((1ULL << 48) - 1)))
		       << 64;
		n = 20 + k % 180;
		for (i = 0; i < n; i++)
			starts[i] = base + ((u128)(ref_rand(&rng) % span) << 64);
		n = make6(r, starts, n, 7, &rng);
		t = build6(r, n);
		ASSERT_NE(NULL, t);
		for (j = 0; j < M2M_RT_KINDS; j++)
			kinds[j] += t->t.nrec[j];
		ASSERT_EQ(0, around6(t, r, n));
		for (i = 0; i < 2000; i++) {
			u128 a = base + ((u128)(ref_rand(&rng) % span) << 64) +
				 ref_rand(&rng);

			ASSERT_EQ(0, diff6(t, a, ref6_bsearch(r, n, a)));
		}
		m2m_rtable6_free(t);
	}
	EXPECT_LT(0U, kinds[M2M_RT_K16]);
	EXPECT_LT(0U, kinds[M2M_RT_K32]);
	EXPECT_LT(0U, kinds[M2M_RT_K64]);
	EXPECT_EQ(0U, kinds[M2M_RT_WIDE]);
}

TEST(ipv6_leaves_just_over_16_bits)
{
	u128 *starts = malloc(140001 * sizeof(*starts));
	struct m2m_range6 *r = malloc(140001 * sizeof(*r));
	uint64_t rng = SEED, chunk = 0x2a0bULL << 48;
	uint64_t dense = chunk | 5ULL << 32;
	struct m2m_rtable6 *t;
	uint32_t i, n = 0;
	int bad = 0;
	u128 a;

	/*
	 * 140000 boundaries in one /16 give its root entry a child of 2^16
	 * entries, each over 2^32 keys; half of them in one of those give
	 * it a child of 2^15 entries, whose leaves span 2^17 keys.
	 */
	ASSERT_NE(NULL, starts);
	ASSERT_NE(NULL, r);
	for (i = 0; i < 70000; i++) {
		starts[n++] = (u128)(chunk | (ref_rand(&rng) >> 16)) << 64;
		starts[n++] = (u128)(dense | (ref_rand(&rng) >> 32)) << 64;
	}
	n = make6(r, starts, n, 1000, &rng);
	t = build6(r, n);
	ASSERT_NE(NULL, t);
	EXPECT_LT(0U, t->t.nrec[M2M_RT_K32]);

	EXPECT_EQ(0, around6(t, r, n));
	for (i = 0; i < 200000 && bad < 10; i++) {
		a = (u128)(dense | (ref_rand(&rng) >> 32)) << 64 |
		    ref_rand(&rng);
		bad += diff6(t, a, ref6_bsearch(r, n, a));
	}
	EXPECT_EQ(0, bad);
	m2m_rtable6_free(t);
	free(starts);
	free(r);
}

TEST(ipv6_exhaustive_small_tables)
{
	struct m2m_range6 r[65];
	u128 starts[65], base;
	uint64_t rng = SEED;
	struct m2m_rtable6 *t;
	uint32_t i, k, n;

	for (k = 0; k < 300; k++) {
		base = random6(&rng) & ~(u128)0x3ff;
		n = ref_rand(&rng) % 64;
		for (i = 0; i < n; i++)
			starts[i] = base + ref_rand(&rng) % 1024;
		n = make6(r, starts, n, k % 3 ? 3 : 100, &rng);
		t = build6(r, n);
		ASSERT_NE(NULL, t);
		ASSERT_EQ(0, scan6(t, r, n, base ? base - 1 : 0,
				   base + 1024));
		ASSERT_EQ(0, around6(t, r, n));
		m2m_rtable6_free(t);
	}
}

TEST(ipv6_100k_random_ranges)
{
	u128 *starts = malloc(150001 * sizeof(*starts));
	struct m2m_range6 *r = malloc(150001 * sizeof(*r));
	uint64_t rng = SEED;
	struct m2m_rtable6 *t;
	uint32_t i, n = 0;
	int bad = 0;
	u128 a;

	ASSERT_NE(NULL, starts);
	ASSERT_NE(NULL, r);
	for (i = 0; i < 150000; i++)
		starts[n++] = random6(&rng);
	n = make6(r, starts, n, 65535, &rng);
	ASSERT_LT(100000U, n);
	t = build6(r, n);
	ASSERT_NE(NULL, t);
	EXPECT_LT(1U << M2M_RT_ROOT_BITS, t->t.nnode);
	EXPECT_LT(1000U, t->t.nrec[M2M_RT_WIDE]);

	for (i = 0; i < 1000000 && bad < 10; i++) {
		a = random6(&rng);
		if (i & 1)
			a += ref_rand(&rng) >> (i & 63);
		bad += diff6(t, a, ref6_bsearch(r, n, a));
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, around6(t, r, n));
	for (i = 0; i < 500; i++) {
		a = random6(&rng);
		ASSERT_EQ(ref6_linear(r, n, a), ref6_bsearch(r, n, a));
	}
	m2m_rtable6_free(t);
	free(starts);
	free(r);
}

TEST(ipv6_rejects_bad_input)
{
	struct m2m_range6 ok[] = {
		{ 0, 0, 1, 0 }, { 0, 10, 2, 0 }, { 4, 0, 3, 0 },
	};
	struct m2m_range6 r[3];
	struct m2m_rtable6 *t = NULL;
	uint32_t at = ~0U;

	EXPECT_EQ(-EINVAL, m2m_rtable6_build(&t, ok, 0, 3));
	EXPECT_EQ(-E2BIG, m2m_rtable6_validate(ok, M2M_RTABLE_MAX + 1, 3,
					       NULL));

	memcpy(r, ok, sizeof(r));
	r[0].start_lo = 1;			/* first start not :: */
	EXPECT_EQ(-EINVAL, m2m_rtable6_build(&t, r, 3, 3));
	EXPECT_EQ(-EINVAL, m2m_rtable6_validate(r, 3, 3, &at));
	EXPECT_EQ(0U, at);

	memcpy(r, ok, sizeof(r));
	r[2].start_hi = 0;
	r[2].start_lo = 9;			/* unsorted, lower half */
	EXPECT_EQ(-EINVAL, m2m_rtable6_build(&t, r, 3, 3));
	EXPECT_EQ(-EINVAL, m2m_rtable6_validate(r, 3, 3, &at));
	EXPECT_EQ(2U, at);

	memcpy(r, ok, sizeof(r));
	r[2].start_hi = 0;
	r[2].start_lo = 10;			/* duplicate start */
	EXPECT_EQ(-EINVAL, m2m_rtable6_build(&t, r, 3, 3));
	EXPECT_EQ(-EINVAL, m2m_rtable6_validate(r, 3, 3, &at));
	EXPECT_EQ(2U, at);

	memcpy(r, ok, sizeof(r));
	r[1].pad = 1;
	EXPECT_EQ(-EINVAL, m2m_rtable6_build(&t, r, 3, 3));
	EXPECT_EQ(-EINVAL, m2m_rtable6_validate(r, 3, 3, &at));
	EXPECT_EQ(1U, at);

	EXPECT_EQ(-EINVAL, m2m_rtable6_build(&t, ok, 3, 2));
	EXPECT_EQ(-EINVAL, m2m_rtable6_validate(ok, 3, 2, &at));
	EXPECT_EQ(2U, at);

	EXPECT_EQ(NULL, t);
	EXPECT_EQ(0, m2m_rtable6_build(&t, ok, 3, 3));
	m2m_rtable6_free(t);
}

TEST_HARNESS_MAIN
