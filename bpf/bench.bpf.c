// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict program of m2mguard.bpf.c with its range lookups swapped
 * out, for selftests/bench/bench_bpf.c:
 *
 *	rtable	the datapath's own lookups (rtable.h)
 *	none	no lookup: the values are handed in through .bss
 *	lpm	BPF LPM tries holding the same ranges as prefixes
 *	sorted	a direct index on the top 16 bits into the sorted boundary
 *		list, then a bounded binary search: the simplest BPF-friendly
 *		alternative to the DXR index
 *
 * Everything after the lookups is the same code. The loop programs look
 * up LOOKUP_BATCH random addresses per run, to see the lookups alone on
 * addresses spread over the whole table.
 */
#include "maps.h"
#include "flow.h"
#include "rtable.h"
#include "verdict.h"
#include "bench.h"

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define LOOKUP_BATCH	256

enum { V_RTABLE, V_NONE, V_LPM, V_SORTED };

/* ---- none ---- */

__u32 bench_src;
__u32 bench_dst;

/* ---- lpm ---- */

struct lpm4 {
	__u32 prefixlen;
	__u32 addr;		/* network order */
};

struct lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

#define LPM_MAP(name, key_type)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__uint(max_entries, 1);					\
		__type(key, key_type);					\
		__type(value, __u32);					\
	} name SEC(".maps")

LPM_MAP(lpm_dst4, struct lpm4);
LPM_MAP(lpm_dst6, struct lpm6);
LPM_MAP(lpm_src4, struct lpm4);
LPM_MAP(lpm_src6, struct lpm6);

static __always_inline __u32 lpm4_lookup(void *map, __u32 addr)
{
	struct lpm4 k = { 32, bpf_htonl(addr) };
	__u32 *v = bpf_map_lookup_elem(map, &k);

	return v ? *v : 0;
}

static __always_inline __u32 lpm6_lookup(void *map, __u64 hi, __u64 lo)
{
	struct lpm6 k = { .prefixlen = 128 };
	__u32 *v;

	*(__u64 *)&k.addr[0] = bpf_cpu_to_be64(hi);
	*(__u64 *)&k.addr[8] = bpf_cpu_to_be64(lo);
	v = bpf_map_lookup_elem(map, &k);
	return v ? *v : 0;
}

/* ---- sorted ---- */

const volatile struct sorted_table sorted[M2M_BPF_TABLES] = {};

M2M_RT_MAP(sorted_dst4_idx);
M2M_RT_MAP(sorted_dst4_key);
M2M_RT_MAP(sorted_dst4_value);
M2M_RT_MAP(sorted_dst6_idx);
M2M_RT_MAP(sorted_dst6_key);
M2M_RT_MAP(sorted_dst6_value);
M2M_RT_MAP(sorted_src4_idx);
M2M_RT_MAP(sorted_src4_key);
M2M_RT_MAP(sorted_src4_value);
M2M_RT_MAP(sorted_src6_idx);
M2M_RT_MAP(sorted_src6_key);
M2M_RT_MAP(sorted_src6_value);

struct sorted_arrays {
	struct m2m_bpf_array idx, key, value;
};

static __always_inline void sorted_open(int t, struct sorted_arrays *a)
{
	void *maps[M2M_BPF_TABLES][3] = {
		{ &sorted_dst4_idx, &sorted_dst4_key, &sorted_dst4_value },
		{ &sorted_dst6_idx, &sorted_dst6_key, &sorted_dst6_value },
		{ &sorted_src4_idx, &sorted_src4_key, &sorted_src4_value },
		{ &sorted_src6_idx, &sorted_src6_key, &sorted_src6_value },
	};

	m2m_bpf_array_open(&a->idx, maps[t][0], &sorted[t].idx);
	m2m_bpf_array_open(&a->key, maps[t][1], &sorted[t].key);
	m2m_bpf_array_open(&a->value, maps[t][2], &sorted[t].value);
}

/* The boundaries that can hold the answer for top-16-bit region TOP. */
static __always_inline void sorted_window(const struct sorted_arrays *a,
					  __u64 top, __u64 *p, __u32 *n)
{
	__u32 first = m2m_bpf_u32(&a->idx, top * 4);
	__u32 end = m2m_bpf_u32(&a->idx, (top + 1) * 4);

	*p = first ? first - 1 : 0;
	*n = end - *p;
}

static __always_inline __u32 sorted4_lookup(int t, __u32 addr)
{
	struct sorted_arrays a;
	__u32 steps = sorted[t].steps, n, half, i;
	__u64 p;

	sorted_open(t, &a);
	sorted_window(&a, addr >> 16, &p, &n);
	for (i = 0; i < 24 && i < steps && n > 1; i++) {
		half = n >> 1;
		if (m2m_bpf_u32(&a.key, (p + half) * 4) <= addr)
			p += half;
		n -= half;
	}
	return m2m_bpf_u32(&a.value, p * 4);
}

static __always_inline __u32 sorted6_lookup(int t, __u64 hi, __u64 lo)
{
	struct sorted_arrays a;
	__u32 steps = sorted[t].steps, n, half, i;
	__u64 p, h;

	sorted_open(t, &a);
	sorted_window(&a, hi >> 48, &p, &n);
	for (i = 0; i < 24 && i < steps && n > 1; i++) {
		half = n >> 1;
		h = m2m_bpf_u64(&a.key, (p + half) * 16);
		if (h < hi ||
		    (h == hi && m2m_bpf_u64(&a.key, (p + half) * 16 + 8) <= lo))
			p += half;
		n -= half;
	}
	return m2m_bpf_u32(&a.value, p * 4);
}

/* ---- the variants ---- */

static __always_inline __u32 src_value(const struct m2m_flow *f, int v)
{
	bool v6 = f->family == M2M_AF_INET6;

	switch (v) {
	case V_NONE:
		return bench_src;
	case V_LPM:
		return v6 ? lpm6_lookup(&lpm_src6, f->src6_hi, f->src6_lo) :
			    lpm4_lookup(&lpm_src4, f->src4);
	case V_SORTED:
		return v6 ? sorted6_lookup(M2M_BPF_SRC6, f->src6_hi,
					   f->src6_lo) :
			    sorted4_lookup(M2M_BPF_SRC4, f->src4);
	}
	return v6 ? m2m_bpf_rt6_lookup(M2M_BPF_SRC6, f->src6_hi, f->src6_lo) :
		    m2m_bpf_rt4_lookup(M2M_BPF_SRC4, f->src4);
}

static __always_inline __u32 dst_value(const struct m2m_flow *f, int v)
{
	bool v6 = f->family == M2M_AF_INET6;

	switch (v) {
	case V_NONE:
		return bench_dst;
	case V_LPM:
		return v6 ? lpm6_lookup(&lpm_dst6, f->dst6_hi, f->dst6_lo) :
			    lpm4_lookup(&lpm_dst4, f->dst4);
	case V_SORTED:
		return v6 ? sorted6_lookup(M2M_BPF_DST6, f->dst6_hi,
					   f->dst6_lo) :
			    sorted4_lookup(M2M_BPF_DST4, f->dst4);
	}
	return v6 ? m2m_bpf_rt6_lookup(M2M_BPF_DST6, f->dst6_hi, f->dst6_lo) :
		    m2m_bpf_rt4_lookup(M2M_BPF_DST4, f->dst4);
}

/* m2m_tc_policy() with lookups of variant V. */
static __always_inline int bench_tc(struct __sk_buff *skb, int v)
{
	struct m2m_flow f = {};
	__u32 src, dst, len;

	if (!m2m_cfg.loaded || !m2m_flow(skb, &f, &len))
		return TC_ACT_OK;
	src = src_value(&f, v);
	dst = dst_value(&f, v);
	return m2m_judge(&f, src, dst, len, false) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int bench_rtable(struct __sk_buff *skb)
{
	return bench_tc(skb, V_RTABLE);
}

SEC("tc")
int bench_none(struct __sk_buff *skb)
{
	return bench_tc(skb, V_NONE);
}

SEC("tc")
int bench_lpm(struct __sk_buff *skb)
{
	return bench_tc(skb, V_LPM);
}

SEC("tc")
int bench_sorted(struct __sk_buff *skb)
{
	return bench_tc(skb, V_SORTED);
}

/* ---- lookups alone, on random addresses ---- */

struct batch {
	__u64 x;		/* xorshift state */
	__u32 sum;		/* keeps the lookups from being optimised out */
	int v;
};

/* 1: the same addresses every time, as one flow's packets. */
__u32 bench_hot;

static __always_inline __u64 next(struct batch *b)
{
	if (bench_hot)
		return b->x;
	b->x ^= b->x << 13;
	b->x ^= b->x >> 7;
	b->x ^= b->x << 17;
	return b->x;
}

/* One IPv4 and one IPv6 destination lookup of variant B->v. */
static __always_inline long lookup_one(struct batch *b, int v)
{
	struct m2m_flow f = { .family = M2M_AF_INET };

	f.dst4 = next(b);
	b->sum += dst_value(&f, v);
	f.family = M2M_AF_INET6;
	f.dst6_hi = (next(b) & ~(7ULL << 61)) | 1ULL << 61;	/* 2000::/3 */
	f.dst6_lo = next(b);
	b->sum += dst_value(&f, v);
	return 0;
}

static long lookup_rtable(__u32 i, void *ctx)
{
	return lookup_one(ctx, V_RTABLE);
}

static long lookup_none(__u32 i, void *ctx)
{
	return lookup_one(ctx, V_NONE);
}

static long lookup_lpm(__u32 i, void *ctx)
{
	return lookup_one(ctx, V_LPM);
}

static long lookup_sorted(__u32 i, void *ctx)
{
	return lookup_one(ctx, V_SORTED);
}

__u64 bench_seed = 88172645463325252ULL;

static __always_inline int batch(void *fn)
{
	struct batch b = { .x = bench_seed };

	bpf_loop(LOOKUP_BATCH, fn, &b, 0);
	bench_seed = b.x;
	return b.sum & 1;
}

SEC("tc")
int loop_rtable(struct __sk_buff *skb)
{
	return batch(lookup_rtable);
}

SEC("tc")
int loop_none(struct __sk_buff *skb)
{
	return batch(lookup_none);
}

SEC("tc")
int loop_lpm(struct __sk_buff *skb)
{
	return batch(lookup_lpm);
}

SEC("tc")
int loop_sorted(struct __sk_buff *skb)
{
	return batch(lookup_sorted);
}

char LICENSE[] SEC("license") = "GPL";
