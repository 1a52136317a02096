/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address range tables: every address of a family maps to a u32 value.
 *
 * The same header serves the kernel module, m2mctl and the tests. The
 * input is a flat list of boundaries sorted by strictly increasing start;
 * boundary i covers [start_i, start_{i+1} - 1], the last one runs to the
 * top of the address space, and the first must start at address 0. Value 0
 * conventionally means "nothing". kmod/rtable.c explains the layout.
 */
#ifndef _M2MGUARD_RTABLE_H
#define _M2MGUARD_RTABLE_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stddef.h>
#endif

/* Most boundaries accepted for one family. */
#define M2M_RTABLE_MAX		(4U << 20)

/* Input boundary, IPv4. Host byte order. */
struct m2m_range4 {
	__u32 start;
	__u32 value;
};

/* Input boundary, IPv6. Host order; hi holds the first 8 address bytes. */
struct m2m_range6 {
	__u64 start_hi;
	__u64 start_lo;
	__u32 value;
	__u32 pad;		/* must be 0 */
};

/*
 * m2m_rtable{4,6}_validate() - check a boundary list without building.
 * Returns 0; -EINVAL if n is 0, the first start is not address 0, starts
 * do not strictly increase, a value exceeds max_value or a pad is not 0,
 * storing the offending index in *bad unless bad is NULL; -E2BIG if n
 * exceeds M2M_RTABLE_MAX.
 *
 * m2m_rtable{4,6}_build() - validate, then build a table in *out.
 * Returns 0, a validation error as above, -E2BIG if the layout outgrows
 * its index fields (not reachable within M2M_RTABLE_MAX in practice) or
 * -ENOMEM. The input may be freed afterwards. In the kernel it may sleep.
 *
 * A built table is read only: lookups take no locks and never allocate,
 * so readers need only keep it alive (RCU), and any number may run at
 * once. m2m_rtable{4,6}_size() is the memory it holds, in bytes.
 */
struct m2m_rtable4;
struct m2m_rtable6;

int m2m_rtable4_validate(const struct m2m_range4 *r, __u32 n,
			 __u32 max_value, __u32 *bad);
int m2m_rtable6_validate(const struct m2m_range6 *r, __u32 n,
			 __u32 max_value, __u32 *bad);
int m2m_rtable4_build(struct m2m_rtable4 **out, const struct m2m_range4 *r,
		      __u32 n, __u32 max_value);
int m2m_rtable6_build(struct m2m_rtable6 **out, const struct m2m_range6 *r,
		      __u32 n, __u32 max_value);
size_t m2m_rtable4_size(const struct m2m_rtable4 *t);
size_t m2m_rtable6_size(const struct m2m_rtable6 *t);
void m2m_rtable4_free(struct m2m_rtable4 *t);
void m2m_rtable6_free(struct m2m_rtable6 *t);

/*
 * The built table. Its layout is private to rtable.c and to the lookups
 * below, which are inline to be fast: callers only build, look up,
 * measure and free.
 */

/* The root node indexes the top 16 bits of the key. */
#define M2M_RT_ROOT_BITS	16
/* A leaf holds at most this many records (the count field has 4 bits). */
#define M2M_RT_LEAF_MAX		16

/* Node entry linking to a child: its stride, index of its first entry. */
#define M2M_RT_NODE		0x80000000U
#define M2M_RT_STRIDE_SHIFT	26
#define M2M_RT_CHILD_MAX	((1U << M2M_RT_STRIDE_SHIFT) - 1)
#define M2M_RT_STRIDE(e)	((e) >> M2M_RT_STRIDE_SHIFT & 0x1f)
#define M2M_RT_CHILD(e)		((e) & M2M_RT_CHILD_MAX)

/* Leaf entry: kind of records, how many, index of the first. */
#define M2M_RT_KIND_SHIFT	28
#define M2M_RT_COUNT_SHIFT	24
#define M2M_RT_FIRST_MAX	((1U << M2M_RT_COUNT_SHIFT) - 1)
#define M2M_RT_KIND(e)		((e) >> M2M_RT_KIND_SHIFT & 0x7)
#define M2M_RT_COUNT(e)		(((e) >> M2M_RT_COUNT_SHIFT & 0xf) + 1)
#define M2M_RT_FIRST(e)		((e) & M2M_RT_FIRST_MAX)

enum m2m_rt_kind {
	M2M_RT_K16,		/* keys are the low 16 bits */
	M2M_RT_K32,		/* keys are the low 32 bits */
	M2M_RT_K64,		/* keys are the upper half of an IPv6 address */
	M2M_RT_WIDE,		/* whole IPv6 addresses, any number */
	M2M_RT_KINDS
};

struct m2m_rt_wide {
	__u64 hi;
	__u64 lo;
	__u32 value;
	__u32 count;		/* records in the leaf, in its first one */
};

struct m2m_rtable {
	const __u32 *node;
	const __u16 *key16;
	const __u32 *value16;
	const __u32 *key32;
	const __u32 *value32;
	const __u64 *key64;
	const __u32 *value64;
	const struct m2m_rt_wide *wide;
	__u32 nnode;
	__u32 nrec[M2M_RT_KINDS];
	size_t bytes;
};

struct m2m_rtable4 {
	struct m2m_rtable t;
};

struct m2m_rtable6 {
	struct m2m_rtable t;
};

/* Walk the index from the root down to the leaf entry covering key. */
static inline __u32 m2m_rt_leaf(const __u32 *node, __u64 key,
				unsigned int shift)
{
	__u32 e = node[key >> shift];
	unsigned int s;

	while (e & M2M_RT_NODE) {
		s = M2M_RT_STRIDE(e);
		shift -= s;
		e = node[M2M_RT_CHILD(e) + ((key >> shift) & ((1U << s) - 1))];
	}
	return e;
}

/*
 * Position of x in a leaf of n records: the last whose key is <= x. Key 0
 * is never compared, as every address of the leaf's region is at or above
 * it. The search halves the window by moving its start, which the
 * compiler turns into conditional moves: no mispredicted branches.
 */
static inline __u32 m2m_rt_rank16(const __u16 *k, __u32 n, __u16 x)
{
	const __u16 *p = k;
	__u32 half;

	while (n > 1) {
		half = n >> 1;
		p += p[half] <= x ? half : 0;
		n -= half;
	}
	return p - k;
}

static inline __u32 m2m_rt_rank32(const __u32 *k, __u32 n, __u32 x)
{
	const __u32 *p = k;
	__u32 half;

	while (n > 1) {
		half = n >> 1;
		p += p[half] <= x ? half : 0;
		n -= half;
	}
	return p - k;
}

static inline __u32 m2m_rt_rank64(const __u64 *k, __u32 n, __u64 x)
{
	const __u64 *p = k;
	__u32 half;

	while (n > 1) {
		half = n >> 1;
		p += p[half] <= x ? half : 0;
		n -= half;
	}
	return p - k;
}

/* Look up a host-order IPv4 address. */
static inline __u32 m2m_rtable4_lookup(const struct m2m_rtable4 *t4,
				       __u32 addr)
{
	const struct m2m_rtable *t = &t4->t;
	__u32 e = m2m_rt_leaf(t->node, addr, 32 - M2M_RT_ROOT_BITS);
	__u32 i = M2M_RT_FIRST(e);
	__u32 n = M2M_RT_COUNT(e);

	return t->value16[i + m2m_rt_rank16(t->key16 + i, n, addr)];
}

/* Value of the last record at or below (hi, lo) in a whole-address leaf. */
static inline __u32 m2m_rt_wide_lookup(const struct m2m_rt_wide *r,
				       __u64 hi, __u64 lo)
{
	__u32 n = r->count, half;

	while (n > 1) {
		half = n >> 1;
		if (r[half].hi < hi || (r[half].hi == hi && r[half].lo <= lo))
			r += half;
		n -= half;
	}
	return r->value;
}

/* Look up an IPv6 address given as its host-order upper and lower halves. */
static inline __u32 m2m_rtable6_lookup(const struct m2m_rtable6 *t6,
				       __u64 hi, __u64 lo)
{
	const struct m2m_rtable *t = &t6->t;
	__u32 e = m2m_rt_leaf(t->node, hi, 64 - M2M_RT_ROOT_BITS);
	__u32 i = M2M_RT_FIRST(e);
	__u32 n = M2M_RT_COUNT(e);

	switch (M2M_RT_KIND(e)) {
	case M2M_RT_K16:
		return t->value16[i + m2m_rt_rank16(t->key16 + i, n, hi)];
	case M2M_RT_K32:
		return t->value32[i + m2m_rt_rank32(t->key32 + i, n, hi)];
	case M2M_RT_K64:
		return t->value64[i + m2m_rt_rank64(t->key64 + i, n, hi)];
	}
	return m2m_rt_wide_lookup(t->wide + i, hi, lo);
}

#endif /* _M2MGUARD_RTABLE_H */
