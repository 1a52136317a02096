// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for opening compiled policies (kmod/tables.c) and for the
 * verdict (kmod/verdict.c), in userspace, on blobs written by ctl/blob.c.
 *
 * Policies are written here the way an operator thinks of them: classes
 * of source prefixes, endpoints on destination prefixes with protocols,
 * ports and purposes, a geo list. A small compiler below turns such a
 * description into range tables and a blob; a naive reference classifies
 * straight from the description, with linear scans and the most specific
 * prefix winning. The tests compare the two, pin the verdict down on
 * hand-made policies, and check that every malformed blob is refused with
 * its own message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <m2mguard/tables.h>

/* The harness itself trips -Wextra; keep -Werror for our own code. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#include "../../ctl/blob.h"

/* Fixed, so that failures reproduce. */
#define SEED	0x7461626c657354ULL

typedef unsigned __int128 u128;

/* splitmix64: small, seeded, good enough for test data. */
static __u64 rnd(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 rnd_below(__u64 *state, __u32 n)
{
	return rnd(state) % n;
}

/* ---- addresses and prefixes ---- */

struct pfx {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 len;
	u128 addr;		/* host order; IPv4 in the low 32 bits */
};

static unsigned int width(__u8 family)
{
	return family == AF_INET6 ? 128 : 32;
}

/* The host bits of a LEN-bit prefix of a W-bit address. */
static u128 host_mask(unsigned int w, unsigned int len)
{
	if (len >= w)
		return 0;
	if (w - len == 128)
		return ~(u128)0;
	return ((u128)1 << (w - len)) - 1;
}

static u128 top_addr(__u8 family)
{
	return host_mask(width(family), 0);
}

static u128 pfx_last(const struct pfx *p)
{
	return p->addr | host_mask(width(p->family), p->len);
}

static bool pfx_has(const struct pfx *p, __u8 family, u128 a)
{
	u128 net = ~host_mask(width(family), p->len);

	return p->family == family && (a & net) == p->addr;
}

static bool pfx_eq(const struct pfx *a, const struct pfx *b)
{
	return a->family == b->family && a->len == b->len &&
	       a->addr == b->addr;
}

static u128 parse_addr(const char *s, __u8 *family)
{
	unsigned char b[16];
	u128 a = 0;
	int i, n;

	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	n = *family == AF_INET6 ? 16 : 4;
	if (inet_pton(*family, s, b) != 1)
		abort();
	for (i = 0; i < n; i++)
		a = a << 8 | b[i];
	return a;
}

static struct pfx cidr(const char *s)
{
	struct pfx p;
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		abort();
	*slash = '\0';
	p.addr = parse_addr(buf, &p.family);
	p.len = atoi(slash + 1);
	if (p.addr & host_mask(width(p.family), p.len))
		abort();
	return p;
}

static void flow_addrs(struct m2m_flow *f, u128 src, u128 dst)
{
	if (f->family == AF_INET6) {
		f->src6_hi = src >> 64;
		f->src6_lo = (__u64)src;
		f->dst6_hi = dst >> 64;
		f->dst6_lo = (__u64)dst;
	} else {
		f->src4 = src;
		f->dst4 = dst;
	}
}

static struct m2m_flow mkflow(const char *src, const char *dst, __u8 proto,
			      __u16 dport)
{
	struct m2m_flow f = { .proto = proto, .dport = dport };
	__u8 fam;
	u128 s, d;

	s = parse_addr(src, &f.family);
	d = parse_addr(dst, &fam);
	flow_addrs(&f, s, d);
	return f;
}

/* ---- a policy as the operator describes it ---- */

#define MAX_CLASSES	16
#define MAX_SRC		64
#define MAX_DST		512	/* a group per prefix */
#define MAX_EP		1536
#define MAX_GEO		512

#define P_BILLING	(1ULL << 0)
#define P_SUPPORT	(1ULL << 1)
#define P_ANALYTICS	(1ULL << 2)

struct desc {
	struct m2m_settings settings;
	bool has_geo;
	struct m2m_class classes[MAX_CLASSES];
	__u32 nclasses;
	struct pfx src[MAX_SRC];
	__u32 src_class[MAX_SRC];
	__u32 nsrc;
	struct pfx dst[MAX_DST];	/* group g's prefix is dst[g - 1] */
	__u32 ndst;
	struct m2m_endpoint eps[MAX_EP];
	__u32 ep_group[MAX_EP];
	__u32 neps;
	struct pfx geo[MAX_GEO];
	__u16 geo_jur[MAX_GEO];
	__u32 ngeo;
};

static struct desc *desc_new(void)
{
	struct desc *d = calloc(1, sizeof(*d));

	if (!d)
		abort();
	d->has_geo = true;
	d->settings.event_rate = 10;
	d->settings.counter_interval = 1000;
	return d;
}

static __u16 jur(const char *cc)
{
	return m2m_jur_code(cc[0], cc[1]);
}

static void zone_add(struct m2m_class *c, __u16 j)
{
	c->zone[j / 64] |= 1ULL << (j % 64);
}

static bool zone_has(const struct m2m_class *c, __u16 j)
{
	return c->zone[j / 64] >> (j % 64) & 1;
}

/* A class whose zone is the space-separated codes ZONE; returns its id. */
static __u32 add_class(struct desc *d, const char *zone, __u64 consent,
		       __u8 mode)
{
	struct m2m_class *c = &d->classes[d->nclasses++];

	for (; *zone; zone += zone[2] ? 3 : 2)
		zone_add(c, jur(zone));
	c->consent = consent;
	c->mode = mode;
	return d->nclasses;
}

static void add_src(struct desc *d, const char *prefix, __u32 class_id)
{
	d->src[d->nsrc] = cidr(prefix);
	d->src_class[d->nsrc++] = class_id;
}

static void add_geo(struct desc *d, const char *prefix, const char *cc)
{
	d->geo[d->ngeo] = cidr(prefix);
	d->geo_jur[d->ngeo++] = cc ? jur(cc) : M2M_JUR_UNKNOWN;
}

/*
 * An endpoint on P: it joins the group of the previous endpoint when that
 * one has the same prefix, else starts a new group. Returns its id.
 */
static __u32 add_ep_pfx(struct desc *d, struct pfx p,
			struct m2m_endpoint ep)
{
	if (!d->ndst || !pfx_eq(&d->dst[d->ndst - 1], &p))
		d->dst[d->ndst++] = p;
	d->eps[d->neps] = ep;
	d->ep_group[d->neps++] = d->ndst;
	return d->neps;
}

static __u32 add_ep(struct desc *d, const char *prefix,
		    struct m2m_endpoint ep)
{
	return add_ep_pfx(d, cidr(prefix), ep);
}

/* A tcp/443 endpoint for PURPOSES, the common case in the tests. */
static struct m2m_endpoint https(__u64 purposes)
{
	return (struct m2m_endpoint){
		.proto = IPPROTO_TCP, .port_lo = 443, .port_hi = 443,
		.purposes = purposes,
	};
}

/* ---- the naive reference ---- */

/* Index of the most specific prefix in LIST holding A, -1 for none. */
static int best(const struct pfx *list, __u32 n, __u8 family, u128 a)
{
	int i, b = -1;

	for (i = 0; i < (int)n; i++)
		if (pfx_has(&list[i], family, a) &&
		    (b < 0 || list[i].len > list[b].len))
			b = i;
	return b;
}

static __u32 ref_class(const struct desc *d, __u8 family, u128 a)
{
	int i = best(d->src, d->nsrc, family, a);

	return i < 0 ? 0 : d->src_class[i];
}

static __u32 ref_group(const struct desc *d, __u8 family, u128 a)
{
	return best(d->dst, d->ndst, family, a) + 1;
}

static __u16 ref_geo(const struct desc *d, __u8 family, u128 a)
{
	int i = best(d->geo, d->ngeo, family, a);

	return i < 0 ? M2M_JUR_UNKNOWN : d->geo_jur[i];
}

static void flow_to_u128(const struct m2m_flow *f, u128 *src, u128 *dst)
{
	if (f->family == AF_INET6) {
		*src = (u128)f->src6_hi << 64 | f->src6_lo;
		*dst = (u128)f->dst6_hi << 64 | f->dst6_lo;
	} else {
		*src = f->src4;
		*dst = f->dst4;
	}
}

static bool ref_audits(const struct m2m_endpoint *ep,
		       const struct m2m_class *c, __u8 mode)
{
	__u8 m = M2M_RULE_INHERIT;

	if (ep)
		m = ep->mode;
	if (m == M2M_RULE_INHERIT)
		m = c->mode;
	if (m == M2M_RULE_INHERIT)
		m = mode == M2M_MODE_AUDIT ? M2M_RULE_AUDIT : M2M_RULE_ENFORCE;
	return m == M2M_RULE_AUDIT;
}

static void ref_classify(const struct desc *d, const struct m2m_flow *f,
			 __u8 mode, struct m2m_verdict *v)
{
	const struct m2m_endpoint *ep = NULL, *e;
	const struct m2m_class *c;
	bool in_zone;
	u128 src, dst;
	__u32 g, i;

	memset(v, 0, sizeof(*v));
	flow_to_u128(f, &src, &dst);
	v->jurisdiction = ref_geo(d, f->family, dst);
	v->class_id = ref_class(d, f->family, src);
	if (!v->class_id) {
		v->reason = M2M_R_UNSCOPED;
		return;
	}
	c = &d->classes[v->class_id - 1];

	g = ref_group(d, f->family, dst);
	for (i = 0; g && i < d->neps && !ep; i++) {
		e = &d->eps[i];
		if (d->ep_group[i] != g)
			continue;
		if ((!e->proto || e->proto == f->proto) &&
		    e->port_lo <= f->dport && f->dport <= e->port_hi) {
			ep = e;
			v->endpoint_id = i + 1;
		}
	}
	if (!ep) {
		v->reason = M2M_R_NOT_ALLOWLISTED;
		goto deny;
	}

	if (ep->jurisdiction) {
		v->jurisdiction = ep->jurisdiction;
		v->jur_source = M2M_JUR_PINNED;
	}
	if (v->jurisdiction)
		in_zone = zone_has(c, v->jurisdiction);
	else
		in_zone = d->settings.unknown_allowed;
	if (!in_zone && !(ep->flags & M2M_EP_BASIS)) {
		v->reason = M2M_R_RESIDENCY;
		goto deny;
	}
	if (!(ep->purposes & c->consent)) {
		v->reason = M2M_R_NO_CONSENT;
		goto deny;
	}
	v->reason = in_zone ? M2M_R_ALLOW : M2M_R_ALLOW_BASIS;
	return;

deny:
	v->audited = ref_audits(ep, c, mode);
	v->drop = !v->audited;
}

/* ---- compiling a description into a blob ---- */

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/* Where the answer may change: each prefix's first address and last + 1. */
static __u32 cuts(const struct pfx *list, __u32 n, __u8 family, u128 *out,
		  __u32 m)
{
	__u32 i;

	for (i = 0; i < n; i++) {
		if (list[i].family != family)
			continue;
		out[m++] = list[i].addr;
		if (pfx_last(&list[i]) != top_addr(family))
			out[m++] = pfx_last(&list[i]) + 1;
	}
	return m;
}

/* Sorted, unique range starts for one table, the first at 0. */
static u128 *starts_of(const struct desc *d, __u8 family, bool dst,
		       __u32 *n)
{
	u128 *a = malloc(sizeof(*a) * (1 + 2 * (MAX_DST + MAX_GEO + MAX_SRC)));
	__u32 m = 0, i, k = 0;

	if (!a)
		abort();
	a[m++] = 0;
	if (dst) {
		m = cuts(d->dst, d->ndst, family, a, m);
		m = cuts(d->geo, d->ngeo, family, a, m);
	} else {
		m = cuts(d->src, d->nsrc, family, a, m);
	}
	qsort(a, m, sizeof(*a), cmp_u128);
	for (i = 0; i < m; i++)
		if (!k || a[i] != a[k - 1])
			a[k++] = a[i];
	*n = k;
	return a;
}

static __u32 value_at(const struct desc *d, __u8 family, bool dst, u128 a)
{
	if (!dst)
		return ref_class(d, family, a);
	return M2M_DST_VALUE(ref_group(d, family, a), ref_geo(d, family, a));
}

static struct m2m_range4 *compile4(const struct desc *d, bool dst, __u32 *n)
{
	u128 *s = starts_of(d, AF_INET, dst, n);
	struct m2m_range4 *r = calloc(*n, sizeof(*r));
	__u32 i;

	for (i = 0; i < *n; i++) {
		r[i].start = s[i];
		r[i].value = value_at(d, AF_INET, dst, s[i]);
	}
	free(s);
	return r;
}

static struct m2m_range6 *compile6(const struct desc *d, bool dst, __u32 *n)
{
	u128 *s = starts_of(d, AF_INET6, dst, n);
	struct m2m_range6 *r = calloc(*n, sizeof(*r));
	__u32 i;

	for (i = 0; i < *n; i++) {
		r[i].start_hi = s[i] >> 64;
		r[i].start_lo = (__u64)s[i];
		r[i].value = value_at(d, AF_INET6, dst, s[i]);
	}
	free(s);
	return r;
}

static void name_all(const struct desc *d, struct m2m_class *classes,
		     struct m2m_endpoint *eps, struct m2m_strtab *s)
{
	char name[32];
	__u32 i;

	for (i = 0; i < d->nclasses; i++) {
		classes[i] = d->classes[i];
		snprintf(name, sizeof(name), "class%u", i + 1);
		m2m_strtab_add(s, name, &classes[i].name);
	}
	for (i = 0; i < d->neps; i++) {
		eps[i] = d->eps[i];
		snprintf(name, sizeof(name), "ep%u", i + 1);
		m2m_strtab_add(s, name, &eps[i].name);
		if (eps[i].flags & M2M_EP_BASIS)
			m2m_strtab_add(s, "SCC 2021/914", &eps[i].basis);
	}
}

static int desc_blob(const struct desc *d, void **blob, __u32 *len)
{
	struct m2m_blob_parts p = { .settings = d->settings };
	struct m2m_group groups[MAX_DST + 1] = { { 0, 0 } };
	struct m2m_class classes[MAX_CLASSES];
	struct m2m_endpoint *eps;
	struct m2m_geo geo = { 0 };
	struct m2m_strtab s;
	__u32 i, g;
	int err;

	eps = calloc(MAX_EP, sizeof(*eps));
	if (!eps)
		abort();
	m2m_strtab_init(&s);
	name_all(d, classes, eps, &s);
	for (i = 0; i < d->neps; i++) {
		g = d->ep_group[i];
		if (!groups[g].count)
			groups[g].first = i;
		groups[g].count++;
	}
	m2m_strtab_add(&s, "test-geo.csv", &geo.name);
	m2m_strtab_add(&s, "2024-05-01", &geo.date);
	geo.entries4 = d->ngeo;

	p.dst4 = compile4(d, true, &p.ndst4);
	p.dst6 = compile6(d, true, &p.ndst6);
	p.src4 = compile4(d, false, &p.nsrc4);
	p.src6 = compile6(d, false, &p.nsrc6);
	p.classes = classes;
	p.nclasses = d->nclasses;
	p.groups = groups;
	p.ngroups = d->ndst + 1;
	p.endpoints = eps;
	p.nendpoints = d->neps;
	p.strings = &s;
	p.geo = d->has_geo ? &geo : NULL;

	err = m2m_blob_build(&p, blob, len);

	free((void *)p.dst4);
	free((void *)p.dst6);
	free((void *)p.src4);
	free((void *)p.src6);
	free(eps);
	m2m_strtab_free(&s);
	return err;
}

struct policy {
	void *blob;
	__u32 len;
	struct m2m_tables t;
};

static int policy_open(struct policy *pol, const struct desc *d)
{
	const char *why = "";
	int err;

	memset(pol, 0, sizeof(*pol));
	err = desc_blob(d, &pol->blob, &pol->len);
	if (!err)
		err = m2m_tables_open(&pol->t, pol->blob, pol->len, &why);
	if (err)
		fprintf(stderr, "# %s: %d %s\n", __func__, err, why);
	return err;
}

static void policy_close(struct policy *pol)
{
	m2m_tables_close(&pol->t);
	free(pol->blob);
}

static struct m2m_verdict classify(const struct policy *pol,
				   struct m2m_flow f, __u8 mode)
{
	struct m2m_verdict v;

	memset(&v, 0xa5, sizeof(v));	/* every field must be written */
	m2m_classify(&pol->t, &f, mode, &v);
	return v;
}

/* Compare reasons by name: a failure then says what it got. */
#define EXPECT_VERDICT(v, want_reason, want_drop, want_audited) do {	\
	EXPECT_STREQ(m2m_reason_name(want_reason),			\
		     m2m_reason_name((v).reason));			\
	EXPECT_EQ(want_drop, (v).drop);					\
	EXPECT_EQ(want_audited, (v).audited);				\
} while (0)

#define ENFORCE		M2M_MODE_ENFORCE
#define AUDIT		M2M_MODE_AUDIT
#define TCP		IPPROTO_TCP
#define UDP		IPPROTO_UDP

/* ---- the policy every rejection test corrupts ---- */

#define BASE_CLASSES	2
#define BASE_GROUPS	4	/* with group 0 */
#define BASE_ENDPOINTS	5

/* Something in every section and both families, so every check runs. */
static struct desc *base_desc(void)
{
	struct desc *d = desc_new();
	struct m2m_endpoint e;

	add_class(d, "DE FR AT", P_BILLING | P_SUPPORT, M2M_RULE_INHERIT);
	add_class(d, "DE", P_ANALYTICS, M2M_RULE_AUDIT);
	add_src(d, "10.1.0.0/16", 1);
	add_src(d, "10.2.0.0/16", 2);
	add_src(d, "2001:db8:1::/48", 1);
	add_src(d, "2001:db8:2::/48", 2);

	add_geo(d, "192.0.2.0/24", "DE");
	add_geo(d, "198.51.100.0/24", "US");
	add_geo(d, "2001:db8:a::/48", "DE");
	add_geo(d, "2001:db8:b::/48", "US");

	add_ep(d, "192.0.2.10/32", https(P_BILLING));
	e = https(P_BILLING);
	e.proto = UDP;
	add_ep(d, "192.0.2.10/32", e);
	e = https(P_BILLING);
	e.flags = M2M_EP_BASIS;
	add_ep(d, "198.51.100.0/28", e);
	add_ep(d, "2001:db8:a::10/128", https(P_ANALYTICS));
	e = https(P_SUPPORT);
	e.jurisdiction = jur("FR");
	e.mode = M2M_RULE_ENFORCE;
	add_ep(d, "2001:db8:a::10/128", e);
	return d;
}

/* ---- opening ---- */

TEST(open_accepts_a_valid_policy)
{
	struct desc *d = base_desc();
	struct policy pol;
	const struct m2m_tables *t = &pol.t;

	ASSERT_EQ(0, policy_open(&pol, d));
	EXPECT_EQ(BASE_CLASSES, t->nclasses);
	EXPECT_EQ(BASE_GROUPS, t->ngroups);
	EXPECT_EQ(BASE_ENDPOINTS, t->nendpoints);
	EXPECT_EQ(pol.blob, (void *)t->hdr);
	EXPECT_EQ(1000U, t->settings->counter_interval);
	EXPECT_LT(1U, t->ndst4);
	EXPECT_LT(1U, t->ndst6);
	EXPECT_LT(1U, t->nsrc4);
	EXPECT_LT(1U, t->nsrc6);
	EXPECT_NE(NULL, t->dst4);
	EXPECT_NE(NULL, t->src6);
	EXPECT_LT(4 * 65536 * 4, m2m_tables_size(t));

	ASSERT_NE(NULL, t->geo);
	EXPECT_STREQ("test-geo.csv", m2m_tables_str(t, t->geo->name));
	EXPECT_STREQ("2024-05-01", m2m_tables_str(t, t->geo->date));
	EXPECT_STREQ("class2", m2m_tables_str(t, t->classes[1].name));
	EXPECT_STREQ("ep3", m2m_tables_str(t, t->endpoints[2].name));
	EXPECT_STREQ("SCC 2021/914", m2m_tables_str(t, t->endpoints[2].basis));
	EXPECT_STREQ("", m2m_tables_str(t, t->endpoints[0].basis));
	EXPECT_STREQ("", m2m_tables_str(t, t->strings_len));
	EXPECT_STREQ("", m2m_tables_str(t, ~0U));

	policy_close(&pol);
	EXPECT_EQ(NULL, t->dst4);
	EXPECT_EQ(0U, m2m_tables_size(t));
	free(d);
}

TEST(open_accepts_a_policy_without_geo)
{
	struct desc *d = base_desc();
	struct policy pol;

	d->has_geo = false;
	ASSERT_EQ(0, policy_open(&pol, d));
	EXPECT_EQ(NULL, pol.t.geo);
	policy_close(&pol);
	free(d);
}

/* No classes, no endpoints: everything is unscoped. */
TEST(open_accepts_the_smallest_policy)
{
	struct desc *d = desc_new();
	struct m2m_verdict v;
	struct policy pol;

	add_geo(d, "192.0.2.0/24", "DE");
	ASSERT_EQ(0, policy_open(&pol, d));
	EXPECT_EQ(0U, pol.t.nclasses);
	EXPECT_EQ(1U, pol.t.ngroups);
	EXPECT_EQ(0U, pol.t.nendpoints);
	EXPECT_EQ(1U, pol.t.nsrc4);

	v = classify(&pol, mkflow("10.0.0.1", "192.0.2.1", TCP, 443), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_UNSCOPED, 0, 0);
	EXPECT_EQ(jur("DE"), v.jurisdiction);
	policy_close(&pol);
	free(d);
}

TEST(open_rejects_a_misaligned_blob)
{
	struct desc *d = base_desc();
	const char *why = "";
	struct m2m_tables t;
	void *blob;
	__u8 *buf;
	__u32 len;

	ASSERT_EQ(0, desc_blob(d, &blob, &len));
	buf = malloc(len + 8);
	ASSERT_NE(NULL, buf);
	memcpy(buf + 4, blob, len);
	EXPECT_EQ(-EINVAL, m2m_tables_open(&t, buf + 4, len, &why));
	EXPECT_STREQ("policy: blob not 8-byte aligned", why);
	free(buf);
	free(blob);
	free(d);
}

TEST(close_after_a_failed_open_is_harmless)
{
	struct m2m_tables t;
	const char *why = "";

	EXPECT_EQ(-EINVAL, m2m_tables_open(&t, NULL, 0, &why));
	EXPECT_STREQ("policy: shorter than its header", why);
	EXPECT_EQ(-EINVAL, m2m_tables_open(&t, NULL, 0, NULL));
	m2m_tables_close(&t);
	m2m_tables_close(&t);
	EXPECT_EQ(0U, m2m_tables_size(&t));
	EXPECT_STREQ("", m2m_tables_str(&t, 0));
}

/* ---- the blob writer ---- */

TEST(blob_layout_is_fixed_and_deterministic)
{
	struct desc *d = base_desc();
	const struct m2m_policy_hdr *h;
	const struct m2m_section *tab;
	void *a, *b;
	__u32 alen, blen, i;

	ASSERT_EQ(0, desc_blob(d, &a, &alen));
	ASSERT_EQ(0, desc_blob(d, &b, &blen));
	ASSERT_EQ(alen, blen);
	EXPECT_EQ(0, memcmp(a, b, alen));

	h = a;
	tab = (const void *)(h + 1);
	EXPECT_EQ(M2M_POLICY_MAGIC, h->magic);
	EXPECT_EQ(alen, h->total_len);
	EXPECT_EQ(0U, alen % 8);
	ASSERT_EQ(__M2M_SEC_MAX - 1, h->nsections);
	for (i = 0; i < h->nsections; i++) {
		EXPECT_EQ(i + 1, tab[i].type);
		EXPECT_EQ(0U, tab[i].offset % 8);
		if (i)
			EXPECT_LE(tab[i - 1].offset + tab[i - 1].count *
				  tab[i - 1].elem_size, tab[i].offset);
	}

	/* Sealing again changes nothing. */
	ASSERT_EQ(0, m2m_blob_seal(b, blen));
	EXPECT_EQ(0, memcmp(a, b, alen));
	EXPECT_EQ(-EINVAL, m2m_blob_seal(b, sizeof(*h) - 1));
	free(a);
	free(b);
	free(d);
}

TEST(blob_without_strings_or_geo)
{
	struct m2m_range4 r4 = { 0, 0 };
	struct m2m_range6 r6 = { 0, 0, 0, 0 };
	struct m2m_group g0 = { 0, 0 };
	struct m2m_blob_parts p = {
		.dst4 = &r4, .ndst4 = 1, .dst6 = &r6, .ndst6 = 1,
		.src4 = &r4, .nsrc4 = 1, .src6 = &r6, .nsrc6 = 1,
		.groups = &g0, .ngroups = 1,
		.settings.counter_interval = 1000,
	};
	const char *why = "";
	struct m2m_tables t;
	void *blob;
	__u32 len;

	ASSERT_EQ(0, m2m_blob_build(&p, &blob, &len));
	ASSERT_EQ(0, m2m_tables_open(&t, blob, len, &why));
	EXPECT_EQ(1U, t.strings_len);
	EXPECT_EQ(NULL, t.geo);
	m2m_tables_close(&t);
	free(blob);
}

TEST(strtab_dedups_and_keeps_offsets)
{
	struct m2m_strtab s;
	__u32 off[5000], o, i;
	char name[32];

	m2m_strtab_init(&s);
	ASSERT_EQ(0, m2m_strtab_add(&s, "", &o));
	EXPECT_EQ(0U, o);
	EXPECT_EQ(0U, s.len);

	ASSERT_EQ(0, m2m_strtab_add(&s, "meters", &o));
	EXPECT_EQ(1U, o);
	ASSERT_EQ(0, m2m_strtab_add(&s, "cams", &o));
	EXPECT_EQ(8U, o);
	ASSERT_EQ(0, m2m_strtab_add(&s, "meters", &o));
	EXPECT_EQ(1U, o);
	EXPECT_EQ(13U, s.len);

	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "endpoint-%u", i);
		ASSERT_EQ(0, m2m_strtab_add(&s, name, &off[i]));
	}
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "endpoint-%u", i);
		ASSERT_EQ(0, m2m_strtab_add(&s, name, &o));
		EXPECT_EQ(off[i], o);
		EXPECT_STREQ(name, s.buf + off[i]);
	}
	EXPECT_EQ('\0', s.buf[0]);
	EXPECT_EQ('\0', s.buf[s.len - 1]);
	m2m_strtab_free(&s);
	EXPECT_EQ(0U, s.len);
}

/* ---- every rejection, one corruption each ---- */

struct blob {
	__u8 *b;
	__u32 len;
};

enum { IN_HDR, IN_TABLE, IN_DATA };

struct corruption {
	void (*fn)(struct blob *b, const struct corruption *c);
	unsigned int where;	/* for a poke: IN_* */
	unsigned int type;	/* section type */
	__u32 index;		/* element */
	__u32 off;		/* byte offset in it */
	__u32 width;		/* 1, 2, 4 or 8 */
	__u64 value;
	bool to_strlen;		/* poke the string table's length */
	bool raw;		/* leave the checksum as it is */
	int err;
	const char *msg;
};

static struct m2m_policy_hdr *hdr_of(struct blob *b)
{
	return (void *)b->b;
}

static struct m2m_section *table_of(struct blob *b)
{
	return (void *)(b->b + sizeof(struct m2m_policy_hdr));
}

static unsigned int slot_of(struct blob *b, unsigned int type)
{
	unsigned int i;

	for (i = 0; i < hdr_of(b)->nsections; i++)
		if (table_of(b)[i].type == type)
			return i;
	abort();
}

static struct m2m_section *sect(struct blob *b, unsigned int type)
{
	return &table_of(b)[slot_of(b, type)];
}

static __u8 *elem(struct blob *b, unsigned int type, __u32 i)
{
	struct m2m_section *s = sect(b, type);

	return b->b + s->offset + i * s->elem_size;
}

static void poke(struct blob *b, const struct corruption *c)
{
	__u64 v = c->to_strlen ? sect(b, M2M_SEC_STRINGS)->count : c->value;
	__u8 *p;

	if (c->where == IN_HDR)
		p = b->b;
	else if (c->where == IN_TABLE)
		p = (__u8 *)sect(b, c->type);
	else
		p = elem(b, c->type, c->index);
	p += c->off;

	switch (c->width) {
	case 1:
		*p = v;
		break;
	case 2:
		*(__u16 *)p = v;
		break;
	case 4:
		*(__u32 *)p = v;
		break;
	default:
		*(__u64 *)p = v;
	}
}

static void set_len(struct blob *b, __u32 len)
{
	b->len = len;
	hdr_of(b)->total_len = len;
}

/* Move section TYPE to the end of the blob with COUNT elements. */
static void relocate(struct blob *b, unsigned int type, __u32 count)
{
	struct m2m_section *s = sect(b, type);
	__u64 old = s->offset, keep = (__u64)s->count * s->elem_size;
	__u64 off = (b->len + 7ULL) & ~7ULL;
	__u64 size = (__u64)count * s->elem_size;

	b->b = realloc(b->b, off + size);
	if (!b->b)
		abort();
	memset(b->b + b->len, 0, off + size - b->len);
	memcpy(b->b + off, b->b + old, keep < size ? keep : size);
	s = sect(b, type);
	s->offset = off;
	s->count = count;
	set_len(b, off + size);
}

static void c_short(struct blob *b, const struct corruption *c)
{
	b->len = sizeof(struct m2m_policy_hdr) - 1;
}

static void c_flip(struct blob *b, const struct corruption *c)
{
	b->b[b->len - 1] ^= 1;
}

/* A header claiming the most sections, but the blob ends inside them. */
static void c_short_table(struct blob *b, const struct corruption *c)
{
	hdr_of(b)->nsections = __M2M_SEC_MAX - 1;
	set_len(b, sizeof(struct m2m_policy_hdr) +
		   (__M2M_SEC_MAX - 1) * sizeof(struct m2m_section) - 8);
}

/* Another entry becomes an exact copy of TYPE's. */
static void c_dup(struct blob *b, const struct corruption *c)
{
	unsigned int i = slot_of(b, c->type);

	table_of(b)[i ? 0 : 1] = table_of(b)[i];
}

static void c_size(struct blob *b, const struct corruption *c)
{
	sect(b, c->type)->elem_size++;
}

static void c_align(struct blob *b, const struct corruption *c)
{
	sect(b, c->type)->offset += 4;
}

static void c_in_table(struct blob *b, const struct corruption *c)
{
	sect(b, c->type)->offset = sizeof(struct m2m_policy_hdr);
}

/* One element more than fits. */
static void c_past_end(struct blob *b, const struct corruption *c)
{
	struct m2m_section *s = sect(b, c->type);

	s->count = (b->len - s->offset) / s->elem_size + 1;
}

/* So many that count * elem_size overflows 32 bits. */
static void c_huge(struct blob *b, const struct corruption *c)
{
	sect(b, c->type)->count = ~0U;
}

/*
 * Move TYPE's entry last in the table and point it at the section with
 * the lowest offset, so that it is the one found overlapping.
 */
static void c_overlap(struct blob *b, const struct corruption *c)
{
	struct m2m_section *tab = table_of(b), tmp;
	__u32 n = hdr_of(b)->nsections, i, low = ~0U;
	unsigned int at = slot_of(b, c->type);

	tmp = tab[at];
	tab[at] = tab[n - 1];
	tab[n - 1] = tmp;
	for (i = 0; i < n - 1; i++)
		if (tab[i].offset < low)
			low = tab[i].offset;
	tab[n - 1].offset = low;
}

static void c_missing(struct blob *b, const struct corruption *c)
{
	struct m2m_section *tab = table_of(b);
	__u32 n = --hdr_of(b)->nsections;

	tab[slot_of(b, c->type) == n ? n : slot_of(b, c->type)] = tab[n];
}

static void c_too_many(struct blob *b, const struct corruption *c)
{
	relocate(b, c->type, c->value);
}

static void c_strings_first(struct blob *b, const struct corruption *c)
{
	*elem(b, M2M_SEC_STRINGS, 0) = 'x';
}

static void c_strings_last(struct blob *b, const struct corruption *c)
{
	struct m2m_section *s = sect(b, M2M_SEC_STRINGS);

	*elem(b, M2M_SEC_STRINGS, s->count - 1) = 'x';
}

/* The last group ends one endpoint past the table. */
static void c_group_past(struct blob *b, const struct corruption *c)
{
	struct m2m_group *g = (void *)elem(b, M2M_SEC_GROUPS, BASE_GROUPS - 1);

	g->count = BASE_ENDPOINTS - g->first + 1;
}

FIXTURE(reject) {
	struct blob b;
};

FIXTURE_VARIANT(reject) {
	struct corruption c;
};

FIXTURE_SETUP(reject)
{
	struct desc *d = base_desc();
	void *blob;

	ASSERT_EQ(0, desc_blob(d, &blob, &self->b.len));
	self->b.b = blob;
	free(d);
}

FIXTURE_TEARDOWN(reject)
{
	free(self->b.b);
}

TEST_F(reject, with_its_message)
{
	const struct corruption *c = &variant->c;
	const char *why = "(none)";
	struct m2m_tables t;
	int err;

	if (c->fn)
		c->fn(&self->b, c);
	else
		poke(&self->b, c);
	if (!c->raw)
		ASSERT_EQ(0, m2m_blob_seal(self->b.b, self->b.len));

	err = m2m_tables_open(&t, self->b.b, self->b.len, &why);
	EXPECT_EQ(c->err, err);
	EXPECT_STREQ(c->msg, why);
	EXPECT_EQ(NULL, t.dst4);
	EXPECT_EQ(NULL, t.src6);
}

#define REJECT_WITH(name, ...) \
	FIXTURE_VARIANT_ADD(reject, name) { .c = { __VA_ARGS__ } }

#define REJECT(name, f, t, m) \
	REJECT_WITH(name, .fn = f, .type = t, .err = -EINVAL, .msg = m)

#define REJECT_BIG(name, t, n, m) \
	REJECT_WITH(name, .fn = c_too_many, .type = t, .value = n, \
		    .err = -E2BIG, .msg = m)

#define POKE_AT(name, w, t, i, T, field, v, m)				\
	REJECT_WITH(name, .where = w, .type = t, .index = i,		\
		    .off = offsetof(T, field),				\
		    .width = sizeof(((T *)0)->field), .value = v,	\
		    .err = -EINVAL, .msg = m)

#define POKE_HDR(name, field, v, m) \
	POKE_AT(name, IN_HDR, 0, 0, struct m2m_policy_hdr, field, v, m)
#define POKE_SEC(name, t, field, v, m) \
	POKE_AT(name, IN_TABLE, t, 0, struct m2m_section, field, v, m)
#define POKE(name, t, i, T, field, v, m) \
	POKE_AT(name, IN_DATA, t, i, T, field, v, m)

/* A string offset equal to the string table's length: one past the end. */
#define POKE_STRLEN(name, t, T, field, m)				\
	REJECT_WITH(name, .where = IN_DATA, .type = t,			\
		    .off = offsetof(T, field), .width = 4,		\
		    .to_strlen = true, .err = -EINVAL, .msg = m)

/* The header, before and including the checksum. */
REJECT_WITH(short_blob, .fn = c_short, .raw = true, .err = -EINVAL,
	    .msg = "policy: shorter than its header");
POKE_HDR(bad_magic, magic, 0x4d324d50, "policy: bad magic");
POKE_HDR(bad_version, version, 2, "policy: unsupported version");
POKE_HDR(bad_hdr_len, hdr_len, 64, "policy: bad header length");
POKE_HDR(total_len_mismatch, total_len, 0,
	 "policy: total length mismatch");
POKE_HDR(header_flags, flags, 1, "policy: unknown header flags");
POKE_HDR(header_reserved, reserved, 1,
	 "policy: reserved header field not zero");
REJECT_WITH(checksum, .fn = c_flip, .raw = true, .err = -EINVAL,
	    .msg = "policy: checksum mismatch");

/* The section table. */
POKE_HDR(too_many_sections, nsections, __M2M_SEC_MAX,
	 "policy: too many sections");
REJECT(table_past_end, c_short_table, 0,
	"policy: section table runs past the end");
POKE_SEC(section_type_0, M2M_SEC_GEO, type, 0,
	 "policy: unknown section type");
POKE_SEC(section_type_past_max, M2M_SEC_GEO, type, __M2M_SEC_MAX,
	 "policy: unknown section type");

#define REJECT_SECTION_ENTRY(name, t)					\
	REJECT(name##_dup, c_dup, t, "policy: duplicate " #name " section"); \
	REJECT(name##_elem_size, c_size, t,				\
	       "policy: " #name " section has a wrong element size");	\
	REJECT(name##_misaligned, c_align, t,				\
	       "policy: " #name " section is not 8-byte aligned");	\
	REJECT(name##_in_table, c_in_table, t,				\
	       "policy: " #name " section overlaps the section table");	\
	REJECT(name##_past_end, c_past_end, t,				\
	       "policy: " #name " section runs past the end");		\
	REJECT(name##_count_wraps, c_huge, t,				\
	       "policy: " #name " section runs past the end");		\
	REJECT(name##_overlap, c_overlap, t,				\
	       "policy: " #name " section overlaps another section")

#define REJECT_SECTION(name, t)						\
	REJECT_SECTION_ENTRY(name, t);					\
	REJECT(name##_missing, c_missing, t, "policy: no " #name " section")

REJECT_SECTION(settings, M2M_SEC_SETTINGS);
REJECT_SECTION(dst4, M2M_SEC_DST4);
REJECT_SECTION(dst6, M2M_SEC_DST6);
REJECT_SECTION(src4, M2M_SEC_SRC4);
REJECT_SECTION(src6, M2M_SEC_SRC6);
REJECT_SECTION(classes, M2M_SEC_CLASSES);
REJECT_SECTION(groups, M2M_SEC_GROUPS);
REJECT_SECTION(endpoints, M2M_SEC_ENDPOINTS);
REJECT_SECTION(strings, M2M_SEC_STRINGS);
REJECT_SECTION_ENTRY(geo, M2M_SEC_GEO);

/* Element counts. */
POKE_SEC(settings_empty, M2M_SEC_SETTINGS, count, 0,
	 "policy: settings must be exactly 1 element");
REJECT_WITH(geo_two, .fn = c_too_many, .type = M2M_SEC_GEO, .value = 2,
	    .err = -EINVAL, .msg = "policy: more than 1 geo element");
REJECT_BIG(classes_too_many, M2M_SEC_CLASSES, M2M_CLASSES_MAX + 1,
	   "policy: too many classes");
POKE_SEC(groups_empty, M2M_SEC_GROUPS, count, 0, "policy: no group 0");
REJECT_BIG(groups_too_many, M2M_SEC_GROUPS, M2M_GROUPS_MAX + 2,
	   "policy: too many groups");
REJECT_BIG(endpoints_too_many, M2M_SEC_ENDPOINTS, M2M_ENDPOINTS_MAX + 1,
	   "policy: too many endpoints");
POKE_SEC(strings_empty, M2M_SEC_STRINGS, count, 0,
	 "policy: empty string table");

/* Strings and settings. */
REJECT(strings_first_not_empty, c_strings_first, 0,
	"policy: string table must start with \"\"");
REJECT(strings_unterminated, c_strings_last, 0,
	"policy: string table not NUL-terminated");
POKE(settings_mode, M2M_SEC_SETTINGS, 0, struct m2m_settings, mode,
	M2M_MODE_MAX + 1, "policy: bad mode");
POKE(settings_unknown_allowed, M2M_SEC_SETTINGS, 0, struct m2m_settings,
	unknown_allowed, 2, "policy: unknown_allowed must be 0 or 1");
POKE(settings_privacy, M2M_SEC_SETTINGS, 0, struct m2m_settings, privacy,
	M2M_PRIVACY_MAX + 1, "policy: bad privacy setting");
POKE(settings_event_rate, M2M_SEC_SETTINGS, 0, struct m2m_settings,
	event_rate, 100001, "policy: event rate out of range");
POKE(settings_interval_low, M2M_SEC_SETTINGS, 0, struct m2m_settings,
	counter_interval, 99, "policy: counter interval out of range");
POKE(settings_interval_high, M2M_SEC_SETTINGS, 0, struct m2m_settings,
	counter_interval, 3600001, "policy: counter interval out of range");
POKE(settings_reserved, M2M_SEC_SETTINGS, 0, struct m2m_settings, reserved,
	1, "policy: reserved settings field not zero");
POKE(settings_reserved2, M2M_SEC_SETTINGS, 0, struct m2m_settings,
	reserved2, 1, "policy: reserved settings field not zero");

/* Classes. */
POKE_STRLEN(class_name, M2M_SEC_CLASSES, struct m2m_class, name,
	    "policy: class name past the string table");
POKE(class_zone_677, M2M_SEC_CLASSES, 1, struct m2m_class,
	zone[M2M_JUR_WORDS - 1], 1ULL << (M2M_JUR_MAX % 64 + 1),
	"policy: class zone past the last jurisdiction");
POKE(class_zone_top_bit, M2M_SEC_CLASSES, 0, struct m2m_class,
	zone[M2M_JUR_WORDS - 1], 1ULL << 63,
	"policy: class zone past the last jurisdiction");
POKE(class_mode, M2M_SEC_CLASSES, 1, struct m2m_class, mode,
	M2M_RULE_AUDIT + 1, "policy: bad class mode");
POKE(class_reserved, M2M_SEC_CLASSES, 0, struct m2m_class, reserved[6], 1,
	"policy: reserved class field not zero");

/* Groups. */
POKE(group0_count, M2M_SEC_GROUPS, 0, struct m2m_group, count, 1,
	"policy: group 0 not empty");
POKE(group0_first, M2M_SEC_GROUPS, 0, struct m2m_group, first, 1,
	"policy: group 0 not empty");
POKE(group_empty, M2M_SEC_GROUPS, 2, struct m2m_group, count, 0,
	"policy: empty group");
REJECT(group_past_endpoints, c_group_past, 0,
	"policy: group runs past the endpoint table");
POKE(group_first_wraps, M2M_SEC_GROUPS, 1, struct m2m_group, first, ~0U,
	"policy: group runs past the endpoint table");

/* Endpoints. */
POKE_STRLEN(endpoint_name, M2M_SEC_ENDPOINTS, struct m2m_endpoint, name,
	    "policy: endpoint name past the string table");
POKE_STRLEN(endpoint_basis, M2M_SEC_ENDPOINTS, struct m2m_endpoint, basis,
	    "policy: endpoint basis past the string table");
POKE(endpoint_ports, M2M_SEC_ENDPOINTS, 0, struct m2m_endpoint, port_lo,
	444, "policy: endpoint port range reversed");
POKE(endpoint_jurisdiction, M2M_SEC_ENDPOINTS, 4, struct m2m_endpoint,
	jurisdiction, M2M_JUR_MAX + 1,
	"policy: endpoint has an unknown jurisdiction");
POKE(endpoint_mode, M2M_SEC_ENDPOINTS, 3, struct m2m_endpoint, mode,
	M2M_RULE_AUDIT + 1, "policy: bad endpoint mode");
POKE(endpoint_flags, M2M_SEC_ENDPOINTS, 2, struct m2m_endpoint, flags,
	M2M_EP_BASIS | 0x04, "policy: unknown endpoint flags");
POKE(endpoint_reserved, M2M_SEC_ENDPOINTS, 1, struct m2m_endpoint,
	reserved[10], 1, "policy: reserved endpoint field not zero");

/* Geo. */
POKE_STRLEN(geo_name, M2M_SEC_GEO, struct m2m_geo, name,
	    "policy: geo name past the string table");
POKE_STRLEN(geo_date, M2M_SEC_GEO, struct m2m_geo, date,
	    "policy: geo date past the string table");

/*
 * Range tables: size, start, order, values, padding. Making boundary 1
 * start at 0 puts it level with boundary 0.
 */
#define REJECT_RANGES(name, t, T, low, high)				\
	POKE_SEC(name##_empty, t, count, 0, "policy: empty " #name " table"); \
	REJECT_BIG(name##_too_large, t, M2M_RTABLE_MAX + 1,		\
		   "policy: " #name " table too large");		\
	POKE(name##_start, t, 0, T, low, 1,				\
	     "policy: " #name " table does not start at address 0");	\
	POKE(name##_order, t, 1, T, high, 0,				\
	     "policy: " #name " ranges not in ascending order")

#define REJECT_DST(name, t, T, low, high)				\
	REJECT_RANGES(name, t, T, low, high);				\
	POKE(name##_group, t, 1, T, value,				\
	     M2M_DST_VALUE(BASE_GROUPS, 0),				\
	     "policy: " #name " range references an unknown group");	\
	POKE(name##_jurisdiction, t, 1, T, value,			\
	     M2M_DST_VALUE(1, M2M_JUR_MAX + 1),				\
	     "policy: " #name " range references an unknown jurisdiction")

#define REJECT_SRC(name, t, T, low, high)				\
	REJECT_RANGES(name, t, T, low, high);				\
	POKE(name##_class, t, 1, T, value, BASE_CLASSES + 1,		\
	     "policy: " #name " range references an unknown class")

#define REJECT_PAD(name, t)						\
	POKE(name##_pad, t, 1, struct m2m_range6, pad, 1,		\
	     "policy: " #name " range padding not zero")

REJECT_DST(dst4, M2M_SEC_DST4, struct m2m_range4, start, start);
REJECT_DST(dst6, M2M_SEC_DST6, struct m2m_range6, start_lo, start_hi);
REJECT_SRC(src4, M2M_SEC_SRC4, struct m2m_range4, start, start);
REJECT_SRC(src6, M2M_SEC_SRC6, struct m2m_range6, start_lo, start_hi);
REJECT_PAD(dst6, M2M_SEC_DST6);
REJECT_PAD(src6, M2M_SEC_SRC6);

/*
 * Every allocation of an open fails in turn: raise the address space
 * limit step by step until the open succeeds, and check that each failure
 * says so and hands back every byte it took.
 */
TEST(open_survives_running_out_of_memory)
{
#if defined(__SANITIZE_ADDRESS__)
	SKIP(return, "AddressSanitizer cannot run under RLIMIT_AS");
#else
	struct desc *d = base_desc();
	struct mallinfo2 before, after;
	struct rlimit lim, old;
	long page = sysconf(_SC_PAGESIZE);
	unsigned long pages = 0;
	const char *why;
	struct m2m_tables t;
	int err, fails = 0;
	__u32 len, step;
	FILE *f;
	void *blob;

	ASSERT_EQ(0, desc_blob(d, &blob, &len));
	ASSERT_EQ(0, m2m_tables_open(&t, blob, len, &why));
	m2m_tables_close(&t);
	ASSERT_EQ(0, getrlimit(RLIMIT_AS, &old));

	for (step = 0; step < 4096; step++) {
		f = fopen("/proc/self/statm", "r");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(1, fscanf(f, "%lu", &pages));
		fclose(f);

		before = mallinfo2();
		lim.rlim_cur = pages * page + (rlim_t)step * 16384;
		lim.rlim_max = old.rlim_max;
		ASSERT_EQ(0, setrlimit(RLIMIT_AS, &lim));
		why = "";
		err = m2m_tables_open(&t, blob, len, &why);
		ASSERT_EQ(0, setrlimit(RLIMIT_AS, &old));
		if (!err)
			break;

		after = mallinfo2();
		ASSERT_EQ(-ENOMEM, err);
		EXPECT_STREQ("policy: out of memory", why);
		EXPECT_EQ(before.uordblks, after.uordblks);
		EXPECT_EQ(before.hblkhd, after.hblkhd);
		fails++;
	}
	EXPECT_EQ(0, err);
	EXPECT_LT(2, fails);
	m2m_tables_close(&t);
	free(blob);
	free(d);
#endif
}

/* ---- the verdict, on hand-made policies ---- */

TEST(reason_names)
{
	EXPECT_STREQ("unscoped", m2m_reason_name(M2M_R_UNSCOPED));
	EXPECT_STREQ("allow", m2m_reason_name(M2M_R_ALLOW));
	EXPECT_STREQ("allow-basis", m2m_reason_name(M2M_R_ALLOW_BASIS));
	EXPECT_STREQ("not-allowlisted",
		     m2m_reason_name(M2M_R_NOT_ALLOWLISTED));
	EXPECT_STREQ("residency", m2m_reason_name(M2M_R_RESIDENCY));
	EXPECT_STREQ("no-consent", m2m_reason_name(M2M_R_NO_CONSENT));
	EXPECT_STREQ("plaintext", m2m_reason_name(M2M_R_PLAINTEXT));
	EXPECT_STREQ("unknown", m2m_reason_name(__M2M_R_MAX));
	EXPECT_STREQ("unknown", m2m_reason_name(~0U));
}

/*
 * The world of most verdict tests:
 *
 *   meters 10.1.0.0/16, 2001:db8:1::/48   zone DE FR   consent billing
 *   cams   10.2.0.0/16                    zone DE      consent analytics
 *
 *   geo    192.0.2.0/24 DE, 198.51.100.0/24 US, 203.0.113.0/24 unknown,
 *          2001:db8:a::/48 DE, 2001:db8:b::/48 US
 */
static struct desc *world(void)
{
	struct desc *d = desc_new();

	add_class(d, "DE FR", P_BILLING, M2M_RULE_INHERIT);
	add_class(d, "DE", P_ANALYTICS, M2M_RULE_INHERIT);
	add_src(d, "10.1.0.0/16", 1);
	add_src(d, "2001:db8:1::/48", 1);
	add_src(d, "10.2.0.0/16", 2);
	add_geo(d, "192.0.2.0/24", "DE");
	add_geo(d, "198.51.100.0/24", "US");
	add_geo(d, "203.0.113.0/24", NULL);
	add_geo(d, "2001:db8:a::/48", "DE");
	add_geo(d, "2001:db8:b::/48", "US");
	return d;
}

TEST(unscoped_source_passes_with_its_jurisdiction)
{
	struct desc *d = world();
	struct m2m_verdict v;
	struct policy pol;

	add_ep(d, "192.0.2.0/24", https(P_BILLING));
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("10.9.0.1", "198.51.100.1", UDP, 9), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_UNSCOPED, 0, 0);
	EXPECT_EQ(0U, v.class_id);
	EXPECT_EQ(0U, v.endpoint_id);
	EXPECT_EQ(jur("US"), v.jurisdiction);
	EXPECT_EQ(M2M_JUR_FROM_GEO, v.jur_source);

	v = classify(&pol, mkflow("2001:db8:9::1", "2001:db8:a::1", TCP, 443),
		     AUDIT);
	EXPECT_VERDICT(v, M2M_R_UNSCOPED, 0, 0);
	EXPECT_EQ(jur("DE"), v.jurisdiction);

	/* One address past the class. */
	v = classify(&pol, mkflow("10.0.255.255", "192.0.2.1", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_UNSCOPED, 0, 0);
	v = classify(&pol, mkflow("10.1.255.255", "192.0.2.1", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);
	policy_close(&pol);
	free(d);
}

TEST(allow_in_zone_with_consent)
{
	struct desc *d = world();
	struct m2m_verdict v;
	struct policy pol;
	__u32 ep4, ep6;

	add_ep(d, "192.0.2.0/24", https(P_SUPPORT));
	ep4 = add_ep(d, "192.0.2.0/24", https(P_BILLING | P_SUPPORT));
	ep6 = add_ep(d, "2001:db8:a::/64", https(P_BILLING));
	ASSERT_EQ(0, policy_open(&pol, d));

	/* The first endpoint fits the port but not the purpose: no-consent. */
	v = classify(&pol, mkflow("10.1.0.5", "192.0.2.33", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NO_CONSENT, 1, 0);
	EXPECT_EQ(ep4 - 1, v.endpoint_id);

	v = classify(&pol, mkflow("2001:db8:1::5", "2001:db8:a::77", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);
	EXPECT_EQ(1U, v.class_id);
	EXPECT_EQ(ep6, v.endpoint_id);
	EXPECT_EQ(jur("DE"), v.jurisdiction);
	EXPECT_EQ(M2M_JUR_FROM_GEO, v.jur_source);
	policy_close(&pol);
	free(d);
}

TEST(first_matching_endpoint_of_the_group_wins)
{
	struct desc *d = world();
	struct m2m_endpoint any = { .port_hi = 65535, .purposes = P_BILLING };
	struct m2m_verdict v;
	struct policy pol;
	__u32 first, second;

	first = add_ep(d, "192.0.2.10/32", https(P_BILLING));
	second = add_ep(d, "192.0.2.10/32", any);
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.10", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);
	EXPECT_EQ(first, v.endpoint_id);
	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.10", UDP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);
	EXPECT_EQ(second, v.endpoint_id);
	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.10", IPPROTO_ICMP, 0),
		     ENFORCE);
	EXPECT_EQ(second, v.endpoint_id);
	policy_close(&pol);
	free(d);
}

TEST(not_allowlisted_without_a_fitting_endpoint)
{
	struct desc *d = world();
	struct m2m_endpoint range = {
		.proto = UDP, .port_lo = 1000, .port_hi = 2000,
		.purposes = P_BILLING,
	};
	static const struct {
		const char *dst;
		__u8 proto;
		__u16 dport;
		__u8 reason;
	} cases[] = {
		{ "192.0.2.1", UDP, 1000, M2M_R_ALLOW },
		{ "192.0.2.1", UDP, 2000, M2M_R_ALLOW },
		{ "192.0.2.1", UDP, 999, M2M_R_NOT_ALLOWLISTED },
		{ "192.0.2.1", UDP, 2001, M2M_R_NOT_ALLOWLISTED },
		{ "192.0.2.1", TCP, 1500, M2M_R_NOT_ALLOWLISTED },
		{ "192.0.2.0", UDP, 1500, M2M_R_ALLOW },
		{ "192.0.2.255", UDP, 1500, M2M_R_NOT_ALLOWLISTED },
		{ "192.0.1.255", UDP, 1500, M2M_R_NOT_ALLOWLISTED },
		{ "0.0.0.0", UDP, 1500, M2M_R_NOT_ALLOWLISTED },
		{ "255.255.255.255", UDP, 1500, M2M_R_NOT_ALLOWLISTED },
	};
	struct m2m_verdict v;
	struct policy pol;
	unsigned int i;

	add_ep(d, "192.0.2.0/25", range);
	ASSERT_EQ(0, policy_open(&pol, d));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = classify(&pol, mkflow("10.1.2.3", cases[i].dst,
					  cases[i].proto, cases[i].dport),
			     ENFORCE);
		if (v.reason != cases[i].reason)
			TH_LOG("%s %u/%u", cases[i].dst, cases[i].proto,
			       cases[i].dport);
		EXPECT_STREQ(m2m_reason_name(cases[i].reason),
			     m2m_reason_name(v.reason));
		EXPECT_EQ(cases[i].reason != M2M_R_ALLOW, v.drop);
		EXPECT_EQ(cases[i].reason == M2M_R_ALLOW, v.endpoint_id);
		EXPECT_EQ(1U, v.class_id);
	}
	policy_close(&pol);
	free(d);
}

TEST(residency_outside_the_zone)
{
	struct desc *d = world();
	struct m2m_verdict v;
	struct policy pol;
	__u32 ep;

	ep = add_ep(d, "198.51.100.0/24", https(P_BILLING));
	add_ep(d, "2001:db8:b::/48", https(P_BILLING));
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("10.1.0.1", "198.51.100.7", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_RESIDENCY, 1, 0);
	EXPECT_EQ(ep, v.endpoint_id);
	EXPECT_EQ(jur("US"), v.jurisdiction);
	EXPECT_EQ(M2M_JUR_FROM_GEO, v.jur_source);

	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:b::1", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_RESIDENCY, 1, 0);
	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:b::1", TCP, 443),
		     AUDIT);
	EXPECT_VERDICT(v, M2M_R_RESIDENCY, 0, 1);
	policy_close(&pol);
	free(d);
}

TEST(pinned_jurisdiction_overrides_geo)
{
	struct desc *d = world();
	struct m2m_endpoint in = https(P_BILLING), out = https(P_BILLING);
	struct m2m_verdict v;
	struct policy pol;

	in.jurisdiction = jur("FR");	/* anycast in US space, really FR */
	out.jurisdiction = jur("US");	/* in DE space, but it is not */
	add_ep(d, "198.51.100.8/29", in);
	add_ep(d, "192.0.2.8/29", out);
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("10.1.0.1", "198.51.100.9", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);
	EXPECT_EQ(jur("FR"), v.jurisdiction);
	EXPECT_EQ(M2M_JUR_PINNED, v.jur_source);

	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.9", TCP, 443), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_RESIDENCY, 1, 0);
	EXPECT_EQ(jur("US"), v.jurisdiction);
	EXPECT_EQ(M2M_JUR_PINNED, v.jur_source);

	/* No endpoint matched: the geo jurisdiction is reported. */
	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.9", UDP, 443), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NOT_ALLOWLISTED, 1, 0);
	EXPECT_EQ(jur("DE"), v.jurisdiction);
	EXPECT_EQ(M2M_JUR_FROM_GEO, v.jur_source);
	EXPECT_EQ(0U, v.endpoint_id);
	policy_close(&pol);
	free(d);
}

TEST(unknown_jurisdiction_follows_the_setting)
{
	struct m2m_verdict v;
	struct policy pol;
	struct desc *d;
	int allowed;

	for (allowed = 0; allowed <= 1; allowed++) {
		d = world();
		d->settings.unknown_allowed = allowed;
		add_ep(d, "203.0.113.0/24", https(P_BILLING));
		add_ep(d, "2001:db8:c::/48", https(P_BILLING));
		ASSERT_EQ(0, policy_open(&pol, d));

		v = classify(&pol, mkflow("10.1.0.1", "203.0.113.5", TCP, 443),
			     ENFORCE);
		EXPECT_VERDICT(v, allowed ? M2M_R_ALLOW : M2M_R_RESIDENCY,
			       !allowed, 0);
		EXPECT_EQ(M2M_JUR_UNKNOWN, v.jurisdiction);

		v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:c::5",
					  TCP, 443), ENFORCE);
		EXPECT_VERDICT(v, allowed ? M2M_R_ALLOW : M2M_R_RESIDENCY,
			       !allowed, 0);
		policy_close(&pol);
		free(d);
	}
}

TEST(basis_allows_outside_the_zone_but_not_without_consent)
{
	struct desc *d = world();
	struct m2m_endpoint scc = https(P_BILLING | P_ANALYTICS);
	struct m2m_verdict v;
	struct policy pol;

	scc.flags = M2M_EP_BASIS;
	add_ep(d, "198.51.100.0/24", scc);
	add_ep(d, "192.0.2.0/24", scc);
	add_ep(d, "2001:db8:b::/48", scc);
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("10.1.0.1", "198.51.100.1", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW_BASIS, 0, 0);
	EXPECT_EQ(jur("US"), v.jurisdiction);

	/* In zone the basis is not needed, and not counted. */
	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.1", TCP, 443), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);

	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:b::1", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW_BASIS, 0, 0);
	policy_close(&pol);

	d->eps[0].purposes = P_SUPPORT;
	ASSERT_EQ(0, policy_open(&pol, d));
	v = classify(&pol, mkflow("10.1.0.1", "198.51.100.1", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NO_CONSENT, 1, 0);
	policy_close(&pol);
	free(d);
}

TEST(no_consent_without_a_common_purpose)
{
	struct desc *d = world();
	struct m2m_verdict v;
	struct policy pol;

	add_ep(d, "192.0.2.0/24", https(P_BILLING));
	add_ep(d, "2001:db8:a::/48", https(0));
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("10.2.0.1", "192.0.2.1", TCP, 443), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NO_CONSENT, 1, 0);
	EXPECT_EQ(2U, v.class_id);
	EXPECT_EQ(1U, v.endpoint_id);

	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.1", TCP, 443), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);

	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:a::1", TCP, 443),
		     AUDIT);
	EXPECT_VERDICT(v, M2M_R_NO_CONSENT, 0, 1);
	policy_close(&pol);
	free(d);
}

/* The most specific level that sets a mode decides. */
TEST(mode_precedence)
{
	static const struct {
		__u8 ep, cls, global;
		bool audited;
	} cases[] = {
		{ M2M_RULE_INHERIT, M2M_RULE_INHERIT, ENFORCE, false },
		{ M2M_RULE_INHERIT, M2M_RULE_INHERIT, AUDIT, true },
		{ M2M_RULE_AUDIT, M2M_RULE_INHERIT, ENFORCE, true },
		{ M2M_RULE_ENFORCE, M2M_RULE_INHERIT, AUDIT, false },
		{ M2M_RULE_INHERIT, M2M_RULE_ENFORCE, AUDIT, false },
		{ M2M_RULE_INHERIT, M2M_RULE_AUDIT, ENFORCE, true },
		{ M2M_RULE_ENFORCE, M2M_RULE_AUDIT, AUDIT, false },
		{ M2M_RULE_AUDIT, M2M_RULE_ENFORCE, ENFORCE, true },
		{ M2M_RULE_AUDIT, M2M_RULE_AUDIT, ENFORCE, true },
		{ M2M_RULE_ENFORCE, M2M_RULE_ENFORCE, AUDIT, false },
		{ M2M_RULE_INHERIT, M2M_RULE_INHERIT, 7, false },
	};
	struct m2m_endpoint ep = https(P_BILLING);
	struct m2m_verdict v;
	struct policy pol;
	struct desc *d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		d = world();
		d->classes[0].mode = cases[i].cls;
		ep.mode = cases[i].ep;
		add_ep(d, "198.51.100.0/24", ep);
		ASSERT_EQ(0, policy_open(&pol, d));

		v = classify(&pol, mkflow("10.1.0.1", "198.51.100.1", TCP, 443),
			     cases[i].global);
		if (v.audited != cases[i].audited)
			TH_LOG("endpoint %u, class %u, global %u", cases[i].ep,
			       cases[i].cls, cases[i].global);
		EXPECT_VERDICT(v, M2M_R_RESIDENCY, !cases[i].audited,
			       cases[i].audited);
		policy_close(&pol);
		free(d);
	}
}

/* Without a matched endpoint its mode cannot apply: the class decides. */
TEST(mode_of_an_unmatched_endpoint_does_not_apply)
{
	struct desc *d = world();
	struct m2m_endpoint ep = https(P_BILLING);
	struct m2m_verdict v;
	struct policy pol;

	ep.mode = M2M_RULE_AUDIT;
	add_ep(d, "192.0.2.0/24", ep);
	d->classes[1].mode = M2M_RULE_AUDIT;
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.1", TCP, 80), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NOT_ALLOWLISTED, 1, 0);
	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.1", TCP, 80), AUDIT);
	EXPECT_VERDICT(v, M2M_R_NOT_ALLOWLISTED, 0, 1);
	v = classify(&pol, mkflow("10.2.0.1", "192.0.2.1", TCP, 80), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NOT_ALLOWLISTED, 0, 1);
	v = classify(&pol, mkflow("10.2.0.1", "203.0.113.1", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NOT_ALLOWLISTED, 0, 1);
	EXPECT_EQ(0U, v.endpoint_id);
	policy_close(&pol);
	free(d);
}

/* Step 5 is not there yet: a TLS requirement changes nothing. */
TEST(tls_flag_is_ignored_for_now)
{
	struct desc *d = world();
	struct m2m_endpoint ep = https(P_BILLING);
	struct m2m_verdict v;
	struct policy pol;

	ep.flags = M2M_EP_TLS;
	add_ep(d, "192.0.2.0/24", ep);
	ASSERT_EQ(0, policy_open(&pol, d));
	v = classify(&pol, mkflow("10.1.0.1", "192.0.2.1", TCP, 443), ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);
	policy_close(&pol);
	free(d);
}

/* Prefixes longer than /64 put boundaries inside one /64. */
TEST(ipv6_inside_one_64)
{
	struct desc *d = world();
	struct m2m_endpoint pin = https(P_BILLING);
	struct m2m_verdict v;
	struct policy pol;
	__u32 a, b;

	pin.jurisdiction = jur("US");
	add_src(d, "2001:db8:1::8000/113", 2);
	a = add_ep(d, "2001:db8:a::100/120", https(P_BILLING));
	b = add_ep(d, "2001:db8:a::180/128", pin);
	ASSERT_EQ(0, policy_open(&pol, d));

	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:a::100", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_ALLOW, 0, 0);
	EXPECT_EQ(a, v.endpoint_id);
	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:a::17f", TCP, 443),
		     ENFORCE);
	EXPECT_EQ(a, v.endpoint_id);
	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:a::180", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_RESIDENCY, 1, 0);
	EXPECT_EQ(b, v.endpoint_id);
	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:a::181", TCP, 443),
		     ENFORCE);
	EXPECT_EQ(a, v.endpoint_id);
	v = classify(&pol, mkflow("2001:db8:1::1", "2001:db8:a::200", TCP, 443),
		     ENFORCE);
	EXPECT_VERDICT(v, M2M_R_NOT_ALLOWLISTED, 1, 0);
	EXPECT_EQ(jur("DE"), v.jurisdiction);

	/* The /113 inside the meters' /48 belongs to the cams. */
	v = classify(&pol, mkflow("2001:db8:1::8000", "2001:db8:a::100",
				  TCP, 443), ENFORCE);
	EXPECT_EQ(2U, v.class_id);
	EXPECT_VERDICT(v, M2M_R_NO_CONSENT, 1, 0);
	v = classify(&pol, mkflow("2001:db8:1::7fff", "2001:db8:a::100",
				  TCP, 443), ENFORCE);
	EXPECT_EQ(1U, v.class_id);
	policy_close(&pol);
	free(d);
}

/* ---- the verdict against the reference, on random policies ---- */

static const char *const pool[] = {
	"DE", "FR", "AT", "NL", "IT", "ES", "PL", "SE", "IE", "CH",
	"GB", "US", "CN", "JP", "IN", "BR", "SG", "CA", "AU", "ZA",
};

#define NPOOL	ARRAY_SIZE(pool)

static __u16 rnd_jur(__u64 *rng)
{
	return jur(pool[rnd_below(rng, NPOOL)]);
}

static u128 rnd_u128(__u64 *rng)
{
	return (u128)rnd(rng) << 64 | rnd(rng);
}

static bool pfx_known(const struct pfx *list, __u32 n, const struct pfx *p)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (pfx_eq(&list[i], p))
			return true;
	return false;
}

/*
 * A random prefix, new to LIST. Often it nests inside one already there,
 * so that the most specific prefix has to win somewhere.
 */
static struct pfx rnd_pfx(__u64 *rng, const struct pfx *list, __u32 n)
{
	struct pfx p, parent;
	unsigned int w;

	do {
		p.family = rnd(rng) & 1 ? AF_INET6 : AF_INET;
		w = width(p.family);
		p.len = p.family == AF_INET6 ? 16 + rnd_below(rng, 113) :
					       4 + rnd_below(rng, 29);
		p.addr = rnd_u128(rng) & top_addr(p.family);
		if (n && rnd_below(rng, 2)) {
			parent = list[rnd_below(rng, n)];
			w = width(parent.family);
			if (parent.len < w) {
				p.family = parent.family;
				p.len = parent.len + 1 +
					rnd_below(rng, w - parent.len);
				p.addr = parent.addr |
					 (p.addr & host_mask(w, parent.len));
			}
		}
		p.addr &= ~host_mask(width(p.family), p.len);
	} while (pfx_known(list, n, &p));
	return p;
}

static struct m2m_endpoint rnd_ep(__u64 *rng)
{
	static const __u8 protos[] = { 0, IPPROTO_TCP, IPPROTO_UDP };
	struct m2m_endpoint e = { 0 };
	__u32 lo = rnd_below(rng, 65536), r = rnd_below(rng, 100);

	e.proto = protos[rnd_below(rng, 3)];
	e.port_lo = lo;
	e.port_hi = lo;
	if (rnd_below(rng, 4) == 0) {
		e.port_lo = 0;
		e.port_hi = 65535;
	} else if (rnd_below(rng, 2)) {
		e.port_hi = lo + rnd_below(rng, 65536 - lo);
	}
	e.purposes = rnd(rng) & 0xf;
	if (r < 25)
		e.jurisdiction = rnd_jur(rng);
	else if (r < 30)
		e.jurisdiction = 1 + rnd_below(rng, M2M_JUR_MAX);
	e.flags = (rnd_below(rng, 5) == 0 ? M2M_EP_BASIS : 0) |
		  (rnd_below(rng, 10) == 0 ? M2M_EP_TLS : 0);
	e.mode = rnd_below(rng, 3);
	return e;
}

static struct desc *rnd_desc(__u64 *rng)
{
	struct desc *d = desc_new();
	struct m2m_class *c;
	__u32 i, j, n;
	struct pfx p;

	d->settings.unknown_allowed = rnd_below(rng, 2);
	d->settings.mode = rnd_below(rng, 2);
	for (i = 0; i < 4; i++) {
		c = &d->classes[d->nclasses++];
		for (j = 0; j < NPOOL; j++)
			if (rnd_below(rng, 2))
				zone_add(c, jur(pool[j]));
		c->consent = rnd(rng) & 0xf;
		c->mode = rnd_below(rng, 4) % 3;
	}
	for (i = 0; i < 24; i++) {
		d->src[d->nsrc] = rnd_pfx(rng, d->src, d->nsrc);
		d->src_class[d->nsrc++] = 1 + rnd_below(rng, d->nclasses);
	}
	for (i = 0; i < 200; i++) {
		p = rnd_pfx(rng, d->dst, d->ndst);
		n = 1 + rnd_below(rng, 3);
		for (j = 0; j < n; j++)
			add_ep_pfx(d, p, rnd_ep(rng));
	}
	for (i = 0; i < 300; i++) {
		d->geo[d->ngeo] = rnd_pfx(rng, d->geo, d->ngeo);
		d->geo_jur[d->ngeo++] = rnd_below(rng, 10) ? rnd_jur(rng) : 0;
	}
	return d;
}

/* An address of FAMILY: in one of the prefixes, at an edge, or anywhere. */
static u128 rnd_addr(__u64 *rng, const struct pfx *list, __u32 n,
		     __u8 family)
{
	const struct pfx *p = &list[rnd_below(rng, n)];
	u128 a = rnd_u128(rng) & top_addr(family);
	__u32 r = rnd_below(rng, 10), tries;

	for (tries = 0; p->family != family && tries < 8; tries++)
		p = &list[rnd_below(rng, n)];
	if (p->family != family || r == 0)
		return a;
	if (r == 1)
		return p->addr - 1;
	if (r == 2)
		return pfx_last(p) + 1;
	return p->addr | (a & host_mask(width(family), p->len));
}

static __u16 rnd_port(__u64 *rng, const struct desc *d)
{
	const struct m2m_endpoint *e = &d->eps[rnd_below(rng, d->neps)];

	switch (rnd_below(rng, 6)) {
	case 0:
		return e->port_lo - 1;
	case 1:
		return e->port_lo;
	case 2:
		return e->port_hi;
	case 3:
		return e->port_hi + 1;
	default:
		return rnd(rng);
	}
}

static struct m2m_flow rnd_flow(__u64 *rng, const struct desc *d)
{
	static const __u8 protos[] = { 0, IPPROTO_ICMP, TCP, TCP, UDP, UDP };
	struct m2m_flow f = { 0 };
	u128 src, dst;

	f.family = rnd(rng) & 1 ? AF_INET6 : AF_INET;
	f.proto = protos[rnd_below(rng, 6)];
	f.dport = rnd_port(rng, d);
	src = rnd_addr(rng, d->src, d->nsrc, f.family);
	if (rnd_below(rng, 4))
		dst = rnd_addr(rng, d->dst, d->ndst, f.family);
	else
		dst = rnd_addr(rng, d->geo, d->ngeo, f.family);
	flow_addrs(&f, src, dst);
	return f;
}

static void show(const char *who, const struct m2m_verdict *v)
{
	fprintf(stderr, "#   %s: %s drop %u audited %u jur %u/%u\n", who,
		m2m_reason_name(v->reason), v->drop, v->audited,
		v->jurisdiction, v->jur_source);
	fprintf(stderr, "#   %s: class %u endpoint %u\n", who, v->class_id,
		v->endpoint_id);
}

static int compare(const struct m2m_flow *f, __u8 mode,
		   const struct m2m_verdict *got,
		   const struct m2m_verdict *want)
{
	if (got->reason == want->reason && got->drop == want->drop &&
	    got->audited == want->audited &&
	    got->jur_source == want->jur_source &&
	    got->jurisdiction == want->jurisdiction &&
	    got->class_id == want->class_id &&
	    got->endpoint_id == want->endpoint_id)
		return 0;

	if (f->family == AF_INET6)
		fprintf(stderr, "# v6 %016llx%016llx -> %016llx%016llx",
			(unsigned long long)f->src6_hi,
			(unsigned long long)f->src6_lo,
			(unsigned long long)f->dst6_hi,
			(unsigned long long)f->dst6_lo);
	else
		fprintf(stderr, "# v4 %08x -> %08x", f->src4, f->dst4);
	fprintf(stderr, " proto %u port %u mode %u\n", f->proto, f->dport,
		mode);
	show("got", got);
	show("want", want);
	return 1;
}

#define NFLOWS	100000

TEST(random_policies_match_the_reference)
{
	__u32 seen[__M2M_R_MAX] = { 0 };
	struct m2m_verdict got, want;
	__u64 rng = SEED;
	struct m2m_flow f;
	struct policy pol;
	struct desc *d;
	int i, bad = 0;
	unsigned int r, round;
	__u8 mode;

	for (round = 0; round < 4 && !bad; round++) {
		d = rnd_desc(&rng);
		d->settings.unknown_allowed = round & 1;
		ASSERT_EQ(0, policy_open(&pol, d));

		for (i = 0; i < NFLOWS && bad < 10; i++) {
			f = rnd_flow(&rng, d);
			mode = rnd_below(&rng, 3);
			m2m_classify(&pol.t, &f, mode, &got);
			ref_classify(d, &f, mode, &want);
			bad += compare(&f, mode, &got, &want);
			seen[want.reason]++;
		}
		policy_close(&pol);
		free(d);
	}
	EXPECT_EQ(0, bad);

	/* The random world must reach every reason step 5 does not own. */
	for (r = 0; r < __M2M_R_MAX; r++) {
		if (r == M2M_R_PLAINTEXT)
			continue;
		if (seen[r] <= 100)
			TH_LOG("only %u flows %s", seen[r], m2m_reason_name(r));
		EXPECT_LT(100U, seen[r]);
	}
}

TEST_HARNESS_MAIN
