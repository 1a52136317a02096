// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the policy compiler (ctl/compile.c) and the path that
 * explain takes: a YAML file compiled in memory, opened by
 * m2m_tables_open and asked by m2m_classify.
 *
 * The main test writes random policies as YAML, with a random CSV geo
 * database beside them, and asks 100,000 random flows of each. A naive
 * reference answers the same flows from the description the YAML was
 * written from, with linear scans and the most specific prefix winning;
 * every answer must agree. The other tests pin down what the compiler
 * promises: the same bytes for the same input, groups shared between
 * equal destinations, a more specific destination shadowing a wider one,
 * ICMP per family, and the example policy compiling against the real
 * Tor database quickly and in little memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "compile.h"
#include "model.h"

#define SEED		0x706f6c69637954ULL	/* fixed: failures reproduce */
#define POLICIES	4
#define FLOWS		100000

typedef unsigned __int128 u128;

/* splitmix64: small, seeded, good enough for test data. */
static __u64 rnd(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(__u64 *s, unsigned int n)
{
	return rnd(s) % n;
}

/* ---- files ---- */

static void enter_tmpdir(void)
{
	char dir[] = "/tmp/m2m-compile-XXXXXX";

	if (!mkdtemp(dir) || chdir(dir))
		abort();
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* Compile YAML (written to policy.yaml) and open it as explain does. */
struct opened {
	void *blob;
	__u32 len;
	struct m2m_tables t;
};

static int open_yaml(struct opened *o, const char *yaml)
{
	write_file("policy.yaml", yaml);
	return m2m_compile_open("policy.yaml", stderr, &o->blob, &o->len,
				&o->t);
}

static void close_opened(struct opened *o)
{
	m2m_tables_close(&o->t);
	free(o->blob);
}

static struct m2m_flow flow4(const char *src, const char *dst, __u8 proto,
			     __u16 port)
{
	struct m2m_flow f = { .family = AF_INET, .proto = proto,
			      .dport = port };
	struct in_addr a;

	inet_pton(AF_INET, src, &a);
	f.src4 = ntohl(a.s_addr);
	inet_pton(AF_INET, dst, &a);
	f.dst4 = ntohl(a.s_addr);
	return f;
}

static void v6(const char *text, __u64 *hi, __u64 *lo)
{
	unsigned char b[16];
	int i;

	inet_pton(AF_INET6, text, b);
	*hi = *lo = 0;
	for (i = 0; i < 8; i++) {
		*hi = *hi << 8 | b[i];
		*lo = *lo << 8 | b[i + 8];
	}
}

static struct m2m_flow flow6(const char *src, const char *dst, __u8 proto,
			     __u16 port)
{
	struct m2m_flow f = { .family = AF_INET6, .proto = proto,
			      .dport = port };

	v6(src, &f.src6_hi, &f.src6_lo);
	v6(dst, &f.dst6_hi, &f.dst6_lo);
	return f;
}

static struct m2m_verdict verdict(const struct opened *o,
				  struct m2m_flow f)
{
	struct m2m_verdict v;

	m2m_classify(&o->t, &f, o->t.settings->mode, &v);
	return v;
}

static const char *ep_name(const struct opened *o,
			   const struct m2m_verdict *v)
{
	if (!v->endpoint_id)
		return "";
	return m2m_tables_str(&o->t, o->t.endpoints[v->endpoint_id - 1].name);
}

/* ---- hand-made policies ---- */

#define HEAD	"purposes: [metering, billing]\n" \
		"geo: { format: none }\n" \
		"classes:\n" \
		"  - name: meters\n" \
		"    sources: [10.0.0.0/16, \"fd00::/16\"]\n" \
		"    consent: [billing]\n" \
		"    zone: eea\n" \
		"endpoints:\n"

TEST(same_policy_same_bytes)
{
	static const char yaml[] = HEAD
		"  - name: api\n"
		"    destinations: [192.0.2.0/24, \"2001:db8::/32\"]\n"
		"    ports: [443, 8000-8100]\n"
		"    purposes: [billing]\n"
		"    jurisdiction: DE\n";
	void *a, *b;
	__u32 la, lb;

	enter_tmpdir();
	write_file("policy.yaml", yaml);
	ASSERT_EQ(0, m2m_compile_file("policy.yaml", stderr, &a, &la, NULL));
	ASSERT_EQ(0, m2m_compile_file("policy.yaml", stderr, &b, &lb, NULL));
	ASSERT_EQ(la, lb);
	EXPECT_EQ(0, memcmp(a, b, la));
	free(a);
	free(b);
}

TEST(equal_destinations_share_a_group)
{
	struct m2m_compile_info info;
	struct m2m_model m;
	__u32 len;
	void *blob;

	enter_tmpdir();
	write_file("policy.yaml", HEAD
		"  - name: api\n"
		"    destinations: [192.0.2.0/24, \"2001:db8::/32\"]\n"
		"    protocol: tcp\n"
		"    ports: [443, 8883]\n"
		"    purposes: [billing]\n"
		"  - name: ntp\n"
		"    destinations: [192.0.2.0/24, 198.51.100.0/24]\n"
		"    protocol: udp\n"
		"    ports: [123]\n"
		"    purposes: [billing]\n"
		"  - name: ping\n"
		"    destinations: [198.51.100.0/24, \"2001:db8::/32\"]\n"
		"    protocol: icmp\n"
		"    purposes: [billing]\n");
	ASSERT_EQ(0, m2m_model_load(&m, "policy.yaml", stderr));
	ASSERT_EQ(0, m2m_compile(&m, NULL, stderr, &blob, &len, &info));

	/*
	 * 192.0.2.0/24: api 443, api 8883, ntp 123 (group 1).
	 * 2001:db8::/32: api 443, api 8883, ping ICMPv6 (group 2).
	 * 198.51.100.0/24: ntp 123, ping ICMP (group 3).
	 */
	EXPECT_EQ(3U, info.nendpoints);
	EXPECT_EQ(4U, info.ngroups);
	EXPECT_EQ(8U, info.nrecords);
	EXPECT_EQ(1U, info.nclasses);
	EXPECT_FALSE(info.has_geo);
	free(blob);

	m2m_model_free(&m);

	/* One endpoint on three prefixes: one group, but for ping's. */
	write_file("policy.yaml", HEAD
		"  - name: api\n"
		"    destinations: [192.0.2.0/24, 198.51.100.0/24,\n"
		"                   \"2001:db8::/32\"]\n"
		"    protocol: tcp\n"
		"    ports: [443]\n"
		"    purposes: [billing]\n"
		"  - name: ping\n"
		"    destinations: [198.51.100.0/24]\n"
		"    protocol: icmp\n"
		"    purposes: [billing]\n");
	ASSERT_EQ(0, m2m_compile_file("policy.yaml", stderr, &blob, &len,
				      &info));
	EXPECT_EQ(3U, info.ngroups);
	EXPECT_EQ(3U, info.nrecords);
	free(blob);
}

TEST(icmp_is_icmpv6_on_ipv6)
{
	struct opened o;
	struct m2m_verdict v;

	enter_tmpdir();
	ASSERT_EQ(0, open_yaml(&o, HEAD
		"  - name: ping\n"
		"    destinations: [192.0.2.0/24, \"2001:db8::/32\"]\n"
		"    protocol: icmp\n"
		"    purposes: [billing]\n"
		"    jurisdiction: DE\n"));
	v = verdict(&o, flow4("10.0.0.1", "192.0.2.1", IPPROTO_ICMP, 0));
	EXPECT_EQ(M2M_R_ALLOW, v.reason);
	v = verdict(&o, flow4("10.0.0.1", "192.0.2.1", IPPROTO_ICMPV6, 0));
	EXPECT_EQ(M2M_R_NOT_ALLOWLISTED, v.reason);
	v = verdict(&o, flow6("fd00::1", "2001:db8::1", IPPROTO_ICMPV6, 0));
	EXPECT_EQ(M2M_R_ALLOW, v.reason);
	v = verdict(&o, flow6("fd00::1", "2001:db8::1", IPPROTO_ICMP, 0));
	EXPECT_EQ(M2M_R_NOT_ALLOWLISTED, v.reason);
	close_opened(&o);
}

TEST(a_more_specific_destination_shadows_a_wider_one)
{
	struct opened o;
	struct m2m_verdict v;

	enter_tmpdir();
	ASSERT_EQ(0, open_yaml(&o, HEAD
		"  - name: wide\n"
		"    destinations: [192.0.0.0/16]\n"
		"    protocol: tcp\n"
		"    ports: [443, 8883]\n"
		"    purposes: [billing]\n"
		"    jurisdiction: DE\n"
		"  - name: narrow\n"
		"    destinations: [192.0.2.0/24]\n"
		"    protocol: tcp\n"
		"    ports: [443]\n"
		"    purposes: [billing]\n"
		"    jurisdiction: FR\n"));
	v = verdict(&o, flow4("10.0.0.1", "192.0.2.9", IPPROTO_TCP, 443));
	EXPECT_STREQ("narrow", ep_name(&o, &v));
	EXPECT_EQ(m2m_jur_code('F', 'R'), v.jurisdiction);
	EXPECT_EQ(M2M_JUR_PINNED, v.jur_source);

	v = verdict(&o, flow4("10.0.0.1", "192.0.2.9", IPPROTO_TCP, 8883));
	EXPECT_EQ(M2M_R_NOT_ALLOWLISTED, v.reason);

	v = verdict(&o, flow4("10.0.0.1", "192.0.3.9", IPPROTO_TCP, 8883));
	EXPECT_STREQ("wide", ep_name(&o, &v));
	EXPECT_EQ(M2M_R_ALLOW, v.reason);
	close_opened(&o);
}

TEST(geo_fills_what_is_not_pinned)
{
	struct opened o;
	struct m2m_verdict v;

	enter_tmpdir();
	write_file("geo.csv", "192.0.2.0,192.0.2.127,DE\n"
		   "192.0.2.128/25,US\n"
		   "2001:db8::,2001:db8::ffff,FR\n");
	ASSERT_EQ(0, open_yaml(&o,
		"settings: { unknown-jurisdiction: allow }\n"
		"purposes: [billing]\n"
		"geo: { format: csv, file: geo.csv }\n"
		"classes:\n"
		"  - { name: m, sources: [10.0.0.0/8, \"fd00::/8\"],\n"
		"      consent: [billing], zone: eea }\n"
		"endpoints:\n"
		"  - { name: api, destinations: [192.0.2.0/24, \"::/0\"],\n"
		"      purposes: [billing] }\n"
		"  - { name: cdn, destinations: [203.0.113.0/24],\n"
		"      purposes: [billing], jurisdiction: US,\n"
		"      transfer-basis: { type: bcr, reference: BCR-7 } }\n"));
	ASSERT_NE(NULL, o.t.geo);
	EXPECT_STREQ("geo.csv", m2m_tables_str(&o.t, o.t.geo->name));
	EXPECT_EQ(2U, o.t.geo->entries4);
	EXPECT_EQ(1U, o.t.geo->entries6);

	v = verdict(&o, flow4("10.0.0.1", "192.0.2.1", IPPROTO_TCP, 1));
	EXPECT_EQ(M2M_R_ALLOW, v.reason);
	EXPECT_EQ(M2M_JUR_FROM_GEO, v.jur_source);
	v = verdict(&o, flow4("10.0.0.1", "192.0.2.200", IPPROTO_TCP, 1));
	EXPECT_EQ(M2M_R_RESIDENCY, v.reason);
	EXPECT_EQ(1, v.drop);
	v = verdict(&o, flow4("10.0.0.1", "203.0.113.1", IPPROTO_UDP, 9));
	EXPECT_EQ(M2M_R_ALLOW_BASIS, v.reason);
	EXPECT_STREQ("bcr: BCR-7", m2m_tables_str(&o.t,
		     o.t.endpoints[v.endpoint_id - 1].basis));
	v = verdict(&o, flow6("fd00::1", "2001:db8::1", IPPROTO_TCP, 1));
	EXPECT_EQ(M2M_R_ALLOW, v.reason);
	EXPECT_EQ(m2m_jur_code('F', 'R'), v.jurisdiction);
	v = verdict(&o, flow6("fd00::1", "2001:db9::1", IPPROTO_TCP, 1));
	EXPECT_EQ(M2M_R_ALLOW, v.reason);
	EXPECT_EQ(M2M_JUR_UNKNOWN, v.jurisdiction);
	close_opened(&o);
}

/* ---- the example, with the real Tor database ---- */

static const char *example_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	int up;

	if (!access("examples/gateway.yaml", R_OK))
		return "examples/gateway.yaml";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = '\0';
	for (up = 0; up < 4; up++)
		*strrchr(exe, '/') = '\0';
	snprintf(buf, len, "%s/examples/gateway.yaml", exe);
	return access(buf, R_OK) ? NULL : buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(the_example_compiles_with_the_tor_database)
{
	struct m2m_compile_info info;
	char buf[PATH_MAX + 32];
	const char *path = example_path(buf, sizeof(buf));
	struct rusage ru;
	double start;
	void *blob;
	__u32 len;

	ASSERT_NE(NULL, path);
	if (access(M2M_GEO_TOR4, R_OK) || access(M2M_GEO_TOR6, R_OK))
		SKIP(return, "no Tor geoip database (tor-geoipdb)");

	start = now();
	ASSERT_EQ(0, m2m_compile_file(path, stderr, &blob, &len, &info));
	EXPECT_GT(2.0, now() - start);
	getrusage(RUSAGE_SELF, &ru);
	EXPECT_GT(200L * 1024, ru.ru_maxrss);
	TH_LOG("compiled in %.2f s, %ld KiB at most", now() - start,
	       ru.ru_maxrss);

	EXPECT_EQ(3U, info.nclasses);
	EXPECT_EQ(7U, info.nendpoints);
	EXPECT_TRUE(info.has_geo);
	EXPECT_LT(300000U, info.geo.entries4);
	EXPECT_LT(200000U, info.geo.entries6);
	EXPECT_LT(300000U, info.ndst4);
	free(blob);
}

/* ---- random policies against a naive reference ---- */

static const char *const countries[] = {
	"DE", "FR", "US", "CH", "GB", "JP", "CN", "BR",
};
#define NCOUNTRIES	8
/* The built-in zones restricted to the countries above. */
#define EEA		0x03U	/* DE FR */
#define ADEQUACY	0xb8U	/* CH GB JP BR */
#define PARTIAL		0x04U	/* US */

enum { P_ANY, P_TCP, P_UDP, P_ICMP };

struct tpfx {
	int family;
	u128 addr;		/* IPv4 in the low 32 bits */
	unsigned int len;
};

struct tclass {
	char name[16];
	struct tpfx src[4];
	unsigned int nsrc;
	__u64 consent;
	unsigned int zone;	/* bit i: countries[i] */
	char zone_text[128];
	int mode;		/* enum m2m_rule_mode */
};

struct tports {
	unsigned int lo, hi;
};

struct tep {
	char name[16];
	struct tpfx dst[3];
	unsigned int ndst;
	int proto;
	struct tports ports[3];
	unsigned int nports;
	__u64 purposes;
	int pin;		/* countries[] index, -1 none */
	bool basis;
	int mode;
};

struct tgeo {
	int family;
	u128 lo, hi;
	int cc;			/* countries[] index */
};

#define NCLASSES	6
#define NEPS		200
#define NGEO		64

struct tpolicy {
	int mode;		/* enum m2m_mode */
	bool unknown_allowed;
	struct tclass classes[NCLASSES];
	unsigned int nclasses;
	struct tep eps[NEPS];
	unsigned int neps;
	struct tgeo geo[2 * NGEO];
	unsigned int ngeo;
};

/*
 * Addresses live in small blocks, so that random prefixes and flows
 * meet often: sources in 10.0.0.0/16 and fd00::/112, destinations in
 * 198.18.0.0/16 and 2001:db8::/112.
 */
static u128 block(int family, bool dst)
{
	if (family == AF_INET)
		return dst ? 0xc6120000U : 0x0a000000U;
	return dst ? (u128)0x20010db8ULL << 96 : (u128)0xfd00ULL << 112;
}

static unsigned int width(int family)
{
	return family == AF_INET ? 32 : 128;
}

static u128 host_mask(int family, unsigned int len)
{
	unsigned int w = width(family);

	if (len >= w)
		return 0;
	if (w - len == 128)
		return ~(u128)0;
	return ((u128)1 << (w - len)) - 1;
}

static bool covers(const struct tpfx *p, int family, u128 a)
{
	return p->family == family &&
	       (a & ~host_mask(family, p->len)) == p->addr;
}

static bool same_pfx(const struct tpfx *a, const struct tpfx *b)
{
	return a->family == b->family && a->len == b->len &&
	       a->addr == b->addr;
}

static struct tpfx random_pfx(__u64 *s, bool dst)
{
	struct tpfx p;

	p.family = below(s, 3) ? AF_INET : AF_INET6;
	p.len = width(p.family) - below(s, 17);
	if (!below(s, 20))
		p.len = width(p.family) - 16 - below(s, 8);
	p.addr = block(p.family, dst) | (rnd(s) & 0xffff);
	p.addr &= ~host_mask(p.family, p.len);
	return p;
}

static void pfx_text(const struct tpfx *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char b[16];
	int i;

	if (p->family == AF_INET) {
		for (i = 0; i < 4; i++)
			b[i] = p->addr >> (24 - 8 * i);
	} else {
		for (i = 0; i < 16; i++)
			b[i] = p->addr >> (120 - 8 * i);
	}
	inet_ntop(p->family, b, addr, sizeof(addr));
	snprintf(buf, len, "\"%s/%u\"", addr, p->len);
}

static void codes(char *t, unsigned int set)
{
	unsigned int i;

	for (i = 0; i < NCOUNTRIES; i++)
		if (set >> i & 1)
			sprintf(t + strlen(t), "%s, ", countries[i]);
	strcat(t, "EU");
}

/* A zone as the YAML says it, and the countries it stands for. */
static void random_zone(__u64 *s, struct tclass *c)
{
	static const char *const names[] = { "eea", "adequacy",
					     "adequacy-partial" };
	static const unsigned int sets[] = { EEA, ADEQUACY, PARTIAL };
	unsigned int i = below(s, 3), add = rnd(s) & 0xff;
	unsigned int del = rnd(s) & 0xff;
	char *t = c->zone_text;

	switch (below(s, 3)) {
	case 0:
		c->zone = sets[i];
		strcpy(t, names[i]);
		break;
	case 1:
		c->zone = add;
		strcpy(t, "[");
		codes(t, add);
		strcat(t, "]");
		break;
	default:
		c->zone = (sets[i] | add) & ~del;
		sprintf(t, "{ remove: [");
		codes(t, del);
		sprintf(t + strlen(t), "], include: [%s], add: [", names[i]);
		codes(t, add);
		strcat(t, "] }");
		break;
	}
}

/* Whether prefix X is a source of one of the first N classes. */
static bool src_taken(const struct tpolicy *p, unsigned int n,
		      const struct tpfx *x)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < p->classes[i].nsrc; j++)
			if (same_pfx(&p->classes[i].src[j], x))
				return true;
	return false;
}

static void random_classes(__u64 *s, struct tpolicy *p)
{
	struct tclass *c;
	struct tpfx x;
	unsigned int i, j, n;

	p->nclasses = 1 + below(s, NCLASSES);
	for (i = 0; i < p->nclasses; i++) {
		c = &p->classes[i];
		sprintf(c->name, "c%u", i);
		c->consent = rnd(s) & 0x3f;
		c->mode = below(s, 3);
		random_zone(s, c);
		n = 1 + below(s, 4);
		for (j = 0; j < n; j++) {
			x = random_pfx(s, false);
			if (!src_taken(p, i + 1, &x))
				c->src[c->nsrc++] = x;
		}
	}
}

/* Ports as the datapath sees them: icmp has 0, no list means any. */
static struct tports port_at(const struct tep *e, unsigned int i)
{
	if (e->proto == P_ICMP)
		return (struct tports){ 0, 0 };
	if (!e->nports)
		return (struct tports){ 0, 65535 };
	return e->ports[i];
}

static bool eps_overlap(const struct tep *a, const struct tep *b)
{
	unsigned int i, j, na = a->nports ? a->nports : 1;
	unsigned int nb = b->nports ? b->nports : 1;
	struct tports x, y;

	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	for (i = 0; i < na; i++) {
		x = port_at(a, i);
		for (j = 0; j < nb; j++) {
			y = port_at(b, j);
			if (x.lo <= y.hi && y.lo <= x.hi)
				return true;
		}
	}
	return false;
}

/* Whether P may go into E: no earlier endpoint there takes its ports. */
static bool dst_fits(const struct tpolicy *p, const struct tep *e,
		     const struct tpfx *x)
{
	unsigned int i, j;

	for (j = 0; j < e->ndst; j++)
		if (same_pfx(&e->dst[j], x))
			return false;
	for (i = 0; i < p->neps; i++)
		for (j = 0; j < p->eps[i].ndst; j++)
			if (same_pfx(&p->eps[i].dst[j], x) &&
			    eps_overlap(&p->eps[i], e))
				return false;
	return true;
}

static void random_endpoint(__u64 *s, struct tpolicy *p, struct tep *e,
			    const struct tpfx *pool, unsigned int npool)
{
	unsigned int i, n;
	struct tpfx x;

	memset(e, 0, sizeof(*e));
	sprintf(e->name, "e%u", p->neps);
	e->proto = below(s, 4);
	if (e->proto != P_ICMP)
		e->nports = below(s, 4);
	for (i = 0; i < e->nports; i++) {
		e->ports[i].lo = 1 + below(s, 50);
		e->ports[i].hi = e->ports[i].lo + below(s, 3) * below(s, 5);
	}
	e->purposes = 1 + below(s, 0x3f);
	e->pin = below(s, 3) ? -1 : (int)below(s, NCOUNTRIES);
	e->basis = !below(s, 5);
	e->mode = below(s, 3);

	n = 1 + below(s, 3);
	for (i = 0; i < n; i++) {
		x = pool[below(s, npool)];
		if (dst_fits(p, e, &x))
			e->dst[e->ndst++] = x;
	}
}

static void random_endpoints(__u64 *s, struct tpolicy *p)
{
	struct tpfx pool[80];
	unsigned int i;

	for (i = 0; i < 80; i++)
		pool[i] = random_pfx(s, true);
	while (p->neps < NEPS) {
		random_endpoint(s, p, &p->eps[p->neps], pool, 80);
		if (p->eps[p->neps].ndst)
			p->neps++;
	}
}

static int u128_cmp(const void *a, const void *b)
{
	const u128 *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/* Disjoint ranges in a block, some of them with a country. */
static void random_geo(__u64 *s, struct tpolicy *p, int family)
{
	u128 cut[NGEO + 1];
	unsigned int i;

	for (i = 0; i < NGEO; i++)
		cut[i] = block(family, true) | (rnd(s) & 0x1ffff);
	cut[NGEO] = block(family, true) + 0x20000;
	qsort(cut, NGEO + 1, sizeof(cut[0]), u128_cmp);
	for (i = 0; i < NGEO; i++) {
		if (cut[i] == cut[i + 1] || !below(s, 4))
			continue;
		p->geo[p->ngeo++] = (struct tgeo){ family, cut[i],
						   cut[i + 1] - 1,
						   below(s, NCOUNTRIES) };
	}
}

static void random_policy(__u64 *s, struct tpolicy *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = below(s, 2);
	p->unknown_allowed = below(s, 2);
	random_classes(s, p);
	random_endpoints(s, p);
	random_geo(s, p, AF_INET);
	random_geo(s, p, AF_INET6);
}

/* ---- the policy as YAML and CSV ---- */

static void write_purposes(FILE *f, __u64 set)
{
	const char *sep = "";
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < 6; i++) {
		if (set >> i & 1) {
			fprintf(f, "%sp%u", sep, i);
			sep = ", ";
		}
	}
	fputs("]\n", f);
}

static void write_pfxs(FILE *f, const struct tpfx *x, unsigned int n)
{
	char buf[64];
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		pfx_text(&x[i], buf, sizeof(buf));
		fprintf(f, "%s%s", i ? ", " : "", buf);
	}
	fputs("]\n", f);
}

static const char *const modes[] = { NULL, "enforce", "audit" };

static void write_class(FILE *f, const struct tclass *c)
{
	fprintf(f, "  - name: %s\n    sources: ", c->name);
	write_pfxs(f, c->src, c->nsrc);
	fputs("    consent: ", f);
	write_purposes(f, c->consent);
	fprintf(f, "    zone: %s\n", c->zone_text);
	if (c->mode)
		fprintf(f, "    mode: %s\n", modes[c->mode]);
}

static void write_endpoint(FILE *f, const struct tep *e)
{
	static const char *const protos[] = { "any", "tcp", "udp", "icmp" };
	unsigned int i;

	fprintf(f, "  - name: %s\n    destinations: ", e->name);
	write_pfxs(f, e->dst, e->ndst);
	fprintf(f, "    protocol: %s\n", protos[e->proto]);
	if (e->nports) {
		fputs("    ports: [", f);
		for (i = 0; i < e->nports; i++) {
			fputs(i ? ", " : "", f);
			if (e->ports[i].lo == e->ports[i].hi)
				fprintf(f, "%u", e->ports[i].lo);
			else
				fprintf(f, "%u-%u", e->ports[i].lo,
					e->ports[i].hi);
		}
		fputs("]\n", f);
	}
	fputs("    purposes: ", f);
	write_purposes(f, e->purposes);
	if (e->pin >= 0)
		fprintf(f, "    jurisdiction: %s\n", countries[e->pin]);
	if (e->basis)
		fprintf(f, "    transfer-basis: { type: scc, reference: "
			"\"contract %s\" }\n", e->name);
	if (e->mode)
		fprintf(f, "    mode: %s\n", modes[e->mode]);
}

static void write_policy(const struct tpolicy *p)
{
	FILE *f = fopen("policy.yaml", "w");
	unsigned int i;

	fprintf(f, "settings:\n  mode: %s\n  unknown-jurisdiction: %s\n",
		p->mode ? "audit" : "enforce",
		p->unknown_allowed ? "allow" : "deny");
	fputs("purposes: [p0, p1, p2, p3, p4, p5]\n", f);
	fputs("geo: { format: csv, file: geo.csv }\nclasses:\n", f);
	for (i = 0; i < p->nclasses; i++)
		write_class(f, &p->classes[i]);
	fputs("endpoints:\n", f);
	for (i = 0; i < p->neps; i++)
		write_endpoint(f, &p->eps[i]);
	fclose(f);
}

static void addr_text(int family, u128 a, char *buf)
{
	struct tpfx p = { family, a, width(family) };
	char tmp[64];

	pfx_text(&p, tmp, sizeof(tmp));
	*strchr(tmp, '/') = '\0';
	strcpy(buf, tmp + 1);
}

static void write_geo(const struct tpolicy *p)
{
	FILE *f = fopen("geo.csv", "w");
	char lo[64], hi[64];
	unsigned int i;

	fputs("start,end,country\n", f);
	for (i = 0; i < p->ngeo; i++) {
		addr_text(p->geo[i].family, p->geo[i].lo, lo);
		addr_text(p->geo[i].family, p->geo[i].hi, hi);
		fprintf(f, "%s,%s,%s\n", lo, hi, countries[p->geo[i].cc]);
	}
	fclose(f);
}

/* ---- the reference ---- */

struct answer {
	int reason;
	bool drop, audited;
	int class;		/* index, -1 unscoped */
	int ep;			/* index, -1 none */
	__u16 jur;
	bool pinned;
};

static __u16 code_of(int cc)
{
	return m2m_jur_code(countries[cc][0], countries[cc][1]);
}

static int ref_class(const struct tpolicy *p, int family, u128 src)
{
	int best = -1, len = -1;
	unsigned int i, j;

	for (i = 0; i < p->nclasses; i++)
		for (j = 0; j < p->classes[i].nsrc; j++)
			if (covers(&p->classes[i].src[j], family, src) &&
			    (int)p->classes[i].src[j].len > len) {
				best = i;
				len = p->classes[i].src[j].len;
			}
	return best;
}

/* The most specific endpoint prefix covering DST, or NULL. */
static const struct tpfx *ref_prefix(const struct tpolicy *p, int family,
				     u128 dst)
{
	const struct tpfx *best = NULL;
	unsigned int i, j;

	for (i = 0; i < p->neps; i++)
		for (j = 0; j < p->eps[i].ndst; j++)
			if (covers(&p->eps[i].dst[j], family, dst) &&
			    (!best || p->eps[i].dst[j].len > best->len))
				best = &p->eps[i].dst[j];
	return best;
}

static bool ref_takes(const struct tep *e, int family, int proto,
		      unsigned int port)
{
	static const int ip[] = { 0, IPPROTO_TCP, IPPROTO_UDP };
	unsigned int i;

	if (e->proto == P_ICMP)
		return proto == (family == AF_INET ? IPPROTO_ICMP
						   : IPPROTO_ICMPV6);
	if (e->proto && proto != ip[e->proto])
		return false;
	if (!e->nports)
		return true;
	for (i = 0; i < e->nports; i++)
		if (port >= e->ports[i].lo && port <= e->ports[i].hi)
			return true;
	return false;
}

static int ref_endpoint(const struct tpolicy *p, int family, u128 dst,
			int proto, unsigned int port)
{
	const struct tpfx *best = ref_prefix(p, family, dst);
	unsigned int i, j;

	if (!best)
		return -1;
	for (i = 0; i < p->neps; i++)
		for (j = 0; j < p->eps[i].ndst; j++)
			if (same_pfx(&p->eps[i].dst[j], best) &&
			    ref_takes(&p->eps[i], family, proto, port))
				return i;
	return -1;
}

static __u16 ref_geo(const struct tpolicy *p, int family, u128 dst)
{
	unsigned int i;

	for (i = 0; i < p->ngeo; i++)
		if (p->geo[i].family == family && dst >= p->geo[i].lo &&
		    dst <= p->geo[i].hi)
			return code_of(p->geo[i].cc);
	return 0;
}

static bool ref_audits(const struct tpolicy *p, const struct tclass *c,
		       const struct tep *e)
{
	if (e && e->mode)
		return e->mode == M2M_RULE_AUDIT;
	if (c->mode)
		return c->mode == M2M_RULE_AUDIT;
	return p->mode == M2M_MODE_AUDIT;
}

static void ref_deny(struct answer *a, int reason, bool audit)
{
	a->reason = reason;
	a->audited = audit;
	a->drop = !audit;
}

static bool ref_in_zone(const struct tpolicy *p, const struct tclass *c,
			__u16 jur)
{
	unsigned int i;

	if (!jur)
		return p->unknown_allowed;
	for (i = 0; i < NCOUNTRIES; i++)
		if (code_of(i) == jur)
			return c->zone >> i & 1;
	return false;
}

static struct answer reference(const struct tpolicy *p, int family, u128 src,
			       u128 dst, int proto, unsigned int port)
{
	struct answer a = { M2M_R_UNSCOPED, false, false, -1, -1, 0, false };
	const struct tclass *c;
	const struct tep *e;
	bool basis = false;

	a.class = ref_class(p, family, src);
	a.jur = ref_geo(p, family, dst);
	if (a.class < 0)
		return a;
	c = &p->classes[a.class];
	a.ep = ref_endpoint(p, family, dst, proto, port);
	if (a.ep < 0) {
		ref_deny(&a, M2M_R_NOT_ALLOWLISTED, ref_audits(p, c, NULL));
		return a;
	}
	e = &p->eps[a.ep];
	if (e->pin >= 0) {
		a.jur = code_of(e->pin);
		a.pinned = true;
	}
	if (!ref_in_zone(p, c, a.jur)) {
		if (!e->basis) {
			ref_deny(&a, M2M_R_RESIDENCY, ref_audits(p, c, e));
			return a;
		}
		basis = true;
	}
	if (!(e->purposes & c->consent)) {
		ref_deny(&a, M2M_R_NO_CONSENT, ref_audits(p, c, e));
		return a;
	}
	a.reason = basis ? M2M_R_ALLOW_BASIS : M2M_R_ALLOW;
	return a;
}

/* ---- flows ---- */

static u128 random_addr(__u64 *s, int family, bool dst)
{
	u128 a = (u128)rnd(s) << 64 | rnd(s);

	if (below(s, 10))
		return block(family, dst) | (a & 0x1ffff);
	return family == AF_INET ? (__u32)a : a;
}

static void set_flow(struct m2m_flow *f, int family, u128 src, u128 dst)
{
	f->family = family;
	f->src4 = src;
	f->dst4 = dst;
	f->src6_hi = src >> 64;
	f->src6_lo = src;
	f->dst6_hi = dst >> 64;
	f->dst6_lo = dst;
}

static bool agrees(const struct opened *o, const struct tpolicy *p,
		   const struct m2m_verdict *v, const struct answer *a)
{
	const char *cname = "", *ename = "";

	if (v->class_id)
		cname = m2m_tables_str(&o->t,
				       o->t.classes[v->class_id - 1].name);
	ename = ep_name(o, v);
	return v->reason == a->reason && v->drop == a->drop &&
	       v->audited == a->audited && v->jurisdiction == a->jur &&
	       (v->jur_source == M2M_JUR_PINNED) == a->pinned &&
	       !strcmp(cname, a->class < 0 ? "" : p->classes[a->class].name) &&
	       !strcmp(ename, a->ep < 0 ? "" : p->eps[a->ep].name);
}

static const int flow_protos[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, 47,
};

/*
 * FLOWS random flows; returns how many disagree, logging the first, and
 * counts the reasons seen in HITS.
 */
static unsigned int compare(struct __test_metadata *_metadata, __u64 *s,
			    const struct opened *o, const struct tpolicy *p,
			    unsigned int *hits)
{
	unsigned int i, bad = 0, port;
	struct m2m_verdict v;
	struct answer a;
	struct m2m_flow f;
	int family, proto;
	u128 src, dst;

	for (i = 0; i < FLOWS; i++) {
		family = below(s, 2) ? AF_INET : AF_INET6;
		src = random_addr(s, family, false);
		dst = random_addr(s, family, true);
		proto = flow_protos[below(s, 5)];
		port = proto == IPPROTO_TCP || proto == IPPROTO_UDP ?
		       below(s, 60) : 0;
		memset(&f, 0, sizeof(f));
		set_flow(&f, family, src, dst);
		f.proto = proto;
		f.dport = port;

		m2m_classify(&o->t, &f, o->t.settings->mode, &v);
		hits[v.reason]++;
		a = reference(p, family, src, dst, proto, port);
		if (agrees(o, p, &v, &a))
			continue;
		if (!bad++)
			TH_LOG("flow %u: got %s/%u%u '%s' jur %u, expected "
			       "%s/%u%u '%s' jur %u", i,
			       m2m_reason_name(v.reason), v.drop, v.audited,
			       ep_name(o, &v), v.jurisdiction,
			       m2m_reason_name(a.reason), a.drop, a.audited,
			       a.ep < 0 ? "" : p->eps[a.ep].name, a.jur);
	}
	return bad;
}

TEST(explain_agrees_with_a_naive_reference)
{
	static struct tpolicy p;
	unsigned int n, hits[__M2M_R_MAX] = { 0 };
	__u64 s = SEED;
	struct opened o;

	enter_tmpdir();
	for (n = 0; n < POLICIES; n++) {
		random_policy(&s, &p);
		write_policy(&p);
		write_geo(&p);
		ASSERT_EQ(0, m2m_compile_open("policy.yaml", stderr, &o.blob,
					      &o.len, &o.t));
		EXPECT_EQ(0U, compare(_metadata, &s, &o, &p, hits));
		close_opened(&o);
	}

	/* Every reason must have come up, or the test tests little. */
	for (n = 0; n < M2M_R_PLAINTEXT; n++) {
		EXPECT_LT(FLOWS / 100, hits[n]) {
			TH_LOG("reason %u: %u flows", n, hits[n]);
		}
	}
}

TEST_HARNESS_MAIN
