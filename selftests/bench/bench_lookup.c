// SPDX-License-Identifier: GPL-2.0
/*
 * Range table lookup benchmark on a full geo database.
 *
 * Loads Tor's geoip and geoip6 files, maps each country code to a
 * jurisdiction index, overlays random endpoint prefixes (most specific
 * wins; value = group << 16 | jurisdiction), builds both tables and times
 * lookups over pre-generated addresses. A sample of every workload is
 * checked against a binary search over the flat boundary list.
 *
 * usage: bench_lookup [GEOIP [GEOIP6]]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/rtable_ref.h"
#include "tor_addr.h"

#define SEED		0x62656e63686d6172ULL
#define ENDPOINTS	10000
#define NADDR		(1U << 22)	/* addresses per workload */
#define RUNS		9		/* timed passes over them; median */
#define HOT		1024		/* distinct addresses in the hot set */
#define NVERIFY		(1U << 20)

struct geo {			/* one input range, either family */
	u128 start, end;
	uint32_t j;
};

struct pfx {
	u128 start, end;
	uint32_t group;
};

struct family {
	const char *name;
	unsigned int width;	/* 32 or 128 */
	struct geo *geo;
	uint32_t ngeo;
	struct pfx *pfx;
	uint32_t npfx;
	u128 *point;		/* flat boundary list... */
	uint32_t *value;	/* ...and its values */
	uint32_t npoint;
	struct m2m_range4 *r4;
	struct m2m_range6 *r6;
	struct m2m_rtable4 *t4;
	struct m2m_rtable6 *t6;
};

static uint64_t rng = SEED;
static uint16_t cc_index[26 * 26];
static uint32_t njur;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench_lookup: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory%s", "");
	return p;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* "??" and anything not two letters is jurisdiction 0, unknown. */
static uint32_t jurisdiction(const char *cc)
{
	unsigned int k;

	if (cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
		return 0;
	k = (cc[0] - 'A') * 26 + (cc[1] - 'A');
	if (!cc_index[k])
		cc_index[k] = ++njur;
	return cc_index[k];
}

static void load_geo(struct family *f, const char *path)
{
	char line[256], *a, *b, *cc;
	FILE *fp = fopen(path, "r");
	uint32_t cap = 1 << 19;

	if (!fp)
		die("cannot open %s", path);
	f->geo = xcalloc(cap, sizeof(*f->geo));
	while (fgets(line, sizeof(line), fp)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		a = strtok(line, ",");
		b = strtok(NULL, ",");
		cc = strtok(NULL, ",\r\n");
		if (!a || !b || !cc || f->ngeo == cap)
			die("bad line in %s", path);
		if (tor_addr_parse(a, f->width == 128, &f->geo[f->ngeo].start) ||
		    tor_addr_parse(b, f->width == 128, &f->geo[f->ngeo].end))
			die("bad address in %s", path);
		f->geo[f->ngeo].j = jurisdiction(cc);
		if (f->ngeo && f->geo[f->ngeo].start <= f->geo[f->ngeo - 1].end)
			die("%s is not sorted", path);
		f->ngeo++;
	}
	fclose(fp);
}

static u128 rand_addr(const struct family *f)
{
	u128 a = (u128)ref_rand(&rng) << 64 | ref_rand(&rng);

	if (f->width == 32)
		return a & 0xffffffff;
	return (a >> 3) | (u128)1 << 125;	/* in 2000::/3 */
}

/* A random address inside a random geo range. */
static u128 rand_in_geo(const struct family *f)
{
	const struct geo *g = &f->geo[ref_rand(&rng) % f->ngeo];
	u128 span = g->end - g->start;

	if (span == ~(u128)0)
		return rand_addr(f);
	return g->start + rand_addr(f) % (span + 1);
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/* v4 /16-/32, v6 /32-/128; half on real geo ranges, half anywhere. */
static void make_endpoints(struct family *f)
{
	unsigned int len, host, minlen = f->width == 32 ? 16 : 32;
	u128 a, mask;
	uint32_t i;

	f->pfx = xcalloc(ENDPOINTS, sizeof(*f->pfx));
	for (i = 0; i < ENDPOINTS; i++) {
		a = i & 1 ? rand_in_geo(f) : rand_addr(f);
		len = minlen + ref_rand(&rng) % (f->width - minlen + 1);
		host = f->width - len;
		mask = host ? ((u128)1 << host) - 1 : 0;
		f->pfx[i].start = a & ~mask;
		f->pfx[i].end = a | mask;
		f->pfx[i].group = i + 1;
	}
	f->npfx = ENDPOINTS;
	qsort(f->pfx, f->npfx, sizeof(*f->pfx), cmp_pfx);
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

static u128 family_max(const struct family *f)
{
	return f->width == 32 ? 0xffffffff : ~(u128)0;
}

/* Every start and every end + 1, sorted and unique. */
static void collect_points(struct family *f)
{
	uint32_t i, n = 0, m = 0;
	u128 *p = xcalloc(2 * (f->ngeo + f->npfx) + 1, sizeof(*p));

	p[n++] = 0;
	for (i = 0; i < f->ngeo; i++) {
		p[n++] = f->geo[i].start;
		if (f->geo[i].end != family_max(f))
			p[n++] = f->geo[i].end + 1;
	}
	for (i = 0; i < f->npfx; i++) {
		p[n++] = f->pfx[i].start;
		if (f->pfx[i].end != family_max(f))
			p[n++] = f->pfx[i].end + 1;
	}
	qsort(p, n, sizeof(*p), cmp_u128);
	for (i = 0; i < n; i++)
		if (!m || p[i] != p[m - 1])
			p[m++] = p[i];
	f->point = p;
	f->npoint = m;
}

/* Sweep the points: geo value by a cursor, endpoint by a nesting stack. */
static void flatten(struct family *f)
{
	struct pfx **stack = xcalloc(f->width + 1, sizeof(*stack));
	uint32_t i, gi = 0, pi = 0, depth = 0, j, group;
	u128 p;

	collect_points(f);
	f->value = xcalloc(f->npoint, sizeof(*f->value));
	for (i = 0; i < f->npoint; i++) {
		p = f->point[i];
		while (gi < f->ngeo && f->geo[gi].end < p)
			gi++;
		j = gi < f->ngeo && f->geo[gi].start <= p ? f->geo[gi].j : 0;

		for (; pi < f->npfx && f->pfx[pi].start <= p; pi++) {
			while (depth && stack[depth - 1]->end < f->pfx[pi].start)
				depth--;
			if (depth == f->width + 1)
				die("prefix nesting too deep%s", "");
			stack[depth++] = &f->pfx[pi];
		}
		while (depth && stack[depth - 1]->end < p)
			depth--;
		group = depth ? stack[depth - 1]->group : 0;
		f->value[i] = group << 16 | j;
	}
	free(stack);
}

static void build_table(struct family *f)
{
	const struct m2m_rtable *t = NULL;
	double t0 = now_ns();
	uint32_t i;
	int err;

	if (f->width == 32) {
		f->r4 = xcalloc(f->npoint, sizeof(*f->r4));
		for (i = 0; i < f->npoint; i++)
			f->r4[i] = (struct m2m_range4){ f->point[i],
							f->value[i] };
		t0 = now_ns();
		err = m2m_rtable4_build(&f->t4, f->r4, f->npoint, ~0U);
		t = f->t4 ? &f->t4->t : NULL;
	} else {
		f->r6 = xcalloc(f->npoint, sizeof(*f->r6));
		for (i = 0; i < f->npoint; i++) {
			f->r6[i].start_hi = f->point[i] >> 64;
			f->r6[i].start_lo = (uint64_t)f->point[i];
			f->r6[i].value = f->value[i];
		}
		t0 = now_ns();
		err = m2m_rtable6_build(&f->t6, f->r6, f->npoint, ~0U);
		t = f->t6 ? &f->t6->t : NULL;
	}
	if (err) {
		fprintf(stderr, "bench_lookup: %s table: error %d\n",
			f->name, err);
		exit(1);
	}
	printf("build %s: %u boundaries in %.1f ms\n", f->name, f->npoint,
	       (now_ns() - t0) / 1e6);
	printf("layout %s: %u index entries; records: %u k16, %u k32, %u k64, %u wide\n",
	       f->name, t->nnode, t->nrec[M2M_RT_K16], t->nrec[M2M_RT_K32],
	       t->nrec[M2M_RT_K64], t->nrec[M2M_RT_WIDE]);
}

static uint32_t lookup(const struct family *f, u128 a)
{
	if (f->width == 32)
		return m2m_rtable4_lookup(f->t4, (uint32_t)a);
	return rt6_lookup128(f->t6, a);
}

static uint32_t reference(const struct family *f, u128 a)
{
	if (f->width == 32)
		return ref4_bsearch(f->r4, f->npoint, (uint32_t)a);
	return ref6_bsearch(f->r6, f->npoint, a);
}

static void verify(const struct family *f, const u128 *addr,
		   const char *load)
{
	uint32_t i, got, want;

	for (i = 0; i < NVERIFY; i++) {
		got = lookup(f, addr[i]);
		want = reference(f, addr[i]);
		if (got == want)
			continue;
		fprintf(stderr, "bench_lookup: MISMATCH %s %s %016llx%016llx: got %#x, want %#x\n",
			f->name, load, (unsigned long long)(addr[i] >> 64),
			(unsigned long long)addr[i], got, want);
		exit(1);
	}
}

/*
 * Independent lookups measure throughput, which is what a packet path
 * with several packets in flight sees; the dependent variant feeds each
 * result into the next address and so measures latency.
 */
static double time4(const struct m2m_rtable4 *t, const uint32_t *a,
		    int dependent, uint32_t *sum)
{
	/* Zero the compiler cannot see, so the dependency is kept. */
	volatile uint32_t zero = 0;
	uint32_t i, s = 0, z = zero;
	double t0 = now_ns();

	if (dependent)
		for (i = 0; i < NADDR; i++)
			s += m2m_rtable4_lookup(t, a[i] ^ (s & z));
	else
		for (i = 0; i < NADDR; i++)
			s += m2m_rtable4_lookup(t, a[i]);
	*sum += s;
	return (now_ns() - t0) / NADDR;
}

static double time6(const struct m2m_rtable6 *t, const uint64_t *a,
		    int dependent, uint32_t *sum)
{
	volatile uint32_t zero = 0;
	uint32_t i, s = 0, z = zero;
	double t0 = now_ns();

	if (dependent)
		for (i = 0; i < NADDR; i++)
			s += m2m_rtable6_lookup(t, a[2 * i] ^ (s & z),
						a[2 * i + 1]);
	else
		for (i = 0; i < NADDR; i++)
			s += m2m_rtable6_lookup(t, a[2 * i], a[2 * i + 1]);
	*sum += s;
	return (now_ns() - t0) / NADDR;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* RUNS timed passes, sorted, after one pass to warm the caches. */
static void timings(const struct family *f, const void *a, int dependent,
		    uint32_t *sum, double *ns)
{
	int k;

	for (k = 0; k <= RUNS; k++)
		ns[k] = f->width == 32 ? time4(f->t4, a, dependent, sum) :
					 time6(f->t6, a, dependent, sum);
	qsort(ns + 1, RUNS, sizeof(*ns), cmp_double);
}

static void run(const struct family *f, const char *load, const u128 *addr,
		int dependent)
{
	uint32_t i, sum = 0, *a4 = NULL;
	uint64_t *a6 = NULL;
	double ns[RUNS + 1];

	if (!dependent)
		verify(f, addr, load);
	if (f->width == 32) {
		a4 = xcalloc(NADDR, sizeof(*a4));
		for (i = 0; i < NADDR; i++)
			a4[i] = addr[i];
		timings(f, a4, dependent, &sum, ns);
	} else {
		a6 = xcalloc(2 * NADDR, sizeof(*a6));
		for (i = 0; i < NADDR; i++) {
			a6[2 * i] = addr[i] >> 64;
			a6[2 * i + 1] = (uint64_t)addr[i];
		}
		timings(f, a6, dependent, &sum, ns);
	}
	printf("lookup %s %s%s: %.1f ns/lookup (best %.1f; %u ranges, %u boundaries; sum %08x)\n",
	       f->name, load, dependent ? " dependent" : "", ns[1 + RUNS / 2],
	       ns[1], f->ngeo, f->npoint, sum);
	free(a4);
	free(a6);
}

static void bench(struct family *f)
{
	u128 *addr = xcalloc(NADDR, sizeof(*addr)), hot[HOT];
	uint32_t i;

	for (i = 0; i < NADDR; i++)
		addr[i] = rand_addr(f);
	run(f, f->width == 32 ? "uniform" : "uniform 2000::/3", addr, 0);
	run(f, f->width == 32 ? "uniform" : "uniform 2000::/3", addr, 1);

	for (i = 0; i < NADDR; i++)
		addr[i] = rand_in_geo(f);
	run(f, "per-range", addr, 0);
	run(f, "per-range", addr, 1);

	for (i = 0; i < HOT; i++)
		hot[i] = rand_in_geo(f);
	for (i = 0; i < NADDR; i++)
		addr[i] = hot[ref_rand(&rng) % HOT];
	run(f, "hot-set", addr, 0);
	free(addr);
}

static void setup(struct family *f, const char *name, unsigned int width,
		  const char *path)
{
	f->name = name;
	f->width = width;
	load_geo(f, path);
	make_endpoints(f);
	flatten(f);
	printf("geo %s: %s: %u ranges, %u endpoint prefixes\n", name, path,
	       f->ngeo, f->npfx);
	build_table(f);
}

int main(int argc, char **argv)
{
	const char *p4 = argc > 1 ? argv[1] : "/usr/share/tor/geoip";
	const char *p6 = argc > 2 ? argv[2] : "/usr/share/tor/geoip6";
	static struct family v4, v6;
	double m4, m6;

	setup(&v4, "ipv4", 32, p4);
	setup(&v6, "ipv6", 128, p6);
	printf("jurisdictions: %u\n", njur);

	bench(&v4);
	bench(&v6);

	m4 = m2m_rtable4_size(v4.t4) / 1048576.0;
	m6 = m2m_rtable6_size(v6.t6) / 1048576.0;
	printf("memory: ipv4 %.1f MiB, ipv6 %.1f MiB, total %.1f MiB\n",
	       m4, m6, m4 + m6);
	printf("verify: %u lookups per workload match the reference\n",
	       NVERIFY);
	m2m_rtable4_free(v4.t4);
	m2m_rtable6_free(v6.t6);
	return 0;
}
