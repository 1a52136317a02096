// SPDX-License-Identifier: GPL-2.0
/*
 * Address range tables: validate, build, measure, free. The lookups are
 * inline in include/m2mguard/rtable.h.
 *
 * Theory of operation
 *
 * A table maps every address of a family to the value of the last input
 * boundary at or below it. Neighbouring boundaries with equal values are
 * one range, so they are merged first. IPv4 addresses are 32-bit keys.
 * IPv6 addresses are keyed on their upper half; the lower half matters
 * only where a boundary falls inside a /64, which is rare.
 *
 * The index is a tree of u32 entries in one array, after DXR: the root
 * has 2^16 entries, one per value of the top 16 key bits, since most such
 * regions hold a single range. A region holding few boundaries is a leaf;
 * a busy one gets a child node of 2^s entries over the next s bits, with
 * s picked so that each child sees about four boundaries, and so on down.
 * Strides adapt because the data is lumpy: one IPv6 /16 holds 67,000
 * boundaries, and one /32 in it 23,000.
 *
 *   node entry: 1 | stride (5 bits) | index of the child's first entry
 *   leaf entry: 0 | kind (3) | records - 1 (4) | index of the first record
 *
 * A leaf is at most 16 consecutive records: a key array and a value array
 * side by side. Record 0 is the boundary in force where the leaf's region
 * starts, so it is never compared and a binary search over the others
 * finds the answer in at most four steps, within a cache line or two.
 * Within a region of 2^shift keys only the low shift bits vary, so keys
 * are kept as narrow as that allows: 16 bits (every IPv4 leaf), 32 bits,
 * or the whole upper half. Leaves are written in address order, so record
 * 0 is usually the last record of the leaf before and is stored once: the
 * IPv4 tables hold one record per boundary. A leaf whose region has a
 * boundary inside a /64 is "wide": whole addresses, any count, searched
 * the same way.
 *
 * Worked example, IPv4, with values A..D:
 *
 *   0.0.0.0 0,  10.0.0.0 A,  10.0.0.128 B,  10.0.1.0 0,  10.1.0.5 C,
 *   and 40 boundaries 10.2.x.0 for x = 0, 6, 12, ... 234, valued D, 0,
 *   D, 0, ...
 *
 * Records (16-bit keys):  0: 0000 0    1: 0000 A    2: 0080 B
 *                         3: 0100 0    4: 0005 C    5: 0000 D
 *                         6: 0600 0    ...         10: 1e00 0
 *                        11: 2400 D   12: 2a00 0    ...
 *
 * Root entries:     0..2559  leaf, 1 record from 0 (shared by all)
 *                      2560  leaf, 3 records from 1 (10.0/16)
 *                      2561  leaf, 2 records from 3 (10.1/16; record 3
 *                            is shared with 10.0/16)
 *                      2562  node, stride 4: 40 boundaries, so 16
 *                            children of 4096 addresses, 10.2.0.0/20 ...
 *                   2563...  leaf, 1 record from 44 (10.2.234.0, 0)
 *
 * Lookup of 10.2.37.1 (0x0a022501): root[0x0a02] is the node; the next 4
 * bits, 2, select its third child, the leaf of 10.2.32.0/20 with records
 * 10..12. Keys 0x2400 and 0x2a00 are compared with 0x2501: one is below,
 * so the answer is record 11, D.
 *
 * With the full Tor geoip files and 10,000 endpoint prefixes the tables
 * take about 3 MiB (IPv4) and 5 MiB (IPv6).
 */

#include <m2mguard/rtable.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#define rt_alloc(n, size)	kvmalloc_array(n, size, GFP_KERNEL_ACCOUNT)
#define rt_free(p)		kvfree(p)
#define rt_yield()		cond_resched()
#else
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#define rt_alloc(n, size)	reallocarray(NULL, n, size)
#define rt_free(p)		free(p)
#define rt_yield()		do { } while (0)
#endif

/* A child node has at most 2^RT_STRIDE_MAX entries... */
#define RT_STRIDE_MAX		16
/* ...and about count / 2^RT_SHRINK of them for count boundaries. */
#define RT_SHRINK		2
/* Deepest possible walk: the root, then one bit per level. */
#define RT_DEPTH_MAX		(64 - M2M_RT_ROOT_BITS + 1)
/* Each array of the table starts on its own cache line. */
#define RT_ALIGN		64

struct rt_frame {
	__u64 base;		/* first key of the node's region */
	__u32 first;		/* index of the node's first entry */
	__u32 next;		/* next child to visit */
	unsigned int stride;	/* log2 of the number of entries */
	unsigned int shift;	/* log2 of the keys one entry covers */
};

struct rt_build {
	const struct m2m_range4 *r4;	/* the input of one family... */
	const struct m2m_range6 *r6;	/* ...the other is NULL */
	__u32 *kept;			/* input left after merging */
	__u32 nkept;
	unsigned int width;		/* bits of the index key: 32 or 64 */
	struct rt_frame *stack;

	__u32 *node;			/* all NULL while only counting */
	__u16 *key16;
	__u32 *value16;
	__u32 *key32;
	__u32 *value32;
	__u64 *key64;
	__u32 *value64;
	struct m2m_rt_wide *wide;

	__u64 nnode;
	__u32 nrec[M2M_RT_KINDS];
	__u32 nleaf;
	__u32 last;			/* the previous leaf's last record... */
	__u32 last_kept;		/* ...the boundary it holds... */
	unsigned int last_kind;		/* ...and its kind */
};

/* ---- validation ---- */

static int rt_check_count(__u32 n)
{
	if (n == 0)
		return -EINVAL;
	if (n > M2M_RTABLE_MAX)
		return -E2BIG;
	return 0;
}

static int rt_reject(__u32 *bad, __u32 i)
{
	if (bad)
		*bad = i;
	return -EINVAL;
}

int m2m_rtable4_validate(const struct m2m_range4 *r, __u32 n,
			 __u32 max_value, __u32 *bad)
{
	int err = rt_check_count(n);
	__u32 i;

	if (err)
		return err;
	if (r[0].start != 0)
		return rt_reject(bad, 0);

	for (i = 0; i < n; i++) {
		if (r[i].value > max_value)
			return rt_reject(bad, i);
		if (i && r[i].start <= r[i - 1].start)
			return rt_reject(bad, i);
	}
	return 0;
}

static bool rt6_ascending(const struct m2m_range6 *a,
			  const struct m2m_range6 *b)
{
	if (a->start_hi != b->start_hi)
		return a->start_hi < b->start_hi;
	return a->start_lo < b->start_lo;
}

int m2m_rtable6_validate(const struct m2m_range6 *r, __u32 n,
			 __u32 max_value, __u32 *bad)
{
	int err = rt_check_count(n);
	__u32 i;

	if (err)
		return err;
	if (r[0].start_hi != 0 || r[0].start_lo != 0)
		return rt_reject(bad, 0);

	for (i = 0; i < n; i++) {
		if (r[i].value > max_value || r[i].pad)
			return rt_reject(bad, i);
		if (i && !rt6_ascending(&r[i - 1], &r[i]))
			return rt_reject(bad, i);
	}
	return 0;
}

/* ---- reading the merged input ---- */

static __u64 rt_hi(const struct rt_build *b, __u32 i)
{
	__u32 k = b->kept[i];

	return b->r4 ? b->r4[k].start : b->r6[k].start_hi;
}

static __u64 rt_lo(const struct rt_build *b, __u32 i)
{
	return b->r4 ? 0 : b->r6[b->kept[i]].start_lo;
}

static __u32 rt_value(const struct rt_build *b, __u32 i)
{
	__u32 k = b->kept[i];

	return b->r4 ? b->r4[k].value : b->r6[k].value;
}

/* Adjacent boundaries with the same value are one range: keep the first. */
static void rt_keep(struct rt_build *b, __u32 n)
{
	__u32 i;

	b->nkept = 0;
	for (i = 0; i < n; i++) {
		if (i && (b->r4 ? b->r4[i].value == b->r4[i - 1].value :
				  b->r6[i].value == b->r6[i - 1].value))
			continue;
		b->kept[b->nkept++] = i;
	}
}

/* Index of the last kept boundary at or below (hi, lo); 0 starts at 0. */
static __u32 rt_last_le(const struct rt_build *b, __u64 hi, __u64 lo)
{
	__u32 first = 0, end = b->nkept;	/* answer in [first, end) */
	__u32 mid;
	__u64 h;

	while (end - first > 1) {
		mid = first + (end - first) / 2;
		h = rt_hi(b, mid);
		if (h < hi || (h == hi && rt_lo(b, mid) <= lo))
			first = mid;
		else
			end = mid;
	}
	return first;
}

/* ---- leaves ---- */

static bool rt_any_lo(const struct rt_build *b, __u32 first, __u32 last)
{
	for (; first <= last; first++)
		if (rt_lo(b, first))
			return true;
	return false;
}

/* Narrowest keys that order the records of a leaf spanning 2^shift keys. */
static unsigned int rt_kind(const struct rt_build *b, __u32 i0, __u32 count,
			    unsigned int shift)
{
	if (b->r6 && count > 1 && rt_any_lo(b, i0 + 1, i0 + count - 1))
		return M2M_RT_WIDE;
	if (count == 1 || shift <= 16)
		return M2M_RT_K16;
	return shift <= 32 ? M2M_RT_K32 : M2M_RT_K64;
}

/* Store kept boundary i as record pos of the given kind. */
static void rt_put(struct rt_build *b, unsigned int kind, __u32 pos, __u32 i)
{
	__u64 hi = rt_hi(b, i);
	__u32 value = rt_value(b, i);

	if (!b->node)
		return;

	switch (kind) {
	case M2M_RT_K16:
		b->key16[pos] = hi;
		b->value16[pos] = value;
		break;
	case M2M_RT_K32:
		b->key32[pos] = hi;
		b->value32[pos] = value;
		break;
	case M2M_RT_K64:
		b->key64[pos] = hi;
		b->value64[pos] = value;
		break;
	default:
		b->wide[pos].hi = hi;
		b->wide[pos].lo = rt_lo(b, i);
		b->wide[pos].value = value;
		b->wide[pos].count = 0;
	}
}

static void rt_set(struct rt_build *b, __u32 slot, __u32 e)
{
	if (b->node)
		b->node[slot] = e;
}

/*
 * Make entry slot a leaf over kept boundaries i0..i0+count-1. Leaves are
 * laid out in address order, so boundary i0 is often the previous leaf's
 * last record, and is then shared rather than stored again.
 */
static int rt_leaf(struct rt_build *b, __u32 slot, __u32 i0, __u32 count,
		   unsigned int shift)
{
	unsigned int kind = rt_kind(b, i0, count, shift);
	bool shared = b->nleaf && i0 == b->last_kept &&
		      kind == b->last_kind && kind != M2M_RT_WIDE;
	__u32 first = shared ? b->last : b->nrec[kind];
	__u32 i;

	if (first + (__u64)count > M2M_RT_FIRST_MAX)
		return -E2BIG;
	for (i = shared; i < count; i++)
		rt_put(b, kind, first + i, i0 + i);
	if (kind == M2M_RT_WIDE && b->node)
		b->wide[first].count = count;

	b->nrec[kind] = first + count;
	b->last = first + count - 1;
	b->last_kept = i0 + count - 1;
	b->last_kind = kind;
	b->nleaf++;

	if (kind == M2M_RT_WIDE)
		count = 1;
	rt_set(b, slot, kind << M2M_RT_KIND_SHIFT |
			(count - 1) << M2M_RT_COUNT_SHIFT | first);
	return 0;
}

/* ---- nodes ---- */

static unsigned int rt_order(__u32 n)
{
	unsigned int k = 0;

	while ((1ULL << k) < n)
		k++;
	return k;
}

/* Enough entries that each covers a few records on average. */
static unsigned int rt_stride(__u32 count, unsigned int shift)
{
	unsigned int s = rt_order(count);

	s = s > RT_SHRINK ? s - RT_SHRINK : 1;
	if (s > RT_STRIDE_MAX)
		s = RT_STRIDE_MAX;
	return s < shift ? s : shift;
}

/* Make entry slot link to a new child node, pushed on the stack. */
static int rt_node(struct rt_build *b, unsigned int *depth, __u32 slot,
		   __u64 base, __u32 count)
{
	struct rt_frame *f = &b->stack[*depth - 1];
	unsigned int s = rt_stride(count, f->shift);
	struct rt_frame *child;

	if (b->nnode + (1U << s) > M2M_RT_CHILD_MAX)
		return -E2BIG;
	rt_set(b, slot, M2M_RT_NODE | s << M2M_RT_STRIDE_SHIFT |
			(__u32)b->nnode);

	child = &b->stack[(*depth)++];
	child->base = base;
	child->first = b->nnode;
	child->next = 0;
	child->stride = s;
	child->shift = f->shift - s;
	b->nnode += 1U << s;
	return 0;
}

/*
 * Entry slot just became a leaf of the one boundary i0. The entries after
 * it in the same node whose regions start no boundary either would each
 * be the same leaf, sharing its record: fill them in one go, so that
 * laying out the 2^16 root entries of a sparse table costs little more
 * than storing them.
 */
static void rt_repeat(struct rt_build *b, struct rt_frame *f, __u32 slot,
		      __u32 i0)
{
	__u32 end = 1U << f->stride;
	__u64 idx;

	/* The entry whose region holds the next boundary is not the same. */
	if (i0 + 1 < b->nkept) {
		idx = (rt_hi(b, i0 + 1) - f->base) >> f->shift;
		if (idx < end)
			end = idx;
	}
	for (; f->next < end; f->next++) {
		rt_set(b, ++slot, M2M_RT_K16 << M2M_RT_KIND_SHIFT | b->last);
		b->nleaf++;
	}
}

/* Fill in the next entry of the node on top of the stack. */
static int rt_visit(struct rt_build *b, unsigned int *depth)
{
	struct rt_frame *f = &b->stack[*depth - 1];
	__u32 c = f->next++;
	__u32 slot = f->first + c;
	__u64 base = f->base + ((__u64)c << f->shift);
	__u64 last = base + ((1ULL << f->shift) - 1);
	__u32 i0 = rt_last_le(b, base, 0);
	__u32 count = rt_last_le(b, last, ~0ULL) - i0 + 1;
	int err;

	if (count <= M2M_RT_LEAF_MAX || f->shift == 0) {
		err = rt_leaf(b, slot, i0, count, f->shift);
		if (!err && count == 1)
			rt_repeat(b, f, slot, i0);
		return err;
	}
	return rt_node(b, depth, slot, base, count);
}

/*
 * Lay out the whole table depth first, without recursion, so leaves come
 * in address order. With b->node NULL this only counts entries and
 * records; a second run over the same input writes them, in the same order.
 */
static int rt_walk(struct rt_build *b)
{
	unsigned int depth = 1;
	struct rt_frame *f = &b->stack[0];
	int err;

	memset(b->nrec, 0, sizeof(b->nrec));
	b->nleaf = 0;
	b->nnode = 1U << M2M_RT_ROOT_BITS;
	f->base = 0;
	f->first = 0;
	f->next = 0;
	f->stride = M2M_RT_ROOT_BITS;
	f->shift = b->width - M2M_RT_ROOT_BITS;

	while (depth) {
		f = &b->stack[depth - 1];
		if (f->next == 1U << f->stride) {
			depth--;
			continue;
		}
		err = rt_visit(b, &depth);
		if (err)
			return err;
		rt_yield();
	}
	return 0;
}

/* ---- the table ---- */

/* Reserve n elements of size bytes at *off; returns where they start. */
static size_t rt_carve(size_t *off, __u64 n, size_t size)
{
	size_t at = *off;

	*off += ((size_t)n * size + RT_ALIGN - 1) & ~(size_t)(RT_ALIGN - 1);
	return at;
}

/* One block: the table, then each array on its own cache line. */
static struct m2m_rtable *rt_alloc_table(struct rt_build *b)
{
	size_t off = 0, at[8];
	struct m2m_rtable *t;
	char *p;

	rt_carve(&off, 1, sizeof(*t));
	at[0] = rt_carve(&off, b->nnode, sizeof(*b->node));
	at[1] = rt_carve(&off, b->nrec[M2M_RT_K16], sizeof(__u16));
	at[2] = rt_carve(&off, b->nrec[M2M_RT_K16], sizeof(__u32));
	at[3] = rt_carve(&off, b->nrec[M2M_RT_K32], sizeof(__u32));
	at[4] = rt_carve(&off, b->nrec[M2M_RT_K32], sizeof(__u32));
	at[5] = rt_carve(&off, b->nrec[M2M_RT_K64], sizeof(__u64));
	at[6] = rt_carve(&off, b->nrec[M2M_RT_K64], sizeof(__u32));
	at[7] = rt_carve(&off, b->nrec[M2M_RT_WIDE], sizeof(*b->wide));

	p = rt_alloc(1, off);
	if (!p)
		return NULL;
	memset(p, 0, off);

	t = (struct m2m_rtable *)p;
	b->node = (__u32 *)(p + at[0]);
	b->key16 = (__u16 *)(p + at[1]);
	b->value16 = (__u32 *)(p + at[2]);
	b->key32 = (__u32 *)(p + at[3]);
	b->value32 = (__u32 *)(p + at[4]);
	b->key64 = (__u64 *)(p + at[5]);
	b->value64 = (__u32 *)(p + at[6]);
	b->wide = (struct m2m_rt_wide *)(p + at[7]);

	t->node = b->node;
	t->key16 = b->key16;
	t->value16 = b->value16;
	t->key32 = b->key32;
	t->value32 = b->value32;
	t->key64 = b->key64;
	t->value64 = b->value64;
	t->wide = b->wide;
	t->bytes = off;
	return t;
}

static int rt_build(struct rt_build *b, __u32 n, struct m2m_rtable **out)
{
	struct m2m_rtable *t;
	int err = -ENOMEM;

	b->kept = rt_alloc(n, sizeof(*b->kept));
	b->stack = rt_alloc(RT_DEPTH_MAX, sizeof(*b->stack));
	if (!b->kept || !b->stack)
		goto out;
	rt_keep(b, n);

	err = rt_walk(b);
	if (err)
		goto out;

	err = -ENOMEM;
	t = rt_alloc_table(b);
	if (!t)
		goto out;

	err = rt_walk(b);
	if (err) {
		rt_free(t);
		goto out;
	}
	t->nnode = b->nnode;
	memcpy(t->nrec, b->nrec, sizeof(t->nrec));
	*out = t;
out:
	rt_free(b->stack);
	rt_free(b->kept);
	return err;
}

int m2m_rtable4_build(struct m2m_rtable4 **out, const struct m2m_range4 *r,
		      __u32 n, __u32 max_value)
{
	struct rt_build b = { .r4 = r, .width = 32 };
	struct m2m_rtable *t;
	int err;

	err = m2m_rtable4_validate(r, n, max_value, NULL);
	if (err)
		return err;

	err = rt_build(&b, n, &t);
	if (!err)
		*out = (struct m2m_rtable4 *)t;
	return err;
}

int m2m_rtable6_build(struct m2m_rtable6 **out, const struct m2m_range6 *r,
		      __u32 n, __u32 max_value)
{
	struct rt_build b = { .r6 = r, .width = 64 };
	struct m2m_rtable *t;
	int err;

	err = m2m_rtable6_validate(r, n, max_value, NULL);
	if (err)
		return err;

	err = rt_build(&b, n, &t);
	if (!err)
		*out = (struct m2m_rtable6 *)t;
	return err;
}

size_t m2m_rtable4_size(const struct m2m_rtable4 *t)
{
	return t ? t->t.bytes : 0;
}

size_t m2m_rtable6_size(const struct m2m_rtable6 *t)
{
	return t ? t->t.bytes : 0;
}

void m2m_rtable4_free(struct m2m_rtable4 *t)
{
	rt_free(t);
}

void m2m_rtable6_free(struct m2m_rtable6 *t)
{
	rt_free(t);
}
