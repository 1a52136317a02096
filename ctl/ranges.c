// SPDX-License-Identifier: GPL-2.0
/*
 * From prefixes to boundary lists, and the overlay of two boundary lists.
 *
 * Theory of operation. Two prefixes either nest or do not meet, so after
 * sorting by (start ascending, length ascending) a single sweep with a
 * stack of open prefixes decides every address: the stack holds the chain
 * of prefixes containing the current position, outermost at the bottom,
 * and the top is the most specific one. A prefix opens a boundary at its
 * start; when it closes, the address after its end goes back to whatever
 * the stack then holds (or to the default). Lengths strictly grow up the
 * stack, so it never holds more than 33 (IPv4) or 129 (IPv6) entries.
 *
 *	10.0.0.0/8 -> A, 10.1.0.0/16 -> B, 10.1.0.0/24 -> C, default 0
 *
 *	0.0.0.0  0     open 10/8        10.0.0.0 A
 *	               open 10.1/16     10.1.0.0 B
 *	               open 10.1.0/24   10.1.0.0 C   (replaces B: same start)
 *	               close 10.1.0/24  10.1.1.0 B
 *	               close 10.1/16    10.2.0.0 A
 *	               close 10/8       11.0.0.0 0
 *
 * A boundary at the same start as the previous one replaces it, and one
 * with the previous one's value is dropped, so the output is merged as it
 * is written. Each prefix adds at most two boundaries.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <endian.h>

#include "ranges.h"

#define STACK4	33
#define STACK6	129

/* ---- output lists, merged as they are written ---- */

struct out4 {
	struct m2m_range4 *r;
	__u32 n;
};

struct out6 {
	struct m2m_range6 *r;
	__u32 n;
};

static void emit4(struct out4 *o, __u32 start, __u32 value)
{
	if (o->n && o->r[o->n - 1].start == start)
		o->n--;
	if (o->n && o->r[o->n - 1].value == value)
		return;
	o->r[o->n].start = start;
	o->r[o->n].value = value;
	o->n++;
}

static void emit6(struct out6 *o, __u64 hi, __u64 lo, __u32 value)
{
	struct m2m_range6 *last = o->n ? &o->r[o->n - 1] : NULL;

	if (last && last->start_hi == hi && last->start_lo == lo) {
		o->n--;
		last = o->n ? &o->r[o->n - 1] : NULL;
	}
	if (last && last->value == value)
		return;
	o->r[o->n] = (struct m2m_range6){ .start_hi = hi, .start_lo = lo,
					  .value = value };
	o->n++;
}

/* Room for the worst case, 2 boundaries per prefix and the first one. */
static void *alloc_out(size_t n, size_t size)
{
	if (n > (UINT32_MAX - 1) / 2)
		return NULL;
	return malloc((2 * n + 1) * size);
}

/* Give back what the merging saved; failing to shrink is harmless. */
static void *shrink(void *p, __u32 n, size_t size)
{
	void *q = realloc(p, (size_t)n * size);

	return q ? q : p;
}

/*
 * Sort P by (start, length, position in P): the stable order makes the
 * first of equal prefixes come first, which is the one that wins. qsort is
 * not stable, so an index array carries the original positions.
 */
static int sort_stable(void *p, size_t n, size_t size,
		       int (*cmp)(const void *, const void *, void *))
{
	__u32 *idx;
	char *tmp;
	size_t i;

	idx = malloc(n * sizeof(*idx));
	tmp = malloc(n * size);
	if (!idx || !tmp) {
		free(idx);
		free(tmp);
		return -ENOMEM;
	}

	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp, p);

	for (i = 0; i < n; i++)
		memcpy(tmp + i * size, (char *)p + (size_t)idx[i] * size, size);
	memcpy(p, tmp, n * size);

	free(idx);
	free(tmp);
	return 0;
}

/* ---- IPv4 ---- */

static __u32 mask4(unsigned int len)
{
	return len ? ~0U << (32 - len) : 0;
}

static int cmp_pfx4(const void *a, const void *b, void *ctx)
{
	const struct m2m_pfx4 *p = ctx;
	__u32 i = *(const __u32 *)a, j = *(const __u32 *)b;

	if (p[i].addr != p[j].addr)
		return p[i].addr < p[j].addr ? -1 : 1;
	if (p[i].len != p[j].len)
		return p[i].len < p[j].len ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int check_pfx4(const struct m2m_pfx4 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].len > 32 || (p[i].addr & ~mask4(p[i].len)))
			return -EINVAL;
	return 0;
}

/* Close the open prefixes that end before ADDR, or all of them. */
static void close4(struct out4 *o, const struct m2m_pfx4 **stack,
		   unsigned int *depth, bool all, __u32 addr, __u32 dflt)
{
	const struct m2m_pfx4 *top;
	__u32 end;

	while (*depth) {
		top = stack[*depth - 1];
		end = top->addr | ~mask4(top->len);
		if (!all && end >= addr)
			break;
		(*depth)--;
		if (end == UINT32_MAX)
			continue;
		emit4(o, end + 1, *depth ? stack[*depth - 1]->value : dflt);
	}
}

int m2m_ranges4_from_pfx(struct m2m_pfx4 *p, size_t n, __u32 dflt,
			 struct m2m_range4 **out, __u32 *nout)
{
	const struct m2m_pfx4 *stack[STACK4];
	unsigned int depth = 0;
	struct out4 o = { 0 };
	size_t i;
	int err;

	err = check_pfx4(p, n);
	if (err)
		return err;
	o.r = alloc_out(n, sizeof(*o.r));
	if (!o.r)
		return -ENOMEM;
	err = n ? sort_stable(p, n, sizeof(*p), cmp_pfx4) : 0;
	if (err) {
		free(o.r);
		return err;
	}

	emit4(&o, 0, dflt);
	for (i = 0; i < n; i++) {
		close4(&o, stack, &depth, false, p[i].addr, dflt);

		/* An equal prefix later in P loses to the open one. */
		if (depth && stack[depth - 1]->addr == p[i].addr &&
		    stack[depth - 1]->len == p[i].len)
			continue;

		stack[depth++] = &p[i];
		emit4(&o, p[i].addr, p[i].value);
	}
	close4(&o, stack, &depth, true, 0, dflt);

	*out = shrink(o.r, o.n, sizeof(*o.r));
	*nout = o.n;
	return 0;
}

/* ---- IPv6: addresses as (hi, lo) pairs of host-order halves ---- */

static __u64 mask64(unsigned int len)
{
	return len ? ~0ULL << (64 - len) : 0;
}

static __u64 mask6_hi(unsigned int len)
{
	return len >= 64 ? ~0ULL : mask64(len);
}

static __u64 mask6_lo(unsigned int len)
{
	return len <= 64 ? 0 : mask64(len - 64);
}

static int cmp128(__u64 ahi, __u64 alo, __u64 bhi, __u64 blo)
{
	if (ahi != bhi)
		return ahi < bhi ? -1 : 1;
	if (alo != blo)
		return alo < blo ? -1 : 1;
	return 0;
}

static int cmp_pfx6(const void *a, const void *b, void *ctx)
{
	const struct m2m_pfx6 *p = ctx;
	__u32 i = *(const __u32 *)a, j = *(const __u32 *)b;
	int c = cmp128(p[i].hi, p[i].lo, p[j].hi, p[j].lo);

	if (c)
		return c;
	if (p[i].len != p[j].len)
		return p[i].len < p[j].len ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int check_pfx6(const struct m2m_pfx6 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i].len > 128)
			return -EINVAL;
		if ((p[i].hi & ~mask6_hi(p[i].len)) ||
		    (p[i].lo & ~mask6_lo(p[i].len)))
			return -EINVAL;
	}
	return 0;
}

static void close6(struct out6 *o, const struct m2m_pfx6 **stack,
		   unsigned int *depth, bool all, __u64 hi, __u64 lo,
		   __u32 dflt)
{
	const struct m2m_pfx6 *top;
	__u64 ehi, elo;
	__u32 value;

	while (*depth) {
		top = stack[*depth - 1];
		ehi = top->hi | ~mask6_hi(top->len);
		elo = top->lo | ~mask6_lo(top->len);
		if (!all && cmp128(ehi, elo, hi, lo) >= 0)
			break;
		(*depth)--;
		if (ehi == UINT64_MAX && elo == UINT64_MAX)
			continue;

		/* end + 1, carrying into the upper half. */
		value = *depth ? stack[*depth - 1]->value : dflt;
		if (elo == UINT64_MAX)
			emit6(o, ehi + 1, 0, value);
		else
			emit6(o, ehi, elo + 1, value);
	}
}

int m2m_ranges6_from_pfx(struct m2m_pfx6 *p, size_t n, __u32 dflt,
			 struct m2m_range6 **out, __u32 *nout)
{
	const struct m2m_pfx6 *stack[STACK6], *top;
	unsigned int depth = 0;
	struct out6 o = { 0 };
	size_t i;
	int err;

	err = check_pfx6(p, n);
	if (err)
		return err;
	o.r = alloc_out(n, sizeof(*o.r));
	if (!o.r)
		return -ENOMEM;
	err = n ? sort_stable(p, n, sizeof(*p), cmp_pfx6) : 0;
	if (err) {
		free(o.r);
		return err;
	}

	emit6(&o, 0, 0, dflt);
	for (i = 0; i < n; i++) {
		close6(&o, stack, &depth, false, p[i].hi, p[i].lo, dflt);

		top = depth ? stack[depth - 1] : NULL;
		if (top && top->hi == p[i].hi && top->lo == p[i].lo &&
		    top->len == p[i].len)
			continue;

		stack[depth++] = &p[i];
		emit6(&o, p[i].hi, p[i].lo, p[i].value);
	}
	close6(&o, stack, &depth, true, 0, 0, dflt);

	*out = shrink(o.r, o.n, sizeof(*o.r));
	*nout = o.n;
	return 0;
}

/* ---- overlay ---- */

static bool sorted4(const struct m2m_range4 *r, __u32 n)
{
	__u32 i;

	if (!n || r[0].start)
		return false;
	for (i = 1; i < n; i++)
		if (r[i].start <= r[i - 1].start)
			return false;
	return true;
}

/*
 * Walk both lists at once: at every boundary of either, the overlay takes
 * FN of the two values then in force.
 */
int m2m_ranges4_merge(const struct m2m_range4 *a, __u32 na,
		      const struct m2m_range4 *b, __u32 nb, m2m_merge_fn fn,
		      void *ctx, struct m2m_range4 **out, __u32 *nout)
{
	struct out4 o = { 0 };
	__u32 i = 0, j = 0, start;

	if (!sorted4(a, na) || !sorted4(b, nb))
		return -EINVAL;
	if ((__u64)na + nb - 1 > UINT32_MAX)
		return -ENOMEM;
	o.r = malloc(((size_t)na + nb) * sizeof(*o.r));
	if (!o.r)
		return -ENOMEM;

	emit4(&o, 0, fn(a[0].value, b[0].value, ctx));
	while (i + 1 < na || j + 1 < nb) {
		if (j + 1 >= nb ||
		    (i + 1 < na && a[i + 1].start <= b[j + 1].start))
			start = a[i + 1].start;
		else
			start = b[j + 1].start;
		if (i + 1 < na && a[i + 1].start == start)
			i++;
		if (j + 1 < nb && b[j + 1].start == start)
			j++;
		emit4(&o, start, fn(a[i].value, b[j].value, ctx));
	}

	*out = shrink(o.r, o.n, sizeof(*o.r));
	*nout = o.n;
	return 0;
}

static int cmp_start6(const struct m2m_range6 *x, const struct m2m_range6 *y)
{
	return cmp128(x->start_hi, x->start_lo, y->start_hi, y->start_lo);
}

static bool sorted6(const struct m2m_range6 *r, __u32 n)
{
	__u32 i;

	if (!n || r[0].start_hi || r[0].start_lo)
		return false;
	for (i = 1; i < n; i++)
		if (cmp_start6(&r[i], &r[i - 1]) <= 0)
			return false;
	return true;
}

int m2m_ranges6_merge(const struct m2m_range6 *a, __u32 na,
		      const struct m2m_range6 *b, __u32 nb, m2m_merge_fn fn,
		      void *ctx, struct m2m_range6 **out, __u32 *nout)
{
	const struct m2m_range6 *next;
	struct out6 o = { 0 };
	__u32 i = 0, j = 0;

	if (!sorted6(a, na) || !sorted6(b, nb))
		return -EINVAL;
	if ((__u64)na + nb - 1 > UINT32_MAX)
		return -ENOMEM;
	o.r = malloc(((size_t)na + nb) * sizeof(*o.r));
	if (!o.r)
		return -ENOMEM;

	emit6(&o, 0, 0, fn(a[0].value, b[0].value, ctx));
	while (i + 1 < na || j + 1 < nb) {
		if (j + 1 >= nb ||
		    (i + 1 < na && cmp_start6(&a[i + 1], &b[j + 1]) <= 0))
			next = &a[i + 1];
		else
			next = &b[j + 1];
		if (i + 1 < na && !cmp_start6(&a[i + 1], next))
			i++;
		if (j + 1 < nb && !cmp_start6(&b[j + 1], next))
			j++;
		emit6(&o, next->start_hi, next->start_lo,
		      fn(a[i].value, b[j].value, ctx));
	}

	*out = shrink(o.r, o.n, sizeof(*o.r));
	*nout = o.n;
	return 0;
}

/* ---- parsing ---- */

/* Decimal 0..MAX without sign, spaces or leading zeros. */
static int parse_len(const char *s, unsigned int max)
{
	unsigned int v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

static __u64 get_be64(const unsigned char *b)
{
	__u64 v;

	memcpy(&v, b, sizeof(v));
	return be64toh(v);
}

static void put_be64(unsigned char *b, __u64 v)
{
	v = htobe64(v);
	memcpy(b, &v, sizeof(v));
}

/*
 * The message for a prefix with host bits set names the prefix the user
 * probably meant. It lives in a per-thread buffer, valid until the next
 * call to m2m_pfx_parse in the same thread.
 */
static const char *host_bits_msg(int af, const void *net, int len)
{
	static __thread char msg[96];
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(af, net, addr, sizeof(addr));
	snprintf(msg, sizeof(msg), "host bits set (did you mean %s/%d?)",
		 addr, len);
	return msg;
}

static int parse4(const unsigned char *bytes, int len, struct m2m_pfx4 *p4,
		  const char **why)
{
	__u32 addr, net;

	memcpy(&addr, bytes, sizeof(addr));
	addr = ntohl(addr);
	net = addr & mask4(len);
	if (net != addr) {
		net = htonl(net);
		*why = host_bits_msg(AF_INET, &net, len);
		return 0;
	}
	if (p4)
		*p4 = (struct m2m_pfx4){ .addr = addr, .len = len };
	return AF_INET;
}

static int parse6(const unsigned char *bytes, int len, struct m2m_pfx6 *p6,
		  const char **why)
{
	__u64 hi = get_be64(bytes), lo = get_be64(bytes + 8);
	__u64 nhi = hi & mask6_hi(len), nlo = lo & mask6_lo(len);
	unsigned char net[16];

	if (nhi != hi || nlo != lo) {
		put_be64(net, nhi);
		put_be64(net + 8, nlo);
		*why = host_bits_msg(AF_INET6, net, len);
		return 0;
	}
	if (p6)
		*p6 = (struct m2m_pfx6){ .hi = hi, .lo = lo, .len = len };
	return AF_INET6;
}

int m2m_pfx_parse(const char *text, struct m2m_pfx4 *p4, struct m2m_pfx6 *p6,
		  const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bytes[16];
	const char *slash, *dummy;
	size_t alen;
	int af, len;

	if (!why)
		why = &dummy;
	*why = NULL;

	slash = strchr(text, '/');
	alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen >= sizeof(addr)) {
		*why = "bad address";
		return 0;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';

	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, addr, bytes) != 1) {
		*why = "bad address";
		return 0;
	}

	len = af == AF_INET ? 32 : 128;
	if (slash)
		len = parse_len(slash + 1, len);
	if (len < 0) {
		*why = "bad prefix length";
		return 0;
	}

	if (af == AF_INET)
		return parse4(bytes, len, p4, why);
	return parse6(bytes, len, p6, why);
}
