/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From prefixes to range tables: the step of the policy compiler that turns
 * "most specific prefix wins" into the flat, sorted boundary lists of
 * include/m2mguard/rtable.h, and that overlays two such lists.
 */
#ifndef M2MCTL_RANGES_H
#define M2MCTL_RANGES_H

#include <stddef.h>
#include <m2mguard/rtable.h>

/* A prefix and the value it maps to. Host order, host bits zero. */
struct m2m_pfx4 {
	__u32 addr;
	__u8 len;		/* 0..32 */
	__u32 value;
};

struct m2m_pfx6 {
	__u64 hi;
	__u64 lo;
	__u8 len;		/* 0..128 */
	__u32 value;
};

/*
 * Build the boundary list in which every address takes the value of the
 * most specific prefix covering it, DFLT where none does. Of equal
 * prefixes the first in P wins (the compiler rejects contradictory ones
 * before). Adjacent ranges of equal value are merged; the list starts at
 * address 0. P is sorted in place. *OUT is malloc'ed. Returns 0, -EINVAL
 * for a prefix with host bits set or a bad length, or -ENOMEM.
 */
int m2m_ranges4_from_pfx(struct m2m_pfx4 *p, size_t n, __u32 dflt,
			 struct m2m_range4 **out, __u32 *nout);
int m2m_ranges6_from_pfx(struct m2m_pfx6 *p, size_t n, __u32 dflt,
			 struct m2m_range6 **out, __u32 *nout);

/*
 * Overlay two boundary lists (each starting at 0): the result maps every
 * address to FN(value in A, value in B, CTX), merged where equal.
 */
typedef __u32 (*m2m_merge_fn)(__u32 a, __u32 b, void *ctx);

int m2m_ranges4_merge(const struct m2m_range4 *a, __u32 na,
		      const struct m2m_range4 *b, __u32 nb, m2m_merge_fn fn,
		      void *ctx, struct m2m_range4 **out, __u32 *nout);
int m2m_ranges6_merge(const struct m2m_range6 *a, __u32 na,
		      const struct m2m_range6 *b, __u32 nb, m2m_merge_fn fn,
		      void *ctx, struct m2m_range6 **out, __u32 *nout);

/*
 * Parse "ADDR/LEN" or a lone address (a host prefix) of either family.
 * Returns AF_INET or AF_INET6 with the prefix in *P4 or *P6 (value 0), or
 * 0 if TEXT is not a prefix or has host bits set; then *WHY says which.
 */
int m2m_pfx_parse(const char *text, struct m2m_pfx4 *p4, struct m2m_pfx6 *p6,
		  const char **why);

#endif /* M2MCTL_RANGES_H */
