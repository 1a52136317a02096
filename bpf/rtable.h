/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Range table lookups: the lookups of include/m2mguard/rtable.h, step for
 * step, on the same records, in the maps bpf/m2mguard.h describes.
 *
 * A lookup first fetches the table's two arrays, its index and its
 * leaves, as pointers to their map values; every read after that is an
 * offset checked against the array's size, which the verifier knows from
 * the policy's shape, so it needs no further map lookup. An array too
 * large for one map value is read chunk by chunk, a map lookup a read.
 * The loops are bounded by the depth and the widest leaf of this policy's
 * tables, which the verifier knows too.
 */
#ifndef _M2MGUARD_BPF_RTABLE_H
#define _M2MGUARD_BPF_RTABLE_H

#include "maps.h"

/* One array of a table, ready to read. */
struct m2m_bpf_array {
	void *map;
	const __u8 *base;	/* the array, NULL when chunked */
	__u64 bytes;
	bool chunked;
};

static __always_inline void
m2m_bpf_array_open(struct m2m_bpf_array *a, void *map,
		   const volatile struct m2m_bpf_mem *mem)
{
	__u32 zero = 0;

	a->map = map;
	a->bytes = mem->bytes;
	a->chunked = mem->chunked;
	a->base = a->chunked ? NULL : bpf_map_lookup_elem(map, &zero);
}

/* Where SIZE bytes at OFF of array A are, or NULL outside it. */
static __always_inline const __u8 *m2m_bpf_at(const struct m2m_bpf_array *a,
					      __u64 off, __u64 size)
{
	const __u8 *chunk;
	__u32 c;

	if (!a->chunked) {
		if (!a->base || off > a->bytes - size)
			return NULL;
		return a->base + off;
	}
	c = off >> M2M_BPF_CHUNK_SHIFT;
	chunk = bpf_map_lookup_elem(a->map, &c);
	if (!chunk)
		return NULL;
	/* Elements are aligned, so none straddles two chunks. */
	return chunk + (off & (M2M_BPF_CHUNK - size));
}

static __always_inline __u64 m2m_bpf_u64(const struct m2m_bpf_array *a,
					 __u64 off)
{
	const __u8 *p = m2m_bpf_at(a, off, 8);

	return p ? *(const __u64 *)p : 0;
}

static __always_inline __u32 m2m_bpf_u32(const struct m2m_bpf_array *a,
					 __u64 off)
{
	const __u8 *p = m2m_bpf_at(a, off, 4);

	return p ? *(const __u32 *)p : 0;
}

static __always_inline __u16 m2m_bpf_u16(const struct m2m_bpf_array *a,
					 __u64 off)
{
	const __u8 *p = m2m_bpf_at(a, off, 2);

	return p ? *(const __u16 *)p : 0;
}

/* Table T: its two arrays. */
struct m2m_bpf_rtab {
	struct m2m_bpf_array index;
	struct m2m_bpf_array leaves;
	int t;
};

static __always_inline void m2m_bpf_rtab_open(struct m2m_bpf_rtab *tb,
					       int t)
{
	void *index[] = { &m2m_dst4_index, &m2m_dst6_index,
			  &m2m_src4_index, &m2m_src6_index };
	void *leaves[] = { &m2m_dst4_leaves, &m2m_dst6_leaves,
			   &m2m_src4_leaves, &m2m_src6_leaves };

	tb->t = t;
	m2m_bpf_array_open(&tb->index, index[t], &m2m_cfg.rt[t].index);
	if (!m2m_cfg.rt[t].joined) {
		m2m_bpf_array_open(&tb->leaves, leaves[t],
				   &m2m_cfg.rt[t].leaves);
		return;
	}

	/* The leaves follow the index, in the same map value. */
	tb->leaves.map = index[t];
	tb->leaves.chunked = false;
	tb->leaves.bytes = m2m_cfg.rt[t].leaves.bytes;
	tb->leaves.base = tb->index.base ?
			  tb->index.base + tb->index.bytes : NULL;
}

/* Walk the index from the root down to the leaf entry covering key. */
static __always_inline __u32 m2m_bpf_rt_leaf(const struct m2m_bpf_rtab *tb,
					     __u64 key, unsigned int shift)
{
	__u32 depth = m2m_cfg.rt[tb->t].depth;
	__u32 e = m2m_bpf_u32(&tb->index, (key >> shift) * 4);
	unsigned int d, s;

	for (d = 0; d < M2M_BPF_DEPTH_MAX; d++) {
		if (d >= depth || !(e & M2M_RT_NODE))
			break;
		s = M2M_RT_STRIDE(e);
		shift -= s;
		e = m2m_bpf_u32(&tb->index,
				(M2M_RT_CHILD(e) +
				 ((key >> shift) & ((1U << s) - 1))) * 4);
	}
	return e;
}

/*
 * Position of x among the n (at most 16) records of a leaf from FIRST,
 * whose keys of SIZE bytes start at KEYS: the last whose key is at or
 * below x, as m2m_rt_rank16() and friends find it.
 */
static __always_inline __u64 m2m_bpf_rt_rank(const struct m2m_bpf_rtab *tb,
					     __u64 keys, unsigned int size,
					     __u64 first, __u32 n, __u64 x)
{
	__u64 p = first, k;
	__u32 half, i;

	for (i = 0; i < 4; i++) {
		if (n <= 1)
			break;
		half = n >> 1;
		if (size == 2)
			k = m2m_bpf_u16(&tb->leaves, keys + (p + half) * 2);
		else if (size == 4)
			k = m2m_bpf_u32(&tb->leaves, keys + (p + half) * 4);
		else
			k = m2m_bpf_u64(&tb->leaves, keys + (p + half) * 8);
		if (k <= x)
			p += half;
		n -= half;
	}
	return p;
}

/* The value of record I of the array of u32 values at VALUES. */
static __always_inline __u32 m2m_bpf_rt_value(const struct m2m_bpf_rtab *tb,
					      __u64 values, __u64 i)
{
	return m2m_bpf_u32(&tb->leaves, values + i * 4);
}

/* Value of the last record at or below (hi, lo) in the wide leaf at p. */
static __always_inline __u32 m2m_bpf_rt_wide(const struct m2m_bpf_rtab *tb,
					     __u64 p, __u64 hi, __u64 lo)
{
	__u64 base = m2m_cfg.rt[tb->t].wide, r;
	__u32 steps = m2m_cfg.rt[tb->t].wide_steps, n, half, i;
	__u64 h, l;

	r = base + p * sizeof(struct m2m_rt_wide);
	n = m2m_bpf_u64(&tb->leaves, r + 16) >> 32;
	for (i = 0; i < M2M_BPF_WIDE_STEPS_MAX; i++) {
		if (i >= steps || n <= 1)
			break;
		half = n >> 1;
		r = base + (p + half) * sizeof(struct m2m_rt_wide);
		h = m2m_bpf_u64(&tb->leaves, r);
		l = m2m_bpf_u64(&tb->leaves, r + 8);
		if (h < hi || (h == hi && l <= lo))
			p += half;
		n -= half;
	}
	r = base + p * sizeof(struct m2m_rt_wide);
	return m2m_bpf_u32(&tb->leaves, r + 16);
}

/* Look up a host-order IPv4 address in table T. */
static __always_inline __u32 m2m_bpf_rt4_lookup(int t, __u32 addr)
{
	struct m2m_bpf_rtab tb;
	__u64 i;
	__u32 e;

	m2m_bpf_rtab_open(&tb, t);
	e = m2m_bpf_rt_leaf(&tb, addr, 32 - M2M_RT_ROOT_BITS);
	i = m2m_bpf_rt_rank(&tb, m2m_cfg.rt[t].key16, 2, M2M_RT_FIRST(e),
			    M2M_RT_COUNT(e), (__u16)addr);
	return m2m_bpf_rt_value(&tb, m2m_cfg.rt[t].value16, i);
}

/* Look up an IPv6 address, given as host-order halves, in table T. */
static __always_inline __u32 m2m_bpf_rt6_lookup(int t, __u64 hi, __u64 lo)
{
	struct m2m_bpf_rtab tb;
	__u32 e, n;
	__u64 first, i;

	m2m_bpf_rtab_open(&tb, t);
	e = m2m_bpf_rt_leaf(&tb, hi, 64 - M2M_RT_ROOT_BITS);
	first = M2M_RT_FIRST(e);
	n = M2M_RT_COUNT(e);

	switch (M2M_RT_KIND(e)) {
	case M2M_RT_K16:
		i = m2m_bpf_rt_rank(&tb, m2m_cfg.rt[t].key16, 2, first, n,
				    (__u16)hi);
		return m2m_bpf_rt_value(&tb, m2m_cfg.rt[t].value16, i);
	case M2M_RT_K32:
		i = m2m_bpf_rt_rank(&tb, m2m_cfg.rt[t].key32, 4, first, n,
				    (__u32)hi);
		return m2m_bpf_rt_value(&tb, m2m_cfg.rt[t].value32, i);
	case M2M_RT_K64:
		i = m2m_bpf_rt_rank(&tb, m2m_cfg.rt[t].key64, 8, first, n,
				    hi);
		return m2m_bpf_rt_value(&tb, m2m_cfg.rt[t].value64, i);
	}
	return m2m_bpf_rt_wide(&tb, first, hi, lo);
}

#endif /* _M2MGUARD_BPF_RTABLE_H */
